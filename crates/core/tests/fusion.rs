//! The fusion pass (`rkeras_core::fuse`): fused programs compute what the unfused graph does.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rkeras_core::attrs::{AttrValue, Attrs};
use rkeras_core::autodiff::gradients;
use rkeras_core::{Cpu, Feed, Graph, NodeId, Op, Program, Rng, Store};

fn arr(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let mut v = vec![0.0; n];
    Rng::seeded(seed).fill(
        rkeras_core::ops::Distribution::Uniform {
            low: -1.0,
            high: 1.0,
        },
        &mut v,
    );
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// `sum(act(conv(x, k) + b) * w)` (with `"pooled"`: `sum(max_pool(relu(...)) * w)`) and its
/// gradients for x, k and b; returns the graph, the add node, the activation node and the nodes
/// to fetch (loss, output, dx, dk, db).
fn model(cin: usize, relu: &str) -> (Graph, NodeId, NodeId, Vec<NodeId>) {
    model_wrt(cin, relu, true)
}

/// Output channels of `model`'s convolution: 4, or 16 for 16+ input channels (the Winograd
/// kernels need at least 16 each way).
fn out_channels(cin: usize) -> usize {
    if cin >= 16 {
        16
    } else {
        4
    }
}

/// `model`, differentiated for `x` too only when `wrt_x` (a first layer's input is not).
fn model_wrt(cin: usize, relu: &str, wrt_x: bool) -> (Graph, NodeId, NodeId, Vec<NodeId>) {
    let mut g = Graph::new();
    let cout = out_channels(cin);
    let x = g.input(vec![None, Some(6), Some(5), Some(cin)]);
    let k = g.input(vec![Some(3), Some(3), Some(cin), Some(cout)]);
    let b = g.input(vec![Some(cout)]);
    let w = match relu {
        "pooled" | "avg_pooled" => g.input(vec![None, Some(3), Some(2), Some(cout)]),
        _ => g.input(vec![None, Some(6), Some(5), Some(cout)]),
    };
    let attrs = Attrs::new().with("padding", AttrValue::Str("same".into()));
    let c = g.add_named("conv", &[x, k], &attrs).unwrap();
    let add = g.add_named("add", &[c, b], &Attrs::new()).unwrap();
    let act_attrs = match relu {
        "leaky" => Attrs::new().with("alpha", AttrValue::Float(0.1)),
        _ => Attrs::new(),
    };
    let act = g.add_named("relu", &[add], &act_attrs).unwrap();
    let out = match relu {
        "pooled" => g.add_named("max_pool", &[act], &Attrs::new()).unwrap(),
        "avg_pooled" => g.add_named("avg_pool", &[act], &Attrs::new()).unwrap(),
        _ => act,
    };
    let prod = g.add_named("multiply", &[out, w], &Attrs::new()).unwrap();
    let loss = g.add_named("sum", &[prod], &Attrs::new()).unwrap();
    let wrt = if wrt_x { vec![x, k, b] } else { vec![k, b] };
    let grads = gradients(&mut g, loss, &wrt).unwrap();
    let mut fetch = vec![loss, act];
    fetch.extend(grads);
    (g, add, act, fetch)
}

fn run(g: Graph, outputs: Vec<NodeId>, cin: usize) -> (Program<Cpu>, Vec<Vec<f32>>) {
    let w_shape: Vec<usize> = g.nodes()[g.inputs()[3]].shape[1..]
        .iter()
        .map(|d| d.unwrap())
        .collect();
    let feeds = [
        arr(&[3, 6, 5, cin], 1),
        arr(&[3, 3, cin, out_channels(cin)], 2),
        arr(&[out_channels(cin)], 3),
        arr(&[&[3], &w_shape[..]].concat(), 4),
    ];
    let mut p: Program<Cpu> = Program::new(Arc::new(g), outputs, vec![]).unwrap();
    let f: Vec<Option<Feed>> = feeds
        .iter()
        .map(|a| {
            Some(Feed {
                shape: a.shape(),
                data: a.as_slice().unwrap(),
            })
        })
        .collect();
    let out = p
        .run(&Cpu, &mut Store::new(), &f, &mut Rng::seeded(0))
        .unwrap()
        .into_iter()
        .map(|t| t.data)
        .collect();
    (p, out)
}

fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>]) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y) {
            assert!(
                (p - q).abs() <= 1e-4 * (1.0 + q.abs()),
                "fetch {i}: {p} vs {q}"
            );
        }
    }
}

#[test]
fn conv_bias_relu_fuses_and_matches_the_unfused_graph() {
    // 2 input channels: 18 window columns (direct kernel); 6: 54 (im2col + GEMM); 16: the
    // Winograd kernels.
    for cin in [2, 6, 16] {
        let (g, add, act, fetch) = model(cin, "plain");
        let (fused, got) = run(g.clone(), fetch.clone(), cin);
        assert!(matches!(
            fused.graph().node(act).unwrap().op,
            Op::ConvBias { relu: true, .. }
        ));
        // Fetching the add's output keeps it, which turns the rewrite off.
        let mut unfused_fetch = fetch.clone();
        unfused_fetch.push(add);
        let (unfused, want) = run(g, unfused_fetch, cin);
        assert!(matches!(
            unfused.graph().node(act).unwrap().op,
            Op::Unary(_)
        ));
        assert_close(&got, &want[..fetch.len()]);
    }
}

#[test]
fn a_leaky_relu_is_left_alone_but_the_bias_is_fused() {
    let (g, add, act, fetch) = model(6, "leaky");
    let (fused, got) = run(g.clone(), fetch.clone(), 6);
    assert!(matches!(
        fused.graph().node(add).unwrap().op,
        Op::ConvBias { relu: false, .. }
    ));
    assert!(matches!(fused.graph().node(act).unwrap().op, Op::Unary(_)));
    let mut unfused_fetch = fetch.clone();
    unfused_fetch.push(add);
    let (_, want) = run(g, unfused_fetch, 6);
    assert_close(&got, &want[..fetch.len()]);
}

#[test]
fn a_pooling_gradient_takes_the_relu_mask() {
    for pooling in ["pooled", "avg_pooled"] {
        pooling_gradient_takes_the_relu_mask(pooling);
    }
}

fn pooling_gradient_takes_the_relu_mask(pooling: &str) {
    let (g, add, _, fetch) = model(6, pooling);
    let (fused, got) = run(g.clone(), fetch.clone(), 6);
    let masked = fused.graph().nodes().iter().filter(|n| {
        matches!(
            n.op,
            Op::PoolGrad {
                relu_mask: true,
                ..
            }
        )
    });
    assert_eq!(masked.count(), 1);
    let mut unfused_fetch = fetch.clone();
    unfused_fetch.push(add);
    let (unfused, want) = run(g, unfused_fetch, 6);
    let masked = unfused.graph().nodes().iter().filter(|n| {
        matches!(
            n.op,
            Op::PoolGrad {
                relu_mask: true,
                ..
            }
        )
    });
    assert_eq!(masked.count(), 0);
    assert_close(&got, &want[..fetch.len()]);
}

#[test]
fn a_first_layers_forward_pools_in_cache_and_hands_its_routes_to_the_kernel_gradient() {
    // Without the relu output among the fetches, nothing else reads it: the convolution
    // becomes conv + relu + pool with routes (the pooling node reading its pooled values).
    // With 2 input channels (18 window columns) the kernel and bias gradients read the routes
    // and make the pooling gradient themselves; with 6 (54 columns) a routed pooling gradient
    // takes the pooling gradient's place. A fetched relu output turns both off.
    for (cin, fetch_act, first_layer) in [(2, false, true), (6, false, false), (2, true, false)] {
        let (g, add, _, fetch) = model_wrt(cin, "pooled", false);
        let fetch: Vec<NodeId> = if fetch_act {
            fetch
        } else {
            [fetch[0]]
                .into_iter()
                .chain(fetch[2..].iter().copied())
                .collect()
        };
        let (fused, got) = run(g.clone(), fetch.clone(), cin);
        let count = |p: &Program<Cpu>, f: fn(&Op) -> bool| {
            p.graph().nodes().iter().filter(|n| f(&n.op)).count()
        };
        // Two two-output ops: conv + relu + pool with its routes, and the bias and kernel
        // gradients from them.
        let kinds: [fn(&Op) -> bool; 2] = [
            |op| matches!(op, Op::ConvReluMaxPool { routes: true, .. }),
            |op| {
                matches!(
                    op,
                    Op::ConvGradKernelPooled {
                        with_bias: true,
                        ..
                    }
                )
            },
        ];
        let nodes = fused.graph().nodes();
        let case = format!("{cin} channels, act {fetch_act}");
        for (kind, want) in kinds.into_iter().zip([!fetch_act, first_layer]) {
            assert_eq!(count(&fused, kind), usize::from(want), "{case}");
            let second = nodes.iter().filter(|n| {
                matches!(n.op, Op::Output { index: 1 }) && kind(&nodes[n.inputs[0]].op)
            });
            assert_eq!(second.count(), usize::from(want), "{case}");
        }
        let routed = |op: &Op| matches!(op, Op::MaxPoolGradRouted { .. });
        let want = usize::from(!fetch_act && !first_layer);
        assert_eq!(count(&fused, routed), want, "{case}");
        let mut unfused_fetch = fetch.clone();
        unfused_fetch.push(add);
        let (unfused, want) = run(g, unfused_fetch, cin);
        assert_eq!(count(&unfused, kinds[0]), 0);
        assert_close(&got, &want[..fetch.len()]);
    }
}

#[test]
fn a_first_layers_forward_alone_pools_in_cache_without_routes() {
    let (g, _, _, fetch) = model_wrt(2, "pooled", false);
    // The loss alone: a forward pass, as in a predict program.
    let (fused, got) = run(g.clone(), vec![fetch[0]], 2);
    let fused_op = |op: &Op| matches!(op, Op::ConvReluMaxPool { routes: false, .. });
    assert_eq!(
        fused
            .graph()
            .nodes()
            .iter()
            .filter(|n| fused_op(&n.op))
            .count(),
        1
    );
    let (_, want) = run(g, fetch, 2);
    assert_close(&got, &want[..1]);
}

#[test]
fn a_bias_gradient_below_a_pooling_is_summed_by_the_pooling_gradient() {
    // 6 input channels: the first-layer fusion stays off, so the bias gradient sums the
    // (relu-masked) pooling gradient. The reference: the gradient for the bias add's output,
    // made again and summed here.
    for pooling in ["pooled", "avg_pooled"] {
        let (mut g, add, _, fetch) = model(6, pooling);
        let d_add = gradients(&mut g, fetch[0], &[add]).unwrap()[0];
        let (fused, got) = run(g.clone(), [&fetch[..], &[d_add]].concat(), 6);
        let (db, dz) = (&got[4], &got[fetch.len()]);
        for (ch, &v) in db.iter().enumerate() {
            let want: f32 = dz.iter().skip(ch).step_by(db.len()).sum();
            assert!(
                (v - want).abs() <= 1e-4 * (1.0 + want.abs()),
                "{pooling} {ch}: {v} vs {want}"
            );
        }
        let nodes = fused.graph().nodes();
        let summing = |n: &rkeras_core::graph::Node| {
            matches!(
                n.op,
                Op::PoolGrad {
                    channel_sums: true,
                    ..
                }
            )
        };
        assert_eq!(nodes.iter().filter(|n| summing(n)).count(), 1, "{pooling}");
        let sums = nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Output { index: 1 }) && summing(&nodes[n.inputs[0]]));
        assert_eq!(sums.count(), 1, "{pooling}");
    }
}

#[test]
fn a_dropout_mask_is_drawn_with_its_scale() {
    // y = x * (random_binomial(x, p=0.6) * 2.5), also fetching the mask in the second run.
    let mut g = Graph::new();
    let x = g.input(vec![None, Some(50)]);
    let attrs = Attrs::new().with("p", AttrValue::Float(0.6));
    let mask = g.add_named("random_binomial", &[x], &attrs).unwrap();
    let scale = g.scalar(2.5);
    let scaled = g
        .add_named("multiply", &[mask, scale], &Attrs::new())
        .unwrap();
    let y = g
        .add_named("multiply", &[x, scaled], &Attrs::new())
        .unwrap();
    let data: Vec<f32> = (0..200).map(|i| 1.0 + i as f32).collect();
    for fetch_mask in [false, true] {
        let outputs = if fetch_mask { vec![y, mask] } else { vec![y] };
        let mut p: Program<Cpu> = Program::new(Arc::new(g.clone()), outputs, vec![]).unwrap();
        let feed = Feed {
            shape: &[4, 50],
            data: &data,
        };
        let out = p
            .run(&Cpu, &mut Store::new(), &[Some(feed)], &mut Rng::seeded(1))
            .unwrap();
        let scalar_products = p
            .graph()
            .nodes()
            .iter()
            .filter(|n| matches!(n.op, Op::Binary(_)) && n.inputs.contains(&scale));
        assert_eq!(scalar_products.count(), usize::from(fetch_mask));
        let kept = out[0].data.iter().zip(&data).filter(|&(&v, &x)| {
            assert!(v == 0.0 || v == 2.5 * x, "{v} from {x}");
            v != 0.0
        });
        let frac = kept.count() as f32 / 200.0;
        assert!((frac - 0.6).abs() < 0.15, "{frac} kept");
    }
}

#[test]
fn a_convolutions_input_and_kernel_gradients_run_as_one_kernel() {
    // 2 input channels (direct kernels), 6 (im2col), 16 (Winograd: the output gradient's
    // tiles are shared). Reference: programs that need only one of the two gradients.
    for cin in [2, 6, 16] {
        let (g, _, _, fetch) = model(cin, "plain");
        let (dx, dk) = (fetch[2], fetch[3]);
        let (both, got) = run(g.clone(), vec![dx, dk], cin);
        let nodes = both.graph().nodes();
        let second = nodes.iter().filter(|n| {
            matches!(n.op, Op::Output { index: 1 })
                && matches!(nodes[n.inputs[0]].op, Op::ConvGrads(_))
        });
        assert_eq!(second.count(), 1, "{cin} channels");
        let (only_dx, want_dx) = run(g.clone(), vec![dx], cin);
        let (only_dk, want_dk) = run(g, vec![dk], cin);
        for p in [&only_dx, &only_dk] {
            let fused = p.graph().nodes().iter();
            assert_eq!(
                fused.filter(|n| matches!(n.op, Op::ConvGrads(_))).count(),
                0
            );
        }
        assert_close(&got, &[want_dx[0].clone(), want_dk[0].clone()]);
    }
}
