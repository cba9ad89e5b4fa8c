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

use std::array;

use multiversion::multiversion;

use super::{with_scratch, Chunks, Epilogue, Geom, LANES};
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

/// One block of up to `LANES` channels.
type Lanes = [f32; LANES];
/// An `N x N` tile of scalars.
type Tile<const N: usize> = [[f32; N]; N];

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

    /// Calls `f(tile, sample, row, col)` for each tile of `samples` samples, `tile` counting
    /// from 0 across them.
    #[inline(always)]
    fn for_each(self, samples: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        let mut t = 0;
        for n in 0..samples {
            for r in 0..self.rows {
                for c in 0..self.cols {
                    f(t, n, r, c);
                    t += 1;
                }
            }
        }
    }
}

/// Chunks of samples for a Winograd pass over `g`.
fn chunks(g: &Geom, cout: usize) -> Chunks {
    let per_sample = Grid::new(g).per_sample() * ELEMENTS * (g.cin + cout);
    Chunks::new(g, per_sample, CHUNK_ELEMENTS)
}

/// `(first, width)` of each block of up to `LANES` of `c` channels.
fn blocks(c: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..c).step_by(LANES).map(move |c0| (c0, LANES.min(c - c0)))
}

/// A channel block from `src` (`width` values), zero-filled past its end.
#[inline(always)]
fn load(src: &[f32]) -> Lanes {
    match <&Lanes>::try_from(src) {
        Ok(l) => *l,
        Err(_) => {
            let mut l = [0.0; LANES];
            l[..src.len()].copy_from_slice(src);
            l
        }
    }
}

/// Writes the first `dst.len()` lanes of `v`.
#[inline(always)]
fn store(dst: &mut [f32], v: &Lanes) {
    match <&mut Lanes>::try_from(&mut *dst) {
        Ok(d) => *d = *v,
        Err(_) => {
            let w = dst.len();
            dst.copy_from_slice(&v[..w]);
        }
    }
}

/// `T x T^T` for the 1-D transform `T` (`f`): `f` down each column, then along each row.
#[inline(always)]
fn transform<const I: usize, const O: usize>(
    x: Tile<I>,
    f: impl Fn([f32; I]) -> [f32; O],
) -> Tile<O> {
    let mut half = [[0.0; I]; O];
    for j in 0..I {
        let col = f(array::from_fn(|i| x[i][j]));
        for o in 0..O {
            half[o][j] = col[o];
        }
    }
    array::from_fn(|o| f(half[o]))
}

/// Applies the 2-D transform `f` (an `I x I` tile to `O x O`) to each of `LANES` channels:
/// `src[i * I + j]` holds tile element `(i, j)` of every channel, `dst[o * O + p]` receives
/// element `(o, p)`. A loop over channels around straight-line scalar code, which the compiler
/// vectorizes across channels.
#[inline(always)]
fn transform_lanes<const I: usize, const O: usize>(
    src: &[Lanes],
    dst: &mut [Lanes],
    f: impl Fn([f32; I]) -> [f32; O] + Copy,
) {
    let (src, dst) = (&src[..I * I], &mut dst[..O * O]);
    for l in 0..LANES {
        let t = transform(array::from_fn(|i| array::from_fn(|j| src[i * I + j][l])), f);
        for o in 0..O {
            for p in 0..O {
                dst[o * O + p][l] = t[o][p];
            }
        }
    }
}

/// Kernel transform `G` (3 taps -> 4).
#[inline(always)]
fn kernel_1d([g0, g1, g2]: [f32; 3]) -> [f32; 4] {
    [g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2]
}

/// Input transform `B^T` (4 -> 4).
#[inline(always)]
fn input_1d([d0, d1, d2, d3]: [f32; 4]) -> [f32; 4] {
    [d0 - d2, d1 + d2, d2 - d1, d1 - d3]
}

/// Output transform `A^T` (4 -> 2).
#[inline(always)]
fn output_1d([m0, m1, m2, m3]: [f32; 4]) -> [f32; 2] {
    [m0 + m1 + m2, m1 - m2 - m3]
}

/// Adjoint of the output transform, `A` (2 -> 4).
#[inline(always)]
fn output_adjoint_1d([y0, y1]: [f32; 2]) -> [f32; 4] {
    [y0, y0 + y1, y0 - y1, -y1]
}

/// Adjoint of the input transform, `B` (4 -> 4).
#[inline(always)]
fn input_adjoint_1d([v0, v1, v2, v3]: [f32; 4]) -> [f32; 4] {
    [v0, v1 - v2 + v3, v1 + v2 - v0, -v3]
}

/// Adjoint of the kernel transform, `G^T` (4 -> 3 taps).
#[inline(always)]
fn kernel_adjoint_1d([u0, u1, u2, u3]: [f32; 4]) -> [f32; 3] {
    [u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3]
}

/// `U[e][ci][co]` from a `(3, 3, cin, cout)` kernel.
fn kernel_tiles(k: &[f32], cin: usize, cout: usize, u: &mut [f32]) {
    let (mut src, mut dst) = ([[0.0; LANES]; 9], [[0.0; LANES]; ELEMENTS]);
    for ci in 0..cin {
        for (c0, w) in blocks(cout) {
            for (tap, s) in src.iter_mut().enumerate() {
                *s = load(&k[(tap * cin + ci) * cout + c0..][..w]);
            }
            transform_lanes(&src, &mut dst, kernel_1d);
            for (e, d) in dst.iter().enumerate() {
                store(&mut u[(e * cin + ci) * cout + c0..][..w], d);
            }
        }
    }
}

/// The `(3, 3, cin, cout)` kernel gradient from `dU[e][ci][co]`.
fn kernel_grad_from_tiles(du: &[f32], cin: usize, cout: usize, out: &mut [f32]) {
    let (mut src, mut dst) = ([[0.0; LANES]; ELEMENTS], [[0.0; LANES]; 9]);
    for ci in 0..cin {
        for (c0, w) in blocks(cout) {
            for (e, s) in src.iter_mut().enumerate() {
                *s = load(&du[(e * cin + ci) * cout + c0..][..w]);
            }
            transform_lanes(&src, &mut dst, kernel_adjoint_1d);
            for (tap, d) in dst.iter().enumerate() {
                store(&mut out[(tap * cin + ci) * cout + c0..][..w], d);
            }
        }
    }
}

/// Input position (index into one sample) of element `(i, j)` of tile `(r, c)`, if inside.
#[inline(always)]
fn tile_source(g: &Geom, r: usize, c: usize, i: usize, j: usize) -> Option<usize> {
    let y = (2 * r + i).checked_sub(g.pad[1])?;
    let x = (2 * c + j).checked_sub(g.pad[2])?;
    (y < g.s[1] && x < g.s[2]).then_some(y * g.s[2] + x)
}

/// Output position (index into one sample) of element `(i, j)` of tile `(r, c)`, if inside.
#[inline(always)]
fn tile_target(g: &Geom, r: usize, c: usize, i: usize, j: usize) -> Option<usize> {
    let (y, x) = (2 * r + i, 2 * c + j);
    (y < g.o[1] && x < g.o[2]).then_some(y * g.o[2] + x)
}

/// `V = B^T d B` of every tile of the samples in `x` into `v` (`[e][tile][cin]`).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn input_tiles(g: &Geom, x: &[f32], samples: usize, v: &mut [f32]) {
    let (grid, c) = (Grid::new(g), g.cin);
    let (tiles, per_in) = (samples * grid.per_sample(), g.in_positions() * c);
    let (mut src, mut dst) = ([[0.0; LANES]; ELEMENTS], [[0.0; LANES]; ELEMENTS]);
    grid.for_each(samples, |t, n, r, q| {
        let xs = &x[n * per_in..(n + 1) * per_in];
        for (c0, w) in blocks(c) {
            for (e, s) in src.iter_mut().enumerate() {
                *s = match tile_source(g, r, q, e / 4, e % 4) {
                    Some(p) => load(&xs[p * c + c0..][..w]),
                    None => [0.0; LANES],
                };
            }
            transform_lanes(&src, &mut dst, input_1d);
            for (e, d) in dst.iter().enumerate() {
                store(&mut v[(e * tiles + t) * c + c0..][..w], d);
            }
        }
    });
}

/// `Y = A^T M A` of every tile from `m` (`[e][tile][cout]`), with the epilogue, into `out`.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn output_tiles(
    g: &Geom,
    cout: usize,
    m: &[f32],
    samples: usize,
    epilogue: Epilogue<'_>,
    out: &mut [f32],
) {
    let grid = Grid::new(g);
    let (tiles, per_out) = (samples * grid.per_sample(), g.out_positions() * cout);
    let (mut src, mut dst) = ([[0.0; LANES]; ELEMENTS], [[0.0; LANES]; 4]);
    grid.for_each(samples, |t, n, r, q| {
        let ys = &mut out[n * per_out..(n + 1) * per_out];
        for (c0, w) in blocks(cout) {
            for (e, s) in src.iter_mut().enumerate() {
                *s = load(&m[(e * tiles + t) * cout + c0..][..w]);
            }
            transform_lanes(&src, &mut dst, output_1d);
            let bias = epilogue.bias.map_or([0.0; LANES], |b| load(&b[c0..c0 + w]));
            for (e, d) in dst.iter_mut().enumerate() {
                if let Some(o) = tile_target(g, r, q, e / 2, e % 2) {
                    for (v, b) in d.iter_mut().zip(&bias) {
                        *v += b;
                    }
                    if epilogue.relu {
                        d.iter_mut().for_each(|v| *v = v.max(0.0));
                    }
                    store(&mut ys[o * cout + c0..][..w], d);
                }
            }
        }
    });
}

/// `dM = A dY A^T` of every tile of the output gradient `dy` into `dm` (`[e][tile][cout]`).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn output_grad_tiles(g: &Geom, cout: usize, dy: &[f32], samples: usize, dm: &mut [f32]) {
    let grid = Grid::new(g);
    let (tiles, per_out) = (samples * grid.per_sample(), g.out_positions() * cout);
    let (mut src, mut dst) = ([[0.0; LANES]; 4], [[0.0; LANES]; ELEMENTS]);
    grid.for_each(samples, |t, n, r, q| {
        let dys = &dy[n * per_out..(n + 1) * per_out];
        for (c0, w) in blocks(cout) {
            for (e, s) in src.iter_mut().enumerate() {
                *s = match tile_target(g, r, q, e / 2, e % 2) {
                    Some(o) => load(&dys[o * cout + c0..][..w]),
                    None => [0.0; LANES],
                };
            }
            transform_lanes(&src, &mut dst, output_adjoint_1d);
            for (e, d) in dst.iter().enumerate() {
                store(&mut dm[(e * tiles + t) * cout + c0..][..w], d);
            }
        }
    });
}

/// Adds `dd = B dV B^T` of every tile from `dv` (`[e][tile][cin]`) onto the input positions
/// it covers in `dx` (zeroed by the caller; neighbouring tiles overlap).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn input_grad_tiles(g: &Geom, dv: &[f32], samples: usize, dx: &mut [f32]) {
    let (grid, c) = (Grid::new(g), g.cin);
    let (tiles, per_in) = (samples * grid.per_sample(), g.in_positions() * c);
    let (mut src, mut dst) = ([[0.0; LANES]; ELEMENTS], [[0.0; LANES]; ELEMENTS]);
    grid.for_each(samples, |t, n, r, q| {
        let dxs = &mut dx[n * per_in..(n + 1) * per_in];
        for (c0, w) in blocks(c) {
            for (e, s) in src.iter_mut().enumerate() {
                *s = load(&dv[(e * tiles + t) * c + c0..][..w]);
            }
            transform_lanes(&src, &mut dst, input_adjoint_1d);
            for (e, d) in dst.iter().enumerate() {
                if let Some(p) = tile_source(g, r, q, e / 4, e % 4) {
                    let at = &mut dxs[p * c + c0..][..w];
                    let mut sum = load(at);
                    sum.iter_mut().zip(d).for_each(|(s, v)| *s += v);
                    store(at, &sum);
                }
            }
        }
    });
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
