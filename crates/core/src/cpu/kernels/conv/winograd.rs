//! Winograd F(2x2, 3x3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
//! Networks", 2015) for 3x3 windows with stride and dilation 1 over two spatial axes: each 2x2
//! output tile is `A^T [(G g G^T) . (B^T d B)] A`, so the sums over input channels become 16
//! GEMMs (one per element of the 4x4 transformed tile) with 2.25x fewer multiplies than
//! im2col's one GEMM. The input and kernel gradients run the adjoint of the same algorithm
//! (`B dV B^T` and `G^T dU G` from `dM = A dY A^T`), so all three passes save the same work.
//!
//! Transformed tiles are stored `[element][tile][channel]`: each element's tiles form one
//! contiguous row-major GEMM operand. Batches are cut into chunks of whole samples whose
//! transformed tiles stay in cache between the transforms and the GEMMs.

use std::marker::PhantomData;

use pulp::{Arch, Simd, WithSimd};

use super::{with_scratch, Chunks, Epilogue, Geom};
use crate::cpu::gemm::{sgemm, Strides};
use crate::error::Result;

/// Smallest input and output channel counts served: below them the 16 GEMMs are too shallow
/// (`k = cin`) to beat im2col's single GEMM nine times deeper.
const MIN_CHANNELS: usize = 16;
/// Smallest output height and width served: tiles hanging over the edge are wasted work.
const MIN_OUT: usize = 4;
/// Target size (elements) of one chunk's transformed tiles, input and output side together.
const CHUNK_ELEMENTS: usize = 1 << 19;
/// Elements of a transformed tile.
const ELEMENTS: usize = 16;

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

/// The 2x2 output tiles of one sample.
#[derive(Debug, Clone, Copy)]
struct Grid {
    rows: usize,
    cols: usize,
}

impl Grid {
    fn new(g: &Geom) -> Grid {
        Grid {
            rows: g.o[1].div_ceil(2),
            cols: g.o[2].div_ceil(2),
        }
    }

    fn per_sample(self) -> usize {
        self.rows * self.cols
    }

    /// `(sample, row, col)` of tile `t`, counting tiles across samples.
    #[inline(always)]
    fn locate(self, t: usize) -> (usize, usize, usize) {
        let (n, rest) = (t / self.per_sample(), t % self.per_sample());
        (n, rest / self.cols, rest % self.cols)
    }
}

/// Chunks of samples for a Winograd pass over `g`.
fn chunks(g: &Geom, cout: usize) -> Chunks {
    let per_sample = Grid::new(g).per_sample() * ELEMENTS * (g.cin + cout);
    Chunks::new(g, per_sample, CHUNK_ELEMENTS)
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
    mask: u16,
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
fn tile_mask(side: usize, rows: u16, cols: u16) -> u16 {
    (0..side)
        .filter(|i| rows >> i & 1 == 1)
        .fold(0, |m, i| m | cols << (i * side))
}

/// Bits `k` of `0..side` with `0 <= first + k < len`.
#[inline(always)]
fn inside(first: isize, side: usize, len: usize) -> u16 {
    (0..side)
        .filter(|&k| (0..len as isize).contains(&(first + k as isize)))
        .fold(0, |m, k| m | 1 << k)
}

/// The 16 transformed elements of item `t` in a `[e][item][channels]` buffer of `items`.
#[inline(always)]
fn planes(t: usize, items: usize, channels: usize) -> Place {
    let dj = items * channels;
    Place {
        base: t * channels,
        di: 4 * dj,
        dj,
        mask: u16::MAX,
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

/// The 4x4 input tile of tile `t` in a chunk of whole samples with `c` channels.
#[inline(always)]
fn input_positions(g: &Geom, grid: Grid, t: usize, c: usize) -> Place {
    let (n, r, q) = grid.locate(t);
    let y0 = (2 * r) as isize - g.pad[1] as isize;
    let x0 = (2 * q) as isize - g.pad[2] as isize;
    let first = (n * g.in_positions()) as isize + y0 * g.s[2] as isize + x0;
    Place {
        base: (first * c as isize) as usize,
        di: g.s[2] * c,
        dj: c,
        mask: tile_mask(4, inside(y0, 4, g.s[1]), inside(x0, 4, g.s[2])),
    }
}

/// The 2x2 output tile `t` in a chunk of whole samples with `c` channels.
#[inline(always)]
fn output_positions(g: &Geom, grid: Grid, t: usize, c: usize) -> Place {
    let (n, r, q) = grid.locate(t);
    let (y0, x0) = (2 * r, 2 * q);
    Place {
        base: (n * g.out_positions() + y0 * g.o[2] + x0) * c,
        di: g.o[2] * c,
        dj: c,
        mask: tile_mask(
            2,
            inside(y0 as isize, 2, g.o[1]),
            inside(x0 as isize, 2, g.o[2]),
        ),
    }
}

/// A 1-D transform of the algorithm (`I` values to `O`), on SIMD vectors of channels.
trait Transform1d<const I: usize, const O: usize> {
    fn apply<S: Simd>(s: S, x: [S::f32s; I]) -> [S::f32s; O];
}

/// Kernel transform `G` (3 taps -> 4).
struct KernelT;
impl Transform1d<3, 4> for KernelT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [g0, g1, g2]: [S::f32s; 3]) -> [S::f32s; 4] {
        let half = s.splat_f32s(0.5);
        let (outer, mid) = (s.add_f32s(g0, g2), s.mul_f32s(half, g1));
        let outer = s.mul_f32s(half, outer);
        [g0, s.add_f32s(outer, mid), s.sub_f32s(outer, mid), g2]
    }
}

/// Input transform `B^T` (4 -> 4).
struct InputT;
impl Transform1d<4, 4> for InputT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [d0, d1, d2, d3]: [S::f32s; 4]) -> [S::f32s; 4] {
        [
            s.sub_f32s(d0, d2),
            s.add_f32s(d1, d2),
            s.sub_f32s(d2, d1),
            s.sub_f32s(d1, d3),
        ]
    }
}

/// Output transform `A^T` (4 -> 2).
struct OutputT;
impl Transform1d<4, 2> for OutputT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [m0, m1, m2, m3]: [S::f32s; 4]) -> [S::f32s; 2] {
        [
            s.add_f32s(s.add_f32s(m0, m1), m2),
            s.sub_f32s(s.sub_f32s(m1, m2), m3),
        ]
    }
}

/// Adjoint of the output transform, `A` (2 -> 4).
struct OutputAdjointT;
impl Transform1d<2, 4> for OutputAdjointT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [y0, y1]: [S::f32s; 2]) -> [S::f32s; 4] {
        [y0, s.add_f32s(y0, y1), s.sub_f32s(y0, y1), s.neg_f32s(y1)]
    }
}

/// Adjoint of the input transform, `B` (4 -> 4).
struct InputAdjointT;
impl Transform1d<4, 4> for InputAdjointT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [v0, v1, v2, v3]: [S::f32s; 4]) -> [S::f32s; 4] {
        [
            v0,
            s.add_f32s(s.sub_f32s(v1, v2), v3),
            s.sub_f32s(s.add_f32s(v1, v2), v0),
            s.neg_f32s(v3),
        ]
    }
}

/// Adjoint of the kernel transform, `G^T` (4 -> 3 taps).
struct KernelAdjointT;
impl Transform1d<4, 3> for KernelAdjointT {
    #[inline(always)]
    fn apply<S: Simd>(s: S, [u0, u1, u2, u3]: [S::f32s; 4]) -> [S::f32s; 3] {
        let half = s.splat_f32s(0.5);
        let (sum, diff) = (
            s.mul_f32s(half, s.add_f32s(u1, u2)),
            s.mul_f32s(half, s.sub_f32s(u1, u2)),
        );
        [s.add_f32s(u0, sum), diff, s.add_f32s(sum, u3)]
    }
}

/// `T x T^T` for the 1-D transform `T`: down each column, then along each row. (Plain loops:
/// `array::map`/`from_fn` over SIMD vectors are not always inlined, and then copy tiles through
/// memory.)
#[inline(always)]
fn transform2d<S: Simd, T: Transform1d<I, O>, const I: usize, const O: usize>(
    s: S,
    x: &[[S::f32s; I]; I],
) -> [[S::f32s; O]; O] {
    let zero = s.splat_f32s(0.0);
    let mut cols = [[zero; O]; I];
    for (j, col) in cols.iter_mut().enumerate() {
        let mut v = [zero; I];
        for i in 0..I {
            v[i] = x[i][j];
        }
        *col = T::apply(s, v);
    }
    let mut out = [[zero; O]; O];
    for (o, row) in out.iter_mut().enumerate() {
        let mut v = [zero; I];
        for j in 0..I {
            v[j] = cols[j][o];
        }
        *row = T::apply(s, v);
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
/// from `src` at `offsets(item).0`, apply `T x T^T`, and write the `O x O` result to `dst` at
/// `offsets(item).1`.
struct TilePass<'a, T, F, const I: usize, const O: usize> {
    items: usize,
    channels: usize,
    offsets: F,
    src: &'a [f32],
    dst: &'a mut [f32],
    write: Write<'a>,
    transform: PhantomData<T>,
}

impl<T, F, const I: usize, const O: usize> WithSimd for TilePass<'_, T, F, I, O>
where
    T: Transform1d<I, O>,
    F: Fn(usize) -> (Place, Place),
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
        for item in 0..items {
            let (from, to) = offsets(item);
            let mut c0 = 0;
            while c0 < channels {
                let w = S::F32_LANES.min(channels - c0);
                let mut x = [[zero; I]; I];
                for (i, x_row) in x.iter_mut().enumerate() {
                    for (j, v) in x_row.iter_mut().enumerate() {
                        if let Some(o) = from.at(I, i, j) {
                            *v = load(s, &src[o + c0..][..w]);
                        }
                    }
                }
                let y = transform2d::<S, T, I, O>(s, &x);
                for (i, y_row) in y.iter().enumerate() {
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
                }
                c0 += w;
            }
        }
    }
}

/// Runs one transform pass (see `TilePass`) on the best SIMD this CPU has.
fn tile_pass<T, F, const I: usize, const O: usize>(
    items: usize,
    channels: usize,
    offsets: F,
    src: &[f32],
    dst: &mut [f32],
    write: Write<'_>,
) where
    T: Transform1d<I, O>,
    F: Fn(usize) -> (Place, Place),
{
    Arch::new().dispatch(TilePass::<T, F, I, O> {
        items,
        channels,
        offsets,
        src,
        dst,
        write,
        transform: PhantomData,
    });
}

/// `U[e][ci][co]` from a `(3, 3, cin, cout)` kernel.
fn kernel_tiles(k: &[f32], cin: usize, cout: usize, u: &mut [f32]) {
    let offsets = |ci: usize| (taps(ci, cin, cout), planes(ci, cin, cout));
    tile_pass::<KernelT, _, 3, 4>(cin, cout, offsets, k, u, Write::Store);
}

/// The `(3, 3, cin, cout)` kernel gradient from `dU[e][ci][co]`.
fn kernel_grad_from_tiles(du: &[f32], cin: usize, cout: usize, out: &mut [f32]) {
    let offsets = |ci: usize| (planes(ci, cin, cout), taps(ci, cin, cout));
    tile_pass::<KernelAdjointT, _, 4, 3>(cin, cout, offsets, du, out, Write::Store);
}

/// `V = B^T d B` of every tile of the samples in `x` into `v` (`[e][tile][cin]`).
fn input_tiles(g: &Geom, x: &[f32], samples: usize, v: &mut [f32]) {
    let (grid, c) = (Grid::new(g), g.cin);
    let tiles = samples * grid.per_sample();
    let offsets = |t: usize| (input_positions(g, grid, t, c), planes(t, tiles, c));
    tile_pass::<InputT, _, 4, 4>(tiles, c, offsets, x, v, Write::Store);
}

/// `Y = A^T M A` of every tile from `m` (`[e][tile][cout]`), with the epilogue, into `out`.
fn output_tiles(
    g: &Geom,
    cout: usize,
    m: &[f32],
    samples: usize,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) {
    let grid = Grid::new(g);
    let tiles = samples * grid.per_sample();
    let offsets = |t: usize| (planes(t, tiles, cout), output_positions(g, grid, t, cout));
    tile_pass::<OutputT, _, 4, 2>(tiles, cout, offsets, m, out, Write::Epilogue(epilogue));
}

/// `dM = A dY A^T` of every tile of the output gradient `dy` into `dm` (`[e][tile][cout]`).
fn output_grad_tiles(g: &Geom, cout: usize, dy: &[f32], samples: usize, dm: &mut [f32]) {
    let grid = Grid::new(g);
    let tiles = samples * grid.per_sample();
    let offsets = |t: usize| (output_positions(g, grid, t, cout), planes(t, tiles, cout));
    tile_pass::<OutputAdjointT, _, 2, 4>(tiles, cout, offsets, dy, dm, Write::Store);
}

/// Adds `dd = B dV B^T` of every tile from `dv` (`[e][tile][cin]`) onto the input positions
/// it covers in `dx` (zeroed by the caller; neighbouring tiles overlap).
fn input_grad_tiles(g: &Geom, dv: &[f32], samples: usize, dx: &mut [f32]) {
    let (grid, c) = (Grid::new(g), g.cin);
    let tiles = samples * grid.per_sample();
    let offsets = |t: usize| (planes(t, tiles, c), input_positions(g, grid, t, c));
    tile_pass::<InputAdjointT, _, 4, 4>(tiles, c, offsets, dv, dx, Write::Add);
}

/// The 16 per-element products `C[e] = A[e] @ B[e]` (`m x k` by `k x n`), `A[e]` and `C[e]`
/// contiguous row-major, `B[e]` the `e`-th `rows_b x cols_b` block of `b` (read transposed when
/// `transpose_b`).
#[allow(clippy::too_many_arguments)]
fn element_products(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    sa: Strides,
    b: &[f32],
    sb: Strides,
    c: &mut [f32],
) -> Result<()> {
    let (ea, eb, ec) = (m * k, k * n, m * n);
    for e in 0..ELEMENTS {
        let (ae, be) = (&a[e * ea..(e + 1) * ea], &b[e * eb..(e + 1) * eb]);
        sgemm(
            m,
            k,
            n,
            1.0,
            ae,
            sa,
            be,
            sb,
            0.0,
            &mut c[e * ec..(e + 1) * ec],
        )?;
    }
    Ok(())
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
    let cin = g.cin;
    let per_tile = Grid::new(g).per_sample();
    let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
    let chunks = chunks(g, cout);
    with_scratch(ELEMENTS * cin * cout, |u| {
        kernel_tiles(k, cin, cout, u);
        let u = &*u;
        chunks.for_each_mut(out, per_out * chunks.samples, |c, part| {
            let (n0, samples) = (c * chunks.samples, part.len() / per_out.max(1));
            let tiles = samples * per_tile;
            with_scratch(ELEMENTS * tiles * cin, |v| {
                input_tiles(g, &x[n0 * per_in..(n0 + samples) * per_in], samples, v);
                with_scratch(ELEMENTS * tiles * cout, |m| {
                    let (sa, sb) = (
                        Strides::row_major(cin, false),
                        Strides::row_major(cout, false),
                    );
                    element_products(tiles, cin, cout, v, sa, u, sb, m)?;
                    output_tiles(g, cout, m, samples, epilogue, part);
                    Ok(())
                })
            })
        })
    })
}

/// Input gradient of the convolution of an `x` shaped like `g` by `k`, from `dy`.
pub(super) fn conv_grad_input(
    dy: &[f32],
    g: &Geom,
    k: &[f32],
    cout: usize,
    dx: &mut [f32],
) -> Result<()> {
    let cin = g.cin;
    let per_tile = Grid::new(g).per_sample();
    let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
    let chunks = chunks(g, cout);
    with_scratch(ELEMENTS * cin * cout, |u| {
        kernel_tiles(k, cin, cout, u);
        let u = &*u;
        chunks.for_each_mut(dx, per_in * chunks.samples, |c, part| {
            let (n0, samples) = (c * chunks.samples, part.len() / per_in.max(1));
            let tiles = samples * per_tile;
            with_scratch(ELEMENTS * tiles * cout, |dm| {
                output_grad_tiles(
                    g,
                    cout,
                    &dy[n0 * per_out..(n0 + samples) * per_out],
                    samples,
                    dm,
                );
                with_scratch(ELEMENTS * tiles * cin, |dv| {
                    let (sa, sb) = (
                        Strides::row_major(cout, false),
                        Strides::row_major(cout, true),
                    );
                    element_products(tiles, cout, cin, dm, sa, u, sb, dv)?;
                    part.fill(0.0);
                    input_grad_tiles(g, dv, samples, part);
                    Ok(())
                })
            })
        })
    })
}

/// Kernel gradient of the convolution of `x` (shaped like `g`) from `dy`: per chunk the
/// transformed products `dU[e] = V[e]^T dM[e]`, added in chunk order (deterministic), then
/// `G^T dU G`.
pub(super) fn conv_grad_kernel(
    x: &[f32],
    g: &Geom,
    dy: &[f32],
    cout: usize,
    out: &mut [f32],
) -> Result<()> {
    let cin = g.cin;
    let per_tile = Grid::new(g).per_sample();
    let (per_in, per_out) = (g.in_positions() * cin, g.out_positions() * cout);
    let chunks = chunks(g, cout);
    let per_partial = ELEMENTS * cin * cout;
    let partial = |c: usize, du: &mut [f32]| {
        let n0 = c * chunks.samples;
        let samples = chunks.samples.min(g.n - n0);
        let tiles = samples * per_tile;
        with_scratch(ELEMENTS * tiles * cin, |v| {
            input_tiles(g, &x[n0 * per_in..(n0 + samples) * per_in], samples, v);
            with_scratch(ELEMENTS * tiles * cout, |dm| {
                output_grad_tiles(
                    g,
                    cout,
                    &dy[n0 * per_out..(n0 + samples) * per_out],
                    samples,
                    dm,
                );
                let (sa, sb) = (
                    Strides::row_major(cin, true),
                    Strides::row_major(cout, false),
                );
                element_products(cin, tiles, cout, v, sa, dm, sb, du)
            })
        })
    };
    with_scratch(chunks.count * per_partial, |partials| {
        chunks.for_each_mut(partials, per_partial, partial)?;
        with_scratch(per_partial, |du| {
            du.copy_from_slice(&partials[..per_partial]);
            for part in partials.chunks_exact(per_partial).skip(1) {
                du.iter_mut().zip(part).for_each(|(d, &p)| *d += p);
            }
            kernel_grad_from_tiles(du, cin, cout, out);
        });
        Ok(())
    })
}
