//! Reductions and softmax through the public program API (graph -> `Program<Cpu>` -> `run`), so each
//! figure includes feeding the inputs and copying the output back to the host.
//!
//! `cargo bench -p rkeras-core --bench reduce`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
mod common;

use common::OneOp;
use rkeras_core::{AttrValue, Attrs};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reduce");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let shape: &[usize] = &[256, 1024];
    let cases: Vec<(&str, &str, Attrs)> = vec![
        (
            "sum axis=0 256x1024",
            "sum",
            Attrs::new().with("axis", AttrValue::Ints(vec![0])),
        ),
        (
            "sum axis=-1 256x1024",
            "sum",
            Attrs::new().with("axis", AttrValue::Ints(vec![-1])),
        ),
        ("sum all 256x1024", "sum", Attrs::new()),
        (
            "softmax axis=-1 256x1024",
            "softmax",
            Attrs::new().with("axis", AttrValue::Int(-1)),
        ),
        (
            "softmax axis=-1 32x100",
            "softmax",
            Attrs::new().with("axis", AttrValue::Int(-1)),
        ),
    ];
    for (label, op, attrs) in cases {
        let shp: &[usize] = if label.ends_with("32x100") {
            &[32, 100]
        } else {
            shape
        };
        let mut one = OneOp::new(op, &attrs, &[shp]);
        group.throughput(Throughput::Elements(shp.iter().product::<usize>() as u64));
        group.bench_function(BenchmarkId::from_parameter(label), |b| b.iter(|| one.run()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
