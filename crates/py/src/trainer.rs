//! Python handles for training and batched inference: `Trainer` runs whole epochs of a compiled
//! training (or evaluation) program in Rust, calling back into Python once per batch at most.

use std::sync::Mutex;

use numpy::PyArrayDyn;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rkeras_core::optim::config::from_attrs;
use rkeras_core::optim::OptimizerState;
use rkeras_core::train::{Clipping, Dataset, Epoch, OptimizerSpec, Placement, TrainProgram};
use rkeras_core::{Cpu, Feed, NodeId, Program};

use crate::convert::{self, to_numpy, Arrays};
use crate::errors::{guarded, to_py};
use crate::runtime;
use crate::Graph;

/// A compiled training or evaluation program (see `rkeras_core::train`).
#[pyclass(module = "rkeras._rkeras")]
pub struct Trainer {
    program: Mutex<TrainProgram<Cpu>>,
    placement: Placement,
    slot_vars: Vec<Vec<usize>>,
}

#[pymethods]
impl Trainer {
    /// `graph`'s placeholders `inputs` are fed in order; `scalars` (loss, then metrics) are
    /// reported; with `optimizer` (a dict: `kind` plus hyperparameters, `decay`, `clipnorm`,
    /// `clipvalue`, `global_clipnorm`), each `(variable, gradient node)` of `params` is updated
    /// at the learning rate held by variable `lr_var`, counting steps in `iterations_var`.
    /// `updates` are `(variable, node)` assignments applied after each step; `post_updates` are
    /// assignments computed from the updated variables alone (weight constraints).
    #[new]
    #[pyo3(signature = (graph, inputs, scalars, params=Vec::new(), updates=Vec::new(), optimizer=None, lr_var=None, iterations_var=None, post_updates=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        graph: &Graph,
        inputs: Vec<NodeId>,
        scalars: Vec<NodeId>,
        params: Vec<(usize, NodeId)>,
        updates: Vec<(usize, NodeId)>,
        optimizer: Option<&Bound<'_, PyDict>>,
        lr_var: Option<usize>,
        iterations_var: Option<usize>,
        post_updates: Vec<(usize, NodeId)>,
    ) -> PyResult<Self> {
        let snapshot = std::sync::Arc::new(graph.snapshot()?);
        let placement = crate::placement(&snapshot, &inputs)?;
        let spec = match optimizer {
            None => None,
            Some(cfg) => {
                let attrs = convert::attrs(Some(cfg), "optimizer")?;
                let get = |k: &str| attrs.opt_float("optimizer", k).map_err(to_py);
                let clipping = Clipping {
                    clipnorm: get("clipnorm")?.map(|v| v as f32),
                    global_clipnorm: get("global_clipnorm")?.map(|v| v as f32),
                    clipvalue: get("clipvalue")?.map(|v| v as f32),
                };
                let (Some(lr_var), Some(iterations_var)) = (lr_var, iterations_var) else {
                    return Err(PyValueError::new_err(
                        "optimizer: lr_var and iterations_var are required",
                    ));
                };
                Some(OptimizerSpec {
                    optimizer: from_attrs(&attrs).map_err(to_py)?,
                    lr_var,
                    iterations_var,
                    decay: get("decay")?.unwrap_or(0.0) as f32,
                    clipping,
                })
            }
        };
        let post = if post_updates.is_empty() {
            None
        } else {
            let graph = std::sync::Arc::clone(&snapshot);
            Some(Program::new(graph, vec![], post_updates).map_err(to_py)?)
        };
        let mut train = {
            let mut rt = runtime::lock()?;
            let rt = &mut *rt;
            TrainProgram::build(
                snapshot,
                scalars,
                &params,
                updates,
                spec,
                &rt.backend,
                &mut rt.store,
            )
            .map_err(to_py)?
        };
        let slot_vars: Vec<Vec<usize>> = train
            .optimization()
            .map(|o| o.params.iter().map(|p| p.slots.clone()).collect())
            .unwrap_or_default();
        if let Some(p) = post {
            train = train.with_post_update(p);
        }
        if std::env::var_os("RKERAS_PROFILE").is_some_and(|v| v != "0") {
            train.program_mut().enable_profiling();
        }
        Ok(Trainer {
            program: Mutex::new(train),
            placement,
            slot_vars,
        })
    }

    /// Kernel timings `(op and input shapes, calls, seconds)`, slowest first, when the
    /// environment variable `RKERAS_PROFILE` was set at compile time; else empty.
    fn profile(&self) -> Vec<(String, u64, f64)> {
        let mut program = self.program.lock().unwrap_or_else(|p| p.into_inner());
        program
            .program_mut()
            .profile()
            .map(|p| p.report())
            .unwrap_or_default()
    }

    /// The optimizer-level state `(u_product, last_iteration)` (Nadam's momentum product and
    /// the step it was advanced for); `None` for an evaluation program.
    fn optimizer_state(&self) -> Option<(f32, u64)> {
        let program = self.program.lock().unwrap_or_else(|p| p.into_inner());
        program
            .optimization()
            .map(|o| (o.state.u_product, o.state.last_iteration))
    }

    /// Restores the optimizer-level state saved with [`Trainer::optimizer_state`].
    fn set_optimizer_state(&self, u_product: f32, last_iteration: u64) {
        let mut program = self.program.lock().unwrap_or_else(|p| p.into_inner());
        program.set_optimizer_state(OptimizerState {
            u_product,
            last_iteration,
        });
    }

    /// Slot variable ids per parameter, in the optimizer's slot order.
    fn slot_variables(&self) -> Vec<Vec<usize>> {
        self.slot_vars.clone()
    }

    /// One step on one batch; returns the scalar outputs.
    fn step(&self, py: Python<'_>, values: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<f32>> {
        let arrays = Arrays::borrow(&values, "train_on_batch")?;
        let feeds = self.placement.place(arrays.feeds());
        py.detach(|| {
            guarded("train_on_batch", || {
                let mut program = self.program.lock().unwrap_or_else(|p| p.into_inner());
                let mut rt = runtime::lock()?;
                let rt = &mut *rt;
                program
                    .step(&rt.backend, &mut rt.store, &feeds, &mut rt.rng)
                    .map_err(to_py)
            })
        })
    }

    /// Runs one epoch over whole arrays (`batch_size` rows per step, shuffled with the seeded
    /// generator when `shuffle`), calling `callback(batch, size, values)` after each batch when
    /// given (a true result stops). Returns `(means, samples, stopped)`.
    #[pyo3(signature = (values, batch_size, shuffle, callback=None))]
    fn run_epoch(
        &self,
        py: Python<'_>,
        values: Vec<Bound<'_, PyAny>>,
        batch_size: usize,
        shuffle: bool,
        callback: Option<Py<PyAny>>,
    ) -> PyResult<(Vec<f64>, usize, bool)> {
        let arrays = Arrays::borrow(&values, "fit")?;
        let given: Vec<Feed> = arrays.feeds().into_iter().flatten().collect();
        let dataset = Dataset::new(given).map_err(to_py)?;
        let order = {
            let mut order: Vec<usize> = (0..dataset.len()).collect();
            if shuffle {
                runtime::lock()?.rng.shuffle(&mut order);
            }
            order
        };
        let mut epoch = Epoch::new(&dataset, order, batch_size).map_err(to_py)?;
        loop {
            // The runtime and the program are locked only while a batch computes, never while
            // the callback runs: a callback may read weights or free variables.
            let batch = py.detach(|| {
                guarded("fit", || {
                    let mut program = self.program.lock().unwrap_or_else(|p| p.into_inner());
                    let mut rt = runtime::lock()?;
                    let rt = &mut *rt;
                    program
                        .run_batch(
                            &mut epoch,
                            &rt.backend,
                            &mut rt.store,
                            &mut rt.rng,
                            &self.placement,
                        )
                        .map_err(to_py)
                })
            })?;
            let Some(b) = batch else { break };
            if let Some(cb) = callback.as_ref() {
                if cb.call1(py, (b.index, b.size, b.values))?.is_truthy(py)? {
                    epoch.stop();
                    break;
                }
            }
        }
        let r = epoch.finish();
        Ok((r.means, r.samples, r.stopped))
    }
}

/// Runs a compiled function over whole arrays in batches and concatenates its outputs.
#[pyfunction]
pub fn predict_batched<'py>(
    py: Python<'py>,
    function: &crate::Function,
    values: Vec<Bound<'py, PyAny>>,
    batch_size: usize,
) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
    let arrays = Arrays::borrow(&values, "predict")?;
    let given: Vec<Feed> = arrays.feeds().into_iter().flatten().collect();
    let dataset = Dataset::new(given).map_err(to_py)?;
    let outs = py.detach(|| {
        guarded("predict", || {
            let mut program = function.program.lock().unwrap_or_else(|p| p.into_inner());
            let mut rt = runtime::lock()?;
            let rt = &mut *rt;
            dataset
                .predict(
                    &mut program,
                    &rt.backend,
                    &mut rt.store,
                    &mut rt.rng,
                    batch_size,
                    &function.placement,
                )
                .map_err(to_py)
        })
    })?;
    outs.into_iter().map(|t| to_numpy(py, t)).collect()
}

impl Drop for Trainer {
    fn drop(&mut self) {
        if let Ok(mut rt) = runtime::lock() {
            for slots in &self.slot_vars {
                for &s in slots {
                    rt.store.remove(s);
                }
            }
        }
    }
}
