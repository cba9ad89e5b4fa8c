//! Single-precision GEMM: `matrixmultiply`'s packed AVX2/FMA (runtime-detected) kernel, split
//! into row or column blocks over the rayon pool for large products. Chosen by measurement
//! against NumPy/OpenBLAS (BENCHMARKS.md).

use crate::error::{CoreError, Result};

/// Products below this many multiply-adds run on one thread (measured: splitting smaller ones
/// costs more in packing and fork/join than the second core gives back).
pub const GEMM_PARALLEL_FLOPS: usize = 1 << 21;

/// A strided matrix operand: `(row stride, column stride)` in elements.
#[derive(Debug, Clone, Copy)]
pub struct Strides {
    /// Distance between consecutive rows.
    pub row: isize,
    /// Distance between consecutive columns.
    pub col: isize,
}

impl Strides {
    /// Strides of a row-major matrix with `cols` columns, optionally read transposed.
    pub fn row_major(cols: usize, transposed: bool) -> Strides {
        if transposed {
            Strides {
                row: 1,
                col: cols as isize,
            }
        } else {
            Strides {
                row: cols as isize,
                col: 1,
            }
        }
    }
}

struct SendPtr(*mut f32);
// SAFETY: each task writes a disjoint block of C; the pointer is only used inside `sgemm`.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// `C = alpha * A @ B + beta * C` with `A: m x k`, `B: k x n`, `C: m x n` row-major contiguous.
/// The slices must cover the strided extents; this is checked (an error, never an out-of-bounds
/// read).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    beta: f32,
    c: &mut [f32],
) -> Result<()> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    let extent = |rows: usize, cols: usize, s: Strides| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * s.row as usize + (cols - 1) * s.col as usize + 1
        }
    };
    if a.len() < extent(m, k, sa) || b.len() < extent(k, n, sb) || c.len() < m * n {
        return Err(CoreError::Graph(format!(
            "gemm: operands too short for {m}x{k} @ {k}x{n} ({}, {}, {})",
            a.len(),
            b.len(),
            c.len()
        )));
    }
    let threads = rayon::current_num_threads();
    let work = m * n * k;
    let c_ptr = SendPtr(c.as_mut_ptr());
    let run = |r0: usize, rows: usize, c0: usize, cols: usize| {
        let cp = &c_ptr;
        // SAFETY: bounds were checked above; blocks [r0, r0+rows) x [c0, c0+cols) are disjoint
        // between tasks.
        unsafe {
            matrixmultiply::sgemm(
                rows,
                k,
                cols,
                alpha,
                a.as_ptr().offset(r0 as isize * sa.row),
                sa.row,
                sa.col,
                b.as_ptr().offset(c0 as isize * sb.col),
                sb.row,
                sb.col,
                beta,
                cp.0.add(r0 * n + c0),
                n as isize,
                1,
            );
        }
    };
    if threads < 2 || work < GEMM_PARALLEL_FLOPS || rayon::current_thread_index().is_some() {
        run(0, m, 0, n);
        return Ok(());
    }
    let parts = threads;
    if m >= n || n < 16 * parts {
        let block = m.div_ceil(parts).next_multiple_of(8).min(m);
        rayon::scope(|s| {
            let mut r0 = 0;
            while r0 < m {
                let rows = block.min(m - r0);
                let run = &run;
                s.spawn(move |_| run(r0, rows, 0, n));
                r0 += rows;
            }
        });
    } else {
        let block = n.div_ceil(parts).next_multiple_of(16).min(n);
        rayon::scope(|s| {
            let mut c0 = 0;
            while c0 < n {
                let cols = block.min(n - c0);
                let run = &run;
                s.spawn(move |_| run(0, m, c0, cols));
                c0 += cols;
            }
        });
    }
    Ok(())
}
