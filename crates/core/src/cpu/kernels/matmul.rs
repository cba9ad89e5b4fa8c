//! Matrix product kernel: 2-D through GEMM; batched products loop (or parallelize) over the
//! broadcast leading axes.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use crate::cpu::gemm::{sgemm, Strides};
use crate::error::{CoreError, Result};
use crate::shape::numel;

/// `out = op(a) @ op(b)`, leading axes broadcast.
pub fn matmul(
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    ta: bool,
    tb: bool,
    out: &mut [f32],
    out_shape: &[usize],
) -> Result<()> {
    let (sa, sb) = (a.shape(), b.shape());
    let (ra, rb, ro) = (sa.len(), sb.len(), out_shape.len());
    let (ar, ac) = (sa[ra - 2], sa[ra - 1]);
    let (br, bc) = (sb[rb - 2], sb[rb - 1]);
    let (m, k) = if ta { (ac, ar) } else { (ar, ac) };
    let n = if tb { br } else { bc };
    let ad = a
        .as_slice()
        .ok_or_else(|| CoreError::Graph("matmul: non-contiguous input".into()))?;
    let bd = b
        .as_slice()
        .ok_or_else(|| CoreError::Graph("matmul: non-contiguous input".into()))?;
    let stra = Strides::row_major(ac, ta);
    let strb = Strides::row_major(bc, tb);
    if m * n == 0 {
        return Ok(());
    }
    if k == 0 {
        out.fill(0.0);
        return Ok(());
    }
    let batch_shape = &out_shape[..ro - 2];
    let batches = numel(batch_shape);
    if batches == 1 {
        return sgemm(m, k, n, 1.0, ad, stra, bd, strb, 0.0, out);
    }
    if rb == 2 && !ta && numel(&sa[..ra - 2]) == batches {
        // (..., m, k) @ (k, n): one GEMM over all rows.
        return sgemm(batches * m, k, n, 1.0, ad, stra, bd, strb, 0.0, out);
    }
    // Offsets of each batch's A and B matrix under broadcasting of the leading axes.
    let offsets = |s: &[usize]| -> Vec<usize> {
        let lead = &s[..s.len() - 2];
        let mat = numel(&s[s.len() - 2..]);
        let pad = batch_shape.len() - lead.len();
        (0..batches)
            .map(|bi| {
                let mut rem = bi;
                let mut off = 0;
                let mut stride = mat;
                for ax in (0..batch_shape.len()).rev() {
                    let idx = rem % batch_shape[ax];
                    rem /= batch_shape[ax];
                    if ax >= pad {
                        let d = lead[ax - pad];
                        if d != 1 {
                            off += idx * stride;
                        }
                        stride *= d;
                    }
                }
                off
            })
            .collect()
    };
    let (oa, ob) = (offsets(sa), offsets(sb));
    let (la, lb) = (ar * ac, br * bc);
    let one = |bi: usize, c: &mut [f32]| {
        sgemm(
            m,
            k,
            n,
            1.0,
            &ad[oa[bi]..oa[bi] + la],
            stra,
            &bd[ob[bi]..ob[bi] + lb],
            strb,
            0.0,
            c,
        )
    };
    if m * n * k < crate::cpu::gemm::GEMM_PARALLEL_FLOPS && batches > 1 {
        out.par_chunks_mut(m * n)
            .enumerate()
            .try_for_each(|(bi, c)| one(bi, c))
    } else {
        out.chunks_mut(m * n)
            .enumerate()
            .try_for_each(|(bi, c)| one(bi, c))
    }
}
