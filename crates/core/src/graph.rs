//! The static graph: nodes appended in topological order, shapes inferred (and validated) as
//! nodes are added, with a symbolic batch dimension.

use std::sync::Arc;

use ndarray::ArrayD;

use crate::attrs::Attrs;
use crate::error::{CoreError, Result};
use crate::ops::{BinaryOp, Op, ReduceOp, UnaryOp, VarId};
use crate::shape::{fmt_shape, SymShape};

/// Index of a node in its graph.
pub type NodeId = usize;

/// One node: its op, its inputs (earlier nodes) and its inferred symbolic shape.
#[derive(Debug, Clone)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Input node ids, all smaller than this node's id.
    pub inputs: Vec<NodeId>,
    /// Output shape; `None` dimensions are known only at run time.
    pub shape: SymShape,
}

/// A static dataflow graph. Nodes only ever get appended, so ids are a topological order.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    inputs: Vec<NodeId>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// All nodes, in topological order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Input (placeholder) nodes, in the order they were added.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// A node by id.
    pub fn node(&self, id: NodeId) -> Result<&Node> {
        self.nodes
            .get(id)
            .ok_or_else(|| CoreError::NotFound(format!("node {id} is not in this graph")))
    }

    /// The symbolic shape of a node.
    pub fn shape(&self, id: NodeId) -> Result<&SymShape> {
        Ok(&self.node(id)?.shape)
    }

    /// Adds a placeholder fed at run time.
    pub fn input(&mut self, shape: SymShape) -> NodeId {
        let index = self.inputs.len();
        let id = self.push(Op::Input { index }, vec![], shape);
        self.inputs.push(id);
        id
    }

    /// Adds a constant.
    pub fn constant(&mut self, value: ArrayD<f32>) -> NodeId {
        let shape = value.shape().iter().map(|&d| Some(d)).collect();
        self.push(Op::Const(Arc::new(value)), vec![], shape)
    }

    /// Adds a scalar constant.
    pub fn scalar(&mut self, value: f32) -> NodeId {
        self.constant(ArrayD::from_elem(vec![], value))
    }

    /// Adds a reference to a store variable of the given shape.
    pub fn variable(&mut self, var: VarId, shape: &[usize]) -> NodeId {
        self.push(
            Op::Variable(var),
            vec![],
            shape.iter().map(|&d| Some(d)).collect(),
        )
    }

    /// Adds an op node, inferring and validating its output shape.
    pub fn add(&mut self, op: Op, inputs: &[NodeId]) -> Result<NodeId> {
        let shape = self.infer(&op, inputs)?;
        Ok(self.push(op, inputs.to_vec(), shape))
    }

    /// Adds a node reading output `index` (1 or more) of the multi-output node `producer`.
    pub fn add_output(&mut self, producer: NodeId, index: usize) -> Result<NodeId> {
        self.add(Op::Output { index }, &[producer])
    }

    /// The shape `op` infers from the nodes `inputs`; an `Output` node's shape is its
    /// producer's output of that index.
    fn infer(&self, op: &Op, inputs: &[NodeId]) -> Result<SymShape> {
        let shapes_of = |ids: &[NodeId]| -> Result<Vec<SymShape>> {
            ids.iter().map(|&i| self.shape(i).cloned()).collect()
        };
        match op {
            Op::Output { index } => {
                let [producer] = inputs else {
                    return Err(CoreError::Graph(format!(
                        "{}: expected 1 input (its producer), got {}",
                        op.name(),
                        inputs.len()
                    )));
                };
                let p = self.node(*producer)?;
                let shapes = p.op.infer_output_shapes(&shapes_of(&p.inputs)?)?;
                match shapes.get(*index) {
                    Some(shape) if *index > 0 => Ok(shape.clone()),
                    _ => Err(CoreError::Graph(format!(
                        "{}: {} has outputs 1 to {} past its first",
                        op.name(),
                        self.describe(*producer),
                        shapes.len() - 1
                    ))),
                }
            }
            _ => op.infer_shape(&shapes_of(inputs)?),
        }
    }

    /// Adds an op given by front-end name and attributes.
    pub fn add_named(&mut self, name: &str, inputs: &[NodeId], attrs: &Attrs) -> Result<NodeId> {
        let mut shapes = Vec::with_capacity(inputs.len());
        for &i in inputs {
            let s = self
                .shape(i)
                .map_err(|e| CoreError::Graph(format!("{name}: {e}")))?;
            shapes.push(s.clone());
        }
        let op = Op::from_name(name, attrs, &shapes)?;
        self.add(op, inputs)
    }

    /// Replaces node `id`'s op and inputs (a rewrite pass), keeping its id and checking that
    /// the new op infers the same shape and that every input precedes `id`.
    pub fn replace(&mut self, id: NodeId, op: Op, inputs: Vec<NodeId>) -> Result<()> {
        self.rewrite(id, op, inputs, false)
    }

    /// Like [`Graph::replace`], but the node may take a new shape: for a node whose every
    /// consumer the pass rewrites too (a plan re-infers all shapes and rejects a graph left
    /// inconsistent).
    pub fn redefine(&mut self, id: NodeId, op: Op, inputs: Vec<NodeId>) -> Result<()> {
        self.rewrite(id, op, inputs, true)
    }

    /// Empties node `id`, which a rewrite pass has left unread, into a constant without
    /// elements: the graph stays consistent (a node still reading it would fail planning with
    /// a shape error, not compute from stale inputs).
    pub fn retire(&mut self, id: NodeId) -> Result<()> {
        let empty = Op::Const(Arc::new(ArrayD::zeros(vec![0])));
        self.rewrite(id, empty, vec![], true)
    }

    fn rewrite(&mut self, id: NodeId, op: Op, inputs: Vec<NodeId>, reshape: bool) -> Result<()> {
        if inputs.iter().any(|&i| i >= id) {
            return Err(CoreError::Graph(format!(
                "rewrite of {}: inputs {inputs:?} must precede node {id}",
                self.describe(id)
            )));
        }
        let shape = self.infer(&op, &inputs)?;
        if !reshape && shape != self.node(id)?.shape {
            return Err(CoreError::Graph(format!(
                "rewrite of {} as {} changes its shape",
                self.describe(id),
                op.name()
            )));
        }
        let node = &mut self.nodes[id];
        node.op = op;
        node.inputs = inputs;
        node.shape = shape;
        Ok(())
    }

    fn push(&mut self, op: Op, inputs: Vec<NodeId>, shape: SymShape) -> NodeId {
        self.nodes.push(Node { op, inputs, shape });
        self.nodes.len() - 1
    }

    /// Describes a node for error messages: `matmul (None, 3)`.
    pub fn describe(&self, id: NodeId) -> String {
        match self.nodes.get(id) {
            Some(n) => format!("{} {}", n.op.name(), fmt_shape(&n.shape)),
            None => format!("<missing node {id}>"),
        }
    }

    /// `a + b`.
    pub fn add2(&mut self, a: NodeId, b: NodeId) -> Result<NodeId> {
        self.add(Op::Binary(BinaryOp::Add), &[a, b])
    }

    /// Elementwise binary op.
    pub fn binary(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> Result<NodeId> {
        self.add(Op::Binary(op), &[a, b])
    }

    /// Elementwise unary op.
    pub fn unary(&mut self, op: UnaryOp, a: NodeId) -> Result<NodeId> {
        self.add(Op::Unary(op), &[a])
    }

    /// `a * c` for a scalar constant `c`.
    pub fn scale(&mut self, a: NodeId, c: f32) -> Result<NodeId> {
        let s = self.scalar(c);
        self.binary(BinaryOp::Mul, a, s)
    }

    /// Sums `a` down to the shape of `like` (undoing broadcasting); a no-op when equal.
    pub fn sum_like(&mut self, a: NodeId, like: NodeId) -> Result<NodeId> {
        if self.same_runtime_shape(a, like) {
            return Ok(a);
        }
        self.add(Op::SumLike, &[a, like])
    }

    /// Broadcasts `a` to the shape of `like`.
    pub fn broadcast_like(&mut self, a: NodeId, like: NodeId) -> Result<NodeId> {
        self.add(Op::BroadcastLike, &[a, like])
    }

    /// Sum over axes with keepdims.
    pub fn reduce_sum_keep(&mut self, a: NodeId, axes: Vec<usize>) -> Result<NodeId> {
        self.add(
            Op::Reduce {
                kind: ReduceOp::Sum,
                axes,
                keepdims: true,
            },
            &[a],
        )
    }

    /// True when two nodes' shapes are guaranteed equal at run time: identical symbolic shapes
    /// whose unknown dimensions can only be the batch dimension (axis 0).
    fn same_runtime_shape(&self, a: NodeId, b: NodeId) -> bool {
        match (self.nodes.get(a), self.nodes.get(b)) {
            (Some(x), Some(y)) => x.shape == y.shape && x.shape.iter().skip(1).all(|d| d.is_some()),
            _ => false,
        }
    }
}
