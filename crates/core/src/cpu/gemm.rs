//! Single-precision GEMM on the `gemm` crate's packed kernels (AVX-512 / AVX2+FMA / scalar,
//! picked at run time), each call single-threaded; large products are split into row or column
//! blocks that the calling thread and helper jobs on the rayon pool claim from a shared counter
//! (no other threads). Chosen by measurement against NumPy/OpenBLAS and `matrixmultiply`
//! (BENCHMARKS.md, "GEMM (issue 3)").

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{CoreError, Result};

/// Products below this many multiply-adds run on one thread. Measured on 2 cores (median
/// times): a two-way split ties at 2^18 (64^3: 2.3 vs 2.2-2.5 us) and wins from 2^19 on
/// (80^3: 5.2 -> 3.8 us, 32x128x128: 5.0 -> 4.0 us, 128^3: 18.5 -> 11 us).
pub const GEMM_PARALLEL_FLOPS: usize = 1 << 19;

/// Row blocks are multiples of this (the AVX-512 f32 lane count: full microkernel tiles).
const ROW_ALIGN: usize = 16;
/// Column blocks are multiples of this (16 f32 = one 64-byte cache line of C).
const COL_ALIGN: usize = 16;

/// Products with `m >= TALL * n` are split by rows whatever the operand layouts.
const TALL: usize = 16;

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

    /// Column-major storage (unit row stride, wider column stride): a transposed operand.
    fn col_major(self) -> bool {
        self.row == 1 && self.col != 1
    }
}

struct SendPtr(*mut f32);
// SAFETY: each task writes a disjoint block of C; the pointer is only used inside `sgemm`.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// Number of elements a `rows x cols` operand with strides `s` spans, or `None` for a negative
/// stride or an overflow.
fn extent(rows: usize, cols: usize, s: Strides) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    let r = usize::try_from(s.row).ok()?;
    let c = usize::try_from(s.col).ok()?;
    (rows - 1)
        .checked_mul(r)?
        .checked_add((cols - 1).checked_mul(c)?)?
        .checked_add(1)
}

/// `C = alpha * A @ B + beta * C` with `A: m x k`, `B: k x n`, `C: m x n` row-major contiguous.
/// The slices must cover the strided extents (non-negative strides); this is checked (an error,
/// never an out-of-bounds read). With `beta == 0` the old contents of `C` are ignored (NaN-safe).
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
    let too_short = || {
        CoreError::Graph(format!(
            "gemm: operands too short for {m}x{k} @ {k}x{n} ({}, {}, {})",
            a.len(),
            b.len(),
            c.len()
        ))
    };
    let ea = extent(m, k, sa).ok_or_else(too_short)?;
    let eb = extent(k, n, sb).ok_or_else(too_short)?;
    let ec = m.checked_mul(n).ok_or_else(too_short)?;
    if a.len() < ea || b.len() < eb || c.len() < ec {
        return Err(too_short());
    }
    let c = &mut c[..ec];
    if k == 0 {
        if beta == 0.0 {
            c.fill(0.0);
        } else {
            c.iter_mut().for_each(|x| *x *= beta);
        }
        return Ok(());
    }

    let c_ptr = SendPtr(c.as_mut_ptr());
    // Computes the block [r0, r0+rows) x [c0, c0+cols) of C on the current thread.
    let run = |r0: usize, rows: usize, c0: usize, cols: usize| {
        let cp = &c_ptr;
        // SAFETY: the extents were checked above (every block lies inside them, strides are
        // non-negative); blocks written by different tasks are disjoint.
        unsafe {
            block_gemm(
                rows,
                cols,
                k,
                cp.0.add(r0 * n + c0),
                n,
                a.as_ptr().offset(r0 as isize * sa.row),
                sa,
                b.as_ptr().offset(c0 as isize * sb.col),
                sb,
                alpha,
                beta,
            );
        }
    };

    let threads = rayon::current_num_threads();
    let work = m.saturating_mul(n).saturating_mul(k);
    let in_pool = rayon::current_thread_index().is_some();
    if k >= DEEP * m.max(n) && work >= GEMM_PARALLEL_FLOPS && threads >= 2 && !in_pool {
        return sgemm_split_k(m, k, n, alpha, a, sa, b, sb, beta, c, threads);
    }
    // Split direction, measured (BENCHMARKS.md): columns when B is read transposed (dY @ W^T:
    // each task then packs only its own rows of the stored W), rows when A is (X^T @ dY), and
    // for plain products columns only for narrow outputs (e.g. 32x784 @ 784x100); but rows
    // for tall products (convolution's 15488x288 @ 288x64), where a column split would have
    // every task pack all of the large A.
    let want_cols = if m >= TALL * n {
        false
    } else if sb.col_major() {
        true
    } else if sa.col_major() {
        false
    } else {
        n < 256
    };
    let (can_rows, can_cols) = (m >= 2 * ROW_ALIGN, n >= 4 * COL_ALIGN);
    let by_cols = if want_cols {
        can_cols
    } else {
        !can_rows && can_cols
    };
    let (len, align) = if by_cols {
        (n, COL_ALIGN)
    } else {
        (m, ROW_ALIGN)
    };
    // One block per pool thread (the caller computes blocks too), none below half the cutoff.
    let parts = threads
        .min(len / align)
        .min((work / (GEMM_PARALLEL_FLOPS / 2)).max(1));
    if parts < 2 || work < GEMM_PARALLEL_FLOPS || !(can_rows || can_cols) || in_pool {
        run(0, m, 0, n);
        return Ok(());
    }
    let block = len.div_ceil(parts).next_multiple_of(align).min(len);
    let blocks = len.div_ceil(block);
    let job = |i: usize| {
        let (o, w) = (i * block, block.min(len - i * block));
        if by_cols {
            run(0, m, o, w)
        } else {
            run(o, w, 0, n)
        }
    };
    if share_blocks(blocks, parts - 1, &job) {
        Ok(())
    } else {
        Err(CoreError::Graph(format!(
            "gemm: a block of {m}x{k} @ {k}x{n} failed"
        )))
    }
}

/// One single-threaded `gemm` call: `C = alpha * A @ B + beta * C` for an `m x k` A and a
/// `k x n` B with strides `sa`, `sb`, into a row-major C with row stride `ldc` (`beta == 0`
/// ignores C's old contents).
///
/// # Safety
/// The pointers must cover the strided extents of their operands, and no other thread may
/// access the C block while it runs.
#[allow(clippy::too_many_arguments)]
unsafe fn block_gemm(
    m: usize,
    n: usize,
    k: usize,
    c: *mut f32,
    ldc: usize,
    a: *const f32,
    sa: Strides,
    b: *const f32,
    sb: Strides,
    alpha: f32,
    beta: f32,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            1,
            ldc as isize,
            beta != 0.0,
            a,
            sa.col,
            sa.row,
            b,
            sb.col,
            sb.row,
            beta,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Deep products (`k >= DEEP * max(m, n)`, e.g. a convolution's kernel gradient
/// 288x15488 @ 15488x64) are split along `k`: row or column blocks would each re-read all of
/// the long operands.
const DEEP: usize = 16;

/// `C = alpha * A @ B + beta * C` with `k` cut into one slice per thread: each slice's product
/// goes to its own partial buffer, and the partials are added in slice order (the result does
/// not depend on which thread ran which slice).
#[allow(clippy::too_many_arguments)]
fn sgemm_split_k(
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
    parts: usize,
) -> Result<()> {
    let slice = k.div_ceil(parts);
    let parts = k.div_ceil(slice);
    let mut partials = vec![0.0f32; parts * m * n];
    let p_ptr = SendPtr(partials.as_mut_ptr());
    let job = |i: usize| {
        let (k0, len) = (i * slice, slice.min(k - i * slice));
        let pp = &p_ptr;
        // SAFETY: `sgemm` checked that A and B cover their strided extents, and the slice
        // `k0..k0 + len` lies inside `0..k`; partial `i` is written by this job only.
        unsafe {
            block_gemm(
                m,
                n,
                len,
                pp.0.add(i * m * n),
                n,
                a.as_ptr().offset(k0 as isize * sa.col),
                sa,
                b.as_ptr().offset(k0 as isize * sb.row),
                sb,
                1.0,
                0.0,
            );
        }
    };
    if !share_blocks(parts, parts - 1, &job) {
        return Err(CoreError::Graph(format!(
            "gemm: a slice of {m}x{k} @ {k}x{n} failed"
        )));
    }
    let (first, rest) = partials.split_at(m * n);
    for (idx, out) in c.iter_mut().enumerate() {
        let sum = rest
            .chunks_exact(m * n)
            .fold(first[idx], |acc, p| acc + p[idx]);
        *out = if beta == 0.0 {
            alpha * sum
        } else {
            alpha * sum + beta * *out
        };
    }
    Ok(())
}

/// Blocks `0..count` claimed from a shared counter by the calling thread and by `helpers`
/// jobs on the rayon pool. The caller never sleeps: it keeps claiming blocks, then spins (with
/// yields) only while a helper finishes a block it claimed. A helper that starts late finds
/// nothing left and returns without touching `job`, so a sleeping pool costs the caller one
/// wake-up call instead of the wake-up latency (measured: the medians of small products stay at
/// their best-case times; `rayon::scope`'s blocking wait made them several times slower).
/// Returns false if a block panicked.
fn share_blocks(count: usize, helpers: usize, job: &(dyn Fn(usize) + Sync)) -> bool {
    struct Shared {
        next: AtomicUsize,
        done: AtomicUsize,
        failed: AtomicBool,
        count: usize,
        job: *const (dyn Fn(usize) + Sync + 'static),
    }
    // SAFETY: `job` is only dereferenced for a claimed index `< count`, and `share_blocks`
    // returns only after every such block has finished (see `claim`).
    unsafe impl Send for Shared {}
    unsafe impl Sync for Shared {}
    fn claim(sh: &Shared) {
        loop {
            let i = sh.next.fetch_add(1, Ordering::AcqRel);
            if i >= sh.count {
                return;
            }
            // SAFETY: `i < count`, so the caller of `share_blocks` is still waiting for this
            // block and the closure behind `job` is alive.
            let ok = catch_unwind(AssertUnwindSafe(|| unsafe { (*sh.job)(i) })).is_ok();
            if !ok {
                sh.failed.store(true, Ordering::Release);
            }
            sh.done.fetch_add(1, Ordering::AcqRel);
        }
    }
    let short: *const (dyn Fn(usize) + Sync + '_) = job;
    // SAFETY: only the lifetime is erased; see `Shared`.
    let job: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(short) };
    let sh = Arc::new(Shared {
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        count,
        job,
    });
    for _ in 0..helpers.min(count.saturating_sub(1)) {
        let sh = Arc::clone(&sh);
        rayon::spawn(move || claim(&sh));
    }
    claim(&sh);
    let mut spins = 0u32;
    while sh.done.load(Ordering::Acquire) < count {
        if spins < 1 << 10 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    !sh.failed.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference with the same strided semantics.
    #[allow(clippy::too_many_arguments)]
    fn reference(
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
    ) {
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f64;
                for p in 0..k {
                    let x = a[i * sa.row as usize + p * sa.col as usize] as f64;
                    let y = b[p * sb.row as usize + j * sb.col as usize] as f64;
                    acc += x * y;
                }
                let old = if beta == 0.0 {
                    0.0
                } else {
                    beta * c[i * n + j]
                };
                c[i * n + j] = alpha * acc as f32 + old;
            }
        }
    }

    fn check(m: usize, k: usize, n: usize, ta: bool, tb: bool, alpha: f32, beta: f32) {
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7 + 3) % 13) as f32 / 13.0 - 0.5)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 5 + 1) % 11) as f32 / 11.0 - 0.5)
            .collect();
        // A is stored k x m when read transposed, B is stored n x k.
        let sa = Strides::row_major(if ta { m } else { k }, ta);
        let sb = Strides::row_major(if tb { k } else { n }, tb);
        let init: Vec<f32> = (0..m * n)
            .map(|i| {
                if beta == 0.0 {
                    f32::NAN
                } else {
                    (i % 3) as f32
                }
            })
            .collect();
        let mut got = init.clone();
        let mut want = init;
        sgemm(m, k, n, alpha, &a, sa, &b, sb, beta, &mut got).unwrap();
        reference(m, k, n, alpha, &a, sa, &b, sb, beta, &mut want);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-3 * (1.0 + w.abs()),
                "{m}x{k}x{n} ta={ta} tb={tb} alpha={alpha} beta={beta}: C[{i}] = {g}, want {w}"
            );
        }
    }

    #[test]
    fn matches_reference_small_and_split() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (3, 5, 2),
            (17, 9, 33),
            (32, 784, 100),
            (100, 32, 784),
            (130, 70, 129),
            (256, 64, 256),
            (33, 200, 300),
        ] {
            for ta in [false, true] {
                for tb in [false, true] {
                    check(m, k, n, ta, tb, 1.0, 0.0);
                }
            }
            check(m, k, n, false, false, 0.5, 2.0);
        }
    }

    #[test]
    fn split_inside_pool_and_from_outside_agree() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| check(200, 100, 300, false, true, 1.0, 0.0));
        check(200, 100, 300, false, true, 1.0, 0.0);
    }

    #[test]
    fn concurrent_callers_share_the_pool() {
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    for i in 0..10 {
                        check(96 + 16 * t, 64, 200 + i, i % 2 == 0, t % 2 == 0, 1.0, 0.0);
                    }
                });
            }
        });
    }

    #[test]
    fn empty_k_scales_c() {
        let mut c = vec![1.0, 2.0, f32::NAN, 4.0];
        let s = Strides::row_major(0, false);
        sgemm(2, 0, 2, 1.0, &[], s, &[], s, 0.0, &mut c).unwrap();
        assert_eq!(c, vec![0.0; 4]);
        let mut c = vec![1.0, 2.0, 3.0, 4.0];
        sgemm(2, 0, 2, 1.0, &[], s, &[], s, 3.0, &mut c).unwrap();
        assert_eq!(c, vec![3.0, 6.0, 9.0, 12.0]);
    }

    #[test]
    fn short_or_negative_operands_are_errors() {
        let s = Strides::row_major(2, false);
        let mut c = vec![0.0; 4];
        assert!(sgemm(2, 2, 2, 1.0, &[0.0; 3], s, &[0.0; 4], s, 0.0, &mut c).is_err());
        assert!(sgemm(2, 2, 2, 1.0, &[0.0; 4], s, &[0.0; 4], s, 0.0, &mut c[..3]).is_err());
        let neg = Strides { row: -2, col: 1 };
        assert!(sgemm(2, 2, 2, 1.0, &[0.0; 4], neg, &[0.0; 4], s, 0.0, &mut c).is_err());
        let huge = Strides {
            row: isize::MAX,
            col: 1,
        };
        assert!(sgemm(3, 2, 2, 1.0, &[0.0; 4], huge, &[0.0; 4], s, 0.0, &mut c).is_err());
    }
}
