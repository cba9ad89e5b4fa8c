//! Optimizer update kernels (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam), applied in
//! place to a parameter and its slot buffers.
//!
//! The rules follow Keras 3 (`keras/src/optimizers/*.py`, the generic `update_step` used by the
//! JAX and TensorFlow backends) operation by operation, in f32, including where Keras casts a
//! hyperparameter to the variable dtype before arithmetic and where it does the arithmetic on
//! the Python float first (e.g. Adam's `1 - beta_1` is computed in f64 then rounded, Nadam's in
//! f32). Hyperparameters are therefore stored as `f64`, the way Keras holds them.
//!
//! Each optimizer has a `coeffs` method (the per-step scalars, computed once per tensor) and a
//! free `step` function (the per-element rule); `Optimizer::apply` validates lengths and runs
//! `step` over the slices, with rayon above [`crate::cpu::PARALLEL_CUTOFF`] elements. A GPU
//! backend can upload the same coefficients and port `step` to a shader.
//!
//! What the caller does around `apply` (as Keras's base optimizer does): compute the learning
//! rate (schedules are called with the 0-based `iterations`), clip gradients (see [`clip`]),
//! apply weight decay ([`clip::apply_weight_decay`]), then call `apply` once per trainable
//! variable with the 1-based step `iterations + 1`, and finally increment `iterations`.

#![deny(missing_docs)]
pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod clip;
pub mod config;
pub mod nadam;
pub mod rmsprop;
pub mod sgd;

#[cfg(test)]
mod tests;

use rayon::prelude::*;

use crate::cpu::PARALLEL_CUTOFF;
use crate::error::{arg_err, Result};

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use clip::{apply_weight_decay, clip_by_global_norm, clip_by_norm, clip_by_value, global_norm};
pub use nadam::Nadam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

/// Elements per rayon task above the parallel cutoff.
const CHUNK: usize = 1 << 13;

/// An optimizer with its hyperparameters (the learning rate is passed per step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// Stochastic gradient descent, optionally with (Nesterov) momentum.
    Sgd(Sgd),
    /// RMSprop, optionally with momentum and centering.
    RmsProp(RmsProp),
    /// Adagrad.
    Adagrad(Adagrad),
    /// Adadelta.
    Adadelta(Adadelta),
    /// Adam, optionally AMSGrad.
    Adam(Adam),
    /// Adamax.
    Adamax(Adamax),
    /// Nadam.
    Nadam(Nadam),
}

/// Optimizer-level scalar state shared by all parameters (beyond the per-parameter slots).
///
/// Only Nadam uses it: Keras's `_u_product` (initially 1), which is multiplied once per step by
/// `beta_1 * (1 - 0.5 * 0.96^t)` before any variable is updated. `apply` advances it the first
/// time it sees a new `iteration` and leaves it alone for further parameters of the same step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimizerState {
    /// Keras's Nadam `u_product` after the last advanced step (1.0 before the first step).
    pub u_product: f32,
    /// The 1-based step `u_product` was last advanced for (0: never).
    pub last_iteration: u64,
}

impl Default for OptimizerState {
    fn default() -> Self {
        Self {
            u_product: 1.0,
            last_iteration: 0,
        }
    }
}

impl OptimizerState {
    /// Advances the optimizer-level state for step `iteration` (1-based) if not done yet.
    ///
    /// Idempotent within a step; an `iteration` below the last one seen is an error. A skipped
    /// step (e.g. a gradient-accumulation step that did not update) advances only once, with
    /// the current `iteration`, as Keras does.
    pub fn begin_step(&mut self, opt: &Optimizer, iteration: u64) -> Result<()> {
        if iteration == 0 {
            return arg_err(
                "optimizer",
                "iteration is 1-based (Keras's iterations + 1), got 0",
            );
        }
        // A new step (also after `iterations` was set back, as Keras allows): Nadam's momentum
        // product advances once per step, however many parameters the step updates.
        if iteration != self.last_iteration {
            if let Optimizer::Nadam(n) = opt {
                self.u_product = n.next_u_product(self.u_product, iteration);
            }
            self.last_iteration = iteration;
        }
        Ok(())
    }
}

impl Optimizer {
    /// The per-parameter slot variables, in Keras 3's creation order and naming (Keras names
    /// each `{variable.path with '/' -> '_'}_{slot}`). `apply` expects its slots in this order.
    pub fn slot_names(&self) -> Vec<&'static str> {
        self.slot_names_static().to_vec()
    }

    /// [`Optimizer::slot_names`] without allocating.
    pub fn slot_names_static(&self) -> &'static [&'static str] {
        match self {
            Optimizer::Sgd(o) => o.slot_names(),
            Optimizer::RmsProp(o) => o.slot_names(),
            Optimizer::Adagrad(_) => &["accumulator"],
            Optimizer::Adadelta(_) => &["accumulated_grad", "accumulated_delta_var"],
            Optimizer::Adam(o) => o.slot_names(),
            Optimizer::Adamax(_) => &["momentum", "norm"],
            Optimizer::Nadam(_) => &["momentum", "velocity"],
        }
    }

    /// The value every element of slot `index` starts at (0, except Adagrad's accumulator,
    /// which starts at `initial_accumulator_value`).
    pub fn slot_initial_value(&self, index: usize) -> f32 {
        match self {
            Optimizer::Adagrad(a) if index == 0 => a.initial_accumulator_value as f32,
            _ => 0.0,
        }
    }

    /// A fresh optimizer-level state (Nadam's `u_product = 1`).
    pub fn new_state(&self) -> OptimizerState {
        OptimizerState::default()
    }

    /// Checks hyperparameters the way Keras's constructors do (only SGD checks:
    /// `momentum` in `[0, 1]`).
    pub fn validate(&self) -> Result<()> {
        match self {
            Optimizer::Sgd(s) if !(0.0..=1.0).contains(&s.momentum) => arg_err(
                "sgd",
                format!("momentum must be a float in [0, 1], got {}", s.momentum),
            ),
            _ => Ok(()),
        }
    }

    /// Applies one update to `param` in place, Keras's `update_step(grad, param, lr)`.
    ///
    /// - `grad`: the (already clipped) gradient, same length as `param`.
    /// - `slots`: this parameter's slot buffers, ordered as [`Optimizer::slot_names`], each the
    ///   length of `param`, initialised by [`Optimizer::slot_initial_value`]; updated in place.
    /// - `lr`: the learning rate for this step (already scheduled by the caller).
    /// - `iteration`: the 1-based step, Keras's `iterations + 1`, the same for every parameter
    ///   of one step.
    /// - `state`: the optimizer-level state, advanced on the first call of each step.
    ///
    /// Length or slot-count mismatches and `iteration == 0` are `InvalidArgument` errors;
    /// nothing is modified then.
    pub fn apply(
        &self,
        param: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
        lr: f32,
        iteration: u64,
        state: &mut OptimizerState,
    ) -> Result<()> {
        self.validate()?;
        let op = self.name();
        if grad.len() != param.len() {
            return arg_err(
                op,
                format!(
                    "gradient has {} elements, parameter has {}",
                    grad.len(),
                    param.len()
                ),
            );
        }
        let names = self.slot_names_static();
        if slots.len() != names.len() {
            return arg_err(
                op,
                format!(
                    "expected {} slot buffers ({}), got {}",
                    names.len(),
                    names.join(", "),
                    slots.len()
                ),
            );
        }
        for (s, name) in slots.iter().zip(names) {
            if s.len() != param.len() {
                return arg_err(
                    op,
                    format!(
                        "slot '{name}' has {} elements, parameter has {}",
                        s.len(),
                        param.len()
                    ),
                );
            }
        }
        state.begin_step(self, iteration)?;
        match self {
            Optimizer::Sgd(o) => {
                let c = o.coeffs(lr);
                for_each_chunk(param, grad, slots, &|p, g, s| sgd::kernel(&c, p, g, s));
            }
            Optimizer::RmsProp(o) => {
                let c = o.coeffs(lr);
                for_each_chunk(param, grad, slots, &|p, g, s| rmsprop::kernel(&c, p, g, s));
            }
            Optimizer::Adagrad(o) => {
                let c = o.coeffs(lr);
                for_each_chunk(param, grad, slots, &|p, g, s| adagrad::kernel(&c, p, g, s));
            }
            Optimizer::Adadelta(o) => {
                let c = o.coeffs(lr);
                for_each_chunk(param, grad, slots, &|p, g, s| adadelta::kernel(&c, p, g, s));
            }
            Optimizer::Adam(o) => {
                let c = o.coeffs(lr, iteration);
                for_each_chunk(param, grad, slots, &|p, g, s| adam::kernel(&c, p, g, s));
            }
            Optimizer::Adamax(o) => {
                let c = o.coeffs(lr, iteration);
                for_each_chunk(param, grad, slots, &|p, g, s| adamax::kernel(&c, p, g, s));
            }
            Optimizer::Nadam(o) => {
                let c = o.coeffs(lr, iteration, state.u_product);
                for_each_chunk(param, grad, slots, &|p, g, s| nadam::kernel(&c, p, g, s));
            }
        }
        Ok(())
    }

    /// The Keras class name in lower case, used in error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd(_) => "sgd",
            Optimizer::RmsProp(_) => "rmsprop",
            Optimizer::Adagrad(_) => "adagrad",
            Optimizer::Adadelta(_) => "adadelta",
            Optimizer::Adam(_) => "adam",
            Optimizer::Adamax(_) => "adamax",
            Optimizer::Nadam(_) => "nadam",
        }
    }
}

/// Runs `kernel` over `param`, `grad` and up to three slots (all the same length, checked by
/// the caller), in matching chunks on the rayon pool at or above the parallel cutoff.
fn for_each_chunk<F>(param: &mut [f32], grad: &[f32], slots: &mut [&mut [f32]], kernel: &F)
where
    F: Fn(&mut [f32], &[f32], &mut [&mut [f32]]) + Sync,
{
    if param.len() < PARALLEL_CUTOFF {
        kernel(param, grad, slots);
        return;
    }
    let pg = param.par_chunks_mut(CHUNK).zip(grad.par_chunks(CHUNK));
    match slots {
        [] => pg.for_each(|(p, g)| kernel(p, g, &mut [])),
        [a] => pg
            .zip(a.par_chunks_mut(CHUNK))
            .for_each(|((p, g), a)| kernel(p, g, &mut [a])),
        [a, b] => pg
            .zip(a.par_chunks_mut(CHUNK).zip(b.par_chunks_mut(CHUNK)))
            .for_each(|((p, g), (a, b))| kernel(p, g, &mut [a, b])),
        [a, b, c] => pg
            .zip(a.par_chunks_mut(CHUNK).zip(b.par_chunks_mut(CHUNK)))
            .zip(c.par_chunks_mut(CHUNK))
            .for_each(|(((p, g), (a, b)), c)| kernel(p, g, &mut [a, b, c])),
        // No optimizer has more than three slots; the count is checked before this point.
        _ => kernel(param, grad, slots),
    }
}

/// Elementwise maximum that propagates NaN like `ops.maximum` (`f32::max` would drop it).
#[inline]
pub(crate) fn maximum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a > b {
        a
    } else {
        b
    }
}
