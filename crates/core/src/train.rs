//! A compiled training program: forward + loss + metrics + backward in one [`Program`], then
//! gradient clipping and the optimizer update applied in place, then state updates (moving
//! statistics). Also the batch loops of `fit`, `evaluate` and `predict`, which gather batches from
//! whole arrays, so a Python front end crosses into Rust once per epoch.
//!
//! The step is split where data-parallel training needs it: [`TrainProgram::compute`] leaves the
//! gradients in device buffers (an all-reduce can average them there), then
//! [`TrainProgram::apply`] clips and applies them.

use crate::backend::Backend;
use crate::error::{arg_err, CoreError, Result};
use std::sync::Arc;

use crate::graph::{Graph, NodeId};
use crate::ops::Op;
use crate::ops::VarId;
use crate::optim::{Optimizer, OptimizerState};
use crate::program::{Feed, HostTensor, Program};
use crate::rng::Rng;
use crate::shape::numel;
use crate::store::Store;

/// Gradient clipping, as Keras's optimizer arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Clipping {
    /// Clip each gradient to this L2 norm.
    pub clipnorm: Option<f32>,
    /// Clip all gradients jointly to this global L2 norm.
    pub global_clipnorm: Option<f32>,
    /// Clip each gradient element to `[-v, v]`.
    pub clipvalue: Option<f32>,
}

/// One trainable parameter: its variable, its gradient node and its optimizer slot variables.
#[derive(Debug, Clone)]
pub struct Param {
    /// The parameter variable.
    pub var: VarId,
    /// The node computing its gradient.
    pub grad: NodeId,
    /// Slot variables (momenta ...), in the optimizer's slot order.
    pub slots: Vec<VarId>,
    /// When set, the gradient is the product of these factors and is never materialized:
    /// plain SGD applies `p -= lr * op(a) @ op(b)` as one accumulating GEMM.
    pub fused: Option<FusedGradient>,
}

/// A weight gradient that is one 2-D matrix product `op(a) @ op(b)` (a Dense kernel's
/// `x^T @ dy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FusedGradient {
    /// Left factor.
    pub a: NodeId,
    /// Right factor.
    pub b: NodeId,
    /// Transpose the left factor.
    pub transpose_a: bool,
    /// Transpose the right factor.
    pub transpose_b: bool,
}

/// What [`TrainProgram::build`] needs to set up the optimizer.
#[derive(Debug, Clone)]
pub struct OptimizerSpec {
    /// The update rule.
    pub optimizer: Optimizer,
    /// Scalar variable holding the base learning rate.
    pub lr_var: VarId,
    /// Scalar variable counting applied steps.
    pub iterations_var: VarId,
    /// Keras-2 time decay.
    pub decay: f32,
    /// Gradient clipping.
    pub clipping: Clipping,
}

/// The gradient `grad` as fusable factors: a 2-D `MatMul` node that nothing else consumes,
/// whose factors are computed values (not variables or constants).
fn fusable(graph: &Graph, grad: NodeId) -> Option<FusedGradient> {
    let node = graph.node(grad).ok()?;
    let Op::MatMul {
        transpose_a,
        transpose_b,
    } = node.op
    else {
        return None;
    };
    let (a, b) = (node.inputs[0], node.inputs[1]);
    // A computed or fed value: not a variable or constant, also through reshapes (aliases).
    let computed = |id: NodeId| {
        let Ok(first) = graph.node(id) else {
            return false;
        };
        let mut n = first;
        while n.op.is_alias() {
            match n.inputs.first().and_then(|&i| graph.node(i).ok()) {
                Some(src) => n = src,
                None => return false,
            }
        }
        first.shape.len() == 2 && !matches!(n.op, Op::Variable(_) | Op::Const(_))
    };
    let consumed = graph.nodes().iter().any(|n| n.inputs.contains(&grad));
    (computed(a) && computed(b) && !consumed).then_some(FusedGradient {
        a,
        b,
        transpose_a,
        transpose_b,
    })
}

/// The optimizer side of a training program.
#[derive(Debug, Clone)]
pub struct Optimization {
    /// The update rule.
    pub optimizer: Optimizer,
    /// Optimizer-level state (Nadam's momentum product).
    pub state: OptimizerState,
    /// Parameters updated each step.
    pub params: Vec<Param>,
    /// Scalar variable holding the base learning rate.
    pub lr_var: VarId,
    /// Scalar variable counting applied steps (Keras's `iterations`).
    pub iterations_var: VarId,
    /// Keras-2 time decay: `lr / (1 + decay * iterations)`.
    pub decay: f32,
    /// Gradient clipping.
    pub clipping: Clipping,
}

/// Means of a program's scalar outputs over an epoch (weighted by batch size).
#[derive(Debug, Clone, PartialEq)]
pub struct EpochResult {
    /// One mean per scalar output.
    pub means: Vec<f64>,
    /// Samples seen.
    pub samples: usize,
    /// True when the batch callback asked to stop.
    pub stopped: bool,
}

/// A batch callback's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this batch.
    Stop,
}

/// Forward, loss, metrics and (with an [`Optimization`]) backward and update.
pub struct TrainProgram<B: Backend> {
    program: Program<B>,
    scalars: Vec<NodeId>,
    optimization: Option<Optimization>,
    post_update: Option<Program<B>>,
}

impl<B: Backend> TrainProgram<B> {
    /// A program reporting the scalar nodes `scalars` (loss first, then metrics); with
    /// `optimization`, each step also updates the parameters. `program` must compute the
    /// scalars and every gradient node among its outputs.
    pub fn new(
        program: Program<B>,
        scalars: Vec<NodeId>,
        optimization: Option<Optimization>,
    ) -> Self {
        Self {
            program,
            scalars,
            optimization,
            post_update: None,
        }
    }

    /// Compiles a training (or, without `optimizer`, evaluation) program over `graph`: reports
    /// `scalars` (loss first), updates each `(variable, gradient node)` of `params` with the
    /// optimizer (creating its slot variables in `store`), then applies `updates`. Plain SGD
    /// without clipping updates Dense-style kernels straight from their gradient's factors.
    pub fn build(
        graph: Arc<Graph>,
        scalars: Vec<NodeId>,
        params: &[(VarId, NodeId)],
        updates: Vec<(VarId, NodeId)>,
        optimizer: Option<OptimizerSpec>,
        backend: &B,
        store: &mut Store<B>,
    ) -> Result<Self> {
        let mut targets = scalars.clone();
        let Some(spec) = optimizer else {
            let program = Program::new(graph, targets, updates)?;
            return Ok(Self::new(program, scalars, None));
        };
        let clipped = spec.clipping != Clipping::default();
        let plain_sgd = matches!(spec.optimizer, Optimizer::Sgd(s) if s.momentum == 0.0);
        let mut ps = Vec::with_capacity(params.len());
        for &(var, grad) in params {
            let fused = if plain_sgd && !clipped {
                fusable(&graph, grad)
            } else {
                None
            };
            match fused {
                Some(f) => targets.extend([f.a, f.b]),
                None => targets.push(grad),
            }
            let shape = store.get(var)?.shape.clone();
            let n = numel(&shape);
            let mut slots = Vec::new();
            for i in 0..spec.optimizer.slot_names_static().len() {
                let init = vec![spec.optimizer.slot_initial_value(i); n];
                slots.push(store.create(backend, &shape, &init)?);
            }
            ps.push(Param {
                var,
                grad,
                slots,
                fused,
            });
        }
        let program = Program::new(graph, targets, updates)?;
        let optimization = Optimization {
            state: spec.optimizer.new_state(),
            optimizer: spec.optimizer,
            params: ps,
            lr_var: spec.lr_var,
            iterations_var: spec.iterations_var,
            decay: spec.decay,
            clipping: spec.clipping,
        };
        Ok(Self::new(program, scalars, Some(optimization)))
    }

    /// Adds a program run after each update (it takes no inputs; its updates project the
    /// parameters, e.g. weight constraints).
    pub fn with_post_update(mut self, program: Program<B>) -> Self {
        self.post_update = Some(program);
        self
    }

    /// The forward/backward program (for profiling and inspection).
    pub fn program_mut(&mut self) -> &mut Program<B> {
        &mut self.program
    }

    /// The optimization, if this program trains.
    pub fn optimization(&self) -> Option<&Optimization> {
        self.optimization.as_ref()
    }

    /// Replaces the optimizer-level state (restoring a saved optimizer); no-op without one.
    pub fn set_optimizer_state(&mut self, state: OptimizerState) {
        if let Some(o) = self.optimization.as_mut() {
            o.state = state;
        }
    }

    /// Runs forward and backward for one batch; returns the scalar outputs. Gradients stay in
    /// device buffers until [`TrainProgram::apply`].
    pub fn compute(
        &mut self,
        backend: &B,
        store: &mut Store<B>,
        feeds: &[Option<Feed<'_>>],
        rng: &mut Rng,
    ) -> Result<Vec<f32>> {
        self.program.execute(backend, store, feeds, rng)?;
        let mut out = Vec::with_capacity(self.scalars.len());
        for &s in &self.scalars {
            let t = self.program.fetch(backend, store, s)?;
            if t.data.len() != 1 {
                return Err(CoreError::Shape {
                    op: "train".into(),
                    msg: format!("output node {s} must be a scalar, got shape {:?}", t.shape),
                });
            }
            out.push(t.data[0]);
        }
        Ok(out)
    }

    /// Clips the gradients of the last [`TrainProgram::compute`], applies the optimizer,
    /// advances `iterations`, then applies the program's state updates and the post-update
    /// program.
    pub fn apply(&mut self, backend: &B, store: &mut Store<B>, rng: &mut Rng) -> Result<()> {
        if let Some(opt) = self.optimization.as_mut() {
            let start = std::time::Instant::now();
            apply_optimization(backend, store, &mut self.program, opt)?;
            if let Some(p) = self.program.profile_mut() {
                p.record_named("optimizer update".into(), start.elapsed().as_secs_f64());
            }
        }
        self.program.apply_updates(backend, store)?;
        if let Some(post) = self.post_update.as_mut() {
            post.run(backend, store, &[], rng)?;
        }
        Ok(())
    }

    /// One full step: compute, then apply.
    pub fn step(
        &mut self,
        backend: &B,
        store: &mut Store<B>,
        feeds: &[Option<Feed<'_>>],
        rng: &mut Rng,
    ) -> Result<Vec<f32>> {
        let out = self.compute(backend, store, feeds, rng)?;
        self.apply(backend, store, rng)?;
        Ok(out)
    }

    /// Runs one batch of `epoch` (the next rows of its order); `None` when the epoch is done.
    /// The caller holds no lock of its own between batches, so callbacks may run in between.
    pub fn run_batch(
        &mut self,
        epoch: &mut Epoch<'_>,
        backend: &B,
        store: &mut Store<B>,
        rng: &mut Rng,
        place: &Placement,
    ) -> Result<Option<BatchResult>> {
        let Some(rows) = epoch.next_rows() else {
            return Ok(None);
        };
        let start = std::time::Instant::now();
        epoch.data.gather(&rows, &mut epoch.batches)?;
        if let Some(p) = self.program.profile_mut() {
            p.record_named("gather batch".into(), start.elapsed().as_secs_f64());
        }
        let feeds = place.place(epoch.batches.feeds());
        let values = self.step(backend, store, &feeds, rng)?;
        epoch.record(rows.len(), &values);
        Ok(Some(BatchResult {
            index: epoch.batches_done - 1,
            size: rows.len(),
            values,
        }))
    }

    /// Runs every batch of `epoch`, calling `on_batch` after each (a `Stop` ends the epoch).
    #[allow(clippy::too_many_arguments)]
    pub fn run_epoch(
        &mut self,
        epoch: &mut Epoch<'_>,
        backend: &B,
        store: &mut Store<B>,
        rng: &mut Rng,
        place: &Placement,
        mut on_batch: impl FnMut(&BatchResult) -> Result<Control>,
    ) -> Result<()> {
        while let Some(b) = self.run_batch(epoch, backend, store, rng, place)? {
            if on_batch(&b)? == Control::Stop {
                epoch.stopped = true;
                break;
            }
        }
        Ok(())
    }
}

/// One batch's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResult {
    /// Batch index within the epoch.
    pub index: usize,
    /// Rows in the batch.
    pub size: usize,
    /// The program's scalar outputs for the batch.
    pub values: Vec<f32>,
}

/// An epoch in progress: the row order, the batch buffers (reused), the running sums.
pub struct Epoch<'d> {
    data: &'d Dataset<'d>,
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
    batches: Batches,
    batches_done: usize,
    sums: Vec<f64>,
    seen: usize,
    stopped: bool,
}

impl<'d> Epoch<'d> {
    /// An epoch over `data` visiting rows in `order`, `batch_size` at a time.
    pub fn new(data: &'d Dataset<'d>, order: Vec<usize>, batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return arg_err("fit", "batch_size must be positive");
        }
        Ok(Self {
            batches: data.batch_buffers(batch_size),
            data,
            order,
            batch_size,
            next: 0,
            batches_done: 0,
            sums: Vec::new(),
            seen: 0,
            stopped: false,
        })
    }

    fn next_rows(&mut self) -> Option<Vec<usize>> {
        if self.stopped || self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let rows = self.order[self.next..end].to_vec();
        self.next = end;
        Some(rows)
    }

    fn record(&mut self, size: usize, values: &[f32]) {
        if self.sums.len() < values.len() {
            self.sums.resize(values.len(), 0.0);
        }
        for (s, v) in self.sums.iter_mut().zip(values) {
            *s += f64::from(*v) * size as f64;
        }
        self.seen += size;
        self.batches_done += 1;
    }

    /// Marks the epoch as stopped (no further batches).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// The batch-size-weighted means of the scalar outputs so far.
    pub fn finish(&self) -> EpochResult {
        let means = self
            .sums
            .iter()
            .map(|s| {
                if self.seen == 0 {
                    f64::NAN
                } else {
                    s / self.seen as f64
                }
            })
            .collect();
        EpochResult {
            means,
            samples: self.seen,
            stopped: self.stopped,
        }
    }
}

fn apply_optimization<B: Backend>(
    backend: &B,
    store: &mut Store<B>,
    program: &mut Program<B>,
    opt: &mut Optimization,
) -> Result<()> {
    let (_, lr_data) = store.read(backend, opt.lr_var)?;
    let (_, it_data) = store.read(backend, opt.iterations_var)?;
    let (Some(&base_lr), Some(&iterations)) = (lr_data.first(), it_data.first()) else {
        return arg_err("optimizer", "learning rate and iterations must be scalars");
    };
    let lr = base_lr / (1.0 + opt.decay * iterations);
    let iteration = iterations.max(0.0) as u64 + 1;
    clip_gradients(backend, program, opt)?;
    opt.state.begin_step(&opt.optimizer, iteration)?;
    for p in &opt.params {
        if let Some(f) = p.fused {
            let var = store.get_mut(p.var)?;
            let (a, b) = (program.operand(f.a)?, program.operand(f.b)?);
            backend.matmul_accumulate(a, b, f.transpose_a, f.transpose_b, &mut var.buf, -lr)?;
            continue;
        }
        let len = numel(&program.shape_of(p.grad)?);
        let grad = program.buffer_mut(p.grad)?;
        let mut param = store.take(p.var)?;
        let mut slots = Vec::with_capacity(p.slots.len());
        let mut taken = Ok(());
        for &s in &p.slots {
            match store.take(s) {
                Ok(v) => slots.push((s, v)),
                Err(e) => {
                    taken = Err(e);
                    break;
                }
            }
        }
        let result = taken.and_then(|()| {
            if param.shape.iter().product::<usize>() != len {
                return arg_err(
                    "optimizer",
                    format!(
                        "gradient of variable {} has {len} values for shape {:?}",
                        p.var, param.shape
                    ),
                );
            }
            let mut slot_bufs: Vec<&mut B::Buffer> =
                slots.iter_mut().map(|(_, v)| &mut v.buf).collect();
            backend.apply_optimizer(
                &opt.optimizer,
                &mut opt.state,
                &mut param.buf,
                grad,
                &mut slot_bufs,
                len,
                lr,
                iteration,
            )
        });
        store.put(p.var, param)?;
        for (s, v) in slots {
            store.put(s, v)?;
        }
        result?;
    }
    let shape = store.get(opt.iterations_var)?.shape.clone();
    store.set(backend, opt.iterations_var, &shape, &[iterations + 1.0])
}

fn clip_gradients<B: Backend>(
    backend: &B,
    program: &mut Program<B>,
    opt: &Optimization,
) -> Result<()> {
    let c = opt.clipping;
    if c.clipnorm.is_none() && c.global_clipnorm.is_none() && c.clipvalue.is_none() {
        return Ok(());
    }
    let mut lens = Vec::with_capacity(opt.params.len());
    for p in &opt.params {
        lens.push(numel(&program.shape_of(p.grad)?));
    }
    if let Some(limit) = c.clipnorm {
        for (p, &len) in opt.params.iter().zip(&lens) {
            let buf = program.buffer_mut(p.grad)?;
            let norm = backend.sum_squares(buf, len)?.sqrt() as f32;
            if norm > limit {
                backend.scale(buf, len, limit / norm)?;
            }
        }
    } else if let Some(limit) = c.global_clipnorm {
        let mut total = 0.0f64;
        for (p, &len) in opt.params.iter().zip(&lens) {
            total += backend.sum_squares(program.buffer_mut(p.grad)?, len)?;
        }
        let norm = total.sqrt() as f32;
        if norm > limit || !norm.is_finite() {
            let factor = if norm.is_finite() {
                limit / norm
            } else {
                f32::NAN
            };
            for (p, &len) in opt.params.iter().zip(&lens) {
                backend.scale(program.buffer_mut(p.grad)?, len, factor)?;
            }
        }
    }
    // Keras 2 allowed clipnorm and clipvalue together: the norm first, then the values.
    if let Some(limit) = c.clipvalue {
        for (p, &len) in opt.params.iter().zip(&lens) {
            backend.clip_value(program.buffer_mut(p.grad)?, len, limit)?;
        }
    }
    Ok(())
}

/// Where each fed array goes among a graph's inputs (callers feed a subset, in their own order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    positions: Vec<usize>,
    n_graph_inputs: usize,
}

impl Placement {
    /// Array `k` feeds graph input `positions[k]`; the graph has `n_graph_inputs` inputs.
    pub fn new(positions: Vec<usize>, n_graph_inputs: usize) -> Result<Self> {
        if let Some(p) = positions.iter().find(|&&p| p >= n_graph_inputs) {
            return arg_err(
                "feed",
                format!("input position {p} is out of range ({n_graph_inputs} inputs)"),
            );
        }
        Ok(Self {
            positions,
            n_graph_inputs,
        })
    }

    /// Number of fed arrays.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// True when nothing is fed.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Feeds for the positions of a graph's own inputs (`None` = not fed).
    pub fn place<'a>(&self, given: Vec<Option<Feed<'a>>>) -> Vec<Option<Feed<'a>>> {
        let mut feeds = vec![None; self.n_graph_inputs];
        for (k, &pos) in self.positions.iter().enumerate() {
            feeds[pos] = given.get(k).copied().flatten();
        }
        feeds
    }
}

/// Whole arrays with a common leading (sample) axis, fed batch by batch.
pub struct Dataset<'a> {
    arrays: Vec<Feed<'a>>,
    rows: usize,
}

impl<'a> Dataset<'a> {
    /// Arrays that must agree on their first dimension.
    pub fn new(arrays: Vec<Feed<'a>>) -> Result<Self> {
        let rows = arrays
            .first()
            .and_then(|f| f.shape.first().copied())
            .unwrap_or(0);
        for (k, f) in arrays.iter().enumerate() {
            if f.shape.first() != Some(&rows) {
                return arg_err(
                    "fit",
                    format!(
                        "all arrays need the same number of samples: array 0 has {rows}, array {k} has shape {:?}",
                        f.shape
                    ),
                );
            }
            if numel(f.shape) != f.data.len() {
                return arg_err(
                    "fit",
                    format!(
                        "array {k} holds {} values for shape {:?}",
                        f.data.len(),
                        f.shape
                    ),
                );
            }
        }
        Ok(Self { arrays, rows })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn batch_buffers(&self, batch_size: usize) -> Batches {
        let shapes: Vec<Vec<usize>> = self.arrays.iter().map(|f| f.shape.to_vec()).collect();
        let data = shapes
            .iter()
            .map(|s| Vec::with_capacity(batch_size * numel(&s[1..])))
            .collect();
        Batches { shapes, data }
    }

    fn gather(&self, rows: &[usize], out: &mut Batches) -> Result<()> {
        for (k, f) in self.arrays.iter().enumerate() {
            let width = numel(&f.shape[1..]);
            let buf = &mut out.data[k];
            buf.clear();
            for &r in rows {
                let chunk = f
                    .data
                    .get(r * width..(r + 1) * width)
                    .ok_or_else(|| CoreError::Graph(format!("row {r} is out of range")))?;
                buf.extend_from_slice(chunk);
            }
            out.shapes[k][0] = rows.len();
        }
        Ok(())
    }

    /// Runs `program` over all rows in order, `batch_size` at a time, and concatenates each
    /// output along the first axis (`predict`). `place` maps the arrays to the graph inputs.
    pub fn predict<B: Backend>(
        &self,
        program: &mut Program<B>,
        backend: &B,
        store: &mut Store<B>,
        rng: &mut Rng,
        batch_size: usize,
        place: &Placement,
    ) -> Result<Vec<HostTensor>> {
        if batch_size == 0 {
            return arg_err("predict", "batch_size must be positive");
        }
        let order: Vec<usize> = (0..self.rows).collect();
        let mut batches = self.batch_buffers(batch_size);
        let mut outputs: Vec<HostTensor> = Vec::new();
        for rows in order.chunks(batch_size) {
            self.gather(rows, &mut batches)?;
            let feeds = place.place(batches.feeds());
            let outs = program.run(backend, store, &feeds, rng)?;
            if outputs.is_empty() {
                outputs = outs
                    .iter()
                    .map(|o| {
                        let mut shape = o.shape.clone();
                        if let Some(first) = shape.first_mut() {
                            *first = 0;
                        }
                        HostTensor {
                            shape,
                            data: Vec::with_capacity(o.data.len() / rows.len().max(1) * self.rows),
                        }
                    })
                    .collect();
            }
            for (acc, o) in outputs.iter_mut().zip(outs) {
                if o.shape.first() != Some(&rows.len()) || o.shape[1..] != acc.shape[1..] {
                    return arg_err("predict", format!("an output of shape {:?} does not have one row per sample of the batch ({})", o.shape, rows.len()));
                }
                acc.shape[0] += rows.len();
                acc.data.extend_from_slice(&o.data);
            }
        }
        Ok(outputs)
    }
}

struct Batches {
    shapes: Vec<Vec<usize>>,
    data: Vec<Vec<f32>>,
}

impl Batches {
    fn feeds(&self) -> Vec<Option<Feed<'_>>> {
        self.shapes
            .iter()
            .zip(&self.data)
            .map(|(s, d)| Some(Feed { shape: s, data: d }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::Attrs;
    use crate::cpu::Cpu;
    use crate::optim::Sgd;

    /// Trains `y = relu(x @ w1) @ w2` for a few steps with plain SGD; `clip` forces the
    /// unfused path (a huge clipnorm changes nothing numerically).
    fn train(clip: bool) -> (Vec<f32>, Vec<f32>, bool) {
        let mut store: Store<Cpu> = Store::new();
        let mut rng = Rng::seeded(3);
        let mut init = |shape: &[usize], seed: u64| {
            let mut v = vec![0.0; shape.iter().product()];
            Rng::seeded(seed).fill(
                crate::ops::Distribution::Normal {
                    mean: 0.0,
                    stddev: 0.5,
                },
                &mut v,
            );
            store.create(&Cpu, shape, &v).unwrap()
        };
        let (w1, w2) = (init(&[4, 5], 1), init(&[5, 2], 2));
        let lr = store.create(&Cpu, &[], &[0.1]).unwrap();
        let it = store.create(&Cpu, &[], &[0.0]).unwrap();
        let mut g = Graph::new();
        let x = g.input(vec![None, Some(4)]);
        let (n1, n2) = (g.variable(w1, &[4, 5]), g.variable(w2, &[5, 2]));
        let h = g.add_named("matmul", &[x, n1], &Attrs::new()).unwrap();
        let h = g.add_named("relu", &[h], &Attrs::new()).unwrap();
        let y = g.add_named("matmul", &[h, n2], &Attrs::new()).unwrap();
        let sq = g.add_named("square", &[y], &Attrs::new()).unwrap();
        let loss = g.add_named("mean", &[sq], &Attrs::new()).unwrap();
        let grads = crate::autodiff::gradients(&mut g, loss, &[n1, n2]).unwrap();
        let clipping = Clipping {
            clipnorm: clip.then_some(1e9),
            ..Clipping::default()
        };
        let spec = OptimizerSpec {
            optimizer: Optimizer::Sgd(Sgd::default()),
            lr_var: lr,
            iterations_var: it,
            decay: 0.1,
            clipping,
        };
        let params = [(w1, grads[0]), (w2, grads[1])];
        let mut tp = TrainProgram::build(
            Arc::new(g),
            vec![loss],
            &params,
            vec![],
            Some(spec),
            &Cpu,
            &mut store,
        )
        .unwrap();
        let fused = tp
            .optimization()
            .unwrap()
            .params
            .iter()
            .all(|p| p.fused.is_some());
        let xs: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut losses = vec![];
        for _ in 0..3 {
            let feeds = [Some(Feed {
                shape: &[3, 4],
                data: &xs,
            })];
            losses.push(tp.step(&Cpu, &mut store, &feeds, &mut rng).unwrap()[0]);
        }
        assert!(losses[2] < losses[1] && losses[1] < losses[0], "{losses:?}");
        (
            store.read(&Cpu, w1).unwrap().1,
            store.read(&Cpu, w2).unwrap().1,
            fused,
        )
    }

    #[test]
    fn fused_sgd_matches_the_unfused_update() {
        let (a1, a2, fused) = train(false);
        let (b1, b2, unfused) = train(true);
        assert!(
            fused,
            "plain SGD on Dense-style kernels should take the fused path"
        );
        assert!(!unfused);
        for (p, q) in a1.iter().chain(&a2).zip(b1.iter().chain(&b2)) {
            assert!((p - q).abs() <= 1e-6 * (1.0 + q.abs()), "{p} vs {q}");
        }
    }
}
