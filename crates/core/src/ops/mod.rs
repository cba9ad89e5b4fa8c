//! The op set. Each family file holds, for its ops, construction from attributes, shape inference
//! and the backward rule (written as other graph ops, so every backend runs the gradients).
//! Forward kernels live with each backend (`crate::cpu::kernels` for the CPU).

pub mod conv;
pub mod elementwise;
pub mod linalg;
pub mod nn;
pub mod random;
pub mod reduce;
pub mod structural;

use std::sync::Arc;

use ndarray::ArrayD;

pub use conv::{Padding, PoolKind, Window};
pub use elementwise::{BinaryOp, CastKind, UnaryOp};
pub use random::Distribution;
pub use reduce::ReduceOp;

use crate::attrs::Attrs;
use crate::error::{CoreError, Result};
use crate::graph::{Graph, NodeId};
use crate::shape::SymShape;

/// Identifier of a variable in a backend's parameter store.
pub type VarId = usize;

/// One node's operation and attributes. Attributes are normalized when the node is added
/// (axes are non-negative and sorted), so kernels never re-validate them.
#[derive(Debug, Clone)]
pub enum Op {
    /// A value fed at run time; `index` is its position among the graph's inputs.
    Input { index: usize },
    /// A constant baked into the graph.
    Const(Arc<ArrayD<f32>>),
    /// A variable of the parameter store.
    Variable(VarId),
    /// Elementwise function of one input.
    Unary(UnaryOp),
    /// Gradient of a unary op: inputs `(x, y, dy)`, output `dy * f'(x)`.
    UnaryGrad(UnaryOp),
    /// Elementwise function of two inputs with NumPy broadcasting.
    Binary(BinaryOp),
    /// `where(cond, a, b)` with broadcasting.
    Where,
    /// Reduction over `axes`.
    Reduce {
        kind: ReduceOp,
        axes: Vec<usize>,
        keepdims: bool,
    },
    /// Gradient of `Sum`/`Mean`: inputs `(dy, x)`, broadcasts `dy` (reduced over `axes`, with or
    /// without kept dims) back to `x`'s shape, divided by the reduced count when `mean`.
    ReduceGrad { axes: Vec<usize>, mean: bool },
    /// Gradient of `Prod`: inputs `(x, dy)` with `dy` already broadcast to `x`'s shape.
    ProdGrad { axes: Vec<usize> },
    /// Index of the max (`max = true`) or min along an axis.
    ArgReduce {
        max: bool,
        axis: usize,
        keepdims: bool,
    },
    /// Softmax along an axis.
    Softmax { axis: usize },
    /// Log-softmax along an axis.
    LogSoftmax { axis: usize },
    /// Gradient of softmax: inputs `(y, dy)`.
    SoftmaxGrad { axis: usize },
    /// Gradient of log-softmax: inputs `(y, dy)`.
    LogSoftmaxGrad { axis: usize },
    /// (Batched) matrix product of the last two axes, optionally transposing either side.
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    /// Axis permutation.
    Transpose { perm: Vec<usize> },
    /// Reshape; `0` copies the input dimension at the same position, `-1` is inferred.
    Reshape { shape: Vec<i64> },
    /// Reshapes the first input to the shape of the second (same element count).
    ReshapeLike,
    /// Inserts an axis of length 1.
    ExpandDims { axis: usize },
    /// Removes an axis of length 1.
    Squeeze { axis: usize },
    /// Sums the first input down to the shape of the second (undoes broadcasting).
    SumLike,
    /// Broadcasts the first input to the shape of the second.
    BroadcastLike,
    /// A tensor shaped like the input, filled with `value`.
    FillLike { value: f32 },
    /// Concatenation along an axis.
    Concat { axis: usize },
    /// Strided slice, one `(start, stop, step)` per axis, NumPy semantics (negative bounds allowed).
    Slice { spec: Vec<SliceSpec> },
    /// Gradient of `Slice`: inputs `(dy, x)`, scatters `dy` into zeros shaped like `x`.
    SliceGrad { spec: Vec<SliceSpec> },
    /// Constant padding, `(before, after)` per axis.
    Pad {
        pads: Vec<(usize, usize)>,
        value: f32,
    },
    /// Gathers slices along `axis` at the (integer-valued) indices of the second input.
    Gather { axis: usize },
    /// Gradient of `Gather`: inputs `(dy, indices, x)`, scatter-adds into zeros shaped like `x`.
    GatherGrad { axis: usize },
    /// Tiles the input `reps` times along each axis.
    Tile { reps: Vec<usize> },
    /// Gradient of `Tile`: inputs `(dy, x)`, sums the tiles of `dy`.
    TileGrad { reps: Vec<usize> },
    /// Repeats each element `repeats` times along `axis`.
    Repeat { repeats: usize, axis: usize },
    /// Gradient of `Repeat`: inputs `(dy, x)`, sums the repeats of `dy`.
    RepeatGrad { repeats: usize, axis: usize },
    /// One-hot encoding of integer-valued input along a new last axis.
    OneHot { depth: usize },
    /// Random values shaped like the input (or like `shape` when there is no input).
    Random {
        dist: Distribution,
        shape: Option<Vec<usize>>,
    },
    /// Identity in value, but no gradient flows through it.
    StopGradient,
    /// Convolution: inputs `(x, kernel)`, channels last, Keras kernel layout.
    Conv(Window),
    /// Transposed convolution (the gradient of `Conv` for its input): inputs `(x, kernel)` with
    /// the kernel in Keras's transposed layout `(*kernel_size, C_out, C_in)`.
    ConvTranspose {
        window: Window,
        /// Keras's `output_padding`: extra output length per spatial axis (`None`: the
        /// default length).
        output_padding: Option<Vec<usize>>,
    },
    /// `Conv` plus a per-channel bias, optionally followed by a plain relu, in one kernel:
    /// inputs `(x, kernel, bias)`. Made only by the fusion pass (`crate::fuse`), after
    /// differentiation, so it has no gradient rule.
    ConvBias { window: Window, relu: bool },
    /// Gradient of `Conv` for its input: inputs `(dy, kernel, x)`.
    ConvGradInput(Window),
    /// Gradient of `Conv` for its kernel: inputs `(x, dy, kernel)`.
    ConvGradKernel(Window),
    /// Both gradients of `Conv` in one kernel: inputs `(dy, kernel, x)` as `ConvGradInput`'s,
    /// outputs the input gradient and the kernel gradient (work on `dy` done once for both).
    /// Made only by the fusion pass; no gradient rule.
    ConvGrads(Window),
    /// `max_pool(relu(conv(x, kernel) + bias))` in one kernel: inputs `(x, kernel, bias)`; the
    /// unpooled activation is never written out. With `routes` there are two outputs of the
    /// pooled shape: first the routes, per pooled element the index within its window's
    /// in-bounds elements of the first maximum, or `-1` where the maximum is not positive (no
    /// gradient passes the relu); then the pooled values. Made only by the fusion pass; no
    /// gradient rule.
    ConvReluMaxPool {
        window: Window,
        pool_size: Vec<usize>,
        pool_window: Window,
        routes: bool,
    },
    /// The kernel gradient of `max_pool(relu(conv(x, kernel) + bias))` from the pooled
    /// gradient: inputs `(x, routes, dy_pooled, kernel)`, `routes` being the second output of
    /// a `ConvReluMaxPool`. Each sample's convolution output gradient is made from the routes in
    /// cache and never written out. `with_bias`: two outputs, the bias gradient (first) and the
    /// kernel gradient. Made only by the fusion pass; no gradient rule.
    ConvGradKernelPooled {
        window: Window,
        pool_size: Vec<usize>,
        pool_window: Window,
        with_bias: bool,
    },
    /// Depthwise convolution: inputs `(x, kernel)` with the kernel `(*kernel_size, C, M)`;
    /// output channel `c * M + m` is input channel `c` convolved with `kernel[..., c, m]`.
    DepthwiseConv(Window),
    /// Gradient of `DepthwiseConv` for its input: inputs `(dy, kernel, x)`.
    DepthwiseConvGradInput(Window),
    /// Gradient of `DepthwiseConv` for its kernel: inputs `(x, dy, kernel)`.
    DepthwiseConvGradKernel(Window),
    /// Output `index` (1 or more) of a multi-output node, its only input; the producer's kernel
    /// writes it (output 0 is the producer node itself). Made only by the fusion pass.
    Output { index: usize },
    /// The relu-masked max-pooling gradient from routes (the first output of a
    /// `ConvReluMaxPool` with `routes`): inputs `(routes, dy_pooled)`, output shaped
    /// `(batch, *spatial, channels)` (the unpooled activation's shape, which the pooled one does
    /// not determine). With `channel_sums`, a second output holds its sums over all axes but the
    /// last. Made only by the fusion pass; no gradient rule.
    MaxPoolGradRouted {
        size: Vec<usize>,
        window: Window,
        spatial: Vec<usize>,
        channel_sums: bool,
    },
    /// Max or average pooling over windows of `size`.
    Pool {
        kind: PoolKind,
        size: Vec<usize>,
        window: Window,
    },
    /// Gradient of `Pool`: inputs `(x, dy)`. With `relu_mask` (set only by the fusion pass) it
    /// is also zeroed where `x <= 0`: a plain relu's gradient when `x` is that relu's output.
    /// With `channel_sums` (also only from the fusion pass) a second output holds the
    /// gradient's sum over all axes but the last (the bias gradient of the layer below).
    PoolGrad {
        kind: PoolKind,
        size: Vec<usize>,
        window: Window,
        relu_mask: bool,
        channel_sums: bool,
    },
}

/// One axis of a strided slice: `start`, `stop` (exclusive, `None` = to the end), `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SliceSpec {
    /// First index (negative counts from the end).
    pub start: Option<i64>,
    /// End index, exclusive (negative counts from the end).
    pub stop: Option<i64>,
    /// Step, non-zero.
    pub step: i64,
}

impl Op {
    /// The op's name as used in error messages and by front ends.
    pub fn name(&self) -> String {
        match self {
            Op::Input { .. } => "input".into(),
            Op::Const(_) => "constant".into(),
            Op::Variable(_) => "variable".into(),
            Op::Unary(u) => u.name().into(),
            Op::UnaryGrad(u) => format!("{}_grad", u.name()),
            Op::Binary(b) => b.name().into(),
            Op::Where => "where".into(),
            Op::Reduce { kind, .. } => kind.name().into(),
            Op::ProdGrad { .. } => "prod_grad".into(),
            Op::ReduceGrad { .. } => "reduce_grad".into(),
            Op::ArgReduce { max, .. } => if *max { "argmax" } else { "argmin" }.into(),
            Op::Softmax { .. } => "softmax".into(),
            Op::LogSoftmax { .. } => "log_softmax".into(),
            Op::SoftmaxGrad { .. } => "softmax_grad".into(),
            Op::LogSoftmaxGrad { .. } => "log_softmax_grad".into(),
            Op::MatMul { .. } => "matmul".into(),
            Op::Transpose { .. } => "transpose".into(),
            Op::Reshape { .. } => "reshape".into(),
            Op::ReshapeLike => "reshape_like".into(),
            Op::ExpandDims { .. } => "expand_dims".into(),
            Op::Squeeze { .. } => "squeeze".into(),
            Op::SumLike => "sum_like".into(),
            Op::BroadcastLike => "broadcast_like".into(),
            Op::FillLike { .. } => "fill_like".into(),
            Op::Concat { .. } => "concatenate".into(),
            Op::Slice { .. } => "slice".into(),
            Op::SliceGrad { .. } => "slice_grad".into(),
            Op::Pad { .. } => "pad".into(),
            Op::Gather { .. } => "gather".into(),
            Op::GatherGrad { .. } => "gather_grad".into(),
            Op::Tile { .. } => "tile".into(),
            Op::Repeat { .. } => "repeat".into(),
            Op::TileGrad { .. } => "tile_grad".into(),
            Op::RepeatGrad { .. } => "repeat_grad".into(),
            Op::OneHot { .. } => "one_hot".into(),
            Op::Random { dist, .. } => dist.name().into(),
            Op::StopGradient => "stop_gradient".into(),
            Op::Conv(_) => "conv".into(),
            Op::ConvBias { relu: false, .. } => "conv_bias".into(),
            Op::ConvBias { relu: true, .. } => "conv_bias_relu".into(),
            Op::ConvGradInput(_) => "conv_grad_input".into(),
            Op::ConvTranspose { .. } => "conv_transpose".into(),
            Op::ConvGradKernel(_) => "conv_grad_kernel".into(),
            Op::ConvGrads(_) => "conv_grads".into(),
            Op::MaxPoolGradRouted { .. } => "max_pool_grad_routed".into(),
            Op::DepthwiseConv(_) => "depthwise_conv".into(),
            Op::ConvGradKernelPooled {
                with_bias: false, ..
            } => "conv_grad_kernel_pooled".into(),
            Op::ConvGradKernelPooled {
                with_bias: true, ..
            } => "conv_grad_bias_kernel_pooled".into(),
            Op::ConvReluMaxPool { .. } => "conv_relu_max_pool".into(),
            Op::Output { index } => format!("output_{index}"),
            Op::DepthwiseConvGradInput(_) => "depthwise_conv_grad_input".into(),
            Op::DepthwiseConvGradKernel(_) => "depthwise_conv_grad_kernel".into(),
            Op::Pool {
                kind: PoolKind::Max,
                ..
            } => "max_pool".into(),
            Op::Pool {
                kind: PoolKind::Avg,
                ..
            } => "avg_pool".into(),
            Op::PoolGrad {
                relu_mask: false, ..
            } => "pool_grad".into(),
            Op::PoolGrad {
                relu_mask: true, ..
            } => "pool_grad_relu".into(),
        }
    }

    /// True when the output shares the input's buffer (a pure change of shape).
    pub fn is_alias(&self) -> bool {
        matches!(
            self,
            Op::Reshape { .. }
                | Op::ReshapeLike
                | Op::ExpandDims { .. }
                | Op::Squeeze { .. }
                | Op::StopGradient
                | Op::Unary(UnaryOp::Identity)
        )
    }

    /// True for ops that draw from the executor's random generator.
    pub fn is_random(&self) -> bool {
        matches!(self, Op::Random { .. })
    }

    /// Builds an op from its front-end name and attributes, given the ranks of its inputs
    /// (axes are normalized against them).
    pub fn from_name(name: &str, attrs: &Attrs, input_shapes: &[SymShape]) -> Result<Op> {
        if let Some(op) = elementwise::from_name(name, attrs)? {
            return Ok(op);
        }
        if let Some(op) = reduce::from_name(name, attrs, input_shapes)? {
            return Ok(op);
        }
        if let Some(op) = nn::from_name(name, attrs, input_shapes)? {
            return Ok(op);
        }
        if let Some(op) = linalg::from_name(name, attrs)? {
            return Ok(op);
        }
        if let Some(op) = structural::from_name(name, attrs, input_shapes)? {
            return Ok(op);
        }
        if let Some(op) = random::from_name(name, attrs)? {
            return Ok(op);
        }
        if let Some(op) = conv::from_name(name, attrs, input_shapes)? {
            return Ok(op);
        }
        Err(CoreError::UnknownOp(name.to_string()))
    }

    /// Infers the output shape from the input shapes (symbolic or concrete), validating them.
    pub fn infer_shape(&self, inputs: &[SymShape]) -> Result<SymShape> {
        let op = self.name();
        let want = self.arity();
        if let Some(n) = want {
            if inputs.len() != n {
                return Err(CoreError::Graph(format!(
                    "{op}: expected {n} input(s), got {}",
                    inputs.len()
                )));
            }
        }
        match self {
            Op::Input { .. } | Op::Variable(_) => Err(CoreError::Graph(format!(
                "{op}: the shape of a leaf node is given when it is added"
            ))),
            Op::Output { .. } => Err(CoreError::Graph(format!(
                "{op}: an output's shape comes from its producer (see `Op::infer_output_shapes`)"
            ))),
            Op::Const(a) => Ok(a.shape().iter().map(|&d| Some(d)).collect()),
            Op::Unary(_) | Op::UnaryGrad(_) | Op::Binary(_) | Op::Where | Op::StopGradient => {
                elementwise::infer(self, inputs)
            }
            Op::Reduce { .. }
            | Op::ProdGrad { .. }
            | Op::ReduceGrad { .. }
            | Op::ArgReduce { .. } => reduce::infer(self, inputs),
            Op::Softmax { .. }
            | Op::LogSoftmax { .. }
            | Op::SoftmaxGrad { .. }
            | Op::LogSoftmaxGrad { .. } => nn::infer(self, inputs),
            Op::MatMul { .. } => linalg::infer(self, inputs),
            Op::Random { .. } => random::infer(self, inputs),
            Op::Conv(_)
            | Op::ConvBias { .. }
            | Op::ConvTranspose { .. }
            | Op::ConvGradInput(_)
            | Op::ConvGradKernel(_)
            | Op::ConvGrads(_)
            | Op::DepthwiseConv(_)
            | Op::DepthwiseConvGradInput(_)
            | Op::DepthwiseConvGradKernel(_)
            | Op::ConvGradKernelPooled { .. }
            | Op::ConvReluMaxPool { .. }
            | Op::MaxPoolGradRouted { .. }
            | Op::Pool { .. }
            | Op::PoolGrad { .. } => conv::infer(self, inputs),
            _ => structural::infer(self, inputs),
        }
    }

    /// Number of outputs the op's kernel writes: 1 for all but the fused multi-output ops,
    /// whose outputs past the first are read through `Output` nodes.
    pub fn output_count(&self) -> usize {
        match self {
            Op::ConvReluMaxPool { routes: true, .. }
            | Op::ConvGrads(_)
            | Op::ConvGradKernelPooled {
                with_bias: true, ..
            }
            | Op::PoolGrad {
                channel_sums: true, ..
            }
            | Op::MaxPoolGradRouted {
                channel_sums: true, ..
            } => 2,
            _ => 1,
        }
    }

    /// The shapes of all `output_count()` outputs, the first being `infer_shape`'s.
    pub fn infer_output_shapes(&self, inputs: &[SymShape]) -> Result<Vec<SymShape>> {
        let first = self.infer_shape(inputs)?;
        Ok(match self {
            Op::ConvReluMaxPool { routes: true, .. } => vec![first.clone(), first],
            Op::ConvGrads(_) => vec![first, inputs[1].clone()],
            Op::ConvGradKernelPooled {
                with_bias: true, ..
            } => vec![first, inputs[3].clone()],
            Op::PoolGrad {
                channel_sums: true, ..
            }
            | Op::MaxPoolGradRouted {
                channel_sums: true, ..
            } => {
                let channels = first.last().copied().flatten();
                vec![first, vec![channels]]
            }
            _ => vec![first],
        })
    }

    /// Number of inputs the op takes (`None` = variadic).
    pub fn arity(&self) -> Option<usize> {
        Some(match self {
            Op::Input { .. } | Op::Const(_) | Op::Variable(_) => 0,
            Op::Concat { .. } => return None,
            Op::Random { shape, .. } => usize::from(shape.is_none()),
            Op::UnaryGrad(_)
            | Op::Where
            | Op::GatherGrad { .. }
            | Op::ConvGradInput(_)
            | Op::ConvGradKernel(_)
            | Op::ConvGrads(_)
            | Op::DepthwiseConvGradInput(_)
            | Op::DepthwiseConvGradKernel(_)
            | Op::ConvBias { .. }
            | Op::ConvReluMaxPool { .. } => 3,
            Op::ConvGradKernelPooled { .. } => 4,
            Op::Conv(_)
            | Op::DepthwiseConv(_)
            | Op::ConvTranspose { .. }
            | Op::PoolGrad { .. }
            | Op::MaxPoolGradRouted { .. } => 2,
            Op::Binary(_)
            | Op::ProdGrad { .. }
            | Op::ReduceGrad { .. }
            | Op::SoftmaxGrad { .. }
            | Op::LogSoftmaxGrad { .. }
            | Op::MatMul { .. }
            | Op::SumLike
            | Op::BroadcastLike
            | Op::SliceGrad { .. }
            | Op::ReshapeLike
            | Op::TileGrad { .. }
            | Op::RepeatGrad { .. }
            | Op::Gather { .. } => 2,
            _ => 1,
        })
    }

    /// Appends the gradient of `node` to `g`, given the gradient `dy` of its output.
    /// Returns one entry per input: `None` where no gradient flows.
    pub fn backward(g: &mut Graph, node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
        let n = g.node(node)?.clone();
        match &n.op {
            Op::Input { .. } | Op::Const(_) | Op::Variable(_) | Op::Random { .. } => Ok(vec![]),
            Op::Output { .. } => Err(CoreError::Graph(format!(
                "{} is made by the fusion pass after differentiation and has no gradient rule",
                n.op.name()
            ))),
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::StopGradient | Op::UnaryGrad(_) => {
                elementwise::backward(g, &n, node, dy)
            }
            Op::Reduce { .. }
            | Op::ArgReduce { .. }
            | Op::ProdGrad { .. }
            | Op::ReduceGrad { .. } => reduce::backward(g, &n, node, dy),
            Op::Softmax { .. }
            | Op::LogSoftmax { .. }
            | Op::SoftmaxGrad { .. }
            | Op::LogSoftmaxGrad { .. } => nn::backward(g, &n, node, dy),
            Op::MatMul { .. } => linalg::backward(g, &n, dy),
            Op::Conv(_)
            | Op::ConvBias { .. }
            | Op::ConvTranspose { .. }
            | Op::ConvGradInput(_)
            | Op::ConvGradKernel(_)
            | Op::ConvGrads(_)
            | Op::DepthwiseConv(_)
            | Op::DepthwiseConvGradInput(_)
            | Op::DepthwiseConvGradKernel(_)
            | Op::ConvGradKernelPooled { .. }
            | Op::ConvReluMaxPool { .. }
            | Op::MaxPoolGradRouted { .. }
            | Op::Pool { .. }
            | Op::PoolGrad { .. } => conv::backward(g, &n, dy),
            _ => structural::backward(g, &n, node, dy),
        }
    }
}
