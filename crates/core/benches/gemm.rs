//! GEMM through `rkeras_core::cpu::gemm::sgemm` at the shapes of issue 3: a square product and
//! the forward/backward products of a 784-784-100 MLP at batch 32. Each shape runs as called
//! (split over the rayon pool when large enough) and, for reference, on one thread.
//!
//! `cargo bench -p rkeras-core --bench gemm`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rkeras_core::cpu::gemm::{sgemm, Strides};

/// (label, m, k, n, A read transposed, B read transposed)
const SHAPES: &[(&str, usize, usize, usize, bool, bool)] = &[
    ("1024x1024@1024x1024", 1024, 1024, 1024, false, false),
    ("32x784@784x784", 32, 784, 784, false, false),
    ("32x784@784x100", 32, 784, 100, false, false),
    ("(32x784)^T@32x784", 784, 32, 784, true, false),
    ("32x784@(784x784)^T", 32, 784, 784, false, true),
    ("(32x784)^T@32x100", 784, 32, 100, true, false),
    ("32x100@(784x100)^T", 32, 100, 784, false, true),
];

fn fill(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7 + seed) % 13) as f32 / 13.0 - 0.5)
        .collect()
}

fn bench(c: &mut Criterion) {
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool");
    let mut group = c.benchmark_group("sgemm");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &(label, m, k, n, ta, tb) in SHAPES {
        let a = fill(m * k, 1);
        let b = fill(k * n, 2);
        let mut out = vec![0.0f32; m * n];
        // A is stored k x m when read transposed; B is stored n x k.
        let sa = Strides::row_major(if ta { m } else { k }, ta);
        let sb = Strides::row_major(if tb { k } else { n }, tb);
        // Throughput in flops (2 per multiply-add), shown by criterion as "elem/s".
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));
        group.bench_function(BenchmarkId::new("pool", label), |bch| {
            bch.iter(|| sgemm(m, k, n, 1.0, &a, sa, &b, sb, 0.0, &mut out).unwrap())
        });
        // The whole timing loop runs on the worker of a one-thread pool, where `sgemm` never
        // splits: the single-thread kernel speed, without a hand-off per call.
        group.bench_function(BenchmarkId::new("1thread", label), |bch| {
            one_thread.install(|| {
                bch.iter(|| sgemm(m, k, n, 1.0, &a, sa, &b, sb, 0.0, &mut out).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
