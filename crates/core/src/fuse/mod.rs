//! Graph rewrites that merge chains of ops into one kernel, run when a program is planned
//! (after differentiation, so fused ops need no gradient rules). Each pass rewrites nodes in
//! place (ids are kept: program outputs and updates refer to them); a node taken over by a
//! multi-output op's second output becomes an `Output` node.
//!
//! - `conv`: `conv -> add(bias) [-> relu]` as one `ConvBias` (the bias and relu applied while
//!   the output is in cache; a relu gradient reading the relu's input points at its output,
//!   the same mask for a plain relu); a convolution's input and kernel gradients as one kernel
//!   (`ConvGrads`).
//! - `pooling`: `relu_grad(a, _, pool_grad(a, dy))` as one masked pooling gradient; a relu
//!   activation read only by a max pooling and its gradient is never written: the forward pools
//!   it while in cache and hands each pooled element's route (which window element holds the
//!   maximum) to the backward pass, a first layer's kernel and bias gradients make the pooling
//!   gradient from the routes themselves, elsewhere a routed pooling gradient replaces the
//!   masked one, and a forward pass alone pools without routes; a bias gradient summed from a
//!   pooling gradient is that kernel's second output.
//! - `dropout`: a dropout mask times its scale drawn already scaled.

mod conv;
mod dropout;
mod pooling;

use crate::error::Result;
use crate::graph::{Graph, NodeId};
use crate::ops::{Op, UnaryOp};

/// True for Keras's default relu (no leak, no cap, threshold 0), whose gradient mask is
/// `output > 0` as well as `input > 0`.
fn plain_relu(op: &Op) -> bool {
    match op {
        Op::Unary(u) | Op::UnaryGrad(u) => matches!(
            u,
            UnaryOp::Relu { alpha, max_value: None, threshold } if *alpha == 0.0 && *threshold == 0.0
        ),
        _ => false,
    }
}

/// Consumers of each node among the nodes the targets (`kept`) need: nodes that nothing needs
/// (e.g. an input gradient of a first layer) do not count.
fn consumers(graph: &Graph, kept: &[bool]) -> Vec<Vec<NodeId>> {
    let nodes = graph.nodes();
    let mut needed = kept.to_vec();
    for id in (0..nodes.len()).rev() {
        if needed[id] {
            for &i in &nodes[id].inputs {
                needed[i] = true;
            }
        }
    }
    let mut users = vec![Vec::new(); nodes.len()];
    for (id, node) in nodes.iter().enumerate().filter(|&(id, _)| needed[id]) {
        for &i in &node.inputs {
            if !users[i].contains(&id) {
                users[i].push(id);
            }
        }
    }
    users
}

/// A pass's ending: `None` when nothing matched, else a copy of `graph` with `rewrite` applied
/// to each match.
fn rewrite_each<M>(
    graph: &Graph,
    matches: Vec<M>,
    mut rewrite: impl FnMut(&mut Graph, M) -> Result<()>,
) -> Result<Option<Graph>> {
    if matches.is_empty() {
        return Ok(None);
    }
    let mut fused = graph.clone();
    for m in matches {
        rewrite(&mut fused, m)?;
    }
    Ok(Some(fused))
}

/// Applies the rewrites; `targets` (program outputs and updates) keep their values. Returns
/// `None` when nothing matched (the caller keeps the shared graph).
pub fn fuse(graph: &Graph, targets: &[NodeId]) -> Result<Option<Graph>> {
    let mut kept = vec![false; graph.nodes().len()];
    for &t in targets {
        if let Some(k) = kept.get_mut(t) {
            *k = true;
        }
    }
    let mut fused: Option<Graph> = None;
    // In order: each pass matches what the ones before it made (a masked pooling gradient
    // needs `ConvBias`; the first-layer rewrite takes its pattern before the general routed
    // one; a routed gradient keeps the channel sums it takes over).
    for pass in [
        dropout::scaled_binomial,
        conv::conv_bias,
        pooling::pool_grad_relu,
        pooling::kernel_grad_through_pool,
        pooling::conv_relu_pool,
        pooling::pool_grad_channel_sums,
        pooling::conv_relu_pool_routes,
        conv::conv_grads,
    ] {
        if let Some(g) = pass(fused.as_ref().unwrap_or(graph), &kept)? {
            fused = Some(g);
        }
    }
    Ok(fused)
}
