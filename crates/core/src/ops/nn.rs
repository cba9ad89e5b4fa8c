//! Normalized exponentials: softmax and log-softmax along any axis.

use crate::attrs::Attrs;
use crate::error::{shape_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::Op;
use crate::shape::{norm_axis, SymShape};

/// Builds a softmax-family op from its name, or `None` if the name is not in this family.
pub fn from_name(name: &str, a: &Attrs, inputs: &[SymShape]) -> Result<Option<Op>> {
    let rank = inputs.first().map_or(0, |s| s.len());
    let axis = || -> Result<usize> { norm_axis(name, a.int(name, "axis", Some(-1))?, rank) };
    Ok(match name {
        "softmax" => Some(Op::Softmax { axis: axis()? }),
        "log_softmax" => Some(Op::LogSoftmax { axis: axis()? }),
        _ => None,
    })
}

/// Shape inference for the family.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let axis = match op {
        Op::Softmax { axis }
        | Op::LogSoftmax { axis }
        | Op::SoftmaxGrad { axis }
        | Op::LogSoftmaxGrad { axis } => *axis,
        _ => return shape_err(&op.name(), "not a softmax op"),
    };
    if axis >= inputs[0].len() {
        return shape_err(
            &op.name(),
            format!("axis {axis} is out of range for rank {}", inputs[0].len()),
        );
    }
    if inputs.len() == 2 && inputs[0] != inputs[1] {
        return shape_err(&op.name(), "y and dy must have one shape");
    }
    Ok(inputs[0].clone())
}

/// Backward rules for the family.
pub fn backward(g: &mut Graph, n: &Node, node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    match n.op {
        Op::Softmax { axis } => Ok(vec![Some(g.add(Op::SoftmaxGrad { axis }, &[node, dy])?)]),
        Op::LogSoftmax { axis } => Ok(vec![Some(g.add(Op::LogSoftmaxGrad { axis }, &[node, dy])?)]),
        _ => Ok(vec![None; n.inputs.len()]),
    }
}
