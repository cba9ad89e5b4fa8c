//! The `Backend` trait: where buffers live and how one node runs. The graph, autodiff, planning
//! and the training program are written once above it; the CPU implements it in `crate::cpu`, the
//! wgpu crate will implement it for GPUs.

use crate::error::Result;
use crate::ops::Op;
use crate::optim::{Optimizer, OptimizerState};
use crate::rng::Rng;

/// An input of a node: a buffer and the concrete shape it holds (its first `numel` elements).
pub struct Operand<'a, B: ?Sized> {
    /// The buffer.
    pub buf: &'a B,
    /// The concrete shape of the value in `buf`.
    pub shape: &'a [usize],
}

/// An output of a node: the buffer it is written into and the concrete shape of the value.
pub struct Target<'a, B: ?Sized> {
    /// The buffer (at least `numel(shape)` elements).
    pub buf: &'a mut B,
    /// The concrete shape of the value written.
    pub shape: &'a [usize],
}

/// A compute device: allocates buffers, moves data, runs one op into its output buffers.
pub trait Backend: Send + Sync {
    /// A device buffer of f32 values.
    type Buffer: Send + Sync;

    /// A short name such as `"cpu"`.
    fn name(&self) -> &'static str;

    /// Allocates a zeroed buffer of `len` elements.
    fn alloc(&self, len: usize) -> Result<Self::Buffer>;

    /// Copies `data` into the start of `buf` (which holds at least `data.len()` elements).
    fn write(&self, buf: &mut Self::Buffer, data: &[f32]) -> Result<()>;

    /// Copies the first `out.len()` elements of `buf` to the host.
    fn read(&self, buf: &Self::Buffer, out: &mut [f32]) -> Result<()>;

    /// Copies the first `len` elements of `src` into `dst`.
    fn copy(&self, src: &Self::Buffer, dst: &mut Self::Buffer, len: usize) -> Result<()>;

    /// Runs `op` on `inputs`, writing its `op.output_count()` outputs into `outputs`.
    fn run(
        &self,
        op: &Op,
        inputs: &[Operand<'_, Self::Buffer>],
        outputs: &mut [Target<'_, Self::Buffer>],
        rng: &mut Rng,
    ) -> Result<()>;

    /// Applies one optimizer step in place: `param` and its `slots` (first `len` elements each)
    /// from `grad`, at learning rate `lr` and 1-based `iteration`.
    #[allow(clippy::too_many_arguments)]
    fn apply_optimizer(
        &self,
        optimizer: &Optimizer,
        state: &mut OptimizerState,
        param: &mut Self::Buffer,
        grad: &Self::Buffer,
        slots: &mut [&mut Self::Buffer],
        len: usize,
        lr: f32,
        iteration: u64,
    ) -> Result<()>;

    /// Sum of squares of the first `len` elements (for gradient-norm clipping).
    fn sum_squares(&self, buf: &Self::Buffer, len: usize) -> Result<f64>;

    /// Multiplies the first `len` elements by `factor`.
    fn scale(&self, buf: &mut Self::Buffer, len: usize, factor: f32) -> Result<()>;

    /// Clips the first `len` elements to `[-limit, limit]`.
    fn clip_value(&self, buf: &mut Self::Buffer, len: usize, limit: f32) -> Result<()>;

    /// `out += alpha * op(a) @ op(b)` for 2-D operands (`op` transposes when asked); `out` holds
    /// the `m x n` product's shape. Used to apply plain SGD straight from a weight gradient's
    /// factors, so the gradient itself is never written.
    fn matmul_accumulate(
        &self,
        a: Operand<'_, Self::Buffer>,
        b: Operand<'_, Self::Buffer>,
        transpose_a: bool,
        transpose_b: bool,
        out: &mut Self::Buffer,
        alpha: f32,
    ) -> Result<()>;
}
