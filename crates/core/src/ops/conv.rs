//! Convolution and pooling over 1 to 3 spatial axes, channels last (`(N, *spatial, C)`), with
//! Keras's kernel layout `(*kernel_size, C_in, C_out)` and TF/Keras padding arithmetic.

use crate::attrs::Attrs;
use crate::error::{arg_err, shape_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::Op;
use crate::shape::{fmt_shape, Dim, SymShape};

/// How the borders are padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding: windows stay inside the input.
    Valid,
    /// Output length `ceil(input / stride)`, padding split with the extra element after.
    Same,
    /// All padding before (1 spatial axis): output `t` sees inputs up to `t` only.
    Causal,
}

impl Padding {
    fn parse(op: &str, s: &str) -> Result<Padding> {
        match s {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            "causal" => Ok(Padding::Causal),
            other => arg_err(
                op,
                format!("padding must be 'valid', 'same' or 'causal', got '{other}'"),
            ),
        }
    }
}

/// Geometry of a convolution or pooling window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Strides per spatial axis.
    pub strides: Vec<usize>,
    /// Dilation per spatial axis (1 for pooling).
    pub dilation: Vec<usize>,
    /// Padding mode.
    pub padding: Padding,
}

impl Window {
    /// Output length and padding before, for an input of length `s` and window length `k` on
    /// spatial axis `axis`; `None` when the window does not fit.
    pub fn out_len(&self, axis: usize, s: usize, k: usize) -> Option<(usize, usize)> {
        let (stride, dil) = (self.strides[axis], self.dilation[axis]);
        let k_eff = dil * (k.max(1) - 1) + 1;
        match self.padding {
            Padding::Valid => (s >= k_eff).then(|| ((s - k_eff) / stride + 1, 0)),
            Padding::Same => {
                let out = s.div_ceil(stride);
                let total = ((out.max(1) - 1) * stride + k_eff).saturating_sub(s);
                Some((out, total / 2))
            }
            Padding::Causal => {
                let pb = k_eff - 1;
                Some(((s + pb - k_eff) / stride + 1, pb))
            }
        }
    }
}

/// Pooling kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// Maximum over the window (padding never wins).
    Max,
    /// Mean over the window's in-bounds elements.
    Avg,
}

fn window(
    op: &str,
    a: &Attrs,
    rank: usize,
    dilation_key: Option<&str>,
    default_strides: Option<Vec<i64>>,
) -> Result<Window> {
    let spatial = rank.saturating_sub(2);
    if !(1..=3).contains(&spatial) {
        return arg_err(op, format!("expected an input of rank 3 to 5 (batch, 1-3 spatial axes, channels), got rank {rank}"));
    }
    let list = |key: &str, default: Option<Vec<i64>>| -> Result<Vec<usize>> {
        let v = a.ints(op, key, default.or(Some(vec![1; spatial])))?;
        let v = if v.len() == 1 { vec![v[0]; spatial] } else { v };
        if v.len() != spatial || v.iter().any(|&d| d < 1) {
            return arg_err(
                op,
                format!("{key} needs {spatial} positive ints, got {v:?}"),
            );
        }
        Ok(v.iter().map(|&d| d as usize).collect())
    };
    let strides = list("strides", default_strides)?;
    let dilation = match dilation_key {
        Some(k) => list(k, None)?,
        None => vec![1; spatial],
    };
    let padding = Padding::parse(op, &a.string(op, "padding", Some("valid"))?)?;
    if padding == Padding::Causal && spatial != 1 {
        return arg_err(op, "causal padding is only for one spatial axis (Conv1D)");
    }
    if dilation.iter().any(|&d| d > 1) && strides.iter().any(|&s| s > 1) {
        return arg_err(op, format!("strides {strides:?} > 1 with dilation_rate {dilation:?} > 1 is not supported (as in Keras)"));
    }
    Ok(Window {
        strides,
        dilation,
        padding,
    })
}

/// Builds a convolution or pooling op from its name, or `None` if the name is not in this
/// family.
pub fn from_name(name: &str, a: &Attrs, inputs: &[SymShape]) -> Result<Option<Op>> {
    let rank = inputs.first().map_or(0, |s| s.len());
    Ok(Some(match name {
        "conv" => Op::Conv(window(name, a, rank, Some("dilation_rate"), None)?),
        "depthwise_conv" => Op::DepthwiseConv(window(name, a, rank, Some("dilation_rate"), None)?),
        "conv_transpose" => {
            let w = window(name, a, rank, Some("dilation_rate"), None)?;
            if w.padding == Padding::Causal {
                return arg_err(
                    name,
                    "transposed convolution supports 'valid' or 'same' padding",
                );
            }
            let output_padding = match a.opt_ints(name, "output_padding")? {
                None => None,
                Some(v) => {
                    let spatial = rank.saturating_sub(2);
                    let v = if v.len() == 1 { vec![v[0]; spatial] } else { v };
                    if v.len() != spatial || v.iter().any(|&p| p < 0) {
                        return arg_err(
                            name,
                            format!("output_padding needs {spatial} non-negative ints, got {v:?}"),
                        );
                    }
                    let v: Vec<usize> = v.iter().map(|&p| p as usize).collect();
                    if let Some(i) = (0..spatial).find(|&i| v[i] >= w.strides[i]) {
                        return arg_err(
                            name,
                            format!(
                                "strides {:?} must be greater than output_padding {v:?} (axis {i})",
                                w.strides
                            ),
                        );
                    }
                    Some(v)
                }
            };
            Op::ConvTranspose {
                window: w,
                output_padding,
            }
        }
        "max_pool" | "avg_pool" => {
            let spatial = rank.saturating_sub(2).max(1);
            let pool = a.ints(name, "pool_size", Some(vec![2; spatial]))?;
            let pool = if pool.len() == 1 {
                vec![pool[0]; spatial]
            } else {
                pool
            };
            if pool.len() != spatial || pool.iter().any(|&p| p < 1) {
                return arg_err(
                    name,
                    format!("pool_size needs {spatial} positive ints, got {pool:?}"),
                );
            }
            let w = window(name, a, rank, None, Some(pool.clone()))?;
            let kind = if name == "max_pool" {
                PoolKind::Max
            } else {
                PoolKind::Avg
            };
            Op::Pool {
                kind,
                size: pool.iter().map(|&p| p as usize).collect(),
                window: w,
            }
        }
        _ => return Ok(None),
    }))
}

fn spatial_out(op: &str, w: &Window, x: &[Dim], k: &[usize]) -> Result<Vec<Dim>> {
    let spatial = &x[1..x.len() - 1];
    if spatial.len() != w.strides.len() || k.len() != spatial.len() {
        return shape_err(
            op,
            format!(
                "input {} does not have {} spatial axes",
                fmt_shape(x),
                w.strides.len()
            ),
        );
    }
    spatial
        .iter()
        .zip(k)
        .enumerate()
        .map(|(i, (&s, &kk))| match s {
            None => Ok(None),
            Some(s) => match w.out_len(i, s, kk) {
                Some((o, _)) => Ok(Some(o)),
                None => shape_err(
                    op,
                    format!(
                        "the window ({kk} with dilation {}) is larger than the input's spatial axis {i} of length {s} (input {}); use padding='same' or a smaller kernel",
                        w.dilation[i],
                        fmt_shape(x)
                    ),
                ),
            },
        })
        .collect()
}

/// The kernel's dimensions, checked to be known, of the input's rank, and (at
/// `channel_axis`, counted from the end) to match the input's channel count.
fn kernel_dims(name: &str, x: &[Dim], k: &[Dim], channel_axis: usize) -> Result<Vec<usize>> {
    let kdims: Option<Vec<usize>> = k.iter().copied().collect();
    let Some(kdims) = kdims.filter(|d| d.len() == x.len()) else {
        return shape_err(
            name,
            format!(
                "kernel {} must be known and have the input's rank ({})",
                fmt_shape(k),
                fmt_shape(x)
            ),
        );
    };
    let cin = kdims[kdims.len() - channel_axis];
    if let Some(c) = x[x.len() - 1] {
        if c != cin {
            return shape_err(
                name,
                format!(
                    "input {} has {c} channels, the kernel {} expects {cin}",
                    fmt_shape(x),
                    fmt_shape(k)
                ),
            );
        }
    }
    Ok(kdims)
}

/// Shape inference for the family.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let name = op.name();
    let x = &inputs[0];
    match op {
        Op::Conv(w) | Op::ConvBias { window: w, .. } => {
            let kdims = kernel_dims(&name, x, &inputs[1], 2)?;
            let cout = kdims[kdims.len() - 1];
            if let Some(bias) = inputs.get(2) {
                if bias != &vec![Some(cout)] {
                    return shape_err(&name, format!("bias {} must be ({cout},)", fmt_shape(bias)));
                }
            }
            let mut out = vec![x[0]];
            out.extend(spatial_out(&name, w, x, &kdims[..kdims.len() - 2])?);
            out.push(Some(cout));
            Ok(out)
        }
        Op::ConvTranspose {
            window: w,
            output_padding,
        } => {
            let kdims = kernel_dims(&name, x, &inputs[1], 1)?;
            let cout = kdims[kdims.len() - 2];
            let mut out = vec![x[0]];
            for (i, d) in x[1..x.len() - 1].iter().enumerate() {
                let (kk, stride) = (kdims[i], w.strides[i]);
                // Keras measures the output with the dilated kernel.
                let k_eff = (kk.max(1) - 1) * w.dilation[i] + 1;
                let Some(d) = *d else {
                    out.push(None);
                    continue;
                };
                let len = match output_padding {
                    // Keras's deconv_output_length with output_padding.
                    Some(op) => {
                        let pad = if w.padding == Padding::Same {
                            k_eff / 2
                        } else {
                            0
                        };
                        ((d.max(1) - 1) * stride + k_eff + op[i]).checked_sub(2 * pad)
                    }
                    None if w.padding == Padding::Same => Some(d * stride),
                    None => Some(d * stride + k_eff.saturating_sub(stride)),
                };
                // The convolution this transposes must map the output back to the input.
                let back = len.and_then(|l| w.out_len(i, l, kk)).map(|(o, _)| o);
                if back != Some(d) {
                    return shape_err(
                        &name,
                        format!(
                            "no output length on spatial axis {i} maps back to the input's {d} (kernel {kk}, \
                             stride {stride}, output_padding {output_padding:?}, padding {:?})",
                            w.padding
                        ),
                    );
                }
                out.push(len);
            }
            out.push(Some(cout));
            Ok(out)
        }
        Op::DepthwiseConv(w) => {
            let kdims = kernel_dims(&name, x, &inputs[1], 2)?;
            let (cin, mult) = (kdims[kdims.len() - 2], kdims[kdims.len() - 1]);
            let mut out = vec![x[0]];
            out.extend(spatial_out(&name, w, x, &kdims[..kdims.len() - 2])?);
            out.push(Some(cin * mult));
            Ok(out)
        }
        Op::DepthwiseConvGradInput(_) | Op::DepthwiseConvGradKernel(_) => Ok(inputs[2].clone()),
        Op::ConvGradKernelPooled { with_bias, .. } => {
            if inputs[1] != inputs[2] {
                return shape_err(
                    &name,
                    format!(
                        "routes {} and pooled gradient {} differ in shape",
                        fmt_shape(&inputs[1]),
                        fmt_shape(&inputs[2])
                    ),
                );
            }
            let kernel = inputs[3].clone();
            // With the bias gradient, it is the first output: one value per output channel.
            Ok(if *with_bias {
                vec![kernel.last().copied().flatten()]
            } else {
                kernel
            })
        }
        Op::ConvReluMaxPool {
            window,
            pool_size,
            pool_window,
            ..
        } => {
            let y = infer(&Op::Conv(window.clone()), &inputs[..2])?;
            let pool = Op::Pool {
                kind: PoolKind::Max,
                size: pool_size.clone(),
                window: pool_window.clone(),
            };
            infer(&pool, &[y])
        }
        Op::ConvGradInput(_) | Op::ConvGrads(_) => Ok(inputs[2].clone()),
        Op::ConvGradKernel(_) => Ok(inputs[2].clone()),
        Op::Pool { size, window, .. } => {
            if x.len() != size.len() + 2 {
                return shape_err(
                    &name,
                    format!(
                        "input {} does not have {} spatial axes",
                        fmt_shape(x),
                        size.len()
                    ),
                );
            }
            let mut out = vec![x[0]];
            out.extend(spatial_out(&name, window, x, size)?);
            out.push(x[x.len() - 1]);
            Ok(out)
        }
        Op::PoolGrad { .. } => Ok(x.clone()),
        Op::MaxPoolGradRouted {
            size,
            window,
            spatial,
            ..
        } => {
            let (routes, dy) = (&inputs[0], &inputs[1]);
            let mut unpooled = vec![dy.first().copied().flatten()];
            unpooled.extend(spatial.iter().map(|&d| Some(d)));
            unpooled.push(dy.last().copied().flatten());
            let pool = Op::Pool {
                kind: PoolKind::Max,
                size: size.clone(),
                window: window.clone(),
            };
            let pooled = infer(&pool, std::slice::from_ref(&unpooled))?;
            if routes != dy || *dy != pooled {
                return shape_err(
                    &name,
                    format!(
                        "routes {} and pooled gradient {} must both pool {} to {}",
                        fmt_shape(routes),
                        fmt_shape(dy),
                        fmt_shape(&unpooled),
                        fmt_shape(&pooled)
                    ),
                );
            }
            Ok(unpooled)
        }
        _ => shape_err(&name, "not a convolution op"),
    }
}

/// Backward rules for the family.
pub fn backward(g: &mut Graph, n: &Node, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    match &n.op {
        Op::Conv(w) => {
            let (x, k) = (n.inputs[0], n.inputs[1]);
            let dx = g.add(Op::ConvGradInput(w.clone()), &[dy, k, x])?;
            let dk = g.add(Op::ConvGradKernel(w.clone()), &[x, dy, k])?;
            Ok(vec![Some(dx), Some(dk)])
        }
        Op::DepthwiseConv(w) => {
            let (x, k) = (n.inputs[0], n.inputs[1]);
            let dx = g.add(Op::DepthwiseConvGradInput(w.clone()), &[dy, k, x])?;
            let dk = g.add(Op::DepthwiseConvGradKernel(w.clone()), &[x, dy, k])?;
            Ok(vec![Some(dx), Some(dk)])
        }
        Op::ConvTranspose { window: w, .. } => {
            // y = conv^T(x): dx = conv(dy), dk = the conv kernel gradient with dy as its input.
            let (x, k) = (n.inputs[0], n.inputs[1]);
            let dx = g.add(Op::Conv(w.clone()), &[dy, k])?;
            let dk = g.add(Op::ConvGradKernel(w.clone()), &[dy, x, k])?;
            Ok(vec![Some(dx), Some(dk)])
        }
        Op::Pool { kind, size, window } => {
            let op = Op::PoolGrad {
                kind: *kind,
                size: size.clone(),
                window: window.clone(),
                relu_mask: false,
                channel_sums: false,
            };
            Ok(vec![Some(g.add(op, &[n.inputs[0], dy])?)])
        }
        Op::ConvBias { .. } | Op::ConvGradKernelPooled { .. } | Op::ConvReluMaxPool { .. } => {
            Err(crate::error::CoreError::Graph(format!(
                "{} is made by the fusion pass after differentiation and has no gradient rule",
                n.op.name()
            )))
        }
        _ => Ok(vec![None; n.inputs.len()]),
    }
}
