//! A compiled program: a graph, the nodes to compute, and the variable updates to apply, run on
//! any [`Backend`]. For each set of concrete input shapes (in practice: each batch size) it plans
//! once — concrete shapes, execution order, buffer slots shared by liveness — and then reuses the
//! same buffers on every run, so the steady state allocates nothing.

use std::collections::HashMap;
use std::sync::Arc;

use crate::backend::{Backend, Operand, Target};
use crate::error::{CoreError, Result};
use crate::graph::{Graph, NodeId};
use crate::ops::{Op, VarId};
use crate::rng::Rng;
use crate::shape::{concrete, fmt_shape, numel, sym, SymShape};
use crate::store::Store;

/// Where a node's value lives during a run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Home {
    /// A planned buffer slot.
    Slot(usize),
    /// A store variable (read in place).
    Var(VarId),
}

/// The schedule for one set of concrete input shapes.
#[derive(Debug, Clone)]
pub struct Plan {
    order: Vec<NodeId>,
    shapes: Vec<Vec<usize>>,
    home: Vec<Option<Home>>,
    /// For a multi-output node, the slots and shapes of its outputs past the first (an
    /// output nothing reads gets a slot freed right after the node runs); empty otherwise.
    extra_outputs: Vec<Vec<(usize, Vec<usize>)>>,
    slot_sizes: Vec<usize>,
}

impl Plan {
    /// Number of buffer slots (distinct buffers) the plan uses.
    pub fn slot_count(&self) -> usize {
        self.slot_sizes.len()
    }

    /// Total number of f32 elements held by the plan's buffers.
    pub fn total_elements(&self) -> usize {
        self.slot_sizes.iter().sum()
    }

    /// Number of nodes the plan executes.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the plan executes no node.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Plans the computation of `targets` for concrete `input_shapes` (one per graph input;
    /// `None` for an input that is not fed).
    pub fn new(
        graph: &Graph,
        targets: &[NodeId],
        input_shapes: &[Option<Vec<usize>>],
    ) -> Result<Plan> {
        let n = graph.nodes().len();
        let mut needed = vec![false; n];
        for &t in targets {
            graph.node(t)?;
            needed[t] = true;
        }
        for id in (0..n).rev() {
            if needed[id] {
                for &i in &graph.nodes()[id].inputs {
                    needed[i] = true;
                }
            }
        }
        let order: Vec<NodeId> = (0..n).filter(|&i| needed[i]).collect();
        // Concrete shapes, checked against the symbolic ones; a multi-output node's outputs
        // past the first are inferred with it.
        let mut shapes: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut extra_shapes: Vec<Vec<Vec<usize>>> = vec![Vec::new(); n];
        for &id in &order {
            let node = &graph.nodes()[id];
            let s = match &node.op {
                Op::Output { index } => extra_shapes[node.inputs[0]]
                    .get(index.wrapping_sub(1))
                    .cloned()
                    .ok_or_else(|| {
                        CoreError::Graph(format!(
                            "{} reads an output its producer does not have",
                            graph.describe(id)
                        ))
                    })?,
                Op::Input { index } => {
                    let given = input_shapes
                        .get(*index)
                        .and_then(|s| s.as_ref())
                        .ok_or_else(|| {
                            CoreError::Graph(format!(
                                "input {index} (shape {}) is needed but was not fed",
                                fmt_shape(&node.shape)
                            ))
                        })?;
                    let ok = given.len() == node.shape.len()
                        && given
                            .iter()
                            .zip(&node.shape)
                            .all(|(g, s)| s.is_none_or(|d| d == *g));
                    if !ok {
                        return Err(CoreError::Shape {
                            op: "input".into(),
                            msg: format!(
                                "input {index} expects shape {}, got {}",
                                fmt_shape(&node.shape),
                                fmt_shape(&sym(given))
                            ),
                        });
                    }
                    given.clone()
                }
                Op::Variable(_) | Op::Const(_) => concrete(&node.shape).ok_or_else(|| {
                    CoreError::Graph(format!("{} has an unknown shape", graph.describe(id)))
                })?,
                op => {
                    let ins: Vec<_> = node.inputs.iter().map(|&i| sym(&shapes[i])).collect();
                    let known = |s: &SymShape| {
                        concrete(s).ok_or_else(|| {
                            CoreError::Graph(format!(
                                "{} has an unknown shape at run time",
                                graph.describe(id)
                            ))
                        })
                    };
                    if op.output_count() > 1 {
                        let all = op.infer_output_shapes(&ins)?;
                        extra_shapes[id] = all[1..].iter().map(known).collect::<Result<_>>()?;
                        known(&all[0])?
                    } else {
                        known(&op.infer_shape(&ins)?)?
                    }
                }
            };
            shapes[id] = s;
        }
        // The `Output` nodes read from each multi-output node, by output index.
        let mut readers: Vec<Vec<Option<NodeId>>> = extra_shapes
            .iter()
            .map(|extra| vec![None; extra.len()])
            .collect();
        for &id in &order {
            let node = &graph.nodes()[id];
            if let Op::Output { index } = node.op {
                if let Some(r) = readers[node.inputs[0]].get_mut(index.wrapping_sub(1)) {
                    *r = Some(id);
                }
            }
        }
        // Last use of each node, in positions of `order`; targets live to the end.
        let pos_end = order.len();
        let mut last_use = vec![0usize; n];
        for (p, &id) in order.iter().enumerate() {
            last_use[id] = last_use[id].max(p);
            for &i in &graph.nodes()[id].inputs {
                last_use[i] = last_use[i].max(p);
            }
        }
        for &t in targets {
            last_use[t] = pos_end;
        }
        // Slot assignment: inputs and constants own slots for the whole run; others reuse
        // freed slots (best fit by size); aliases share their source's slot.
        let mut home: Vec<Option<Home>> = vec![None; n];
        let mut extra_outputs: Vec<Vec<(usize, Vec<usize>)>> = vec![Vec::new(); n];
        let mut slot_sizes: Vec<usize> = Vec::new();
        let mut slot_end: Vec<usize> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        for (p, &id) in order.iter().enumerate() {
            let node = &graph.nodes()[id];
            // Release slots whose last use has passed.
            let mut k = 0;
            while k < slot_end.len() {
                if slot_end[k] < p && !free.contains(&k) {
                    free.push(k);
                }
                k += 1;
            }
            let size = numel(&shapes[id]);
            let persistent = matches!(node.op, Op::Input { .. } | Op::Const(_));
            let h = match &node.op {
                Op::Variable(v) => Home::Var(*v),
                // Placed with its producer, below.
                Op::Output { .. } => continue,
                op if op.is_alias() => match home[node.inputs[0]] {
                    Some(Home::Slot(s)) => {
                        slot_end[s] = slot_end[s].max(last_use[id]);
                        Home::Slot(s)
                    }
                    _ => Home::Slot(new_slot(
                        &mut slot_sizes,
                        &mut slot_end,
                        &mut free,
                        size,
                        last_use[id],
                        false,
                    )),
                },
                _ => Home::Slot(new_slot(
                    &mut slot_sizes,
                    &mut slot_end,
                    &mut free,
                    size,
                    if persistent { usize::MAX } else { last_use[id] },
                    persistent,
                )),
            };
            home[id] = Some(h);
            for (k, reader) in readers[id].iter().enumerate() {
                let shape = extra_shapes[id][k].clone();
                let end = reader.map_or(p, |r| last_use[r]);
                let s = new_slot(
                    &mut slot_sizes,
                    &mut slot_end,
                    &mut free,
                    numel(&shape),
                    end,
                    false,
                );
                if let Some(r) = reader {
                    home[*r] = Some(Home::Slot(s));
                }
                extra_outputs[id].push((s, shape));
            }
        }
        Ok(Plan {
            order,
            shapes,
            home,
            extra_outputs,
            slot_sizes,
        })
    }
}

fn new_slot(
    sizes: &mut Vec<usize>,
    ends: &mut Vec<usize>,
    free: &mut Vec<usize>,
    size: usize,
    end: usize,
    persistent: bool,
) -> usize {
    if !persistent {
        let best = free
            .iter()
            .enumerate()
            .filter(|(_, &s)| sizes[s] >= size)
            .min_by_key(|(_, &s)| sizes[s])
            .map(|(k, _)| k)
            .or_else(|| {
                free.iter()
                    .enumerate()
                    .max_by_key(|(_, &s)| sizes[s])
                    .map(|(k, _)| k)
            });
        if let Some(k) = best {
            let s = free.swap_remove(k);
            sizes[s] = sizes[s].max(size);
            ends[s] = end;
            return s;
        }
    }
    sizes.push(size);
    ends.push(end);
    sizes.len() - 1
}

/// A host tensor: a concrete shape and row-major f32 data.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Concrete shape.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// A host-side input: a shape and borrowed row-major values.
#[derive(Debug, Clone, Copy)]
pub struct Feed<'a> {
    /// Concrete shape.
    pub shape: &'a [usize],
    /// Row-major values (`numel(shape)` of them).
    pub data: &'a [f32],
}

struct Instance<B: Backend> {
    plan: Plan,
    buffers: Vec<B::Buffer>,
    consts_written: bool,
}

/// A graph compiled for fixed outputs and updates, runnable on a backend.
pub struct Program<B: Backend> {
    graph: Arc<Graph>,
    outputs: Vec<NodeId>,
    updates: Vec<(VarId, NodeId)>,
    instances: HashMap<Vec<Option<Vec<usize>>>, Instance<B>>,
    current: Option<Vec<Option<Vec<usize>>>>,
    profile: Option<Profile>,
}

/// Time spent per kernel, keyed by op name and input shapes (`RKERAS_PROFILE`).
#[derive(Debug, Clone, Default)]
pub struct Profile {
    entries: HashMap<String, (u64, f64)>,
}

impl Profile {
    fn record<B>(&mut self, op: &Op, inputs: &[Operand<'_, B>], secs: f64) {
        let shapes: Vec<String> = inputs.iter().map(|o| format!("{:?}", o.shape)).collect();
        self.record_named(format!("{} {}", op.name(), shapes.join(" ")), secs);
    }

    /// Adds `secs` to the entry `key` (work outside kernels: optimizer updates, feeding).
    pub fn record_named(&mut self, key: String, secs: f64) {
        let e = self.entries.entry(key).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += secs;
    }

    /// `(op and input shapes, calls, total seconds)`, slowest first.
    pub fn report(&self) -> Vec<(String, u64, f64)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .map(|(k, &(n, t))| (k.clone(), n, t))
            .collect();
        v.sort_by(|a, b| b.2.total_cmp(&a.2));
        v
    }
}

impl<B: Backend> Program<B> {
    /// Compiles `outputs` (and `updates`: after each run, variable `v` takes node `n`'s value),
    /// after the fusion rewrites of [`crate::fuse`] (node ids are kept).
    pub fn new(
        graph: Arc<Graph>,
        outputs: Vec<NodeId>,
        updates: Vec<(VarId, NodeId)>,
    ) -> Result<Self> {
        let targets: Vec<NodeId> = outputs
            .iter()
            .chain(updates.iter().map(|(_, n)| n))
            .copied()
            .collect();
        for &o in &targets {
            graph.node(o)?;
        }
        let graph = match crate::fuse::fuse(&graph, &targets)? {
            Some(fused) => Arc::new(fused),
            None => graph,
        };
        Ok(Self {
            graph,
            outputs,
            updates,
            instances: HashMap::new(),
            current: None,
            profile: None,
        })
    }

    /// Starts timing every kernel (see [`Program::profile`]).
    pub fn enable_profiling(&mut self) {
        self.profile.get_or_insert_with(Profile::default);
    }

    /// Kernel timings so far, when profiling is enabled.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// Kernel timings, mutably (to add work timed outside the kernels).
    pub fn profile_mut(&mut self) -> Option<&mut Profile> {
        self.profile.as_mut()
    }

    /// The graph this program runs.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The plan used for the given input shapes, creating it if needed.
    pub fn plan(&mut self, backend: &B, input_shapes: &[Option<Vec<usize>>]) -> Result<&Plan> {
        Ok(&self.instance(backend, input_shapes)?.plan)
    }

    fn instance(
        &mut self,
        backend: &B,
        input_shapes: &[Option<Vec<usize>>],
    ) -> Result<&mut Instance<B>> {
        if !self.instances.contains_key(input_shapes) {
            let mut targets = self.outputs.clone();
            targets.extend(self.updates.iter().map(|(_, n)| *n));
            let plan = Plan::new(&self.graph, &targets, input_shapes)?;
            let buffers = plan
                .slot_sizes
                .iter()
                .map(|&s| backend.alloc(s))
                .collect::<Result<Vec<_>>>()?;
            // Keep a handful of batch sizes; the last batch of an epoch is often smaller.
            if self.instances.len() >= 8 {
                self.instances.clear();
            }
            self.instances.insert(
                input_shapes.to_vec(),
                Instance {
                    plan,
                    buffers,
                    consts_written: false,
                },
            );
        }
        self.instances
            .get_mut(input_shapes)
            .ok_or_else(|| CoreError::Graph("program instance vanished".into()))
    }

    /// Runs the program: feeds inputs (one per graph input, `None` where not fed), computes the
    /// outputs, applies the updates, and returns the outputs on the host.
    pub fn run(
        &mut self,
        backend: &B,
        store: &mut Store<B>,
        feeds: &[Option<Feed<'_>>],
        rng: &mut Rng,
    ) -> Result<Vec<HostTensor>> {
        self.execute(backend, store, feeds, rng)?;
        let outputs = self.outputs.clone();
        let result = outputs
            .iter()
            .map(|&o| self.fetch(backend, store, o))
            .collect::<Result<Vec<_>>>()?;
        self.apply_updates(backend, store)?;
        Ok(result)
    }

    /// Computes every output and update value for `feeds` without applying the updates; the
    /// values stay readable through [`Program::fetch`] and [`Program::buffer_mut`] until the
    /// next call.
    pub fn execute(
        &mut self,
        backend: &B,
        store: &mut Store<B>,
        feeds: &[Option<Feed<'_>>],
        rng: &mut Rng,
    ) -> Result<()> {
        let shapes: Vec<Option<Vec<usize>>> =
            feeds.iter().map(|f| f.map(|f| f.shape.to_vec())).collect();
        for (k, f) in feeds
            .iter()
            .enumerate()
            .filter_map(|(k, f)| f.map(|f| (k, f)))
        {
            if numel(f.shape) != f.data.len() {
                return Err(CoreError::Shape {
                    op: "feed".into(),
                    msg: format!(
                        "input {k}: shape {} needs {} values, got {}",
                        fmt_shape(&sym(f.shape)),
                        numel(f.shape),
                        f.data.len()
                    ),
                });
            }
        }
        self.current = None;
        let graph = Arc::clone(&self.graph);
        let updates = self.updates.clone();
        let inst = self.instance(backend, &shapes)?;
        // Check update shapes against their variables before touching anything.
        for (v, n) in &updates {
            let var = store.get(*v)?;
            if var.shape != inst.plan.shapes[*n] {
                return Err(CoreError::Shape {
                    op: "update".into(),
                    msg: format!(
                        "variable {v} has shape {}, its update has shape {}",
                        fmt_shape(&sym(&var.shape)),
                        fmt_shape(&sym(&inst.plan.shapes[*n]))
                    ),
                });
            }
        }
        let mut profile = self.profile.take();
        let inst = self.instance(backend, &shapes)?;
        let result = execute(backend, &graph, inst, store, feeds, rng, profile.as_mut());
        self.profile = profile;
        result?;
        self.current = Some(shapes);
        Ok(())
    }

    fn current(&self) -> Result<&Instance<B>> {
        self.current
            .as_ref()
            .and_then(|k| self.instances.get(k))
            .ok_or_else(|| CoreError::Graph("the program has not run yet".into()))
    }

    /// The concrete shape `node` had in the last run.
    pub fn shape_of(&self, node: NodeId) -> Result<Vec<usize>> {
        let inst = self.current()?;
        inst.plan
            .shapes
            .get(node)
            .cloned()
            .ok_or_else(|| CoreError::NotFound(format!("node {node} is not in this program")))
    }

    /// Reads `node`'s value from the last run to the host.
    pub fn fetch(&self, backend: &B, store: &Store<B>, node: NodeId) -> Result<HostTensor> {
        let inst = self.current()?;
        let shape = self.shape_of(node)?;
        let mut data = vec![0.0; numel(&shape)];
        match inst.plan.home.get(node).copied().flatten() {
            Some(Home::Slot(s)) => backend.read(&inst.buffers[s], &mut data)?,
            Some(Home::Var(v)) => backend.read(&store.get(v)?.buf, &mut data)?,
            None => return Err(CoreError::Graph(format!("node {node} was not computed"))),
        }
        Ok(HostTensor { shape, data })
    }

    /// The buffer and shape holding `node`'s value from the last run (a computed or fed node).
    pub fn operand(&self, node: NodeId) -> Result<Operand<'_, B::Buffer>> {
        let inst = self.current()?;
        match inst.plan.home.get(node).copied().flatten() {
            Some(Home::Slot(s)) => Ok(Operand {
                buf: &inst.buffers[s],
                shape: &inst.plan.shapes[node],
            }),
            _ => Err(CoreError::Graph(format!(
                "node {node} has no buffer of its own in this program"
            ))),
        }
    }

    /// The buffer holding `node`'s value from the last run (a computed node, not a variable).
    pub fn buffer_mut(&mut self, node: NodeId) -> Result<&mut B::Buffer> {
        let key = self
            .current
            .clone()
            .ok_or_else(|| CoreError::Graph("the program has not run yet".into()))?;
        let inst = self
            .instances
            .get_mut(&key)
            .ok_or_else(|| CoreError::Graph("program instance vanished".into()))?;
        match inst.plan.home.get(node).copied().flatten() {
            Some(Home::Slot(s)) => Ok(&mut inst.buffers[s]),
            _ => Err(CoreError::Graph(format!(
                "node {node} has no buffer of its own in this program"
            ))),
        }
    }

    /// Applies the program's updates from the last run: variable `v` takes node `n`'s value.
    pub fn apply_updates(&mut self, backend: &B, store: &mut Store<B>) -> Result<()> {
        let updates = self.updates.clone();
        let inst = self.current()?;
        for (v, n) in &updates {
            let len = numel(&inst.plan.shapes[*n]);
            match inst.plan.home[*n] {
                Some(Home::Slot(s)) => {
                    let var = store.get_mut(*v)?;
                    backend.copy(&inst.buffers[s], &mut var.buf, len)?;
                }
                Some(Home::Var(src)) if src != *v => {
                    let (shape, data) = store.read(backend, src)?;
                    store.set(backend, *v, &shape, &data)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn execute<B: Backend>(
    backend: &B,
    graph: &Graph,
    inst: &mut Instance<B>,
    store: &Store<B>,
    feeds: &[Option<Feed<'_>>],
    rng: &mut Rng,
    mut profile: Option<&mut Profile>,
) -> Result<()> {
    let plan = &inst.plan;
    for &id in &plan.order {
        let node = &graph.nodes()[id];
        let Some(Home::Slot(slot)) = plan.home[id] else {
            continue;
        };
        match &node.op {
            Op::Input { index } => {
                let f = feeds
                    .get(*index)
                    .copied()
                    .flatten()
                    .ok_or_else(|| CoreError::Graph(format!("input {index} was not fed")))?;
                backend.write(&mut inst.buffers[slot], f.data)?;
            }
            Op::Const(c) => {
                if !inst.consts_written {
                    let data: Vec<f32> = c.iter().copied().collect();
                    backend.write(&mut inst.buffers[slot], &data)?;
                }
            }
            op if op.is_alias() && plan.home[node.inputs[0]] == Some(Home::Slot(slot)) => {}
            Op::Output { .. } => {}
            op => {
                // Take the output buffers out so the inputs can be borrowed alongside them.
                let mut outs = vec![(slot, &plan.shapes[id][..])];
                outs.extend(
                    plan.extra_outputs[id]
                        .iter()
                        .map(|(s, shape)| (*s, &shape[..])),
                );
                let mut bufs = Vec::with_capacity(outs.len());
                for &(s, _) in &outs {
                    bufs.push(std::mem::replace(&mut inst.buffers[s], backend.alloc(0)?));
                }
                let result = {
                    let mut operands = Vec::with_capacity(node.inputs.len());
                    for &i in &node.inputs {
                        let buf = match plan.home[i] {
                            Some(Home::Slot(s)) => &inst.buffers[s],
                            Some(Home::Var(v)) => &store.get(v)?.buf,
                            None => {
                                return Err(CoreError::Graph(format!(
                                    "{} was not computed",
                                    graph.describe(i)
                                )))
                            }
                        };
                        operands.push(Operand {
                            buf,
                            shape: &plan.shapes[i],
                        });
                    }
                    let run_op = if op.is_alias() {
                        &Op::Unary(crate::ops::UnaryOp::Identity)
                    } else {
                        op
                    };
                    let mut targets: Vec<Target<'_, B::Buffer>> = bufs
                        .iter_mut()
                        .zip(&outs)
                        .map(|(buf, &(_, shape))| Target { buf, shape })
                        .collect();
                    let start = profile.as_ref().map(|_| std::time::Instant::now());
                    let r = backend.run(run_op, &operands, &mut targets, rng);
                    if let (Some(p), Some(t)) = (profile.as_deref_mut(), start) {
                        p.record(run_op, &operands, t.elapsed().as_secs_f64());
                    }
                    r
                };
                for (buf, &(s, _)) in bufs.into_iter().zip(&outs) {
                    inst.buffers[s] = buf;
                }
                result?;
            }
        }
    }
    inst.consts_written = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::Attrs;
    use crate::cpu::Cpu;

    fn chain(depth: usize) -> (Graph, NodeId, NodeId) {
        let mut g = Graph::new();
        let x = g.input(vec![None, Some(4)]);
        let mut y = x;
        for _ in 0..depth {
            y = g.add_named("tanh", &[y], &Attrs::new()).unwrap();
        }
        (g, x, y)
    }

    #[test]
    fn liveness_reuses_buffers_along_a_chain() {
        let (g, _, y) = chain(10);
        let plan = Plan::new(&g, &[y], &[Some(vec![8, 4])]).unwrap();
        // input + two alternating intermediates, not one buffer per node.
        assert_eq!(plan.len(), 11);
        assert!(plan.slot_count() <= 3, "slots: {}", plan.slot_count());
    }

    #[test]
    fn one_program_serves_several_batch_sizes() {
        let (g, _, y) = chain(2);
        let mut p: Program<Cpu> = Program::new(Arc::new(g), vec![y], vec![]).unwrap();
        let mut store = Store::new();
        let mut rng = Rng::seeded(0);
        for batch in [3usize, 5, 3] {
            let data = vec![0.5f32; batch * 4];
            let shape = [batch, 4];
            let out = p
                .run(
                    &Cpu,
                    &mut store,
                    &[Some(Feed {
                        shape: &shape,
                        data: &data,
                    })],
                    &mut rng,
                )
                .unwrap();
            assert_eq!(out[0].shape, vec![batch, 4]);
            let expected = 0.5f32.tanh().tanh();
            assert!(out[0].data.iter().all(|&v| (v - expected).abs() < 1e-6));
        }
        assert_eq!(p.instances.len(), 2);
    }

    #[test]
    fn wrong_input_shape_is_an_error_naming_both_shapes() {
        let (g, _, y) = chain(1);
        let mut p: Program<Cpu> = Program::new(Arc::new(g), vec![y], vec![]).unwrap();
        let data = vec![0.0f32; 6];
        let err = p
            .run(
                &Cpu,
                &mut Store::new(),
                &[Some(Feed {
                    shape: &[2, 3],
                    data: &data,
                })],
                &mut Rng::seeded(0),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("(None, 4)") && err.contains("(2, 3)"), "{err}");
    }

    #[test]
    fn missing_feed_is_an_error() {
        let (g, _, y) = chain(1);
        let mut p: Program<Cpu> = Program::new(Arc::new(g), vec![y], vec![]).unwrap();
        let err = p
            .run(&Cpu, &mut Store::new(), &[None], &mut Rng::seeded(0))
            .unwrap_err();
        assert!(err.to_string().contains("not fed"), "{err}");
    }

    #[test]
    fn updates_apply_after_outputs_with_old_values() {
        let mut store: Store<Cpu> = Store::new();
        let v = store.create(&Cpu, &[2], &[1.0, 2.0]).unwrap();
        let mut g = Graph::new();
        let vn = g.variable(v, &[2]);
        let two = g.scalar(2.0);
        let doubled = g.add_named("multiply", &[vn, two], &Attrs::new()).unwrap();
        let total = g.add_named("sum", &[vn], &Attrs::new()).unwrap();
        let mut p: Program<Cpu> =
            Program::new(Arc::new(g), vec![total], vec![(v, doubled)]).unwrap();
        let mut rng = Rng::seeded(0);
        let first = p.run(&Cpu, &mut store, &[], &mut rng).unwrap();
        let second = p.run(&Cpu, &mut store, &[], &mut rng).unwrap();
        assert_eq!(first[0].data, vec![3.0]);
        assert_eq!(second[0].data, vec![6.0]);
        assert_eq!(store.read(&Cpu, v).unwrap().1, vec![4.0, 8.0]);
    }

    #[test]
    fn a_multi_output_node_writes_all_its_outputs() {
        use crate::ops::{Padding, Window};
        let window = |s: usize| Window {
            strides: vec![s, s],
            dilation: vec![1, 1],
            padding: Padding::Valid,
        };
        let mut g = Graph::new();
        let x = g.input(vec![None, Some(6), Some(7), Some(1)]);
        let kernel = (0..18).map(|i| (i as f32 - 8.0) / 8.0).collect();
        let k = g.constant(ndarray::ArrayD::from_shape_vec(vec![3, 3, 1, 2], kernel).unwrap());
        let b = g.constant(ndarray::ArrayD::from_elem(vec![2], 0.1));
        let fused = Op::ConvReluMaxPool {
            window: window(1),
            pool_size: vec![2, 2],
            pool_window: window(2),
            routes: true,
        };
        // Outputs: the routes, then the pooled values.
        let routes = g.add(fused, &[x, k, b]).unwrap();
        let pooled = g.add_output(routes, 1).unwrap();
        for (producer, index) in [(routes, 0), (routes, 2), (x, 1)] {
            assert!(g.add_output(producer, index).is_err(), "{producer} {index}");
        }
        // The same values unfused: y = relu(conv(x, k) + b), max_pool(y).
        let conv = g.add(Op::Conv(window(1)), &[x, k]).unwrap();
        let sum = g.add_named("add", &[conv, b], &Attrs::new()).unwrap();
        let y = g.add_named("relu", &[sum], &Attrs::new()).unwrap();
        let pool = Op::Pool {
            kind: crate::ops::PoolKind::Max,
            size: vec![2, 2],
            window: window(2),
        };
        let want = g.add(pool, &[y]).unwrap();
        let shapes = [Some(vec![3, 6, 7, 1])];
        // An output nothing reads still gets a buffer of its own.
        let alone = Plan::new(&g, &[routes], &shapes).unwrap();
        let (scratch, _) = alone.extra_outputs[routes][0];
        assert_ne!(alone.home[routes], Some(Home::Slot(scratch)));
        let g = Arc::new(g);
        let mut p: Program<Cpu> = Program::new(g, vec![pooled, routes, y, want], vec![]).unwrap();
        let data: Vec<f32> = (0..3 * 42)
            .map(|i| ((i * 37) % 23) as f32 / 11.0 - 1.0)
            .collect();
        let feed = Feed {
            shape: &[3, 6, 7, 1],
            data: &data,
        };
        let out = p
            .run(&Cpu, &mut Store::new(), &[Some(feed)], &mut Rng::seeded(0))
            .unwrap();
        let (got, routes, y, want) = (&out[0], &out[1], &out[2], &out[3]);
        assert_eq!(got, want);
        assert_eq!(routes.shape, want.shape);
        // Each route points at the element of its 2x2 window holding the (positive) maximum.
        let (mut routed, mut none) = (0, 0);
        for (i, (&r, &m)) in routes.data.iter().zip(&want.data).enumerate() {
            let (c, j, row, n) = (i % 2, (i / 2) % 2, (i / 4) % 2, i / 8);
            if r < 0.0 {
                assert!(m <= 0.0 && r == -1.0, "{i}: route {r} for a maximum {m}");
                none += 1;
                continue;
            }
            let (dr, dc) = (r as usize / 2, r as usize % 2);
            let at = ((n * 4 + 2 * row + dr) * 5 + 2 * j + dc) * 2 + c;
            assert_eq!(y.data[at], m, "{i}: route {r}");
            routed += 1;
        }
        assert!(routed > 0 && none > 0, "{routed} routed, {none} not");
    }

    #[test]
    fn aliases_share_their_source_buffer() {
        let mut g = Graph::new();
        let x = g.input(vec![None, Some(6)]);
        let e = g.add_named("exp", &[x], &Attrs::new()).unwrap();
        let attrs = Attrs::new().with("shape", crate::AttrValue::Ints(vec![0, 2, 3]));
        let r = g.add_named("reshape", &[e], &attrs).unwrap();
        let s = g.add_named("sum", &[r], &Attrs::new()).unwrap();
        let plan = Plan::new(&g, &[s], &[Some(vec![2, 6])]).unwrap();
        assert_eq!(plan.home[e], plan.home[r]);
    }
}
