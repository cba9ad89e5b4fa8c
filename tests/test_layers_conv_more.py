"""DepthwiseConv1D/2D, SeparableConv1D/2D and Conv1D/2D/3DTranspose against direct-loop NumPy
float64 references: shapes, weight layouts, both data formats, gradients, config round
trips, training, and the errors."""

from __future__ import annotations

import itertools
import json
import pathlib

import numpy as np
import pytest
from conv_reference import ref_conv

from rkeras import _rkeras
from rkeras import backend as K
from rkeras.layers import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Flatten,
    Input,
    SeparableConv1D,
    SeparableConv2D,
    conv_utils,
    deserialize,
    serialize,
)
from rkeras.models import Sequential
from rkeras.optimizers import Adam

pytestmark = pytest.mark.usefixtures("fresh_graph")

DEPTHWISE = {1: DepthwiseConv1D, 2: DepthwiseConv2D}
SEPARABLE = {1: SeparableConv1D, 2: SeparableConv2D}
TRANSPOSE = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}


def _has_conv_transpose() -> bool:
    try:
        _rkeras.eager("conv_transpose", [np.ones((1, 3, 3, 2), "f4"),
                                         np.ones((2, 2, 4, 2), "f4")],
                      {"strides": [2, 2], "padding": "valid"})
    except ValueError:
        return False
    return True


needs_conv_transpose = pytest.mark.skipif(not _has_conv_transpose(),
                                          reason="the `conv_transpose` op is not in this build")


# ----------------------------------------------------------------------------- references


def ref_depthwise(x, kernel, strides, dilation, padding):
    """Output channel c * mult + m = input channel c convolved with kernel[..., c, m]."""
    cin, mult = kernel.shape[-2:]
    cols = [ref_conv(x[..., c:c + 1], kernel[..., c:c + 1, m:m + 1], strides, dilation,
                     padding) for c in range(cin) for m in range(mult)]
    return np.concatenate(cols, axis=-1)


def ref_separable(x, dw, pw, strides, dilation, padding):
    y = ref_depthwise(x, dw, strides, dilation, padding)
    return y @ np.asarray(pw, np.float64).reshape(pw.shape[-2:])


def ref_conv_transpose(x, kernel, strides, padding):
    """Scatter loop: out[i * s + o] += x[i] @ kernel[o].T (kernel (*ks, Cout, Cin)), then
    TF's crop: 'valid' keeps in*s + max(k - s, 0), 'same' keeps in*s after max(k - s, 0) // 2."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    spatial = x.shape[1:-1]
    full = [(n - 1) * s + k for n, s, k in zip(spatial, strides, ks)]
    big = [max(f, n * s) for f, n, s in zip(full, spatial, strides)]
    out = np.zeros((x.shape[0], *big, kernel.shape[-2]))
    for pos in itertools.product(*[range(n) for n in spatial]):
        xi = x[(slice(None),) + pos]  # (N, Cin)
        for offs in itertools.product(*[range(k) for k in ks]):
            at = tuple(p * s + o for p, s, o in zip(pos, strides, offs))
            out[(slice(None),) + at] += xi @ kernel[offs].T
    if padding == "valid":
        keep = [(0, n * s + max(k - s, 0)) for n, s, k in zip(spatial, strides, ks)]
    else:
        keep = [(max(k - s, 0) // 2, max(k - s, 0) // 2 + n * s)
                for n, s, k in zip(spatial, strides, ks)]
    return out[(slice(None),) + tuple(slice(a, b) for a, b in keep)]


def run_symbolic(layer, x):
    inp = Input(shape=x.shape[1:])
    return K.function([inp], [layer(inp)])([x])[0]


def to_cf(x):
    return np.moveaxis(x, -1, 1)


def to_cl(x):
    return np.moveaxis(x, 1, -1)


def linear_grad(fn, arg, r):
    """d sum(fn(arg) * r) / d arg for a function linear in `arg`, by unit vectors."""
    arg = np.asarray(arg, np.float64)
    g = np.zeros_like(arg)
    for i in np.ndindex(arg.shape):
        e = np.zeros_like(arg)
        e[i] = 1.0
        g[i] = np.sum(fn(e) * r)
    return g


# ----------------------------------------------------------------------------- depthwise

DW_CASES = [
    # rank, spatial, kernel, strides, dilation, padding, multiplier
    (1, (9,), (3,), (1,), (1,), "valid", 1),
    (1, (9,), (3,), (2,), (1,), "same", 2),
    (1, (9,), (2,), (1,), (2,), "causal", 3),
    (2, (7, 8), (3, 3), (1, 1), (1, 1), "valid", 1),
    (2, (7, 8), (3, 2), (2, 2), (1, 1), "same", 2),
    (2, (8, 8), (3, 3), (1, 1), (2, 2), "same", 3),
    (2, (6, 7), (2, 3), (3, 2), (1, 1), "valid", 2),
]


@pytest.mark.parametrize("rank,spatial,ks,strides,dilation,padding,mult", DW_CASES)
def test_depthwise_matches_reference(rng, rank, spatial, ks, strides, dilation, padding, mult):
    cin = 3
    x = rng.standard_normal((2, *spatial, cin)).astype(np.float32)
    layer = DEPTHWISE[rank](ks, strides=strides, padding=padding, depth_multiplier=mult,
                            dilation_rate=dilation, bias_initializer="glorot_uniform")
    y_sym = run_symbolic(layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (*ks, cin, mult) and bias.shape == (cin * mult,)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["depthwise_kernel:0", "bias:0"]
    expected = ref_depthwise(x, kernel, strides, dilation, padding) + bias
    assert layer.compute_output_shape((None, *spatial, cin)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y_sym, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [DW_CASES[1], DW_CASES[4], DW_CASES[6]])
def test_depthwise_channels_first(rng, case):
    rank, spatial, ks, strides, dilation, padding, mult = case
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    last = DEPTHWISE[rank](ks, strides=strides, padding=padding, depth_multiplier=mult,
                           bias_initializer="ones", data_format="channels_last")
    first = DEPTHWISE[rank](ks, strides=strides, padding=padding, depth_multiplier=mult,
                            bias_initializer="ones", data_format="channels_first")
    y_last = run_symbolic(last, x)
    first.build((None, 3) + spatial)
    first.set_weights(last.get_weights())
    y_first = run_symbolic(first, to_cf(x))
    assert first.compute_output_shape((None, 3) + spatial) == (None, 3 * mult) + y_last.shape[1:-1]
    np.testing.assert_allclose(to_cl(y_first), y_last, rtol=1e-5, atol=1e-5)


def test_depthwise_gradients_match_reference(rng):
    x = rng.standard_normal((2, 5, 6, 2)).astype(np.float32)
    layer = DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2)
    ph = K.placeholder(shape=(None, 5, 6, 2))
    out = layer(ph)
    r = rng.standard_normal((2, 3, 3, 4))
    gx, gk, gb = K.gradients(K.sum(out * r.astype(np.float32)),
                             [ph, layer.depthwise_kernel, layer.bias])
    got = K.function([ph], [gx, gk, gb])([x])
    kernel = layer.get_weights()[0]
    args = ((2, 2), (1, 1), "same")
    ek = linear_grad(lambda k: ref_depthwise(x, k, *args), kernel, r)
    ex = linear_grad(lambda v: ref_depthwise(v, kernel, *args), x, r)
    np.testing.assert_allclose(got[0], ex, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], ek, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[2], r.reshape(-1, 4).sum(0), rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- separable

SEP_CASES = [
    (1, (9,), (3,), (1,), (1,), "valid", 1),
    (1, (10,), (3,), (2,), (1,), "same", 2),
    (1, (9,), (3,), (1,), (1,), "causal", 2),
    (2, (7, 8), (3, 3), (1, 1), (1, 1), "valid", 1),
    (2, (7, 8), (3, 3), (2, 2), (1, 1), "same", 2),
    (2, (8, 8), (2, 2), (1, 1), (2, 2), "valid", 3),
]


@pytest.mark.parametrize("rank,spatial,ks,strides,dilation,padding,mult", SEP_CASES)
def test_separable_matches_reference(rng, rank, spatial, ks, strides, dilation, padding, mult):
    cin, filters = 3, 4
    x = rng.standard_normal((2, *spatial, cin)).astype(np.float32)
    layer = SEPARABLE[rank](filters, ks, strides=strides, padding=padding,
                            depth_multiplier=mult, dilation_rate=dilation,
                            bias_initializer="glorot_uniform")
    y_sym = run_symbolic(layer, x)
    dw, pw, bias = layer.get_weights()
    assert dw.shape == (*ks, cin, mult)
    assert pw.shape == (1,) * rank + (cin * mult, filters)
    assert bias.shape == (filters,)
    assert [w.name.split("/")[-1] for w in layer.weights] == [
        "depthwise_kernel:0", "pointwise_kernel:0", "bias:0"]
    expected = ref_separable(x, dw, pw, strides, dilation, padding) + bias
    assert layer.compute_output_shape((None, *spatial, cin)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y_sym, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [SEP_CASES[1], SEP_CASES[4]])
def test_separable_channels_first(rng, case):
    rank, spatial, ks, strides, dilation, padding, mult = case
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    kw = dict(strides=strides, padding=padding, depth_multiplier=mult, bias_initializer="ones")
    last = SEPARABLE[rank](5, ks, data_format="channels_last", **kw)
    first = SEPARABLE[rank](5, ks, data_format="channels_first", **kw)
    y_last = run_symbolic(last, x)
    first.build((None, 3) + spatial)
    first.set_weights(last.get_weights())
    y_first = run_symbolic(first, to_cf(x))
    np.testing.assert_allclose(to_cl(y_first), y_last, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- transpose

TR_CASES = [
    # rank, spatial, kernel, strides, padding
    (1, (5,), (3,), (1,), "valid"),
    (1, (5,), (3,), (2,), "same"),
    (1, (4,), (2,), (3,), "valid"),
    (2, (3, 4), (3, 3), (2, 2), "valid"),
    (2, (3, 4), (3, 2), (2, 2), "same"),
    (2, (4, 3), (2, 2), (1, 1), "same"),
    (2, (3, 3), (4, 4), (2, 3), "same"),
    (2, (3, 3), (1, 1), (2, 2), "valid"),
    (3, (2, 3, 2), (2, 3, 2), (2, 1, 2), "valid"),
    (3, (2, 3, 2), (3, 2, 2), (2, 2, 1), "same"),
]


@needs_conv_transpose
@pytest.mark.parametrize("rank,spatial,ks,strides,padding", TR_CASES)
def test_conv_transpose_matches_reference(rng, rank, spatial, ks, strides, padding):
    cin, filters = 3, 2
    x = rng.standard_normal((2, *spatial, cin)).astype(np.float32)
    layer = TRANSPOSE[rank](filters, ks, strides=strides, padding=padding,
                            bias_initializer="glorot_uniform")
    y_sym = run_symbolic(layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (*ks, filters, cin) and bias.shape == (filters,)
    expected = ref_conv_transpose(x, kernel, strides, padding) + bias
    assert layer.compute_output_shape((None, *spatial, cin)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y_sym, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


@needs_conv_transpose
@pytest.mark.parametrize("case", [TR_CASES[1], TR_CASES[4], TR_CASES[9]])
def test_conv_transpose_channels_first(rng, case):
    rank, spatial, ks, strides, padding = case
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    last = TRANSPOSE[rank](2, ks, strides=strides, padding=padding, bias_initializer="ones",
                           data_format="channels_last")
    first = TRANSPOSE[rank](2, ks, strides=strides, padding=padding, bias_initializer="ones",
                            data_format="channels_first")
    y_last = run_symbolic(last, x)
    first.build((None, 3) + spatial)
    first.set_weights(last.get_weights())
    y_first = run_symbolic(first, to_cf(x))
    assert first.compute_output_shape((None, 3) + spatial) == (None, 2) + y_last.shape[1:-1]
    np.testing.assert_allclose(to_cl(y_first), y_last, rtol=1e-5, atol=1e-5)


@needs_conv_transpose
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_transpose_gradients_match_reference(rng, padding):
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    layer = Conv2DTranspose(3, (3, 2), strides=2, padding=padding)
    ph = K.placeholder(shape=(None, 3, 2, 2))
    out = layer(ph)
    r = rng.standard_normal((2,) + tuple(layer.compute_output_shape(x.shape)[1:]))
    gx, gk, gb = K.gradients(K.sum(out * r.astype(np.float32)),
                             [ph, layer.kernel, layer.bias])
    got = K.function([ph], [gx, gk, gb])([x])
    kernel = layer.get_weights()[0]
    ek = linear_grad(lambda k: ref_conv_transpose(x, k, (2, 2), padding), kernel, r)
    ex = linear_grad(lambda v: ref_conv_transpose(v, kernel, (2, 2), padding), x, r)
    np.testing.assert_allclose(got[0], ex, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], ek, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[2], r.reshape(-1, 3).sum(0), rtol=1e-4, atol=1e-4)


def test_conv_transpose_shapes_without_running():
    assert Conv2DTranspose(4, 3, strides=2)(Input(shape=(5, 6, 2))).shape == (None, 11, 13, 4) \
        if _has_conv_transpose() else True
    layer = Conv2DTranspose(4, (3, 2), strides=(2, 3), padding="same")
    assert layer.compute_output_shape((None, 5, 6, 2)) == (None, 10, 18, 4)
    assert layer.compute_output_shape((None, None, 6, 2)) == (None, None, 18, 4)
    assert Conv1DTranspose(2, 2, strides=3).compute_output_shape((None, 4, 1)) == (None, 12, 2)
    cf = Conv3DTranspose(2, 3, data_format="channels_first")
    assert cf.compute_output_shape((None, 1, 2, 3, 4)) == (None, 2, 4, 5, 6)


# ----------------------------------------------------------------------------- config, training

LAYERS = [
    lambda: DepthwiseConv1D(3, strides=2, padding="causal", depth_multiplier=2,
                            activation="relu", depthwise_regularizer="l2", name="dw1"),
    lambda: DepthwiseConv2D((3, 2), depth_multiplier=3, data_format="channels_first",
                            use_bias=False, depthwise_initializer="he_normal", name="dw2"),
    lambda: SeparableConv1D(4, 3, padding="same", depth_multiplier=2,
                            pointwise_regularizer="l1", name="sep1"),
    lambda: SeparableConv2D(6, 3, strides=2, dilation_rate=1, activation="tanh",
                            depthwise_constraint="non_neg", name="sep2"),
    lambda: Conv1DTranspose(3, 4, strides=2, padding="same", name="tr1"),
    lambda: Conv2DTranspose(3, (2, 3), strides=(2, 1), kernel_initializer="he_uniform",
                            bias_constraint="max_norm", name="tr2"),
    lambda: Conv3DTranspose(2, 2, data_format="channels_first", use_bias=False, name="tr3"),
]

KEYS = {
    "DepthwiseConv1D": {"kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                        "dilation_rate", "groups", "activation", "use_bias",
                        "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                        "bias_regularizer", "activity_regularizer", "depthwise_constraint",
                        "bias_constraint"},
    "SeparableConv1D": {"filters", "kernel_size", "strides", "padding", "data_format",
                        "dilation_rate", "depth_multiplier", "activation", "use_bias",
                        "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                        "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                        "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                        "bias_constraint"},
    "Conv1DTranspose": {"filters", "kernel_size", "strides", "padding", "output_padding",
                        "data_format", "dilation_rate", "groups", "activation", "use_bias",
                        "kernel_initializer", "bias_initializer", "kernel_regularizer",
                        "bias_regularizer", "activity_regularizer", "kernel_constraint",
                        "bias_constraint"},
}
KEYS["DepthwiseConv2D"] = KEYS["DepthwiseConv1D"]
KEYS["SeparableConv2D"] = KEYS["SeparableConv1D"]
KEYS["Conv2DTranspose"] = KEYS["Conv3DTranspose"] = KEYS["Conv1DTranspose"]


@pytest.mark.parametrize("make", LAYERS)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    name = type(layer).__name__
    assert set(config) - {"name", "trainable", "dtype"} == KEYS[name]
    clone = deserialize(serialize(layer))
    assert type(clone) is type(layer)
    assert clone.get_config() == config


def _train(model, x, y, steps=60):
    model.compile(optimizer=Adam(learning_rate=0.02), loss="mse")
    first = model.train_on_batch(x, y)
    for _ in range(steps):
        last = model.train_on_batch(x, y)
    first = float(first[0] if isinstance(first, list) else first)
    last = float(last[0] if isinstance(last, list) else last)
    assert last < 0.7 * first, (first, last)


@pytest.mark.parametrize("kind", ["dw1", "dw2", "sep1", "sep2"])
def test_small_models_train(rng, kind):
    K.set_random_seed(1)
    rank = 1 if kind.endswith("1") else 2
    shape = (8, 3) if rank == 1 else (6, 6, 3)
    x = rng.standard_normal((32, *shape)).astype(np.float32)
    y = x.mean(axis=tuple(range(1, x.ndim)))[:, None].astype(np.float32) * 3.0
    conv = {"dw1": lambda: DepthwiseConv1D(3, depth_multiplier=2),
            "dw2": lambda: DepthwiseConv2D(3, padding="same", depth_multiplier=2),
            "sep1": lambda: SeparableConv1D(4, 3, depth_multiplier=2),
            "sep2": lambda: SeparableConv2D(4, 3, strides=2, padding="same")}[kind]()
    model = Sequential([Input(shape=shape), conv, Flatten(), Dense(1)])
    _train(model, x, y)


@needs_conv_transpose
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_transpose_models_train(rng, rank):
    K.set_random_seed(1)
    shape = ((4,), (3, 3), (2, 2, 2))[rank - 1] + (2,)
    x = rng.standard_normal((32, *shape)).astype(np.float32)
    y = x.sum(axis=tuple(range(1, x.ndim)))[:, None].astype(np.float32)
    model = Sequential([Input(shape=shape), TRANSPOSE[rank](3, 2, strides=2), Flatten(),
                        Dense(1)])
    _train(model, x, y)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls,args", [(DepthwiseConv2D, (3,)), (DepthwiseConv1D, (3,)),
                                      (SeparableConv2D, (4, 3)), (SeparableConv1D, (4, 3))])
@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_depth_multiplier(cls, args, bad):
    with pytest.raises(ValueError, match=rf"{cls.__name__}.*depth_multiplier"):
        cls(*args, depth_multiplier=bad)


@pytest.mark.parametrize("cls,args", [(DepthwiseConv2D, (3,)), (SeparableConv2D, (4, 3)),
                                      (Conv2DTranspose, (4, 3)), (Conv1DTranspose, (4, 3)),
                                      (Conv3DTranspose, (4, 3))])
@pytest.mark.parametrize("bad", ["full", "causal", "bogus"])
def test_bad_padding(cls, args, bad):
    with pytest.raises(ValueError, match=rf"{cls.__name__}.*padding"):
        cls(*args, padding=bad)


def test_causal_allowed_for_1d_depthwise_and_separable():
    assert DepthwiseConv1D(3, padding="causal").padding == "causal"
    assert SeparableConv1D(2, 3, padding="causal").padding == "causal"


def test_transpose_bad_arguments():
    with pytest.raises(ValueError, match="Conv2DTranspose.*greater than output padding"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="strides > 1.*dilation_rate > 1"):
        Conv1DTranspose(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="filters"):
        Conv2DTranspose(0, 3)


def test_undefined_channels_rejected():
    with pytest.raises(ValueError, match="channel"):
        DepthwiseConv2D(3)(Input(shape=(8, 8, None)))
    with pytest.raises(ValueError, match="channel"):
        SeparableConv2D(2, 3)(Input(shape=(8, 8, None)))


KERAS_TRANSPOSE = json.loads(
    (pathlib.Path(__file__).parent / "data" / "keras_reference_conv_transpose.json").read_text())


@needs_conv_transpose
@pytest.mark.parametrize("case", KERAS_TRANSPOSE["cases"],
                         ids=lambda c: f"{c['rank']}d-{c['config']['padding']}-"
                                       f"op{c['config'].get('output_padding')}-"
                                       f"d{c['config'].get('dilation_rate', 1)}")
def test_conv_transpose_output_padding_and_dilation_match_keras(case):
    config = dict(case["config"])
    layer = TRANSPOSE[case["rank"]](**config)
    x = np.asarray(case["x"], np.float32)
    expected = np.asarray(case["y"], np.float32)
    assert layer.compute_output_shape(x.shape) == expected.shape
    model = Sequential([Input(shape=x.shape[1:]), layer])
    layer.set_weights([np.asarray(case["kernel"], np.float32),
                       np.asarray(case["bias"], np.float32)])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)
    if config.get("output_padding") is not None:
        config_back = layer.get_config()["output_padding"]
        assert tuple(config_back) == conv_utils.normalize_tuple(
            config["output_padding"], case["rank"], "op", allow_zero=True)
