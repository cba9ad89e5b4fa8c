//! Conversions between Python values and core types: attribute dicts, shapes, arrays.

use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use rkeras_core::{AttrValue, Attrs, Feed, HostTensor};

/// Converts a Python dict of op `op`'s attributes into [`Attrs`].
pub fn attrs(d: Option<&Bound<'_, PyDict>>, op: &str) -> PyResult<Attrs> {
    let mut out = Attrs::new();
    let Some(d) = d else { return Ok(out) };
    for (k, v) in d.iter() {
        let key: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("{op}: attribute names must be strings")))?;
        out = out.with(&key, value(&key, &v, op)?);
    }
    Ok(out)
}

fn value(key: &str, v: &Bound<'_, PyAny>, op: &str) -> PyResult<AttrValue> {
    if v.is_none() {
        return Ok(AttrValue::None);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(AttrValue::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(AttrValue::Int(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(AttrValue::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(AttrValue::Str(v.extract()?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: Vec<i64> = v.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{op}: attribute '{key}' must be a list of ints, got {v}"
            ))
        })?;
        return Ok(AttrValue::Ints(items));
    }
    if let Ok(i) = v.extract::<i64>() {
        return Ok(AttrValue::Int(i));
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(AttrValue::Float(f));
    }
    Err(PyTypeError::new_err(format!(
        "{op}: attribute '{key}' has an unsupported type: {v}"
    )))
}

/// A borrowed, C-contiguous float32 array: its shape and data (zero-copy).
pub struct Borrowed<'py> {
    array: PyReadonlyArrayDyn<'py, f32>,
}

impl<'py> Borrowed<'py> {
    /// Borrows a float32 ndarray for op `op`; it must be C-contiguous (the Python side
    /// ensures it).
    pub fn new(obj: &Bound<'py, PyAny>, op: &str) -> PyResult<Self> {
        let arr = obj.cast::<PyArrayDyn<f32>>().map_err(|_| {
            let type_name = obj
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            let dtype = obj
                .getattr("dtype")
                .map(|d| format!(" of dtype {d}"))
                .unwrap_or_default();
            PyTypeError::new_err(format!(
                "{op}: expected a float32 numpy array, got {type_name}{dtype}"
            ))
        })?;
        let array = arr
            .try_readonly()
            .map_err(|e| PyValueError::new_err(format!("{op}: {e}")))?;
        if !array.is_c_contiguous() {
            return Err(PyValueError::new_err(format!(
                "{op}: expected a C-contiguous array"
            )));
        }
        Ok(Self { array })
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.array.shape().to_vec()
    }

    /// The values, row-major.
    pub fn data(&self) -> PyResult<&[f32]> {
        self.array
            .as_slice()
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// Several borrowed arrays with their shapes, viewable as program feeds.
pub struct Arrays<'py> {
    arrays: Vec<Borrowed<'py>>,
    /// The arrays' shapes.
    pub shapes: Vec<Vec<usize>>,
}

impl<'py> Arrays<'py> {
    /// Borrows each value as a float32 C-contiguous array for op `op`.
    pub fn borrow(values: &[Bound<'py, PyAny>], op: &str) -> PyResult<Self> {
        let arrays = values
            .iter()
            .map(|v| Borrowed::new(v, op))
            .collect::<PyResult<Vec<_>>>()?;
        let shapes = arrays.iter().map(|b| b.shape()).collect();
        Ok(Self { arrays, shapes })
    }

    /// One feed per array, in order.
    pub fn feeds(&self) -> Vec<Option<Feed<'_>>> {
        self.arrays
            .iter()
            .zip(&self.shapes)
            .map(|(b, s)| b.data().ok().map(|data| Feed { shape: s, data }))
            .collect()
    }
}

/// Moves a host tensor into a new numpy array (no copy of the data).
pub fn to_numpy<'py>(py: Python<'py>, t: HostTensor) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let flat = numpy::PyArray1::from_vec(py, t.data);
    flat.reshape(t.shape)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Parses a shape given as a list of ints and `None`s.
pub fn sym_shape(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Option<usize>>> {
    let items: Vec<Option<i64>> = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "a shape must be a sequence of ints or None, got {obj}"
        ))
    })?;
    items
        .into_iter()
        .map(|d| match d {
            None => Ok(None),
            Some(v) if v >= 0 => Ok(Some(v as usize)),
            Some(v) => Err(PyValueError::new_err(format!(
                "negative dimension {v} in shape"
            ))),
        })
        .collect()
}
