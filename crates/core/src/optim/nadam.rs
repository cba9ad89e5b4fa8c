//! Nadam, as `keras/src/optimizers/nadam.py`, with its optimizer-level `u_product`.

/// Nadam hyperparameters (Keras defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nadam {
    /// Base of the momentum schedule `u_t = beta_1 (1 - 0.5 * 0.96^t)` (default 0.9).
    pub beta_1: f64,
    /// Decay of the second-moment estimate (default 0.999).
    pub beta_2: f64,
    /// Added to `sqrt(v_hat)` in the denominator (default 1e-7).
    pub epsilon: f64,
}

impl Default for Nadam {
    fn default() -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        }
    }
}

/// Per-step scalars of Nadam (everything in f32, as Keras casts the betas first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NadamCoeffs {
    /// The learning rate.
    pub lr: f32,
    /// `u_{t+1} = beta_1 (1 - 0.5 * 0.96^(t+1))`.
    pub u_t_1: f32,
    /// `1 - u_t`.
    pub one_minus_u_t: f32,
    /// `1 - u_product_t * u_{t+1}`.
    pub one_minus_u_product_t_1: f32,
    /// `1 - u_product_t` (`u_product_t` already includes `u_t`).
    pub one_minus_u_product_t: f32,
    /// `1 - beta_2^t`.
    pub one_minus_beta_2_power: f32,
    /// `1 - beta_1` in f32.
    pub one_minus_beta_1: f32,
    /// `1 - beta_2` in f32.
    pub one_minus_beta_2: f32,
    /// `epsilon` as f32.
    pub epsilon: f32,
}

/// `beta_1 * (1 - 0.5 * 0.96^t)` in f32.
fn momentum_cache(beta_1: f32, t: f32) -> f32 {
    beta_1 * (1.0 - 0.5 * 0.96f32.powf(t))
}

impl Nadam {
    /// Keras's per-step `u_product` update (`_backend_update_step`):
    /// `u_product * beta_1 * (1 - 0.5 * 0.96^t)`, evaluated left to right in f32.
    pub fn next_u_product(&self, u_product: f32, iteration: u64) -> f32 {
        let t = iteration as f32;
        u_product * (self.beta_1 as f32) * (1.0 - 0.5 * 0.96f32.powf(t))
    }

    /// The scalars for step `iteration` (1-based) at learning rate `lr`; `u_product` is the
    /// state already advanced for this step (see `OptimizerState::begin_step`).
    pub fn coeffs(&self, lr: f32, iteration: u64, u_product: f32) -> NadamCoeffs {
        let beta_1 = self.beta_1 as f32;
        let beta_2 = self.beta_2 as f32;
        let t = iteration as f32;
        let next = (iteration + 1) as f32;
        let u_t = momentum_cache(beta_1, t);
        let u_t_1 = momentum_cache(beta_1, next);
        let u_product_t_1 = u_product * u_t_1;
        NadamCoeffs {
            lr,
            u_t_1,
            one_minus_u_t: 1.0 - u_t,
            one_minus_u_product_t_1: 1.0 - u_product_t_1,
            one_minus_u_product_t: 1.0 - u_product,
            one_minus_beta_2_power: 1.0 - beta_2.powf(t),
            one_minus_beta_1: 1.0 - beta_1,
            one_minus_beta_2: 1.0 - beta_2,
            epsilon: self.epsilon as f32,
        }
    }
}

/// One element: `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
/// `m_hat = u_{t+1} m / (1 - u_prod_{t+1}) + (1 - u_t) g / (1 - u_prod_t)`,
/// `v_hat = v / (1 - b2^t)`, `p -= m_hat lr / (sqrt(v_hat) + eps)`.
#[inline]
pub fn step(c: &NadamCoeffs, p: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
    *m += (g - *m) * c.one_minus_beta_1;
    *v += (g * g - *v) * c.one_minus_beta_2;
    let m_hat = (c.u_t_1 * *m) / c.one_minus_u_product_t_1
        + (c.one_minus_u_t * g) / c.one_minus_u_product_t;
    let v_hat = *v / c.one_minus_beta_2_power;
    *p -= (m_hat * c.lr) / (v_hat.sqrt() + c.epsilon);
}

/// Applies [`step`] over a chunk; `slots` is `[momentum, velocity]`.
pub(super) fn kernel(c: &NadamCoeffs, p: &mut [f32], g: &[f32], slots: &mut [&mut [f32]]) {
    if let [m, v] = slots {
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            step(c, p, g, m, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_close, run_steps, GRADS, PARAM};
    use crate::optim::{Optimizer, OptimizerState};

    /// Straightforward f64 Nadam as written in Keras 3 (u_product advanced before the update).
    fn reference(o: &Nadam, lr: f64, steps: usize) -> Vec<f64> {
        let mut p: Vec<f64> = PARAM.iter().map(|&x| x as f64).collect();
        let n = p.len();
        let (mut m, mut v) = (vec![0.0f64; n], vec![0.0f64; n]);
        let mut u_product = 1.0f64;
        for s in 0..steps {
            let t = (s + 1) as f64;
            let u_t = o.beta_1 * (1.0 - 0.5 * 0.96f64.powf(t));
            let u_t_1 = o.beta_1 * (1.0 - 0.5 * 0.96f64.powf(t + 1.0));
            u_product *= u_t;
            let u_product_t_1 = u_product * u_t_1;
            for i in 0..n {
                let g = GRADS[s % GRADS.len()][i] as f64;
                m[i] += (g - m[i]) * (1.0 - o.beta_1);
                v[i] += (g * g - v[i]) * (1.0 - o.beta_2);
                let m_hat =
                    u_t_1 * m[i] / (1.0 - u_product_t_1) + (1.0 - u_t) * g / (1.0 - u_product);
                let v_hat = v[i] / (1.0 - o.beta_2.powf(t));
                p[i] -= m_hat * lr / (v_hat.sqrt() + o.epsilon);
            }
        }
        p
    }

    #[test]
    fn matches_f64_reference() {
        for (beta_1, epsilon) in [(0.9, 1e-7), (0.5, 1e-7), (0.9, 0.1)] {
            let o = Nadam {
                beta_1,
                epsilon,
                ..Nadam::default()
            };
            let got = run_steps(&Optimizer::Nadam(o), 0.01, 6);
            assert_close(&got, &reference(&o, 0.01, 6), 1e-5);
        }
    }

    /// u_product advances once per step however many parameters are updated in it.
    #[test]
    fn u_product_advances_once_per_step() {
        let o = Nadam::default();
        let opt = Optimizer::Nadam(o);
        let mut st = OptimizerState::default();
        for t in 1..=3u64 {
            for _ in 0..4 {
                let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
                opt.apply(&mut p, &[0.5], &mut [&mut m, &mut v], 0.01, t, &mut st)
                    .unwrap();
            }
        }
        let want: f64 = (1..=3)
            .map(|t| 0.9 * (1.0 - 0.5 * 0.96f64.powi(t)))
            .product();
        assert!((st.u_product as f64 - want).abs() < 1e-6);
        assert_eq!(st.last_iteration, 3);
        // Setting iterations back (Keras allows it) is a new step: the product advances.
        let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
        opt.apply(&mut p, &[0.5], &mut [&mut m, &mut v], 0.01, 2, &mut st)
            .unwrap();
        let again = want * 0.9 * (1.0 - 0.5 * 0.96f64.powi(2));
        assert!((st.u_product as f64 - again).abs() < 1e-6);
        assert_eq!(st.last_iteration, 2);
    }
}
