//! Convolution rewrites: bias and relu into the convolution, and both gradients as one kernel.

use super::{consumers, plain_relu, rewrite_each};
use crate::error::Result;
use crate::graph::{Graph, NodeId};
use crate::ops::{BinaryOp, Op};

/// One match of `conv(x, k) + b [-> relu]`.
struct ConvBiasChain {
    conv: NodeId,
    add: NodeId,
    relu: Option<NodeId>,
    bias: NodeId,
    /// Relu gradients reading the add's output, to be pointed at the relu's output.
    relu_grads: Vec<NodeId>,
}

/// Finds `add`'s chain if `add` adds a per-channel bias to a convolution used nowhere else.
fn match_conv_bias(
    graph: &Graph,
    users: &[Vec<NodeId>],
    kept: &[bool],
    add: NodeId,
) -> Option<ConvBiasChain> {
    let node = &graph.nodes()[add];
    if !matches!(node.op, Op::Binary(BinaryOp::Add)) || kept[add] {
        return None;
    }
    let (a, b) = (node.inputs[0], node.inputs[1]);
    let is_conv = |i: NodeId| matches!(graph.nodes()[i].op, Op::Conv(_));
    let (conv, bias) = if is_conv(a) {
        (a, b)
    } else if is_conv(b) {
        (b, a)
    } else {
        return None;
    };
    let channels = *graph.nodes()[conv].shape.last()?;
    if kept[conv] || users[conv] != [add] || graph.nodes()[bias].shape != vec![channels] {
        return None;
    }
    // A single plain relu consumer (plus relu gradients reading `add`) fuses the relu too.
    let relus: Vec<NodeId> = users[add]
        .iter()
        .copied()
        .filter(|&u| {
            matches!(graph.nodes()[u].op, Op::Unary(_)) && plain_relu(&graph.nodes()[u].op)
        })
        .collect();
    let grads: Vec<NodeId> = users[add]
        .iter()
        .copied()
        .filter(|&u| {
            let n = &graph.nodes()[u];
            matches!(n.op, Op::UnaryGrad(_)) && plain_relu(&n.op) && n.inputs[0] == add
        })
        .collect();
    let only_relu = relus.len() == 1 && users[add].len() == 1 + grads.len();
    if only_relu
        && grads
            .iter()
            .all(|&g| graph.nodes()[g].inputs[1] == relus[0])
    {
        return Some(ConvBiasChain {
            conv,
            add,
            relu: Some(relus[0]),
            bias,
            relu_grads: grads,
        });
    }
    Some(ConvBiasChain {
        conv,
        add,
        relu: None,
        bias,
        relu_grads: vec![],
    })
}

/// `conv -> add(bias) [-> relu]` as `ConvBias`.
pub(super) fn conv_bias(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let chains: Vec<ConvBiasChain> = (0..graph.nodes().len())
        .filter_map(|add| match_conv_bias(graph, &users, kept, add))
        .collect();
    rewrite_each(graph, chains, |fused, c| {
        let Op::Conv(window) = fused.nodes()[c.conv].op.clone() else {
            return Ok(());
        };
        let (x, k) = (
            fused.nodes()[c.conv].inputs[0],
            fused.nodes()[c.conv].inputs[1],
        );
        let target = c.relu.unwrap_or(c.add);
        let relu = c.relu.is_some();
        fused.replace(target, Op::ConvBias { window, relu }, vec![x, k, c.bias])?;
        for g in c.relu_grads {
            let mut inputs = fused.nodes()[g].inputs.clone();
            inputs[0] = target;
            let op = fused.nodes()[g].op.clone();
            fused.replace(g, op, inputs)?;
        }
        Ok(())
    })
}

/// A convolution's input gradient `conv_grad_input(dy, k, x)` and kernel gradient
/// `conv_grad_kernel(x, dy, k)` (made in that order by differentiation) as one `ConvGrads`
/// with the kernel gradient its second output.
pub(super) fn conv_grads(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let needed = |id: NodeId| kept[id] || !users[id].is_empty();
    let nodes = graph.nodes();
    let mut matches: Vec<(NodeId, NodeId)> = Vec::new();
    for (gi, node) in nodes.iter().enumerate() {
        let Op::ConvGradInput(w) = &node.op else {
            continue;
        };
        if !needed(gi) {
            continue;
        }
        let [dy, k, x] = node.inputs[..] else {
            continue;
        };
        let gk = (gi + 1..nodes.len()).find(|&gk| {
            matches!(&nodes[gk].op, Op::ConvGradKernel(wk) if wk == w)
                && nodes[gk].inputs == [x, dy, k]
                && needed(gk)
        });
        if let Some(gk) = gk {
            matches.push((gi, gk));
        }
    }
    rewrite_each(graph, matches, |fused, (gi, gk)| {
        let Op::ConvGradInput(w) = fused.nodes()[gi].op.clone() else {
            return Ok(());
        };
        let inputs = fused.nodes()[gi].inputs.clone();
        fused.replace(gi, Op::ConvGrads(w), inputs)?;
        fused.replace(gk, Op::Output { index: 1 }, vec![gi])?;
        Ok(())
    })
}
