//! Convolution and pooling kernels at the shapes of Keras's MNIST convnet (batch 128), called
//! directly (`cpu::kernels::run`), so the figures are the kernels alone.
//!
//! `cargo bench -p rkeras-core --bench conv`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{ArrayD, IxDyn};
use rkeras_core::ops::{Padding, PoolKind, Window};
use rkeras_core::{cpu::kernels, Op, Rng};

fn data(shape: &[usize], salt: usize) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|i| ((i * 7 + salt) % 13) as f32 / 13.0 - 0.5)
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape")
}

/// Label, op, input shapes, output shape.
type Case = (&'static str, Op, Vec<Vec<usize>>, Vec<usize>);

/// Label, op, input shapes, the shapes of its two outputs.
type TwoOutputCase = (&'static str, Op, Vec<Vec<usize>>, [Vec<usize>; 2]);

fn window(stride: usize) -> Window {
    Window {
        strides: vec![stride; 2],
        dilation: vec![1; 2],
        padding: Padding::Valid,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let pool = |kind, grad| {
        let (size, window) = (vec![2, 2], window(2));
        if grad {
            Op::PoolGrad {
                kind,
                size,
                window,
                relu_mask: false,
                channel_sums: false,
            }
        } else {
            Op::Pool { kind, size, window }
        }
    };
    let cases: Vec<Case> = vec![
        (
            "conv 28x28x1 -> 26x26x32",
            Op::Conv(window(1)),
            vec![vec![128, 28, 28, 1], vec![3, 3, 1, 32]],
            vec![128, 26, 26, 32],
        ),
        (
            "conv kernel grad 28x28x1 -> 26x26x32",
            Op::ConvGradKernel(window(1)),
            vec![
                vec![128, 28, 28, 1],
                vec![128, 26, 26, 32],
                vec![3, 3, 1, 32],
            ],
            vec![3, 3, 1, 32],
        ),
        (
            "conv + relu + max pool 28x28x1 -> 13x13x32 (fused)",
            Op::ConvReluMaxPool {
                window: window(1),
                pool_size: vec![2, 2],
                pool_window: window(2),
                routes: false,
            },
            vec![vec![128, 28, 28, 1], vec![3, 3, 1, 32], vec![32]],
            vec![128, 13, 13, 32],
        ),
        (
            "conv kernel grad through relu + max pool 28x28x1 (fused, from routes)",
            Op::ConvGradKernelPooled {
                window: window(1),
                pool_size: vec![2, 2],
                pool_window: window(2),
                with_bias: false,
            },
            vec![
                vec![128, 28, 28, 1],
                vec![128, 13, 13, 32],
                vec![128, 13, 13, 32],
                vec![3, 3, 1, 32],
            ],
            vec![3, 3, 1, 32],
        ),
        (
            "conv 13x13x32 -> 11x11x64 (Winograd F(4x4, 3x3))",
            Op::Conv(window(1)),
            vec![vec![128, 13, 13, 32], vec![3, 3, 32, 64]],
            vec![128, 11, 11, 64],
        ),
        (
            "conv input grad 13x13x32 -> 11x11x64",
            Op::ConvGradInput(window(1)),
            vec![
                vec![128, 11, 11, 64],
                vec![3, 3, 32, 64],
                vec![128, 13, 13, 32],
            ],
            vec![128, 13, 13, 32],
        ),
        (
            "conv kernel grad 13x13x32 -> 11x11x64",
            Op::ConvGradKernel(window(1)),
            vec![
                vec![128, 13, 13, 32],
                vec![128, 11, 11, 64],
                vec![3, 3, 32, 64],
            ],
            vec![3, 3, 32, 64],
        ),
        (
            "max pool 26x26x32",
            pool(PoolKind::Max, false),
            vec![vec![128, 26, 26, 32]],
            vec![128, 13, 13, 32],
        ),
        (
            "max pool grad 26x26x32",
            pool(PoolKind::Max, true),
            vec![vec![128, 26, 26, 32], vec![128, 13, 13, 32]],
            vec![128, 26, 26, 32],
        ),
        (
            "max pool grad 11x11x64",
            pool(PoolKind::Max, true),
            vec![vec![128, 11, 11, 64], vec![128, 5, 5, 64]],
            vec![128, 11, 11, 64],
        ),
    ];
    let mut rng = Rng::seeded(0);
    for (label, op, shapes, out_shape) in cases {
        let mut inputs: Vec<ArrayD<f32>> =
            shapes.iter().enumerate().map(|(k, s)| data(s, k)).collect();
        if matches!(op, Op::ConvGradKernelPooled { .. }) {
            inputs[1] = routes(&shapes[1]);
        }
        let views: Vec<_> = inputs.iter().map(|a| a.view()).collect();
        let mut out = vec![0.0f32; out_shape.iter().product()];
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| kernels::run(&op, &views, &mut out, &out_shape, &mut rng).expect("kernel"))
        });
    }
    let pooled_routes = Op::ConvReluMaxPool {
        window: window(1),
        pool_size: vec![2, 2],
        pool_window: window(2),
        routes: true,
    };
    let two_outputs: Vec<TwoOutputCase> = vec![
        (
            "conv + relu + max pool 28x28x1 -> 13x13x32 (fused, with routes)",
            pooled_routes.clone(),
            vec![vec![128, 28, 28, 1], vec![3, 3, 1, 32], vec![32]],
            [vec![128, 13, 13, 32], vec![128, 13, 13, 32]],
        ),
        (
            "conv input + kernel grads 13x13x32 -> 11x11x64 (one kernel)",
            Op::ConvGrads(window(1)),
            vec![
                vec![128, 11, 11, 64],
                vec![3, 3, 32, 64],
                vec![128, 13, 13, 32],
            ],
            [vec![128, 13, 13, 32], vec![3, 3, 32, 64]],
        ),
        (
            "conv + relu + max pool 13x13x32 -> 5x5x64 (Winograd, with routes)",
            pooled_routes.clone(),
            vec![vec![128, 13, 13, 32], vec![3, 3, 32, 64], vec![64]],
            [vec![128, 5, 5, 64], vec![128, 5, 5, 64]],
        ),
        (
            "max pool grad 11x11x64 + relu mask + channel sums (fused)",
            Op::PoolGrad {
                kind: PoolKind::Max,
                size: vec![2, 2],
                window: window(2),
                relu_mask: true,
                channel_sums: true,
            },
            vec![vec![128, 11, 11, 64], vec![128, 5, 5, 64]],
            [vec![128, 11, 11, 64], vec![64]],
        ),
    ];
    for (label, op, shapes, [first, second]) in two_outputs {
        let inputs: Vec<ArrayD<f32>> = shapes.iter().enumerate().map(|(k, s)| data(s, k)).collect();
        let views: Vec<_> = inputs.iter().map(|a| a.view()).collect();
        let mut a = vec![0.0f32; first.iter().product()];
        let mut b = vec![0.0f32; second.iter().product()];
        group.bench_function(BenchmarkId::from_parameter(label), |bench| {
            bench.iter(|| kernels::run_multi(&op, &views, &mut [&mut a, &mut b]).expect("kernel"))
        });
    }
    group.finish();
}

/// Max-pool routes of a 2x2 window: window indices 0 to 3, or -1 (nothing routed).
fn routes(shape: &[usize]) -> ArrayD<f32> {
    let len = shape.iter().product();
    let values = (0..len).map(|i| ((i * 7) % 5) as f32 - 1.0).collect();
    ArrayD::from_shape_vec(shape, values).expect("shape")
}

criterion_group!(benches, bench);
criterion_main!(benches);
