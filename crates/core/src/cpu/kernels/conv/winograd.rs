//! Winograd convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
//! 2015) for 3x3 windows with stride and dilation 1 over two spatial axes. Each `m x m` output
//! tile is `A^T [(G g G^T) . (B^T d B)] A` for the `(m + 2) x (m + 2)` input tile `d`, so the
//! sums over input channels become one GEMM per element of the transformed tile, with fewer
//! multiplies than im2col's one GEMM: 2.25x fewer with F(2x2, 3x3) (16 elements), 4x with
//! F(4x4, 3x3) (36 elements; chosen when its larger tiles waste little of the output). The
//! input and kernel gradients run the adjoint of the same algorithm (`B dV B^T` and
//! `G^T dU G` from `dM = A dY A^T`), so all three passes save the same work.
//!
//! Transformed tiles are stored `[element][tile][channel]`: each element's tiles form one
//! contiguous row-major GEMM operand. Batches are cut into chunks of whole samples, run in
//! parallel, whose transformed tiles stay in cache between the transforms and the GEMMs.

use std::marker::PhantomData;

use pulp::{Arch, Simd, WithSimd};

use super::{with_scratch, Chunks, Epilogue, Geom};
use crate::cpu::gemm::{sgemm, Strides};
use crate::error::Result;

/// Smallest input and output channel counts served: below them the per-element GEMMs are too
/// shallow (`k = cin`) to beat im2col's single GEMM nine times deeper.
const MIN_CHANNELS: usize = 16;
/// Smallest output height and width served: tiles hanging over the edge are wasted work.
const MIN_OUT: usize = 4;
/// Target size (elements) of one chunk's transformed tiles, input and output side together:
/// 4 MiB, in L3 between the transforms and the GEMMs. Measured on 2 cores (MNIST convnet's
/// second layer, F(4x4, 3x3)): forward / input / kernel gradient 0.76 / 0.85 / 0.77 ms at
/// 2^20, 0.79 / 1.03 / 0.98 ms at 2^19 (GEMMs over fewer tiles).
const CHUNK_ELEMENTS: usize = 1 << 20;

/// Whether this convolution takes the Winograd path: a 3x3 window with stride and dilation 1
/// on two spatial axes, at least `MIN_CHANNELS` channels in and out, and outputs at least
/// `MIN_OUT` on a side.
pub(super) fn applies(g: &Geom, cout: usize) -> bool {
    g.s[0] == 1
        && g.k == [1, 3, 3]
        && g.stride == [1, 1, 1]
        && g.dil == [1, 1, 1]
        && g.cin >= MIN_CHANNELS
        && cout >= MIN_CHANNELS
        && g.o[1] >= MIN_OUT
        && g.o[2] >= MIN_OUT
}

/// A 1-D transform as a constant `O x I` matrix (`y = M x`).
trait Matrix<const I: usize, const O: usize> {
    const M: [[f32; I]; O];
}

/// The transpose of `C`: the adjoint transform.
struct Transposed<C>(PhantomData<C>);

impl<C: Matrix<I, O>, const I: usize, const O: usize> Matrix<O, I> for Transposed<C> {
    const M: [[f32; O]; I] = transpose(C::M);
}

const fn transpose<const I: usize, const O: usize>(m: [[f32; I]; O]) -> [[f32; O]; I] {
    let mut t = [[0.0; O]; I];
    let mut i = 0;
    while i < I {
        let mut o = 0;
        while o < O {
            t[i][o] = m[o][i];
            o += 1;
        }
        i += 1;
    }
    t
}

/// One Winograd algorithm F(m x m, 3x3): output tiles of `M` on a side from input tiles of
/// `T = M + 2`.
trait Tiling<const M: usize, const T: usize> {
    /// `B^T`.
    type Input: Matrix<T, T>;
    /// `G`.
    type Kernel: Matrix<3, T>;
    /// `A^T`.
    type Output: Matrix<T, M>;
}

/// F(2x2, 3x3).
struct F2;
/// F(4x4, 3x3).
struct F4;

struct InputF2;
impl Matrix<4, 4> for InputF2 {
    const M: [[f32; 4]; 4] = [
        [1.0, 0.0, -1.0, 0.0],
        [0.0, 1.0, 1.0, 0.0],
        [0.0, -1.0, 1.0, 0.0],
        [0.0, 1.0, 0.0, -1.0],
    ];
}

struct KernelF2;
impl Matrix<3, 4> for KernelF2 {
    const M: [[f32; 3]; 4] = [
        [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.5],
        [0.5, -0.5, 0.5],
        [0.0, 0.0, 1.0],
    ];
}

struct OutputF2;
impl Matrix<4, 2> for OutputF2 {
    const M: [[f32; 4]; 2] = [[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]];
}

impl Tiling<2, 4> for F2 {
    type Input = InputF2;
    type Kernel = KernelF2;
    type Output = OutputF2;
}

struct InputF4;
impl Matrix<6, 6> for InputF4 {
    const M: [[f32; 6]; 6] = [
        [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
        [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
        [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
        [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
        [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
        [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
    ];
}

struct KernelF4;
impl Matrix<3, 6> for KernelF4 {
    const M: [[f32; 3]; 6] = [
        [1.0 / 4.0, 0.0, 0.0],
        [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
        [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
        [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
        [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
        [0.0, 0.0, 1.0],
    ];
}

struct OutputF4;
impl Matrix<6, 4> for OutputF4 {
    const M: [[f32; 6]; 4] = [
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
        [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
        [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
    ];
}

impl Tiling<4, 6> for F4 {
    type Input = InputF4;
    type Kernel = KernelF4;
    type Output = OutputF4;
}

/// Whether F(4x4, 3x3) costs less than F(2x2, 3x3) for these outputs: per tile, its GEMMs do
/// 36 products against 16, counted over the tiles each needs to cover the output.
fn larger_tiles_pay(g: &Geom) -> bool {
    let tiles = |m: usize| g.o[1].div_ceil(m) * g.o[2].div_ceil(m);
    36 * tiles(4) < 16 * tiles(2)
}

/// The output tiles of one sample, `M` positions on a side.
#[derive(Debug, Clone, Copy)]
struct Grid<const M: usize> {
    rows: usize,
    cols: usize,
}

impl<const M: usize> Grid<M> {
    fn new(g: &Geom) -> Self {
        Grid {
            rows: g.o[1].div_ceil(M),
            cols: g.o[2].div_ceil(M),
        }
    }

    fn per_sample(self) -> usize {
        self.rows * self.cols
    }

    /// A cursor over the tiles of consecutive samples, in order.
    fn cursor(self) -> TileCursor<M> {
        TileCursor {
            grid: self,
            at: (0, 0, 0),
        }
    }
}

/// Walks tiles in order, yielding `(sample, row, col)` (no division per tile).
struct TileCursor<const M: usize> {
    grid: Grid<M>,
    at: (usize, usize, usize),
}

impl<const M: usize> TileCursor<M> {
    #[inline(always)]
    fn next(&mut self) -> (usize, usize, usize) {
        let here = self.at;
        let (n, r, q) = &mut self.at;
        *q += 1;
        if *q == self.grid.cols {
            *q = 0;
            *r += 1;
            if *r == self.grid.rows {
                *r = 0;
                *n += 1;
            }
        }
        here
    }
}

/// Where the elements of a square tile lie in a buffer: element `(i, j)` at
/// `base + i * di + j * dj`, present where bit `i * side + j` of `mask` is set (absent
/// elements, outside the input or output, read as zero and are not written). Offsets use
/// wrapping arithmetic: `base` may point before the buffer when the first row or column hangs
/// over the padding, but every present element's offset is in range.
#[derive(Debug, Clone, Copy)]
struct Place {
    base: usize,
    di: usize,
    dj: usize,
    mask: u64,
}

impl Place {
    /// Offset of element `(i, j)` if present.
    #[inline(always)]
    fn at(self, side: usize, i: usize, j: usize) -> Option<usize> {
        (self.mask >> (i * side + j) & 1 == 1).then(|| {
            self.base
                .wrapping_add(i.wrapping_mul(self.di))
                .wrapping_add(j.wrapping_mul(self.dj))
        })
    }
}

/// The bits of a `side x side` tile's rows in `rows` and columns in `cols` (bit `k`: row or
/// column `k` present).
#[inline(always)]
fn tile_mask(side: usize, rows: u64, cols: u64) -> u64 {
    (0..side)
        .filter(|i| rows >> i & 1 == 1)
        .fold(0, |m, i| m | cols << (i * side))
}

/// Bits `k` of `0..side` with `0 <= first + k < len`.
#[inline(always)]
fn inside(first: isize, side: usize, len: usize) -> u64 {
    (0..side)
        .filter(|&k| (0..len as isize).contains(&(first + k as isize)))
        .fold(0, |m, k| m | 1 << k)
}

/// The `side * side` transformed elements of item `t` in a `[e][item][channels]` buffer of
/// `items`.
#[inline(always)]
fn planes(side: usize, t: usize, items: usize, channels: usize) -> Place {
    let dj = items * channels;
    Place {
        base: t * channels,
        di: side * dj,
        dj,
        mask: u64::MAX,
    }
}

/// The taps of a `(3, 3, cin, cout)` kernel for input channel `ci`.
#[inline(always)]
fn taps(ci: usize, cin: usize, cout: usize) -> Place {
    let dj = cin * cout;
    Place {
        base: ci * cout,
        di: 3 * dj,
        dj,
        mask: (1 << 9) - 1,
    }
}

/// The input tile (`M + 2` on a side) of output tile `(sample, row, col)` in a chunk of whole
/// samples with `c` channels.
#[inline(always)]
fn input_positions<const M: usize>(g: &Geom, (n, r, q): (usize, usize, usize), c: usize) -> Place {
    let y0 = (M * r) as isize - g.pad[1] as isize;
    let x0 = (M * q) as isize - g.pad[2] as isize;
    let first = (n * g.in_positions()) as isize + y0 * g.s[2] as isize + x0;
    let side = M + 2;
    Place {
        base: (first * c as isize) as usize,
        di: g.s[2] * c,
        dj: c,
        mask: tile_mask(side, inside(y0, side, g.s[1]), inside(x0, side, g.s[2])),
    }
}

/// Output tile `(sample, row, col)` (`M` on a side) in a chunk of whole samples with `c`
/// channels.
#[inline(always)]
fn output_positions<const M: usize>(g: &Geom, (n, r, q): (usize, usize, usize), c: usize) -> Place {
    let (y0, x0) = (M * r, M * q);
    Place {
        base: (n * g.out_positions() + y0 * g.o[2] + x0) * c,
        di: g.o[2] * c,
        dj: c,
        mask: tile_mask(
            M,
            inside(y0 as isize, M, g.o[1]),
            inside(x0 as isize, M, g.o[2]),
        ),
    }
}

/// `C::M x` on SIMD vectors of channels; the matrix is a constant, so once inlined and
/// unrolled, zero coefficients cost nothing and unit ones no multiply.
#[inline(always)]
fn matvec<S: Simd, C: Matrix<I, O>, const I: usize, const O: usize>(
    s: S,
    x: &[S::f32s; I],
) -> [S::f32s; O] {
    let zero = s.splat_f32s(0.0);
    let mut out = [zero; O];
    for (row, y) in C::M.iter().zip(out.iter_mut()) {
        let mut acc: Option<S::f32s> = None;
        for (&c, &v) in row.iter().zip(x) {
            acc = match (acc, c) {
                (_, 0.0) => acc,
                (None, 1.0) => Some(v),
                (None, -1.0) => Some(s.neg_f32s(v)),
                (None, c) => Some(s.mul_f32s(s.splat_f32s(c), v)),
                (Some(a), 1.0) => Some(s.add_f32s(a, v)),
                (Some(a), -1.0) => Some(s.sub_f32s(a, v)),
                (Some(a), c) => Some(s.mul_add_e_f32s(s.splat_f32s(c), v, a)),
            };
        }
        *y = acc.unwrap_or(zero);
    }
    out
}

/// A SIMD vector from `x` (up to one vector of values, zeros past its end).
#[inline(always)]
fn load<S: Simd>(s: S, x: &[f32]) -> S::f32s {
    if x.len() == S::F32_LANES {
        S::as_simd_f32s(x).0[0]
    } else {
        s.partial_load_f32s(x)
    }
}

/// Writes the first `x.len()` lanes of `v` to `x`.
#[inline(always)]
fn store<S: Simd>(s: S, x: &mut [f32], v: S::f32s) {
    if x.len() == S::F32_LANES {
        S::as_mut_simd_f32s(x).0[0] = v;
    } else {
        s.partial_store_f32s(x, v);
    }
}

/// How a pass writes its transformed tiles.
#[derive(Clone, Copy)]
enum Write<'a> {
    /// Overwrite.
    Store,
    /// Add to what is there (overlapping input-gradient tiles).
    Add,
    /// Overwrite with the forward convolution's bias and relu applied.
    Epilogue(Epilogue<'a>),
}

/// One transform pass: for each of `items` tiles, read an `I x I` tile of channel vectors
/// from `src` at `offsets(item).0`, apply `C x C^T`, and write the `O x O` result to `dst` at
/// `offsets(item).1`.
struct TilePass<'a, C, F, const I: usize, const O: usize> {
    items: usize,
    channels: usize,
    offsets: F,
    src: &'a [f32],
    dst: &'a mut [f32],
    write: Write<'a>,
    transform: PhantomData<C>,
}

impl<C, F, const I: usize, const O: usize> WithSimd for TilePass<'_, C, F, I, O>
where
    C: Matrix<I, O>,
    F: FnMut(usize) -> (Place, Place),
{
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let TilePass {
            items,
            channels,
            offsets,
            src,
            dst,
            write,
            ..
        } = self;
        let zero = s.splat_f32s(0.0);
        // The column-transformed tile, every element rewritten for each tile (made once here:
        // zeroing it per tile would cost a memset each time).
        let mut cols = [[zero; O]; I];
        for_each_block(items, channels, S::F32_LANES, offsets, |from, to, lanes| {
            let Lanes { c0, w } = lanes;
            transform_tile::<S, C, I, O>(s, src, from, lanes, &mut cols, |i, y_row| {
                for (j, &v) in y_row.iter().enumerate() {
                    let Some(o) = to.at(O, i, j) else { continue };
                    let d = &mut dst[o + c0..][..w];
                    let v = match write {
                        Write::Store => v,
                        Write::Add => s.add_f32s(load(s, d), v),
                        Write::Epilogue(e) => {
                            let v = match e.bias {
                                Some(b) => s.add_f32s(v, load(s, &b[c0..][..w])),
                                None => v,
                            };
                            if e.relu {
                                s.max_f32s(v, zero)
                            } else {
                                v
                            }
                        }
                    };
                    store(s, d, v);
                }
            });
        });
    }
}

/// Calls `f(from, to, lanes)` for each of `items` tiles (placed by `offsets(item)`) and each
/// block of up to `vector` channels.
#[inline(always)]
fn for_each_block(
    items: usize,
    channels: usize,
    vector: usize,
    mut offsets: impl FnMut(usize) -> (Place, Place),
    mut f: impl FnMut(Place, Place, Lanes),
) {
    for item in 0..items {
        let (from, to) = offsets(item);
        let mut c0 = 0;
        while c0 < channels {
            let w = vector.min(channels - c0);
            f(from, to, Lanes { c0, w });
            c0 += w;
        }
    }
}

/// The channels a tile transform works on: `w` (at most one vector) from `c0`.
#[derive(Clone, Copy)]
struct Lanes {
    c0: usize,
    w: usize,
}

/// `C x C^T` of the `I x I` tile of channel vectors at `from` in `src` (channels `lanes`),
/// handing each row `i` of the `O x O` result to `row(i, values)`: down each column as it is
/// loaded, then along each row. `cols` is scratch for the column-transformed tile. (Plain
/// loops: `array::map`/`from_fn` over SIMD vectors are not always inlined, and then copy tiles
/// through memory.)
#[inline(always)]
fn transform_tile<S: Simd, C: Matrix<I, O>, const I: usize, const O: usize>(
    s: S,
    src: &[f32],
    from: Place,
    Lanes { c0, w }: Lanes,
    cols: &mut [[S::f32s; O]; I],
    mut row: impl FnMut(usize, [S::f32s; O]),
) {
    let zero = s.splat_f32s(0.0);
    for (j, col) in cols.iter_mut().enumerate() {
        let mut v = [zero; I];
        for (i, vi) in v.iter_mut().enumerate() {
            if let Some(o) = from.at(I, i, j) {
                *vi = load(s, &src[o + c0..][..w]);
            }
        }
        *col = matvec::<S, C, I, O>(s, &v);
    }
    for i in 0..O {
        let mut v = [zero; I];
        for (vj, col) in v.iter_mut().zip(cols.iter()) {
            *vj = col[i];
        }
        row(i, matvec::<S, C, I, O>(s, &v));
    }
}

/// The forward output transform with the bias, a relu and 2x2 max pooling (stride 2) applied
/// tile by tile: each `O x O` output tile (`O` even, tiles starting on even rows and columns)
/// becomes `O/2 x O/2` pooled values at `offsets(item).1` in `pooled`, and with `routes` their
/// routes (see `SamplePool::run_routed`) at the same offsets there. The unpooled output is
/// never written.
struct PooledOutputPass<'a, C, F, const I: usize, const O: usize> {
    items: usize,
    channels: usize,
    offsets: F,
    src: &'a [f32],
    bias: &'a [f32],
    pooled: &'a mut [f32],
    routes: Option<&'a mut [f32]>,
    transform: PhantomData<C>,
}

impl<C, F, const I: usize, const O: usize> WithSimd for PooledOutputPass<'_, C, F, I, O>
where
    C: Matrix<I, O>,
    F: FnMut(usize) -> (Place, Place),
{
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let PooledOutputPass {
            items,
            channels,
            offsets,
            src,
            bias,
            pooled,
            mut routes,
            ..
        } = self;
        let (zero, none) = (s.splat_f32s(0.0), s.splat_f32s(-1.0));
        let mut cols = [[zero; O]; I];
        let mut tile = [[zero; O]; O];
        for_each_block(items, channels, S::F32_LANES, offsets, |from, to, lanes| {
            let Lanes { c0, w } = lanes;
            let b = load(s, &bias[c0..][..w]);
            transform_tile::<S, C, I, O>(s, src, from, lanes, &mut cols, |i, r| {
                for (t, v) in tile[i].iter_mut().zip(r) {
                    *t = s.max_f32s(s.add_f32s(v, b), zero);
                }
            });
            for pi in 0..O / 2 {
                for pj in 0..O / 2 {
                    let Some(o) = to.at(O / 2, pi, pj) else {
                        continue;
                    };
                    // Window elements in window order; `max(y, m)` keeps `m` for a NaN `y`.
                    let ys = [
                        tile[2 * pi][2 * pj],
                        tile[2 * pi][2 * pj + 1],
                        tile[2 * pi + 1][2 * pj],
                        tile[2 * pi + 1][2 * pj + 1],
                    ];
                    let mut m = s.splat_f32s(f32::NEG_INFINITY);
                    for &y in &ys {
                        m = s.max_f32s(y, m);
                    }
                    store(s, &mut pooled[o + c0..][..w], m);
                    if let Some(routes) = routes.as_deref_mut() {
                        // Backwards, so the first element equal to the maximum is kept.
                        let positive = s.greater_than_f32s(m, zero);
                        let mut arg = none;
                        for (k, &y) in ys.iter().enumerate().rev() {
                            let hit = s.and_m32s(s.equal_f32s(y, m), positive);
                            arg = s.select_f32s(hit, s.splat_f32s(k as f32), arg);
                        }
                        store(s, &mut routes[o + c0..][..w], arg);
                    }
                }
            }
        });
    }
}

/// Runs one transform pass (see `TilePass`) on the instruction set `arch`.
fn tile_pass<C, F, const I: usize, const O: usize>(
    arch: Arch,
    items: usize,
    channels: usize,
    offsets: F,
    src: &[f32],
    dst: &mut [f32],
    write: Write<'_>,
) where
    C: Matrix<I, O>,
    F: FnMut(usize) -> (Place, Place),
{
    arch.dispatch(TilePass::<C, F, I, O> {
        items,
        channels,
        offsets,
        src,
        dst,
        write,
        transform: PhantomData,
    });
}

/// The three passes of one Winograd algorithm `W` over convolutions shaped like `g`.
struct Passes<'g, W, const M: usize, const T: usize> {
    g: &'g Geom,
    grid: Grid<M>,
    cout: usize,
    /// The instruction set of the transforms.
    arch: Arch,
    tiling: PhantomData<fn() -> W>,
}

impl<'g, W: Tiling<M, T>, const M: usize, const T: usize> Passes<'g, W, M, T> {
    /// Elements of a transformed tile.
    const ELEMENTS: usize = T * T;

    fn new(g: &'g Geom, cout: usize, arch: Arch) -> Self {
        Passes {
            g,
            grid: Grid::new(g),
            cout,
            arch,
            tiling: PhantomData,
        }
    }

    /// Chunks of samples, each with its transformed tiles in cache.
    fn chunks(&self) -> Chunks {
        let per_sample = self.grid.per_sample() * Self::ELEMENTS * (self.g.cin + self.cout);
        Chunks::new(self.g, per_sample, CHUNK_ELEMENTS)
    }

    /// `U[e][ci][co]` from a `(3, 3, cin, cout)` kernel.
    fn kernel_tiles(&self, k: &[f32], u: &mut [f32]) {
        let (cin, cout) = (self.g.cin, self.cout);
        let offsets = |ci: usize| (taps(ci, cin, cout), planes(T, ci, cin, cout));
        tile_pass::<W::Kernel, _, 3, T>(self.arch, cin, cout, offsets, k, u, Write::Store);
    }

    /// The `(3, 3, cin, cout)` kernel gradient from `dU[e][ci][co]`.
    fn kernel_grad_from_tiles(&self, du: &[f32], out: &mut [f32]) {
        let (cin, cout) = (self.g.cin, self.cout);
        let offsets = |ci: usize| (planes(T, ci, cin, cout), taps(ci, cin, cout));
        tile_pass::<Transposed<W::Kernel>, _, T, 3>(
            self.arch,
            cin,
            cout,
            offsets,
            du,
            out,
            Write::Store,
        );
    }

    /// `V = B^T d B` of every tile of the samples in `x` into `v` (`[e][tile][cin]`).
    fn input_tiles(&self, x: &[f32], samples: usize, v: &mut [f32]) {
        let (g, grid, c) = (self.g, self.grid, self.g.cin);
        let tiles = samples * grid.per_sample();
        let mut at = grid.cursor();
        let offsets = |t: usize| {
            (
                input_positions::<M>(g, at.next(), c),
                planes(T, t, tiles, c),
            )
        };
        tile_pass::<W::Input, _, T, T>(self.arch, tiles, c, offsets, x, v, Write::Store);
    }

    /// `Y = A^T M A` of every tile from `m` (`[e][tile][cout]`), with the epilogue, into `out`.
    fn output_tiles(&self, m: &[f32], samples: usize, epilogue: Epilogue<'_>, out: &mut [f32]) {
        let (g, grid, c) = (self.g, self.grid, self.cout);
        let tiles = samples * grid.per_sample();
        let mut at = grid.cursor();
        let offsets = |t: usize| {
            (
                planes(T, t, tiles, c),
                output_positions::<M>(g, at.next(), c),
            )
        };
        let write = Write::Epilogue(epilogue);
        tile_pass::<W::Output, _, T, M>(self.arch, tiles, c, offsets, m, out, write);
    }

    /// `dM = A dY A^T` of every tile of the output gradient `dy` into `dm` (`[e][tile][cout]`).
    fn output_grad_tiles(&self, dy: &[f32], samples: usize, dm: &mut [f32]) {
        let (g, grid, c) = (self.g, self.grid, self.cout);
        let tiles = samples * grid.per_sample();
        let mut at = grid.cursor();
        let offsets = |t: usize| {
            (
                output_positions::<M>(g, at.next(), c),
                planes(T, t, tiles, c),
            )
        };
        tile_pass::<Transposed<W::Output>, _, M, T>(
            self.arch,
            tiles,
            c,
            offsets,
            dy,
            dm,
            Write::Store,
        );
    }

    /// Adds `dd = B dV B^T` of every tile from `dv` (`[e][tile][cin]`) onto the input
    /// positions it covers in `dx` (zeroed by the caller; neighbouring tiles overlap).
    fn input_grad_tiles(&self, dv: &[f32], samples: usize, dx: &mut [f32]) {
        let (g, grid, c) = (self.g, self.grid, self.g.cin);
        let tiles = samples * grid.per_sample();
        let mut at = grid.cursor();
        let offsets = |t: usize| {
            (
                planes(T, t, tiles, c),
                input_positions::<M>(g, at.next(), c),
            )
        };
        tile_pass::<Transposed<W::Input>, _, T, T>(
            self.arch,
            tiles,
            c,
            offsets,
            dv,
            dx,
            Write::Add,
        );
    }

    /// The per-element products `C[e] = A[e] @ B[e]` (`m x k` by `k x n`), each operand's
    /// matrices stored one after another.
    fn element_products(
        (m, k, n): (usize, usize, usize),
        a: &[f32],
        sa: Strides,
        b: &[f32],
        sb: Strides,
        c: &mut [f32],
    ) -> Result<()> {
        let (ea, eb, ec) = (m * k, k * n, m * n);
        for e in 0..Self::ELEMENTS {
            let (ae, be) = (&a[e * ea..(e + 1) * ea], &b[e * eb..(e + 1) * eb]);
            let ce = &mut c[e * ec..(e + 1) * ec];
            sgemm(m, k, n, 1.0, ae, sa, be, sb, 0.0, ce)?;
        }
        Ok(())
    }

    /// Runs `f(u, first_sample, samples, tiles, part)` on each chunk `part` of `data`
    /// (`per_sample` elements per sample), with `u` the transformed kernel `k`.
    fn chunks_with_kernel(
        &self,
        k: &[f32],
        data: &mut [f32],
        per_sample: usize,
        f: impl Fn(&[f32], usize, usize, usize, &mut [f32]) -> Result<()> + Sync + Send,
    ) -> Result<()> {
        let chunks = self.chunks();
        with_scratch(Self::ELEMENTS * self.g.cin * self.cout, |u| {
            self.kernel_tiles(k, u);
            let u = &*u;
            chunks.for_each_mut(data, per_sample * chunks.samples, |c, part| {
                let (n0, samples) = (c * chunks.samples, part.len() / per_sample.max(1));
                f(u, n0, samples, samples * self.grid.per_sample(), part)
            })
        })
    }

    /// The transformed output tiles `M[e] = V[e] U[e]` of `samples` samples of `x` from the
    /// first, handed to `f` (with the transformed kernel `u`).
    fn forward_products(
        &self,
        u: &[f32],
        x: &[f32],
        (n0, samples): (usize, usize),
        f: impl FnOnce(&[f32]),
    ) -> Result<()> {
        let (g, cin, cout, e) = (self.g, self.g.cin, self.cout, Self::ELEMENTS);
        let per_in = g.in_positions() * cin;
        let tiles = samples * self.grid.per_sample();
        with_scratch(e * tiles * cin, |v| {
            self.input_tiles(&x[n0 * per_in..(n0 + samples) * per_in], samples, v);
            with_scratch(e * tiles * cout, |m| {
                let (sa, sb) = (
                    Strides::row_major(cin, false),
                    Strides::row_major(cout, false),
                );
                Self::element_products((tiles, cin, cout), v, sa, u, sb, m)?;
                f(m);
                Ok(())
            })
        })
    }

    /// Forward convolution of `x` by the `(3, 3, cin, cout)` kernel `k` into `out`, with the
    /// epilogue applied as tiles are written.
    fn conv(&self, x: &[f32], k: &[f32], epilogue: Epilogue<'_>, out: &mut [f32]) -> Result<()> {
        let per_out = self.g.out_positions() * self.cout;
        self.chunks_with_kernel(k, out, per_out, |u, n0, samples, _, part| {
            self.forward_products(u, x, (n0, samples), |m| {
                self.output_tiles(m, samples, epilogue, part)
            })
        })
    }

    /// `max_pool(relu(conv(x, k) + bias))` with 2x2 windows of stride 2 into `pooled`, and
    /// with `routes` each pooled element's route: pooled tile by tile in the output transform.
    fn conv_relu_max_pool(
        &self,
        x: &[f32],
        k: &[f32],
        bias: &[f32],
        pooled: &mut [f32],
        routes: Option<&mut [f32]>,
    ) -> Result<()> {
        let per_pooled = (self.g.o[1] / 2) * (self.g.o[2] / 2) * self.cout;
        let chunks = self.chunks();
        let size = per_pooled * chunks.samples;
        with_scratch(Self::ELEMENTS * self.g.cin * self.cout, |u| {
            self.kernel_tiles(k, u);
            let u = &*u;
            let chunk = |c: usize, part: &mut [f32], routes: Option<&mut [f32]>| {
                let (n0, samples) = (c * chunks.samples, part.len() / per_pooled.max(1));
                self.forward_products(u, x, (n0, samples), |m| {
                    self.pooled_output_tiles(m, samples, bias, part, routes)
                })
            };
            match routes {
                Some(r) => {
                    chunks.for_each_mut_zip(pooled, size, r, size, |c, p, r| chunk(c, p, Some(r)))
                }
                None => chunks.for_each_mut(pooled, size, |c, p| chunk(c, p, None)),
            }
        })
    }

    /// `output_tiles` with the bias, a relu and 2x2 max pooling: see `PooledOutputPass`.
    fn pooled_output_tiles(
        &self,
        m: &[f32],
        samples: usize,
        bias: &[f32],
        pooled: &mut [f32],
        routes: Option<&mut [f32]>,
    ) {
        let (g, grid, c) = (self.g, self.grid, self.cout);
        let tiles = samples * grid.per_sample();
        let (rows, cols) = (g.o[1] / 2, g.o[2] / 2);
        let half = M / 2;
        let mut at = grid.cursor();
        let offsets = |t: usize| {
            let (n, r, q) = at.next();
            let (y0, x0) = (half * r, half * q);
            let to = Place {
                base: (n * rows * cols + y0 * cols + x0) * c,
                di: cols * c,
                dj: c,
                mask: tile_mask(
                    half,
                    inside(y0 as isize, half, rows),
                    inside(x0 as isize, half, cols),
                ),
            };
            (planes(T, t, tiles, c), to)
        };
        self.arch.dispatch(PooledOutputPass::<W::Output, _, T, M> {
            items: tiles,
            channels: c,
            offsets,
            src: m,
            bias,
            pooled,
            routes,
            transform: PhantomData,
        });
    }

    /// Input gradient of the convolution by `k`, from `dy`.
    fn conv_grad_input(&self, dy: &[f32], k: &[f32], dx: &mut [f32]) -> Result<()> {
        let (g, cin, cout, e) = (self.g, self.g.cin, self.cout, Self::ELEMENTS);
        let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
        self.chunks_with_kernel(k, dx, per_in, |u, n0, samples, tiles, part| {
            with_scratch(e * tiles * cout, |dm| {
                let dys = &dy[n0 * per_out..(n0 + samples) * per_out];
                self.output_grad_tiles(dys, samples, dm);
                with_scratch(e * tiles * cin, |dv| {
                    let (sa, sb) = (
                        Strides::row_major(cout, false),
                        Strides::row_major(cout, true),
                    );
                    Self::element_products((tiles, cout, cin), dm, sa, u, sb, dv)?;
                    part.fill(0.0);
                    self.input_grad_tiles(dv, samples, part);
                    Ok(())
                })
            })
        })
    }

    /// `conv_grad_input` and `conv_grad_kernel` in one pass: each chunk's `dM` tiles serve
    /// the input gradient's products, then (their buffer reused for `V`) the kernel
    /// gradient's.
    fn conv_grads(
        &self,
        x: &[f32],
        dy: &[f32],
        k: &[f32],
        dx: &mut [f32],
        dk: &mut [f32],
    ) -> Result<()> {
        let (g, cin, cout, e) = (self.g, self.g.cin, self.cout, Self::ELEMENTS);
        let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
        let chunks = self.chunks();
        let per_partial = e * cin * cout;
        with_scratch(per_partial, |u| {
            self.kernel_tiles(k, u);
            let u = &*u;
            let chunk = |c: usize, dx_part: &mut [f32], du: &mut [f32]| {
                let (n0, samples) = (c * chunks.samples, dx_part.len() / per_in.max(1));
                let tiles = samples * self.grid.per_sample();
                with_scratch(e * tiles * cout, |dm| {
                    let dys = &dy[n0 * per_out..(n0 + samples) * per_out];
                    self.output_grad_tiles(dys, samples, dm);
                    with_scratch(e * tiles * cin, |dv| {
                        let (sa, sb) = (
                            Strides::row_major(cout, false),
                            Strides::row_major(cout, true),
                        );
                        Self::element_products((tiles, cout, cin), dm, sa, u, sb, dv)?;
                        dx_part.fill(0.0);
                        self.input_grad_tiles(dv, samples, dx_part);
                        let v = dv;
                        self.input_tiles(&x[n0 * per_in..(n0 + samples) * per_in], samples, v);
                        let (sa, sb) = (
                            Strides::row_major(cin, true),
                            Strides::row_major(cout, false),
                        );
                        Self::element_products((cin, tiles, cout), v, sa, dm, sb, du)
                    })
                })
            };
            with_scratch(chunks.count * per_partial, |partials| {
                let dx_size = per_in * chunks.samples;
                chunks.for_each_mut_zip(dx, dx_size, partials, per_partial, chunk)?;
                self.sum_kernel_partials(partials, dk);
                Ok(())
            })
        })
    }

    /// The kernel gradient from the per-chunk partial `dU` tiles: their sum in chunk order
    /// (deterministic), then `G^T dU G`.
    fn sum_kernel_partials(&self, partials: &[f32], out: &mut [f32]) {
        let per_partial = Self::ELEMENTS * self.g.cin * self.cout;
        with_scratch(per_partial, |du| {
            du.copy_from_slice(&partials[..per_partial]);
            for part in partials.chunks_exact(per_partial).skip(1) {
                du.iter_mut().zip(part).for_each(|(d, &p)| *d += p);
            }
            self.kernel_grad_from_tiles(du, out);
        });
    }

    /// Kernel gradient of the convolution of `x` from `dy`: per chunk the transformed products
    /// `dU[e] = V[e]^T dM[e]`, added in chunk order (deterministic), then `G^T dU G`.
    fn conv_grad_kernel(&self, x: &[f32], dy: &[f32], out: &mut [f32]) -> Result<()> {
        let (g, cin, cout, e) = (self.g, self.g.cin, self.cout, Self::ELEMENTS);
        let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
        let chunks = self.chunks();
        let per_partial = e * cin * cout;
        let partial = |c: usize, du: &mut [f32]| {
            let n0 = c * chunks.samples;
            let samples = chunks.samples.min(g.n - n0);
            let tiles = samples * self.grid.per_sample();
            with_scratch(e * tiles * cin, |v| {
                self.input_tiles(&x[n0 * per_in..(n0 + samples) * per_in], samples, v);
                with_scratch(e * tiles * cout, |dm| {
                    let dys = &dy[n0 * per_out..(n0 + samples) * per_out];
                    self.output_grad_tiles(dys, samples, dm);
                    let (sa, sb) = (
                        Strides::row_major(cin, true),
                        Strides::row_major(cout, false),
                    );
                    Self::element_products((cin, tiles, cout), v, sa, dm, sb, du)
                })
            })
        };
        with_scratch(chunks.count * per_partial, |partials| {
            chunks.for_each_mut(partials, per_partial, partial)?;
            self.sum_kernel_partials(partials, out);
            Ok(())
        })
    }
}

/// Whether `conv_relu_max_pool` applies: a Winograd convolution whose output is max-pooled by
/// 2x2 windows of stride 2 without padding (`pool`: the pooling's geometry).
pub(super) fn pools(g: &Geom, cout: usize, pool: &Geom) -> bool {
    applies(g, cout)
        && pool.k == [1, 2, 2]
        && pool.stride == [1, 2, 2]
        && pool.pad == [0, 0, 0]
        && pool.dil == [1, 1, 1]
}

/// `max_pool(relu(conv(x, k) + bias))` (2x2 windows, stride 2) into `pooled` and with `routes`
/// each pooled element's route, pooling each output tile in the output transform.
#[allow(clippy::too_many_arguments)]
pub(super) fn conv_relu_max_pool(
    x: &[f32],
    g: &Geom,
    k: &[f32],
    cout: usize,
    bias: &[f32],
    pooled: &mut [f32],
    routes: Option<&mut [f32]>,
) -> Result<()> {
    if larger_tiles_pay(g) {
        Passes::<F4, 4, 6>::new(g, cout, Arch::new()).conv_relu_max_pool(x, k, bias, pooled, routes)
    } else {
        Passes::<F2, 2, 4>::new(g, cout, Arch::new()).conv_relu_max_pool(x, k, bias, pooled, routes)
    }
}

/// Input and kernel gradients of the convolution of `x` (shaped like `g`) by `k`, from `dy`:
/// each chunk's output-gradient tiles are transformed once for both.
pub(super) fn conv_grads(
    x: &[f32],
    g: &Geom,
    dy: &[f32],
    k: &[f32],
    cout: usize,
    dx: &mut [f32],
    dk: &mut [f32],
) -> Result<()> {
    if larger_tiles_pay(g) {
        Passes::<F4, 4, 6>::new(g, cout, Arch::new()).conv_grads(x, dy, k, dx, dk)
    } else {
        Passes::<F2, 2, 4>::new(g, cout, Arch::new()).conv_grads(x, dy, k, dx, dk)
    }
}

/// Forward convolution of `x` by the `(3, 3, cin, cout)` kernel `k` into `out`, with the
/// epilogue applied as tiles are written.
pub(super) fn conv(
    x: &[f32],
    g: &Geom,
    k: &[f32],
    cout: usize,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) -> Result<()> {
    if larger_tiles_pay(g) {
        Passes::<F4, 4, 6>::new(g, cout, Arch::new()).conv(x, k, epilogue, out)
    } else {
        Passes::<F2, 2, 4>::new(g, cout, Arch::new()).conv(x, k, epilogue, out)
    }
}

/// Input gradient of the convolution of an `x` shaped like `g` by `k`, from `dy`.
pub(super) fn conv_grad_input(
    dy: &[f32],
    g: &Geom,
    k: &[f32],
    cout: usize,
    dx: &mut [f32],
) -> Result<()> {
    if larger_tiles_pay(g) {
        Passes::<F4, 4, 6>::new(g, cout, Arch::new()).conv_grad_input(dy, k, dx)
    } else {
        Passes::<F2, 2, 4>::new(g, cout, Arch::new()).conv_grad_input(dy, k, dx)
    }
}

/// Kernel gradient of the convolution of `x` (shaped like `g`) from `dy`.
pub(super) fn conv_grad_kernel(
    x: &[f32],
    g: &Geom,
    dy: &[f32],
    cout: usize,
    out: &mut [f32],
) -> Result<()> {
    if larger_tiles_pay(g) {
        Passes::<F4, 4, 6>::new(g, cout, Arch::new()).conv_grad_kernel(x, dy, out)
    } else {
        Passes::<F2, 2, 4>::new(g, cout, Arch::new()).conv_grad_kernel(x, dy, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Padding, Window};

    fn values(len: usize, salt: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919 + salt * 104_729) % 2000) as f32 / 1000.0 - 1.0)
            .collect()
    }

    /// Forward (with bias and relu), input gradient and kernel gradient by tiling `W` with the
    /// transforms on `arch`.
    fn passes<W: Tiling<M, T>, const M: usize, const T: usize>(
        g: &Geom,
        cout: usize,
        arch: Arch,
    ) -> [Vec<f32>; 3] {
        let p = Passes::<W, M, T>::new(g, cout, arch);
        let (x, k) = (
            values(g.n * g.in_positions() * g.cin, 1),
            values(9 * g.cin * cout, 2),
        );
        let (dy, bias) = (values(g.n * g.out_positions() * cout, 3), values(cout, 4));
        let mut y = vec![0.0; dy.len()];
        let epilogue = Epilogue {
            bias: Some(&bias),
            relu: true,
        };
        p.conv(&x, &k, epilogue, &mut y).unwrap();
        let mut dx = vec![0.0; x.len()];
        p.conv_grad_input(&dy, &k, &mut dx).unwrap();
        let mut dk = vec![0.0; k.len()];
        p.conv_grad_kernel(&x, &dy, &mut dk).unwrap();
        // Both gradients in one pass: the same values, bit for bit.
        let (mut dx_both, mut dk_both) = (vec![0.0; dx.len()], vec![0.0; dk.len()]);
        p.conv_grads(&x, &dy, &k, &mut dx_both, &mut dk_both)
            .unwrap();
        assert!(
            dx_both == dx && dk_both == dk,
            "conv_grads differs from the separate passes"
        );
        [y, dx, dk]
    }

    /// `max_pool(relu(conv + bias))` with routes, pooled in the output transform, against the
    /// same tiling's convolution followed by the pooling kernels.
    fn pooled_matches_conv_then_pool<W: Tiling<M, T>, const M: usize, const T: usize>(
        g: &Geom,
        cout: usize,
        arch: Arch,
    ) {
        let p = Passes::<W, M, T>::new(g, cout, arch);
        let (x, k, bias) = (
            values(g.n * g.in_positions() * g.cin, 1),
            values(9 * g.cin * cout, 2),
            values(cout, 4),
        );
        let mut y = vec![0.0; g.n * g.out_positions() * cout];
        let epilogue = Epilogue {
            bias: Some(&bias),
            relu: true,
        };
        p.conv(&x, &k, epilogue, &mut y).unwrap();
        let window = Window {
            strides: vec![2, 2],
            dilation: vec![1, 1],
            padding: Padding::Valid,
        };
        let ys = [g.n, g.o[1], g.o[2], cout];
        let pool = super::super::pool::SamplePool::new(
            crate::ops::PoolKind::Max,
            Geom::new(&ys, &[2, 2], &window).unwrap(),
        );
        assert!(pools(g, cout, &pool.g));
        let per_pooled = pool.g.out_positions() * cout;
        let (mut want, mut want_routes) =
            (vec![0.0; g.n * per_pooled], vec![0.0; g.n * per_pooled]);
        let per_y = g.out_positions() * cout;
        for n in 0..g.n {
            let at = n * per_pooled..(n + 1) * per_pooled;
            let (o, r) = (&mut want[at.clone()], &mut want_routes[at]);
            pool.run_routed(&y[n * per_y..(n + 1) * per_y], o, r);
        }
        let (mut got, mut routes) = (vec![0.0; want.len()], vec![0.0; want.len()]);
        p.conv_relu_max_pool(&x, &k, &bias, &mut got, Some(&mut routes))
            .unwrap();
        assert_eq!(got, want, "{arch:?}: pooled");
        assert_eq!(routes, want_routes, "{arch:?}: routes");
        let mut alone = vec![0.0; want.len()];
        p.conv_relu_max_pool(&x, &k, &bias, &mut alone, None)
            .unwrap();
        assert_eq!(alone, want, "{arch:?}: pooled without routes");
        let none = routes.iter().filter(|&&r| r < 0.0).count();
        assert!(
            none > 0 && none < routes.len(),
            "{none} of {} not routed",
            routes.len()
        );
    }

    #[test]
    fn output_tiles_pool_as_the_pooling_kernels_do() {
        // Outputs 7x11 (pooled 3x5: tiles hang over the pooled edge) and 8x6, 20 input and 19
        // output channels; F(4x4) and F(2x2) on every instruction set.
        let mut archs = vec![Arch::new(), Arch::Scalar];
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            archs.push(Arch::V3(v3));
        }
        let window = Window {
            strides: vec![1, 1],
            dilation: vec![1, 1],
            padding: Padding::Valid,
        };
        for (h, w) in [(9, 13), (10, 8)] {
            let g = Geom::new(&[2, h, w, 20], &[3, 3], &window).unwrap();
            for &arch in &archs {
                pooled_matches_conv_then_pool::<F4, 4, 6>(&g, 19, arch);
                pooled_matches_conv_then_pool::<F2, 2, 4>(&g, 19, arch);
            }
        }
    }

    #[test]
    fn every_instruction_set_computes_the_same_convolution() {
        // 20 input and 19 output channels: full vectors and a remainder at 16 (AVX-512) and 8
        // (AVX2) lanes; the scalar path is the reference.
        let mut archs = vec![Arch::new()];
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            archs.push(Arch::V3(v3));
        }
        for padding in [Padding::Valid, Padding::Same] {
            let window = Window {
                strides: vec![1, 1],
                dilation: vec![1, 1],
                padding,
            };
            let g = Geom::new(&[3, 9, 7, 20], &[3, 3], &window).unwrap();
            let cout = 19;
            let cases = [
                (passes::<F4, 4, 6>(&g, cout, Arch::Scalar), "F4"),
                (passes::<F2, 2, 4>(&g, cout, Arch::Scalar), "F2"),
            ];
            for &arch in &archs {
                let got = [
                    passes::<F4, 4, 6>(&g, cout, arch),
                    passes::<F2, 2, 4>(&g, cout, arch),
                ];
                for ((want, tiling), got) in cases.iter().zip(&got) {
                    for (which, (w, v)) in want.iter().zip(got).enumerate() {
                        for (a, b) in w.iter().zip(v) {
                            assert!(
                                (a - b).abs() <= 1e-4 * (1.0 + a.abs()),
                                "{tiling} {arch:?} output {which}: {b} vs {a}"
                            );
                        }
                    }
                }
            }
        }
    }
}
