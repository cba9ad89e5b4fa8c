//! Reductions: sum, mean, max, min, prod, var, std over any axes (keepdims or not), argmax/argmin.

use crate::attrs::Attrs;
use crate::error::{shape_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::{BinaryOp, Op};
use crate::shape::{fmt_shape, norm_axes, norm_axis, SymShape};

/// Kinds of reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Sum.
    Sum,
    /// Arithmetic mean.
    Mean,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
    /// Product.
    Prod,
    /// Population variance (as `K.var`).
    Var,
    /// Population standard deviation (as `K.std`).
    Std,
}

impl ReduceOp {
    /// Front-end name.
    pub fn name(&self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::Prod => "prod",
            ReduceOp::Var => "var",
            ReduceOp::Std => "std",
        }
    }
}

/// Builds a reduction from its name, or `None` if the name is not in this family.
pub fn from_name(name: &str, a: &Attrs, inputs: &[SymShape]) -> Result<Option<Op>> {
    let kind = match name {
        "sum" => ReduceOp::Sum,
        "mean" => ReduceOp::Mean,
        "max" => ReduceOp::Max,
        "min" => ReduceOp::Min,
        "prod" => ReduceOp::Prod,
        "var" => ReduceOp::Var,
        "std" => ReduceOp::Std,
        "argmax" | "argmin" => {
            let rank = inputs.first().map_or(0, |s| s.len());
            let axis = norm_axis(name, a.int(name, "axis", Some(-1))?, rank)?;
            return Ok(Some(Op::ArgReduce {
                max: name == "argmax",
                axis,
                keepdims: a.bool(name, "keepdims", false)?,
            }));
        }
        _ => return Ok(None),
    };
    let rank = inputs.first().map_or(0, |s| s.len());
    let axes = norm_axes(name, &a.ints(name, "axis", Some(vec![]))?, rank)?;
    Ok(Some(Op::Reduce {
        kind,
        axes,
        keepdims: a.bool(name, "keepdims", false)?,
    }))
}

/// The shape left after reducing `axes` of `s`.
pub fn reduced_shape(s: &[Option<usize>], axes: &[usize], keepdims: bool) -> SymShape {
    s.iter()
        .enumerate()
        .filter_map(|(i, &d)| match (axes.contains(&i), keepdims) {
            (true, true) => Some(Some(1)),
            (true, false) => None,
            (false, _) => Some(d),
        })
        .collect()
}

/// Shape inference for the family.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let name = op.name();
    let x = &inputs[0];
    let check_axes = |axes: &[usize], rank: usize| -> Result<()> {
        match axes.iter().find(|&&a| a >= rank) {
            Some(a) => shape_err(&name, format!("axis {a} is out of range for rank {rank}")),
            None => Ok(()),
        }
    };
    // Max, min and their indices have no identity: an empty reduced axis is an error (NumPy).
    let no_empty = |axes: &[usize]| -> Result<()> {
        match axes.iter().find(|&&a| x[a] == Some(0)) {
            Some(a) => shape_err(
                &name,
                format!(
                    "cannot reduce axis {a} of {}: it has length 0",
                    fmt_shape(x)
                ),
            ),
            None => Ok(()),
        }
    };
    match op {
        Op::Reduce {
            kind,
            axes,
            keepdims,
        } => {
            check_axes(axes, x.len())?;
            if matches!(kind, ReduceOp::Max | ReduceOp::Min) {
                no_empty(axes)?;
            }
            Ok(reduced_shape(x, axes, *keepdims))
        }
        Op::ArgReduce { axis, keepdims, .. } => {
            check_axes(&[*axis], x.len())?;
            no_empty(&[*axis])?;
            Ok(reduced_shape(x, &[*axis], *keepdims))
        }
        Op::ReduceGrad { axes, .. } => {
            let target = &inputs[1];
            check_axes(axes, target.len())?;
            let keep = reduced_shape(target, axes, true);
            let drop = reduced_shape(target, axes, false);
            if *x != keep && *x != drop {
                return shape_err(&name, "dy does not match the reduced shape of x");
            }
            Ok(target.clone())
        }
        Op::ProdGrad { axes } => {
            check_axes(axes, x.len())?;
            Ok(x.clone())
        }
        _ => shape_err(&name, "not a reduction"),
    }
}

/// Backward rules for the family.
pub fn backward(g: &mut Graph, n: &Node, node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let x = n.inputs[0];
    match &n.op {
        Op::Reduce {
            kind,
            axes,
            keepdims,
        } => {
            let axes = axes.clone();
            let sum_grad = |g: &mut Graph, mean: bool| {
                g.add(
                    Op::ReduceGrad {
                        axes: axes.clone(),
                        mean,
                    },
                    &[dy, x],
                )
            };
            let dx = match kind {
                ReduceOp::Sum => sum_grad(g, false)?,
                ReduceOp::Mean => sum_grad(g, true)?,
                ReduceOp::Prod => {
                    let dyb = sum_grad(g, false)?;
                    g.add(Op::ProdGrad { axes: axes.clone() }, &[x, dyb])?
                }
                ReduceOp::Max | ReduceOp::Min => {
                    let yk = keep_dims(g, node, &axes, *keepdims)?;
                    let mask = g.binary(BinaryOp::Equal, x, yk)?;
                    let count = g.reduce_sum_keep(mask, axes.clone())?;
                    let dyk = keep_dims(g, dy, &axes, *keepdims)?;
                    let share = g.binary(BinaryOp::Div, dyk, count)?;
                    g.binary(BinaryOp::Mul, mask, share)?
                }
                ReduceOp::Var | ReduceOp::Std => {
                    let m = g.add(
                        Op::Reduce {
                            kind: ReduceOp::Mean,
                            axes: axes.clone(),
                            keepdims: true,
                        },
                        &[x],
                    )?;
                    let centered = g.binary(BinaryOp::Sub, x, m)?;
                    let dym = sum_grad(g, true)?;
                    let t = g.binary(BinaryOp::Mul, dym, centered)?;
                    if *kind == ReduceOp::Var {
                        g.scale(t, 2.0)?
                    } else {
                        let sk = keep_dims(g, node, &axes, *keepdims)?;
                        g.binary(BinaryOp::Div, t, sk)?
                    }
                }
            };
            Ok(vec![Some(dx)])
        }
        Op::ReduceGrad { axes, mean } => {
            let dy_shape = g.shape(x)?.clone();
            let target_rank = g.shape(n.inputs[1])?.len();
            let kind = if *mean { ReduceOp::Mean } else { ReduceOp::Sum };
            let keepdims = dy_shape.len() == target_rank;
            let d = g.add(
                Op::Reduce {
                    kind,
                    axes: axes.clone(),
                    keepdims,
                },
                &[dy],
            )?;
            Ok(vec![Some(d), None])
        }
        _ => Ok(vec![None; n.inputs.len()]),
    }
}

/// Reinserts reduced axes (as length 1) into a reduction's output when they were dropped.
fn keep_dims(g: &mut Graph, id: NodeId, axes: &[usize], keepdims: bool) -> Result<NodeId> {
    if keepdims {
        return Ok(id);
    }
    let mut cur = id;
    for &a in axes {
        cur = g.add(Op::ExpandDims { axis: a }, &[cur])?;
    }
    Ok(cur)
}
