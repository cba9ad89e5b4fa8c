//! Structural ops: transpose, reshape, expand/squeeze, broadcasting helpers, concatenate, slice,
//! pad, gather, tile, repeat, one_hot.

use crate::attrs::Attrs;
use crate::error::{arg_err, shape_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::{Op, SliceSpec};
use crate::shape::{broadcast, fmt_shape, norm_axis, Dim, SymShape};

/// Sentinel for an omitted slice bound in front-end attributes (`x[:3]`, `x[1:]`).
pub const NO_INDEX: i64 = i64::MIN;

/// Builds a structural op from its name, or `None` if the name is not in this family.
pub fn from_name(name: &str, a: &Attrs, inputs: &[SymShape]) -> Result<Option<Op>> {
    let rank = inputs.first().map_or(0, |s| s.len());
    Ok(Some(match name {
        "transpose" | "permute_dimensions" => {
            let default: Vec<i64> = (0..rank as i64).rev().collect();
            let perm = a.ints(name, "perm", Some(default))?;
            let perm = perm
                .iter()
                .map(|&p| norm_axis(name, p, rank))
                .collect::<Result<Vec<_>>>()?;
            Op::Transpose { perm }
        }
        "reshape" => Op::Reshape {
            shape: a.ints(name, "shape", None)?,
        },
        "reshape_like" => Op::ReshapeLike,
        "expand_dims" => Op::ExpandDims {
            axis: norm_axis(name, a.int(name, "axis", Some(-1))?, rank + 1)?,
        },
        "squeeze" => Op::Squeeze {
            axis: norm_axis(name, a.int(name, "axis", Some(-1))?, rank)?,
        },
        "sum_like" => Op::SumLike,
        "broadcast_like" => Op::BroadcastLike,
        "zeros_like" => Op::FillLike { value: 0.0 },
        "ones_like" => Op::FillLike { value: 1.0 },
        "fill_like" => Op::FillLike {
            value: a.float(name, "value", None)? as f32,
        },
        "concatenate" => Op::Concat {
            axis: norm_axis(name, a.int(name, "axis", Some(-1))?, rank)?,
        },
        "slice" => {
            let start = a.ints(name, "start", None)?;
            let stop = a.ints(name, "stop", None)?;
            let step = a.ints(name, "step", Some(vec![1; start.len()]))?;
            if start.len() != rank || stop.len() != rank || step.len() != rank {
                return arg_err(
                    name,
                    format!("start, stop and step need one entry per axis ({rank})"),
                );
            }
            if step.contains(&0) {
                return arg_err(name, "slice step cannot be zero");
            }
            let opt = |v: i64| if v == NO_INDEX { None } else { Some(v) };
            let spec = (0..rank)
                .map(|i| SliceSpec {
                    start: opt(start[i]),
                    stop: opt(stop[i]),
                    step: step[i],
                })
                .collect();
            Op::Slice { spec }
        }
        "pad" => {
            let p = a.ints(name, "pads", None)?;
            if p.len() != 2 * rank || p.iter().any(|&v| v < 0) {
                return arg_err(
                    name,
                    format!(
                        "pads needs {} non-negative ints (before, after per axis), got {p:?}",
                        2 * rank
                    ),
                );
            }
            let pads = p
                .chunks(2)
                .map(|c| (c[0] as usize, c[1] as usize))
                .collect();
            Op::Pad {
                pads,
                value: a.float(name, "value", Some(0.0))? as f32,
            }
        }
        "gather" => Op::Gather {
            axis: norm_axis(name, a.int(name, "axis", Some(0))?, rank)?,
        },
        "tile" => {
            let reps = a.ints(name, "reps", None)?;
            if reps.len() != rank || reps.iter().any(|&r| r < 1) {
                return arg_err(
                    name,
                    format!("reps needs {rank} positive ints, got {reps:?}"),
                );
            }
            Op::Tile {
                reps: reps.iter().map(|&r| r as usize).collect(),
            }
        }
        "repeat" | "repeat_elements" => {
            let r = a.int(name, "repeats", None)?;
            if r < 1 {
                return arg_err(name, format!("repeats must be positive, got {r}"));
            }
            Op::Repeat {
                repeats: r as usize,
                axis: norm_axis(name, a.int(name, "axis", None)?, rank)?,
            }
        }
        "one_hot" => {
            let d = a.int(name, "num_classes", None)?;
            if d < 1 {
                return arg_err(name, format!("num_classes must be positive, got {d}"));
            }
            Op::OneHot { depth: d as usize }
        }
        _ => return Ok(None),
    }))
}

/// Resolves one axis of a slice against a known length: `(first, count)`.
pub fn slice_range(s: &SliceSpec, len: usize) -> (i64, usize) {
    let n = len as i64;
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64| if v < 0 { v + n } else { v };
    if s.step > 0 {
        let start = s.start.map_or(0, |v| clamp(norm(v), 0, n));
        let stop = s.stop.map_or(n, |v| clamp(norm(v), 0, n));
        let count = if stop > start {
            (stop - start + s.step - 1) / s.step
        } else {
            0
        };
        (start, count as usize)
    } else {
        let start = s.start.map_or(n - 1, |v| clamp(norm(v), -1, n - 1));
        let stop = s.stop.map_or(-1, |v| clamp(norm(v), -1, n - 1));
        let count = if start > stop {
            (start - stop - s.step - 1) / -s.step
        } else {
            0
        };
        (start, count as usize)
    }
}

fn reshape_infer(x: &[Dim], shape: &[i64]) -> Result<SymShape> {
    let op = "reshape";
    let mut out: SymShape = Vec::with_capacity(shape.len());
    let mut infer_at = None;
    for (i, &d) in shape.iter().enumerate() {
        match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                out.push(None);
            }
            -1 => return arg_err(op, format!("only one -1 is allowed in {shape:?}")),
            0 => match x.get(i) {
                Some(&dim) => out.push(dim),
                None => {
                    return arg_err(
                        op,
                        format!("0 at position {i} has no input dimension to copy"),
                    )
                }
            },
            d if d > 0 => out.push(Some(d as usize)),
            _ => return arg_err(op, format!("invalid target dimension {d} in {shape:?}")),
        }
    }
    // Unknown input dims not copied through `0` make the element count unknown.
    let copied: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter(|(_, &d)| d == 0)
        .map(|(i, _)| i)
        .collect();
    let unknown_in: Vec<usize> = x
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .map(|(i, _)| i)
        .collect();
    let known_in: usize = x
        .iter()
        .enumerate()
        .filter(|(i, _)| !copied.contains(i))
        .map(|(_, d)| d.unwrap_or(1))
        .product();
    let known_out: usize = out
        .iter()
        .enumerate()
        .filter(|(i, _)| !copied.contains(i) && Some(*i) != infer_at)
        .map(|(_, d)| d.unwrap_or(1))
        .product();
    let all_unknown_copied = unknown_in.iter().all(|i| copied.contains(i));
    match infer_at {
        Some(i) if all_unknown_copied => {
            if known_out == 0 || !known_in.is_multiple_of(known_out) {
                return shape_err(
                    op,
                    format!("cannot reshape {} into {shape:?}", fmt_shape(x)),
                );
            }
            out[i] = Some(known_in / known_out);
        }
        Some(_) => {}
        None if all_unknown_copied && known_in != known_out => {
            return shape_err(
                op,
                format!(
                    "cannot reshape {} into {shape:?}: element counts differ",
                    fmt_shape(x)
                ),
            );
        }
        None => {}
    }
    Ok(out)
}

fn mul_dim(d: Dim, k: usize) -> Dim {
    d.map(|v| v * k)
}

/// Shape inference for the family.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let name = op.name();
    let x = &inputs[0];
    match op {
        Op::Transpose { perm } => {
            let mut seen = vec![false; x.len()];
            if perm.len() != x.len()
                || perm
                    .iter()
                    .any(|&p| p >= x.len() || std::mem::replace(&mut seen[p], true))
            {
                return shape_err(
                    &name,
                    format!(
                        "{perm:?} is not a permutation of the axes of {}",
                        fmt_shape(x)
                    ),
                );
            }
            Ok(perm.iter().map(|&p| x[p]).collect())
        }
        Op::Reshape { shape } => reshape_infer(x, shape),
        Op::ReshapeLike => {
            let (a, b) = (x, &inputs[1]);
            if let (Some(p), Some(q)) = (crate::shape::concrete(a), crate::shape::concrete(b)) {
                if p.iter().product::<usize>() != q.iter().product::<usize>() {
                    return shape_err(
                        &name,
                        format!("cannot reshape {} into {}", fmt_shape(a), fmt_shape(b)),
                    );
                }
            }
            Ok(b.clone())
        }
        Op::ExpandDims { axis } => {
            if *axis > x.len() {
                return shape_err(
                    &name,
                    format!("axis {axis} is out of range for {}", fmt_shape(x)),
                );
            }
            let mut out = x.clone();
            out.insert(*axis, Some(1));
            Ok(out)
        }
        Op::Squeeze { axis } => match x.get(*axis) {
            Some(Some(1)) | Some(None) => {
                let mut out = x.clone();
                out.remove(*axis);
                Ok(out)
            }
            _ => shape_err(
                &name,
                format!(
                    "cannot squeeze axis {axis} of {}: its length is not 1",
                    fmt_shape(x)
                ),
            ),
        },
        Op::SumLike => {
            let b = broadcast(&name, x, &inputs[1])?;
            let widens = b
                .iter()
                .zip(x.iter())
                .any(|(p, q)| matches!((p, q), (Some(p), Some(q)) if p != q));
            if b.len() != x.len() || widens {
                return shape_err(
                    &name,
                    format!(
                        "{} cannot be summed to {}",
                        fmt_shape(x),
                        fmt_shape(&inputs[1])
                    ),
                );
            }
            Ok(inputs[1].clone())
        }
        Op::BroadcastLike => {
            let b = broadcast(&name, x, &inputs[1])?;
            if b.len() != inputs[1].len() {
                return shape_err(
                    &name,
                    format!(
                        "{} cannot be broadcast to {}",
                        fmt_shape(x),
                        fmt_shape(&inputs[1])
                    ),
                );
            }
            Ok(inputs[1].clone())
        }
        Op::FillLike { .. } => Ok(x.clone()),
        Op::Concat { axis } => {
            if inputs.is_empty() {
                return shape_err(&name, "needs at least one input");
            }
            let mut out = x.clone();
            if *axis >= out.len() {
                return shape_err(
                    &name,
                    format!("axis {axis} is out of range for {}", fmt_shape(x)),
                );
            }
            for s in &inputs[1..] {
                let compatible = s.len() == x.len()
                    && s.iter()
                        .zip(x.iter())
                        .enumerate()
                        .all(|(i, (p, q))| i == *axis || p.is_none() || q.is_none() || p == q);
                if !compatible {
                    let all: Vec<String> = inputs.iter().map(|s| fmt_shape(s)).collect();
                    return shape_err(
                        &name,
                        format!(
                            "inputs must match except along axis {axis}; got shapes {}",
                            all.join(", ")
                        ),
                    );
                }
                out[*axis] = match (out[*axis], s[*axis]) {
                    (Some(p), Some(q)) => Some(p + q),
                    _ => None,
                };
            }
            Ok(out)
        }
        Op::Slice { spec } => {
            if spec.len() != x.len() {
                return shape_err(
                    &name,
                    format!("{} axes given for {}", spec.len(), fmt_shape(x)),
                );
            }
            Ok(spec
                .iter()
                .zip(x.iter())
                .map(|(s, d)| {
                    let full = s.start.is_none() && s.stop.is_none() && s.step == 1;
                    match d {
                        Some(n) => Some(slice_range(s, *n).1),
                        None if full => None,
                        None => None,
                    }
                })
                .collect())
        }
        Op::SliceGrad { .. } | Op::TileGrad { .. } | Op::RepeatGrad { .. } => Ok(inputs[1].clone()),
        Op::GatherGrad { .. } => Ok(inputs[2].clone()),
        Op::Pad { pads, .. } => {
            if pads.len() != x.len() {
                return shape_err(
                    &name,
                    format!("{} pads given for {}", pads.len(), fmt_shape(x)),
                );
            }
            Ok(x.iter()
                .zip(pads.iter())
                .map(|(d, (b, a))| d.map(|v| v + b + a))
                .collect())
        }
        Op::Gather { axis } => {
            if *axis >= x.len() {
                return shape_err(
                    &name,
                    format!("axis {axis} is out of range for {}", fmt_shape(x)),
                );
            }
            let mut out: SymShape = x[..*axis].to_vec();
            out.extend_from_slice(&inputs[1]);
            out.extend_from_slice(&x[axis + 1..]);
            Ok(out)
        }
        Op::Tile { reps } => {
            if reps.len() != x.len() {
                return shape_err(
                    &name,
                    format!("{} reps given for {}", reps.len(), fmt_shape(x)),
                );
            }
            Ok(x.iter()
                .zip(reps.iter())
                .map(|(d, &r)| mul_dim(*d, r))
                .collect())
        }
        Op::Repeat { repeats, axis } => {
            if *axis >= x.len() {
                return shape_err(
                    &name,
                    format!("axis {axis} is out of range for {}", fmt_shape(x)),
                );
            }
            let mut out = x.clone();
            out[*axis] = mul_dim(x[*axis], *repeats);
            Ok(out)
        }
        Op::OneHot { depth } => {
            let mut out = x.clone();
            out.push(Some(*depth));
            Ok(out)
        }
        _ => shape_err(&name, "not a structural op"),
    }
}

/// Backward rules for the family.
pub fn backward(g: &mut Graph, n: &Node, _node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let x = n.inputs[0];
    let one = |d: NodeId| Ok(vec![Some(d)]);
    match &n.op {
        Op::Transpose { perm } => {
            let mut inv = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            one(g.add(Op::Transpose { perm: inv }, &[dy])?)
        }
        Op::Reshape { .. } | Op::ExpandDims { .. } | Op::Squeeze { .. } => {
            one(g.add(Op::ReshapeLike, &[dy, x])?)
        }
        Op::ReshapeLike => Ok(vec![Some(g.add(Op::ReshapeLike, &[dy, x])?), None]),
        Op::SumLike => Ok(vec![Some(g.broadcast_like(dy, x)?), None]),
        Op::BroadcastLike => Ok(vec![Some(g.sum_like(dy, x)?), None]),
        Op::FillLike { .. } | Op::OneHot { .. } => Ok(vec![None]),
        Op::Concat { axis } => {
            let mut grads = Vec::with_capacity(n.inputs.len());
            let mut offset = 0i64;
            for &inp in &n.inputs {
                let s = g.shape(inp)?.clone();
                let Some(len) = s[*axis] else {
                    return shape_err(
                        "concatenate",
                        "the gradient needs a known length along the concatenation axis",
                    );
                };
                let spec = s
                    .iter()
                    .enumerate()
                    .map(|(i, _)| {
                        if i == *axis {
                            SliceSpec {
                                start: Some(offset),
                                stop: Some(offset + len as i64),
                                step: 1,
                            }
                        } else {
                            SliceSpec {
                                start: None,
                                stop: None,
                                step: 1,
                            }
                        }
                    })
                    .collect();
                offset += len as i64;
                grads.push(Some(g.add(Op::Slice { spec }, &[dy])?));
            }
            Ok(grads)
        }
        Op::Slice { spec } => one(g.add(Op::SliceGrad { spec: spec.clone() }, &[dy, x])?),
        Op::SliceGrad { spec } => Ok(vec![
            Some(g.add(Op::Slice { spec: spec.clone() }, &[dy])?),
            None,
        ]),
        Op::Pad { pads, .. } => {
            let spec = pads
                .iter()
                .map(|&(b, a)| SliceSpec {
                    start: Some(b as i64),
                    stop: if a == 0 { None } else { Some(-(a as i64)) },
                    step: 1,
                })
                .collect();
            one(g.add(Op::Slice { spec }, &[dy])?)
        }
        Op::Gather { axis } => Ok(vec![
            Some(g.add(Op::GatherGrad { axis: *axis }, &[dy, n.inputs[1], x])?),
            None,
        ]),
        Op::GatherGrad { axis } => Ok(vec![
            Some(g.add(Op::Gather { axis: *axis }, &[dy, n.inputs[1]])?),
            None,
            None,
        ]),
        Op::Tile { reps } => one(g.add(Op::TileGrad { reps: reps.clone() }, &[dy, x])?),
        Op::Repeat { repeats, axis } => one(g.add(
            Op::RepeatGrad {
                repeats: *repeats,
                axis: *axis,
            },
            &[dy, x],
        )?),
        Op::TileGrad { reps } => Ok(vec![
            Some(g.add(Op::Tile { reps: reps.clone() }, &[dy])?),
            None,
        ]),
        Op::RepeatGrad { repeats, axis } => Ok(vec![
            Some(g.add(
                Op::Repeat {
                    repeats: *repeats,
                    axis: *axis,
                },
                &[dy],
            )?),
            None,
        ]),
        _ => Ok(vec![None; n.inputs.len()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python_slice(len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<i64> {
        // Reference: CPython's slice.indices semantics, written out.
        let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
        let fix = |v: i64, default: i64| match Some(v) {
            Some(v) if v < 0 => (v + len).max(lo),
            Some(v) => v.min(hi),
            None => default,
        };
        let s = start.map_or(if step > 0 { lo } else { hi }, |v| fix(v, 0));
        let e = stop.map_or(if step > 0 { hi } else { lo }, |v| fix(v, 0));
        let mut out = vec![];
        let mut i = s;
        while (step > 0 && i < e) || (step < 0 && i > e) {
            out.push(i);
            i += step;
        }
        out
    }

    #[test]
    fn slice_range_matches_python_slicing() {
        let bounds = [None, Some(-7), Some(-2), Some(0), Some(1), Some(3), Some(9)];
        for len in [0i64, 1, 5] {
            for start in bounds {
                for stop in bounds {
                    for step in [-3i64, -1, 1, 2] {
                        let spec = SliceSpec { start, stop, step };
                        let (first, count) = slice_range(&spec, len as usize);
                        let got: Vec<i64> = (0..count as i64).map(|k| first + k * step).collect();
                        assert_eq!(got, python_slice(len, start, stop, step), "{len} {spec:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn reshape_infers_minus_one_and_keeps_the_batch_symbolic() {
        assert_eq!(
            reshape_infer(&[None, Some(3), Some(4)], &[0, -1]).unwrap(),
            vec![None, Some(12)]
        );
        assert_eq!(
            reshape_infer(&[Some(2), Some(6)], &[-1, 3]).unwrap(),
            vec![Some(4), Some(3)]
        );
        assert_eq!(
            reshape_infer(&[None, Some(6)], &[-1, 3]).unwrap(),
            vec![None, Some(3)]
        );
        assert!(reshape_infer(&[Some(2), Some(6)], &[5, -1]).is_err());
        assert!(reshape_infer(&[Some(2), Some(6)], &[4, 4]).is_err());
        assert!(reshape_infer(&[Some(2)], &[-1, -1]).is_err());
    }
}
