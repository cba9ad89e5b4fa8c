//! PyO3 glue for rkeras (`rkeras._rkeras`): numpy arrays in and out, graph building, compiled
//! functions, variables, seeding. No math lives here.

mod convert;
mod errors;
mod runtime;
mod trainer;

use std::sync::{Arc, Mutex};

use numpy::PyArrayDyn;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rkeras_core::autodiff::gradients;
use rkeras_core::train::Placement;
use rkeras_core::{Cpu, Graph as CoreGraph, NodeId, Program, Rng};

use convert::{sym_shape, to_numpy, Arrays, Borrowed};
use errors::{guarded, to_py};

/// A graph under construction (Python holds one per model trace or `K` scope).
#[pyclass(module = "rkeras._rkeras")]
pub(crate) struct Graph {
    inner: Arc<Mutex<CoreGraph>>,
}

impl Graph {
    /// A copy of the graph as it is now (programs compile a snapshot).
    pub(crate) fn snapshot(&self) -> PyResult<CoreGraph> {
        self.with(|g| Ok(g.clone()))
    }

    fn with<T>(&self, f: impl FnOnce(&mut CoreGraph) -> PyResult<T>) -> PyResult<T> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }
}

#[pymethods]
impl Graph {
    #[new]
    fn new() -> Self {
        Graph {
            inner: Arc::new(Mutex::new(CoreGraph::new())),
        }
    }

    /// Adds a placeholder of the given shape (`None` = known at run time); returns its node id.
    fn input(&self, shape: &Bound<'_, PyAny>) -> PyResult<NodeId> {
        let s = sym_shape(shape)?;
        self.with(|g| Ok(g.input(s)))
    }

    /// Adds a constant (a float32 C-contiguous array); returns its node id.
    fn constant(&self, value: &Bound<'_, PyAny>) -> PyResult<NodeId> {
        let b = Borrowed::new(value, "constant")?;
        let arr = ndarray::ArrayD::from_shape_vec(b.shape(), b.data()?.to_vec())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.with(|g| Ok(g.constant(arr)))
    }

    /// Adds a reference to variable `var`; returns its node id.
    fn variable(&self, var: usize) -> PyResult<NodeId> {
        let shape = runtime::lock()?
            .store
            .get(var)
            .map_err(to_py)?
            .shape
            .clone();
        self.with(|g| Ok(g.variable(var, &shape)))
    }

    /// Adds op `name` on `inputs` with attributes; returns its node id.
    #[pyo3(signature = (name, inputs, attrs=None))]
    fn op(
        &self,
        name: &str,
        inputs: Vec<NodeId>,
        attrs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<NodeId> {
        let a = convert::attrs(attrs, name)?;
        guarded(name, || {
            self.with(|g| g.add_named(name, &inputs, &a).map_err(to_py))
        })
    }

    /// The symbolic shape of a node (`None` for run-time dimensions).
    fn shape(&self, node: NodeId) -> PyResult<Vec<Option<usize>>> {
        self.with(|g| Ok(g.shape(node).map_err(to_py)?.clone()))
    }

    /// Appends the gradients of `loss` (summed) with respect to `wrt`; returns their node ids.
    fn gradients(&self, loss: NodeId, wrt: Vec<NodeId>) -> PyResult<Vec<NodeId>> {
        guarded("gradients", || {
            self.with(|g| gradients(g, loss, &wrt).map_err(to_py))
        })
    }

    /// Number of nodes.
    fn __len__(&self) -> PyResult<usize> {
        self.with(|g| Ok(g.nodes().len()))
    }
}

/// A compiled program over a snapshot of a graph: `outputs` computed from the fed `inputs`,
/// then `updates` (variable id, node id) applied.
#[pyclass(module = "rkeras._rkeras")]
pub(crate) struct Function {
    pub(crate) program: Mutex<Program<Cpu>>,
    pub(crate) placement: Placement,
}

/// Where each of `inputs` (placeholder nodes) sits among `graph`'s inputs.
pub(crate) fn placement(graph: &CoreGraph, inputs: &[NodeId]) -> PyResult<Placement> {
    let positions = inputs
        .iter()
        .map(|node| {
            graph
                .inputs()
                .iter()
                .position(|i| i == node)
                .ok_or_else(|| {
                    PyValueError::new_err(format!("node {node} is not a placeholder of this graph"))
                })
        })
        .collect::<PyResult<Vec<_>>>()?;
    Placement::new(positions, graph.inputs().len()).map_err(to_py)
}

#[pymethods]
impl Function {
    #[new]
    #[pyo3(signature = (graph, inputs, outputs, updates=Vec::new()))]
    fn new(
        graph: &Graph,
        inputs: Vec<NodeId>,
        outputs: Vec<NodeId>,
        updates: Vec<(usize, NodeId)>,
    ) -> PyResult<Self> {
        let snapshot = graph.snapshot()?;
        let placement = placement(&snapshot, &inputs)?;
        let program = Program::new(Arc::new(snapshot), outputs, updates).map_err(to_py)?;
        Ok(Function {
            program: Mutex::new(program),
            placement,
        })
    }

    /// Runs the program on float32 C-contiguous arrays (one per input); returns the outputs.
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        values: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
        if values.len() != self.placement.len() {
            return Err(PyValueError::new_err(format!(
                "function expects {} input(s), got {}",
                self.placement.len(),
                values.len()
            )));
        }
        let arrays = Arrays::borrow(&values, "function")?;
        let feeds = self.placement.place(arrays.feeds());
        let outs = py.detach(|| {
            guarded("function", || {
                let mut program = self.program.lock().unwrap_or_else(|p| p.into_inner());
                runtime::run(&mut program, &feeds)
            })
        })?;
        outs.into_iter().map(|t| to_numpy(py, t)).collect()
    }
}

/// Runs one op eagerly on float32 C-contiguous arrays.
#[pyfunction]
#[pyo3(signature = (name, inputs, attrs=None))]
fn eager<'py>(
    py: Python<'py>,
    name: &str,
    inputs: Vec<Bound<'py, PyAny>>,
    attrs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let a = convert::attrs(attrs, name)?;
    let arrays = Arrays::borrow(&inputs, name)?;
    let feeds = arrays.feeds();
    let out = py.detach(|| {
        guarded(name, || {
            let mut g = CoreGraph::new();
            let ids: Vec<NodeId> = arrays
                .shapes
                .iter()
                .map(|s| g.input(rkeras_core::shape::sym(s)))
                .collect();
            let y = g.add_named(name, &ids, &a).map_err(to_py)?;
            let mut program: Program<Cpu> =
                Program::new(Arc::new(g), vec![y], vec![]).map_err(to_py)?;
            let mut outs = runtime::run(&mut program, &feeds)?;
            outs.pop()
                .ok_or_else(|| PyValueError::new_err(format!("{name}: produced no output")))
        })
    })?;
    to_numpy(py, out)
}

/// Creates a variable holding a float32 C-contiguous array; returns its id.
#[pyfunction]
fn variable_create(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    let b = Borrowed::new(value, "variable")?;
    let mut rt = runtime::lock()?;
    let rt = &mut *rt;
    rt.store
        .create(&rt.backend, &b.shape(), b.data()?)
        .map_err(to_py)
}

/// Reads a variable.
#[pyfunction]
fn variable_get(py: Python<'_>, var: usize) -> PyResult<Bound<'_, PyArrayDyn<f32>>> {
    let (shape, data) = {
        let rt = runtime::lock()?;
        rt.store.read(&rt.backend, var).map_err(to_py)?
    };
    to_numpy(py, rkeras_core::HostTensor { shape, data })
}

/// Overwrites a variable (same shape).
#[pyfunction]
fn variable_set(var: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let b = Borrowed::new(value, "set_value")?;
    let mut rt = runtime::lock()?;
    let rt = &mut *rt;
    rt.store
        .set(&rt.backend, var, &b.shape(), b.data()?)
        .map_err(to_py)
}

/// The shape of a variable.
#[pyfunction]
fn variable_shape(var: usize) -> PyResult<Vec<usize>> {
    Ok(runtime::lock()?
        .store
        .get(var)
        .map_err(to_py)?
        .shape
        .clone())
}

/// Deletes a variable.
#[pyfunction]
fn variable_delete(var: usize) -> PyResult<()> {
    runtime::lock()?.store.remove(var);
    Ok(())
}

/// Reseeds the one random generator.
#[pyfunction]
fn set_seed(seed: u64) -> PyResult<()> {
    runtime::lock()?.rng = Rng::seeded(seed);
    Ok(())
}

/// Number of threads of the compute pool.
#[pyfunction]
fn num_threads() -> usize {
    rayon::current_num_threads()
}

#[pymodule]
fn _rkeras(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Graph>()?;
    m.add_class::<Function>()?;
    m.add_class::<trainer::Trainer>()?;
    m.add_function(wrap_pyfunction!(trainer::predict_batched, m)?)?;
    m.add_function(wrap_pyfunction!(eager, m)?)?;
    m.add_function(wrap_pyfunction!(variable_create, m)?)?;
    m.add_function(wrap_pyfunction!(variable_get, m)?)?;
    m.add_function(wrap_pyfunction!(variable_set, m)?)?;
    m.add_function(wrap_pyfunction!(variable_shape, m)?)?;
    m.add_function(wrap_pyfunction!(variable_delete, m)?)?;
    m.add_function(wrap_pyfunction!(set_seed, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
