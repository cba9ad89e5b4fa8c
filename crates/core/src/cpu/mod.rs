//! The CPU backend: buffers are `Vec<f32>`, kernels run on ndarray views with rayon above a
//! measured size cutoff, GEMM comes from the `gemm` crate split across the rayon pool.

pub mod gemm;
pub mod kernels;

use ndarray::{ArrayViewD, ArrayViewMutD, IxDyn};

use crate::backend::{Backend, Operand, Target};
use crate::error::{CoreError, Result};
use crate::ops::Op;
use crate::optim::{Optimizer, OptimizerState};
use crate::rng::Rng;
use crate::shape::numel;

/// Elementwise work below this many elements runs on one thread (measured: below it, rayon's
/// fork/join costs more than the second core saves).
pub const PARALLEL_CUTOFF: usize = 1 << 15;

/// The CPU backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cpu;

/// A read-only ndarray view of the first `numel(shape)` elements of a buffer.
pub fn view<'a>(buf: &'a [f32], shape: &[usize]) -> Result<ArrayViewD<'a, f32>> {
    let n = numel(shape);
    let data = buf.get(..n).ok_or_else(|| short_buffer(n, buf.len()))?;
    ArrayViewD::from_shape(IxDyn(shape), data)
        .map_err(|e| CoreError::Graph(format!("cpu: bad view: {e}")))
}

/// A mutable ndarray view of the first `numel(shape)` elements of a buffer.
pub fn view_mut<'a>(buf: &'a mut [f32], shape: &[usize]) -> Result<ArrayViewMutD<'a, f32>> {
    let n = numel(shape);
    let len = buf.len();
    let data = buf.get_mut(..n).ok_or_else(|| short_buffer(n, len))?;
    ArrayViewMutD::from_shape(IxDyn(shape), data)
        .map_err(|e| CoreError::Graph(format!("cpu: bad view: {e}")))
}

fn short_buffer(need: usize, have: usize) -> CoreError {
    CoreError::Graph(format!("cpu: buffer holds {have} values, {need} needed"))
}

impl Backend for Cpu {
    type Buffer = Vec<f32>;

    fn name(&self) -> &'static str {
        "cpu"
    }

    fn alloc(&self, len: usize) -> Result<Vec<f32>> {
        Ok(vec![0.0; len])
    }

    fn write(&self, buf: &mut Vec<f32>, data: &[f32]) -> Result<()> {
        let len = buf.len();
        buf.get_mut(..data.len())
            .ok_or_else(|| short_buffer(data.len(), len))?
            .copy_from_slice(data);
        Ok(())
    }

    fn read(&self, buf: &Vec<f32>, out: &mut [f32]) -> Result<()> {
        out.copy_from_slice(
            buf.get(..out.len())
                .ok_or_else(|| short_buffer(out.len(), buf.len()))?,
        );
        Ok(())
    }

    fn copy(&self, src: &Vec<f32>, dst: &mut Vec<f32>, len: usize) -> Result<()> {
        let s = src.get(..len).ok_or_else(|| short_buffer(len, src.len()))?;
        let dlen = dst.len();
        dst.get_mut(..len)
            .ok_or_else(|| short_buffer(len, dlen))?
            .copy_from_slice(s);
        Ok(())
    }

    fn run(
        &self,
        op: &Op,
        inputs: &[Operand<'_, Vec<f32>>],
        outputs: &mut [Target<'_, Vec<f32>>],
        rng: &mut Rng,
    ) -> Result<()> {
        let views = inputs
            .iter()
            .map(|o| view(o.buf, o.shape))
            .collect::<Result<Vec<_>>>()?;
        if outputs.len() != op.output_count() {
            return Err(CoreError::Graph(format!(
                "{}: {} output buffers for {} outputs",
                op.name(),
                outputs.len(),
                op.output_count()
            )));
        }
        let first_shape = outputs.first().map(|t| t.shape).unwrap_or(&[]);
        let mut outs = Vec::with_capacity(outputs.len());
        for t in outputs.iter_mut() {
            let (n, len) = (numel(t.shape), t.buf.len());
            outs.push(t.buf.get_mut(..n).ok_or_else(|| short_buffer(n, len))?);
        }
        match outs.as_mut_slice() {
            [out] => kernels::run(op, &views, out, first_shape, rng),
            many => kernels::run_multi(op, &views, many),
        }
    }

    fn apply_optimizer(
        &self,
        optimizer: &Optimizer,
        state: &mut OptimizerState,
        param: &mut Vec<f32>,
        grad: &Vec<f32>,
        slots: &mut [&mut Vec<f32>],
        len: usize,
        lr: f32,
        iteration: u64,
    ) -> Result<()> {
        let plen = param.len();
        let p = param
            .get_mut(..len)
            .ok_or_else(|| short_buffer(len, plen))?;
        let g = grad
            .get(..len)
            .ok_or_else(|| short_buffer(len, grad.len()))?;
        let mut views = Vec::with_capacity(slots.len());
        for slot in slots.iter_mut() {
            let slen = slot.len();
            views.push(slot.get_mut(..len).ok_or_else(|| short_buffer(len, slen))?);
        }
        optimizer.apply(p, g, &mut views, lr, iteration, state)
    }

    fn sum_squares(&self, buf: &Vec<f32>, len: usize) -> Result<f64> {
        let b = buf.get(..len).ok_or_else(|| short_buffer(len, buf.len()))?;
        Ok(b.iter().map(|&v| f64::from(v) * f64::from(v)).sum())
    }

    fn scale(&self, buf: &mut Vec<f32>, len: usize, factor: f32) -> Result<()> {
        let blen = buf.len();
        let b = buf.get_mut(..len).ok_or_else(|| short_buffer(len, blen))?;
        b.iter_mut().for_each(|v| *v *= factor);
        Ok(())
    }

    fn matmul_accumulate(
        &self,
        a: Operand<'_, Vec<f32>>,
        b: Operand<'_, Vec<f32>>,
        transpose_a: bool,
        transpose_b: bool,
        out: &mut Vec<f32>,
        alpha: f32,
    ) -> Result<()> {
        let (&[ar, ac], &[br, bc]) = (a.shape, b.shape) else {
            return Err(CoreError::Graph(format!(
                "matmul_accumulate: 2-D operands expected, got {:?} and {:?}",
                a.shape, b.shape
            )));
        };
        let (m, k) = if transpose_a { (ac, ar) } else { (ar, ac) };
        let (kb, n) = if transpose_b { (bc, br) } else { (br, bc) };
        if k != kb || out.len() < m * n {
            return Err(CoreError::Graph(format!(
                "matmul_accumulate: {:?} @ {:?} does not fit an output of {} values",
                a.shape,
                b.shape,
                out.len()
            )));
        }
        let sa = gemm::Strides::row_major(ac, transpose_a);
        let sb = gemm::Strides::row_major(bc, transpose_b);
        gemm::sgemm(m, k, n, alpha, a.buf, sa, b.buf, sb, 1.0, &mut out[..m * n])
    }

    fn clip_value(&self, buf: &mut Vec<f32>, len: usize, limit: f32) -> Result<()> {
        let blen = buf.len();
        let b = buf.get_mut(..len).ok_or_else(|| short_buffer(len, blen))?;
        crate::optim::clip_by_value(b, limit)
    }
}
