//! Convolution as im2col + GEMM: forward, input gradient (GEMM + col2im) and kernel gradient;
//! short windows go to the direct kernels, 3x3 stride-1 windows on 16+ channels to Winograd's.

use super::direct::{direct_conv, direct_conv_grad_kernel, DIRECT_MAX_COLUMNS};

use super::{winograd, with_scratch, Chunks, Epilogue, Geom};
use crate::cpu::gemm::{sgemm, Strides};
use crate::error::{CoreError, Result};
use crate::ops::Window;

/// Target size (elements) of one chunk's column matrix: small enough to stay in L2/L3 between
/// its im2col and its GEMM.
const CHUNK_ELEMENTS: usize = 1 << 18;

/// Chunks of samples for im2col over `g`.
fn chunks(g: &Geom) -> Chunks {
    Chunks::new(g, g.out_positions() * g.window() * g.cin, CHUNK_ELEMENTS)
}

/// im2col of one sample into `out`: one row per output position, `window * cin` columns;
/// every element is written (zeros where the window hangs over the padding).
fn im2col_sample(g: &Geom, xs: &[f32], out: &mut [f32]) {
    let (c, cols) = (g.cin, g.window() * g.cin);
    g.for_each_run(|r, first, src, len| {
        let dst = &mut out[r * cols + first * c..r * cols + (first + len) * c];
        match src {
            Some(s) => dst.copy_from_slice(&xs[s * c..(s + len) * c]),
            None => dst.fill(0.0),
        }
    });
}

/// Runs `f(cols, rows)` on the column matrix of samples `n0..n0 + count` of `x` (in this
/// thread's scratch).
fn with_chunk_columns<R>(
    g: &Geom,
    x: &[f32],
    n0: usize,
    count: usize,
    f: impl FnOnce(&[f32], usize) -> Result<R>,
) -> Result<R> {
    let (rows, kc) = (g.out_positions(), g.window() * g.cin);
    let per_in = g.in_positions() * g.cin;
    with_scratch(count * rows * kc, |cols| {
        for (i, sample_cols) in cols.chunks_exact_mut((rows * kc).max(1)).enumerate() {
            let n = n0 + i;
            im2col_sample(g, &x[n * per_in..(n + 1) * per_in], sample_cols);
        }
        f(cols, count * rows)
    })
}

/// Forward convolution into `out` (`(N, *o, cout)`), with `epilogue` applied to each chunk of
/// output rows while it is in cache.
pub fn conv(
    x: &[f32],
    xs: &[usize],
    k: &[f32],
    ks: &[usize],
    w: &Window,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let (kc, cout) = (g.window() * g.cin, ks[ks.len() - 1]);
    if epilogue.bias.is_some_and(|b| b.len() != cout) {
        return Err(CoreError::Graph(format!(
            "conv_bias: bias of {} values for {cout} output channels",
            epilogue.bias.map_or(0, <[f32]>::len)
        )));
    }
    if kc <= DIRECT_MAX_COLUMNS {
        direct_conv(x, &g, k, cout, epilogue, out);
        return Ok(());
    }
    if winograd::applies(&g, cout) {
        return winograd::conv(x, &g, k, cout, epilogue, out);
    }
    let chunks = chunks(&g);
    let per_out = g.out_positions() * cout;
    chunks.for_each_mut(out, per_out * chunks.samples, |c, part| {
        let count = part.len() / per_out.max(1);
        with_chunk_columns(&g, x, c * chunks.samples, count, |cols, rows| {
            let (sa, sb) = (
                Strides::row_major(kc, false),
                Strides::row_major(cout, false),
            );
            let beta = if epilogue.preload_bias(part, cout) {
                1.0
            } else {
                0.0
            };
            sgemm(rows, kc, cout, 1.0, cols, sa, k, sb, beta, part)?;
            epilogue.finish(part);
            Ok(())
        })
    })
}

/// Gradient for the input: `col2im(dy @ K^T)`, chunk by chunk.
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
    if winograd::applies(&g, cout) {
        return winograd::conv_grad_input(dy, &g, k, cout, out);
    }
    let kc = g.window() * g.cin;
    let rows_per = g.out_positions();
    let per_in = g.in_positions() * g.cin;
    let chunks = chunks(&g);
    chunks.for_each_mut(out, per_in * chunks.samples, |c, dx| {
        let (n0, count) = (c * chunks.samples, dx.len() / per_in.max(1));
        let dy = &dy[n0 * rows_per * cout..(n0 + count) * rows_per * cout];
        with_scratch(count * rows_per * kc, |dcols| {
            let (sa, sb) = (
                Strides::row_major(cout, false),
                Strides::row_major(cout, true),
            );
            sgemm(count * rows_per, cout, kc, 1.0, dy, sa, k, sb, 0.0, dcols)?;
            dx.fill(0.0);
            let sample_cols = dcols.chunks_exact((rows_per * kc).max(1));
            for (dx, dc) in dx.chunks_exact_mut(per_in.max(1)).zip(sample_cols) {
                col2im_sample(&g, dc, dx);
            }
            Ok(())
        })
    })
}

/// The input gradient `dx` and kernel gradient `dk` of the convolution of `x` by `k` from
/// `dy`, in one pass where the kernels share work (Winograd: the transformed output gradient),
/// else one after the other.
#[allow(clippy::too_many_arguments)]
pub fn conv_grads(
    dy: &[f32],
    k: &[f32],
    ks: &[usize],
    x: &[f32],
    xs: &[usize],
    w: &Window,
    dx: &mut [f32],
    dk: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let cout = ks[ks.len() - 1];
    if winograd::applies(&g, cout) {
        return winograd::conv_grads(x, &g, dy, k, cout, dx, dk);
    }
    conv_grad_input(dy, k, ks, xs, w, dx)?;
    conv_grad_kernel(x, xs, dy, ks, w, dk)
}

/// Adds one sample's column-matrix gradient `dc` back onto the input positions it was
/// gathered from (`dx` zeroed by the caller).
fn col2im_sample(g: &Geom, dc: &[f32], dx: &mut [f32]) {
    let (c, kc) = (g.cin, g.window() * g.cin);
    g.for_each_run(|r, first, src, len| {
        if let Some(s) = src {
            let from = &dc[r * kc + first * c..r * kc + (first + len) * c];
            for (d, &v) in dx[s * c..(s + len) * c].iter_mut().zip(from) {
                *d += v;
            }
        }
    });
}

/// Gradient for the kernel: `im2col(x)^T @ dy`, one partial product per chunk, added in chunk
/// order (the same result whichever thread ran which chunk).
pub fn conv_grad_kernel(
    x: &[f32],
    xs: &[usize],
    dy: &[f32],
    ks: &[usize],
    w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    let (kc, cout) = (g.window() * g.cin, ks[ks.len() - 1]);
    if kc <= DIRECT_MAX_COLUMNS {
        direct_conv_grad_kernel(x, &g, dy, cout, out);
        return Ok(());
    }
    if winograd::applies(&g, cout) {
        return winograd::conv_grad_kernel(x, &g, dy, cout, out);
    }
    let chunks = chunks(&g);
    let rows_per = g.out_positions();
    let partial = |c: usize, part: &mut [f32]| {
        let n0 = c * chunks.samples;
        let count = chunks.samples.min(g.n - n0);
        let dy = &dy[n0 * rows_per * cout..(n0 + count) * rows_per * cout];
        with_chunk_columns(&g, x, n0, count, |cols, rows| {
            let (sa, sb) = (
                Strides::row_major(kc, true),
                Strides::row_major(cout, false),
            );
            sgemm(kc, rows, cout, 1.0, cols, sa, dy, sb, 0.0, part)
        })
    };
    with_scratch(chunks.count * kc * cout, |partials| {
        chunks.for_each_mut(partials, kc * cout, partial)?;
        out.fill(0.0);
        for part in partials.chunks_exact((kc * cout).max(1)) {
            out.iter_mut().zip(part).for_each(|(o, &v)| *o += v);
        }
        Ok(())
    })
}
