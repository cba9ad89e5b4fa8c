//! Convolution as im2col + GEMM (forward, input gradient via col2im, kernel gradient), and
//! direct max/average pooling with their gradients. Up to three spatial axes; fewer are
//! treated as leading axes of length 1.

use multiversion::multiversion;
use rayon::prelude::*;

use crate::cpu::gemm::{sgemm, Strides};
use crate::error::{CoreError, Result};
use crate::ops::{PoolKind, Window};

/// Sizes of one convolution or pooling, spatial axes padded to three.
#[derive(Debug, Clone, Copy)]
struct Geom {
    n: usize,
    cin: usize,
    s: [usize; 3],
    k: [usize; 3],
    o: [usize; 3],
    stride: [usize; 3],
    dil: [usize; 3],
    pad: [usize; 3],
}

impl Geom {
    fn new(x: &[usize], k: &[usize], w: &Window) -> Result<Geom> {
        let spatial = x.len() - 2;
        let lead = 3 - spatial;
        let mut g = Geom {
            n: x[0],
            cin: x[x.len() - 1],
            s: [1; 3],
            k: [1; 3],
            o: [1; 3],
            stride: [1; 3],
            dil: [1; 3],
            pad: [0; 3],
        };
        for i in 0..spatial {
            let j = lead + i;
            g.s[j] = x[1 + i];
            g.k[j] = k[i];
            g.stride[j] = w.strides[i];
            g.dil[j] = w.dilation[i];
            let (o, p) = w.out_len(i, x[1 + i], k[i]).ok_or_else(|| {
                CoreError::Graph(format!("conv: window {k:?} does not fit input {x:?}"))
            })?;
            g.o[j] = o;
            g.pad[j] = p;
        }
        Ok(g)
    }

    fn out_positions(&self) -> usize {
        self.o.iter().product()
    }

    fn window(&self) -> usize {
        self.k.iter().product()
    }

    fn in_positions(&self) -> usize {
        self.s.iter().product()
    }

    /// Input position for output `o` and window offset `k` on each axis, if inside the input.
    #[inline]
    fn source(&self, o: [usize; 3], k: [usize; 3]) -> Option<usize> {
        let mut idx = 0;
        for a in 0..3 {
            let i = (o[a] * self.stride[a] + k[a] * self.dil[a]) as isize - self.pad[a] as isize;
            if i < 0 || i as usize >= self.s[a] {
                return None;
            }
            idx = idx * self.s[a] + i as usize;
        }
        Some(idx)
    }

    /// Calls `f(row, sources)` for each output position (`row` in output order) with the input
    /// positions of its window that lie inside the input, in window order.
    #[inline(always)]
    fn for_each_window(&self, mut f: impl FnMut(usize, &[usize])) {
        let mut sources = Vec::with_capacity(self.window());
        let mut row = 0;
        for o0 in 0..self.o[0] {
            for o1 in 0..self.o[1] {
                for o2 in 0..self.o[2] {
                    sources.clear();
                    for k0 in 0..self.k[0] {
                        for k1 in 0..self.k[1] {
                            for k2 in 0..self.k[2] {
                                if let Some(s) = self.source([o0, o1, o2], [k0, k1, k2]) {
                                    sources.push(s);
                                }
                            }
                        }
                    }
                    f(row, &sources);
                    row += 1;
                }
            }
        }
    }

    /// Calls `f(row, first_col, first_source, len)` for runs of window offsets along the last
    /// spatial axis that are all inside (`Some`, consecutive sources when the dilation is 1) or
    /// all outside (`None`) the input, so callers can copy whole runs.
    #[inline]
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, Option<usize>, usize)) {
        let mut row = 0;
        for o0 in 0..self.o[0] {
            for o1 in 0..self.o[1] {
                for o2 in 0..self.o[2] {
                    let mut col = 0;
                    for k0 in 0..self.k[0] {
                        for k1 in 0..self.k[1] {
                            let base = self.source([o0, o1, o2], [k0, k1, 0]);
                            let start = (o2 * self.stride[2]) as isize - self.pad[2] as isize;
                            if self.dil[2] == 1 && base.is_some() && {
                                let end = start + self.k[2] as isize;
                                end <= self.s[2] as isize
                            } {
                                f(row, col, base, self.k[2]);
                            } else {
                                for k2 in 0..self.k[2] {
                                    f(row, col + k2, self.source([o0, o1, o2], [k0, k1, k2]), 1);
                                }
                            }
                            col += self.k[2];
                        }
                    }
                    row += 1;
                }
            }
        }
    }
}

/// Runs `f(sample, chunk)` over `out` cut into per-sample chunks, on the rayon pool when
/// `parallel`.
fn per_sample(
    out: &mut [f32],
    chunk: usize,
    parallel: bool,
    f: impl Fn((usize, &mut [f32])) + Sync + Send,
) {
    if parallel {
        out.par_chunks_mut(chunk).enumerate().for_each(f);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(f);
    }
}

thread_local! {
    /// Per-thread scratch for column matrices, grown to the largest size seen and reused, so a
    /// training step does not allocate (and page-fault) tens of megabytes per convolution.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on `len` elements of this thread's scratch buffer (contents unspecified).
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with(|cell| {
        // Taken out while in use, so a nested call gets a fresh buffer instead of a panic.
        let mut buf = std::mem::take(&mut *cell.borrow_mut());
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        let r = f(&mut buf[..len]);
        *cell.borrow_mut() = buf;
        r
    })
}

/// im2col into `out`: one row per output position, `window * cin` columns; every element is
/// written (zeros where the window hangs over the padding).
fn im2col(x: &[f32], g: &Geom, out: &mut [f32]) {
    let (rows, cols) = (g.out_positions(), g.window() * g.cin);
    let per_in = g.in_positions() * g.cin;
    let fill = |(n, chunk): (usize, &mut [f32])| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        g.for_each_run(|r, c, src, len| {
            let dst = r * cols + c * g.cin;
            let n = len * g.cin;
            match src {
                Some(s) => chunk[dst..dst + n].copy_from_slice(&xs[s * g.cin..s * g.cin + n]),
                None => chunk[dst..dst + n].fill(0.0),
            }
        });
    };
    let parallel = out.len() >= crate::cpu::PARALLEL_CUTOFF && g.n > 1;
    per_sample(out, rows * cols, parallel, fill);
}

/// Runs `f(cols, rows, kc, cout)` on the im2col matrix of `x` for kernel shape `ks`, with
/// `rows = N * out_positions` and `kc = window * cin`.
fn with_columns<R>(
    x: &[f32],
    xs: &[usize],
    ks: &[usize],
    w: &Window,
    f: impl FnOnce(&[f32], usize, usize, usize) -> Result<R>,
) -> Result<R> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let (rows, kc) = (g.n * g.out_positions(), g.window() * g.cin);
    with_scratch(rows * kc, |cols| {
        im2col(x, &g, cols);
        f(cols, rows, kc, ks[ks.len() - 1])
    })
}

/// Forward convolution into `out` (`(N, *o, cout)`).
pub fn conv(
    x: &[f32],
    xs: &[usize],
    k: &[f32],
    ks: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    with_columns(x, xs, ks, w, |cols, rows, kc, cout| {
        let (sa, sb) = (
            Strides::row_major(kc, false),
            Strides::row_major(cout, false),
        );
        sgemm(rows, kc, cout, 1.0, cols, sa, k, sb, 0.0, out)
    })
}

/// Gradient for the input: `col2im(dy @ K^T)`.
pub fn conv_grad_input(
    dy: &[f32],
    k: &[f32],
    ks: &[usize],
    xs: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let cout = ks[ks.len() - 1];
    let kc = g.window() * g.cin;
    let rows_per = g.out_positions();
    with_scratch(g.n * rows_per * kc, |dcols| {
        let (sa, sb) = (
            Strides::row_major(cout, false),
            Strides::row_major(cout, true),
        );
        sgemm(g.n * rows_per, cout, kc, 1.0, dy, sa, k, sb, 0.0, dcols)?;
        let per_in = g.in_positions() * g.cin;
        // Each sample's slice is zeroed by the task that fills it (one pass over memory).
        let scatter = |(n, dx): (usize, &mut [f32])| {
            dx.fill(0.0);
            let dc = &dcols[n * rows_per * kc..(n + 1) * rows_per * kc];
            g.for_each_run(|r, c, src, len| {
                if let Some(s) = src {
                    let n = len * g.cin;
                    let from = &dc[r * kc + c * g.cin..r * kc + c * g.cin + n];
                    for (d, &v) in dx[s * g.cin..s * g.cin + n].iter_mut().zip(from) {
                        *d += v;
                    }
                }
            });
        };
        let parallel = out.len() >= crate::cpu::PARALLEL_CUTOFF && g.n > 1;
        per_sample(out, per_in, parallel, scatter);
        Ok(())
    })
}

/// Gradient for the kernel: `im2col(x)^T @ dy`.
pub fn conv_grad_kernel(
    x: &[f32],
    xs: &[usize],
    dy: &[f32],
    ks: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    with_columns(x, xs, ks, w, |cols, rows, kc, cout| {
        let (sa, sb) = (
            Strides::row_major(kc, true),
            Strides::row_major(cout, false),
        );
        sgemm(kc, rows, cout, 1.0, cols, sa, dy, sb, 0.0, out)
    })
}

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
/// average spreads it over the window's in-bounds elements.
pub fn pool_grad(
    kind: PoolKind,
    x: &[f32],
    xs: &[usize],
    dy: &[f32],
    size: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, size, w)?;
    let (per_in, per_out) = (g.in_positions() * g.cin, g.out_positions() * g.cin);
    let run = |(n, dx): (usize, &mut [f32])| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        let dys = &dy[n * per_out..(n + 1) * per_out];
        pool_grad_sample(kind, &g, xs, dys, dx);
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
fn pool_grad_sample(kind: PoolKind, g: &Geom, xs: &[f32], dys: &[f32], dx: &mut [f32]) {
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
}

/// Channel block width of `window_max` (one AVX-512 vector).
const LANES: usize = 16;

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
