//! Reverse-mode automatic differentiation over the static graph. Gradients are appended to the
//! same graph as ordinary nodes, so any backend that runs the forward ops runs the backward ones.

use crate::error::{CoreError, Result};
use crate::graph::{Graph, NodeId};
use crate::ops::Op;

/// Appends the gradient of `loss` (summed over its elements, as `K.gradients`) with respect to
/// each node of `wrt`. A node that `loss` does not depend on gets a zero gradient.
pub fn gradients(g: &mut Graph, loss: NodeId, wrt: &[NodeId]) -> Result<Vec<NodeId>> {
    let seed = {
        let ones = Op::FillLike { value: 1.0 };
        g.add(ones, &[loss])?
    };
    gradients_with_seed(g, loss, seed, wrt)
}

/// As [`gradients`], with an explicit output gradient `seed` shaped like `loss`.
pub fn gradients_with_seed(
    g: &mut Graph,
    loss: NodeId,
    seed: NodeId,
    wrt: &[NodeId],
) -> Result<Vec<NodeId>> {
    let n = g.nodes().len();
    if loss >= n {
        return Err(CoreError::NotFound(format!(
            "loss node {loss} is not in this graph"
        )));
    }
    // Nodes on a path from a `wrt` node to the loss: only those need gradients.
    let mut reaches_wrt = vec![false; n];
    for &w in wrt {
        g.node(w)?;
        reaches_wrt[w] = true;
    }
    for id in 0..=loss {
        if !reaches_wrt[id] && g.nodes()[id].inputs.iter().any(|&i| reaches_wrt[i]) {
            reaches_wrt[id] = true;
        }
    }
    let mut needed = vec![false; n];
    needed[loss] = reaches_wrt[loss];
    for id in (0..=loss).rev() {
        if needed[id] {
            for &i in &g.nodes()[id].inputs {
                if reaches_wrt[i] {
                    needed[i] = true;
                }
            }
        }
    }
    let mut grad: Vec<Option<NodeId>> = vec![None; n];
    grad[loss] = Some(seed);
    for id in (0..=loss).rev() {
        let Some(dy) = grad[id] else { continue };
        if !needed[id] || g.nodes()[id].inputs.is_empty() {
            continue;
        }
        let inputs = g.nodes()[id].inputs.clone();
        let input_grads = Op::backward(g, id, dy)?;
        for (k, &inp) in inputs.iter().enumerate() {
            let Some(Some(d)) = input_grads.get(k) else {
                continue;
            };
            if !needed[inp] {
                continue;
            }
            grad[inp] = Some(match grad[inp] {
                Some(prev) => g.add2(prev, *d)?,
                None => *d,
            });
        }
    }
    wrt.iter()
        .map(|&w| match grad.get(w).copied().flatten() {
            Some(d) => Ok(d),
            None => g.add(Op::FillLike { value: 0.0 }, &[w]),
        })
        .collect()
}
