//! Adam (and AMSGrad), as `keras/src/optimizers/adam.py`.

/// Adam hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    /// Decay of the first-moment estimate (default 0.9).
    pub beta_1: f64,
    /// Decay of the second-moment estimate (default 0.999).
    pub beta_2: f64,
    /// Added to `sqrt(v)` in the denominator (default 1e-7).
    pub epsilon: f64,
    /// Use the running maximum of `v` (AMSGrad) (default false).
    pub amsgrad: bool,
}

impl Default for Adam {
    fn default() -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
        }
    }
}

/// Per-step scalars of Adam.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamCoeffs {
    /// `lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`, computed in f32.
    pub alpha: f32,
    /// `1 - beta_1` (Python float arithmetic, then f32).
    pub one_minus_beta_1: f32,
    /// `1 - beta_2` (Python float arithmetic, then f32).
    pub one_minus_beta_2: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
}

impl Adam {
    /// Slot names: `momentum`, `velocity` (+ `velocity_hat` with AMSGrad).
    pub fn slot_names(&self) -> &'static [&'static str] {
        if self.amsgrad {
            &["momentum", "velocity", "velocity_hat"]
        } else {
            &["momentum", "velocity"]
        }
    }

    /// The scalars for step `iteration` (1-based) at learning rate `lr`.
    pub fn coeffs(&self, lr: f32, iteration: u64) -> AdamCoeffs {
        let t = iteration as f32;
        let beta_1_power = (self.beta_1 as f32).powf(t);
        let beta_2_power = (self.beta_2 as f32).powf(t);
        AdamCoeffs {
            alpha: lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power),
            one_minus_beta_1: (1.0 - self.beta_1) as f32,
            one_minus_beta_2: (1.0 - self.beta_2) as f32,
            epsilon: self.epsilon as f32,
        }
    }
}

/// One element: `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`, `v_hat = max(v_hat, v)` (AMSGrad,
/// then used instead of `v`), `p -= m * alpha / (sqrt(v) + eps)`.
#[inline]
pub fn step(
    c: &AdamCoeffs,
    p: &mut f32,
    g: f32,
    m: &mut f32,
    v: &mut f32,
    v_hat: Option<&mut f32>,
) {
    *m += (g - *m) * c.one_minus_beta_1;
    *v += (g * g - *v) * c.one_minus_beta_2;
    let v_used = match v_hat {
        Some(vh) => {
            *vh = super::maximum(*vh, *v);
            *vh
        }
        None => *v,
    };
    *p -= (*m * c.alpha) / (v_used.sqrt() + c.epsilon);
}

/// Applies [`step`] over a chunk; `slots` is `[m, v]` or `[m, v, v_hat]`.
pub(super) fn kernel(c: &AdamCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    match slots {
        [m, v] => {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                step(c, p, g, m, v, None);
            }
        }
        [m, v, vh] => {
            let it = p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut());
            for ((((p, &g), m), v), vh) in it.zip(vh.iter_mut()) {
                step(c, p, g, m, v, Some(vh));
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

    /// Straightforward f64 Adam as written in Keras 3.
    fn reference(o: &Adam, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let n = p.len();
        let (mut m, mut v, mut vh) = (vec![0.0; n], vec![0.0; n], vec![0.0f64; n]);
        for s in 0..steps {
            let t = (s + 1) as f64;
            let alpha = lr * (1.0 - o.beta_2.powf(t)).sqrt() / (1.0 - o.beta_1.powf(t));
            for i in 0..n {
                let g = GRADS[s % GRADS.len()][i] as f64;
                m[i] += (g - m[i]) * (1.0 - o.beta_1);
                v[i] += (g * g - v[i]) * (1.0 - o.beta_2);
                let vv = if o.amsgrad {
                    vh[i] = vh[i].max(v[i]);
                    vh[i]
                } else {
                    v[i]
                };
                p[i] -= m[i] * alpha / (vv.sqrt() + o.epsilon);
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (amsgrad, epsilon) in [(false, 1e-7), (true, 1e-7), (false, 0.1), (true, 0.1)] {
            let o = Adam {
                amsgrad,
                epsilon,
                ..Adam::default()
            };
            let got = run_steps(&Optimizer::Adam(o), 0.01, 6);
            assert_close(&got, &reference(&o, 0.01, 6), 1e-5);
        }
    }

    /// One step from p = 1, g = 0.5, lr = 0.1, defaults: m = 0.05, v = 0.00025,
    /// alpha = 0.1 * sqrt(0.001) / 0.1 = sqrt(0.001) = 0.0316228,
    /// update = 0.05 * 0.0316228 / (0.0158114 + 1e-7) = 0.0999994 (Adam's first step is ~lr *
    /// sign(g)), so p = 0.9000006.
    #[test]
    fn hand_computed_first_step() {
        let opt = Optimizer::Adam(Adam::default());
        let mut p = [1.0f32];
        let (mut m, mut v) = ([0.0f32], [0.0f32]);
        let mut st = opt.new_state();
        opt.apply(&mut p, &[0.5], &mut [&mut m, &mut v], 0.1, 1, &mut st)
            .unwrap();
        assert!((m[0] - 0.05).abs() < 1e-7);
        assert!((v[0] - 0.00025).abs() < 1e-9);
        assert!((p[0] - 0.900_000_6).abs() < 2e-6, "{}", p[0]);
    }
}
