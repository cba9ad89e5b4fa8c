//! Gradient clipping and decoupled weight decay as Keras's base optimizer applies them before
//! `update_step` (`_clip_gradients`, `clip_by_global_norm`, `_apply_weight_decay`).
//!
//! Keras applies at most one of `clipnorm`, `global_clipnorm`, `clipvalue` (checked in that
//! order, each only when set and `> 0`); choosing which one is the caller's job. These helpers
//! reject a non-positive threshold instead of silently doing nothing.

use rayon::prelude::*;

use crate::cpu::PARALLEL_CUTOFF;
use crate::error::{arg_err, Result};

use super::maximum;

const CHUNK: usize = 1 << 13;

fn check_positive(op: &str, name: &str, value: f32) -> Result<()> {
    if value > 0.0 {
        Ok(())
    } else {
        arg_err(op, format!("{name} must be > 0, got {value}"))
    }
}

/// Sum of squares of `x`, accumulated in f64 and rounded to f32.
fn sum_squares(x: &[f32]) -> f32 {
    let sq = |c: &[f32]| c.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
    let total = if x.len() >= PARALLEL_CUTOFF {
        x.par_chunks(CHUNK).map(sq).sum::<f64>()
    } else {
        sq(x)
    };
    total as f32
}

/// Multiplies every element of `x` by `f`, on the rayon pool above the cutoff.
fn map_in_place(x: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    if x.len() >= PARALLEL_CUTOFF {
        x.par_chunks_mut(CHUNK)
            .for_each(|c| c.iter_mut().for_each(|v| *v = f(*v)));
    } else {
        x.iter_mut().for_each(|v| *v = f(*v));
    }
}

/// Keras `clipvalue`: clamps every element of `grad` to `[-clipvalue, clipvalue]` in place
/// (NaN stays NaN). `clipvalue` must be `> 0`.
pub fn clip_by_value(grad: &mut [f32], clipvalue: f32) -> Result<()> {
    check_positive("clip_by_value", "clipvalue", clipvalue)?;
    map_in_place(grad, |g| g.clamp(-clipvalue, clipvalue));
    Ok(())
}

/// Keras `clipnorm` for one gradient: `g * clipnorm / max(||g||_2, clipnorm)` in place (a zero
/// gradient is left as is). Keras applies it to each gradient separately. `clipnorm` must be
/// `> 0`.
pub fn clip_by_norm(grad: &mut [f32], clipnorm: f32) -> Result<()> {
    check_positive("clip_by_norm", "clipnorm", clipnorm)?;
    let l2sum = sum_squares(grad);
    // Keras: l2norm = where(l2sum > 0, sqrt(l2sum), l2sum).
    let l2norm = if l2sum > 0.0 { l2sum.sqrt() } else { l2sum };
    let denom = maximum(l2norm, clipnorm);
    map_in_place(grad, |g| (g * clipnorm) / denom);
    Ok(())
}

/// The L2 norm of all `grads` together, `sqrt(sum_i sum(g_i^2))`.
pub fn global_norm(grads: &[&[f32]]) -> f32 {
    norm_of(grads.iter().map(|g| sum_squares(g)))
}

/// `sqrt` of the sum of per-tensor sums of squares.
fn norm_of(sums: impl Iterator<Item = f32>) -> f32 {
    let total: f64 = sums.map(f64::from).sum();
    (total as f32).sqrt()
}

/// Keras `global_clipnorm`: scales all `grads` by `clip_norm * min(1 / n, 1 / clip_norm)` where
/// `n` is their [`global_norm`] (a non-finite `n` makes every element NaN, as in Keras).
/// Returns `n`. `clip_norm` must be `> 0`.
pub fn clip_by_global_norm(grads: &mut [&mut [f32]], clip_norm: f32) -> Result<f32> {
    check_positive("clip_by_global_norm", "global_clipnorm", clip_norm)?;
    let norm = norm_of(grads.iter().map(|g| sum_squares(g)));
    // -maximum(-a, -b) is a NaN-propagating minimum, like `ops.minimum`.
    let min = -maximum(-(1.0 / norm), -(1.0 / clip_norm));
    // Keras adds `norm - norm`: 0 for a finite norm, NaN otherwise.
    let nan_guard = if norm.is_finite() { 0.0 } else { f32::NAN };
    let scale = clip_norm * min + nan_guard;
    for g in grads.iter_mut() {
        map_in_place(g, |v| v * scale);
    }
    Ok(norm)
}

/// Keras `weight_decay` (decoupled, applied to the parameter before the update):
/// `p = p - p * weight_decay * lr` in place.
pub fn apply_weight_decay(param: &mut [f32], weight_decay: f32, lr: f32) {
    map_in_place(param, |p| p - p * weight_decay * lr);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_clipping() {
        let mut g = [-3.0f32, -0.5, 0.0, 0.7, 2.0, f32::NAN];
        clip_by_value(&mut g, 1.0).unwrap();
        assert_eq!(&g[..5], &[-1.0, -0.5, 0.0, 0.7, 1.0]);
        assert!(g[5].is_nan());
        assert!(clip_by_value(&mut g, 0.0).is_err());
        assert!(clip_by_value(&mut g, f32::NAN).is_err());
    }

    #[test]
    fn norm_clipping() {
        // ||(3, 4)|| = 5 -> scaled to norm 1: (0.6, 0.8).
        let mut g = [3.0f32, 4.0];
        clip_by_norm(&mut g, 1.0).unwrap();
        assert!((g[0] - 0.6).abs() < 1e-7 && (g[1] - 0.8).abs() < 1e-7);
        // Below the threshold: unchanged.
        let mut g = [3.0f32, 4.0];
        clip_by_norm(&mut g, 10.0).unwrap();
        assert_eq!(g, [3.0, 4.0]);
        // Zero gradient stays zero.
        let mut z = [0.0f32; 3];
        clip_by_norm(&mut z, 1.0).unwrap();
        assert_eq!(z, [0.0; 3]);
        assert!(clip_by_norm(&mut z, -1.0).is_err());
    }

    #[test]
    fn norm_clipping_large_parallel() {
        let n = PARALLEL_CUTOFF * 3 + 17;
        let mut g: Vec<f32> = (0..n).map(|i| ((i % 7) as f32) - 3.0).collect();
        clip_by_norm(&mut g, 2.0).unwrap();
        let norm: f64 = g.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 2.0).abs() < 1e-4, "{norm}");
    }

    #[test]
    fn global_norm_clipping() {
        // Joint norm of (3) and (4) is 5; clip to 2.5 halves both.
        let (mut a, mut b) = ([3.0f32], [4.0f32]);
        let n = clip_by_global_norm(&mut [&mut a, &mut b], 2.5).unwrap();
        assert!((n - 5.0).abs() < 1e-6);
        assert!((a[0] - 1.5).abs() < 1e-6 && (b[0] - 2.0).abs() < 1e-6);
        // Below the threshold: (almost exactly) unchanged.
        let (mut a, mut b) = ([3.0f32], [4.0f32]);
        clip_by_global_norm(&mut [&mut a, &mut b], 10.0).unwrap();
        assert!((a[0] - 3.0).abs() < 1e-6 && (b[0] - 4.0).abs() < 1e-6);
        // Non-finite norm poisons everything, as in Keras.
        let (mut a, mut b) = ([f32::INFINITY], [4.0f32]);
        clip_by_global_norm(&mut [&mut a, &mut b], 1.0).unwrap();
        assert!(a[0].is_nan() && b[0].is_nan());
        assert!(clip_by_global_norm(&mut [&mut a], 0.0).is_err());
    }

    #[test]
    fn weight_decay() {
        let mut p = [2.0f32, -1.0];
        apply_weight_decay(&mut p, 0.1, 0.5);
        assert!((p[0] - 1.9).abs() < 1e-6 && (p[1] + 0.95).abs() < 1e-6);
    }
}
