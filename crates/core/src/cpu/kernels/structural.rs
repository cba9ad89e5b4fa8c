//! Structural kernels: copies, transposes, concatenation, slicing, padding, gather/scatter,
//! tiling, repeating, one-hot, broadcasting and sum-to-shape.

use ndarray::{ArrayViewD, Axis, IxDyn, Slice, SliceInfoElem, Zip};

use crate::cpu::{view_mut, PARALLEL_CUTOFF};
use crate::error::{arg_err, CoreError, Result};
use crate::ops::{structural::slice_range, Op, ReduceOp, SliceSpec};
use crate::shape::numel;

fn bad(op: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Graph(format!("{op}: {e}"))
}

/// Runs the structural ops.
pub fn run(
    op: &Op,
    inputs: &[ArrayViewD<'_, f32>],
    out: &mut [f32],
    out_shape: &[usize],
) -> Result<()> {
    let x = &inputs[0];
    match op {
        // Aliases run as copies when their source cannot share a buffer.
        Op::Reshape { .. }
        | Op::ReshapeLike
        | Op::ExpandDims { .. }
        | Op::Squeeze { .. }
        | Op::StopGradient => copy_flat(x, out),
        Op::Transpose { perm } => {
            let v = x.view().permuted_axes(IxDyn(perm));
            let mut o = view_mut(out, out_shape)?;
            if o.len() >= PARALLEL_CUTOFF {
                Zip::from(&mut o).and(&v).par_for_each(|o, &v| *o = v);
            } else {
                o.assign(&v);
            }
            Ok(())
        }
        Op::BroadcastLike => {
            let v = x
                .broadcast(IxDyn(out_shape))
                .ok_or_else(|| bad("broadcast_like", "incompatible shapes"))?;
            view_mut(out, out_shape)?.assign(&v);
            Ok(())
        }
        Op::Concat { axis } => {
            let mut o = view_mut(out, out_shape)?;
            let mut start = 0;
            for inp in inputs {
                let len = inp.shape()[*axis];
                o.slice_axis_mut(Axis(*axis), Slice::from(start..start + len))
                    .assign(inp);
                start += len;
            }
            Ok(())
        }
        Op::Slice { spec } => {
            let info = slice_info(spec, x.shape());
            let v = x.slice(info.as_slice());
            view_mut(out, out_shape)?.assign(&v);
            Ok(())
        }
        Op::SliceGrad { spec } => {
            out.fill(0.0);
            let info = slice_info(spec, out_shape);
            let mut o = view_mut(out, out_shape)?;
            o.slice_mut(info.as_slice()).assign(x);
            Ok(())
        }
        Op::Pad { pads, value } => {
            out.fill(*value);
            let mut o = view_mut(out, out_shape)?;
            let info: Vec<SliceInfoElem> = pads
                .iter()
                .zip(x.shape())
                .map(|(&(b, _), &d)| SliceInfoElem::Slice {
                    start: b as isize,
                    end: Some((b + d) as isize),
                    step: 1,
                })
                .collect();
            o.slice_mut(info.as_slice()).assign(x);
            Ok(())
        }
        Op::Gather { axis } => gather(x, &inputs[1], *axis, out),
        Op::GatherGrad { axis } => gather_grad(x, &inputs[1], inputs[2].shape(), *axis, out),
        Op::Tile { reps } => {
            let (xs, os) = interleaved(x.shape(), reps);
            let src = x
                .view()
                .into_shape_with_order(IxDyn(&xs))
                .map_err(|e| bad("tile", e))?;
            let src = src
                .broadcast(IxDyn(&os))
                .ok_or_else(|| bad("tile", "broadcast"))?;
            view_mut(out, &os)?.assign(&src);
            Ok(())
        }
        Op::TileGrad { reps } => {
            let target = inputs[1].shape();
            let (_, os) = interleaved(target, reps);
            let dy = x
                .view()
                .into_shape_with_order(IxDyn(&os))
                .map_err(|e| bad("tile_grad", e))?;
            let axes: Vec<usize> = (0..reps.len()).map(|i| 2 * i).collect();
            sum_axes_into(&dy, &axes, out)
        }
        Op::Repeat { repeats, axis } => {
            let s = x.shape();
            let (outer, a, inner) = (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]));
            let src = x
                .view()
                .into_shape_with_order(IxDyn(&[outer, a, 1, inner]))
                .map_err(|e| bad("repeat", e))?;
            let src = src
                .broadcast(IxDyn(&[outer, a, *repeats, inner]))
                .ok_or_else(|| bad("repeat", "broadcast"))?;
            view_mut(out, &[outer, a, *repeats, inner])?.assign(&src);
            Ok(())
        }
        Op::RepeatGrad { repeats, axis } => {
            let s = inputs[1].shape();
            let (outer, a, inner) = (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]));
            let dy = x
                .view()
                .into_shape_with_order(IxDyn(&[outer, a, *repeats, inner]))
                .map_err(|e| bad("repeat_grad", e))?;
            sum_axes_into(&dy, &[2], out)
        }
        Op::OneHot { depth } => {
            out.fill(0.0);
            for (row, &v) in out.chunks_mut(*depth).zip(x.iter()) {
                if v >= 0.0 && (v as usize) < *depth && v.fract() == 0.0 {
                    row[v as usize] = 1.0;
                }
            }
            Ok(())
        }
        Op::Unary(_) => copy_flat(x, out),
        other => Err(CoreError::Graph(format!(
            "cpu: no kernel for {}",
            other.name()
        ))),
    }
}

fn copy_flat(x: &ArrayViewD<'_, f32>, out: &mut [f32]) -> Result<()> {
    match x.as_slice() {
        Some(s) => out.copy_from_slice(s),
        None => out.iter_mut().zip(x.iter()).for_each(|(o, &v)| *o = v),
    }
    Ok(())
}

/// Shapes `(1, d0, 1, d1, ...)` and `(r0, d0, r1, d1, ...)` for tiling.
fn interleaved(dims: &[usize], reps: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let xs = dims.iter().flat_map(|&d| [1, d]).collect();
    let os = dims.iter().zip(reps).flat_map(|(&d, &r)| [r, d]).collect();
    (xs, os)
}

/// Sums `x` over `axes` (sorted) into `out` (the remaining axes, row-major).
fn sum_axes_into(x: &ArrayViewD<'_, f32>, axes: &[usize], out: &mut [f32]) -> Result<()> {
    let owned = x.as_standard_layout();
    super::reduce::reduce(ReduceOp::Sum, &owned.view(), axes, out)
}

fn slice_info(spec: &[SliceSpec], shape: &[usize]) -> Vec<SliceInfoElem> {
    spec.iter()
        .zip(shape)
        .map(|(s, &len)| {
            let (first, count) = slice_range(s, len);
            if count == 0 {
                return SliceInfoElem::Slice {
                    start: 0,
                    end: Some(0),
                    step: 1,
                };
            }
            let last = first + (count as i64 - 1) * s.step;
            let (lo, hi) = if s.step > 0 {
                (first, last + 1)
            } else {
                (last, first + 1)
            };
            SliceInfoElem::Slice {
                start: lo as isize,
                end: Some(hi as isize),
                step: s.step as isize,
            }
        })
        .collect()
}

fn index_of(v: f32, len: usize, op: &str) -> Result<usize> {
    if v.fract() != 0.0 || v < 0.0 || v as usize >= len {
        return arg_err(
            op,
            format!("index {v} is out of range for an axis of length {len}"),
        );
    }
    Ok(v as usize)
}

fn gather(
    x: &ArrayViewD<'_, f32>,
    idx: &ArrayViewD<'_, f32>,
    axis: usize,
    out: &mut [f32],
) -> Result<()> {
    let s = x.shape();
    let (outer, a, inner) = (numel(&s[..axis]), s[axis], numel(&s[axis + 1..]));
    let xs = x
        .as_slice()
        .ok_or_else(|| bad("gather", "non-contiguous input"))?;
    let ids: Vec<usize> = idx
        .iter()
        .map(|&v| index_of(v, a, "gather"))
        .collect::<Result<_>>()?;
    let per = ids.len() * inner;
    if per == 0 {
        return Ok(());
    }
    for (o, ochunk) in out.chunks_mut(per).enumerate().take(outer) {
        for (j, &id) in ids.iter().enumerate() {
            let src = (o * a + id) * inner;
            ochunk[j * inner..(j + 1) * inner].copy_from_slice(&xs[src..src + inner]);
        }
    }
    Ok(())
}

fn gather_grad(
    dy: &ArrayViewD<'_, f32>,
    idx: &ArrayViewD<'_, f32>,
    target: &[usize],
    axis: usize,
    out: &mut [f32],
) -> Result<()> {
    let (outer, a, inner) = (
        numel(&target[..axis]),
        target[axis],
        numel(&target[axis + 1..]),
    );
    let ds = dy
        .as_slice()
        .ok_or_else(|| bad("gather_grad", "non-contiguous input"))?;
    let ids: Vec<usize> = idx
        .iter()
        .map(|&v| index_of(v, a, "gather_grad"))
        .collect::<Result<_>>()?;
    out.fill(0.0);
    let per = ids.len() * inner;
    for o in 0..outer {
        for (j, &id) in ids.iter().enumerate() {
            let src = o * per + j * inner;
            let dst = (o * a + id) * inner;
            for t in 0..inner {
                out[dst + t] += ds[src + t];
            }
        }
    }
    Ok(())
}

/// Sums `dy` down to `out_shape` (undoing NumPy broadcasting).
pub fn sum_like(dy: &ArrayViewD<'_, f32>, out_shape: &[usize], out: &mut [f32]) -> Result<()> {
    let ds = dy.shape();
    let lead = ds.len() - out_shape.len();
    let axes: Vec<usize> = (0..ds.len())
        .filter(|&i| i < lead || (out_shape[i - lead] == 1 && ds[i] != 1))
        .collect();
    if axes.is_empty() {
        return copy_flat(dy, out);
    }
    super::reduce::reduce(ReduceOp::Sum, dy, &axes, out)
}
