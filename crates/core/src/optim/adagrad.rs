//! Adagrad, as `keras/src/optimizers/adagrad.py`.

/// Adagrad hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adagrad {
    /// Added to the accumulator under the square root (default 1e-7).
    pub epsilon: f64,
    /// Starting value of every `accumulator` element (default 0.1).
    pub initial_accumulator_value: f64,
}

impl Default for Adagrad {
    fn default() -> Self {
        Self {
            epsilon: 1e-7,
            initial_accumulator_value: 0.1,
        }
    }
}

/// Per-step scalars of Adagrad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdagradCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
}

impl Adagrad {
    /// The scalars for a step at learning rate `lr`.
    pub fn coeffs(&self, lr: f32) -> AdagradCoeffs {
        AdagradCoeffs {
            lr,
            epsilon: self.epsilon as f32,
        }
    }
}

/// One element: `acc += g^2`, `p -= lr g / sqrt(acc + eps)`.
#[inline]
pub fn step(c: &AdagradCoeffs, p: &mut f32, g: f32, acc: &mut f32) {
    *acc += g * g;
    *p -= (c.lr * g) / (*acc + c.epsilon).sqrt();
}

/// Applies [`step`] over a chunk; `slots` is `[accumulator]`.
pub(super) fn kernel(c: &AdagradCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    if let [acc] = slots {
        for ((p, &g), a) in p.iter_mut().zip(g).zip(acc.iter_mut()) {
            step(c, p, g, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, run_steps, GRADS, PARAM};
    use crate::optim::Optimizer;

    /// Straightforward f64 Adagrad as written in Keras 3.
    fn reference(o: &Adagrad, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let mut acc = vec![o.initial_accumulator_value; p.len()];
        for s in 0..steps {
            for i in 0..p.len() {
                let g = GRADS[s % GRADS.len()][i] as f64;
                acc[i] += g * g;
                p[i] -= lr * g / (acc[i] + o.epsilon).sqrt();
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (init, epsilon) in [(0.1, 1e-7), (0.0, 1e-7), (1.0, 0.5), (0.0, 0.5)] {
            let o = Adagrad {
                initial_accumulator_value: init,
                epsilon,
            };
            let got = run_steps(&Optimizer::Adagrad(o), 0.05, 6);
            assert_close(&got, &reference(&o, 0.05, 6), 1e-5);
        }
    }
}
