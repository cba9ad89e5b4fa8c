//! Convolution as im2col + GEMM: forward, input gradient (GEMM + col2im) and kernel gradient;
//! short windows go to the direct kernels.

use super::direct::{direct_conv, direct_conv_grad_kernel, DIRECT_MAX_COLUMNS};
use super::{per_sample, Geom};
use crate::cpu::gemm::{sgemm, Strides};
use crate::error::Result;
use crate::ops::Window;

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
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    if g.window() * g.cin <= DIRECT_MAX_COLUMNS {
        direct_conv(x, &g, k, ks[ks.len() - 1], out);
        return Ok(());
    }
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
    let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
    if g.window() * g.cin <= DIRECT_MAX_COLUMNS {
        direct_conv_grad_kernel(x, &g, dy, ks[ks.len() - 1], out);
        return Ok(());
    }
    with_columns(x, xs, ks, w, |cols, rows, kc, cout| {
        let (sa, sb) = (
            Strides::row_major(kc, true),
            Strides::row_major(cout, false),
        );
        sgemm(kc, rows, cout, 1.0, cols, sa, dy, sb, 0.0, out)
    })
}
