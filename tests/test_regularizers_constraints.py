"""Regularizers and constraints: Keras's formulas eagerly, on variables and symbolically, and
get/serialize/deserialize."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import constraints, regularizers

W = np.array([[0.5, -1.5, 2.0], [-3.0, 0.25, 1.0]], np.float32)


# ----------------------------------------------------------------------------- regularizers


@pytest.mark.parametrize("reg,l1,l2", [
    (regularizers.l1(), 0.01, 0.0), (regularizers.l2(), 0.0, 0.01),
    (regularizers.l1_l2(), 0.01, 0.01), (regularizers.l1(0.3), 0.3, 0.0),
    (regularizers.l2(l=0.2), 0.0, 0.2), (regularizers.L1L2(l1=0.1, l2=0.4), 0.1, 0.4),
    (regularizers.L1(), 0.01, 0.0), (regularizers.L2(0.5), 0.0, 0.5),
    (regularizers.L1L2(), 0.0, 0.0)])
def test_regularizer_values(reg, l1, l2):
    want = l1 * np.abs(W).sum() + l2 * np.square(W).sum()
    assert float(reg(W)) == pytest.approx(want, rel=1e-6, abs=1e-7)
    assert float(reg(K.variable(W))) == pytest.approx(want, rel=1e-6, abs=1e-7)


@pytest.mark.usefixtures("fresh_graph")
def test_regularizer_symbolic_and_gradient():
    x = K.placeholder(shape=(None, 3))
    reg = regularizers.l1_l2(l1=0.1, l2=0.2)
    penalty = reg(x)
    assert K.is_keras_tensor(penalty) and K.int_shape(penalty) == ()
    f = K.function([x], [penalty] + K.gradients(penalty, [x]))
    value, grad = f([W])
    assert float(value) == pytest.approx(float(reg(W)), rel=1e-6)
    np.testing.assert_allclose(grad, 0.1 * np.sign(W) + 0.4 * W, rtol=1e-6)
    v = K.variable(W)
    out = K.function([], [regularizers.l2(0.5)(v)])([])[0]
    assert float(out) == pytest.approx(0.5 * np.square(W).sum(), rel=1e-6)


def test_regularizer_get_and_serialization():
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get(None) is None
    for reg in [regularizers.l1_l2(0.1, 0.2), regularizers.L1(0.3), regularizers.L2(0.4)]:
        back = regularizers.deserialize(regularizers.serialize(reg))
        assert type(back) is type(reg) and back.get_config() == reg.get_config()
    assert regularizers.serialize(regularizers.l2(0.1)) == {
        "class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.1}}

    def custom(x):
        return K.sum(x)

    assert regularizers.get(custom) is custom
    with pytest.raises(ValueError) as info:
        regularizers.get("l3")
    assert str(info.value).startswith("Unknown regularizer: 'l3'.")
    assert "'l1_l2'" in str(info.value)


# ----------------------------------------------------------------------------- constraints

EPS = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


def _max_norm(w, max_value=2, axis=0):
    n = _norms(w, axis)
    return w * np.clip(n, 0, max_value) / (EPS + n)


def _min_max_norm(w, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    n = _norms(w, axis)
    return w * (rate * np.clip(n, min_value, max_value) + (1 - rate) * n) / (EPS + n)


CONSTRAINT_CASES = [
    ("max_norm", constraints.MaxNorm(), lambda w: _max_norm(w)),
    ("max_norm_1_axis1", constraints.max_norm(1.0, axis=1), lambda w: _max_norm(w, 1.0, 1)),
    ("max_norm_axes", constraints.MaxNorm(2.5, axis=[0, 1]),
     lambda w: _max_norm(w, 2.5, (0, 1))),
    ("non_neg", constraints.NonNeg(), lambda w: w * (w >= 0)),
    ("unit_norm", constraints.UnitNorm(), lambda w: w / (EPS + _norms(w, 0))),
    ("unit_norm_axis1", constraints.unit_norm(axis=1), lambda w: w / (EPS + _norms(w, 1))),
    ("min_max_norm", constraints.MinMaxNorm(), lambda w: _min_max_norm(w)),
    ("min_max_norm_rate", constraints.min_max_norm(0.5, 2.0, rate=0.3, axis=1),
     lambda w: _min_max_norm(w, 0.5, 2.0, 0.3, 1)),
]


@pytest.mark.parametrize("name,c,ref", CONSTRAINT_CASES, ids=[c[0] for c in CONSTRAINT_CASES])
def test_constraint_values(name, c, ref):
    np.testing.assert_allclose(c(W), ref(W.astype(np.float64)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(c(K.variable(W)), ref(W.astype(np.float64)), rtol=1e-6,
                               atol=1e-7)


@pytest.mark.usefixtures("fresh_graph")
@pytest.mark.parametrize("name,c,ref", CONSTRAINT_CASES, ids=[c[0] for c in CONSTRAINT_CASES])
def test_constraint_symbolic_equals_eager(name, c, ref):
    x = K.placeholder(shape=(2, 3))
    out = c(x)
    assert K.int_shape(out) == (2, 3)
    np.testing.assert_allclose(K.function([x], [out])([W])[0], c(W), rtol=1e-6, atol=1e-7)


def test_constraint_get_and_serialization():
    for name, cls in [("max_norm", constraints.MaxNorm), ("maxnorm", constraints.MaxNorm),
                      ("MaxNorm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("nonneg", constraints.NonNeg), ("unit_norm", constraints.UnitNorm),
                      ("unitnorm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm)]:
        assert type(constraints.get(name)) is cls
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0,
                                                     "rate": 1.0, "axis": 0}
    for c in [constraints.MaxNorm(3, axis=[0, 1]), constraints.NonNeg(),
              constraints.UnitNorm(axis=1), constraints.MinMaxNorm(0.1, 0.9, 0.5, 1)]:
        back = constraints.deserialize(constraints.serialize(c))
        assert type(back) is type(c) and back.get_config() == c.get_config()
    assert constraints.get(None) is None
    with pytest.raises(ValueError) as info:
        constraints.get("max_nrom")
    assert str(info.value).startswith("Unknown constraint: 'max_nrom'.")
    assert "'max_norm'" in str(info.value)
