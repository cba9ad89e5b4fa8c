//! Convolution and pooling kernels over one to three spatial axes (fewer are treated as
//! leading axes of length 1), channels last: im2col + GEMM convolution (`im2col`, the entry
//! points), which hands short windows to the direct kernels (`direct`) and 3x3 stride-1
//! windows to Winograd's algorithm (`winograd`); depthwise convolution (`depthwise`); pooling
//! (`pool`); and a first layer's convolution + relu + max pooling, forward and kernel gradient,
//! sample by sample in cache (here).

mod depthwise;
mod direct;
mod im2col;
mod pool;
mod winograd;

use pulp::Arch;
use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::ops::{PoolKind, Window};

pub use depthwise::{depthwise, depthwise_grad_input, depthwise_grad_kernel};
pub use im2col::{conv, conv_grad_input, conv_grad_kernel};

/// `max_pool(relu(conv(x, k) + b))` of a first layer: the convolution's and the pooling's
/// geometry, checked against the operands.
struct ConvReluPool<'a> {
    g: Geom,
    pool: pool::SamplePool,
    k: &'a [f32],
    epilogue: Epilogue<'a>,
    cout: usize,
    arch: Arch,
}

impl<'a> ConvReluPool<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        op: &str,
        xs: &[usize],
        k: &'a [f32],
        ks: &[usize],
        b: &'a [f32],
        w: &Window,
        pool_size: &[usize],
        pool_w: &Window,
    ) -> Result<Self> {
        let g = Geom::new(xs, &ks[..ks.len() - 2], w)?;
        let cout = ks[ks.len() - 1];
        let spatial = xs.len() - 2;
        let mut ys = vec![g.n];
        ys.extend_from_slice(&g.o[3 - spatial..]);
        ys.push(cout);
        let pool = pool::SamplePool::new(PoolKind::Max, Geom::new(&ys, pool_size, pool_w)?);
        if b.len() != cout || k.len() != ks.iter().product::<usize>() {
            return Err(CoreError::Graph(format!(
                "{op}: kernel {ks:?} ({} values) and bias of {} values do not fit {cout} output channels",
                k.len(),
                b.len()
            )));
        }
        Ok(ConvReluPool {
            g,
            pool,
            k,
            epilogue: Epilogue {
                bias: Some(b),
                relu: true,
            },
            cout,
            arch: Arch::new(),
        })
    }

    /// Convolution output values per sample.
    fn per_y(&self) -> usize {
        self.g.out_positions() * self.cout
    }

    /// Pooled values per sample.
    fn per_pooled(&self) -> usize {
        self.pool.g.out_positions() * self.cout
    }

    /// Whether samples run one at a time through the direct kernel (a short window);
    /// otherwise the whole batch is convolved first.
    fn direct(&self) -> bool {
        self.g.window() * self.g.cin <= direct::DIRECT_MAX_COLUMNS
    }

    /// `relu(conv(x[n], k) + b)` into `y` by the direct kernel.
    fn conv_sample(&self, x: &[f32], n: usize, y: &mut [f32]) {
        let per_in = self.g.in_positions() * self.g.cin;
        let xs = &x[n * per_in..(n + 1) * per_in];
        direct::direct_conv_sample(self.arch, &self.g, xs, self.k, self.cout, self.epilogue, y);
    }

    /// `relu(conv(x, k) + b)` of the whole batch into `y`.
    fn conv_batch(
        &self,
        x: &[f32],
        xs: &[usize],
        ks: &[usize],
        w: &Window,
        y: &mut [f32],
    ) -> Result<()> {
        conv(x, xs, self.k, ks, w, self.epilogue, y)
    }
}

/// `max_pool(relu(conv(x, k) + b))` into `out`. For a short window (a first layer), each
/// sample's convolution output is made in a cache-resident buffer and pooled at once: the
/// large unpooled activation is never written out.
#[allow(clippy::too_many_arguments)]
pub fn conv_relu_max_pool(
    x: &[f32],
    xs: &[usize],
    k: &[f32],
    ks: &[usize],
    b: &[f32],
    w: &Window,
    pool_size: &[usize],
    pool_w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let f = ConvReluPool::new("conv_relu_max_pool", xs, k, ks, b, w, pool_size, pool_w)?;
    let (per_y, per_p) = (f.per_y(), f.per_pooled());
    if out.len() != f.g.n * per_p {
        return Err(CoreError::Graph(format!(
            "conv_relu_max_pool: output of {} values for {} samples of {per_p}",
            out.len(),
            f.g.n
        )));
    }
    if f.direct() {
        per_sample(out, per_p, crate::cpu::PARALLEL_CUTOFF / 4, |(n, o)| {
            with_scratch(per_y, |y| {
                f.conv_sample(x, n, y);
                f.pool.run(y, o);
            });
        });
        return Ok(());
    }
    with_scratch(f.g.n * per_y, |y| {
        f.conv_batch(x, xs, ks, w, y)?;
        per_sample(out, per_p, crate::cpu::PARALLEL_CUTOFF / 4, |(n, o)| {
            f.pool.run(&y[n * per_y..(n + 1) * per_y], o);
        });
        Ok(())
    })
}

/// The kernel gradient of `max_pool(relu(conv(x, k) + b))` from the pooled gradient `dp`.
/// For a short window, per sample: the relu output is recomputed and the masked max-pool
/// gradient made from it in cache-resident buffers, and consumed at once by the direct kernel
/// gradient (nothing of the unpooled size is read or written in memory). Long windows make
/// the whole batch's tensors first.
#[allow(clippy::too_many_arguments)]
pub fn conv_grad_kernel_pooled(
    x: &[f32],
    xs: &[usize],
    k: &[f32],
    ks: &[usize],
    b: &[f32],
    dp: &[f32],
    w: &Window,
    pool_size: &[usize],
    pool_w: &Window,
    out: &mut [f32],
) -> Result<()> {
    let f = ConvReluPool::new(
        "conv_grad_kernel_pooled",
        xs,
        k,
        ks,
        b,
        w,
        pool_size,
        pool_w,
    )?;
    let (per_y, per_p) = (f.per_y(), f.per_pooled());
    if dp.len() != f.g.n * per_p {
        return Err(CoreError::Graph(format!(
            "conv_grad_kernel_pooled: pooled gradient of {} values for {} samples of {per_p}",
            dp.len(),
            f.g.n
        )));
    }
    let dp_of = |n: usize| &dp[n * per_p..(n + 1) * per_p];
    if f.direct() {
        direct::direct_conv_grad_kernel_with(x, &f.g, f.cout, out, |n, consume| {
            with_scratch(per_y, |y| {
                f.conv_sample(x, n, y);
                with_scratch(per_y, |dz| {
                    f.pool.grad(y, dp_of(n), true, dz);
                    consume(dz)
                })
            })
        });
        return Ok(());
    }
    with_scratch(f.g.n * per_y, |y| {
        f.conv_batch(x, xs, ks, w, y)?;
        with_scratch(f.g.n * per_y, |dz| {
            let samples = y
                .chunks_exact(per_y.max(1))
                .zip(dz.chunks_exact_mut(per_y.max(1)));
            for (n, (yn, dzn)) in samples.enumerate() {
                f.pool.grad(yn, dp_of(n), true, dzn);
            }
            conv_grad_kernel(x, xs, dz, ks, w, out)
        })
    })
}

/// What a forward convolution applies to its output rows before returning: a per-channel
/// bias, then a plain relu.
#[derive(Debug, Clone, Copy)]
pub struct Epilogue<'a> {
    /// Added to each output row (`cout` values).
    pub bias: Option<&'a [f32]>,
    /// `max(0, .)` after the bias.
    pub relu: bool,
}

impl Epilogue<'_> {
    /// Nothing to apply.
    pub const NONE: Epilogue<'static> = Epilogue {
        bias: None,
        relu: false,
    };

    /// Applies the relu to rows the bias was already added to (by the GEMM, or the
    /// accumulators' starting values).
    fn finish(&self, out: &mut [f32]) {
        if self.relu {
            out.iter_mut().for_each(|v| *v = v.max(0.0));
        }
    }

    /// Fills `out`'s rows of `cout` with the bias (the GEMM then adds to them); returns
    /// whether it did.
    fn preload_bias(&self, out: &mut [f32], cout: usize) -> bool {
        match self.bias {
            Some(b) => {
                for row in out.chunks_exact_mut(cout.max(1)) {
                    row.copy_from_slice(b);
                }
                true
            }
            None => false,
        }
    }
}
pub use pool::{pool, pool_grad};

/// Sizes of one convolution or pooling, spatial axes padded to three.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geom {
    pub(super) n: usize,
    pub(super) cin: usize,
    pub(super) s: [usize; 3],
    pub(super) k: [usize; 3],
    pub(super) o: [usize; 3],
    pub(super) stride: [usize; 3],
    pub(super) dil: [usize; 3],
    pub(super) pad: [usize; 3],
}

impl Geom {
    pub(super) fn new(x: &[usize], k: &[usize], w: &Window) -> Result<Geom> {
        let spatial = x.len() - 2;
        let lead = 3 - spatial;
        let mut g = Geom {
            n: x[0],
            cin: x[x.len() - 1],
            s: [1; 3],
            k: [1; 3],
            o: [1; 3],
            stride: [1; 3],
            dil: [1; 3],
            pad: [0; 3],
        };
        for i in 0..spatial {
            let j = lead + i;
            g.s[j] = x[1 + i];
            g.k[j] = k[i];
            g.stride[j] = w.strides[i];
            g.dil[j] = w.dilation[i];
            let (o, p) = w.out_len(i, x[1 + i], k[i]).ok_or_else(|| {
                CoreError::Graph(format!("conv: window {k:?} does not fit input {x:?}"))
            })?;
            g.o[j] = o;
            g.pad[j] = p;
        }
        Ok(g)
    }

    pub(super) fn out_positions(&self) -> usize {
        self.o.iter().product()
    }

    pub(super) fn window(&self) -> usize {
        self.k.iter().product()
    }

    pub(super) fn in_positions(&self) -> usize {
        self.s.iter().product()
    }

    /// Input position for output `o` and window offset `k` on each axis, if inside the input.
    #[inline]
    pub(super) fn source(&self, o: [usize; 3], k: [usize; 3]) -> Option<usize> {
        let mut idx = 0;
        for a in 0..3 {
            let i = (o[a] * self.stride[a] + k[a] * self.dil[a]) as isize - self.pad[a] as isize;
            if i < 0 || i as usize >= self.s[a] {
                return None;
            }
            idx = idx * self.s[a] + i as usize;
        }
        Some(idx)
    }

    /// Calls `f(row, sources)` for each output position (`row` in output order) with the input
    /// positions of its window that lie inside the input, in window order.
    #[inline(always)]
    pub(super) fn for_each_window(&self, mut f: impl FnMut(usize, &[usize])) {
        let mut sources = Vec::with_capacity(self.window());
        let mut row = 0;
        for o0 in 0..self.o[0] {
            for o1 in 0..self.o[1] {
                for o2 in 0..self.o[2] {
                    sources.clear();
                    for k0 in 0..self.k[0] {
                        for k1 in 0..self.k[1] {
                            for k2 in 0..self.k[2] {
                                if let Some(s) = self.source([o0, o1, o2], [k0, k1, k2]) {
                                    sources.push(s);
                                }
                            }
                        }
                    }
                    f(row, &sources);
                    row += 1;
                }
            }
        }
    }

    /// Calls `f(row, tap, source)` for each output position (`row`, in output order) and each
    /// window offset (`tap`, in window order) that lies inside the input (`source`).
    #[inline(always)]
    pub(super) fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        let mut row = 0;
        for o0 in 0..self.o[0] {
            for o1 in 0..self.o[1] {
                for o2 in 0..self.o[2] {
                    let mut tap = 0;
                    for k0 in 0..self.k[0] {
                        for k1 in 0..self.k[1] {
                            for k2 in 0..self.k[2] {
                                if let Some(s) = self.source([o0, o1, o2], [k0, k1, k2]) {
                                    f(row, tap, s);
                                }
                                tap += 1;
                            }
                        }
                    }
                    row += 1;
                }
            }
        }
    }

    /// Calls `f(row, first_col, first_source, len)` for runs of window offsets along the last
    /// spatial axis that are all inside (`Some`, consecutive sources when the dilation is 1) or
    /// all outside (`None`) the input, so callers can copy whole runs.
    #[inline]
    pub(super) fn for_each_run(&self, mut f: impl FnMut(usize, usize, Option<usize>, usize)) {
        let mut row = 0;
        for o0 in 0..self.o[0] {
            for o1 in 0..self.o[1] {
                for o2 in 0..self.o[2] {
                    let mut col = 0;
                    for k0 in 0..self.k[0] {
                        for k1 in 0..self.k[1] {
                            let base = self.source([o0, o1, o2], [k0, k1, 0]);
                            let start = (o2 * self.stride[2]) as isize - self.pad[2] as isize;
                            if self.dil[2] == 1 && base.is_some() && {
                                let end = start + self.k[2] as isize;
                                end <= self.s[2] as isize
                            } {
                                f(row, col, base, self.k[2]);
                            } else {
                                for k2 in 0..self.k[2] {
                                    f(row, col + k2, self.source([o0, o1, o2], [k0, k1, k2]), 1);
                                }
                            }
                            col += self.k[2];
                        }
                    }
                    row += 1;
                }
            }
        }
    }
}

/// How a batch is cut into chunks of whole samples, each run start to end on one thread with
/// its own cache-resident scratch (column matrices, transformed tiles).
pub(super) struct Chunks {
    /// Samples per chunk.
    pub(super) samples: usize,
    /// Number of chunks.
    pub(super) count: usize,
    /// Whether chunks run on the rayon pool (enough of them to share out); otherwise they run
    /// one after another on the caller, whose GEMMs then split across the pool themselves.
    parallel: bool,
}

impl Chunks {
    /// Chunks of about `target` elements (fewer when that leaves each thread at least two
    /// chunks) for a pass over `g` working on `per_sample` elements per sample.
    pub(super) fn new(g: &Geom, per_sample: usize, target: usize) -> Chunks {
        let threads = rayon::current_num_threads();
        let shared = g.n.div_ceil(2 * threads).max(1);
        let samples = (target / per_sample.max(1))
            .clamp(1, g.n.max(1))
            .min(shared);
        let count = g.n.div_ceil(samples);
        let parallel = count >= 2 * threads
            && g.n * per_sample >= crate::cpu::PARALLEL_CUTOFF
            && rayon::current_thread_index().is_none();
        Chunks {
            samples,
            count,
            parallel,
        }
    }

    /// Runs `f(chunk, part)` over `data` cut into one part of `size` elements per chunk.
    pub(super) fn for_each_mut(
        &self,
        data: &mut [f32],
        size: usize,
        f: impl Fn(usize, &mut [f32]) -> Result<()> + Sync + Send,
    ) -> Result<()> {
        let size = size.max(1);
        if self.parallel {
            data.par_chunks_mut(size)
                .enumerate()
                .try_for_each(|(c, part)| f(c, part))
        } else {
            data.chunks_mut(size)
                .enumerate()
                .try_for_each(|(c, part)| f(c, part))
        }
    }
}

/// Runs `f(sample, chunk)` over `out` cut into per-sample chunks, on the rayon pool when
/// `out` has at least `min_parallel` elements and more than one sample.
pub(super) fn per_sample(
    out: &mut [f32],
    chunk: usize,
    min_parallel: usize,
    f: impl Fn((usize, &mut [f32])) + Sync + Send,
) {
    if out.len() >= min_parallel && out.len() > chunk {
        out.par_chunks_mut(chunk).enumerate().for_each(f);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(f);
    }
}

thread_local! {
    /// Per-thread scratch buffers (column matrices, partial sums), each grown to the largest
    /// size asked of it and reused, so a training step does not allocate (and page-fault)
    /// megabytes per convolution. A stack, so nested users get distinct buffers.
    static SCRATCH: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Scratch buffers start on this many floats (one 64-byte cache line): whole-vector loads
/// and stores at multiples of 16 channels then never straddle two lines.
const SCRATCH_ALIGN: usize = 16;

/// Runs `f` on `len` elements of a scratch buffer of this thread (contents unspecified),
/// starting on a cache line.
pub(super) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    let mut buf = SCRATCH.with(|s| s.borrow_mut().pop()).unwrap_or_default();
    if buf.len() < len + SCRATCH_ALIGN {
        buf.resize(len + SCRATCH_ALIGN, 0.0);
    }
    let skip = buf
        .as_ptr()
        .align_offset(SCRATCH_ALIGN * 4)
        .min(SCRATCH_ALIGN);
    let r = f(&mut buf[skip..skip + len]);
    SCRATCH.with(|s| s.borrow_mut().push(buf));
    r
}

/// Samples per partial sum of `sum_over_samples`: a fixed split, so results do not depend on
/// the number of threads.
const SAMPLES_PER_PARTIAL: usize = 8;

/// `out = sum over samples n of f(n, .)`: `f` adds sample `n`'s contribution into a zeroed
/// partial; partials over fixed runs of samples (in parallel when `parallel`) are added in
/// order. For kernel gradients, whose output is small and summed over the batch.
pub(super) fn sum_over_samples(
    samples: usize,
    parallel: bool,
    out: &mut [f32],
    f: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    let len = out.len();
    let partial = |run: usize| {
        let mut acc = vec![0.0f32; len];
        let end = ((run + 1) * SAMPLES_PER_PARTIAL).min(samples);
        for n in run * SAMPLES_PER_PARTIAL..end {
            f(n, &mut acc);
        }
        acc
    };
    let runs = samples.div_ceil(SAMPLES_PER_PARTIAL);
    let partials: Vec<Vec<f32>> = if parallel {
        (0..runs).into_par_iter().map(partial).collect()
    } else {
        (0..runs).map(partial).collect()
    };
    out.fill(0.0);
    for p in partials {
        out.iter_mut().zip(&p).for_each(|(o, v)| *o += v);
    }
}

/// Channel block width of the hand-blocked loops (one AVX-512 vector).
const LANES: usize = 16;
