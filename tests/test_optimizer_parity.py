"""Optimizer parity with Keras 3: the Rust training path against stored Keras trajectories.

The reference values in ``tests/data/keras_reference_optimizers.json`` were computed once with
real Keras 3 (JAX backend) by ``tools/keras_reference/make_optimizer_reference.py``; this test
never imports Keras. Each case applies 5 steps of fixed gradients to two variables (shapes
``(3, 4)`` and ``(5,)``) and compares the variables after every step.

The rkeras side runs the real training path: a graph whose loss is
``sum(p1 * g1) + sum(p2 * g2)`` (so d loss / d p is exactly the fed ``g``), its symbolic
gradients, and a ``rkeras._rkeras.Trainer`` driven one ``step`` at a time with the optimizer's
``rust_config()``, learning-rate and iterations variables -- the same wiring as
``Model._train_program``.

Tolerances: rtol 1e-5, atol 1e-6 (both sides compute in float32; the differences are rounding
order, e.g. a float64 vs float32 accumulation of gradient norms, ``lr * g`` vs ``g * lr``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rkeras
from rkeras import backend as K
from rkeras.backend.tensors import FuncGraph, node_of

DATA = Path(__file__).parent / "data" / "keras_reference_optimizers.json"
REF = json.loads(DATA.read_text())
CASES = {c["id"]: c for c in REF["cases"]}
RTOL, ATOL = 1e-5, 1e-6


def f32(x):
    return np.asarray(x, dtype=np.float32)


def make_optimizer(case):
    config = dict(case["config"], **case["rkeras_extra"])
    return rkeras.optimizers.get({"class_name": case["class_name"], "config": config})


def build_trainer(optimizer):
    """Two parameters, gradient placeholders and a Trainer stepping `optimizer`."""
    p1, p2 = (K.variable(f32(x), name=f"p{i + 1}") for i, x in enumerate(REF["initial"]))
    graph = FuncGraph("optimizer_parity")
    g1 = graph.placeholder(list(p1.shape), "float32", "g1")
    g2 = graph.placeholder(list(p2.shape), "float32", "g2")
    loss = K.sum(p1 * g1) + K.sum(p2 * g2)
    grad1, grad2 = graph.raw.gradients(loss.node, [node_of(graph, p1), node_of(graph, p2)])
    trainer = rkeras._rkeras.Trainer(
        graph.raw, [g1.node, g2.node], [loss.node], [(p1.handle, grad1), (p2.handle, grad2)],
        [], optimizer.rust_config(), optimizer.learning_rate.handle,
        optimizer.iterations.handle,
    )
    return trainer, (p1, p2), graph


def run_case(case):
    optimizer = make_optimizer(case)
    trainer, params, _graph = build_trainer(optimizer)
    set_lr = {int(k): v for k, v in case["set_lr"].items()}
    set_iterations = {int(k): v for k, v in case.get("set_iterations", {}).items()}
    trajectory = []
    for step, grads in enumerate(REF["gradients"]):
        if step in set_lr:
            K.set_value(optimizer.lr, set_lr[step])
        if step in set_iterations:
            K.set_value(optimizer.iterations, float(set_iterations[step]))
        feeds = [f32(g) for g in grads]
        before = [np.array(K.get_value(p), dtype=np.float64) for p in params]
        (loss,) = trainer.step(feeds)
        # The reported loss is computed from the parameters before the update.
        assert loss == pytest.approx(sum(float(np.sum(b * g)) for b, g in zip(before, feeds)),
                                     rel=1e-5, abs=1e-5)
        trajectory.append([np.array(K.get_value(p), dtype=np.float32) for p in params])
    return optimizer, trajectory


def test_reference_file_is_complete():
    assert REF["keras_version"].startswith("3.")
    assert REF["backend"] == "jax"
    assert len(REF["gradients"]) == REF["steps"] == 5
    kinds = {c["class_name"] for c in REF["cases"]}
    assert kinds == {"SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam"}
    for variant in ("sgd_momentum", "sgd_nesterov", "rmsprop_momentum", "rmsprop_centered",
                    "adam_amsgrad", "sgd_clipnorm", "sgd_clipvalue", "sgd_global_clipnorm",
                    "adam_clipnorm", "adam_clipvalue", "adam_global_clipnorm", "sgd_decay",
                    "adam_decay"):
        assert variant in CASES


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_optimizer_matches_keras(case_id):
    case = CASES[case_id]
    optimizer, trajectory = run_case(case)
    for step, (got, want) in enumerate(zip(trajectory, case["expected"])):
        for i, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(
                g, f32(w), rtol=RTOL, atol=ATOL,
                err_msg=f"{case_id}: parameter p{i + 1} after step {step + 1}",
            )
    assert float(K.get_value(optimizer.iterations)) == case["iterations"]
    if not case.get("set_iterations"):
        assert case["iterations"] == REF["steps"]


@pytest.mark.parametrize("case_id", ["sgd", "adam", "sgd_momentum_set_lr"])
def test_parameters_move(case_id):
    """The reference steps are visible (not lost under the tolerance)."""
    case = CASES[case_id]
    previous = [f32(x) for x in REF["initial"]]
    for after in case["expected"]:
        for prev, now in zip(previous, after):
            assert np.max(np.abs(f32(now) - prev)) > 100 * ATOL
        previous = [f32(x) for x in after]


def test_set_lr_between_steps_takes_effect_on_next_step():
    """``K.set_value(optimizer.lr, 0)`` freezes plain SGD from the next step on, and the
    trainer counts the frozen steps too."""
    optimizer = rkeras.optimizers.SGD(learning_rate=0.1)
    trainer, params, _graph = build_trainer(optimizer)
    grads = [f32(g) for g in REF["gradients"][0]]
    trainer.step(grads)
    after_one = [np.array(K.get_value(p)) for p in params]
    np.testing.assert_allclose(after_one[0], f32(REF["initial"][0]) - np.float32(0.1) * grads[0],
                               rtol=RTOL, atol=ATOL)
    K.set_value(optimizer.lr, 0.0)
    trainer.step(grads)
    for p, before in zip(params, after_one):
        np.testing.assert_array_equal(K.get_value(p), before)
    optimizer.lr = 0.2  # the attribute setter assigns the same variable
    trainer.step(grads)
    np.testing.assert_allclose(K.get_value(params[1]), after_one[1] - np.float32(0.2) * grads[1],
                               rtol=RTOL, atol=ATOL)
    assert float(K.get_value(optimizer.iterations)) == 3.0
