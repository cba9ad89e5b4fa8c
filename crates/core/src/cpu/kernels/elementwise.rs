//! Elementwise kernels with NumPy broadcasting; fast paths for equal shapes, scalars and
//! trailing-axis broadcasts (bias adds), rayon above the size cutoff.

use ndarray::{ArrayViewD, IxDyn, Zip};
use rayon::prelude::*;

use crate::cpu::{view_mut, PARALLEL_CUTOFF};
use crate::error::{CoreError, Result};
use crate::ops::{BinaryOp, UnaryOp};

const CHUNK: usize = 1 << 13;

fn contiguous<'a>(x: &'a ArrayViewD<'_, f32>) -> Result<&'a [f32]> {
    x.as_slice()
        .ok_or_else(|| CoreError::Graph("cpu: expected a contiguous input".into()))
}

/// `out = f(x)`.
pub fn unary(u: UnaryOp, x: &ArrayViewD<'_, f32>, out: &mut [f32]) -> Result<()> {
    let xs = contiguous(x)?;
    if out.len() >= PARALLEL_CUTOFF {
        out.par_chunks_mut(CHUNK)
            .zip(xs.par_chunks(CHUNK))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &x)| *o = u.apply(x)));
    } else {
        out.iter_mut().zip(xs).for_each(|(o, &x)| *o = u.apply(x));
    }
    Ok(())
}

/// `out = dy * f'(x)` (with `y = f(x)` available).
pub fn unary_grad(
    u: UnaryOp,
    x: &ArrayViewD<'_, f32>,
    y: &ArrayViewD<'_, f32>,
    dy: &ArrayViewD<'_, f32>,
    out: &mut [f32],
) -> Result<()> {
    let (xs, ys, ds) = (contiguous(x)?, contiguous(y)?, contiguous(dy)?);
    let f = |o: &mut [f32], x: &[f32], y: &[f32], d: &[f32]| {
        for i in 0..o.len() {
            o[i] = d[i] * u.derivative(x[i], y[i]);
        }
    };
    if out.len() >= PARALLEL_CUTOFF {
        out.par_chunks_mut(CHUNK)
            .zip(xs.par_chunks(CHUNK))
            .zip(ys.par_chunks(CHUNK).zip(ds.par_chunks(CHUNK)))
            .for_each(|((o, x), (y, d))| f(o, x, y, d));
    } else {
        f(out, xs, ys, ds);
    }
    Ok(())
}

/// Number of trailing elements `b` repeats over when `b`'s shape (without leading 1s) is a suffix
/// of `out_shape`; `None` otherwise.
fn trailing_period(b: &[usize], out_shape: &[usize]) -> Option<usize> {
    let first = b.iter().position(|&d| d != 1).unwrap_or(b.len());
    let core = &b[first..];
    if core.len() > out_shape.len() || out_shape[out_shape.len() - core.len()..] != *core {
        return None;
    }
    Some(core.iter().product())
}

/// `out = a op b` with broadcasting.
pub fn binary(
    op: BinaryOp,
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    out: &mut [f32],
    out_shape: &[usize],
) -> Result<()> {
    let n = out.len();
    let par = n >= PARALLEL_CUTOFF;
    if a.shape() == out_shape && b.shape() == out_shape {
        let (xs, ys) = (contiguous(a)?, contiguous(b)?);
        let f = |o: &mut [f32], x: &[f32], y: &[f32]| {
            o.iter_mut()
                .zip(x.iter().zip(y))
                .for_each(|(o, (&x, &y))| *o = op.apply(x, y))
        };
        if par {
            out.par_chunks_mut(CHUNK)
                .zip(xs.par_chunks(CHUNK).zip(ys.par_chunks(CHUNK)))
                .for_each(|(o, (x, y))| f(o, x, y));
        } else {
            f(out, xs, ys);
        }
        return Ok(());
    }
    if a.shape() == out_shape {
        if let Some(p) = trailing_period(b.shape(), out_shape) {
            let (xs, ys) = (contiguous(a)?, contiguous(b)?);
            return periodic(out, xs, ys, p, par, |x, y| op.apply(x, y));
        }
    }
    if b.shape() == out_shape {
        if let Some(p) = trailing_period(a.shape(), out_shape) {
            let (xs, ys) = (contiguous(b)?, contiguous(a)?);
            return periodic(out, xs, ys, p, par, |x, y| op.apply(y, x));
        }
    }
    let av = broadcast_view(a, out_shape)?;
    let bv = broadcast_view(b, out_shape)?;
    let mut o = view_mut(out, out_shape)?;
    let z = Zip::from(&mut o).and(&av).and(&bv);
    if par {
        z.par_for_each(|o, &x, &y| *o = op.apply(x, y));
    } else {
        z.for_each(|o, &x, &y| *o = op.apply(x, y));
    }
    Ok(())
}

/// `out[i] = f(full[i], period[i % p])`, in whole periods per task.
fn periodic(
    out: &mut [f32],
    full: &[f32],
    period: &[f32],
    p: usize,
    par: bool,
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> Result<()> {
    if p == 0 {
        return Ok(());
    }
    let rows = |o: &mut [f32], x: &[f32]| {
        for (orow, xrow) in o.chunks_mut(p).zip(x.chunks(p)) {
            for ((o, &x), &y) in orow.iter_mut().zip(xrow).zip(period) {
                *o = f(x, y);
            }
        }
    };
    if par {
        let chunk = (CHUNK / p).max(1) * p;
        out.par_chunks_mut(chunk)
            .zip(full.par_chunks(chunk))
            .for_each(|(o, x)| rows(o, x));
    } else {
        rows(out, full);
    }
    Ok(())
}

fn broadcast_view<'a>(x: &'a ArrayViewD<'_, f32>, shape: &[usize]) -> Result<ArrayViewD<'a, f32>> {
    x.broadcast(IxDyn(shape)).ok_or_else(|| {
        CoreError::Graph(format!(
            "cpu: cannot broadcast {:?} to {:?}",
            x.shape(),
            shape
        ))
    })
}

/// `out = cond ? a : b` with broadcasting.
pub fn where_(
    c: &ArrayViewD<'_, f32>,
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    out: &mut [f32],
    out_shape: &[usize],
) -> Result<()> {
    let (cv, av, bv) = (
        broadcast_view(c, out_shape)?,
        broadcast_view(a, out_shape)?,
        broadcast_view(b, out_shape)?,
    );
    let mut o = view_mut(out, out_shape)?;
    Zip::from(&mut o)
        .and(&cv)
        .and(&av)
        .and(&bv)
        .for_each(|o, &c, &a, &b| *o = if c != 0.0 { a } else { b });
    Ok(())
}
