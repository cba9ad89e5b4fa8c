//! The one seeded random generator (initializers, dropout, shuffling draw from it), so a run can
//! be repeated bit for bit.

use rand::{Rng as _, RngCore, SeedableRng};
use rand_distr::{Distribution as _, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::ops::Distribution;

/// A seeded generator (xoshiro256++).
#[derive(Debug, Clone)]
pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// A generator from a seed.
    pub fn seeded(seed: u64) -> Self {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// Fills `out` with draws from `dist`.
    pub fn fill(&mut self, dist: Distribution, out: &mut [f32]) {
        match dist {
            Distribution::Uniform { low, high } => {
                let w = high - low;
                out.iter_mut()
                    .for_each(|v| *v = low + w * self.0.gen::<f32>());
            }
            Distribution::Normal { mean, stddev } => {
                out.iter_mut().for_each(|v| {
                    let z: f32 = StandardNormal.sample(&mut self.0);
                    *v = mean + stddev * z;
                });
            }
            Distribution::TruncatedNormal { mean, stddev } => {
                out.iter_mut().for_each(|v| {
                    let z = loop {
                        let z: f32 = StandardNormal.sample(&mut self.0);
                        if z.abs() <= 2.0 {
                            break z;
                        }
                    };
                    *v = mean + stddev * z;
                });
            }
            Distribution::Binomial { p, value } => {
                // Two 24-bit uniforms per 64-bit draw (dropout masks are large and hot).
                const SCALE: f32 = 1.0 / (1u32 << 24) as f32;
                let bernoulli = |bits: u64| {
                    if ((bits & 0xFF_FFFF) as f32) * SCALE < p {
                        value
                    } else {
                        0.0
                    }
                };
                let mut pairs = out.chunks_exact_mut(2);
                for pair in &mut pairs {
                    let r = self.0.next_u64();
                    pair[0] = bernoulli(r >> 40);
                    pair[1] = bernoulli(r >> 8);
                }
                for v in pairs.into_remainder() {
                    *v = bernoulli(self.0.next_u64() >> 40);
                }
            }
        }
    }

    /// A uniform integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.gen_range(0..n.max(1))
    }

    /// Shuffles a slice in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.0.gen_range(0..=i);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_draws_ones_with_probability_p_in_every_position() {
        // An odd length: the last value comes from its own draw.
        let mut out = vec![0.5f32; 200_001];
        Rng::seeded(3).fill(Distribution::Binomial { p: 0.3, value: 1.0 }, &mut out);
        assert!(out.iter().all(|&v| v == 0.0 || v == 1.0));
        let ones = |vals: &mut dyn Iterator<Item = &f32>| {
            let v: Vec<f32> = vals.copied().collect();
            v.iter().sum::<f32>() / v.len() as f32
        };
        // Both halves of each 64-bit draw, and the whole, are Bernoulli(0.3).
        for frac in [
            ones(&mut out.iter()),
            ones(&mut out.iter().step_by(2)),
            ones(&mut out.iter().skip(1).step_by(2)),
        ] {
            assert!((frac - 0.3).abs() < 0.01, "{frac}");
        }
        let mut last = vec![0.0f32; 1];
        Rng::seeded(4).fill(Distribution::Binomial { p: 1.0, value: 2.5 }, &mut last);
        assert_eq!(last, [2.5]);
    }
}
