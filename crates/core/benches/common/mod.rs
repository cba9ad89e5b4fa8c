//! Shared by the program-path benches: a compiled one-op program and its inputs.

use std::sync::Arc;

use rkeras_core::{Attrs, Cpu, Feed, Graph, Program, Rng, Store};

/// A compiled one-op program with its inputs.
pub struct OneOp {
    program: Program<Cpu>,
    inputs: Vec<(Vec<usize>, Vec<f32>)>,
    store: Store<Cpu>,
    rng: Rng,
}

impl OneOp {
    pub fn new(op: &str, attrs: &Attrs, shapes: &[&[usize]]) -> OneOp {
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

    pub fn run(&mut self) -> usize {
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
