//! RMSprop with optional momentum and centering, as `keras/src/optimizers/rmsprop.py`.

/// RMSprop hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsProp {
    /// Discount of the squared-gradient average (default 0.9).
    pub rho: f64,
    /// Added to the mean square under the square root (default 1e-7).
    pub epsilon: f64,
    /// Momentum; a `momentum` slot exists when `> 0` (default 0).
    pub momentum: f64,
    /// Normalise by the variance estimate instead of the raw second moment (default false).
    pub centered: bool,
}

impl Default for RmsProp {
    fn default() -> Self {
        Self {
            rho: 0.9,
            epsilon: 1e-7,
            momentum: 0.0,
            centered: false,
        }
    }
}

/// Per-step scalars of RMSprop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `rho` as f32.
    pub rho: f32,
    /// `1 - rho` (Python float arithmetic, then f32).
    pub one_minus_rho: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
    /// `momentum` as f32.
    pub momentum: f32,
    /// Whether a `momentum` slot is used (`momentum > 0` in f64, as Keras tests it).
    pub use_momentum: bool,
}

impl RmsProp {
    /// Slot names: `velocity` (+ `momentum` if `momentum > 0`, + `average_gradient` if
    /// centered), in that order.
    pub fn slot_names(&self) -> &'static [&'static str] {
        match (self.momentum > 0.0, self.centered) {
            (false, false) => &["velocity"],
            (true, false) => &["velocity", "momentum"],
            (false, true) => &["velocity", "average_gradient"],
            (true, true) => &["velocity", "momentum", "average_gradient"],
        }
    }

    /// The scalars for a step at learning rate `lr`.
    pub fn coeffs(&self, lr: f32) -> RmsPropCoeffs {
        RmsPropCoeffs {
            lr,
            rho: self.rho as f32,
            one_minus_rho: (1.0 - self.rho) as f32,
            epsilon: self.epsilon as f32,
            momentum: self.momentum as f32,
            use_momentum: self.momentum > 0.0,
        }
    }
}

/// One element: `v = rho v + (1 - rho) g^2`; centered: `a = rho a + (1 - rho) g`,
/// `d = v - a^2 + eps`, else `d = v + eps`; `inc = lr g / sqrt(d)`; with momentum
/// `mo = momentum mo + inc; p -= mo`, else `p -= inc`.
#[inline]
pub fn step(
    c: &RmsPropCoeffs,
    p: &mut f32,
    g: f32,
    v: &mut f32,
    mo: Option<&mut f32>,
    avg: Option<&mut f32>,
) {
    *v = c.rho * *v + c.one_minus_rho * (g * g);
    let denominator = match avg {
        Some(a) => {
            *a = c.rho * *a + c.one_minus_rho * g;
            *v - *a * *a + c.epsilon
        }
        None => *v + c.epsilon,
    };
    let increment = (c.lr * g) / denominator.sqrt();
    match mo {
        Some(mo) => {
            *mo = c.momentum * *mo + increment;
            *p -= *mo;
        }
        None => *p -= increment,
    }
}

/// Applies [`step`] over a chunk; `slots` is `[v]`, `[v, mo]`, `[v, avg]` or `[v, mo, avg]`
/// according to the configuration.
pub(super) fn kernel(c: &RmsPropCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    let pg = p.iter_mut().zip(g);
    match slots {
        [v] => {
            for ((p, &g), v) in pg.zip(v.iter_mut()) {
                step(c, p, g, v, None, None);
            }
        }
        // Momentum without centering, or centering without momentum.
        [v, x] if c.use_momentum => {
            for (((p, &g), v), mo) in pg.zip(v.iter_mut()).zip(x.iter_mut()) {
                step(c, p, g, v, Some(mo), None);
            }
        }
        [v, x] => {
            for (((p, &g), v), a) in pg.zip(v.iter_mut()).zip(x.iter_mut()) {
                step(c, p, g, v, None, Some(a));
            }
        }
        [v, mo, a] => {
            for ((((p, &g), v), mo), a) in pg.zip(v.iter_mut()).zip(mo.iter_mut()).zip(a.iter_mut())
            {
                step(c, p, g, v, Some(mo), Some(a));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, run_steps, GRADS, PARAM};
    use crate::optim::Optimizer;

    /// Straightforward f64 RMSprop as written in Keras 3.
    fn reference(o: &RmsProp, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let n = p.len();
        let (mut v, mut mo, mut a) = (vec![0.0; n], vec![0.0; n], vec![0.0f64; n]);
        for s in 0..steps {
            for i in 0..n {
                let g = GRADS[s % GRADS.len()][i] as f64;
                v[i] = o.rho * v[i] + (1.0 - o.rho) * g * g;
                let d = if o.centered {
                    a[i] = o.rho * a[i] + (1.0 - o.rho) * g;
                    v[i] - a[i] * a[i] + o.epsilon
                } else {
                    v[i] + o.epsilon
                };
                let inc = lr * g / d.sqrt();
                if o.momentum > 0.0 {
                    mo[i] = o.momentum * mo[i] + inc;
                    p[i] -= mo[i];
                } else {
                    p[i] -= inc;
                }
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (momentum, centered, epsilon) in [
            (0.0, false, 1e-7),
            (0.9, false, 1e-7),
            (0.0, true, 1e-7),
            (0.5, true, 1e-7),
            (0.0, false, 0.1),
            (0.5, true, 0.1),
        ] {
            let o = RmsProp {
                momentum,
                centered,
                epsilon,
                ..RmsProp::default()
            };
            let got = run_steps(&Optimizer::RmsProp(o), 0.01, 6);
            assert_close(&got, &reference(&o, 0.01, 6), 1e-5);
        }
    }

    #[test]
    fn slot_order() {
        let o = RmsProp {
            momentum: 0.5,
            centered: true,
            ..RmsProp::default()
        };
        assert_eq!(
            o.slot_names(),
            vec!["velocity", "momentum", "average_gradient"]
        );
    }
}
