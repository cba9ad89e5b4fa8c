//! Elementwise ops through the public program API (graph -> `Program<Cpu>` -> `run`), so each
//! figure includes feeding the inputs and copying the output back to the host.
//!
//! `cargo bench -p rkeras-core --bench elementwise`

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rkeras_core::{Attrs, Cpu, Feed, Graph, Program, Rng, Store};

/// A compiled one-op program with its inputs.
struct OneOp {
    program: Program<Cpu>,
    inputs: Vec<(Vec<usize>, Vec<f32>)>,
    store: Store<Cpu>,
    rng: Rng,
}

impl OneOp {
    fn new(op: &str, attrs: &Attrs, shapes: &[&[usize]]) -> OneOp {
        let mut g = Graph::new();
        let ids: Vec<usize> = shapes
            .iter()
            .map(|s| g.input(s.iter().map(|&d| Some(d)).collect()))
            .collect();
        let y = g.add_named(op, &ids, attrs).expect("op");
        let program = Program::new(Arc::new(g), vec![y], vec![]).expect("program");
        let inputs = shapes
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let n: usize = s.iter().product();
                let data = (0..n)
                    .map(|i| ((i * 7 + k) % 13) as f32 / 13.0 - 0.5)
                    .collect();
                (s.to_vec(), data)
            })
            .collect();
        OneOp {
            program,
            inputs,
            store: Store::new(),
            rng: Rng::seeded(0),
        }
    }

    fn run(&mut self) -> usize {
        let feeds: Vec<Option<Feed>> = self
            .inputs
            .iter()
            .map(|(s, d)| Some(Feed { shape: s, data: d }))
            .collect();
        let out = self
            .program
            .run(&Cpu, &mut self.store, &feeds, &mut self.rng)
            .expect("run");
        out[0].data.len()
    }
}

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
