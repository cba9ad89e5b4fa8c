//! Depthwise convolution (each input channel with its own `M` filters) and its gradients,
//! tap by tap with the channel loop innermost (vectorized; AVX2/AVX-512 chosen at run time).
//! Kernel `(*kernel_size, C, M)`; output channel `c * M + m`.

use multiversion::multiversion;

use super::{per_sample, sum_over_samples, Geom};
use crate::error::Result;
use crate::ops::Window;

/// The geometry, the multiplier `M` and the per-sample input and output sizes of a depthwise
/// convolution of an input `xs` with a kernel `ks = (*kernel_size, C, M)`.
fn setup(xs: &[usize], ks: &[usize], w: &Window) -> Result<(Geom, usize, usize, usize)> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let mult = ks[ks.len() - 1];
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin * mult);
    Ok((g, mult, per_in, per_out))
}

/// `out[pos, c*M + m] = sum over taps of x[src, c] * k[tap, c, m]`.
pub fn depthwise(
    x: &[f32],
    xs: &[usize],
    k: &[f32],
    ks: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let (g, mult, per_in, per_out) = setup(xs, ks, w)?;
    let run = |(n, o): (usize, &mut [f32])| {
        forward_sample(&g, &x[n * per_in..(n + 1) * per_in], k, mult, o);
    };
    per_sample(out, per_out, crate::cpu::PARALLEL_CUTOFF, run);
    Ok(())
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn forward_sample(g: &Geom, xs: &[f32], k: &[f32], mult: usize, o: &mut [f32]) {
    let c = g.cin;
    let width = c * mult;
    o.fill(0.0);
    g.for_each_tap(|r, tap, s| {
        let (orow, xrow) = (&mut o[r * width..(r + 1) * width], &xs[s * c..(s + 1) * c]);
        let krow = &k[tap * width..(tap + 1) * width];
        if mult == 1 {
            for ((o, &x), &kv) in orow.iter_mut().zip(xrow).zip(krow) {
                *o += x * kv;
            }
        } else {
            let groups = orow.chunks_exact_mut(mult).zip(krow.chunks_exact(mult));
            for ((og, kg), &x) in groups.zip(xrow) {
                og.iter_mut().zip(kg).for_each(|(o, &kv)| *o += x * kv);
            }
        }
    });
}

/// `dx[src, c] = sum over positions and taps reading it of sum_m dy[pos, c*M + m] * k[tap, c, m]`.
pub fn depthwise_grad_input(
    dy: &[f32],
    k: &[f32],
    ks: &[usize],
    xs: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let (g, mult, per_in, per_out) = setup(xs, ks, w)?;
    let run = |(n, dx): (usize, &mut [f32])| {
        grad_input_sample(&g, &dy[n * per_out..(n + 1) * per_out], k, mult, dx);
    };
    per_sample(out, per_in, crate::cpu::PARALLEL_CUTOFF, run);
    Ok(())
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn grad_input_sample(g: &Geom, dys: &[f32], k: &[f32], mult: usize, dx: &mut [f32]) {
    let c = g.cin;
    let width = c * mult;
    dx.fill(0.0);
    g.for_each_tap(|r, tap, s| {
        let (drow, dxrow) = (
            &dys[r * width..(r + 1) * width],
            &mut dx[s * c..(s + 1) * c],
        );
        let krow = &k[tap * width..(tap + 1) * width];
        if mult == 1 {
            for ((d, &dyv), &kv) in dxrow.iter_mut().zip(drow).zip(krow) {
                *d += dyv * kv;
            }
        } else {
            let groups = drow.chunks_exact(mult).zip(krow.chunks_exact(mult));
            for ((dg, kg), d) in groups.zip(dxrow.iter_mut()) {
                *d += dg.iter().zip(kg).map(|(&a, &b)| a * b).sum::<f32>();
            }
        }
    });
}

/// `dk[tap, c, m] = sum over positions of x[src, c] * dy[pos, c*M + m]`.
pub fn depthwise_grad_kernel(
    x: &[f32],
    xs: &[usize],
    dy: &[f32],
    ks: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let (g, mult, per_in, per_out) = setup(xs, ks, w)?;
    let parallel = g.n * per_out >= crate::cpu::PARALLEL_CUTOFF;
    sum_over_samples(g.n, parallel, out, |n, dk| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        grad_kernel_sample(&g, xs, &dy[n * per_out..(n + 1) * per_out], mult, dk);
    });
    Ok(())
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn grad_kernel_sample(g: &Geom, xs: &[f32], dys: &[f32], mult: usize, dk: &mut [f32]) {
    let c = g.cin;
    let width = c * mult;
    g.for_each_tap(|r, tap, s| {
        let (drow, xrow) = (&dys[r * width..(r + 1) * width], &xs[s * c..(s + 1) * c]);
        let krow = &mut dk[tap * width..(tap + 1) * width];
        if mult == 1 {
            for ((kv, &xv), &dyv) in krow.iter_mut().zip(xrow).zip(drow) {
                *kv += xv * dyv;
            }
        } else {
            let groups = krow.chunks_exact_mut(mult).zip(drow.chunks_exact(mult));
            for ((kg, dg), &xv) in groups.zip(xrow) {
                kg.iter_mut().zip(dg).for_each(|(kv, &d)| *kv += xv * d);
            }
        }
    });
}
