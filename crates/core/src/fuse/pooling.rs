//! Pooling rewrites: relu masks into pooling gradients, max-pool routes from the forward pass
//! to the backward pass, and bias gradients summed by the pooling gradients.

use super::{consumers, plain_relu, rewrite_each};
use crate::error::Result;
use crate::graph::{Graph, NodeId};
use crate::ops::{Op, PoolKind};

/// `relu_grad(a, _, pool_grad(a, dy))` (a plain relu's gradient masking a pooling gradient
/// over the same tensor) as one `PoolGrad` with `relu_mask`, when nothing else reads the
/// unmasked gradient.
pub(super) fn pool_grad_relu(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let matches: Vec<(NodeId, NodeId)> = (0..graph.nodes().len())
        .filter_map(|r| {
            let node = &graph.nodes()[r];
            if !matches!(node.op, Op::UnaryGrad(_)) || !plain_relu(&node.op) {
                return None;
            }
            let pg = node.inputs[2];
            let pool = &graph.nodes()[pg];
            let unmasked = matches!(
                pool.op,
                Op::PoolGrad {
                    relu_mask: false,
                    ..
                }
            );
            (unmasked && pool.inputs[0] == node.inputs[0] && users[pg] == [r] && !kept[pg])
                .then_some((r, pg))
        })
        .collect();
    rewrite_each(graph, matches, |fused, (r, pg)| {
        let Op::PoolGrad {
            kind, size, window, ..
        } = fused.nodes()[pg].op.clone()
        else {
            return Ok(());
        };
        let op = Op::PoolGrad {
            kind,
            size,
            window,
            relu_mask: true,
            channel_sums: false,
        };
        let inputs = fused.nodes()[pg].inputs.clone();
        fused.replace(r, op, inputs)?;
        Ok(())
    })
}

/// A bias gradient `sum_like(dz, b)` (rank-1 `b`) of a pooling gradient `dz` as `dz`'s second
/// output: each sample's sums are taken while its gradient is in cache, instead of in another
/// pass over the whole tensor.
pub(super) fn pool_grad_channel_sums(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let nodes = graph.nodes();
    let mut matches: Vec<(NodeId, NodeId)> = Vec::new();
    for (dz, node) in nodes.iter().enumerate() {
        if !matches!(
            node.op,
            Op::PoolGrad {
                channel_sums: false,
                ..
            }
        ) {
            continue;
        }
        let bias_grad = users[dz].iter().copied().find(|&u| {
            matches!(nodes[u].op, Op::SumLike)
                && nodes[u].inputs[0] == dz
                && nodes[nodes[u].inputs[1]].shape.len() == 1
        });
        if let Some(b) = bias_grad {
            matches.push((dz, b));
        }
    }
    rewrite_each(graph, matches, |fused, (dz, bias_grad)| {
        let Op::PoolGrad {
            kind,
            size,
            window,
            relu_mask,
            ..
        } = fused.nodes()[dz].op.clone()
        else {
            return Ok(());
        };
        let op = Op::PoolGrad {
            kind,
            size,
            window,
            relu_mask,
            channel_sums: true,
        };
        let inputs = fused.nodes()[dz].inputs.clone();
        fused.replace(dz, op, inputs)?;
        fused.replace(bias_grad, Op::Output { index: 1 }, vec![dz])?;
        Ok(())
    })
}

/// Longest window (`prod(kernel_size) * in_channels`) whose kernel gradient is fused with the
/// pooling gradient: first layers on a few channels, where the kernel gradient is a light pass
/// over a large output gradient that is then better never written out.
const POOLED_GRAD_MAX_COLUMNS: usize = 32;

/// Whether the convolution kernel `kernel` (shape `(*window, in, out)`) has at most
/// `POOLED_GRAD_MAX_COLUMNS` window columns (`prod(window) * in`), all known.
fn short_window(graph: &Graph, kernel: NodeId) -> bool {
    let kshape = &graph.nodes()[kernel].shape;
    let columns: Option<usize> = kshape[..kshape.len().saturating_sub(1)]
        .iter()
        .copied()
        .product();
    columns.is_some_and(|c| c <= POOLED_GRAD_MAX_COLUMNS)
}

/// One match of `kernel_grad_through_pool`.
struct PooledFirstLayer {
    /// `max_pool(y)`, `y = relu(conv(x, k) + b)` (a `ConvBias`).
    pooled: NodeId,
    /// `pool_grad_relu(y, dp)`.
    dz: NodeId,
    /// `conv_grad_kernel(x, dz, k)`.
    kernel_grad: NodeId,
    /// `sum_like(dz, b)` for a rank-1 `b`, made before `kernel_grad`.
    bias_grad: Option<NodeId>,
}

/// Finds the first-layer pattern around the masked max-pool gradient `dz`, if any.
fn match_pooled_first_layer(
    graph: &Graph,
    users: &[Vec<NodeId>],
    kept: &[bool],
    dz: NodeId,
) -> Option<PooledFirstLayer> {
    let nodes = graph.nodes();
    let Op::PoolGrad {
        kind: PoolKind::Max,
        size,
        window,
        relu_mask: true,
        channel_sums: false,
    } = &nodes[dz].op
    else {
        return None;
    };
    if kept[dz] {
        return None;
    }
    let y = nodes[dz].inputs[0];
    // Users of `dz` that are `op`s reading it as their input `at`.
    let users_of = |op: fn(&Op) -> bool, at: usize| -> Vec<NodeId> {
        users[dz]
            .iter()
            .copied()
            .filter(|&u| op(&nodes[u].op) && nodes[u].inputs[at] == dz)
            .collect()
    };
    let kernel_grads = users_of(|op| matches!(op, Op::ConvGradKernel(_)), 1);
    let bias_grads = users_of(|op| matches!(op, Op::SumLike), 0);
    let [kernel_grad] = kernel_grads[..] else {
        return None;
    };
    if 1 + bias_grads.len() != users[dz].len() || !short_window(graph, nodes[kernel_grad].inputs[2])
    {
        return None;
    }
    // `y` must be this convolution's relu output with its bias, read only by the pooling
    // and its gradient, so the pooling can take over the convolution.
    let gk_inputs = &nodes[kernel_grad].inputs;
    let same_conv = matches!(&nodes[y].op, Op::ConvBias { window: w, relu: true }
            if matches!(&nodes[kernel_grad].op, Op::ConvGradKernel(gw) if gw == w))
        && nodes[y].inputs[..2] == [gk_inputs[0], gk_inputs[2]];
    let [a, b] = users[y][..] else {
        return None;
    };
    let pooled = if a == dz { b } else { a };
    let pools_y = matches!(&nodes[pooled].op, Op::Pool { kind: PoolKind::Max, size: s, window: w }
            if s == size && w == window);
    let bias_grad = match bias_grads[..] {
        [] => None,
        [b] if nodes[nodes[b].inputs[1]].shape.len() == 1 && b < kernel_grad => Some(b),
        _ => return None,
    };
    (same_conv && pools_y && !kept[y] && pooled < dz).then_some(PooledFirstLayer {
        pooled,
        dz,
        kernel_grad,
        bias_grad,
    })
}

/// For a first-layer-like convolution `y = relu(conv(x, k) + b)` followed by max pooling,
/// whose masked pooling gradient `dz = pool_grad_relu(y, dp)` feeds only the kernel gradient
/// and bias gradients: `y` becomes a two-output `ConvReluMaxPool` (each sample's activation
/// pooled while in cache and never written; its outputs the routes, then the pooled values,
/// which the pooling node now reads), `dz` is retired, and the kernel gradient takes
/// `(x, routes, dp, k)` and makes each sample's `dz` in cache from them. The bias gradient `sum_like(dz, b)`, if any (one,
/// made before the kernel gradient, as differentiation orders them), is summed from each
/// sample's `dz` by the same kernel: its first output, the kernel gradient its second.
pub(super) fn kernel_grad_through_pool(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let matches: Vec<PooledFirstLayer> = (0..graph.nodes().len())
        .filter_map(|dz| match_pooled_first_layer(graph, &users, kept, dz))
        .collect();
    rewrite_each(graph, matches, |fused, m| {
        let (
            Op::ConvGradKernel(window),
            Op::Pool {
                size,
                window: pool_window,
                ..
            },
        ) = (
            fused.nodes()[m.kernel_grad].op.clone(),
            fused.nodes()[m.pooled].op.clone(),
        )
        else {
            return Ok(());
        };
        let (y, dp) = (fused.nodes()[m.dz].inputs[0], fused.nodes()[m.dz].inputs[1]);
        let conv_inputs = fused.nodes()[y].inputs.clone();
        let (x, k) = (conv_inputs[0], conv_inputs[1]);
        let forward = Op::ConvReluMaxPool {
            window: window.clone(),
            pool_size: size.clone(),
            pool_window: pool_window.clone(),
            routes: true,
        };
        // `y` now holds the routes, the pooling node the pooled values.
        fused.redefine(y, forward, conv_inputs)?;
        fused.replace(m.pooled, Op::Output { index: 1 }, vec![y])?;
        fused.retire(m.dz)?;
        let backward = Op::ConvGradKernelPooled {
            window,
            pool_size: size,
            pool_window,
            with_bias: m.bias_grad.is_some(),
        };
        let inputs = vec![x, y, dp, k];
        match m.bias_grad {
            Some(b) => {
                fused.replace(b, backward, inputs)?;
                fused.replace(m.kernel_grad, Op::Output { index: 1 }, vec![b])?;
            }
            None => fused.replace(m.kernel_grad, backward, inputs)?,
        }
        Ok(())
    })
}

/// `max_pool(y)` of `y = relu(conv(x, k) + b)` (a `ConvBias` with relu) that nothing else
/// reads (a forward pass) as one `ConvReluMaxPool`: each sample's (direct kernels) or each
/// output tile's (Winograd) activation is pooled while in cache and never written out.
pub(super) fn conv_relu_pool(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let nodes = graph.nodes();
    let matches: Vec<NodeId> = (0..nodes.len())
        .filter(|&p| {
            let Op::Pool {
                kind: PoolKind::Max,
                ..
            } = nodes[p].op
            else {
                return false;
            };
            let y = nodes[p].inputs[0];
            let Op::ConvBias { relu: true, .. } = nodes[y].op else {
                return false;
            };
            !kept[y] && users[y] == [p]
        })
        .collect();
    rewrite_each(graph, matches, |fused, p| {
        let Op::Pool { size, window, .. } = fused.nodes()[p].op.clone() else {
            return Ok(());
        };
        let y = fused.nodes()[p].inputs[0];
        let Op::ConvBias {
            window: conv_window,
            ..
        } = fused.nodes()[y].op.clone()
        else {
            return Ok(());
        };
        let op = Op::ConvReluMaxPool {
            window: conv_window,
            pool_size: size,
            pool_window: window,
            routes: false,
        };
        let inputs = fused.nodes()[y].inputs.clone();
        fused.replace(p, op, inputs)?;
        Ok(())
    })
}

/// `p = max_pool(y)` of `y = relu(conv(x, k) + b)` whose masked pooling gradient
/// `dz = pool_grad_relu(y, dp)` is, with `p`, all that reads `y`: `y` becomes a two-output
/// `ConvReluMaxPool` (the routes, then the pooled values `p` now reads) and `dz` a
/// `MaxPoolGradRouted` from the routes, so the activation `y` is never written or read back.
pub(super) fn conv_relu_pool_routes(graph: &Graph, kept: &[bool]) -> Result<Option<Graph>> {
    let users = consumers(graph, kept);
    let nodes = graph.nodes();
    // (y, pooling, its gradient, y's spatial dimensions)
    let mut matches: Vec<(NodeId, NodeId, NodeId, Vec<usize>)> = Vec::new();
    for (y, node) in nodes.iter().enumerate() {
        if !matches!(node.op, Op::ConvBias { relu: true, .. }) || kept[y] {
            continue;
        }
        let [a, b] = users[y][..] else { continue };
        let (p, dz) = if matches!(nodes[a].op, Op::Pool { .. }) {
            (a, b)
        } else {
            (b, a)
        };
        let (
            Op::Pool {
                kind: PoolKind::Max,
                size,
                window,
            },
            Op::PoolGrad {
                kind: PoolKind::Max,
                size: gs,
                window: gw,
                relu_mask: true,
                ..
            },
        ) = (&nodes[p].op, &nodes[dz].op)
        else {
            continue;
        };
        let spatial: Option<Vec<usize>> = node.shape[1..node.shape.len() - 1]
            .iter()
            .copied()
            .collect();
        let pair = nodes[p].inputs == [y] && nodes[dz].inputs[0] == y && p < dz;
        if let (true, true, Some(spatial)) = (pair, size == gs && window == gw, spatial) {
            matches.push((y, p, dz, spatial));
        }
    }
    rewrite_each(graph, matches, |fused, (y, p, dz, spatial)| {
        let (
            Op::ConvBias {
                window: conv_window,
                ..
            },
            Op::PoolGrad {
                size,
                window,
                channel_sums,
                ..
            },
        ) = (fused.nodes()[y].op.clone(), fused.nodes()[dz].op.clone())
        else {
            return Ok(());
        };
        let forward = Op::ConvReluMaxPool {
            window: conv_window,
            pool_size: size.clone(),
            pool_window: window.clone(),
            routes: true,
        };
        let conv_inputs = fused.nodes()[y].inputs.clone();
        fused.redefine(y, forward, conv_inputs)?;
        fused.replace(p, Op::Output { index: 1 }, vec![y])?;
        let dp = fused.nodes()[dz].inputs[1];
        let backward = Op::MaxPoolGradRouted {
            size,
            window,
            spatial,
            channel_sums,
        };
        fused.replace(dz, backward, vec![y, dp])?;
        Ok(())
    })
}
