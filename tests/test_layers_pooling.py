"""Pooling layers against direct-loop NumPy float64 references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.backend.functions import Function
from rkeras.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Input,
    Masking,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    deserialize,
    serialize,
)

pytestmark = pytest.mark.usefixtures("fresh_graph")

MAX = {1: MaxPooling1D, 2: MaxPooling2D, 3: MaxPooling3D}
AVG = {1: AveragePooling1D, 2: AveragePooling2D, 3: AveragePooling3D}


def same_pads(length, k, s):
    out = -(-length // s)
    total = max((out - 1) * s + k - length, 0)
    return total // 2, total - total // 2


def ref_pool(x, pool, strides, padding, kind):
    """Direct loop over window offsets, float64, channels_last; 'same' average pooling
    divides by the number of real (unpadded) inputs, as TensorFlow."""
    x = np.asarray(x, np.float64)
    rank = x.ndim - 2
    pads = ([same_pads(x.shape[1 + i], pool[i], strides[i]) for i in range(rank)]
            if padding == "same" else [(0, 0)] * rank)
    width = [(0, 0)] + pads + [(0, 0)]
    xp = np.pad(x, width, constant_values=-np.inf if kind == "max" else 0.0)
    ones = np.pad(np.ones_like(x), width)
    out_len = [(xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(rank)]
    acc = np.full((x.shape[0], *out_len, x.shape[-1]), -np.inf if kind == "max" else 0.0)
    count = np.zeros_like(acc)
    for offs in itertools.product(*[range(p) for p in pool]):
        idx = (slice(None),) + tuple(slice(o, o + (out_len[i] - 1) * strides[i] + 1, strides[i])
                                     for i, o in enumerate(offs))
        if kind == "max":
            acc = np.maximum(acc, xp[idx])
        else:
            acc += xp[idx]
            count += ones[idx]
    return acc if kind == "max" else acc / count


def run_symbolic(layer, x, **kwargs):
    inp = Input(shape=x.shape[1:])
    return Function([inp], [layer(inp, **kwargs)])([x])[0]


CASES = [
    # rank, spatial, pool, strides, padding
    (1, (9,), (2,), None, "valid"),
    (1, (9,), (3,), (2,), "same"),
    (1, (8,), (3,), (1,), "valid"),
    (1, (7,), (4,), (3,), "same"),
    (2, (7, 8), (2, 2), None, "valid"),
    (2, (7, 8), (2, 2), None, "same"),
    (2, (7, 8), (3, 3), (2, 1), "same"),
    (2, (6, 9), (3, 2), (1, 2), "valid"),
    (2, (5, 5), (5, 5), (1, 1), "valid"),
    (3, (4, 5, 6), (2, 2, 2), None, "valid"),
    (3, (5, 5, 3), (3, 2, 2), (2, 2, 1), "same"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("rank,spatial,pool,strides,padding", CASES)
def test_pooling_matches_reference(rng, kind, rank, spatial, pool, strides, padding):
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    cls = (MAX if kind == "max" else AVG)[rank]
    layer = cls(pool, strides=strides, padding=padding)
    expected = ref_pool(x, pool, strides or pool, padding, kind)
    assert layer.compute_output_shape((None, *spatial, 3)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(run_symbolic(layer, x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-6)
    first = cls(pool, strides=strides, padding=padding, data_format="channels_first")
    y_first = run_symbolic(first, np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(np.moveaxis(y_first, 1, -1), expected, rtol=1e-5, atol=1e-6)


def test_pooling_defaults_and_config():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert MaxPooling1D().pool_size == (2,) and MaxPooling3D(3).strides == (3, 3, 3)
    config = AveragePooling2D((3, 3), strides=1, padding="same", name="p").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3, 3), "strides": (1, 1), "padding": "same",
        "data_format": "channels_last"}
    for layer in (MaxPool2D(3), AvgPool2D(2, padding="same"), MaxPooling1D(3, 1),
                  AveragePooling3D(2), GlobalMaxPooling2D(keepdims=True),
                  GlobalAveragePooling1D()):
        clone = deserialize(serialize(layer))
        assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    assert MaxPooling1D(data_format="channels_first").data_format == "channels_first"
    K.set_image_data_format("channels_first")
    try:
        assert MaxPooling2D().data_format == "channels_first"
        assert MaxPooling1D().data_format == "channels_last"
        assert MaxPooling2D()(Input(shape=(3, 8, 6))).shape == (None, 3, 4, 3)
    finally:
        K.set_image_data_format("channels_last")


def test_pooling_gradients(rng):
    x = rng.standard_normal((2, 4, 4, 1)).astype(np.float32)
    ph = K.placeholder(shape=(None, 4, 4, 1))
    gmax, gavg = K.function([ph], K.gradients(K.sum(MaxPooling2D()(ph)), [ph]) +
                            K.gradients(K.sum(AveragePooling2D()(ph)), [ph]))([x])
    blocks = x.reshape(2, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(2, 2, 2, 4)
    is_max = (blocks == blocks.max(-1, keepdims=True)).astype(np.float32)
    expected = is_max.reshape(2, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(x.shape)
    np.testing.assert_allclose(gmax, expected)
    np.testing.assert_allclose(gavg, np.full(x.shape, 0.25))


def test_pooling_errors():
    with pytest.raises(ValueError, match=r'Layer "pool".*does not fit.*\(None, 2, 5, 1\)'):
        MaxPooling2D(3, name="pool")(Input(shape=(2, 5, 1)))
    with pytest.raises(ValueError, match=r'Input 0 of layer "mp" is incompatible with the layer: '
                                         r"expected ndim=4, found ndim=3"):
        MaxPooling2D(name="mp")(Input(shape=(4, 4)))
    with pytest.raises(ValueError, match="The `padding` argument must be one of"):
        MaxPooling2D(padding="causal")
    with pytest.raises(ValueError, match="The `pool_size` argument must be a tuple of 2"):
        MaxPooling2D((2, 2, 2))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling(rng, rank):
    spatial = (3, 4, 2)[:rank]
    x = rng.standard_normal((2, *spatial, 5)).astype(np.float32)
    axes = tuple(range(1, rank + 1))
    gmax = {1: GlobalMaxPooling1D, 2: GlobalMaxPooling2D, 3: GlobalMaxPooling3D}[rank]
    gavg = {1: GlobalAveragePooling1D, 2: GlobalAveragePooling2D,
            3: GlobalAveragePooling3D}[rank]
    np.testing.assert_allclose(run_symbolic(gmax(), x), x.max(axis=axes), rtol=1e-6)
    np.testing.assert_allclose(run_symbolic(gavg(), x), x.mean(axis=axes), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(run_symbolic(gavg(keepdims=True), x),
                               x.mean(axis=axes, keepdims=True), rtol=1e-5, atol=1e-6)
    cf = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(run_symbolic(gmax(data_format="channels_first"), cf),
                               x.max(axis=axes), rtol=1e-6)
    layer = gmax(keepdims=True)
    assert layer.compute_output_shape((None, *spatial, 5)) == (None,) + (1,) * rank + (5,)
    assert gavg().compute_output_shape((None, *spatial, 5)) == (None, 5)


def test_global_average_pooling_1d_with_mask():
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]], np.float32)
    inp = Input(shape=(3, 2))
    out = GlobalAveragePooling1D()(Masking(0.0)(inp))
    np.testing.assert_allclose(Function([inp], [out])([x])[0], [[2.0, 3.0]])
