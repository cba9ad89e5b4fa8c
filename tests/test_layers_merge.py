"""Merge layers, eagerly and symbolically, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras.backend.functions import Function
from rkeras.layers import (
    Add,
    Average,
    Concatenate,
    Dot,
    Input,
    Masking,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

pytestmark = pytest.mark.usefixtures("fresh_graph")


def run_symbolic(layer_fn, arrays):
    inputs = [Input(shape=a.shape[1:]) for a in arrays]
    out = layer_fn(inputs)
    return out, Function(inputs, [out])(arrays)[0]


ELEMENTWISE = [
    (Add, add, lambda a, b, c: a + b + c),
    (Multiply, multiply, lambda a, b, c: a * b * c),
    (Average, average, lambda a, b, c: (a + b + c) / 3),
    (Maximum, maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (Minimum, minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
]


@pytest.mark.parametrize("cls,fn,ref", ELEMENTWISE, ids=[c[0].__name__ for c in ELEMENTWISE])
def test_elementwise_merges(rng, cls, fn, ref):
    arrays = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    expected = ref(*arrays)
    out, got = run_symbolic(cls(), arrays)
    assert out.shape == (None, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cls()(arrays), expected, rtol=1e-5, atol=1e-6)
    _, got_fn = run_symbolic(fn, arrays)
    np.testing.assert_allclose(got_fn, expected, rtol=1e-5, atol=1e-6)


def test_subtract(rng):
    a, b = (rng.normal(size=(2, 5)).astype(np.float32) for _ in range(2))
    _, got = run_symbolic(subtract, [a, b])
    np.testing.assert_allclose(got, a - b, rtol=1e-6)
    with pytest.raises(ValueError, match="A `Subtract` layer should be called on exactly 2 "
                                         "inputs"):
        Subtract()([Input(shape=(2,))] * 3)


def test_merge_errors():
    with pytest.raises(ValueError, match="A merge layer should be called on a list of inputs"):
        Add()(Input(shape=(2,)))
    with pytest.raises(ValueError, match="Operands could not be broadcast together with shapes "
                                         r"\(2,\) \(3,\)"):
        Add()([Input(shape=(2,)), Input(shape=(3,))])
    with pytest.raises(ValueError, match="Can not merge tensors with different batch sizes"):
        Add()([Input(batch_shape=(2, 3)), Input(batch_shape=(4, 3))])


def test_broadcasting_merge(rng):
    a = rng.normal(size=(2, 4, 3)).astype(np.float32)
    b = rng.normal(size=(2, 1, 3)).astype(np.float32)
    out, got = run_symbolic(add, [a, b])
    assert out.shape == (None, 4, 3)
    np.testing.assert_allclose(got, a + b, rtol=1e-6)


def test_concatenate(rng):
    a = rng.normal(size=(2, 3, 4)).astype(np.float32)
    b = rng.normal(size=(2, 3, 2)).astype(np.float32)
    out, got = run_symbolic(concatenate, [a, b])
    assert out.shape == (None, 3, 6)
    np.testing.assert_array_equal(got, np.concatenate([a, b], axis=-1))
    c = rng.normal(size=(2, 5, 4)).astype(np.float32)
    out, got = run_symbolic(lambda xs: concatenate(xs, axis=1), [a, c])
    assert out.shape == (None, 8, 4)
    np.testing.assert_array_equal(got, np.concatenate([a, c], axis=1))
    assert Concatenate(axis=1).get_config()["axis"] == 1
    with pytest.raises(ValueError, match="A `Concatenate` layer requires inputs with matching "
                                         "shapes except for the concat axis"):
        Concatenate(axis=1)([Input(shape=(3, 4)), Input(shape=(3, 5))])


def test_concatenate_mask():
    a, b = Input(shape=(3, 2)), Input(shape=(3, 2))
    out = concatenate([Masking()(a), b])
    assert out._keras_mask is not None


def test_dot(rng):
    a = rng.normal(size=(4, 5)).astype(np.float32)
    b = rng.normal(size=(4, 5)).astype(np.float32)
    out, got = run_symbolic(lambda xs: dot(xs, axes=1), [a, b])
    assert out.shape == (None, 1)
    np.testing.assert_allclose(got, (a * b).sum(1, keepdims=True), rtol=1e-5, atol=1e-5)
    _, cos = run_symbolic(lambda xs: dot(xs, axes=-1, normalize=True), [a, b])
    na = a / np.linalg.norm(a, axis=1, keepdims=True)
    nb = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(cos, (na * nb).sum(1, keepdims=True), rtol=1e-5, atol=1e-5)
    x = rng.normal(size=(2, 3, 5)).astype(np.float32)
    y = rng.normal(size=(2, 5, 4)).astype(np.float32)
    out, got = run_symbolic(Dot(axes=(2, 1)), [x, y])
    assert out.shape == (None, 3, 4)
    np.testing.assert_allclose(got, x @ y, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Dimension incompatibility 5 != 4"):
        Dot(axes=1)([Input(shape=(5,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match="should contain two elements"):
        Dot(axes=(1, 2, 3))
    assert Dot(axes=1, normalize=True).get_config()["normalize"] is True
