"""Custom layers written the Keras-2 way: subclass ``Layer``, ``build`` with ``add_weight``,
``call`` with K functions and operators, ``compute_output_shape``, ``compute_mask``,
``get_config``, ``InputSpec``; used in Sequential and functional models, nested and shared."""

from __future__ import annotations

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras.engine import trace
from rkeras.engine.base_layer import Layer
from rkeras.engine.input_spec import InputSpec
from rkeras.layers import Dense, Input
from rkeras.models import Model, Sequential


class MyDense(Layer):
    """``tanh(x . kernel + bias) * scale`` with a regularized, constrained kernel and a frozen
    scale."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                      initializer="uniform",
                                      regularizer=keras.regularizers.l2(1e-4),
                                      constraint=keras.constraints.max_norm(10.0), trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.output_dim,), initializer="zeros")
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=False)
        super().build(input_shape)

    def call(self, x):
        return K.tanh(K.dot(x, self.kernel) + self.bias) * self.scale

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = {"output_dim": self.output_dim}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class MaskZeros(Layer):
    """Passes the input through and masks the timesteps that are all zeros."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        return x

    def compute_mask(self, inputs, mask=None):
        return K.any(K.not_equal(inputs, 0.0), axis=-1)


class WrongShape(Layer):
    def call(self, x):
        return K.concatenate([x, x])

    def compute_output_shape(self, input_shape):
        return input_shape


def _data(n=64, d=4, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, d).astype("float32")
    y = (x @ rng.randn(d, 1) > 0).astype("float32")
    return x, y


def test_custom_layer_in_sequential_trains(fresh_graph):
    K.set_random_seed(1)
    x, y = _data()
    model = Sequential([MyDense(8, input_shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    layer = model.layers[0]
    assert [w.name for w in layer.trainable_weights] == [f"{layer.name}/kernel:0",
                                                        f"{layer.name}/bias:0"]
    assert [w.name for w in layer.non_trainable_weights] == [f"{layer.name}/scale:0"]
    scale_before = K.get_value(layer.scale)
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.8
    assert K.get_value(layer.scale) == scale_before  # not trainable
    assert model.output_shape == (None, 1)
    assert len(layer.losses) == 1  # the kernel's L2 penalty


def test_custom_layer_functional_nested_and_shared(fresh_graph):
    x, y = _data()
    shared = MyDense(4, name="shared")
    a, b = Input(shape=(4,)), Input(shape=(4,))
    merged = keras.layers.add([shared(a), shared(b)])
    inner = Model([a, b], merged, name="inner")
    assert len(shared.inbound_nodes) == 2
    i1, i2 = Input(shape=(4,)), Input(shape=(4,))
    out = Dense(1, activation="sigmoid")(MyDense(3)(inner([i1, i2])))
    outer = Model([i1, i2], out)
    assert len(outer.trainable_weights) == 6
    outer.compile("adam", "binary_crossentropy")
    before = K.get_value(shared.kernel).copy()
    history = outer.fit([x, x[::-1]], y, epochs=5, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.allclose(before, K.get_value(shared.kernel))
    assert outer.predict([x[:3], x[:3]]).shape == (3, 1)


def test_custom_layer_gradient_matches_finite_differences(fresh_graph):
    K.set_random_seed(3)
    layer = MyDense(3)
    graph = K.FuncGraph("grad_check")
    xin = graph.placeholder([None, 4], "float32", "x")
    with trace.tracing(graph, True):  # ops on the kernel alone are recorded in the graph
        loss = K.sum(K.square(layer(xin) - 0.3)) + K.sum(layer.kernel ** 2) * 0.5
    grads = K.gradients(loss, [layer.kernel, layer.bias])
    from rkeras import _rkeras

    fn = _rkeras.Function(graph.raw, [xin.node], [loss.node] + [g.node for g in grads])
    xv = np.random.RandomState(0).randn(5, 4).astype("float32")
    K.set_value(layer.bias, np.array([0.1, -0.2, 0.05], "float32"))
    _, g_kernel, g_bias = fn([xv])

    def loss_np(kernel, bias):
        out = np.tanh(xv.astype(np.float64) @ kernel + bias)
        return np.sum((out - 0.3) ** 2) + 0.5 * np.sum(kernel ** 2)

    kernel = K.get_value(layer.kernel).astype(np.float64)
    bias = K.get_value(layer.bias).astype(np.float64)
    eps = 1e-5
    num_k = np.zeros_like(kernel)
    for idx in np.ndindex(*kernel.shape):
        kp, km = kernel.copy(), kernel.copy()
        kp[idx] += eps
        km[idx] -= eps
        num_k[idx] = (loss_np(kp, bias) - loss_np(km, bias)) / (2 * eps)
    num_b = np.zeros_like(bias)
    for i in range(len(bias)):
        bp, bm = bias.copy(), bias.copy()
        bp[i] += eps
        bm[i] -= eps
        num_b[i] = (loss_np(kernel, bp) - loss_np(kernel, bm)) / (2 * eps)
    np.testing.assert_allclose(g_kernel, num_k, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(g_bias, num_b, rtol=1e-3, atol=1e-4)


def test_custom_layer_operators_and_eager_call(fresh_graph):
    class Poly(Layer):
        def call(self, x):
            return 2.0 * x ** 2 - x / 4.0 + 1.0 - (-x) @ np.eye(2, dtype="float32")

    xv = np.array([[1.0, 2.0]], "float32")
    np.testing.assert_allclose(Poly()(xv), 2 * xv ** 2 - xv / 4 + 1 + xv, rtol=1e-6)
    t = Poly()(Input(shape=(2,)))
    assert K.int_shape(t) == (None, 2) and K.ndim(t) == 2


def test_custom_layer_config_roundtrip(fresh_graph):
    layer = MyDense(5, name="md")
    config = layer.get_config()
    assert config["output_dim"] == 5 and config["name"] == "md"
    clone = MyDense.from_config(config)
    assert clone.output_dim == 5 and clone.name == "md"
    model = Sequential([MyDense(2, input_shape=(3,))])
    rebuilt = Sequential.from_config(model.get_config(), custom_objects={"MyDense": MyDense})
    assert rebuilt.output_shape == (None, 2)


def test_custom_compute_mask_and_input_spec(fresh_graph):
    inp = Input(shape=(3, 2))
    out = MaskZeros()(inp)
    assert out._keras_mask is not None and K.int_shape(out._keras_mask) == (None, 3)
    with pytest.raises(ValueError, match="min_ndim"):
        MyDense(2)(Input(shape=()))


def test_custom_layer_wrong_output_shape_names_the_layer(fresh_graph):
    with pytest.raises(ValueError, match=r'Layer "wrong".*compute_output_shape'):
        WrongShape(name="wrong")(Input(shape=(3,)))
