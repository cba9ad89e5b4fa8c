//! Max and average pooling and their gradients, one window at a time, vectorized over
//! channels.

use multiversion::multiversion;

use super::{per_sample, Geom, LANES};
use crate::error::Result;
use crate::ops::{PoolKind, Window};

/// Max or average pooling (average over in-bounds elements only, as TF).
pub fn pool(
    kind: PoolKind,
    x: &[f32],
    xs: &[usize],
    size: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, size, w)?;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    let run = |(n, o): (usize, &mut [f32])| {
        pool_sample(kind, &g, &x[n * per_in..(n + 1) * per_in], o);
    };
    per_sample(
        out,
        per_out,
        out.len() >= crate::cpu::PARALLEL_CUTOFF / 4 && g.n > 1,
        run,
    );
    Ok(())
}

/// Pools one sample `xs` into `o`, one output position at a time, vectorized over channels.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn pool_sample(kind: PoolKind, g: &Geom, xs: &[f32], o: &mut [f32]) {
    let c = g.cin;
    g.for_each_window(|r, sources| {
        let orow = &mut o[r * c..(r + 1) * c];
        match kind {
            PoolKind::Max => window_max(orow, xs, sources),
            PoolKind::Avg => {
                orow.fill(0.0);
                for &s in sources {
                    let xrow = &xs[s * c..(s + 1) * c];
                    orow.iter_mut().zip(xrow).for_each(|(a, &v)| *a += v);
                }
                let inv = 1.0 / sources.len().max(1) as f32;
                orow.iter_mut().for_each(|v| *v *= inv);
            }
        }
    });
}

/// Gradient of pooling: max routes each output's gradient to the first maximum of its window,
/// average spreads it over the window's in-bounds elements; with `relu_mask`, zero where
/// `x <= 0`.
#[allow(clippy::too_many_arguments)]
pub fn pool_grad(
    kind: PoolKind,
    x: &[f32],
    xs: &[usize],
    dy: &[f32],
    size: &[usize],
    w: &Window,
    relu_mask: bool,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, size, w)?;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    let run = |(n, dx): (usize, &mut [f32])| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        let dys = &dy[n * per_out..(n + 1) * per_out];
        pool_grad_sample(kind, &g, xs, dys, relu_mask, dx);
    };
    per_sample(
        out,
        per_in,
        out.len() >= crate::cpu::PARALLEL_CUTOFF / 4 && g.n > 1,
        run,
    );
    Ok(())
}

/// Pooling gradient of one sample, one window at a time, vectorized over channels.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn pool_grad_sample(
    kind: PoolKind,
    g: &Geom,
    xs: &[f32],
    dys: &[f32],
    relu_mask: bool,
    dx: &mut [f32],
) {
    let c = g.cin;
    // Disjoint windows write each input element at most once (`=` instead of `+=`); only
    // elements outside every window then need zeroing first.
    let disjoint = (0..3).all(|a| g.stride[a] >= g.k[a]);
    let covered =
        (0..3).all(|a| g.stride[a] == g.k[a] && g.pad[a] == 0 && g.o[a] * g.k[a] == g.s[a]);
    if !covered {
        dx.fill(0.0);
    }
    // Per window and channel: the maximum and the window index of its first occurrence.
    let mut best = vec![0.0f32; c];
    let mut arg = vec![0.0f32; c];
    g.for_each_window(|r, sources| {
        let drow = &dys[r * c..(r + 1) * c];
        match kind {
            PoolKind::Max => {
                window_max(&mut best, xs, sources);
                // Backwards, so the first element equal to the maximum is the one kept.
                arg.fill(0.0);
                for (k, &s) in sources.iter().enumerate().rev() {
                    let xrow = &xs[s * c..(s + 1) * c];
                    let (k, lanes) = (k as f32, arg.iter_mut().zip(xrow).zip(&best));
                    lanes.for_each(|((a, &v), &b)| *a = if v == b { k } else { *a });
                }
                if relu_mask {
                    // A window whose maximum is not positive routes nothing (no index matches).
                    let lanes = arg.iter_mut().zip(&best);
                    lanes.for_each(|(a, &b)| *a = if b > 0.0 { *a } else { -1.0 });
                }
                for (k, &s) in sources.iter().enumerate() {
                    let dxrow = &mut dx[s * c..(s + 1) * c];
                    route_to_index(dxrow, drow, &arg, k as f32, disjoint);
                }
            }
            PoolKind::Avg => {
                let inv = 1.0 / sources.len().max(1) as f32;
                for &s in sources {
                    let dxrow = &mut dx[s * c..(s + 1) * c];
                    let lanes = dxrow.iter_mut().zip(drow);
                    if disjoint {
                        lanes.for_each(|(d, &v)| *d = v * inv);
                    } else {
                        lanes.for_each(|(d, &v)| *d += v * inv);
                    }
                }
            }
        }
    });
    if relu_mask && kind == PoolKind::Avg {
        // While the sample is in cache: zero where the pooled input (a relu's output) is not
        // positive. (Max pooling masked its windows above: a routed element equals its
        // window's maximum.)
        dx.iter_mut()
            .zip(xs)
            .for_each(|(d, &v)| *d = if v > 0.0 { *d } else { 0.0 });
    }
}

/// `best[ch]` = the maximum of `xs[s * c + ch]` over the window's `sources` (`-inf` for an
/// empty window; NaN never wins). Channel blocks outside, sources inside, so each block's
/// running maximum stays in a register.
#[inline(always)]
fn window_max(best: &mut [f32], xs: &[f32], sources: &[usize]) {
    let c = best.len();
    let (blocks, rest) = best.as_chunks_mut::<LANES>();
    for (j, b) in blocks.iter_mut().enumerate() {
        let mut m = [f32::NEG_INFINITY; LANES];
        for &s in sources {
            let x = &xs[s * c + j * LANES..s * c + (j + 1) * LANES];
            for i in 0..LANES {
                m[i] = if x[i] > m[i] { x[i] } else { m[i] };
            }
        }
        *b = m;
    }
    let done = c - rest.len();
    for (ch, b) in rest.iter_mut().enumerate() {
        *b = sources
            .iter()
            .map(|&s| xs[s * c + done + ch])
            .fold(f32::NEG_INFINITY, |m, v| if v > m { v } else { m });
    }
}

/// Gives window element `k` the gradient `dy` of the channels whose maximum it holds
/// (`arg == k`) and zero elsewhere; `dx` is assigned when `assign`, else added to.
#[inline(always)]
fn route_to_index(dx: &mut [f32], dy: &[f32], arg: &[f32], k: f32, assign: bool) {
    let lanes = dx.iter_mut().zip(dy).zip(arg);
    if assign {
        lanes.for_each(|((d, &g), &a)| *d = if a == k { g } else { 0.0 });
    } else {
        lanes.for_each(|((d, &g), &a)| *d += if a == k { g } else { 0.0 });
    }
}
