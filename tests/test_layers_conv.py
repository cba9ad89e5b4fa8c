"""Convolution layers (Conv1D/2D/3D) and the spatial reshaping layers (Cropping, ZeroPadding,
UpSampling) against direct-loop NumPy float64 references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conv_reference import pad_spatial, ref_conv, same_pads

from rkeras import backend as K
from rkeras.backend.functions import Function
from rkeras.layers import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution2D,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    Flatten,
    Input,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
    deserialize,
    serialize,
)
from rkeras.models import Model, Sequential

pytestmark = pytest.mark.usefixtures("fresh_graph")

CONV = {1: Conv1D, 2: Conv2D, 3: Conv3D}


# ----------------------------------------------------------------------------- references


def ref_conv_grads(x, kernel, r, strides, dilation, padding):
    """Gradients of ``sum(conv(x, kernel) * r)`` w.r.t. x and kernel (float64 loops)."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [same_pads(x.shape[1 + i], ks[i], strides[i], dilation[i]) for i in range(rank)]
    elif padding == "causal":
        pads = [((ks[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    xp = pad_spatial(x, pads)
    out_len = r.shape[1:-1]
    gxp = np.zeros_like(xp)
    gk = np.zeros_like(kernel)
    for offs in itertools.product(*[range(k) for k in ks]):
        idx = tuple(slice(o * dilation[i], o * dilation[i] + (out_len[i] - 1) * strides[i] + 1,
                          strides[i]) for i, o in enumerate(offs))
        window = xp[(slice(None),) + idx]
        gk[offs] = np.tensordot(window, r, axes=(list(range(rank + 1)),) * 2)
        gxp[(slice(None),) + idx] += r @ kernel[offs].T
    inner = tuple(slice(a, gxp.shape[1 + i] - b) for i, (a, b) in enumerate(pads))
    return gxp[(slice(None),) + inner], gk


def run_symbolic(layer, x, **call_kwargs):
    inp = Input(shape=x.shape[1:])
    out = layer(inp, **call_kwargs)
    return Function([inp], [out])([x])[0]


def to_cf(x):
    return np.moveaxis(x, -1, 1)


def to_cl(x):
    return np.moveaxis(x, 1, -1)


# ----------------------------------------------------------------------------- Conv forward

CASES = [
    # rank, spatial, kernel, strides, dilation, padding
    (1, (9,), (3,), (1,), (1,), "valid"),
    (1, (9,), (3,), (2,), (1,), "same"),
    (1, (10,), (4,), (3,), (1,), "valid"),
    (1, (9,), (3,), (1,), (2,), "same"),
    (1, (9,), (3,), (1,), (1,), "causal"),
    (1, (9,), (2,), (1,), (3,), "causal"),
    (1, (9,), (3,), (2,), (1,), "causal"),
    (2, (7, 8), (3, 3), (1, 1), (1, 1), "valid"),
    (2, (7, 8), (3, 2), (2, 2), (1, 1), "same"),
    (2, (7, 8), (2, 3), (1, 3), (1, 1), "valid"),
    (2, (8, 8), (3, 3), (1, 1), (2, 2), "valid"),
    (2, (8, 7), (3, 3), (1, 1), (2, 1), "same"),
    (2, (6, 6), (4, 4), (3, 3), (1, 1), "same"),
    (2, (5, 5), (1, 1), (1, 1), (1, 1), "valid"),
    (3, (5, 6, 4), (3, 3, 2), (1, 1, 1), (1, 1, 1), "valid"),
    (3, (5, 6, 4), (3, 2, 2), (2, 2, 1), (1, 1, 1), "same"),
    (3, (6, 6, 6), (2, 2, 2), (1, 1, 1), (2, 2, 2), "valid"),
]


@pytest.mark.parametrize("rank,spatial,ks,strides,dilation,padding", CASES)
def test_conv_matches_reference(rng, rank, spatial, ks, strides, dilation, padding):
    cin, cout = 3, 4
    x = rng.standard_normal((2, *spatial, cin)).astype(np.float32)
    layer = CONV[rank](cout, ks, strides=strides, dilation_rate=dilation, padding=padding,
                       bias_initializer="glorot_uniform")
    y_sym = run_symbolic(layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (*ks, cin, cout) and bias.shape == (cout,)
    expected = ref_conv(x, kernel, strides, dilation, padding) + bias
    assert layer.compute_output_shape((None, *spatial, cin)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y_sym, expected, rtol=1e-4, atol=1e-4)
    y_eager = layer(x)
    np.testing.assert_allclose(y_eager, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("rank,spatial,ks,strides,dilation,padding",
                         [c for c in CASES if c[-1] != "causal"][::2])
def test_conv_channels_first_equals_channels_last(rng, rank, spatial, ks, strides, dilation,
                                                  padding):
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    last = CONV[rank](2, ks, strides=strides, dilation_rate=dilation, padding=padding,
                      bias_initializer="ones", data_format="channels_last")
    first = CONV[rank](2, ks, strides=strides, dilation_rate=dilation, padding=padding,
                       bias_initializer="ones", data_format="channels_first")
    y_last = run_symbolic(last, x)
    first.build((None, 3) + spatial)
    first.set_weights(last.get_weights())  # same layout: (*kernel_size, in, out)
    y_first = run_symbolic(first, to_cf(x))
    assert first.compute_output_shape((None, 3) + spatial) == (None, 2) + y_last.shape[1:-1]
    np.testing.assert_allclose(to_cl(y_first), y_last, rtol=1e-5, atol=1e-5)


def test_conv2d_default_data_format_follows_image_data_format():
    assert Conv2D(2, 3).data_format == "channels_last"
    K.set_image_data_format("channels_first")
    try:
        assert Conv2D(2, 3).data_format == "channels_first"
        assert Conv3D(2, 3).data_format == "channels_first"
        assert Conv1D(2, 3).data_format == "channels_last"  # Keras: Conv1D defaults to it
        assert Conv2D(2, 3)(Input(shape=(3, 8, 8))).shape == (None, 2, 6, 6)
    finally:
        K.set_image_data_format("channels_last")


def test_conv_activation_no_bias_and_none_spatial(rng):
    x = rng.standard_normal((2, 6, 5, 2)).astype(np.float32)
    layer = Conv2D(3, 2, activation="relu", use_bias=False)
    inp = Input(shape=(None, None, 2))
    out = layer(inp)
    assert out.shape == (None, None, None, 3) and len(layer.weights) == 1
    y = Function([inp], [out])([x])[0]
    np.testing.assert_allclose(y, np.maximum(ref_conv(x, layer.get_weights()[0], (1, 1),
                                                      (1, 1), "valid"), 0), atol=1e-5)
    y2 = Function([inp], [out])([x[:, :4, :3]])[0]  # other spatial sizes on the same graph
    assert y2.shape == (2, 3, 2, 3)


def test_conv_groups(rng):
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    layer = Conv2D(6, 3, groups=2)
    y = run_symbolic(layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 2, 6)
    expected = np.concatenate([
        ref_conv(x[..., :2], kernel[..., :3], (1, 1), (1, 1), "valid"),
        ref_conv(x[..., 2:], kernel[..., 3:], (1, 1), (1, 1), "valid")], axis=-1) + bias
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("rank,spatial,ks,strides,dilation,padding",
                         [CASES[1], CASES[5], CASES[8], CASES[10], CASES[12], CASES[15]])
def test_conv_gradients_match_reference(rng, rank, spatial, ks, strides, dilation, padding):
    x = rng.standard_normal((2, *spatial, 2)).astype(np.float32)
    layer = CONV[rank](3, ks, strides=strides, dilation_rate=dilation, padding=padding)
    ph = K.placeholder(shape=(None, *spatial, 2))
    out = layer(ph)
    r = rng.standard_normal((2,) + tuple(layer.compute_output_shape(x.shape)[1:]))
    loss = K.sum(out * r.astype(np.float32))
    gx, gk, gb = K.gradients(loss, [ph, layer.kernel, layer.bias])
    got = K.function([ph], [gx, gk, gb])([x])
    ex, ek = ref_conv_grads(x, layer.get_weights()[0], r, strides, dilation, padding)
    np.testing.assert_allclose(got[0], ex, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], ek, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[2], r.reshape(-1, 3).sum(0), rtol=1e-4, atol=1e-4)


def test_small_convnet_trains(rng):
    K.set_random_seed(1)
    x = rng.standard_normal((64, 8, 8, 1)).astype(np.float32)
    y = (x[:, 2:6, 2:6, 0].mean(axis=(1, 2)) > 0).astype(np.float32)
    model = Sequential([Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                        Conv2D(4, 3, padding="same", strides=2), Flatten(),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    first = model.train_on_batch(x, y)
    first = float(first[0] if isinstance(first, list) else first)
    for _ in range(150):
        last = model.train_on_batch(x, y)
    last = float(last[0] if isinstance(last, list) else last)
    assert last < first * 0.6
    assert model.predict(x, verbose=0).shape == (64, 1)


# ----------------------------------------------------------------------------- errors


def test_conv_kernel_larger_than_input_is_clear_error():
    layer = Conv2D(2, 5, name="big")
    with pytest.raises(ValueError, match=r"One of the dimensions in the output is <= 0 due to "
                                         r"downsampling in big.*\(None, 3, 3, 1\)"):
        layer(Input(shape=(3, 3, 1)))
    with pytest.raises(ValueError, match="big"):
        Conv2D(2, 5, name="big")(np.zeros((1, 4, 9, 1), np.float32))
    with pytest.raises(ValueError, match="downsampling"):
        Conv1D(2, 3, dilation_rate=3)(Input(shape=(6, 1)))


def test_conv_wrong_rank_and_channels():
    layer = Conv2D(2, 3, name="c2")
    with pytest.raises(ValueError, match=r'Input 0 of layer "c2" is incompatible with the '
                                         r"layer: expected ndim=4, found ndim=3. Full shape "
                                         r"received: \(None, 8, 8\)"):
        layer(Input(shape=(8, 8)))
    layer(Input(shape=(8, 8, 3)))
    with pytest.raises(ValueError, match=r'layer "c2".*expected axis -1 of input shape to have '
                                         r"value 3, but received input with shape "
                                         r"\(None, 8, 8, 4\)"):
        layer(Input(shape=(8, 8, 4)))
    with pytest.raises(ValueError, match="The channel dimension of the inputs should be defined"):
        Conv2D(2, 3)(Input(shape=(8, 8, None)))


def test_conv_argument_errors():
    with pytest.raises(ValueError, match="Causal padding is only supported for `Conv1D`"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="The `padding` argument must be one of"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with "
                                         "`dilation_rate > 1`"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="Expected a strictly positive value"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="The `kernel_size` argument must be a tuple of 2 "
                                         "integers"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="The `strides` argument"):
        Conv1D(2, 3, strides=0)
    with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
        Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="The `data_format` argument must be one of"):
        Conv2D(3, 3, data_format="NHWC")


def test_conv_config_roundtrip():
    layer = Convolution2D(8, (3, 5), strides=(1, 2), padding="same", activation="relu",
                          kernel_regularizer="l2", name="conv")
    config = layer.get_config()
    assert set(config) >= {
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "groups", "activation", "use_bias",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint"}
    assert config["kernel_size"] == (3, 5) and config["strides"] == (1, 2)
    assert config["dilation_rate"] == (1, 1) and config["data_format"] == "channels_last"
    clone = deserialize(serialize(layer))
    assert type(clone) is Conv2D and clone.get_config() == config


def test_conv_in_functional_model_summary_and_count_params():
    inp = Input(shape=(28, 28, 1))
    h = Conv2D(32, 3, activation="relu")(inp)
    out = Conv1D(4, 3, padding="causal")(Input(shape=(10, 2)))
    model = Model(inp, h)
    assert model.count_params() == 3 * 3 * 1 * 32 + 32
    assert out.shape == (None, 10, 4)


# ----------------------------------------------------------------------------- reshaping


def test_zero_padding_values_and_shapes(rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    y = run_symbolic(ZeroPadding2D(((1, 2), (0, 3))), x)
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (1, 2), (0, 3), (0, 0)]))
    np.testing.assert_array_equal(ZeroPadding2D(1)(x), np.pad(x, [(0, 0), (1, 1), (1, 1),
                                                                  (0, 0)]))
    np.testing.assert_array_equal(ZeroPadding2D((2, 1))(x), np.pad(x, [(0, 0), (2, 2), (1, 1),
                                                                       (0, 0)]))
    y_cf = run_symbolic(ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first"), to_cf(x))
    np.testing.assert_array_equal(to_cl(y_cf), y)
    x1 = rng.standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(ZeroPadding1D((2, 1)), x1),
                                  np.pad(x1, [(0, 0), (2, 1), (0, 0)]))
    x3 = rng.standard_normal((1, 2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(ZeroPadding3D(((1, 0), (0, 1), (2, 2))), x3),
                                  np.pad(x3, [(0, 0), (1, 0), (0, 1), (2, 2), (0, 0)]))
    assert ZeroPadding3D().get_config()["padding"] == ((1, 1), (1, 1), (1, 1))
    assert ZeroPadding1D(3).get_config()["padding"] == (3, 3)
    with pytest.raises(ValueError, match="`padding` should have 2 elements"):
        ZeroPadding2D((1, 2, 3))


def test_cropping_values_and_shapes(rng):
    x = rng.standard_normal((2, 6, 7, 2)).astype(np.float32)
    y = run_symbolic(Cropping2D(((1, 2), (3, 0))), x)
    np.testing.assert_array_equal(y, x[:, 1:-2, 3:])
    y_cf = run_symbolic(Cropping2D(((1, 2), (3, 0)), data_format="channels_first"), to_cf(x))
    np.testing.assert_array_equal(to_cl(y_cf), y)
    np.testing.assert_array_equal(Cropping2D(1)(x), x[:, 1:-1, 1:-1])
    x1 = rng.standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(Cropping1D((2, 1)), x1), x1[:, 2:-1])
    np.testing.assert_array_equal(Cropping1D()(x1), x1[:, 1:-1])
    x3 = rng.standard_normal((1, 4, 5, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(Cropping3D(((1, 0), (0, 2), (1, 1))), x3),
                                  x3[:, 1:, :-2, 1:-1])
    assert Cropping3D().compute_output_shape((None, 4, 5, 6, 2)) == (None, 2, 3, 4, 2)
    assert Cropping2D(1).compute_output_shape((None, None, 5, 2)) == (None, None, 3, 2)
    with pytest.raises(ValueError, match="crop"):
        Cropping1D((2, 3), name="crop")(Input(shape=(5, 1)))


def test_upsampling_values_and_shapes(rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    y = run_symbolic(UpSampling2D((2, 3)), x)
    np.testing.assert_array_equal(y, x.repeat(2, axis=1).repeat(3, axis=2))
    y_cf = run_symbolic(UpSampling2D((2, 3), data_format="channels_first"), to_cf(x))
    np.testing.assert_array_equal(to_cl(y_cf), y)
    x1 = rng.standard_normal((2, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(UpSampling1D(3), x1), x1.repeat(3, axis=1))
    x3 = rng.standard_normal((1, 2, 1, 2, 2)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(UpSampling3D((1, 2, 3)), x3),
                                  x3.repeat(2, axis=2).repeat(3, axis=3))
    assert UpSampling1D(3).get_config()["size"] == 3
    assert UpSampling2D().get_config()["interpolation"] == "nearest"
    with pytest.raises(NotImplementedError, match="bilinear"):
        UpSampling2D(interpolation="bilinear")
    with pytest.raises(ValueError, match="`interpolation` argument should be one of"):
        UpSampling2D(interpolation="cubic")


def test_reshaping_configs_roundtrip():
    for layer in (Cropping1D((1, 2)), Cropping2D(((1, 2), (3, 4)), data_format="channels_first"),
                  Cropping3D(2), ZeroPadding1D(2), ZeroPadding2D((1, 2)), ZeroPadding3D(1),
                  UpSampling1D(2), UpSampling2D((1, 2)), UpSampling3D(2)):
        clone = deserialize(serialize(layer))
        assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_keras2_module_paths():
    from rkeras.layers.convolutional import Cropping2D as C2
    from rkeras.layers.convolutional import ZeroPadding2D as Z2

    assert C2 is Cropping2D and Z2 is ZeroPadding2D


def test_keras1_keyword_arguments_are_converted_with_warning():
    from rkeras.layers import MaxPooling1D

    with pytest.warns(UserWarning, match=r"Update your `Conv2D` call to the Keras 2 API: "
                                         r"`Conv2D\(filters=8.*data_format='channels_first'"):
        c = Convolution2D(nb_filter=8, nb_row=3, nb_col=5, border_mode="same",
                          subsample=(2, 2), dim_ordering="th")
    assert (c.filters, c.kernel_size, c.padding, c.strides, c.data_format) == (
        8, (3, 5), "same", (2, 2), "channels_first")
    with pytest.warns(UserWarning, match="Update your `Conv1D` call"):
        c1 = Conv1D(nb_filter=4, filter_length=3, subsample_length=2, init="ones")
    assert (c1.filters, c1.kernel_size, c1.strides) == (4, (3,), (2,))
    with pytest.warns(UserWarning, match="Update your `MaxPooling1D` call"):
        p = MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (p.pool_size, p.strides, p.padding) == ((3,), (1,), "same")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'filters'"):
        Conv2D()
