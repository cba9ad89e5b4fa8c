//! Max and average pooling and their gradients, one window at a time, vectorized over
//! channels.

use multiversion::multiversion;
use pulp::{Arch, Simd, WithSimd};

use super::{add_channel_sums, per_sample, per_sample_with, with_scratch, Geom, LANES};
use crate::error::{CoreError, Result};
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
            self.arch.dispatch(DisjointMax {
                g,
                xs,
                o,
                routes: None,
            });
        } else {
            pool_sample(self.kind, g, xs, o);
        }
    }

    /// Max-pools one sample `xs` (a relu's output) into `o` and writes each pooled element's
    /// route into `routes`: the index, among its window's in-bounds elements in window order,
    /// of the first one holding the maximum, or `-1` where the maximum is not positive (no
    /// gradient passes the relu there).
    pub(super) fn run_routed(&self, xs: &[f32], o: &mut [f32], routes: &mut [f32]) {
        let g = &self.g;
        if self.fast {
            self.arch.dispatch(DisjointMax {
                g,
                xs,
                o,
                routes: Some(routes),
            });
        } else {
            max_routes_sample(g, xs, o, routes);
        }
    }

    /// The max-pooling gradient `dx` (every element written) of one sample from its pooled
    /// gradient `dys` and the routes `run_routed` wrote.
    pub(super) fn routed_grad(&self, routes: &[f32], dys: &[f32], dx: &mut [f32]) {
        let g = &self.g;
        if self.fast {
            self.arch
                .dispatch(DisjointRoutedGrad { g, routes, dys, dx });
        } else {
            routed_grad_sample(g, routes, dys, dx);
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
/// `x <= 0`. With `sums`, also the gradient's per-channel sums (over samples and positions).
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
    sums: Option<&mut [f32]>,
) -> Result<()> {
    let pooling = SamplePool::new(kind, Geom::new(xs, size, w)?);
    let g = &pooling.g;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    sample_grads(g, out, sums, |n, dx| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        pooling.grad(xs, &dy[n * per_out..(n + 1) * per_out], relu_mask, dx);
    })
}

/// The relu-masked max-pooling gradient from `routes` (see `SamplePool::run_routed`) and the
/// pooled gradient `dy` into `out`, shaped `xs` (the pooling's input); with `sums`, also its
/// per-channel sums (over samples and positions).
pub fn max_pool_grad_routed(
    routes: &[f32],
    dy: &[f32],
    xs: &[usize],
    size: &[usize],
    w: &Window,
    out: &mut [f32],
    sums: Option<&mut [f32]>,
) -> Result<()> {
    let pooling = SamplePool::new(PoolKind::Max, Geom::new(xs, size, w)?);
    let g = &pooling.g;
    let per_out = g.out_positions() * g.cin;
    if routes.len() != g.n * per_out || dy.len() != routes.len() {
        return Err(CoreError::Graph(format!(
            "max_pool_grad_routed: {} routes and {} gradient values for {} samples of {per_out}",
            routes.len(),
            dy.len(),
            g.n
        )));
    }
    sample_grads(g, out, sums, |n, dx| {
        let at = n * per_out..(n + 1) * per_out;
        pooling.routed_grad(&routes[at.clone()], &dy[at], dx);
    })
}

/// Runs `grad(sample, dx)` over `out` cut into per-sample gradients (in parallel), and with
/// `sums` adds up each sample's per-channel sums while it is in cache: one partial per sample,
/// added in sample order, so the sums do not depend on threading.
fn sample_grads(
    g: &Geom,
    out: &mut [f32],
    sums: Option<&mut [f32]>,
    grad: impl Fn(usize, &mut [f32]) + Sync + Send,
) -> Result<()> {
    let c = g.cin;
    let per_in = g.in_positions() * c;
    let run = |n: usize, dx: &mut [f32], partial: Option<&mut [f32]>| {
        grad(n, dx);
        if let Some(partial) = partial {
            partial.fill(0.0);
            add_channel_sums(dx, partial);
        }
    };
    let Some(sums) = sums else {
        per_sample_with(out, None, per_in, run);
        return Ok(());
    };
    if sums.len() != c {
        return Err(CoreError::Graph(format!(
            "pooling gradient: {} channel sums for {c} channels",
            sums.len()
        )));
    }
    with_scratch(g.n * c, |partials| {
        per_sample_with(out, Some((partials, c)), per_in, run);
        sums.fill(0.0);
        for partial in partials.chunks_exact(c.max(1)) {
            sums.iter_mut().zip(partial).for_each(|(s, &p)| *s += p);
        }
    });
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
    let disjoint = prepare_grad(g, dx);
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

/// Readies a pooling gradient `dx` to be written window by window; returns whether windows
/// are disjoint, so each input element is written at most once (`=` instead of `+=`). Only
/// elements outside every window then need zeroing first, which is done here.
fn prepare_grad(g: &Geom, dx: &mut [f32]) -> bool {
    let disjoint = (0..3).all(|a| g.stride[a] >= g.k[a]);
    let covered =
        (0..3).all(|a| g.stride[a] == g.k[a] && g.pad[a] == 0 && g.o[a] * g.k[a] == g.s[a]);
    if !covered {
        dx.fill(0.0);
    }
    disjoint
}

/// `SamplePool::run_routed` for any windows, one window at a time, vectorized over channels.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn max_routes_sample(g: &Geom, xs: &[f32], o: &mut [f32], routes: &mut [f32]) {
    let c = g.cin;
    g.for_each_window(|r, sources| {
        let (orow, arg) = (&mut o[r * c..(r + 1) * c], &mut routes[r * c..(r + 1) * c]);
        window_max(orow, xs, sources);
        arg.fill(-1.0);
        // Backwards, so the first element equal to the maximum is the one kept.
        for (k, &s) in sources.iter().enumerate().rev() {
            let xrow = &xs[s * c..(s + 1) * c];
            let (k, lanes) = (k as f32, arg.iter_mut().zip(xrow).zip(orow.iter()));
            lanes.for_each(|((a, &v), &m)| *a = if v == m && m > 0.0 { k } else { *a });
        }
    });
}

/// `SamplePool::routed_grad` for any windows, one window at a time, vectorized over channels.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn routed_grad_sample(g: &Geom, routes: &[f32], dys: &[f32], dx: &mut [f32]) {
    let c = g.cin;
    let disjoint = prepare_grad(g, dx);
    g.for_each_window(|r, sources| {
        let (drow, arg) = (&dys[r * c..(r + 1) * c], &routes[r * c..(r + 1) * c]);
        for (k, &s) in sources.iter().enumerate() {
            route_to_index(&mut dx[s * c..(s + 1) * c], drow, arg, k as f32, disjoint);
        }
    });
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

/// Calls `f(row, sources)` for each output position (`row`, in output order) of windows that
/// are disjoint and inside the input (`disjoint_windows`), with the input positions of its
/// window.
#[inline(always)]
fn for_each_disjoint_window(g: &Geom, mut f: impl FnMut(usize, &[usize])) {
    let mut sources = [0usize; MAX_WINDOW];
    let mut row = 0;
    for o0 in 0..g.o[0] {
        for o1 in 0..g.o[1] {
            for o2 in 0..g.o[2] {
                f(row, window_sources(g, [o0, o1, o2], &mut sources));
                row += 1;
            }
        }
    }
}

/// Max pooling of one sample over disjoint windows inside the input, in explicit SIMD; with
/// `routes`, also each pooled element's route (see `SamplePool::run_routed`).
struct DisjointMax<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    o: &'a mut [f32],
    routes: Option<&'a mut [f32]>,
}

/// `SamplePool::routed_grad` over disjoint windows inside the input, in explicit SIMD.
struct DisjointRoutedGrad<'a> {
    g: &'a Geom,
    routes: &'a [f32],
    dys: &'a [f32],
    dx: &'a mut [f32],
}

impl WithSimd for DisjointMax<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let DisjointMax {
            g,
            xs,
            o,
            mut routes,
        } = self;
        let (c, lanes) = (g.cin, S::F32_LANES);
        let blocks = c / lanes;
        let (zero, none) = (simd.splat_f32s(0.0), simd.splat_f32s(-1.0));
        for_each_disjoint_window(g, |row, sources| {
            let span = row * c..(row + 1) * c;
            let orow = &mut o[span.clone()];
            let mut arow = routes.as_deref_mut().map(|r| &mut r[span]);
            for b in 0..blocks {
                let load = |s: usize| {
                    let at = s * c + b * lanes;
                    S::as_simd_f32s(&xs[at..at + lanes]).0[0]
                };
                // `max(x, m)` keeps `m` where `x` is NaN: NaN never wins.
                let mut m = simd.splat_f32s(f32::NEG_INFINITY);
                for &s in sources {
                    m = simd.max_f32s(load(s), m);
                }
                S::as_mut_simd_f32s(&mut orow[b * lanes..(b + 1) * lanes]).0[0] = m;
                if let Some(arow) = arow.as_deref_mut() {
                    // Backwards, so the first element equal to the maximum is kept.
                    let positive = simd.greater_than_f32s(m, zero);
                    let mut arg = none;
                    for (k, &s) in sources.iter().enumerate().rev() {
                        let hit = simd.and_m32s(simd.equal_f32s(load(s), m), positive);
                        arg = simd.select_f32s(hit, simd.splat_f32s(k as f32), arg);
                    }
                    S::as_mut_simd_f32s(&mut arow[b * lanes..(b + 1) * lanes]).0[0] = arg;
                }
            }
            for ch in blocks * lanes..c {
                let m = sources
                    .iter()
                    .map(|&s| xs[s * c + ch])
                    .fold(f32::NEG_INFINITY, |a, v| if v > a { v } else { a });
                orow[ch] = m;
                if let Some(arow) = arow.as_deref_mut() {
                    let first = sources.iter().position(|&s| xs[s * c + ch] == m);
                    arow[ch] = match first {
                        Some(k) if m > 0.0 => k as f32,
                        _ => -1.0,
                    };
                }
            }
        });
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
        for_each_disjoint_window(g, |row, sources| {
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
                let mut open = simd.select_f32s(simd.greater_than_f32s(m, floor), one, zero);
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
        });
    }
}

impl WithSimd for DisjointRoutedGrad<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let DisjointRoutedGrad { g, routes, dys, dx } = self;
        let (c, lanes) = (g.cin, S::F32_LANES);
        prepare_grad(g, dx);
        let blocks = c / lanes;
        let zero = simd.splat_f32s(0.0);
        for_each_disjoint_window(g, |row, sources| {
            let (drow, arow) = (
                &dys[row * c..(row + 1) * c],
                &routes[row * c..(row + 1) * c],
            );
            for b in 0..blocks {
                let block = b * lanes..(b + 1) * lanes;
                let d = S::as_simd_f32s(&drow[block.clone()]).0[0];
                let a = S::as_simd_f32s(&arow[block]).0[0];
                for (k, &s) in sources.iter().enumerate() {
                    let hit = simd.equal_f32s(a, simd.splat_f32s(k as f32));
                    let at = s * c + b * lanes;
                    S::as_mut_simd_f32s(&mut dx[at..at + lanes]).0[0] =
                        simd.select_f32s(hit, d, zero);
                }
            }
            for ch in blocks * lanes..c {
                for (k, &s) in sources.iter().enumerate() {
                    let hit = arow[ch] == k as f32;
                    dx[s * c + ch] = if hit { drow[ch] } else { 0.0 };
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Padding;

    /// Sample values on a coarse grid (ties within windows are common), most not positive.
    fn values(len: usize, salt: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (((i * 2_654_435_761 + salt * 97) >> 7) % 9) as f32 * 0.5 - 3.5)
            .collect()
    }

    /// A pooling case: spatial shape, window, strides, padding.
    type Case = (
        &'static [usize],
        &'static [usize],
        &'static [usize],
        Padding,
    );

    /// Pools with routes and routes the gradient back: `(pooled, routes, dx)`.
    type RoutedPath<'a> = &'a dyn Fn(&mut [f32], &mut [f32], &mut [f32]);

    #[test]
    fn routes_give_the_pooling_and_its_relu_masked_gradient() {
        // (spatial shape, window, strides, padding): disjoint windows covering the input or
        // not (the fast paths), overlapping ones, windows into 'same' padding, one axis.
        let cases: [Case; 5] = [
            (&[6, 4], &[2, 2], &[2, 2], Padding::Valid),
            (&[7, 5], &[2, 2], &[2, 2], Padding::Valid),
            (&[7, 5], &[3, 3], &[2, 1], Padding::Valid),
            (&[5, 5], &[2, 2], &[2, 2], Padding::Same),
            (&[9], &[3], &[2], Padding::Same),
        ];
        // 19 channels: full vectors and a remainder at 16 and 8 lanes.
        let c = 19;
        for (spatial, size, strides, padding) in cases {
            let window = Window {
                strides: strides.to_vec(),
                dilation: vec![1; size.len()],
                padding,
            };
            let xshape: Vec<usize> = [&[1], spatial, &[c]].concat();
            let pooling =
                SamplePool::new(PoolKind::Max, Geom::new(&xshape, size, &window).unwrap());
            let g = &pooling.g;
            let (per_in, per_out) = (g.in_positions() * c, g.out_positions() * c);
            let (xs, dys) = (values(per_in, 1), values(per_out, 2));
            let mut want_o = vec![0.0; per_out];
            pooling.run(&xs, &mut want_o);
            let mut want_dx = vec![0.0; per_in];
            pooling.grad(&xs, &dys, true, &mut want_dx);
            let generic = |o: &mut [f32], r: &mut [f32], dx: &mut [f32]| {
                max_routes_sample(g, &xs, o, r);
                routed_grad_sample(g, r, &dys, dx);
            };
            // The kernel each instruction set chooses (the fast paths where windows are
            // disjoint).
            let mut archs = vec![Arch::new(), Arch::Scalar];
            #[cfg(target_arch = "x86_64")]
            if let Some(v3) = pulp::x86::V3::try_new() {
                archs.push(Arch::V3(v3));
            }
            let chosen: Vec<_> = archs
                .into_iter()
                .map(|arch| {
                    let pooling = SamplePool {
                        arch,
                        ..SamplePool::new(PoolKind::Max, *g)
                    };
                    let (xs, dys) = (&xs, &dys);
                    move |o: &mut [f32], r: &mut [f32], dx: &mut [f32]| {
                        pooling.run_routed(xs, o, r);
                        pooling.routed_grad(r, dys, dx);
                    }
                })
                .collect();
            let mut paths: Vec<RoutedPath> = vec![&generic];
            paths.extend(chosen.iter().map(|f| f as RoutedPath));
            for (p, path) in paths.into_iter().enumerate() {
                let (mut o, mut r) = (vec![0.0; per_out], vec![0.0; per_out]);
                let mut dx = vec![f32::NAN; per_in];
                path(&mut o, &mut r, &mut dx);
                let case = format!("{spatial:?} {size:?} {strides:?} {padding:?}, path {p}");
                assert_eq!(o, want_o, "{case}: pooled");
                assert_eq!(dx, want_dx, "{case}: gradient");
                let routed = r.iter().filter(|&&k| k >= 0.0).count();
                assert!(
                    routed > 0 && routed < per_out,
                    "{case}: {routed} of {per_out} routed"
                );
            }
        }
    }
}
