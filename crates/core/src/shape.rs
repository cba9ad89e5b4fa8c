//! Symbolic shapes: a dimension is known (`Some(n)`) or symbolic (`None`, e.g. the batch).

use crate::error::{arg_err, shape_err, Result};

/// One dimension of a symbolic shape; `None` is unknown until run time (the batch dimension).
pub type Dim = Option<usize>;

/// A shape whose dimensions may be symbolic.
pub type SymShape = Vec<Dim>;

/// Formats a symbolic shape the way Keras prints it: `(None, 784)`.
pub fn fmt_shape(s: &[Dim]) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|d| d.map_or("None".to_string(), |n| n.to_string()))
        .collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Lifts a concrete shape to a symbolic one.
pub fn sym(s: &[usize]) -> SymShape {
    s.iter().map(|&d| Some(d)).collect()
}

/// Returns the concrete shape if every dimension is known.
pub fn concrete(s: &[Dim]) -> Option<Vec<usize>> {
    s.iter().copied().collect()
}

/// NumPy broadcasting of two symbolic shapes.
pub fn broadcast(op: &str, a: &[Dim], b: &[Dim]) -> Result<SymShape> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            Some(1)
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            Some(1)
        };
        let d = match (da, db) {
            (Some(1), d) | (d, Some(1)) => d,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(_), Some(_)) => {
                return shape_err(
                    op,
                    format!(
                        "cannot broadcast shapes {} and {}",
                        fmt_shape(a),
                        fmt_shape(b)
                    ),
                )
            }
            (None, Some(y)) => Some(y),
            (Some(x), None) => Some(x),
            (None, None) => None,
        };
        out.push(d);
    }
    Ok(out)
}

/// Resolves a possibly negative axis against a rank.
pub fn norm_axis(op: &str, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return arg_err(
            op,
            format!("axis {axis} is out of range for a tensor of rank {rank}"),
        );
    }
    Ok(a as usize)
}

/// Resolves a list of axes (an empty list means all axes), sorted and without repeats.
pub fn norm_axes(op: &str, axes: &[i64], rank: usize) -> Result<Vec<usize>> {
    if axes.is_empty() {
        return Ok((0..rank).collect());
    }
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let a = norm_axis(op, a, rank)?;
        if out.contains(&a) {
            return arg_err(op, format!("axis {a} is repeated in {axes:?}"));
        }
        out.push(a);
    }
    out.sort_unstable();
    Ok(out)
}

/// Number of elements of a concrete shape.
pub fn numel(s: &[usize]) -> usize {
    s.iter().product()
}

/// Row-major strides of a concrete shape.
pub fn strides(s: &[usize]) -> Vec<usize> {
    let mut st = vec![1; s.len()];
    for i in (0..s.len().saturating_sub(1)).rev() {
        st[i] = st[i + 1] * s[i + 1];
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy_with_symbolic_dims() {
        assert_eq!(
            broadcast("t", &[None, Some(3)], &[Some(3)]).unwrap(),
            vec![None, Some(3)]
        );
        assert_eq!(
            broadcast("t", &[Some(2), Some(1)], &[Some(4)]).unwrap(),
            vec![Some(2), Some(4)]
        );
        assert_eq!(
            broadcast("t", &[None, Some(1)], &[Some(1), Some(5)]).unwrap(),
            vec![None, Some(5)]
        );
        let err = broadcast("add", &[Some(2), Some(3)], &[Some(4)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("add") && err.contains("(2, 3)") && err.contains("(4,)"),
            "{err}"
        );
    }

    #[test]
    fn axes_normalize_and_reject_repeats() {
        assert_eq!(norm_axes("t", &[-1, 0], 3).unwrap(), vec![0, 2]);
        assert_eq!(norm_axes("t", &[], 2).unwrap(), vec![0, 1]);
        assert!(norm_axes("t", &[1, -2], 3).is_err());
        assert!(norm_axis("t", 3, 3).is_err());
    }
}
