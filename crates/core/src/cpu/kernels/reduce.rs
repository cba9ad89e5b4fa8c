//! Reduction kernels over an `(outer, reduced, inner)` blocking of the input; non-adjacent
//! reduced axes are first moved last (one copy).

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;

use crate::cpu::{view_mut, PARALLEL_CUTOFF};
use crate::error::{CoreError, Result};
use crate::ops::ReduceOp;
use crate::shape::numel;

/// The input seen as `(outer, reduced, inner)` contiguous blocks.
struct Blocks<'a> {
    data: std::borrow::Cow<'a, [f32]>,
    outer: usize,
    r: usize,
    inner: usize,
}

fn blocks<'a>(x: &'a ArrayViewD<'_, f32>, axes: &[usize]) -> Result<Blocks<'a>> {
    let shape = x.shape();
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    if adjacent && !axes.is_empty() {
        let (a0, a1) = (axes[0], axes[axes.len() - 1]);
        let data = x
            .as_slice()
            .ok_or_else(|| CoreError::Graph("cpu: expected a contiguous input".into()))?;
        return Ok(Blocks {
            data: std::borrow::Cow::Borrowed(data),
            outer: numel(&shape[..a0]),
            r: numel(&shape[a0..=a1]),
            inner: numel(&shape[a1 + 1..]),
        });
    }
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let moved = x.view().permuted_axes(IxDyn(&perm));
    let data: Vec<f32> = moved.iter().copied().collect();
    let r: usize = axes.iter().map(|&a| shape[a]).product();
    Ok(Blocks {
        outer: if r == 0 { 0 } else { data.len() / r.max(1) },
        data: std::borrow::Cow::Owned(data),
        r,
        inner: 1,
    })
}

/// Applies `f(block_rows, r, inner, out_row)` per outer index, in parallel when large.
fn for_outer(b: &Blocks<'_>, out: &mut [f32], f: impl Fn(&[f32], &mut [f32]) + Sync + Send) {
    let (r, inner) = (b.r, b.inner);
    let stride = r * inner;
    if inner == 0 {
        return;
    }
    let data: &[f32] = &b.data;
    if b.outer * stride >= PARALLEL_CUTOFF && b.outer > 1 {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(o, orow)| f(&data[o * stride..(o + 1) * stride], orow));
    } else if stride >= PARALLEL_CUTOFF && inner >= 64 {
        // One outer block with wide rows: split the inner axis across threads.
        let cols = inner.div_ceil(rayon::current_num_threads()).max(16);
        for (o, orow) in out.chunks_mut(inner).enumerate() {
            let block = &data[o * stride..(o + 1) * stride];
            orow.par_chunks_mut(cols)
                .enumerate()
                .for_each(|(c, ochunk)| {
                    let c0 = c * cols;
                    let mut tmp = vec![0.0; r * ochunk.len()];
                    for j in 0..r {
                        tmp[j * ochunk.len()..(j + 1) * ochunk.len()]
                            .copy_from_slice(&block[j * inner + c0..j * inner + c0 + ochunk.len()]);
                    }
                    f(&tmp, ochunk);
                });
        }
    } else {
        for (o, orow) in out.chunks_mut(inner).enumerate() {
            f(&data[o * stride..(o + 1) * stride], orow);
        }
    }
}

/// A row-folding closure: `out = fold(init, comb)` over the rows of a block.
fn fold(
    init: f32,
    comb: impl Fn(f32, f32) -> f32 + Copy + Sync + Send,
) -> impl Fn(&[f32], &mut [f32]) + Sync + Send {
    move |rows: &[f32], o: &mut [f32]| {
        if o.len() == 1 {
            o[0] = fold_contiguous(rows, init, comb);
            return;
        }
        o.fill(init);
        for row in rows.chunks(o.len().max(1)) {
            o.iter_mut().zip(row).for_each(|(a, &v)| *a = comb(*a, v));
        }
    }
}

/// `out = fold(init, comb)` over each block's rows. A single block of many short rows (a bias
/// gradient: `(N * H * W, C) -> C`) is cut into fixed runs of rows folded in parallel, whose
/// partial rows are then combined in order (deterministic, whatever the thread count).
fn fold_blocks(
    b: &Blocks<'_>,
    out: &mut [f32],
    init: f32,
    comb: impl Fn(f32, f32) -> f32 + Copy + Sync + Send,
) {
    let (r, inner) = (b.r, b.inner);
    if b.outer != 1 || inner < 2 || r * inner < 2 * PARALLEL_CUTOFF {
        return for_outer(b, out, fold(init, comb));
    }
    let rows_per_run = (PARALLEL_CUTOFF / inner).max(1);
    let partials: Vec<Vec<f32>> = b.data[..r * inner]
        .par_chunks(rows_per_run * inner)
        .map(|rows| {
            let mut acc = vec![init; inner];
            fold(init, comb)(rows, &mut acc);
            acc
        })
        .collect();
    out.fill(init);
    for p in partials {
        out.iter_mut().zip(&p).for_each(|(o, &v)| *o = comb(*o, v));
    }
}

/// Folds a contiguous run with eight independent accumulators (so the loop vectorizes), on the
/// rayon pool for long runs (chunk partials combined in order: deterministic).
fn fold_contiguous(
    xs: &[f32],
    init: f32,
    comb: impl Fn(f32, f32) -> f32 + Copy + Sync + Send,
) -> f32 {
    const LANES: usize = 8;
    let serial = |xs: &[f32]| {
        let mut acc = [init; LANES];
        let mut chunks = xs.chunks_exact(LANES);
        for c in &mut chunks {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a = comb(*a, v);
            }
        }
        let tail = chunks.remainder().iter().fold(init, |a, &v| comb(a, v));
        acc.iter().fold(tail, |a, &v| comb(a, v))
    };
    if xs.len() >= 4 * PARALLEL_CUTOFF && rayon::current_thread_index().is_none() {
        // Partials combined in a fixed order, so results repeat bit for bit.
        let partials: Vec<f32> = xs.par_chunks(PARALLEL_CUTOFF).map(serial).collect();
        partials.iter().fold(init, |a, &v| comb(a, v))
    } else {
        serial(xs)
    }
}

/// `out = reduce(x)` over `axes`.
pub fn reduce(
    kind: ReduceOp,
    x: &ArrayViewD<'_, f32>,
    axes: &[usize],
    out: &mut [f32],
) -> Result<()> {
    let b = blocks(x, axes)?;
    let r = b.r;
    match kind {
        ReduceOp::Sum => fold_blocks(&b, out, 0.0, |a, v| a + v),
        ReduceOp::Mean => {
            fold_blocks(&b, out, 0.0, |a, v| a + v);
            let inv = if r == 0 { f32::NAN } else { 1.0 / r as f32 };
            out.iter_mut().for_each(|v| *v *= inv);
        }
        ReduceOp::Max => fold_blocks(&b, out, f32::NEG_INFINITY, f32::max),
        ReduceOp::Min => fold_blocks(&b, out, f32::INFINITY, f32::min),
        ReduceOp::Prod => fold_blocks(&b, out, 1.0, |a, v| a * v),
        ReduceOp::Var | ReduceOp::Std => {
            let std = kind == ReduceOp::Std;
            for_outer(&b, out, move |rows: &[f32], o: &mut [f32]| {
                let w = o.len().max(1);
                let mut mean = vec![0.0f64; o.len()];
                for row in rows.chunks(w) {
                    mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v as f64);
                }
                mean.iter_mut().for_each(|m| *m /= r as f64);
                let mut acc = vec![0.0f64; o.len()];
                for row in rows.chunks(w) {
                    for ((a, &v), &m) in acc.iter_mut().zip(row).zip(&mean) {
                        let d = v as f64 - m;
                        *a += d * d;
                    }
                }
                for (o, a) in o.iter_mut().zip(acc) {
                    let var = (a / r as f64) as f32;
                    *o = if std { var.sqrt() } else { var };
                }
            });
        }
    }
    Ok(())
}

/// Index of the max (or min) along `axis`; first occurrence wins, as NumPy.
pub fn arg_reduce(max: bool, x: &ArrayViewD<'_, f32>, axis: usize, out: &mut [f32]) -> Result<()> {
    let b = blocks(x, &[axis])?;
    for_outer(&b, out, move |rows: &[f32], o: &mut [f32]| {
        let w = o.len().max(1);
        let mut best: Vec<f32> = rows[..o.len()].to_vec();
        o.fill(0.0);
        for (j, row) in rows.chunks(w).enumerate().skip(1) {
            for ((bv, oi), &v) in best.iter_mut().zip(o.iter_mut()).zip(row) {
                let better = if max { v > *bv } else { v < *bv };
                if better {
                    *bv = v;
                    *oi = j as f32;
                }
            }
        }
    });
    Ok(())
}

/// Broadcasts `dy` (the reduced shape, kept dims or not) back to `out_shape`, divided by the
/// reduced count when `mean`.
pub fn reduce_grad(
    dy: &ArrayViewD<'_, f32>,
    _x: &ArrayViewD<'_, f32>,
    axes: &[usize],
    mean: bool,
    out: &mut [f32],
    out_shape: &[usize],
) -> Result<()> {
    let keep: Vec<usize> = out_shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let dyk = dy
        .view()
        .into_shape_with_order(IxDyn(&keep))
        .map_err(|e| CoreError::Graph(format!("reduce_grad: {e}")))?;
    let scale = if mean {
        let count: usize = axes.iter().map(|&a| out_shape[a]).product();
        1.0 / count.max(1) as f32
    } else {
        1.0
    };
    let src = dyk
        .broadcast(IxDyn(out_shape))
        .ok_or_else(|| CoreError::Graph("reduce_grad: cannot broadcast".into()))?;
    let mut o = view_mut(out, out_shape)?;
    ndarray::Zip::from(&mut o)
        .and(&src)
        .for_each(|o, &v| *o = v * scale);
    Ok(())
}

/// Gradient of a product: `dyb * prod(others)` per reduced group, exact with zeros.
pub fn prod_grad(
    x: &ArrayViewD<'_, f32>,
    dyb: &ArrayViewD<'_, f32>,
    axes: &[usize],
    out: &mut [f32],
) -> Result<()> {
    let shape = x.shape().to_vec();
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
    let r: usize = axes.iter().map(|&a| shape[a]).product();
    let xs: Vec<f32> = x
        .view()
        .permuted_axes(IxDyn(&perm))
        .iter()
        .copied()
        .collect();
    let ds: Vec<f32> = dyb
        .view()
        .permuted_axes(IxDyn(&perm))
        .iter()
        .copied()
        .collect();
    let mut res = vec![0.0f32; xs.len()];
    if r > 0 {
        for ((xr, dr), or) in xs.chunks(r).zip(ds.chunks(r)).zip(res.chunks_mut(r)) {
            let mut prefix = 1.0f32;
            for j in 0..r {
                or[j] = prefix;
                prefix *= xr[j];
            }
            let mut suffix = 1.0f32;
            for j in (0..r).rev() {
                or[j] *= suffix * dr[j];
                suffix *= xr[j];
            }
        }
    }
    let moved_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let moved = ArrayD::from_shape_vec(IxDyn(&moved_shape), res)
        .map_err(|e| CoreError::Graph(format!("prod_grad: {e}")))?;
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    let back = moved.permuted_axes(IxDyn(&inv));
    view_mut(out, &shape)?.assign(&back);
    Ok(())
}
