//! Random tensors drawn from the executor's seeded generator: uniform, normal, truncated normal,
//! binomial (dropout masks).

use crate::attrs::Attrs;
use crate::error::{arg_err, Result};
use crate::ops::Op;
use crate::shape::SymShape;

/// A distribution to draw from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Uniform on `[low, high)`.
    Uniform { low: f32, high: f32 },
    /// Normal with `mean` and `stddev`.
    Normal { mean: f32, stddev: f32 },
    /// Normal redrawn outside two standard deviations.
    TruncatedNormal { mean: f32, stddev: f32 },
    /// `value` with probability `p`, else 0 (`value` is 1 as built from a name; the fusion
    /// pass folds a dropout's scale into it).
    Binomial { p: f32, value: f32 },
}

impl Distribution {
    /// Front-end name.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Uniform { .. } => "random_uniform",
            Distribution::Normal { .. } => "random_normal",
            Distribution::TruncatedNormal { .. } => "truncated_normal",
            Distribution::Binomial { .. } => "random_binomial",
        }
    }
}

/// Builds a random op from its name, or `None` if the name is not in this family. With a `shape`
/// attribute the op takes no input; without one it draws a tensor shaped like its input.
pub fn from_name(name: &str, a: &Attrs) -> Result<Option<Op>> {
    let f = |k: &str, d: f64| a.float(name, k, Some(d)).map(|v| v as f32);
    let dist = match name {
        "random_uniform" => Distribution::Uniform {
            low: f("minval", 0.0)?,
            high: f("maxval", 1.0)?,
        },
        "random_normal" => Distribution::Normal {
            mean: f("mean", 0.0)?,
            stddev: f("stddev", 1.0)?,
        },
        "truncated_normal" => Distribution::TruncatedNormal {
            mean: f("mean", 0.0)?,
            stddev: f("stddev", 1.0)?,
        },
        "random_binomial" => {
            let p = f("p", 0.5)?;
            if !(0.0..=1.0).contains(&p) {
                return arg_err(name, format!("p must be in [0, 1], got {p}"));
            }
            Distribution::Binomial { p, value: 1.0 }
        }
        _ => return Ok(None),
    };
    let shape = match a.ints(name, "shape", Some(vec![-1]))? {
        s if s == [-1] => None,
        s if s.iter().all(|&d| d >= 0) => Some(s.iter().map(|&d| d as usize).collect()),
        s => return arg_err(name, format!("shape must be non-negative ints, got {s:?}")),
    };
    Ok(Some(Op::Random { dist, shape }))
}

/// Shape inference.
pub fn infer(op: &Op, inputs: &[SymShape]) -> Result<SymShape> {
    match op {
        Op::Random { shape: Some(s), .. } => Ok(s.iter().map(|&d| Some(d)).collect()),
        _ => Ok(inputs[0].clone()),
    }
}
