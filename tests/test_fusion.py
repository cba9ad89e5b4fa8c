"""The compiled programs of Keras convnets run fused kernels (conv + bias + relu in one, the relu
gradient inside the max-pool gradient, a first layer's pooling gradient inside its kernel
gradient and its pooling inside its forward convolution) and train exactly as the unfused ops
do."""

from __future__ import annotations

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras.layers import Conv2D, Dense, Flatten, MaxPooling2D


def _convnet(activation) -> keras.models.Sequential:
    keras.utils.set_random_seed(3)
    model = keras.models.Sequential([
        Conv2D(8, 3, activation=activation, input_shape=(10, 10, 2)),
        MaxPooling2D(2),
        Conv2D(12, 3, activation=activation),
        Flatten(),
        Dense(3, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(lr=0.05))
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 10, 10, 2)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 64), 3)
    return x, y


def test_convnet_training_runs_fused_kernels(data, monkeypatch):
    monkeypatch.setenv("RKERAS_PROFILE", "1")
    x, y = data
    model = _convnet("relu")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    names = [name for name, _, _ in model._train_program([(None, 3)]).profile()]
    # The first layer convolves, adds its bias, applies its relu and pools in one kernel; the
    # second (no pooling after it) in one kernel without the pooling.
    assert sum(n.startswith("conv_relu_max_pool ") for n in names) == 1
    assert sum(n.startswith("conv_bias_relu ") for n in names) == 1
    assert not any(n.startswith(("conv ", "relu ", "max_pool ")) for n in names)
    # The first layer's relu gradient runs inside its max-pool gradient, made sample by sample
    # from the forward's max-pool routes inside its kernel and bias gradient (its input needs
    # no gradient). The second layer has no pooling after it, so its relu gradient stays a
    # kernel of its own.
    assert any(n.startswith("conv_grad_bias_kernel_pooled ") for n in names)
    assert not any(n.startswith("sum_like ") and n.endswith(" [8]") for n in names)
    assert not any(n.startswith(("pool_grad ", "pool_grad_relu ")) for n in names)
    assert [n for n in names if n.startswith("relu_grad ")] == [
        "relu_grad [32, 2, 2, 12] [32, 2, 2, 12] [32, 2, 2, 12]"]


def _assert_trains_as_unfused(build, x, y) -> None:
    """`build("relu")` and the same model on a relu with a (never reached) cap, which is not
    the plain relu the fusion pass rewrites, train and predict alike from the same weights."""
    fused = build("relu")
    unfused = build(lambda t: K.relu(t, max_value=1e9))
    unfused.set_weights(fused.get_weights())
    for model in (fused, unfused):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(fused.get_weights(), unfused.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fused.predict(x, verbose=0), unfused.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def test_fused_training_matches_the_unfused_ops(data):
    _assert_trains_as_unfused(_convnet, *data)


def _pooled_convnet(activation) -> keras.models.Sequential:
    """Two conv + max-pool blocks, the second Winograd-sized (16 channels in and out, 5x5
    outputs): every convolution and pooling rewrite of the fusion pass applies to the plain
    relu."""
    keras.utils.set_random_seed(5)
    model = keras.models.Sequential([
        Conv2D(16, 3, activation=activation, input_shape=(16, 16, 2)),
        MaxPooling2D(2),
        Conv2D(16, 3, activation=activation),
        MaxPooling2D(2),
        Flatten(),
        Dense(3, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(lr=0.05))
    return model


@pytest.fixture
def pooled_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 16, 16, 2)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 48), 3)
    return x, y


def test_pooled_convnet_runs_routed_and_two_output_kernels(pooled_data, monkeypatch):
    monkeypatch.setenv("RKERAS_PROFILE", "1")
    x, y = pooled_data
    model = _pooled_convnet("relu")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    names = [name for name, _, _ in model._train_program([(None, 3)]).profile()]
    # Both layers pool in their forward kernels and route the gradient back; the second
    # layer's two gradients are one kernel; no activation-sized pooling or relu kernel is left.
    assert sum(n.startswith("conv_relu_max_pool ") for n in names) == 2
    assert any(n.startswith("conv_grad_bias_kernel_pooled ") for n in names)
    assert any(n.startswith("max_pool_grad_routed ") for n in names)
    assert any(n.startswith("conv_grads ") for n in names)
    leftovers = ("max_pool ", "pool_grad", "relu_grad ", "conv_grad_input ", "conv_grad_kernel ")
    assert not any(n.startswith(leftovers) for n in names), names
    assert not any(n.startswith("sum_like ") and n.endswith(" [16]") for n in names), names


def test_pooled_fused_training_matches_the_unfused_ops(pooled_data):
    _assert_trains_as_unfused(_pooled_convnet, *pooled_data)
