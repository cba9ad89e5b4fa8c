//! Cross-optimizer tests and the helpers the per-optimizer tests share.

#[cfg(test)]
use super::*;
use crate::error::CoreError;

/// Starting parameter of the reference tests.
pub(super) const PARAM: [f32; 5] = [1.0, -0.5, 0.25, 2.0, 0.0];
/// Gradients cycled through by the reference tests (signs flip, one zero, one large).
pub(super) const GRADS: [[f32; 5]; 3] = [
    [0.5, -1.0, 0.0, 3.0, 0.1],
    [0.4, 0.8, -0.2, 2.5, -0.1],
    [-0.3, 0.6, 0.05, 10.0, 0.2],
];

/// Fresh slot buffers for `opt` over `n` elements.
pub(super) fn new_slots(opt: &Optimizer, n: usize) -> Vec<Vec<f32>> {
    (0..opt.slot_names().len())
        .map(|i| vec![opt.slot_initial_value(i); n])
        .collect()
}

/// Runs `steps` steps of `opt` from [`PARAM`] with [`GRADS`] and returns the parameter.
pub(super) fn run_steps(opt: &Optimizer, lr: f32, steps: usize) -> Vec<f32> {
    let mut p = PARAM.to_vec();
    let mut slots = new_slots(opt, p.len());
    let mut st = opt.new_state();
    for s in 0..steps {
        let mut views: Vec<&mut [f32]> = slots.iter_mut().map(|v| v.as_mut_slice()).collect();
        opt.apply(
            &mut p,
            &GRADS[s % GRADS.len()],
            &mut views,
            lr,
            s as u64 + 1,
            &mut st,
        )
        .unwrap();
    }
    p
}

/// `|got - want| <= tol * max(1, |want|)` elementwise.
pub(super) fn assert_close(got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= tol * w.abs().max(1.0),
            "element {i}: got {g}, want {w}"
        );
    }
}

/// Every optimizer in a few configurations, with a learning rate that suits a unit-scale
/// quadratic.
fn all_optimizers() -> Vec<(Optimizer, f32)> {
    vec![
        (Optimizer::Sgd(Sgd::default()), 0.1),
        (
            Optimizer::Sgd(Sgd {
                momentum: 0.9,
                nesterov: false,
            }),
            0.02,
        ),
        (
            Optimizer::Sgd(Sgd {
                momentum: 0.9,
                nesterov: true,
            }),
            0.02,
        ),
        (Optimizer::RmsProp(RmsProp::default()), 0.01),
        (
            Optimizer::RmsProp(RmsProp {
                momentum: 0.5,
                centered: true,
                ..RmsProp::default()
            }),
            0.005,
        ),
        (Optimizer::Adagrad(Adagrad::default()), 0.5),
        (Optimizer::Adadelta(Adadelta::default()), 50.0),
        (Optimizer::Adam(Adam::default()), 0.05),
        (
            Optimizer::Adam(Adam {
                amsgrad: true,
                ..Adam::default()
            }),
            0.05,
        ),
        (Optimizer::Adamax(Adamax::default()), 0.05),
        (Optimizer::Nadam(Nadam::default()), 0.05),
    ]
}

#[test]
fn quadratic_loss_decreases_under_every_optimizer() {
    // loss = 0.5 * sum a_i (p_i - c_i)^2, grad = a_i (p_i - c_i).
    let a = [1.0f32, 2.0, 0.5, 1.5];
    let c = [0.5f32, -1.0, 2.0, 0.0];
    let loss = |p: &[f32]| -> f32 { (0..4).map(|i| 0.5 * a[i] * (p[i] - c[i]).powi(2)).sum() };
    for (opt, lr) in all_optimizers() {
        let mut p = vec![2.0f32, 1.0, -1.0, 1.0];
        let mut slots = new_slots(&opt, p.len());
        let mut st = opt.new_state();
        let initial = loss(&p);
        for t in 1..=300u64 {
            let g: Vec<f32> = (0..4).map(|i| a[i] * (p[i] - c[i])).collect();
            let mut views: Vec<&mut [f32]> = slots.iter_mut().map(|v| v.as_mut_slice()).collect();
            opt.apply(&mut p, &g, &mut views, lr, t, &mut st).unwrap();
        }
        let last = loss(&p);
        assert!(last < 0.05 * initial, "{opt:?}: loss {initial} -> {last}");
    }
}

#[test]
fn parallel_path_matches_serial_path() {
    // Elementwise rules: a large buffer (rayon) must give bit-identical results to the same
    // elements updated in small (serial) pieces.
    let n = PARALLEL_CUTOFF * 2 + 1234;
    let grad: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
        .collect();
    for (opt, lr) in all_optimizers() {
        let mut big = vec![0.5f32; n];
        let mut big_slots = new_slots(&opt, n);
        let mut small = big.clone();
        let mut small_slots = big_slots.clone();
        let (mut st_big, mut st_small) = (opt.new_state(), opt.new_state());
        for t in 1..=3u64 {
            let mut views: Vec<&mut [f32]> =
                big_slots.iter_mut().map(|v| v.as_mut_slice()).collect();
            opt.apply(&mut big, &grad, &mut views, lr, t, &mut st_big)
                .unwrap();
            for start in (0..n).step_by(1000) {
                let end = (start + 1000).min(n);
                let mut views: Vec<&mut [f32]> =
                    small_slots.iter_mut().map(|v| &mut v[start..end]).collect();
                opt.apply(
                    &mut small[start..end],
                    &grad[start..end],
                    &mut views,
                    lr,
                    t,
                    &mut st_small,
                )
                .unwrap();
            }
        }
        assert_eq!(big, small, "{opt:?}");
        assert_eq!(big_slots, small_slots, "{opt:?}");
        assert_eq!(st_big, st_small);
    }
}

#[test]
fn slot_names_follow_keras() {
    let names = |o: Optimizer| o.slot_names();
    assert!(names(Optimizer::Sgd(Sgd::default())).is_empty());
    assert_eq!(
        names(Optimizer::Sgd(Sgd {
            momentum: 0.9,
            nesterov: true
        })),
        ["momentum"]
    );
    assert_eq!(names(Optimizer::RmsProp(RmsProp::default())), ["velocity"]);
    assert_eq!(
        names(Optimizer::Adagrad(Adagrad::default())),
        ["accumulator"]
    );
    assert_eq!(
        names(Optimizer::Adadelta(Adadelta::default())),
        ["accumulated_grad", "accumulated_delta_var"]
    );
    assert_eq!(
        names(Optimizer::Adam(Adam::default())),
        ["momentum", "velocity"]
    );
    assert_eq!(
        names(Optimizer::Adam(Adam {
            amsgrad: true,
            ..Adam::default()
        })),
        ["momentum", "velocity", "velocity_hat"]
    );
    assert_eq!(
        names(Optimizer::Adamax(Adamax::default())),
        ["momentum", "norm"]
    );
    assert_eq!(
        names(Optimizer::Nadam(Nadam::default())),
        ["momentum", "velocity"]
    );
    let ada = Optimizer::Adagrad(Adagrad::default());
    assert!((ada.slot_initial_value(0) - 0.1).abs() < 1e-9);
    assert_eq!(Optimizer::Adam(Adam::default()).slot_initial_value(1), 0.0);
}

fn is_arg_err(r: Result<()>) -> bool {
    matches!(r, Err(CoreError::InvalidArgument { .. }))
}

#[test]
fn mismatches_are_errors_and_modify_nothing() {
    for (opt, lr) in all_optimizers() {
        let n = 4;
        let mut p = vec![1.0f32; n];
        let mut slots = new_slots(&opt, n);
        let before = slots.clone();
        let mut st = opt.new_state();
        let k = slots.len();
        let mut short = vec![0.0f32; n - 1];
        let mut extra = vec![0.0f32; n];
        let mut views: Vec<&mut [f32]> = slots.iter_mut().map(|v| v.as_mut_slice()).collect();
        // Gradient too short.
        assert!(is_arg_err(
            opt.apply(&mut p, &[0.1; 3], &mut views, lr, 1, &mut st)
        ));
        // Iteration 0 (Keras's step count is 1-based here).
        assert!(is_arg_err(
            opt.apply(&mut p, &[0.1; 4], &mut views, lr, 0, &mut st)
        ));
        // One slot too few / too many.
        if k > 0 {
            assert!(is_arg_err(opt.apply(
                &mut p,
                &[0.1; 4],
                &mut views[..k - 1],
                lr,
                1,
                &mut st
            )));
            // A slot of the wrong length.
            let last = std::mem::replace(&mut views[k - 1], &mut short);
            assert!(is_arg_err(
                opt.apply(&mut p, &[0.1; 4], &mut views, lr, 1, &mut st)
            ));
            views[k - 1] = last;
        }
        views.push(&mut extra);
        assert!(is_arg_err(
            opt.apply(&mut p, &[0.1; 4], &mut views, lr, 1, &mut st)
        ));
        drop(views);
        assert_eq!(p, vec![1.0; n], "{opt:?}");
        assert_eq!(slots, before, "{opt:?}");
        assert_eq!(st, opt.new_state(), "{opt:?}");
    }
}
