//! Softmax and log-softmax along one axis, and their gradients.

use ndarray::{ArrayViewD, Axis, Zip};

use crate::cpu::{view_mut, PARALLEL_CUTOFF};
use crate::error::Result;

/// `out = softmax(x)` (or `log_softmax(x)`) along `axis`, max-shifted for stability.
pub fn softmax(x: &ArrayViewD<'_, f32>, axis: usize, log: bool, out: &mut [f32]) -> Result<()> {
    let mut o = view_mut(out, x.shape())?;
    let z = Zip::from(o.lanes_mut(Axis(axis))).and(x.lanes(Axis(axis)));
    let f = |mut o: ndarray::ArrayViewMut1<f32>, x: ndarray::ArrayView1<f32>| {
        let m = x.fold(f32::NEG_INFINITY, |a, &v| a.max(v));
        let m = if m.is_finite() { m } else { 0.0 };
        let mut s = 0.0f32;
        Zip::from(&mut o).and(&x).for_each(|o, &v| {
            let e = (v - m).exp();
            *o = e;
            s += e;
        });
        if log {
            let ls = s.ln() + m;
            Zip::from(&mut o).and(&x).for_each(|o, &v| *o = v - ls);
        } else {
            let inv = 1.0 / s;
            o.iter_mut().for_each(|v| *v *= inv);
        }
    };
    if x.len() >= PARALLEL_CUTOFF {
        z.par_for_each(f);
    } else {
        z.for_each(f);
    }
    Ok(())
}

/// Softmax gradient `y * (dy - sum(dy * y))`, or log-softmax gradient `dy - e^y * sum(dy)`.
pub fn softmax_grad(
    y: &ArrayViewD<'_, f32>,
    dy: &ArrayViewD<'_, f32>,
    axis: usize,
    log: bool,
    out: &mut [f32],
) -> Result<()> {
    let mut o = view_mut(out, y.shape())?;
    let z = Zip::from(o.lanes_mut(Axis(axis)))
        .and(y.lanes(Axis(axis)))
        .and(dy.lanes(Axis(axis)));
    let f = |mut o: ndarray::ArrayViewMut1<f32>,
             y: ndarray::ArrayView1<f32>,
             d: ndarray::ArrayView1<f32>| {
        if log {
            let s: f32 = d.sum();
            Zip::from(&mut o)
                .and(&y)
                .and(&d)
                .for_each(|o, &y, &d| *o = d - y.exp() * s);
        } else {
            let s: f32 = y.iter().zip(d.iter()).map(|(a, b)| a * b).sum();
            Zip::from(&mut o)
                .and(&y)
                .and(&d)
                .for_each(|o, &y, &d| *o = y * (d - s));
        }
    };
    if y.len() >= PARALLEL_CUTOFF {
        z.par_for_each(f);
    } else {
        z.for_each(f);
    }
    Ok(())
}
