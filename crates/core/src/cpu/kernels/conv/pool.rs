//! Max and average pooling and their gradients, one window at a time, vectorized over
//! channels.

use multiversion::multiversion;
use pulp::{Arch, Simd, WithSimd};

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
    let pooling = SamplePool::new(kind, Geom::new(xs, size, w)?);
    let g = &pooling.g;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    let run = |(n, o): (usize, &mut [f32])| pooling.run(&x[n * per_in..(n + 1) * per_in], o);
    per_sample(out, per_out, crate::cpu::PARALLEL_CUTOFF / 4, run);
    Ok(())
}

/// Pooling and its gradient, one sample at a time, by the fastest kernel that applies.
pub(super) struct SamplePool {
    kind: PoolKind,
    /// The pooling's geometry.
    pub(super) g: Geom,
    fast: bool,
    arch: Arch,
}

impl SamplePool {
    pub(super) fn new(kind: PoolKind, g: Geom) -> SamplePool {
        SamplePool {
            kind,
            g,
            fast: kind == PoolKind::Max && disjoint_windows(&g),
            arch: Arch::new(),
        }
    }

    /// Pools one sample `xs` into `o`.
    pub(super) fn run(&self, xs: &[f32], o: &mut [f32]) {
        let g = &self.g;
        if self.fast {
            self.arch.dispatch(DisjointMax { g, xs, o });
        } else {
            pool_sample(self.kind, g, xs, o);
        }
    }

    /// The pooling gradient `dx` (every element written) of one sample from its input `xs`
    /// and pooled gradient `dys`; with `relu_mask`, zero where `xs <= 0`.
    pub(super) fn grad(&self, xs: &[f32], dys: &[f32], relu_mask: bool, dx: &mut [f32]) {
        let g = &self.g;
        if self.fast {
            self.arch.dispatch(DisjointMaxGrad {
                g,
                xs,
                dys,
                relu_mask,
                dx,
            });
        } else {
            pool_grad_sample(self.kind, g, xs, dys, relu_mask, dx);
        }
    }
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
    let pooling = SamplePool::new(kind, Geom::new(xs, size, w)?);
    let g = &pooling.g;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    let run = |(n, dx): (usize, &mut [f32])| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        pooling.grad(xs, &dy[n * per_out..(n + 1) * per_out], relu_mask, dx);
    };
    per_sample(out, per_in, crate::cpu::PARALLEL_CUTOFF / 4, run);
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

/// Max-pooling gradient of one sample for the common case of windows that neither overlap nor
/// cross the border (e.g. 2x2 with stride 2, 'valid'), in explicit SIMD: per window and block
/// of channels, the maximum, then the first element equal to it takes `dy` (masked by
/// `max > 0` with `relu_mask`), every other element zero.
struct DisjointMaxGrad<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    dys: &'a [f32],
    relu_mask: bool,
    dx: &'a mut [f32],
}

/// Largest window of the disjoint fast paths (its input positions are listed on the stack).
const MAX_WINDOW: usize = 64;

/// Whether the disjoint fast paths apply: windows that neither overlap nor reach into the
/// padding on either side, of at most `MAX_WINDOW` elements.
fn disjoint_windows(g: &Geom) -> bool {
    g.window() <= MAX_WINDOW
        && (0..3).all(|a| {
            let last_end = (g.o[a].max(1) - 1) * g.stride[a] + g.k[a];
            g.stride[a] >= g.k[a] && g.pad[a] == 0 && g.dil[a] == 1 && last_end <= g.s[a]
        })
}

/// The input positions of output position `o`'s window (inside the input: no padding).
#[inline(always)]
fn window_sources<'a>(g: &Geom, o: [usize; 3], out: &'a mut [usize; MAX_WINDOW]) -> &'a [usize] {
    let mut n = 0;
    for k0 in 0..g.k[0] {
        for k1 in 0..g.k[1] {
            let base = ((o[0] * g.stride[0] + k0) * g.s[1] + o[1] * g.stride[1] + k1) * g.s[2]
                + o[2] * g.stride[2];
            for k2 in 0..g.k[2] {
                out[n] = base + k2;
                n += 1;
            }
        }
    }
    &out[..n]
}

/// Max pooling of one sample over disjoint windows inside the input, in explicit SIMD.
struct DisjointMax<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    o: &'a mut [f32],
}

impl WithSimd for DisjointMax<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let DisjointMax { g, xs, o } = self;
        let (c, lanes) = (g.cin, S::F32_LANES);
        let blocks = c / lanes;
        let mut sources = [0usize; MAX_WINDOW];
        let mut row = 0;
        for o0 in 0..g.o[0] {
            for o1 in 0..g.o[1] {
                for o2 in 0..g.o[2] {
                    let sources = window_sources(g, [o0, o1, o2], &mut sources);
                    let orow = &mut o[row * c..(row + 1) * c];
                    for b in 0..blocks {
                        // `max(x, m)` keeps `m` where `x` is NaN: NaN never wins.
                        let mut m = simd.splat_f32s(f32::NEG_INFINITY);
                        for &s in sources {
                            let at = s * c + b * lanes;
                            m = simd.max_f32s(S::as_simd_f32s(&xs[at..at + lanes]).0[0], m);
                        }
                        S::as_mut_simd_f32s(&mut orow[b * lanes..(b + 1) * lanes]).0[0] = m;
                    }
                    for ch in blocks * lanes..c {
                        orow[ch] = sources
                            .iter()
                            .map(|&s| xs[s * c + ch])
                            .fold(f32::NEG_INFINITY, |a, v| if v > a { v } else { a });
                    }
                    row += 1;
                }
            }
        }
    }
}

impl WithSimd for DisjointMaxGrad<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let DisjointMaxGrad {
            g,
            xs,
            dys,
            relu_mask,
            dx,
        } = self;
        let (c, lanes) = (g.cin, S::F32_LANES);
        let covered = (0..3).all(|a| g.stride[a] == g.k[a] && g.o[a] * g.k[a] == g.s[a]);
        if !covered {
            dx.fill(0.0);
        }
        let blocks = c / lanes;
        let (zero, one) = (simd.splat_f32s(0.0), simd.splat_f32s(1.0));
        let floor = simd.splat_f32s(if relu_mask { 0.0 } else { f32::NEG_INFINITY });
        let mut sources = [0usize; MAX_WINDOW];
        let mut row = 0;
        for o0 in 0..g.o[0] {
            for o1 in 0..g.o[1] {
                for o2 in 0..g.o[2] {
                    let sources = window_sources(g, [o0, o1, o2], &mut sources);
                    let drow = &dys[row * c..(row + 1) * c];
                    for b in 0..blocks {
                        let at = |s: usize| s * c + b * lanes;
                        let load = |s: usize| S::as_simd_f32s(&xs[at(s)..at(s) + lanes]).0[0];
                        // `max(x, m)` keeps `m` where `x` is NaN: NaN never wins.
                        let mut m = simd.splat_f32s(f32::NEG_INFINITY);
                        for &s in sources {
                            m = simd.max_f32s(load(s), m);
                        }
                        let d = S::as_simd_f32s(&drow[b * lanes..(b + 1) * lanes]).0[0];
                        // Channels whose maximum is not above the floor route nothing.
                        let mut open =
                            simd.select_f32s(simd.greater_than_f32s(m, floor), one, zero);
                        for &s in sources {
                            let hit = simd.and_m32s(
                                simd.equal_f32s(load(s), m),
                                simd.greater_than_f32s(open, zero),
                            );
                            S::as_mut_simd_f32s(&mut dx[at(s)..at(s) + lanes]).0[0] =
                                simd.select_f32s(hit, d, zero);
                            open = simd.select_f32s(hit, zero, open);
                        }
                    }
                    // Channels past the last full block, one at a time.
                    for ch in blocks * lanes..c {
                        let m = sources
                            .iter()
                            .map(|&s| xs[s * c + ch])
                            .fold(f32::NEG_INFINITY, |a, v| if v > a { v } else { a });
                        let mut open = !relu_mask || m > 0.0;
                        for &s in sources {
                            let hit = open && xs[s * c + ch] == m;
                            dx[s * c + ch] = if hit { drow[ch] } else { 0.0 };
                            open &= !hit;
                        }
                    }
                    row += 1;
                }
            }
        }
    }
}
