//! Maps core errors (and, as a last line of defence, Rust panics) to Python exceptions.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;
use rkeras_core::CoreError;

/// Converts a core error into a `ValueError` carrying its message (which names the op and shapes).
pub fn to_py(e: CoreError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Runs `f`, turning a panic into a `RuntimeError` so that none crosses into Python.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, PyErr>) -> Result<T, PyErr> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(PyRuntimeError::new_err(format!(
                "rkeras internal error in {what}: {msg}"
            )))
        }
    }
}
