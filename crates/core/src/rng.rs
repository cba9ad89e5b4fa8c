//! The one seeded random generator (initializers, dropout, shuffling draw from it), so a run can
//! be repeated bit for bit.

use rand::{Rng as _, SeedableRng};
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
            Distribution::Binomial { p } => {
                out.iter_mut()
                    .for_each(|v| *v = f32::from(self.0.gen::<f32>() < p));
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
