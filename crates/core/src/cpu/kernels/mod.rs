//! CPU forward kernels, one file per op family. Each writes a contiguous row-major output.

mod conv;
mod elementwise;
mod matmul;
mod reduce;
mod softmax;
mod structural;

use ndarray::ArrayViewD;

use crate::error::{CoreError, Result};
use crate::ops::Op;
use crate::rng::Rng;

fn slice<'a>(x: &'a ArrayViewD<'_, f32>) -> Result<&'a [f32]> {
    x.as_slice()
        .ok_or_else(|| CoreError::Graph("cpu: expected a contiguous input".into()))
}

/// Runs `op` on `inputs` into `out` (exactly `numel(out_shape)` elements).
pub fn run(
    op: &Op,
    inputs: &[ArrayViewD<'_, f32>],
    out: &mut [f32],
    out_shape: &[usize],
    rng: &mut Rng,
) -> Result<()> {
    let x = || {
        inputs
            .first()
            .ok_or_else(|| CoreError::Graph(format!("{}: missing input", op.name())))
    };
    match op {
        Op::Unary(u) => elementwise::unary(*u, x()?, out),
        Op::UnaryGrad(u) => elementwise::unary_grad(*u, &inputs[0], &inputs[1], &inputs[2], out),
        Op::Binary(b) => elementwise::binary(*b, &inputs[0], &inputs[1], out, out_shape),
        Op::Where => elementwise::where_(&inputs[0], &inputs[1], &inputs[2], out, out_shape),
        Op::FillLike { value } => {
            out.fill(*value);
            Ok(())
        }
        Op::Random { dist, .. } => {
            rng.fill(*dist, out);
            Ok(())
        }
        Op::Reduce { kind, axes, .. } => reduce::reduce(*kind, x()?, axes, out),
        Op::ArgReduce { max, axis, .. } => reduce::arg_reduce(*max, x()?, *axis, out),
        Op::ReduceGrad { axes, mean } => {
            reduce::reduce_grad(&inputs[0], &inputs[1], axes, *mean, out, out_shape)
        }
        Op::ProdGrad { axes } => reduce::prod_grad(&inputs[0], &inputs[1], axes, out),
        Op::SumLike => structural::sum_like(&inputs[0], out_shape, out),
        Op::Softmax { axis } => softmax::softmax(x()?, *axis, false, out),
        Op::LogSoftmax { axis } => softmax::softmax(x()?, *axis, true, out),
        Op::SoftmaxGrad { axis } => {
            softmax::softmax_grad(&inputs[0], &inputs[1], *axis, false, out)
        }
        Op::LogSoftmaxGrad { axis } => {
            softmax::softmax_grad(&inputs[0], &inputs[1], *axis, true, out)
        }
        Op::MatMul {
            transpose_a,
            transpose_b,
        } => matmul::matmul(
            &inputs[0],
            &inputs[1],
            *transpose_a,
            *transpose_b,
            out,
            out_shape,
        ),
        Op::Conv(w) => conv::conv(
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            inputs[1].shape(),
            w,
            conv::Epilogue::NONE,
            out,
        ),
        Op::DepthwiseConv(w) => conv::depthwise(
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            inputs[1].shape(),
            w,
            out,
        ),
        Op::DepthwiseConvGradInput(w) => conv::depthwise_grad_input(
            slice(&inputs[0])?,
            slice(&inputs[1])?,
            inputs[1].shape(),
            inputs[2].shape(),
            w,
            out,
        ),
        Op::DepthwiseConvGradKernel(w) => conv::depthwise_grad_kernel(
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            inputs[2].shape(),
            w,
            out,
        ),
        Op::ConvBias { window, relu } => conv::conv(
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            inputs[1].shape(),
            window,
            conv::Epilogue {
                bias: Some(slice(&inputs[2])?),
                relu: *relu,
            },
            out,
        ),
        Op::ConvTranspose { window: w, .. } => conv::conv_grad_input(
            slice(&inputs[0])?,
            slice(&inputs[1])?,
            inputs[1].shape(),
            out_shape,
            w,
            out,
        ),
        Op::ConvGradInput(w) => conv::conv_grad_input(
            slice(&inputs[0])?,
            slice(&inputs[1])?,
            inputs[1].shape(),
            inputs[2].shape(),
            w,
            out,
        ),
        Op::ConvGradKernel(w) => conv::conv_grad_kernel(
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            inputs[2].shape(),
            w,
            out,
        ),
        Op::Pool { kind, size, window } => conv::pool(
            *kind,
            slice(&inputs[0])?,
            inputs[0].shape(),
            size,
            window,
            out,
        ),
        Op::ConvReluMaxPool { .. }
        | Op::ConvGradKernelPooled { .. }
        | Op::ConvGrads(_)
        | Op::PoolGrad { .. }
        | Op::MaxPoolGradRouted { .. } => run_multi(op, inputs, &mut [out]),
        Op::Input { .. } | Op::Const(_) | Op::Variable(_) => Err(CoreError::Graph(format!(
            "{}: leaf nodes are not run as kernels",
            op.name()
        ))),
        _ => structural::run(op, inputs, out, out_shape),
    }
}

/// Runs an op of the families that may write more than one output (`op.output_count()` of
/// them) on `inputs` into `outs`, one slice per output, each exactly its output's size.
pub fn run_multi(op: &Op, inputs: &[ArrayViewD<'_, f32>], outs: &mut [&mut [f32]]) -> Result<()> {
    let (first, second) = match outs {
        [first] if op.output_count() == 1 => (&mut **first, None),
        [first, second] if op.output_count() == 2 => (&mut **first, Some(&mut **second)),
        _ => {
            return Err(CoreError::Graph(format!(
                "{}: {} output buffers for {} outputs",
                op.name(),
                outs.len(),
                op.output_count()
            )))
        }
    };
    match op {
        Op::ConvReluMaxPool {
            window,
            pool_size,
            pool_window,
            ..
        } => {
            // With routes, they are the first output and the pooled values the second.
            let (pooled, routes) = match second {
                Some(pooled) => (pooled, Some(first)),
                None => (first, None),
            };
            conv::conv_relu_max_pool(
                slice(&inputs[0])?,
                inputs[0].shape(),
                slice(&inputs[1])?,
                inputs[1].shape(),
                slice(&inputs[2])?,
                window,
                pool_size,
                pool_window,
                pooled,
                routes,
            )
        }
        Op::ConvGradKernelPooled {
            window,
            pool_size,
            pool_window,
            ..
        } => {
            // With the bias gradient, it is the first output and the kernel gradient the second.
            let (kernel, bias) = match second {
                Some(kernel) => (kernel, Some(first)),
                None => (first, None),
            };
            conv::conv_grad_kernel_pooled(
                slice(&inputs[0])?,
                inputs[0].shape(),
                slice(&inputs[1])?,
                slice(&inputs[2])?,
                inputs[3].shape(),
                window,
                pool_size,
                pool_window,
                kernel,
                bias,
            )
        }
        Op::ConvGrads(w) => match second {
            Some(dk) => conv::conv_grads(
                slice(&inputs[0])?,
                slice(&inputs[1])?,
                inputs[1].shape(),
                slice(&inputs[2])?,
                inputs[2].shape(),
                w,
                first,
                dk,
            ),
            None => no_kernel(op),
        },
        Op::PoolGrad {
            kind,
            size,
            window,
            relu_mask,
            ..
        } => conv::pool_grad(
            *kind,
            slice(&inputs[0])?,
            inputs[0].shape(),
            slice(&inputs[1])?,
            size,
            window,
            *relu_mask,
            first,
            second,
        ),
        Op::MaxPoolGradRouted {
            size,
            window,
            spatial,
            ..
        } => max_pool_grad_routed(inputs, size, window, spatial, first, second),
        _ => no_kernel(op),
    }
}

/// The error for an op `run_multi` has no kernel for, or one missing an output.
fn no_kernel(op: &Op) -> Result<()> {
    Err(CoreError::Graph(format!(
        "{}: no kernel writes its {} outputs",
        op.name(),
        op.output_count()
    )))
}

/// `Op::MaxPoolGradRouted` on its inputs `(routes, dy_pooled)`.
fn max_pool_grad_routed(
    inputs: &[ArrayViewD<'_, f32>],
    size: &[usize],
    window: &crate::ops::Window,
    spatial: &[usize],
    out: &mut [f32],
    sums: Option<&mut [f32]>,
) -> Result<()> {
    let dy = &inputs[1];
    let mut unpooled = vec![dy.shape()[0]];
    unpooled.extend_from_slice(spatial);
    unpooled.push(dy.shape()[dy.ndim() - 1]);
    let (routes, dy) = (slice(&inputs[0])?, slice(dy)?);
    conv::max_pool_grad_routed(routes, dy, &unpooled, size, window, out, sums)
}
