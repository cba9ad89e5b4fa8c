//! Adamax, as `keras/src/optimizers/adamax.py`.

/// Adamax hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adamax {
    /// Decay of the first-moment estimate (default 0.9).
    pub beta_1: f64,
    /// Decay of the infinity norm (default 0.999).
    pub beta_2: f64,
    /// Added to the norm in the denominator (default 1e-7).
    pub epsilon: f64,
}

impl Default for Adamax {
    fn default() -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Per-step scalars of Adamax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamaxCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `1 - beta_1^t`, computed in f32.
    pub one_minus_beta_1_power: f32,
    /// `1 - beta_1` (Python float arithmetic, then f32).
    pub one_minus_beta_1: f32,
    /// `beta_2` as f32.
    pub beta_2: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
}

impl Adamax {
    /// The scalars for step `iteration` (1-based) at learning rate `lr`.
    pub fn coeffs(&self, lr: f32, iteration: u64) -> AdamaxCoeffs {
        let beta_1_power = (self.beta_1 as f32).powf(iteration as f32);
        AdamaxCoeffs {
            lr,
            one_minus_beta_1_power: 1.0 - beta_1_power,
            one_minus_beta_1: (1.0 - self.beta_1) as f32,
            beta_2: self.beta_2 as f32,
            epsilon: self.epsilon as f32,
        }
    }
}

/// One element: `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`,
/// `p -= lr m / ((1 - b1^t)(u + eps))`.
#[inline]
pub fn step(c: &AdamaxCoeffs, p: &mut f32, g: f32, m: &mut f32, u: &mut f32) {
    *m += (g - *m) * c.one_minus_beta_1;
    *u = super::maximum(c.beta_2 * *u, g.abs());
    *p -= (c.lr * *m) / (c.one_minus_beta_1_power * (*u + c.epsilon));
}

/// Applies [`step`] over a chunk; `slots` is `[momentum, norm]`.
pub(super) fn kernel(c: &AdamaxCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    if let [m, u] = slots {
        for (((p, &g), m), u) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(u.iter_mut()) {
            step(c, p, g, m, u);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, run_steps, GRADS, PARAM};
    use crate::optim::Optimizer;

    /// Straightforward f64 Adamax as written in Keras 3.
    fn reference(o: &Adamax, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let n = p.len();
        let (mut m, mut u) = (vec![0.0f64; n], vec![0.0f64; n]);
        for s in 0..steps {
            let b1p = o.beta_1.powi(s as i32 + 1);
            for i in 0..n {
                let g = GRADS[s % GRADS.len()][i] as f64;
                m[i] += (g - m[i]) * (1.0 - o.beta_1);
                u[i] = (o.beta_2 * u[i]).max(g.abs());
                p[i] -= lr * m[i] / ((1.0 - b1p) * (u[i] + o.epsilon));
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (beta_2, epsilon) in [(0.999, 1e-7), (0.5, 1e-7), (0.9, 0.5)] {
            let o = Adamax {
                beta_2,
                epsilon,
                ..Adamax::default()
            };
            let got = run_steps(&Optimizer::Adamax(o), 0.01, 6);
            assert_close(&got, &reference(&o, 0.01, 6), 1e-5);
        }
    }
}
