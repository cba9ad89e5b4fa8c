//! Direct convolution for short windows (`window * cin` up to `DIRECT_MAX_COLUMNS`, i.e. a
//! first layer on one or three channels), where im2col's matrix would be as large as the
//! output and the GEMM's inner dimension too short to pay. Each tile of `TILE` output
//! positions gathers its windows into short columns, then multiplies them with the kernel
//! (`kc x cout`) in explicit SIMD (`pulp`: AVX-512, AVX2+FMA or scalar, chosen at run time).

use pulp::{Arch, Simd, WithSimd};

use super::{per_sample, sum_over_samples, Epilogue, Geom};

/// Largest `window * cin` convolved directly.
pub(super) const DIRECT_MAX_COLUMNS: usize = 32;

/// Output positions per tile: independent accumulators that hide the FMA latency (forward)
/// and one pass over the kernel gradient per tile (backward).
const TILE: usize = 8;

/// The window columns of up to `TILE` output positions (`cols[p][j]`, `j < kc`).
type Tile = [[f32; DIRECT_MAX_COLUMNS]; TILE];

/// Offsets (from the window's first element) of each column of a window inside the input.
fn column_offsets(g: &Geom) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(g.window() * g.cin);
    for k0 in 0..g.k[0] {
        for k1 in 0..g.k[1] {
            for k2 in 0..g.k[2] {
                let tap = ((k0 * g.dil[0]) * g.s[1] + k1 * g.dil[1]) * g.s[2] + k2 * g.dil[2];
                offsets.extend((0..g.cin).map(|ch| tap * g.cin + ch));
            }
        }
    }
    offsets
}

/// Writes output position `o`'s window (zeros in the padding) into `col`.
#[inline(always)]
fn gather(g: &Geom, xs: &[f32], offsets: &[usize], o: [usize; 3], col: &mut [f32]) {
    let c = g.cin;
    let last = [g.k[0] - 1, g.k[1] - 1, g.k[2] - 1];
    if let (Some(first), Some(_)) = (g.source(o, [0; 3]), g.source(o, last)) {
        let base = &xs[first * c..];
        for (v, &off) in col.iter_mut().zip(offsets) {
            *v = base[off];
        }
        return;
    }
    let mut j = 0;
    for k0 in 0..g.k[0] {
        for k1 in 0..g.k[1] {
            for k2 in 0..g.k[2] {
                let dst = &mut col[j..j + c];
                match g.source(o, [k0, k1, k2]) {
                    Some(s) => dst.iter_mut().zip(&xs[s * c..]).for_each(|(d, &v)| *d = v),
                    None => dst.fill(0.0),
                }
                j += c;
            }
        }
    }
}

/// The window columns of a batch of output positions, gathered into a tile or read in place.
trait Columns {
    /// Column `j` of position `p`.
    fn at(&self, p: usize, j: usize) -> f32;
}

impl Columns for Tile {
    #[inline(always)]
    fn at(&self, p: usize, j: usize) -> f32 {
        self[p][j]
    }
}

/// Windows read where they lie in the input: column `j` of position `p` at
/// `win[offsets[j] + p * step]`.
struct InPlace<'a> {
    win: &'a [f32],
    offsets: &'a [usize],
    step: usize,
}

impl Columns for InPlace<'_> {
    #[inline(always)]
    fn at(&self, p: usize, j: usize) -> f32 {
        self.win[self.offsets[j] + p * self.step]
    }
}

/// Up to `TILE` consecutive output positions of one output row.
struct Batch {
    /// Index of the first position.
    first: usize,
    /// Number of positions.
    rows: usize,
    /// For a full batch whose windows all lie inside the input: where the first window starts
    /// in the sample (the windows are read in place). Otherwise they were gathered.
    in_place: Option<usize>,
}

/// Walks a sample's output positions in order, a batch at a time. (A cursor rather than a
/// closure-taking loop: closures would not inherit the SIMD target features of the caller.)
struct Tiles<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    offsets: Vec<usize>,
    next: [usize; 3],
    row: usize,
}

impl<'a> Tiles<'a> {
    fn new(g: &'a Geom, xs: &'a [f32]) -> Self {
        let offsets = column_offsets(g);
        Tiles {
            g,
            xs,
            offsets,
            next: [0; 3],
            row: 0,
        }
    }

    /// The next batch; its windows are gathered into `tile` unless read in place (rows past
    /// the batch's hold stale values). `None` when all positions are done.
    #[inline(always)]
    fn next_batch(&mut self, tile: &mut Tile) -> Option<Batch> {
        let (g, kc) = (self.g, self.offsets.len());
        if self.next[0] >= g.o[0] || g.o[2] == 0 {
            return None;
        }
        let [o0, o1, o2] = self.next;
        let rows = TILE.min(g.o[2] - o2);
        let last = [g.k[0] - 1, g.k[1] - 1, g.k[2] - 1];
        let in_place = if rows == TILE {
            g.source([o0, o1, o2], [0; 3])
                .filter(|_| g.source([o0, o1, o2 + rows - 1], last).is_some())
                .map(|s| s * g.cin)
        } else {
            None
        };
        if in_place.is_none() {
            for (p, col) in tile.iter_mut().take(rows).enumerate() {
                gather(g, self.xs, &self.offsets, [o0, o1, o2 + p], &mut col[..kc]);
            }
        }
        let batch = Batch {
            first: self.row,
            rows,
            in_place,
        };
        self.row += rows;
        self.next[2] += rows;
        if self.next[2] == g.o[2] {
            self.next[2] = 0;
            self.next[1] += 1;
            if self.next[1] == g.o[1] {
                self.next[1] = 0;
                self.next[0] += 1;
            }
        }
        Some(batch)
    }

    /// The windows of `batch` read in place, if they are.
    fn in_place(&self, batch: &Batch) -> Option<InPlace<'_>> {
        batch.in_place.map(|start| InPlace {
            win: &self.xs[start..],
            offsets: &self.offsets,
            step: self.g.stride[2] * self.g.cin,
        })
    }
}

/// Direct forward convolution into `out` (`(N, *o, cout)`).
pub(super) fn direct_conv(
    x: &[f32],
    g: &Geom,
    k: &[f32],
    cout: usize,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) {
    let per_in = g.in_positions() * g.cin;
    let arch = Arch::new();
    let run = |(n, o): (usize, &mut [f32])| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        direct_conv_sample(arch, g, xs, k, cout, epilogue, o);
    };
    per_sample(
        out,
        g.out_positions() * cout,
        crate::cpu::PARALLEL_CUTOFF,
        run,
    );
}

/// Direct forward convolution of one sample `xs` into `o` (`(*o, cout)`).
pub(super) fn direct_conv_sample(
    arch: Arch,
    g: &Geom,
    xs: &[f32],
    k: &[f32],
    cout: usize,
    epilogue: Epilogue<'_>,
    o: &mut [f32],
) {
    arch.dispatch(ConvSample {
        g,
        xs,
        k,
        cout,
        epilogue,
        o,
    });
}

/// One sample of `direct_conv`.
struct ConvSample<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    k: &'a [f32],
    cout: usize,
    epilogue: Epilogue<'a>,
    o: &'a mut [f32],
}

impl WithSimd for ConvSample<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let ConvSample {
            g,
            xs,
            k,
            cout,
            epilogue,
            o,
        } = self;
        let zeros = vec![0.0f32; cout];
        let bias = epilogue.bias.unwrap_or(&zeros);
        let relu = epilogue.relu;
        let kc = g.window() * g.cin;
        let (mut tiles, mut tile) = (Tiles::new(g, xs), [[0.0; DIRECT_MAX_COLUMNS]; TILE]);
        while let Some(batch) = tiles.next_batch(&mut tile) {
            let out = &mut o[batch.first * cout..(batch.first + batch.rows) * cout];
            let args = (kc, cout, bias, relu);
            match tiles.in_place(&batch) {
                Some(cols) => conv_batch(simd, &cols, k, args, out),
                None => conv_batch(simd, &tile, k, args, out),
            }
        }
    }
}

/// Forward convolution of one batch of positions (`out`: their output rows) with the kernel
/// `k`; `(kc, cout, bias, relu)` as in `ConvSample`.
#[inline(always)]
fn conv_batch<S: Simd, C: Columns>(
    simd: S,
    cols: &C,
    k: &[f32],
    (kc, cout, bias, relu): (usize, usize, &[f32], bool),
    out: &mut [f32],
) {
    let lanes = S::F32_LANES;
    let blocks = cout / lanes;
    for b in 0..blocks {
        let start = S::as_simd_f32s(&bias[b * lanes..(b + 1) * lanes]).0[0];
        let mut acc = [start; TILE];
        for (j, krow) in k.chunks_exact(cout).take(kc).enumerate() {
            let kv = S::as_simd_f32s(&krow[b * lanes..(b + 1) * lanes]).0[0];
            for (p, a) in acc.iter_mut().enumerate() {
                *a = simd.mul_add_e_f32s(simd.splat_f32s(cols.at(p, j)), kv, *a);
            }
        }
        let zero = simd.splat_f32s(0.0);
        for (orow, a) in out.chunks_exact_mut(cout).zip(acc) {
            let a = if relu { simd.max_f32s(a, zero) } else { a };
            S::as_mut_simd_f32s(&mut orow[b * lanes..(b + 1) * lanes]).0[0] = a;
        }
    }
    for ch in blocks * lanes..cout {
        for (p, orow) in out.chunks_exact_mut(cout).enumerate() {
            let sum: f32 = (0..kc).map(|j| cols.at(p, j) * k[j * cout + ch]).sum();
            let v = bias[ch] + sum;
            orow[ch] = if relu { v.max(0.0) } else { v };
        }
    }
}

/// Direct kernel gradient `dK[j, :] = sum over positions of col[j] * dy[position, :]`.
pub(super) fn direct_conv_grad_kernel(
    x: &[f32],
    g: &Geom,
    dy: &[f32],
    cout: usize,
    out: &mut [f32],
) {
    let per_out = g.out_positions() * cout;
    direct_conv_grad_kernel_with(x, g, cout, out, |n, _, f| {
        f(&dy[n * per_out..(n + 1) * per_out])
    });
}

/// `direct_conv_grad_kernel` with each sample's output gradient handed over by
/// `with_dy(n, extra, f)` (which calls `f` on it): a gradient made per sample while in cache
/// (e.g. by a pooling gradient) is never written out whole. `out` holds the kernel gradient
/// followed by any further sums over samples (e.g. a bias gradient), into which `with_dy` adds
/// sample `n`'s share (`extra`: a partial shaped like `out` past the kernel gradient).
pub(super) fn direct_conv_grad_kernel_with(
    x: &[f32],
    g: &Geom,
    cout: usize,
    out: &mut [f32],
    with_dy: impl Fn(usize, &mut [f32], &mut dyn FnMut(&[f32])) + Sync,
) {
    let per_in = g.in_positions() * g.cin;
    let kernel_len = (g.window() * g.cin * cout).min(out.len());
    let arch = Arch::new();
    let parallel = g.n * g.out_positions() * cout >= crate::cpu::PARALLEL_CUTOFF;
    sum_over_samples(g.n, parallel, out, |n, partial| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        let (dk, extra) = partial.split_at_mut(kernel_len);
        with_dy(n, extra, &mut |dys| {
            arch.dispatch(GradKernelSample {
                g,
                xs,
                dys,
                cout,
                dk: &mut *dk,
            })
        });
    });
}

/// One sample of `direct_conv_grad_kernel`, added into `dk`.
struct GradKernelSample<'a> {
    g: &'a Geom,
    xs: &'a [f32],
    dys: &'a [f32],
    cout: usize,
    dk: &'a mut [f32],
}

impl WithSimd for GradKernelSample<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let GradKernelSample {
            g,
            xs,
            dys,
            cout,
            dk,
        } = self;
        let kc = g.window() * g.cin;
        let (mut tiles, mut tile) = (Tiles::new(g, xs), [[0.0; DIRECT_MAX_COLUMNS]; TILE]);
        while let Some(batch) = tiles.next_batch(&mut tile) {
            let dy = &dys[batch.first * cout..(batch.first + batch.rows) * cout];
            match tiles.in_place(&batch) {
                Some(cols) => grad_kernel_batch(simd, &cols, dy, (kc, cout), dk),
                None => grad_kernel_batch(simd, &tile, dy, (kc, cout), dk),
            }
        }
    }
}

/// Adds one batch's kernel gradient (`dy`: its output gradient rows) into `dk`.
#[inline(always)]
fn grad_kernel_batch<S: Simd, C: Columns>(
    simd: S,
    cols: &C,
    dy: &[f32],
    (kc, cout): (usize, usize),
    dk: &mut [f32],
) {
    let lanes = S::F32_LANES;
    let blocks = cout / lanes;
    let rows = dy.len() / cout.max(1);
    // A full batch: each block's TILE gradient rows stay in registers across the taps.
    let full_blocks = if rows == TILE { blocks } else { 0 };
    for b in 0..full_blocks {
        let dv: [S::f32s; TILE] = std::array::from_fn(|p| {
            S::as_simd_f32s(&dy[p * cout + b * lanes..p * cout + (b + 1) * lanes]).0[0]
        });
        for (j, krow) in dk.chunks_exact_mut(cout).take(kc).enumerate() {
            let kv = &mut S::as_mut_simd_f32s(&mut krow[b * lanes..(b + 1) * lanes]).0[0];
            let mut acc = *kv;
            for (p, &d) in dv.iter().enumerate() {
                acc = simd.mul_add_e_f32s(simd.splat_f32s(cols.at(p, j)), d, acc);
            }
            *kv = acc;
        }
    }
    for (j, krow) in dk.chunks_exact_mut(cout).take(kc).enumerate() {
        for b in full_blocks..blocks {
            let kv = &mut S::as_mut_simd_f32s(&mut krow[b * lanes..(b + 1) * lanes]).0[0];
            let mut acc = *kv;
            for (p, drow) in dy.chunks_exact(cout).enumerate() {
                let dv = S::as_simd_f32s(&drow[b * lanes..(b + 1) * lanes]).0[0];
                acc = simd.mul_add_e_f32s(simd.splat_f32s(cols.at(p, j)), dv, acc);
            }
            *kv = acc;
        }
        for ch in blocks * lanes..cout {
            krow[ch] += dy
                .chunks_exact(cout)
                .enumerate()
                .map(|(p, drow)| cols.at(p, j) * drow[ch])
                .sum::<f32>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Padding, Window};

    #[test]
    fn every_instruction_set_computes_the_same_direct_convolution() {
        // 3 input channels (27 columns), 19 output channels (full vectors and a remainder at
        // 16 and 8 lanes), 20 wide: batches read in place and, at the 'same' edges, gathered.
        let mut archs = vec![Arch::new()];
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            archs.push(Arch::V3(v3));
        }
        let (cin, cout) = (3, 19);
        let values = |len: usize, salt: usize| -> Vec<f32> {
            (0..len)
                .map(|i| ((i * 7919 + salt * 104_729) % 2000) as f32 / 1000.0 - 1.0)
                .collect()
        };
        for padding in [Padding::Valid, Padding::Same] {
            let window = Window {
                strides: vec![1, 1],
                dilation: vec![1, 1],
                padding,
            };
            let g = Geom::new(&[1, 6, 20, cin], &[3, 3], &window).unwrap();
            let (xs, k, bias) = (
                values(6 * 20 * cin, 1),
                values(9 * cin * cout, 2),
                values(cout, 3),
            );
            let epilogue = Epilogue {
                bias: Some(&bias),
                relu: true,
            };
            let run = |arch: Arch| {
                let mut o = vec![0.0; g.out_positions() * cout];
                direct_conv_sample(arch, &g, &xs, &k, cout, epilogue, &mut o);
                o
            };
            let want = run(Arch::Scalar);
            for &arch in &archs {
                for (a, b) in want.iter().zip(run(arch)) {
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + a.abs()),
                        "{arch:?}: {b} vs {a}"
                    );
                }
            }
        }
    }
}
