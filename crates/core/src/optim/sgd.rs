//! SGD with optional (Nesterov) momentum, as `keras/src/optimizers/sgd.py`.

/// SGD hyperparameters (Keras defaults via `Default`: no momentum).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sgd {
    /// Momentum in `[0, 1]`; 0 means plain SGD with no slot (default 0).
    pub momentum: f64,
    /// Use Nesterov momentum (ignored when `momentum == 0`, as in Keras) (default false).
    pub nesterov: bool,
}

/// Per-step scalars of SGD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `momentum` as f32.
    pub momentum: f32,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl Sgd {
    /// Slot names: `momentum` when `momentum != 0`, none otherwise.
    pub fn slot_names(&self) -> &'static [&'static str] {
        if self.momentum != 0.0 {
            &["momentum"]
        } else {
            &[]
        }
    }

    /// The scalars for a step at learning rate `lr`.
    pub fn coeffs(&self, lr: f32) -> SgdCoeffs {
        SgdCoeffs {
            lr,
            momentum: self.momentum as f32,
            nesterov: self.nesterov,
        }
    }
}

/// One element. Without momentum: `p -= g * lr`. With momentum: `m = m * momentum - g * lr`,
/// then `p += m`, or with Nesterov `p += m * momentum - g * lr` (using the updated `m`).
#[inline]
pub fn step(c: &SgdCoeffs, p: &mut f32, g: f32, m: Option<&mut f32>) {
    match m {
        None => *p -= g * c.lr,
        Some(m) => {
            *m = *m * c.momentum - g * c.lr;
            if c.nesterov {
                *p += *m * c.momentum - g * c.lr;
            } else {
                *p += *m;
            }
        }
    }
}

/// Applies [`step`] over a chunk; `slots` is `[]` or `[m]`.
pub(super) fn kernel(c: &SgdCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    match slots {
        [] => {
            for (p, &g) in p.iter_mut().zip(g) {
                step(c, p, g, None);
            }
        }
        [m] => {
            for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                step(c, p, g, Some(m));
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

    /// Straightforward f64 SGD as written in Keras 3.
    fn reference(o: &Sgd, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let mut m = vec![0.0; p.len()];
        for s in 0..steps {
            for i in 0..p.len() {
                let g = GRADS[s % GRADS.len()][i] as f64;
                if o.momentum != 0.0 {
                    m[i] = m[i] * o.momentum - g * lr;
                    if o.nesterov {
                        p[i] += m[i] * o.momentum - g * lr;
                    } else {
                        p[i] += m[i];
                    }
                } else {
                    p[i] -= g * lr;
                }
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (momentum, nesterov) in [(0.0, false), (0.9, false), (0.9, true), (0.5, true)] {
            let o = Sgd { momentum, nesterov };
            let got = run_steps(&Optimizer::Sgd(o), 0.05, 6);
            assert_close(&got, &reference(&o, 0.05, 6), 1e-6);
        }
    }

    /// p = 1, lr = 0.1, momentum = 0.9, gradients 0.5 then 0.5:
    /// plain: step 1 p = 1 - 0.05 = 0.95.
    /// momentum: m1 = -0.05, p1 = 0.95; m2 = 0.9 * -0.05 - 0.05 = -0.095, p2 = 0.855.
    /// nesterov: m1 = -0.05, p1 = 1 + 0.9 * -0.05 - 0.05 = 0.905;
    ///           m2 = -0.095, p2 = 0.905 + 0.9 * -0.095 - 0.05 = 0.7695.
    #[test]
    fn hand_computed() {
        let opt = Optimizer::Sgd(Sgd::default());
        let mut p = [1.0f32];
        let mut st = opt.new_state();
        opt.apply(&mut p, &[0.5], &mut [], 0.1, 1, &mut st).unwrap();
        assert!((p[0] - 0.95).abs() < 1e-7);

        for (nesterov, p1, p2) in [(false, 0.95, 0.855), (true, 0.905, 0.7695)] {
            let opt = Optimizer::Sgd(Sgd {
                momentum: 0.9,
                nesterov,
            });
            let (mut p, mut m) = ([1.0f32], [0.0f32]);
            let mut st = opt.new_state();
            opt.apply(&mut p, &[0.5], &mut [&mut m], 0.1, 1, &mut st)
                .unwrap();
            assert!((m[0] + 0.05).abs() < 1e-7 && (p[0] - p1).abs() < 1e-6);
            opt.apply(&mut p, &[0.5], &mut [&mut m], 0.1, 2, &mut st)
                .unwrap();
            assert!((m[0] + 0.095).abs() < 1e-7 && (p[0] - p2).abs() < 1e-6);
        }
    }

    #[test]
    fn momentum_out_of_range_is_an_error() {
        let opt = Optimizer::Sgd(Sgd {
            momentum: 1.5,
            nesterov: false,
        });
        let mut st = opt.new_state();
        let (mut p, mut m) = ([1.0f32], [0.0f32]);
        assert!(opt
            .apply(&mut p, &[0.5], &mut [&mut m], 0.1, 1, &mut st)
            .is_err());
        assert_eq!(p[0], 1.0);
    }
}
