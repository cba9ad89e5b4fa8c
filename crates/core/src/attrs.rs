//! Op attributes as they arrive from a front end (Python, tests): a small typed key-value map.

use std::collections::BTreeMap;

use crate::error::{arg_err, Result};

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list of integers (axes, shapes, permutations).
    Ints(Vec<i64>),
    /// A string (enumerations such as a cast target).
    Str(String),
    /// An explicit "no value" (e.g. `max_value=None`).
    None,
}

/// Named attributes of an op, read with typed getters that name the op on error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub BTreeMap<String, AttrValue>);

impl Attrs {
    /// Empty attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute (builder style).
    pub fn with(mut self, key: &str, value: AttrValue) -> Self {
        self.0.insert(key.to_string(), value);
        self
    }

    fn get(&self, key: &str) -> Option<&AttrValue> {
        match self.0.get(key) {
            Some(AttrValue::None) | None => None,
            Some(v) => Some(v),
        }
    }

    /// An integer attribute, or `default` when absent.
    pub fn int(&self, op: &str, key: &str, default: Option<i64>) -> Result<i64> {
        match (self.get(key), default) {
            (Some(AttrValue::Int(v)), _) => Ok(*v),
            (Some(AttrValue::Bool(b)), _) => Ok(*b as i64),
            (Some(other), _) => arg_err(
                op,
                format!("attribute '{key}' must be an int, got {other:?}"),
            ),
            (None, Some(d)) => Ok(d),
            (None, None) => arg_err(op, format!("missing attribute '{key}'")),
        }
    }

    /// A float attribute, or `default` when absent.
    pub fn float(&self, op: &str, key: &str, default: Option<f64>) -> Result<f64> {
        match (self.get(key), default) {
            (Some(AttrValue::Float(v)), _) => Ok(*v),
            (Some(AttrValue::Int(v)), _) => Ok(*v as f64),
            (Some(other), _) => arg_err(
                op,
                format!("attribute '{key}' must be a float, got {other:?}"),
            ),
            (None, Some(d)) => Ok(d),
            (None, None) => arg_err(op, format!("missing attribute '{key}'")),
        }
    }

    /// An optional float attribute (absent or `None` gives `None`).
    pub fn opt_float(&self, op: &str, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.float(op, key, None).map(Some),
        }
    }

    /// A boolean attribute, or `default` when absent.
    pub fn bool(&self, op: &str, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            Some(AttrValue::Bool(b)) => Ok(*b),
            Some(AttrValue::Int(v)) => Ok(*v != 0),
            Some(other) => arg_err(
                op,
                format!("attribute '{key}' must be a bool, got {other:?}"),
            ),
            None => Ok(default),
        }
    }

    /// A list-of-integers attribute (a single int is a list of one); `default` when absent.
    pub fn ints(&self, op: &str, key: &str, default: Option<Vec<i64>>) -> Result<Vec<i64>> {
        match (self.get(key), default) {
            (Some(AttrValue::Ints(v)), _) => Ok(v.clone()),
            (Some(AttrValue::Int(v)), _) => Ok(vec![*v]),
            (Some(other), _) => arg_err(
                op,
                format!("attribute '{key}' must be a list of ints, got {other:?}"),
            ),
            (None, Some(d)) => Ok(d),
            (None, None) => arg_err(op, format!("missing attribute '{key}'")),
        }
    }

    /// An optional list-of-integers attribute (absent or `None` gives `None`).
    pub fn opt_ints(&self, op: &str, key: &str) -> Result<Option<Vec<i64>>> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.ints(op, key, None).map(Some),
        }
    }

    /// A string attribute, or `default` when absent.
    pub fn string(&self, op: &str, key: &str, default: Option<&str>) -> Result<String> {
        match (self.get(key), default) {
            (Some(AttrValue::Str(s)), _) => Ok(s.clone()),
            (Some(other), _) => arg_err(
                op,
                format!("attribute '{key}' must be a string, got {other:?}"),
            ),
            (None, Some(d)) => Ok(d.to_string()),
            (None, None) => arg_err(op, format!("missing attribute '{key}'")),
        }
    }
}
