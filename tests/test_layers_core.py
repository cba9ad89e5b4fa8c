"""Core layers and the Layer base class, eagerly and symbolically, against NumPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.backend.functions import Function
from rkeras.engine.base_layer import Layer
from rkeras.layers import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    InputSpec,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    deserialize,
    serialize,
)
from rkeras.models import Model

pytestmark = pytest.mark.usefixtures("fresh_graph")


def run_symbolic(layer, x):
    """Calls `layer` on an Input and compiles it; returns the output for `x`."""
    inp = Input(shape=x.shape[1:])
    out = layer(inp)
    return Function([inp], [out])([x])[0]


# ----------------------------------------------------------------------------- Layer base


class Scale(Layer):
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")
        self.c = self.add_weight(name="c", shape=(1,), initializer="zeros", trainable=False)
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.w + self.c


def test_custom_layer_weights():
    layer = Scale()
    assert layer.name == "scale_1" and not layer.built
    with pytest.raises(ValueError, match="You tried to call `count_params` on scale_1, but the "
                                         "layer isn't built"):
        layer.count_params()
    with pytest.raises(RuntimeError):  # Keras 2 raised RuntimeError: both are caught
        layer.count_params()
    y = layer(Input(shape=(3,)))
    assert K.int_shape(y) == (None, 3)
    assert layer.built and layer.count_params() == 4
    assert [w.name for w in layer.weights] == ["scale_1/w:0", "scale_1/c:0"]
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_add_weight_keras3_order_and_callable_initializer():
    class K3(Layer):
        def build(self, input_shape):
            self.k = self.add_weight((2, 3), initializer=lambda shape, dtype=None:
                                     np.full(shape, 7.0), name="k")

    layer = K3()
    layer.build((None, 2))
    assert layer.k.shape == (2, 3) and float(layer.k.numpy()[0, 0]) == 7.0


def test_unknown_kwarg_is_type_error():
    with pytest.raises(TypeError, match="Keyword argument not understood:") as err:
        Dense(3, foo=1)
    assert "foo" in str(err.value)


def test_set_weights_messages():
    layer = Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match='You called `set_weights\\(weights\\)` on layer '
                                         '"dense_1" with a  weight list of length 1, but the '
                                         "layer was expecting 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"Layer weight shape \(3, 2\) not compatible with "
                                         r"provided weight shape \(2, 2\)"):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_weights_kwarg_sets_initial_values():
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = Dense(2, weights=[kernel, np.ones(2)])
    out = layer(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(out, [[7.0, 10.0]])


def test_compute_output_shape_mismatch_names_the_layer():
    class Wrong(Layer):
        def call(self, inputs):
            return inputs

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 99)

    with pytest.raises(ValueError, match='Layer "wrong_1" \\(Wrong\\) produced outputs of shape '
                                         "\\(None, 3\\)"):
        Wrong()(Input(shape=(3,)))


def test_input_spec_ndim_message():
    layer = RepeatVector(2, name="rv")
    with pytest.raises(ValueError, match='Input 0 of layer "rv" is incompatible with the layer: '
                                         "expected ndim=2, found ndim=3. Full shape received: "
                                         r"\(None, 2, 3\)"):
        layer(Input(shape=(2, 3)))
    assert repr(InputSpec(ndim=2)) == "InputSpec(ndim=2)"


def test_sublayers_are_tracked():
    class Block(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Dense(2)

        def build(self, input_shape):
            self.inner.build(input_shape)
            super().build(input_shape)

        def call(self, inputs):
            return self.inner(inputs)

    block = Block()
    assert K.int_shape(block(Input(shape=(3,)))) == (None, 2)
    assert len(block.weights) == 2 and block.count_params() == 8


# ----------------------------------------------------------------------------- Dense


def test_dense_eager_and_symbolic_match_numpy(rng):
    layer = Dense(4, activation="relu")
    x = rng.normal(size=(5, 3)).astype(np.float32)
    got = run_symbolic(layer, x)
    w, b = layer.get_weights()
    assert w.shape == (3, 4) and b.shape == (4,)
    np.testing.assert_allclose(got, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(x), got, rtol=1e-6, atol=1e-7)


def test_dense_softmax_activation(rng):
    layer = Dense(3, activation="softmax", use_bias=False)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    out = layer(x)
    assert len(layer.weights) == 1
    np.testing.assert_allclose(out.sum(axis=1), np.ones(2), rtol=1e-5)


def test_dense_rank3(rng):
    layer = Dense(5)
    x = rng.normal(size=(2, 7, 3)).astype(np.float32)
    got = run_symbolic(layer, x)
    w, b = layer.get_weights()
    np.testing.assert_allclose(got, x @ w + b, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 5)


def test_dense_keras1_arguments_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = Dense(output_dim=3, init="zeros", input_dim=2)
    assert layer.units == 3
    assert any("Update your `Dense` call to the Keras 2 API" in str(w.message) for w in caught)
    assert layer.batch_input_shape == (None, 2)
    assert layer(np.ones((1, 2), np.float32)).tolist() == [[0.0, 0.0, 0.0]]


def test_dense_validation_and_config():
    with pytest.raises(ValueError, match="expected a positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match="last dimension of the inputs to a Dense layer should "
                                         "be defined"):
        Dense(2).build((None, None))
    config = Dense(3, activation="relu", input_shape=(4,), name="d").get_config()
    for key in ("name", "trainable", "batch_input_shape", "dtype", "units", "activation",
                "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint"):
        assert key in config
    assert config["activation"] == "relu" and config["units"] == 3
    clone = deserialize(serialize(Dense(3, activation="relu", name="d2")))
    assert clone.units == 3 and clone.name == "d2"


# ----------------------------------------------------------------------------- Activation


def test_activation_layer(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(Activation("relu")(x), np.maximum(x, 0))
    np.testing.assert_allclose(run_symbolic(Activation("tanh"), x), np.tanh(x), rtol=1e-5,
                               atol=1e-6)
    assert Activation("softmax").get_config()["activation"] == "softmax"


# ----------------------------------------------------------------------------- Dropout


def test_dropout_eager():
    x = np.ones((100, 100), np.float32)
    layer = Dropout(0.25)
    np.testing.assert_array_equal(layer(x), x)
    out = layer(x, training=True)
    assert set(np.unique(out).tolist()) <= {0.0, float(np.float32(1.0 / 0.75))}
    assert 0.15 < (out == 0).mean() < 0.35
    assert layer.get_config()["rate"] == 0.25


def test_dropout_noise_shape():
    x = np.ones((4, 5, 6), np.float32)
    out = Dropout(0.5, noise_shape=(None, 1, 6))(x, training=True)
    # the same mask for every timestep
    for t in range(1, 5):
        np.testing.assert_array_equal(out[:, t, :], out[:, 0, :])


def test_dropout_rate_validation():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(1.5)


# ----------------------------------------------------------------------------- shape layers


def test_flatten(rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(Flatten(), x), x.reshape(2, 12))
    np.testing.assert_array_equal(Flatten(data_format="channels_first")(x),
                                  x.transpose(0, 2, 1).reshape(2, 12))
    with pytest.raises(ValueError, match='The shape of the input to "Flatten" is not fully '
                                         "defined"):
        Flatten()(Input(shape=(None, 3)))


def test_reshape(rng):
    x = rng.normal(size=(2, 12)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(Reshape((3, 4)), x), x.reshape(2, 3, 4))
    np.testing.assert_array_equal(Reshape((-1, 2))(x), x.reshape(2, 6, 2))
    assert Reshape((-1, 2)).compute_output_shape((None, 12)) == (None, 6, 2)
    with pytest.raises(ValueError, match="Can only specify one unknown dimension"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="total size of new array must be unchanged"):
        Reshape((5,))(Input(shape=(12,)))


def test_permute_and_repeat_vector(rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(run_symbolic(Permute((2, 1)), x), x.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="Invalid permutation argument `dims`"):
        Permute((1, 3))
    v = rng.normal(size=(2, 5)).astype(np.float32)
    out = run_symbolic(RepeatVector(3), v)
    assert out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out[:, 2], v)


# ----------------------------------------------------------------------------- Lambda


def double_it(x, factor=2.0):
    return x * factor


def test_lambda_shapes_arguments_and_config(rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    layer = Lambda(double_it, arguments={"factor": 3.0})
    np.testing.assert_allclose(run_symbolic(layer, x), 3 * x, rtol=1e-6)
    assert layer.compute_output_shape((None, 3)) == (None, 3)
    assert Lambda(lambda t: t[:, :2]).compute_output_shape((None, 5)) == (None, 2)
    assert Lambda(lambda t: t, output_shape=(3,)).compute_output_shape((None, 3)) == (None, 3)
    config = layer.get_config()
    assert config["function"] == "double_it" and config["function_type"] == "function"
    assert config["needs_safe_mode_false"] is True
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config)
    restored = Lambda.from_config(config, safe_mode=False)
    assert restored.function is double_it and restored.arguments == {"factor": 3.0}
    assert Lambda.from_config(config, custom_objects={"double_it": double_it}).function \
        is double_it
    with pytest.raises(ValueError, match="lambda"):
        Lambda.from_config(Lambda(lambda t: t).get_config(), safe_mode=False)


def test_lambda_wrong_declared_output_shape_warns():
    with pytest.warns(UserWarning, match="compute_output_shape"):
        y = Lambda(lambda t: t[:, 0], output_shape=(1,))(Input(shape=(3,)))
    assert K.int_shape(y) == (None,)


# ----------------------------------------------------------------------------- regularization


def test_activity_regularization_config_and_identity():
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(layer(x), x)
    config = layer.get_config()
    assert config["l1"] == pytest.approx(0.1) and config["l2"] == pytest.approx(0.2)


def test_masking_mask_and_zeroing():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    layer = Masking(0.0)
    np.testing.assert_array_equal(layer(x), x)
    x[0, 2] = [5.0, 5.0]
    x[0, 1] = [0.0, 0.0]
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    inp = Input(shape=(3, 2))
    masked = Masking(mask_value=-1.0)(inp)
    assert masked._keras_mask is not None
    dense = Dense(2)
    out = dense(masked)  # Dense supports masking: the mask is carried over
    assert out._keras_mask is masked._keras_mask or out._keras_mask is not None
    with pytest.raises(TypeError, match="does not support masking"):
        RepeatVector(2)(Flatten()(masked))
    model = Model(inp, out)
    v = np.array([[[-1.0, -1.0], [1.0, 2.0], [3.0, 4.0]]], np.float32)
    w, b = dense.get_weights()
    expected = np.where((v != -1.0).any(-1, keepdims=True), v, 0.0) @ w + b
    np.testing.assert_allclose(model(v), expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- Input


def test_input_and_input_layer():
    x = Input(shape=(3,), name="feat", dtype="float32")
    assert x.shape == (None, 3) and x._keras_history[0].name == "feat"
    assert Input(batch_shape=(8, 2)).shape == (8, 2)
    assert Input(shape=5).shape == (None, 5)
    with pytest.raises(ValueError, match="Please provide to Input either a `shape` or a "
                                         "`batch_shape` argument"):
        Input()
    with pytest.raises(ValueError, match="Only provide the input_shape OR batch_input_shape"):
        InputLayer(input_shape=(2,), batch_input_shape=(None, 2))
    p = K.placeholder(shape=(None, 4))
    t = Input(tensor=p)
    assert t is p and t.shape == (None, 4)
    layer = InputLayer(input_shape=(3,), name="in")
    assert layer.get_config() == {"batch_input_shape": (None, 3), "dtype": "float32",
                                  "sparse": False, "name": "in"}
    assert layer.count_params() == 0 and layer.weights == []
