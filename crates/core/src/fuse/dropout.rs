//! Dropout rewrites.

use super::{consumers, rewrite_each};
use crate::error::Result;
use crate::graph::{Graph, NodeId};
use crate::ops::{BinaryOp, Distribution, Op};

/// `random_binomial(p) * c` for a scalar constant `c` (a dropout mask and its scale) as one
/// draw of `c` with probability `p`, when nothing else reads the unscaled mask.
pub(super) fn scaled_binomial(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let nodes = graph.nodes();
    let scalar = |i: NodeId| match &nodes[i].op {
        Op::Const(c) if c.ndim() == 0 => c.iter().next().copied(),
        _ => None,
    };
    let matches: Vec<(NodeId, NodeId, f32)> = (0..nodes.len())
        .filter_map(|mul| {
            if !matches!(nodes[mul].op, Op::Binary(BinaryOp::Mul)) {
                return None;
            }
            let (a, b) = (nodes[mul].inputs[0], nodes[mul].inputs[1]);
            let (mask, c) = match (scalar(a), scalar(b)) {
                (None, Some(c)) => (a, c),
                (Some(c), None) => (b, c),
                _ => return None,
            };
            let binomial = matches!(
                nodes[mask].op,
                Op::Random {
                    dist: Distribution::Binomial { .. },
                    ..
                }
            );
            (binomial && !kept[mask] && users[mask] == [mul]).then_some((mul, mask, c))
        })
        .collect();
    rewrite_each(graph, matches, |fused, (mul, mask, c)| {
        let Op::Random {
            dist: Distribution::Binomial { p, value },
            shape,
        } = fused.nodes()[mask].op.clone()
        else {
            return Ok(());
        };
        let op = Op::Random {
            dist: Distribution::Binomial {
                p,
                value: value * c,
            },
            shape,
        };
        let inputs = fused.nodes()[mask].inputs.clone();
        fused.replace(mul, op, inputs)?;
        Ok(())
    })
}
