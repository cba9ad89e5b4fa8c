//! Matrix products: 2-D and batched (leading axes broadcast), with optional transposes.

use crate::attrs::Attrs;
use crate::error::{shape_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::Op;
use crate::shape::{broadcast, fmt_shape, SymShape};

/// Builds a matmul from its name, or `None` if the name is not in this family.
pub fn from_name(name: &str, a: &Attrs) -> Result<Option<Op>> {
    Ok(match name {
        "matmul" | "batch_matmul" => Some(Op::MatMul {
            transpose_a: a.bool(name, "transpose_a", false)?,
            transpose_b: a.bool(name, "transpose_b", false)?,
        }),
        _ => None,
    })
}

/// Shape inference: `(..., m, k) @ (..., k, n) -> (..., m, n)`, leading axes broadcast.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let Op::MatMul {
        transpose_a,
        transpose_b,
    } = *op
    else {
        return shape_err("matmul", "not a matmul");
    };
    let (a, b) = (&inputs[0], &inputs[1]);
    if a.len() < 2 || b.len() < 2 {
        return shape_err(
            "matmul",
            format!(
                "both operands need rank >= 2, got {} and {}",
                fmt_shape(a),
                fmt_shape(b)
            ),
        );
    }
    let (ra, rb) = (a.len(), b.len());
    let (m, ka) = if transpose_a {
        (a[ra - 1], a[ra - 2])
    } else {
        (a[ra - 2], a[ra - 1])
    };
    let (kb, n) = if transpose_b {
        (b[rb - 1], b[rb - 2])
    } else {
        (b[rb - 2], b[rb - 1])
    };
    if let (Some(x), Some(y)) = (ka, kb) {
        if x != y {
            return shape_err(
                "matmul",
                format!(
                    "inner dimensions differ: {} @ {} (transpose_a={transpose_a}, transpose_b={transpose_b})",
                    fmt_shape(a),
                    fmt_shape(b)
                ),
            );
        }
    }
    let mut out = broadcast("matmul", &a[..ra - 2], &b[..rb - 2])?;
    out.push(m);
    out.push(n);
    Ok(out)
}

/// Backward rule: `dA = dY @ B^T`, `dB = A^T @ dY` (with the transposes folded in), each summed
/// over broadcast leading axes.
pub fn backward(g: &mut Graph, n: &Node, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let Op::MatMul {
        transpose_a: ta,
        transpose_b: tb,
    } = n.op
    else {
        return Ok(vec![None, None]);
    };
    let (a, b) = (n.inputs[0], n.inputs[1]);
    let mm = |g: &mut Graph, x, y, t1, t2| {
        g.add(
            Op::MatMul {
                transpose_a: t1,
                transpose_b: t2,
            },
            &[x, y],
        )
    };
    let da = if ta {
        mm(g, b, dy, tb, true)?
    } else {
        mm(g, dy, b, false, !tb)?
    };
    let (ra, rb) = (g.shape(a)?.len(), g.shape(b)?.len());
    if rb == 2 && ra > 2 && !ta {
        // A shared 2-D weight: fold the leading axes into the rows, one GEMM instead of a
        // batched product followed by a sum.
        let a2 = flatten_rows(g, a)?;
        let dy2 = flatten_rows(g, dy)?;
        let db = if tb {
            mm(g, dy2, a2, true, false)?
        } else {
            mm(g, a2, dy2, true, false)?
        };
        return Ok(vec![Some(g.sum_like(da, a)?), Some(db)]);
    }
    let db = if tb {
        mm(g, dy, a, true, ta)?
    } else {
        mm(g, a, dy, !ta, false)?
    };
    Ok(vec![Some(g.sum_like(da, a)?), Some(g.sum_like(db, b)?)])
}

/// `x` reshaped to `(rows, last)`: all leading axes folded into one.
fn flatten_rows(g: &mut Graph, x: NodeId) -> Result<NodeId> {
    let last = g.shape(x)?.last().copied().flatten();
    match last {
        Some(d) => g.add(
            Op::Reshape {
                shape: vec![-1, d as i64],
            },
            &[x],
        ),
        None => shape_err("matmul", "the gradient needs a known last dimension"),
    }
}
