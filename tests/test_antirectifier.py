"""The Keras antirectifier example, eagerly and through ``K.function``, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K

pytestmark = pytest.mark.usefixtures("fresh_graph")


def antirectifier(x):
    """The Keras example's layer body, verbatim."""
    x -= K.mean(x, axis=1, keepdims=True)
    x = K.l2_normalize(x, axis=1)
    pos = K.relu(x)
    neg = K.relu(-x)
    return K.concatenate([pos, neg], axis=1)


def antirectifier_numpy(x):
    x = x - x.mean(axis=1, keepdims=True)
    x = x / np.sqrt(np.maximum(np.sum(x * x, axis=1, keepdims=True), 1e-12))
    return np.concatenate([np.maximum(x, 0.0), np.maximum(-x, 0.0)], axis=1)


@pytest.mark.parametrize("shape", [(4, 6), (1, 3), (7, 16)])
def test_antirectifier_eager(rng, shape):
    x = rng.normal(size=shape).astype(np.float32)
    got = antirectifier(x.copy())
    assert got.shape == (shape[0], 2 * shape[1])
    np.testing.assert_allclose(got, antirectifier_numpy(x.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)
    # each row of the output is unit-norm (pos and neg split the normalized vector)
    np.testing.assert_allclose(np.sum(got**2, axis=1), np.ones(shape[0]), rtol=1e-5)


def test_antirectifier_eager_on_float64_input(rng):
    x = rng.normal(size=(3, 5))
    np.testing.assert_allclose(antirectifier(x.copy()), antirectifier_numpy(x),
                               rtol=1e-5, atol=1e-6)


def test_antirectifier_symbolic(rng):
    x = K.placeholder(shape=(None, 6))
    y = antirectifier(x)
    assert K.int_shape(y) == (None, 12)
    f = K.function([x], [y])
    for batch in (2, 9):
        xv = rng.normal(size=(batch, 6)).astype(np.float32)
        (out,) = f([xv])
        assert out.shape == (batch, 12)
        np.testing.assert_allclose(out, antirectifier_numpy(xv.astype(np.float64)),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out, antirectifier(xv.copy()), rtol=1e-6, atol=1e-7)


def test_antirectifier_constant_rows_give_zeros():
    x = np.full((2, 4), 3.0, np.float32)
    np.testing.assert_allclose(antirectifier(x.copy()), np.zeros((2, 8)), atol=1e-6)


def test_antirectifier_gradient_is_finite(rng):
    x = K.placeholder(shape=(None, 5))
    w = K.variable(rng.normal(size=(10, 1)))
    loss = K.sum(K.dot(antirectifier(x), w))
    f = K.function([x], K.gradients(loss, [x, w]))
    gx, gw = f([rng.normal(size=(4, 5)).astype(np.float32)])
    assert gx.shape == (4, 5) and gw.shape == (10, 1)
    assert np.all(np.isfinite(gx)) and np.all(np.isfinite(gw))
    # the output does not change when a constant is added to a row: gradient rows sum to 0
    np.testing.assert_allclose(gx.sum(axis=1), np.zeros(4), atol=1e-5)
