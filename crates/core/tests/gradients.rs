//! Every differentiable op's backward rule checked against central finite differences.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rkeras_core::attrs::{AttrValue, Attrs};
use rkeras_core::autodiff::gradients;
use rkeras_core::ops::structural::NO_INDEX;
use rkeras_core::{Cpu, Feed, Graph, Program, Rng, Store};

fn rand_array(shape: &[usize], rng: &mut Rng, lo: f32, hi: f32) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let mut v = vec![0.0; n];
    rng.fill(
        rkeras_core::ops::Distribution::Uniform { low: lo, high: hi },
        &mut v,
    );
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn run(g: &Arc<Graph>, outs: Vec<usize>, feeds: &[ArrayD<f32>]) -> Vec<Vec<f32>> {
    let mut p: Program<Cpu> = Program::new(Arc::clone(g), outs, vec![]).unwrap();
    let mut store = Store::new();
    let mut rng = Rng::seeded(0);
    let f: Vec<Option<Feed>> = feeds
        .iter()
        .map(|a| {
            Some(Feed {
                shape: a.shape(),
                data: a.as_slice().unwrap(),
            })
        })
        .collect();
    p.run(&Cpu, &mut store, &f, &mut rng)
        .unwrap()
        .into_iter()
        .map(|t| t.data)
        .collect()
}

/// Checks d(sum(op(inputs) * w))/d(input_i) against central differences for each `wrt` input.
fn check(name: &str, attrs: Attrs, inputs: Vec<ArrayD<f32>>, wrt: &[usize]) {
    let mut g = Graph::new();
    let ids: Vec<usize> = inputs
        .iter()
        .map(|a| g.input(a.shape().iter().map(|&d| Some(d)).collect()))
        .collect();
    let y = g
        .add_named(name, &ids, &attrs)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let yshape: Vec<usize> = g.shape(y).unwrap().iter().map(|d| d.unwrap()).collect();
    let mut rng = Rng::seeded(7);
    let w = g.constant(rand_array(&yshape, &mut rng, 0.5, 1.5));
    let prod = g.add_named("multiply", &[y, w], &Attrs::new()).unwrap();
    let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
    let wrt_ids: Vec<usize> = wrt.iter().map(|&i| ids[i]).collect();
    let grads = gradients(&mut g, loss, &wrt_ids).unwrap_or_else(|e| panic!("{name}: {e}"));
    let g = Arc::new(g);
    let analytic = run(&g, grads.clone(), &inputs);
    let eps = 1e-2f32;
    for (k, &i) in wrt.iter().enumerate() {
        assert_eq!(analytic[k].len(), inputs[i].len(), "{name}: gradient shape");
        for (e, &a) in analytic[k].iter().enumerate() {
            let mut plus = inputs.clone();
            plus[i].as_slice_mut().unwrap()[e] += eps;
            let mut minus = inputs.clone();
            minus[i].as_slice_mut().unwrap()[e] -= eps;
            let lp = run(&g, vec![loss], &plus)[0][0] as f64;
            let lm = run(&g, vec![loss], &minus)[0][0] as f64;
            let numeric = (lp - lm) / (2.0 * eps as f64);
            let a = a as f64;
            let tol = 2e-2 + 2e-2 * numeric.abs();
            assert!(
                (a - numeric).abs() <= tol,
                "{name}: d/d input{i}[{e}] analytic {a} vs numeric {numeric}"
            );
        }
    }
}

fn arr(shape: &[usize], seed: u64) -> ArrayD<f32> {
    rand_array(shape, &mut Rng::seeded(seed), -1.0, 1.0)
}

fn pos(shape: &[usize], seed: u64) -> ArrayD<f32> {
    rand_array(shape, &mut Rng::seeded(seed), 0.5, 2.0)
}

/// Values at least 0.1 away from `kink`, for ops with a kink there.
fn away(shape: &[usize], seed: u64, kink: f32) -> ArrayD<f32> {
    arr(shape, seed).mapv(|v| if (v - kink).abs() < 0.1 { v + 0.25 } else { v })
}

/// Values spaced 0.08 apart in shuffled order (no ties for max/min, no zeros for prod).
fn distinct(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let mut v: Vec<f32> = (0..n).map(|i| 0.3 + 0.08 * i as f32).collect();
    Rng::seeded(seed).shuffle(&mut v);
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn a() -> Attrs {
    Attrs::new()
}

fn ints(v: &[i64]) -> AttrValue {
    AttrValue::Ints(v.to_vec())
}

#[test]
fn unary_ops() {
    for name in [
        "neg", "square", "exp", "sigmoid", "tanh", "softplus", "selu", "elu",
    ] {
        check(name, a(), vec![away(&[3, 4], 1, 0.0)], &[0]);
    }
    for name in ["sqrt", "log", "reciprocal"] {
        check(name, a(), vec![pos(&[3, 4], 2)], &[0]);
    }
    check("abs", a(), vec![away(&[3, 4], 3, 0.0)], &[0]);
    check("softsign", a(), vec![away(&[3, 4], 3, 0.0)], &[0]);
    check("relu", a(), vec![away(&[3, 4], 4, 0.0)], &[0]);
    let leaky = a()
        .with("alpha", AttrValue::Float(0.3))
        .with("max_value", AttrValue::Float(0.6));
    check(
        "relu",
        leaky,
        vec![away(&[3, 4], 5, 0.0).mapv(|v| if (v - 0.6).abs() < 0.1 { v + 0.25 } else { v })],
        &[0],
    );
    check(
        "hard_sigmoid",
        a(),
        vec![arr(&[3, 4], 6).mapv(|v| v * 2.0)],
        &[0],
    );
    let clip = a()
        .with("min_value", AttrValue::Float(-0.5))
        .with("max_value", AttrValue::Float(0.5));
    check(
        "clip",
        clip,
        vec![away(&[3, 4], 7, 0.5).mapv(|v| if (v + 0.5).abs() < 0.1 { v - 0.25 } else { v })],
        &[0],
    );
    check(
        "cast",
        a().with("dtype", AttrValue::Str("float32".into())),
        vec![arr(&[2, 3], 8)],
        &[0],
    );
    check("identity", a(), vec![arr(&[2, 3], 8)], &[0]);
    check("stop_gradient", a(), vec![arr(&[2, 3], 8)], &[]);
}

#[test]
fn binary_ops_with_broadcasting() {
    for name in ["add", "subtract", "multiply"] {
        check(
            name,
            a(),
            vec![arr(&[2, 3, 4], 1), arr(&[3, 1], 2)],
            &[0, 1],
        );
        check(name, a(), vec![arr(&[4], 3), arr(&[2, 4], 4)], &[0, 1]);
    }
    check("divide", a(), vec![arr(&[2, 3], 1), pos(&[3], 2)], &[0, 1]);
    check("pow", a(), vec![pos(&[2, 3], 1), arr(&[2, 3], 2)], &[0, 1]);
    let x = arr(&[3, 4], 5);
    let y = x.mapv(|v| v + 0.3) * arr(&[3, 4], 6).mapv(|v| if v > 0.0 { 1.0 } else { -1.0 });
    check("maximum", a(), vec![x.clone(), y.clone()], &[0, 1]);
    check("minimum", a(), vec![x, y], &[0, 1]);
    let cond = arr(&[3, 1], 9).mapv(|v| f32::from(v > 0.0));
    check(
        "where",
        a(),
        vec![cond, arr(&[3, 4], 10), arr(&[4], 11)],
        &[1, 2],
    );
}

#[test]
fn reductions() {
    for name in ["sum", "mean", "var", "std", "max", "min", "prod"] {
        for (axis, keep) in [
            (vec![1], false),
            (vec![0, 2], true),
            (vec![], false),
            (vec![-1], true),
        ] {
            let attrs = a()
                .with("axis", ints(&axis))
                .with("keepdims", AttrValue::Bool(keep));
            check(name, attrs, vec![distinct(&[2, 3, 4], 3)], &[0]);
        }
    }
}

#[test]
fn softmax_family() {
    for name in ["softmax", "log_softmax"] {
        check(name, a(), vec![arr(&[3, 5], 1)], &[0]);
        check(
            name,
            a().with("axis", AttrValue::Int(1)),
            vec![arr(&[2, 3, 4], 2)],
            &[0],
        );
    }
}

#[test]
fn matmul_variants() {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let sa: &[usize] = if ta { &[4, 3] } else { &[3, 4] };
        let sb: &[usize] = if tb { &[5, 4] } else { &[4, 5] };
        let attrs = a()
            .with("transpose_a", AttrValue::Bool(ta))
            .with("transpose_b", AttrValue::Bool(tb));
        check("matmul", attrs, vec![arr(sa, 1), arr(sb, 2)], &[0, 1]);
    }
    check(
        "matmul",
        a(),
        vec![arr(&[2, 3, 4], 3), arr(&[4, 2], 4)],
        &[0, 1],
    );
    check(
        "matmul",
        a(),
        vec![arr(&[2, 1, 3, 4], 5), arr(&[3, 4, 2], 6)],
        &[0, 1],
    );
}

#[test]
fn structural_ops() {
    check(
        "transpose",
        a().with("perm", ints(&[2, 0, 1])),
        vec![arr(&[2, 3, 4], 1)],
        &[0],
    );
    check(
        "reshape",
        a().with("shape", ints(&[0, -1])),
        vec![arr(&[2, 3, 4], 1)],
        &[0],
    );
    check(
        "expand_dims",
        a().with("axis", AttrValue::Int(1)),
        vec![arr(&[2, 3], 1)],
        &[0],
    );
    check(
        "squeeze",
        a().with("axis", AttrValue::Int(1)),
        vec![arr(&[2, 1, 3], 1)],
        &[0],
    );
    check(
        "concatenate",
        a().with("axis", AttrValue::Int(1)),
        vec![arr(&[2, 3], 1), arr(&[2, 2], 2), arr(&[2, 1], 3)],
        &[0, 1, 2],
    );
    let sl = a()
        .with("start", ints(&[NO_INDEX, 1, -1]))
        .with("stop", ints(&[NO_INDEX, NO_INDEX, 0]))
        .with("step", ints(&[1, 2, -1]));
    check("slice", sl, vec![arr(&[2, 5, 4], 1)], &[0]);
    check(
        "pad",
        a().with("pads", ints(&[1, 0, 2, 1])),
        vec![arr(&[2, 3], 1)],
        &[0],
    );
    let idx = ArrayD::from_shape_vec(IxDyn(&[4]), vec![2.0, 0.0, 2.0, 1.0]).unwrap();
    check(
        "gather",
        a().with("axis", AttrValue::Int(1)),
        vec![arr(&[2, 3, 2], 1), idx.clone()],
        &[0],
    );
    check(
        "gather",
        a(),
        vec![
            arr(&[3, 2], 2),
            idx.into_shape_with_order(IxDyn(&[2, 2])).unwrap(),
        ],
        &[0],
    );
    check(
        "tile",
        a().with("reps", ints(&[2, 3])),
        vec![arr(&[2, 3], 1)],
        &[0],
    );
    check(
        "repeat",
        a().with("repeats", AttrValue::Int(3))
            .with("axis", AttrValue::Int(1)),
        vec![arr(&[2, 3, 2], 1)],
        &[0],
    );
    check(
        "broadcast_like",
        a(),
        vec![arr(&[3, 1], 1), arr(&[2, 3, 4], 2)],
        &[0],
    );
    check(
        "sum_like",
        a(),
        vec![arr(&[2, 3, 4], 1), arr(&[3, 1], 2)],
        &[0],
    );
}

#[test]
fn second_order_through_gradient_nodes() {
    // d/dx of sum(d(sum(x^2 * w))/dx) exercises the backward rules of gradient ops.
    let mut g = Graph::new();
    let x = g.input(vec![Some(3)]);
    let sq = g.add_named("square", &[x], &a()).unwrap();
    let s = g.add_named("sum", &[sq], &a()).unwrap();
    let dx = gradients(&mut g, s, &[x]).unwrap()[0];
    let s2 = g.add_named("sum", &[dx], &a()).unwrap();
    let ddx = gradients(&mut g, s2, &[x]).unwrap()[0];
    let out = run(&Arc::new(g), vec![ddx], &[arr(&[3], 1)]);
    assert_eq!(out[0], vec![2.0, 2.0, 2.0]);
}

fn conv_attrs(strides: &[i64], dil: &[i64], padding: &str) -> Attrs {
    a().with("strides", ints(strides))
        .with("dilation_rate", ints(dil))
        .with("padding", AttrValue::Str(padding.into()))
}

#[test]
fn convolutions() {
    check(
        "conv",
        conv_attrs(&[1], &[1], "valid"),
        vec![arr(&[2, 5, 2], 1), arr(&[3, 2, 3], 2)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[2], &[1], "causal"),
        vec![arr(&[1, 6, 1], 1), arr(&[2, 1, 2], 2)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[1, 1], &[1, 1], "same"),
        vec![arr(&[2, 4, 3, 2], 3), arr(&[3, 2, 2, 3], 4)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[2, 1], &[1, 1], "same"),
        vec![arr(&[1, 5, 4, 1], 5), arr(&[3, 3, 1, 2], 6)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[1, 1], &[2, 1], "valid"),
        vec![arr(&[1, 6, 4, 2], 7), arr(&[2, 2, 2, 1], 8)],
        &[0, 1],
    );
    // More than 32 window columns: the im2col + GEMM kernels.
    check(
        "conv",
        conv_attrs(&[1, 1], &[1, 1], "valid"),
        vec![arr(&[2, 4, 4, 6], 11), arr(&[3, 2, 6, 2], 12)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[2, 2], &[1, 1], "same"),
        vec![arr(&[1, 5, 4, 6], 13), arr(&[3, 3, 6, 2], 14)],
        &[0, 1],
    );
    check(
        "conv",
        conv_attrs(&[1, 1, 1], &[1, 1, 1], "valid"),
        vec![arr(&[1, 3, 3, 3, 1], 9), arr(&[2, 2, 2, 1, 2], 10)],
        &[0, 1],
    );
    // 3x3, stride 1, 16+ channels: the Winograd kernels, F(4x4, 3x3) for 7x6 inputs and
    // F(2x2, 3x3) for 7x7 valid (5x5 outputs), odd output sides, 'same' padding.
    for (h, w, padding) in [(7, 6, "valid"), (7, 6, "same"), (7, 7, "valid")] {
        check(
            "conv",
            conv_attrs(&[1, 1], &[1, 1], padding),
            vec![arr(&[1, h, w, 16], 15), arr(&[3, 3, 16, 17], 16)],
            &[0, 1],
        );
    }
}

#[test]
fn depthwise_convolutions() {
    // (attrs, input shape, kernel shape (*k, C, M))
    let cases: [(Attrs, &[usize], &[usize]); 4] = [
        (
            conv_attrs(&[1, 1], &[1, 1], "valid"),
            &[2, 5, 4, 3],
            &[3, 2, 3, 1],
        ),
        (
            conv_attrs(&[2, 2], &[1, 1], "same"),
            &[1, 5, 5, 2],
            &[3, 3, 2, 2],
        ),
        (conv_attrs(&[1], &[2], "causal"), &[2, 6, 2], &[2, 2, 3]),
        (
            conv_attrs(&[1, 1, 1], &[1, 1, 1], "valid"),
            &[1, 3, 3, 2, 2],
            &[2, 2, 1, 2, 1],
        ),
    ];
    for (i, (attrs, xs, ks)) in cases.into_iter().enumerate() {
        let seed = 2 * i as u64;
        check(
            "depthwise_conv",
            attrs,
            vec![arr(xs, seed + 30), arr(ks, seed + 31)],
            &[0, 1],
        );
    }
}

#[test]
fn transposed_convolutions() {
    let t = |strides: &[i64], padding: &str| {
        a().with("strides", ints(strides))
            .with("padding", AttrValue::Str(padding.into()))
    };
    check(
        "conv_transpose",
        t(&[2, 2], "valid"),
        vec![arr(&[2, 3, 2, 2], 1), arr(&[3, 2, 3, 2], 2)],
        &[0, 1],
    );
    check(
        "conv_transpose",
        t(&[2, 1], "same"),
        vec![arr(&[1, 3, 3, 1], 3), arr(&[2, 3, 2, 1], 4)],
        &[0, 1],
    );
    check(
        "conv_transpose",
        t(&[2], "valid"),
        vec![arr(&[1, 4, 2], 5), arr(&[3, 1, 2], 6)],
        &[0, 1],
    );
    check(
        "conv_transpose",
        t(&[1, 1], "same").with("dilation_rate", ints(&[2, 1])),
        vec![arr(&[1, 4, 3, 2], 11), arr(&[3, 2, 2, 2], 12)],
        &[0, 1],
    );
    // output_padding (Keras: (in - 1) * stride + k - 2 * pad + output_padding).
    check(
        "conv_transpose",
        t(&[2, 3], "same").with("output_padding", ints(&[1, 2])),
        vec![arr(&[1, 3, 2, 2], 7), arr(&[3, 4, 2, 2], 8)],
        &[0, 1],
    );
    check(
        "conv_transpose",
        t(&[2], "valid").with("output_padding", ints(&[1])),
        vec![arr(&[2, 3, 1], 9), arr(&[3, 2, 1], 10)],
        &[0, 1],
    );
    // Keras's deconv_output_length: valid in*stride + max(k - stride, 0), same in*stride.
    let mut g = Graph::new();
    let x = g.input(vec![None, Some(5), Some(4), Some(3)]);
    let k = g.input(vec![Some(3), Some(1), Some(7), Some(3)]);
    let y = g
        .add_named("conv_transpose", &[x, k], &t(&[2, 3], "valid"))
        .unwrap();
    assert_eq!(
        g.shape(y).unwrap(),
        &vec![None, Some(11), Some(12), Some(7)]
    );
    let y = g
        .add_named("conv_transpose", &[x, k], &t(&[2, 3], "same"))
        .unwrap();
    assert_eq!(
        g.shape(y).unwrap(),
        &vec![None, Some(10), Some(12), Some(7)]
    );
}

#[test]
fn pooling() {
    for name in ["max_pool", "avg_pool"] {
        let p = |size: &[i64], strides: &[i64], padding: &str| {
            a().with("pool_size", ints(size))
                .with("strides", ints(strides))
                .with("padding", AttrValue::Str(padding.into()))
        };
        check(
            name,
            p(&[2, 2], &[2, 2], "valid"),
            vec![distinct(&[2, 4, 4, 2], 1)],
            &[0],
        );
        check(
            name,
            p(&[3, 3], &[2, 2], "same"),
            vec![distinct(&[1, 5, 5, 1], 2)],
            &[0],
        );
        check(
            name,
            p(&[2], &[1], "valid"),
            vec![distinct(&[2, 5, 3], 3)],
            &[0],
        );
        check(
            name,
            p(&[2, 2, 2], &[2, 2, 2], "valid"),
            vec![distinct(&[1, 4, 4, 2, 1], 4)],
            &[0],
        );
        // 'same' padding only after the input (3 -> 2 windows of 2, the last one padded).
        check(
            name,
            p(&[2, 2], &[2, 2], "same"),
            vec![distinct(&[1, 3, 3, 17], 6)],
            &[0],
        );
        // 19 channels: one full 16-lane block and a remainder; the last row and column lie
        // outside every window.
        check(
            name,
            p(&[2, 2], &[2, 2], "valid"),
            vec![distinct(&[1, 5, 5, 19], 5)],
            &[0],
        );
    }
}

#[test]
fn max_pool_gradient_goes_to_the_first_maximum_of_a_window() {
    for channels in [3, 17] {
        let mut g = Graph::new();
        let x = g.input(vec![Some(1), Some(2), Some(2), Some(channels)]);
        let attrs = a().with("pool_size", ints(&[2, 2]));
        let y = g.add_named("max_pool", &[x], &attrs).unwrap();
        let loss = g.add_named("sum", &[y], &Attrs::new()).unwrap();
        let dx = gradients(&mut g, loss, &[x]).unwrap()[0];
        let ones = ArrayD::from_elem(IxDyn(&[1, 2, 2, channels]), 1.0f32);
        let got = run(&Arc::new(g), vec![dx], &[ones]).remove(0);
        let mut want = vec![0.0; 4 * channels];
        want[..channels].fill(1.0);
        assert_eq!(got, want, "{channels} channels");
    }
}

/// Direct-loop 2-D convolution (NHWC, HWIO) with stride, dilation and explicit padding.
fn conv2d_reference(
    x: &ArrayD<f32>,
    k: &ArrayD<f32>,
    stride: usize,
    dil: usize,
    pad: (usize, usize),
    out_hw: (usize, usize),
) -> Vec<f32> {
    let (n, h, w, cin) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (kh, kw, cout) = (k.shape()[0], k.shape()[1], k.shape()[3]);
    let mut out = vec![0.0f32; n * out_hw.0 * out_hw.1 * cout];
    for b in 0..n {
        for oy in 0..out_hw.0 {
            for ox in 0..out_hw.1 {
                for co in 0..cout {
                    let mut acc = 0.0f64;
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = (oy * stride + ky * dil) as isize - pad.0 as isize;
                            let ix = (ox * stride + kx * dil) as isize - pad.1 as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            for ci in 0..cin {
                                acc += (x[[b, iy as usize, ix as usize, ci]] * k[[ky, kx, ci, co]])
                                    as f64;
                            }
                        }
                    }
                    out[((b * out_hw.0 + oy) * out_hw.1 + ox) * cout + co] = acc as f32;
                }
            }
        }
    }
    out
}

#[test]
fn conv_forward_matches_direct_loops() {
    // 3 input channels: 18 columns (direct kernel; 20 wide: full 8-position batches read in
    // place); 6: 36 columns (im2col + GEMM).
    for (cin, width) in [(3, 6), (6, 6), (3, 20)] {
        conv_matches_direct_loops_for(cin, width);
    }
}

/// Output length and padding before (TF arithmetic) of a window of `k` taps.
fn out_len(n: usize, k: usize, s: usize, d: usize, padding: &str) -> (usize, usize) {
    let span = d * (k - 1) + 1;
    if padding == "valid" {
        ((n - span) / s + 1, 0)
    } else {
        let out = n.div_ceil(s);
        (out, ((out - 1) * s + span).saturating_sub(n) / 2)
    }
}

/// Kernel gradient of a 2-D convolution (NHWC, HWIO) by direct loops.
fn conv2d_grad_kernel_reference(
    x: &ArrayD<f32>,
    dy: &ArrayD<f32>,
    kshape: &[usize],
    stride: usize,
    dil: usize,
    pad: (usize, usize),
) -> Vec<f32> {
    let (n, h, w, cin) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (oh, ow, cout) = (dy.shape()[1], dy.shape()[2], dy.shape()[3]);
    let (kh, kw) = (kshape[0], kshape[1]);
    let mut dk = vec![0.0f64; kh * kw * cin * cout];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..kh {
                    for kx in 0..kw {
                        let iy = (oy * stride + ky * dil) as isize - pad.0 as isize;
                        let ix = (ox * stride + kx * dil) as isize - pad.1 as isize;
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..cin {
                            let xv = x[[b, iy as usize, ix as usize, ci]] as f64;
                            for co in 0..cout {
                                dk[((ky * kw + kx) * cin + ci) * cout + co] +=
                                    xv * dy[[b, oy, ox, co]] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    dk.into_iter().map(|v| v as f32).collect()
}

fn conv_matches_direct_loops_for(cin: usize, width: usize) {
    let x = arr(&[2, 7, width, cin], 11);
    let k = arr(&[3, 2, cin, 4], 12);
    for (s, d, padding) in [
        (1, 1, "valid"),
        (2, 1, "valid"),
        (1, 1, "same"),
        (2, 1, "same"),
        (1, 2, "valid"),
    ] {
        let (oh, ph) = out_len(7, 3, s, d, padding);
        let (ow, pw) = out_len(width, 2, s, d, padding);
        let dy = arr(&[2, oh, ow, 4], 13);
        let mut g = Graph::new();
        let xi = g.input(x.shape().iter().map(|&v| Some(v)).collect());
        let ki = g.input(k.shape().iter().map(|&v| Some(v)).collect());
        let wi = g.input(dy.shape().iter().map(|&v| Some(v)).collect());
        let attrs = conv_attrs(&[s as i64, s as i64], &[d as i64, d as i64], padding);
        let y = g.add_named("conv", &[xi, ki], &attrs).unwrap();
        assert_eq!(
            g.shape(y).unwrap(),
            &vec![Some(2), Some(oh), Some(ow), Some(4)],
            "{padding} s{s} d{d}"
        );
        let prod = g.add_named("multiply", &[y, wi], &Attrs::new()).unwrap();
        let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
        let dk = gradients(&mut g, loss, &[ki]).unwrap()[0];
        let got = run(
            &Arc::new(g),
            vec![y, dk],
            &[x.clone(), k.clone(), dy.clone()],
        );
        let want = conv2d_reference(&x, &k, s, d, (ph, pw), (oh, ow));
        for (p, q) in got[0].iter().zip(&want) {
            assert!(
                (p - q).abs() < 1e-4,
                "{padding} s{s} d{d} w{width}: {p} vs {q}"
            );
        }
        let want_dk = conv2d_grad_kernel_reference(&x, &dy, k.shape(), s, d, (ph, pw));
        for (p, q) in got[1].iter().zip(&want_dk) {
            assert!(
                (p - q).abs() < 1e-3,
                "dK {padding} s{s} d{d} w{width}: {p} vs {q}"
            );
        }
    }
}

#[test]
fn conv_rejects_a_kernel_larger_than_the_input() {
    let mut g = Graph::new();
    let x = g.input(vec![None, Some(2), Some(2), Some(1)]);
    let k = g.input(vec![Some(3), Some(3), Some(1), Some(4)]);
    let err = g
        .add_named("conv", &[x, k], &conv_attrs(&[1, 1], &[1, 1], "valid"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("conv") && err.contains("larger"), "{err}");
    let k2 = g.input(vec![Some(1), Some(1), Some(2), Some(4)]);
    let err = g
        .add_named("conv", &[x, k2], &conv_attrs(&[1, 1], &[1, 1], "valid"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("channels"), "{err}");
}

/// Input, kernel and gradients of `sum(conv(x, k) * w)` for a batch `x`.
fn conv_with_gradients(x: &ArrayD<f32>, k: &ArrayD<f32>, w: &ArrayD<f32>) -> Vec<Vec<f32>> {
    let mut g = Graph::new();
    let xi = g.input(x.shape().iter().map(|&v| Some(v)).collect());
    let ki = g.input(k.shape().iter().map(|&v| Some(v)).collect());
    let wi = g.input(w.shape().iter().map(|&v| Some(v)).collect());
    let y = g
        .add_named("conv", &[xi, ki], &conv_attrs(&[1, 1], &[1, 1], "same"))
        .unwrap();
    let prod = g.add_named("multiply", &[y, wi], &Attrs::new()).unwrap();
    let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
    let grads = gradients(&mut g, loss, &[xi, ki]).unwrap();
    run(
        &Arc::new(g),
        vec![y, grads[0], grads[1]],
        &[x.clone(), k.clone(), w.clone()],
    )
}

#[test]
fn large_batches_split_into_chunks_match_small_batches() {
    // 300 samples of 9x9 with a 3x3 kernel: the im2col (8 -> 5 channels) and Winograd (16 ->
    // 16) kernels cut the batch into chunks run in parallel; each 10-sample slice run alone
    // takes the one-chunk path.
    for (cin, cout) in [(8, 5), (16, 16)] {
        chunks_match_slices(cin, cout);
    }
}

fn chunks_match_slices(cin: usize, cout: usize) {
    let (n, part) = (300, 10);
    let x = arr(&[n, 9, 9, cin], 21);
    let k = arr(&[3, 3, cin, cout], 22);
    let w = arr(&[n, 9, 9, cout], 23);
    let whole = conv_with_gradients(&x, &k, &w);
    let mut dk_sum = vec![0.0f32; k.len()];
    for p in 0..n / part {
        let rows = ndarray::s![p * part..(p + 1) * part, .., .., ..];
        let xs = x.slice(rows).to_owned().into_dyn();
        let ws = w.slice(rows).to_owned().into_dyn();
        let sliced = conv_with_gradients(&xs, &k, &ws);
        // Outputs and input gradients: slice p of the whole batch's.
        for out in [0, 1] {
            let want = &sliced[out];
            let got = &whole[out][p * want.len()..(p + 1) * want.len()];
            for (a, b) in got.iter().zip(want) {
                assert!((a - b).abs() < 1e-4, "output {out}, slice {p}: {a} vs {b}");
            }
        }
        dk_sum.iter_mut().zip(&sliced[2]).for_each(|(a, b)| *a += b);
    }
    for (a, b) in whole[2].iter().zip(&dk_sum) {
        assert!(
            (a - b).abs() < 1e-2 * (1.0 + b.abs()),
            "kernel gradient: {a} vs {b}"
        );
    }
}

#[test]
fn max_pool_ignores_nan_like_a_missing_value() {
    // One 2x2 window per channel, NaN first: the maximum of the rest (both the 16-lane block
    // and the remainder channels).
    let channels = 19;
    let mut g = Graph::new();
    let x = g.input(vec![Some(1), Some(2), Some(2), Some(channels)]);
    let y = g
        .add_named("max_pool", &[x], &a().with("pool_size", ints(&[2, 2])))
        .unwrap();
    let mut data = Vec::new();
    for v in [f32::NAN, 1.0, 3.0, 2.0] {
        data.extend(std::iter::repeat_n(v, channels));
    }
    let input = ArrayD::from_shape_vec(IxDyn(&[1, 2, 2, channels]), data).unwrap();
    let got = run(&Arc::new(g), vec![y], &[input]).remove(0);
    assert_eq!(got, vec![3.0; channels]);
}

#[test]
fn direct_kernels_match_loops_on_full_tiles_and_wide_outputs() {
    // 3 input channels, 3x3 window: 27 columns (the direct kernels); 19 output channels (a
    // 16-lane block and a remainder); 8x8 outputs per sample (full 8-position tiles).
    let (n, h, w, cin, cout) = (3, 10, 10, 3, 19);
    let x = arr(&[n, h, w, cin], 41);
    let k = arr(&[3, 3, cin, cout], 42);
    let dy = arr(&[n, h - 2, w - 2, cout], 43);
    let mut g = Graph::new();
    let xi = g.input(vec![None, Some(h), Some(w), Some(cin)]);
    let ki = g.input(vec![Some(3), Some(3), Some(cin), Some(cout)]);
    let wi = g.input(vec![None, Some(h - 2), Some(w - 2), Some(cout)]);
    let y = g
        .add_named("conv", &[xi, ki], &conv_attrs(&[1, 1], &[1, 1], "valid"))
        .unwrap();
    let prod = g.add_named("multiply", &[y, wi], &Attrs::new()).unwrap();
    let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
    let dk = gradients(&mut g, loss, &[ki]).unwrap()[0];
    let got = run(
        &Arc::new(g),
        vec![y, dk],
        &[x.clone(), k.clone(), dy.clone()],
    );
    let want_y = conv2d_reference(&x, &k, 1, 1, (0, 0), (h - 2, w - 2));
    for (a, b) in got[0].iter().zip(&want_y) {
        assert!((a - b).abs() < 1e-4, "forward: {a} vs {b}");
    }
    // dK[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh + kh, ow + kw, ci] * dy[n, oh, ow, co]
    for kh in 0..3 {
        for kw in 0..3 {
            for ci in 0..cin {
                for co in 0..cout {
                    let mut want = 0.0f32;
                    for b in 0..n {
                        for oh in 0..h - 2 {
                            for ow in 0..w - 2 {
                                want += x[[b, oh + kh, ow + kw, ci]] * dy[[b, oh, ow, co]];
                            }
                        }
                    }
                    let a = got[1][((kh * 3 + kw) * cin + ci) * cout + co];
                    assert!(
                        (a - want).abs() < 1e-3,
                        "dK[{kh},{kw},{ci},{co}]: {a} vs {want}"
                    );
                }
            }
        }
    }
}

/// Input gradient of a 2-D convolution (NHWC, HWIO, stride 1) by direct loops.
fn conv2d_grad_input_reference(
    dy: &ArrayD<f32>,
    k: &ArrayD<f32>,
    pad: (usize, usize),
    in_hw: (usize, usize),
) -> Vec<f32> {
    let (n, oh, ow, cout) = (dy.shape()[0], dy.shape()[1], dy.shape()[2], dy.shape()[3]);
    let cin = k.shape()[2];
    let mut dx = vec![0.0f64; n * in_hw.0 * in_hw.1 * cin];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..3 {
                    for kx in 0..3 {
                        let iy = (oy + ky) as isize - pad.0 as isize;
                        let ix = (ox + kx) as isize - pad.1 as isize;
                        if iy < 0 || ix < 0 || iy >= in_hw.0 as isize || ix >= in_hw.1 as isize {
                            continue;
                        }
                        let at = ((b * in_hw.0 + iy as usize) * in_hw.1 + ix as usize) * cin;
                        for ci in 0..cin {
                            for co in 0..cout {
                                dx[at + ci] += (dy[[b, oy, ox, co]] * k[[ky, kx, ci, co]]) as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}

#[test]
fn winograd_kernels_match_loops() {
    // 3x3 stride-1 convolutions with 17 input and 20 output channels (a 16-lane block and a
    // remainder): odd and even output sides, valid and same padding, by F(4x4, 3x3) (the first
    // three) and F(2x2, 3x3) (5x5 and 6x6 outputs, where larger tiles would waste more).
    for (h, w, padding, pad, out) in [
        (7, 9, "valid", (0, 0), (5, 7)),
        (8, 6, "same", (1, 1), (8, 6)),
        (9, 5, "same", (1, 1), (9, 5)),
        (7, 7, "valid", (0, 0), (5, 5)),
        (6, 6, "same", (1, 1), (6, 6)),
    ] {
        let (n, cin, cout) = (3, 17, 20);
        let x = arr(&[n, h, w, cin], 51);
        let k = arr(&[3, 3, cin, cout], 52);
        let bias = arr(&[cout], 53);
        let dy = arr(&[n, out.0, out.1, cout], 54);
        let mut g = Graph::new();
        let xi = g.input(vec![None, Some(h), Some(w), Some(cin)]);
        let ki = g.input(vec![Some(3), Some(3), Some(cin), Some(cout)]);
        let bi = g.input(vec![Some(cout)]);
        let wi = g.input(vec![None, Some(out.0), Some(out.1), Some(cout)]);
        let attrs = conv_attrs(&[1, 1], &[1, 1], padding);
        let y = g.add_named("conv", &[xi, ki], &attrs).unwrap();
        let yb = g.add_named("add", &[y, bi], &Attrs::new()).unwrap();
        let relu = g.add_named("relu", &[yb], &Attrs::new()).unwrap();
        let prod = g.add_named("multiply", &[y, wi], &Attrs::new()).unwrap();
        let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
        let grads = gradients(&mut g, loss, &[xi, ki]).unwrap();
        let got = run(
            &Arc::new(g),
            vec![y, relu, grads[0], grads[1]],
            &[x.clone(), k.clone(), bias.clone(), dy.clone()],
        );
        let want_y = conv2d_reference(&x, &k, 1, 1, pad, out);
        for (i, (a, b)) in got[0].iter().zip(&want_y).enumerate() {
            assert!((a - b).abs() < 1e-4, "{padding} forward [{i}]: {a} vs {b}");
            let want_relu = (b + bias[[i % cout]]).max(0.0);
            let r = got[1][i];
            assert!(
                (r - want_relu).abs() < 1e-4,
                "{padding} relu [{i}]: {r} vs {want_relu}"
            );
        }
        let want_dx = conv2d_grad_input_reference(&dy, &k, pad, (h, w));
        for (i, (a, b)) in got[2].iter().zip(&want_dx).enumerate() {
            assert!((a - b).abs() < 1e-4, "{padding} dx[{i}]: {a} vs {b}");
        }
        // dK = sum over n, oh, ow of x[n, oh + kh - pad, ow + kw - pad, ci] * dy[n, oh, ow, co]
        for kh in 0..3 {
            for kw in 0..3 {
                for ci in 0..cin {
                    for co in 0..cout {
                        let mut want = 0.0f64;
                        for b in 0..n {
                            for oh in 0..out.0 {
                                for ow in 0..out.1 {
                                    let iy = (oh + kh) as isize - pad.0 as isize;
                                    let ix = (ow + kw) as isize - pad.1 as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                        continue;
                                    }
                                    want += (x[[b, iy as usize, ix as usize, ci]]
                                        * dy[[b, oh, ow, co]])
                                        as f64;
                                }
                            }
                        }
                        let a = got[3][((kh * 3 + kw) * cin + ci) * cout + co] as f64;
                        assert!(
                            (a - want).abs() < 1e-3,
                            "{padding} dK[{kh},{kw},{ci},{co}]: {a} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
