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

/// Expands to one arm per unary op, binding `$f` to the op's function and `$g` to its
/// derivative as closures of a fixed variant, so each arm's loop is compiled (and vectorized)
/// for that op alone instead of matching on the op per element.
macro_rules! dispatch_unary {
    ($u:expr, $f:ident, $g:ident => $body:expr) => {{
        macro_rules! arm {
            ($v:expr) => {{
                let v = $v;
                let $f = move |x: f32| v.apply(x);
                let $g = move |x: f32, y: f32| v.derivative(x, y);
                $body
            }};
        }
        match $u {
            UnaryOp::Neg => arm!(UnaryOp::Neg),
            UnaryOp::Abs => arm!(UnaryOp::Abs),
            UnaryOp::Sqrt => arm!(UnaryOp::Sqrt),
            UnaryOp::Square => arm!(UnaryOp::Square),
            UnaryOp::Exp => arm!(UnaryOp::Exp),
            UnaryOp::Log => arm!(UnaryOp::Log),
            UnaryOp::Sign => arm!(UnaryOp::Sign),
            UnaryOp::Reciprocal => arm!(UnaryOp::Reciprocal),
            UnaryOp::Round => arm!(UnaryOp::Round),
            UnaryOp::Floor => arm!(UnaryOp::Floor),
            UnaryOp::Relu {
                alpha,
                max_value: None,
                threshold,
            } if alpha == 0.0 && threshold == 0.0 => {
                let $f = move |x: f32| x.max(0.0);
                let $g = move |x: f32, _y: f32| if x > 0.0 { 1.0 } else { 0.0 };
                $body
            }
            UnaryOp::Relu {
                alpha,
                max_value,
                threshold,
            } => {
                arm!(UnaryOp::Relu {
                    alpha,
                    max_value,
                    threshold
                })
            }
            UnaryOp::Sigmoid => arm!(UnaryOp::Sigmoid),
            UnaryOp::HardSigmoid => arm!(UnaryOp::HardSigmoid),
            UnaryOp::Tanh => arm!(UnaryOp::Tanh),
            UnaryOp::Softplus => arm!(UnaryOp::Softplus),
            UnaryOp::Softsign => arm!(UnaryOp::Softsign),
            UnaryOp::Elu { alpha } => arm!(UnaryOp::Elu { alpha }),
            UnaryOp::Selu => arm!(UnaryOp::Selu),
            UnaryOp::Clip { min, max } => arm!(UnaryOp::Clip { min, max }),
            UnaryOp::Identity => arm!(UnaryOp::Identity),
            UnaryOp::Cast(k) => arm!(UnaryOp::Cast(k)),
            UnaryOp::LogicalNot => arm!(UnaryOp::LogicalNot),
        }
    }};
}

/// The same for binary ops: `$f` is the op's function of `(a, b)`.
macro_rules! dispatch_binary {
    ($op:expr, $f:ident => $body:expr) => {{
        macro_rules! arm {
            ($v:expr) => {{
                let $f = move |a: f32, b: f32| $v.apply(a, b);
                $body
            }};
        }
        match $op {
            BinaryOp::Add => arm!(BinaryOp::Add),
            BinaryOp::Sub => arm!(BinaryOp::Sub),
            BinaryOp::Mul => arm!(BinaryOp::Mul),
            BinaryOp::Div => arm!(BinaryOp::Div),
            BinaryOp::Pow => arm!(BinaryOp::Pow),
            BinaryOp::Maximum => arm!(BinaryOp::Maximum),
            BinaryOp::Minimum => arm!(BinaryOp::Minimum),
            BinaryOp::Equal => arm!(BinaryOp::Equal),
            BinaryOp::NotEqual => arm!(BinaryOp::NotEqual),
            BinaryOp::Greater => arm!(BinaryOp::Greater),
            BinaryOp::GreaterEqual => arm!(BinaryOp::GreaterEqual),
            BinaryOp::Less => arm!(BinaryOp::Less),
            BinaryOp::LessEqual => arm!(BinaryOp::LessEqual),
            BinaryOp::LogicalAnd => arm!(BinaryOp::LogicalAnd),
            BinaryOp::LogicalOr => arm!(BinaryOp::LogicalOr),
        }
    }};
}

fn map1(out: &mut [f32], xs: &[f32], f: impl Fn(f32) -> f32 + Sync + Send) {
    let run = |o: &mut [f32], x: &[f32]| o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x));
    if out.len() >= PARALLEL_CUTOFF {
        out.par_chunks_mut(CHUNK)
            .zip(xs.par_chunks(CHUNK))
            .for_each(|(o, x)| run(o, x));
    } else {
        run(out, xs);
    }
}

fn map2(out: &mut [f32], xs: &[f32], ys: &[f32], f: impl Fn(f32, f32) -> f32 + Sync + Send) {
    let run = |o: &mut [f32], x: &[f32], y: &[f32]| {
        o.iter_mut()
            .zip(x.iter().zip(y))
            .for_each(|(o, (&x, &y))| *o = f(x, y))
    };
    if out.len() >= PARALLEL_CUTOFF {
        out.par_chunks_mut(CHUNK)
            .zip(xs.par_chunks(CHUNK).zip(ys.par_chunks(CHUNK)))
            .for_each(|(o, (x, y))| run(o, x, y));
    } else {
        run(out, xs, ys);
    }
}

/// `out = f(x)`.
pub fn unary(u: UnaryOp, x: &ArrayViewD<'_, f32>, out: &mut [f32]) -> Result<()> {
    let xs = contiguous(x)?;
    dispatch_unary!(u, f, _g => map1(out, xs, f));
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
    dispatch_unary!(u, _f, g => {
        let run = |o: &mut [f32], x: &[f32], y: &[f32], d: &[f32]| {
            for (((o, &x), &y), &d) in o.iter_mut().zip(x).zip(y).zip(d) {
                *o = d * g(x, y);
            }
        };
        if out.len() >= PARALLEL_CUTOFF {
            out.par_chunks_mut(CHUNK)
                .zip(xs.par_chunks(CHUNK))
                .zip(ys.par_chunks(CHUNK).zip(ds.par_chunks(CHUNK)))
                .for_each(|((o, x), (y, d))| run(o, x, y, d));
        } else {
            run(out, xs, ys, ds);
        }
    });
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
    dispatch_binary!(op, f => binary_with(a, b, out, out_shape, f))
}

fn binary_with(
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    out: &mut [f32],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32 + Sync + Send + Copy,
) -> Result<()> {
    let par = out.len() >= PARALLEL_CUTOFF;
    if a.shape() == out_shape && b.shape() == out_shape {
        map2(out, contiguous(a)?, contiguous(b)?, f);
        return Ok(());
    }
    if a.shape() == out_shape {
        if let Some(p) = trailing_period(b.shape(), out_shape) {
            let (xs, ys) = (contiguous(a)?, contiguous(b)?);
            return periodic(out, xs, ys, p, par, f);
        }
    }
    if b.shape() == out_shape {
        if let Some(p) = trailing_period(a.shape(), out_shape) {
            let (xs, ys) = (contiguous(b)?, contiguous(a)?);
            return periodic(out, xs, ys, p, par, move |x, y| f(y, x));
        }
    }
    let av = broadcast_view(a, out_shape)?;
    let bv = broadcast_view(b, out_shape)?;
    let mut o = view_mut(out, out_shape)?;
    let z = Zip::from(&mut o).and(&av).and(&bv);
    if par {
        z.par_for_each(|o, &x, &y| *o = f(x, y));
    } else {
        z.for_each(|o, &x, &y| *o = f(x, y));
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
        if p == 1 {
            // A scalar operand: one flat loop rather than rows of one element.
            let y = period[0];
            o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x, y));
            return;
        }
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
