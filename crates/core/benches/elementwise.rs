//! Elementwise ops through the public program API (graph -> `Program<Cpu>` -> `run`), so each
//! figure includes feeding the inputs and copying the output back to the host.
//!
//! `cargo bench -p rkeras-core --bench elementwise`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
mod common;

use common::OneOp;
use rkeras_core::Attrs;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("elementwise");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let cases: &[(&str, &str, &[&[usize]])] = &[
        (
            "add 256x1024 + 256x1024",
            "add",
            &[&[256, 1024], &[256, 1024]],
        ),
        (
            "multiply 256x1024 x 256x1024",
            "multiply",
            &[&[256, 1024], &[256, 1024]],
        ),
        (
            "add 256x1024 + 1024 (bias)",
            "add",
            &[&[256, 1024], &[1024]],
        ),
        ("add 32x784 + 784 (bias)", "add", &[&[32, 784], &[784]]),
        ("relu 256x1024", "relu", &[&[256, 1024]]),
        ("exp 256x1024", "exp", &[&[256, 1024]]),
    ];
    for &(label, op, shapes) in cases {
        let mut one = OneOp::new(op, &Attrs::new(), shapes);
        let n: usize = shapes[0].iter().product();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(label), |b| b.iter(|| one.run()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
