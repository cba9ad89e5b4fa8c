//! The typed error of rkeras-core. Every user-reachable failure is one of these variants.

use thiserror::Error;

/// Errors raised by graph building, shape inference and execution.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// Input shapes that an op cannot accept.
    #[error("{op}: {msg}")]
    Shape { op: String, msg: String },
    /// An attribute or argument with an invalid value.
    #[error("{op}: {msg}")]
    InvalidArgument { op: String, msg: String },
    /// An op name that is not part of the op set.
    #[error("unknown op '{0}'")]
    UnknownOp(String),
    /// A node, variable or program handle that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request the graph cannot answer (e.g. an input that was not fed).
    #[error("{0}")]
    Graph(String),
}

/// Result alias of rkeras-core.
pub type Result<T> = std::result::Result<T, CoreError>;

/// Shorthand for a [`CoreError::Shape`] error.
pub fn shape_err<T>(op: &str, msg: impl Into<String>) -> Result<T> {
    Err(CoreError::Shape {
        op: op.to_string(),
        msg: msg.into(),
    })
}

/// Shorthand for a [`CoreError::InvalidArgument`] error.
pub fn arg_err<T>(op: &str, msg: impl Into<String>) -> Result<T> {
    Err(CoreError::InvalidArgument {
        op: op.to_string(),
        msg: msg.into(),
    })
}
