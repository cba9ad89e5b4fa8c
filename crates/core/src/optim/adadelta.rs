//! Adadelta, as `keras/src/optimizers/adadelta.py`.

/// Adadelta hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adadelta {
    /// Decay of both running averages (default 0.95).
    pub rho: f64,
    /// Added to both averages under the square roots (default 1e-7).
    pub epsilon: f64,
}

impl Default for Adadelta {
    fn default() -> Self {
        Self {
            rho: 0.95,
            epsilon: 1e-7,
        }
    }
}

/// Per-step scalars of Adadelta.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdadeltaCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `rho` as f32.
    pub rho: f32,
    /// `1 - rho` (Python float arithmetic, then f32).
    pub one_minus_rho: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
}

impl Adadelta {
    /// The scalars for a step at learning rate `lr`.
    pub fn coeffs(&self, lr: f32) -> AdadeltaCoeffs {
        AdadeltaCoeffs {
            lr,
            rho: self.rho as f32,
            one_minus_rho: (1.0 - self.rho) as f32,
            epsilon: self.epsilon as f32,
        }
    }
}

/// One element: `ag = rho ag + (1 - rho) g^2`,
/// `delta = -(sqrt(ad + eps) g / sqrt(ag + eps))` (with the old `ad`),
/// `ad = rho ad + (1 - rho) delta^2`, `p += lr delta`.
#[inline]
pub fn step(c: &AdadeltaCoeffs, p: &mut f32, g: f32, acc_grad: &mut f32, acc_delta: &mut f32) {
    *acc_grad = c.rho * *acc_grad + c.one_minus_rho * (g * g);
    let delta = -(((*acc_delta + c.epsilon).sqrt() * g) / (*acc_grad + c.epsilon).sqrt());
    *acc_delta = c.rho * *acc_delta + c.one_minus_rho * (delta * delta);
    *p += c.lr * delta;
}

/// Applies [`step`] over a chunk; `slots` is `[accumulated_grad, accumulated_delta_var]`.
pub(super) fn kernel(c: &AdadeltaCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    if let [ag, ad] = slots {
        for (((p, &g), ag), ad) in p.iter_mut().zip(g).zip(ag.iter_mut()).zip(ad.iter_mut()) {
            step(c, p, g, ag, ad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, run_steps, GRADS, PARAM};
    use crate::optim::Optimizer;

    /// Straightforward f64 Adadelta as written in Keras 3.
    fn reference(o: &Adadelta, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let n = p.len();
        let (mut ag, mut ad) = (vec![0.0f64; n], vec![0.0f64; n]);
        let rms = |x: f64| (x + o.epsilon).sqrt();
        for s in 0..steps {
            for i in 0..n {
                let g = GRADS[s % GRADS.len()][i] as f64;
                ag[i] = o.rho * ag[i] + (1.0 - o.rho) * g * g;
                let delta = -(rms(ad[i]) * g / rms(ag[i]));
                ad[i] = o.rho * ad[i] + (1.0 - o.rho) * delta * delta;
                p[i] += lr * delta;
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        // Adadelta's steps are tiny at first (sqrt(eps)-sized); a large lr makes them visible.
        for (rho, epsilon) in [(0.95, 1e-7), (0.5, 1e-7), (0.9, 1e-2)] {
            let o = Adadelta { rho, epsilon };
            let got = run_steps(&Optimizer::Adadelta(o), 10.0, 6);
            assert_close(&got, &reference(&o, 10.0, 6), 1e-5);
        }
    }
}
