//! Elementwise ops: unary functions and activations, broadcasting binary arithmetic and
//! comparisons, `where`, casts.

use crate::attrs::Attrs;
use crate::error::{arg_err, Result};
use crate::graph::{Graph, Node, NodeId};
use crate::ops::Op;
use crate::shape::{broadcast, SymShape};

/// Elementwise functions of one tensor (activations included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `sqrt(x)`
    Sqrt,
    /// `x * x`
    Square,
    /// `e^x` (also the `exponential` activation)
    Exp,
    /// `ln(x)`
    Log,
    /// `-1`, `0` or `1`
    Sign,
    /// `1 / x`
    Reciprocal,
    /// Round half to even, as NumPy.
    Round,
    /// Floor.
    Floor,
    /// Keras relu: `x` above `threshold`, `alpha * (x - threshold)` at or below it, capped at
    /// `max_value`.
    Relu {
        alpha: f32,
        max_value: Option<f32>,
        threshold: f32,
    },
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `clip(0.2 x + 0.5, 0, 1)` (Keras 2 definition)
    HardSigmoid,
    /// `tanh(x)`
    Tanh,
    /// `ln(1 + e^x)`
    Softplus,
    /// `x / (1 + |x|)`
    Softsign,
    /// `x` for `x > 0`, `alpha (e^x - 1)` otherwise
    Elu { alpha: f32 },
    /// Scaled ELU with Keras's constants.
    Selu,
    /// `min(max(x, lo), hi)`
    Clip { min: f32, max: f32 },
    /// Identity (an alias; no kernel runs).
    Identity,
    /// Cast to a Keras dtype kind, the value stays f32.
    Cast(CastKind),
    /// Logical not of a boolean-valued tensor.
    LogicalNot,
}

/// What a cast produces: the values stay f32, rounded as the target dtype would hold them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CastKind {
    /// A float dtype: identity.
    Float,
    /// An integer dtype: truncation toward zero.
    Int,
    /// `bool`: `x != 0`.
    Bool,
}

/// SELU's alpha (Keras).
pub const SELU_ALPHA: f32 = 1.673_263_2;
/// SELU's scale (Keras).
pub const SELU_SCALE: f32 = 1.050_701;

impl UnaryOp {
    /// Front-end name.
    pub fn name(&self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Square => "square",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sign => "sign",
            UnaryOp::Reciprocal => "reciprocal",
            UnaryOp::Round => "round",
            UnaryOp::Floor => "floor",
            UnaryOp::Relu { .. } => "relu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::HardSigmoid => "hard_sigmoid",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Softplus => "softplus",
            UnaryOp::Softsign => "softsign",
            UnaryOp::Elu { .. } => "elu",
            UnaryOp::Selu => "selu",
            UnaryOp::Clip { .. } => "clip",
            UnaryOp::Identity => "identity",
            UnaryOp::Cast(_) => "cast",
            UnaryOp::LogicalNot => "logical_not",
        }
    }

    /// The function at one point.
    #[inline(always)]
    pub fn apply(&self, x: f32) -> f32 {
        match *self {
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Square => x * x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Reciprocal => 1.0 / x,
            UnaryOp::Round => x.round_ties_even(),
            UnaryOp::Floor => x.floor(),
            UnaryOp::Relu {
                alpha,
                max_value,
                threshold,
            } => {
                let y = if x > threshold {
                    x
                } else if alpha != 0.0 {
                    alpha * (x - threshold)
                } else {
                    0.0
                };
                match max_value {
                    Some(m) => y.min(m),
                    None => y,
                }
            }
            UnaryOp::Sigmoid => sigmoid(x),
            UnaryOp::HardSigmoid => (0.2 * x + 0.5).clamp(0.0, 1.0),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Softplus => softplus(x),
            UnaryOp::Softsign => x / (1.0 + x.abs()),
            UnaryOp::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            UnaryOp::Selu => {
                if x > 0.0 {
                    SELU_SCALE * x
                } else {
                    SELU_SCALE * SELU_ALPHA * x.exp_m1()
                }
            }
            UnaryOp::Clip { min, max } => x.max(min).min(max),
            UnaryOp::Identity | UnaryOp::Cast(CastKind::Float) => x,
            UnaryOp::Cast(CastKind::Int) => x.trunc(),
            UnaryOp::Cast(CastKind::Bool) => f32::from(x != 0.0),
            UnaryOp::LogicalNot => f32::from(x == 0.0),
        }
    }

    /// The derivative `f'(x)` given `x` and `y = f(x)`.
    #[inline(always)]
    pub fn derivative(&self, x: f32, y: f32) -> f32 {
        match *self {
            UnaryOp::Neg => -1.0,
            UnaryOp::Abs => UnaryOp::Sign.apply(x),
            UnaryOp::Sqrt => 0.5 / y,
            UnaryOp::Square => 2.0 * x,
            UnaryOp::Exp => y,
            UnaryOp::Log => 1.0 / x,
            UnaryOp::Reciprocal => -y * y,
            UnaryOp::Relu {
                alpha,
                max_value,
                threshold,
            } => {
                if max_value.is_some_and(|m| y >= m) {
                    0.0
                } else if x > threshold {
                    1.0
                } else {
                    alpha
                }
            }
            UnaryOp::Sigmoid => y * (1.0 - y),
            UnaryOp::HardSigmoid => {
                if x > -2.5 && x < 2.5 {
                    0.2
                } else {
                    0.0
                }
            }
            UnaryOp::Tanh => 1.0 - y * y,
            UnaryOp::Softplus => sigmoid(x),
            UnaryOp::Softsign => {
                let d = 1.0 + x.abs();
                1.0 / (d * d)
            }
            UnaryOp::Elu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    y + alpha
                }
            }
            UnaryOp::Selu => {
                if x > 0.0 {
                    SELU_SCALE
                } else {
                    y + SELU_SCALE * SELU_ALPHA
                }
            }
            UnaryOp::Clip { min, max } => f32::from(x >= min && x <= max),
            UnaryOp::Identity | UnaryOp::Cast(CastKind::Float) => 1.0,
            UnaryOp::Sign
            | UnaryOp::Round
            | UnaryOp::Floor
            | UnaryOp::Cast(_)
            | UnaryOp::LogicalNot => 0.0,
        }
    }

    /// True when no gradient flows through the op (piecewise constant).
    pub fn is_piecewise_constant(&self) -> bool {
        matches!(
            self,
            UnaryOp::Sign
                | UnaryOp::Round
                | UnaryOp::Floor
                | UnaryOp::Cast(CastKind::Int)
                | UnaryOp::Cast(CastKind::Bool)
                | UnaryOp::LogicalNot
        )
    }
}

/// Numerically stable logistic function.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Numerically stable `ln(1 + e^x)`.
#[inline(always)]
pub fn softplus(x: f32) -> f32 {
    if x > 20.0 {
        x
    } else if x < -20.0 {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

/// Elementwise functions of two tensors, with NumPy broadcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a ^ b`
    Pow,
    /// `max(a, b)`
    Maximum,
    /// `min(a, b)`
    Minimum,
    /// `a == b` as 0/1
    Equal,
    /// `a != b` as 0/1
    NotEqual,
    /// `a > b` as 0/1
    Greater,
    /// `a >= b` as 0/1
    GreaterEqual,
    /// `a < b` as 0/1
    Less,
    /// `a <= b` as 0/1
    LessEqual,
    /// logical and of truth values
    LogicalAnd,
    /// logical or of truth values
    LogicalOr,
}

impl BinaryOp {
    /// Front-end name.
    pub fn name(&self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "subtract",
            BinaryOp::Mul => "multiply",
            BinaryOp::Div => "divide",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Equal => "equal",
            BinaryOp::NotEqual => "not_equal",
            BinaryOp::Greater => "greater",
            BinaryOp::GreaterEqual => "greater_equal",
            BinaryOp::Less => "less",
            BinaryOp::LessEqual => "less_equal",
            BinaryOp::LogicalAnd => "logical_and",
            BinaryOp::LogicalOr => "logical_or",
        }
    }

    /// The function at one point.
    #[inline(always)]
    pub fn apply(&self, a: f32, b: f32) -> f32 {
        match *self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Pow => a.powf(b),
            BinaryOp::Maximum => a.max(b),
            BinaryOp::Minimum => a.min(b),
            BinaryOp::Equal => f32::from(a == b),
            BinaryOp::NotEqual => f32::from(a != b),
            BinaryOp::Greater => f32::from(a > b),
            BinaryOp::GreaterEqual => f32::from(a >= b),
            BinaryOp::Less => f32::from(a < b),
            BinaryOp::LessEqual => f32::from(a <= b),
            BinaryOp::LogicalAnd => f32::from(a != 0.0 && b != 0.0),
            BinaryOp::LogicalOr => f32::from(a != 0.0 || b != 0.0),
        }
    }

    /// True when the op has a gradient (the comparisons do not).
    pub fn is_differentiable(&self) -> bool {
        matches!(
            self,
            BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::Pow
                | BinaryOp::Maximum
                | BinaryOp::Minimum
        )
    }
}

/// Builds an elementwise op from its name, or `None` if the name is not in this family.
pub fn from_name(name: &str, a: &Attrs) -> Result<Option<Op>> {
    let un = |u| Ok(Some(Op::Unary(u)));
    let bin = |b| Ok(Some(Op::Binary(b)));
    match name {
        "neg" | "negative" => un(UnaryOp::Neg),
        "abs" => un(UnaryOp::Abs),
        "sqrt" => un(UnaryOp::Sqrt),
        "square" => un(UnaryOp::Square),
        "exp" | "exponential" => un(UnaryOp::Exp),
        "log" => un(UnaryOp::Log),
        "sign" => un(UnaryOp::Sign),
        "reciprocal" => un(UnaryOp::Reciprocal),
        "round" => un(UnaryOp::Round),
        "floor" => un(UnaryOp::Floor),
        "relu" => un(UnaryOp::Relu {
            alpha: a.float(name, "alpha", Some(0.0))? as f32,
            max_value: a.opt_float(name, "max_value")?.map(|v| v as f32),
            threshold: a.float(name, "threshold", Some(0.0))? as f32,
        }),
        "sigmoid" => un(UnaryOp::Sigmoid),
        "hard_sigmoid" => un(UnaryOp::HardSigmoid),
        "tanh" => un(UnaryOp::Tanh),
        "softplus" => un(UnaryOp::Softplus),
        "softsign" => un(UnaryOp::Softsign),
        "elu" => un(UnaryOp::Elu {
            alpha: a.float(name, "alpha", Some(1.0))? as f32,
        }),
        "selu" => un(UnaryOp::Selu),
        "clip" => {
            let lo = a.float(name, "min_value", None)? as f32;
            let hi = a.float(name, "max_value", None)? as f32;
            un(UnaryOp::Clip {
                min: lo,
                max: hi.max(lo),
            })
        }
        "identity" | "linear" => un(UnaryOp::Identity),
        "logical_not" => un(UnaryOp::LogicalNot),
        "cast" => {
            let kind = match a.string(name, "dtype", None)?.as_str() {
                "float16" | "float32" | "float64" | "bfloat16" => CastKind::Float,
                "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" => {
                    CastKind::Int
                }
                "bool" => CastKind::Bool,
                other => return arg_err(name, format!("unsupported dtype '{other}'")),
            };
            un(UnaryOp::Cast(kind))
        }
        "add" => bin(BinaryOp::Add),
        "subtract" | "sub" => bin(BinaryOp::Sub),
        "multiply" | "mul" => bin(BinaryOp::Mul),
        "divide" | "div" | "true_divide" => bin(BinaryOp::Div),
        "pow" | "power" => bin(BinaryOp::Pow),
        "maximum" => bin(BinaryOp::Maximum),
        "minimum" => bin(BinaryOp::Minimum),
        "equal" => bin(BinaryOp::Equal),
        "not_equal" => bin(BinaryOp::NotEqual),
        "greater" => bin(BinaryOp::Greater),
        "greater_equal" => bin(BinaryOp::GreaterEqual),
        "less" => bin(BinaryOp::Less),
        "less_equal" => bin(BinaryOp::LessEqual),
        "logical_and" => bin(BinaryOp::LogicalAnd),
        "logical_or" => bin(BinaryOp::LogicalOr),
        "where" | "switch" => Ok(Some(Op::Where)),
        "stop_gradient" => Ok(Some(Op::StopGradient)),
        _ => Ok(None),
    }
}

/// Shape inference for the family.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    let name = op.name();
    match op {
        Op::Binary(_) => broadcast(&name, &inputs[0], &inputs[1]),
        Op::Where => {
            let ab = broadcast(&name, &inputs[1], &inputs[2])?;
            broadcast(&name, &inputs[0], &ab)
        }
        Op::UnaryGrad(_) => {
            if inputs[0] != inputs[2] || inputs[0] != inputs[1] {
                return crate::error::shape_err(&name, "x, y and dy must have one shape");
            }
            Ok(inputs[0].clone())
        }
        _ => Ok(inputs[0].clone()),
    }
}

/// Backward rules for the family.
pub fn backward(g: &mut Graph, n: &Node, node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let i = &n.inputs;
    match &n.op {
        Op::StopGradient => Ok(vec![None]),
        Op::Unary(u) if u.is_piecewise_constant() => Ok(vec![None]),
        Op::Unary(UnaryOp::Identity) | Op::Unary(UnaryOp::Cast(CastKind::Float)) => {
            Ok(vec![Some(dy)])
        }
        Op::Unary(UnaryOp::Neg) => Ok(vec![Some(g.unary(UnaryOp::Neg, dy)?)]),
        Op::Unary(u) => Ok(vec![Some(g.add(Op::UnaryGrad(*u), &[i[0], node, dy])?)]),
        Op::UnaryGrad(u) => unary_grad_backward(g, *u, i, dy),
        Op::Binary(b) => binary_backward(g, *b, i[0], i[1], node, dy),
        Op::Where => {
            let zero = g.scalar(0.0);
            let da = g.add(Op::Where, &[i[0], dy, zero])?;
            let db = g.add(Op::Where, &[i[0], zero, dy])?;
            Ok(vec![
                None,
                Some(g.sum_like(da, i[1])?),
                Some(g.sum_like(db, i[2])?),
            ])
        }
        _ => Ok(vec![None; i.len()]),
    }
}

/// Second derivative support: `d/d(dy)` of `dy * f'(x)` is `f'(x)`; `x` gets a gradient only
/// for the ops whose `f'` is smooth and which we use twice (square, and the linear ops).
fn unary_grad_backward(
    g: &mut Graph,
    u: UnaryOp,
    i: &[NodeId],
    dz: NodeId,
) -> Result<Vec<Option<NodeId>>> {
    let ddy = g.add(Op::UnaryGrad(u), &[i[0], i[1], dz])?;
    let dx = match u {
        UnaryOp::Square => {
            let t = g.binary(BinaryOp::Mul, dz, i[2])?;
            Some(g.scale(t, 2.0)?)
        }
        _ => None,
    };
    Ok(vec![dx, None, Some(ddy)])
}

fn binary_backward(
    g: &mut Graph,
    b: BinaryOp,
    x: NodeId,
    y: NodeId,
    out: NodeId,
    dy: NodeId,
) -> Result<Vec<Option<NodeId>>> {
    use BinaryOp::*;
    let (da, db) = match b {
        Add => (Some(dy), Some(dy)),
        Sub => (Some(dy), Some(g.unary(UnaryOp::Neg, dy)?)),
        Mul => (Some(g.binary(Mul, dy, y)?), Some(g.binary(Mul, dy, x)?)),
        Div => {
            let da = g.binary(Div, dy, y)?;
            let q = g.binary(Div, out, y)?;
            let t = g.binary(Mul, dy, q)?;
            (Some(da), Some(g.unary(UnaryOp::Neg, t)?))
        }
        Pow => {
            let one = g.scalar(1.0);
            let ym1 = g.binary(Sub, y, one)?;
            let p = g.binary(Pow, x, ym1)?;
            let t = g.binary(Mul, p, y)?;
            let da = g.binary(Mul, dy, t)?;
            let lx = g.unary(UnaryOp::Log, x)?;
            let t2 = g.binary(Mul, out, lx)?;
            (Some(da), Some(g.binary(Mul, dy, t2)?))
        }
        Maximum | Minimum => {
            let cmp = if b == Maximum {
                GreaterEqual
            } else {
                LessEqual
            };
            let mask = g.binary(cmp, x, y)?;
            let da = g.binary(Mul, dy, mask)?;
            let db = g.binary(Sub, dy, da)?;
            (Some(da), Some(db))
        }
        _ => (None, None),
    };
    let da = match da {
        Some(d) => Some(g.sum_like(d, x)?),
        None => None,
    };
    let db = match db {
        Some(d) => Some(g.sum_like(d, y)?),
        None => None,
    };
    Ok(vec![da, db])
}
