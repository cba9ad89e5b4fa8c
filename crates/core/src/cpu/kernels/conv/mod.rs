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

use multiversion::multiversion;
use pulp::Arch;
use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::ops::{PoolKind, Window};

pub use depthwise::{depthwise, depthwise_grad_input, depthwise_grad_kernel};
pub use im2col::{conv, conv_grad_input, conv_grad_kernel, conv_grads};
pub use pool::{max_pool_grad_routed, pool, pool_grad};

/// The geometry of a first layer's `max_pool(relu(conv(x, k) + b))`: the convolution's and
/// the pooling's over its output.
struct ConvPoolGeom {
    g: Geom,
    pool: pool::SamplePool,
    cout: usize,
}

impl ConvPoolGeom {
    fn new(
        xs: &[usize],
        ks: &[usize],
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
        Ok(ConvPoolGeom { g, pool, cout })
    }

    /// Convolution output values per sample.
    fn per_y(&self) -> usize {
        self.g.out_positions() * self.cout
    }

    /// Pooled values per sample.
    fn per_pooled(&self) -> usize {
        self.pool.g.out_positions() * self.cout
    }

    /// Whether samples run one at a time through the direct kernels (a short window);
    /// otherwise the whole batch's unpooled tensor is made first.
    fn direct(&self) -> bool {
        self.g.window() * self.g.cin <= direct::DIRECT_MAX_COLUMNS
    }

    /// Checks that `what` (`len` values) holds one pooled tensor per sample.
    fn check_pooled(&self, op: &str, what: &str, len: usize) -> Result<()> {
        let per_p = self.per_pooled();
        if len == self.g.n * per_p {
            return Ok(());
        }
        Err(CoreError::Graph(format!(
            "{op}: {what} of {len} values for {} samples of {per_p}",
            self.g.n
        )))
    }
}

/// `max_pool(relu(conv(x, k) + b))` into `out`, and with `routes` each pooled element's
/// route (see `Op::ConvReluMaxPool`). For a short window (a first layer), each sample's
/// convolution output is made in a cache-resident buffer and pooled at once; a Winograd
/// convolution pools each output tile in its output transform: either way the large unpooled
/// activation is never written out.
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
    routes: Option<&mut [f32]>,
) -> Result<()> {
    const OP: &str = "conv_relu_max_pool";
    let f = ConvPoolGeom::new(xs, ks, w, pool_size, pool_w)?;
    if b.len() != f.cout || k.len() != ks.iter().product::<usize>() {
        return Err(CoreError::Graph(format!(
            "{OP}: kernel {ks:?} ({} values) and bias of {} values do not fit {} output channels",
            k.len(),
            b.len(),
            f.cout
        )));
    }
    f.check_pooled(OP, "output", out.len())?;
    if let Some(r) = &routes {
        f.check_pooled(OP, "routes", r.len())?;
    }
    let (per_y, per_p) = (f.per_y(), f.per_pooled());
    let epilogue = Epilogue {
        bias: Some(b),
        relu: true,
    };
    let pool = |y: &[f32], o: &mut [f32], r: Option<&mut [f32]>| match r {
        Some(r) => f.pool.run_routed(y, o, r),
        None => f.pool.run(y, o),
    };
    if f.direct() {
        let (arch, per_in) = (Arch::new(), f.g.in_positions() * f.g.cin);
        per_sample_with(out, routes.map(|r| (r, per_p)), per_p, |n, o, r| {
            with_scratch(per_y, |y| {
                let xs = &x[n * per_in..(n + 1) * per_in];
                direct::direct_conv_sample(arch, &f.g, xs, k, f.cout, epilogue, y);
                pool(y, o, r);
            });
        });
        return Ok(());
    }
    if winograd::pools(&f.g, f.cout, &f.pool.g) {
        return winograd::conv_relu_max_pool(x, &f.g, k, f.cout, b, out, routes);
    }
    with_scratch(f.g.n * per_y, |y| {
        conv(x, xs, k, ks, w, epilogue, y)?;
        per_sample_with(out, routes.map(|r| (r, per_p)), per_p, |n, o, r| {
            pool(&y[n * per_y..(n + 1) * per_y], o, r);
        });
        Ok(())
    })
}

/// The kernel gradient of `max_pool(relu(conv(x, k) + b))` from the pooled gradient `dp` and
/// the forward's `routes` into `out`, and with `bias` the bias gradient. For a short window,
/// per sample: the convolution's output gradient is made from the routes in a cache-resident
/// buffer and consumed at once by the direct kernel gradient and the bias sums (nothing of the
/// unpooled size is read or written in memory). Long windows make the whole batch's output
/// gradient first.
#[allow(clippy::too_many_arguments)]
pub fn conv_grad_kernel_pooled(
    x: &[f32],
    xs: &[usize],
    routes: &[f32],
    dp: &[f32],
    ks: &[usize],
    w: &Window,
    pool_size: &[usize],
    pool_w: &Window,
    out: &mut [f32],
    bias: Option<&mut [f32]>,
) -> Result<()> {
    const OP: &str = "conv_grad_kernel_pooled";
    let f = ConvPoolGeom::new(xs, ks, w, pool_size, pool_w)?;
    f.check_pooled(OP, "pooled gradient", dp.len())?;
    f.check_pooled(OP, "routes", routes.len())?;
    let bias_len = bias.as_ref().map_or(0, |b| b.len());
    if bias.is_some() && bias_len != f.cout {
        return Err(CoreError::Graph(format!(
            "{OP}: bias gradient of {bias_len} values for {} output channels",
            f.cout
        )));
    }
    let (per_y, per_p) = (f.per_y(), f.per_pooled());
    let grad = |n: usize, dz: &mut [f32]| {
        let at = n * per_p..(n + 1) * per_p;
        f.pool.routed_grad(&routes[at.clone()], &dp[at], dz);
    };
    if f.direct() {
        let kernel_len = out.len();
        return with_scratch(kernel_len + bias_len, |acc| {
            direct::direct_conv_grad_kernel_with(x, &f.g, f.cout, acc, |n, sums, consume| {
                with_scratch(per_y, |dz| {
                    grad(n, dz);
                    add_channel_sums(dz, sums);
                    consume(dz)
                })
            });
            out.copy_from_slice(&acc[..kernel_len]);
            if let Some(bias) = bias {
                bias.copy_from_slice(&acc[kernel_len..]);
            }
            Ok(())
        });
    }
    with_scratch(f.g.n * per_y, |dz| {
        for (n, dzn) in dz.chunks_exact_mut(per_y.max(1)).enumerate() {
            grad(n, dzn);
        }
        if let Some(bias) = bias {
            bias.fill(0.0);
            add_channel_sums(dz, bias);
        }
        conv_grad_kernel(x, xs, dz, ks, w, out)
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

impl Chunks {
    /// Runs `f(chunk, part_a, part_b)` over `a` and `b` cut into parts of `size_a` and `size_b`
    /// elements per chunk.
    pub(super) fn for_each_mut_zip(
        &self,
        a: &mut [f32],
        size_a: usize,
        b: &mut [f32],
        size_b: usize,
        f: impl Fn(usize, &mut [f32], &mut [f32]) -> Result<()> + Sync + Send,
    ) -> Result<()> {
        let (size_a, size_b) = (size_a.max(1), size_b.max(1));
        if self.parallel {
            a.par_chunks_mut(size_a)
                .zip(b.par_chunks_mut(size_b))
                .enumerate()
                .try_for_each(|(c, (pa, pb))| f(c, pa, pb))
        } else {
            a.chunks_mut(size_a)
                .zip(b.chunks_mut(size_b))
                .enumerate()
                .try_for_each(|(c, (pa, pb))| f(c, pa, pb))
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

/// `per_sample` over `out` (`chunk` elements per sample) and, when given, a second output
/// `extra` of `extra_chunk` elements per sample: `f(sample, out_chunk, extra_chunk)`.
pub(super) fn per_sample_with(
    out: &mut [f32],
    extra: Option<(&mut [f32], usize)>,
    chunk: usize,
    f: impl Fn(usize, &mut [f32], Option<&mut [f32]>) + Sync + Send,
) {
    let min_parallel = crate::cpu::PARALLEL_CUTOFF / 4;
    let Some((extra, extra_chunk)) = extra else {
        per_sample(out, chunk, min_parallel, |(n, o)| f(n, o, None));
        return;
    };
    let (chunk, extra_chunk) = (chunk.max(1), extra_chunk.max(1));
    let pairs = |(n, (o, e)): (usize, (&mut [f32], &mut [f32]))| f(n, o, Some(e));
    if out.len() >= min_parallel && out.len() > chunk {
        out.par_chunks_mut(chunk)
            .zip(extra.par_chunks_mut(extra_chunk))
            .enumerate()
            .for_each(pairs);
    } else {
        out.chunks_mut(chunk)
            .zip(extra.chunks_mut(extra_chunk))
            .enumerate()
            .for_each(pairs);
    }
}

/// Adds to `sums[ch]` the sum of `rows[p * c + ch]` over positions `p` (`c = sums.len()`).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub(super) fn add_channel_sums(rows: &[f32], sums: &mut [f32]) {
    let c = sums.len();
    if c == 0 {
        return;
    }
    let n = rows.len() / c;
    let (blocks, rest) = sums.as_chunks_mut::<LANES>();
    for (b, s) in blocks.iter_mut().enumerate() {
        // Four running sums over interleaved rows, in registers: no chain of dependent adds
        // through memory.
        let block = |r: usize| &rows[r * c + b * LANES..r * c + (b + 1) * LANES];
        let mut acc = [[0.0f32; LANES]; 4];
        let mut r = 0;
        while r + 4 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                a.iter_mut().zip(block(r + k)).for_each(|(a, &v)| *a += v);
            }
            r += 4;
        }
        for r in r..n {
            acc[0].iter_mut().zip(block(r)).for_each(|(a, &v)| *a += v);
        }
        for (i, s) in s.iter_mut().enumerate() {
            *s += (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]);
        }
    }
    let done = c - rest.len();
    for (ch, s) in rest.iter_mut().enumerate() {
        *s += (0..n).map(|r| rows[r * c + done + ch]).sum::<f32>();
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
