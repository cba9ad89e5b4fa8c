"""BatchNormalization (training vs inference, moving statistics) and LayerNormalization."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.backend.functions import Function
from rkeras.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    Input,
    LayerNormalization,
    deserialize,
    serialize,
)
from rkeras.models import Model, Sequential
from rkeras.optimizers import SGD

pytestmark = pytest.mark.usefixtures("fresh_graph")


def bn_ref(x, mean, var, gamma, beta, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batchnorm_weights_order_and_shapes():
    layer = BatchNormalization()
    layer.build((None, 5, 3))
    assert [w.name.split("/")[1] for w in layer.weights] == [
        "gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]
    assert [w.shape for w in layer.weights] == [(3,)] * 4
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    gamma, beta, mm, mv = layer.get_weights()
    assert (gamma == 1).all() and (beta == 0).all() and (mm == 0).all() and (mv == 1).all()
    no_scale = BatchNormalization(scale=False, center=False)
    no_scale.build((None, 4))
    assert [w.name.split("/")[1] for w in no_scale.weights] == ["moving_mean:0",
                                                                "moving_variance:0"]
    cf = BatchNormalization(axis=1)
    cf.build((None, 3, 4, 4))
    assert cf.weights[0].shape == (3,)


def test_batchnorm_training_vs_inference_symbolic(rng):
    x = (rng.standard_normal((16, 3)) * 3 + 2).astype(np.float32)
    layer = BatchNormalization(epsilon=1e-3)
    inp = Input(shape=(3,))
    train_out = Function([inp], [layer(inp, training=True)])([x])[0]
    infer_out = Function([inp], [layer(inp)])([x])[0]
    np.testing.assert_allclose(train_out, bn_ref(x, x.mean(0), x.var(0), 1, 0, 1e-3),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(infer_out, x / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_batchnorm_moving_statistics_after_train_on_batch(rng):
    x = (rng.standard_normal((32, 4)) * 2 + 5).astype(np.float32)
    y = rng.standard_normal((32, 4)).astype(np.float32)
    model = Sequential([BatchNormalization(momentum=0.9, input_shape=(4,))])
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    bn = model.layers[0]
    model.train_on_batch(x, y)
    gamma, beta, mm, mv = bn.get_weights()
    x64 = x.astype(np.float64)
    # rank-2 inputs: Keras (TF, non-fused) folds the biased batch variance in
    np.testing.assert_allclose(mm, 0.1 * x64.mean(0), rtol=1e-5)
    np.testing.assert_allclose(mv, 0.9 + 0.1 * x64.var(0), rtol=1e-5)
    assert not np.allclose(gamma, 1.0) and not np.allclose(beta, 0.0)  # trained
    model.train_on_batch(x, y)
    _, _, mm2, mv2 = bn.get_weights()
    np.testing.assert_allclose(mm2, 0.9 * mm + 0.1 * x64.mean(0), rtol=1e-5)
    np.testing.assert_allclose(mv2, 0.9 * mv + 0.1 * x64.var(0), rtol=1e-5)
    # predict / evaluate use the moving statistics and do not update them
    gamma, beta, mm, mv = bn.get_weights()
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(pred, bn_ref(x64, mm, mv, gamma, beta, 1e-3), rtol=1e-4,
                               atol=1e-4)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(bn.get_weights()[2], mm)


def test_batchnorm_4d_uses_unbiased_variance_for_moving_average(rng):
    x = (rng.standard_normal((3, 2, 2, 2)) + 1).astype(np.float32)
    inp = Input(shape=(2, 2, 2))
    out = BatchNormalization(momentum=0.5)(inp)
    model = Model(inp, out)
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, np.zeros_like(x))
    _, _, mm, mv = model.layers[-1].get_weights()
    flat = x.reshape(-1, 2).astype(np.float64)
    np.testing.assert_allclose(mm, 0.5 * flat.mean(0), rtol=1e-5)
    np.testing.assert_allclose(mv, 0.5 + 0.5 * flat.var(0, ddof=1), rtol=1e-5)


def test_batchnorm_channels_first_equals_channels_last(rng):
    x = (rng.standard_normal((4, 3, 3, 2)) * 2 + 1).astype(np.float32)
    last, first = BatchNormalization(), BatchNormalization(axis=1)
    i1, i2 = Input(shape=(3, 3, 2)), Input(shape=(2, 3, 3))
    y1 = Function([i1], [last(i1, training=True)])([x])[0]
    y2 = Function([i2], [first(i2, training=True)])([np.moveaxis(x, -1, 1)])[0]
    np.testing.assert_allclose(np.moveaxis(y2, 1, -1), y1, rtol=1e-4, atol=1e-5)
    first.set_weights([np.array([2.0, 3.0]), np.array([1.0, -1.0]), np.array([0.5, 1.0]),
                       np.array([4.0, 9.0])])
    y = first(np.moveaxis(x, -1, 1))
    expected = bn_ref(np.moveaxis(x, -1, 1), np.array([0.5, 1.0])[:, None, None],
                      np.array([4.0, 9.0])[:, None, None], np.array([2.0, 3.0])[:, None, None],
                      np.array([1.0, -1.0])[:, None, None], 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-5)


def test_batchnorm_multiple_axes(rng):
    x = rng.standard_normal((8, 3, 4)).astype(np.float32)
    layer = BatchNormalization(axis=[1, 2], epsilon=0.0)
    y = layer(x, training=True)
    assert layer.weights[0].shape == (1, 3, 4)
    np.testing.assert_allclose(y, (x - x.mean(0)) / x.std(0), rtol=1e-3, atol=1e-4)


def test_batchnorm_eager_training_updates_and_frozen_layer(rng):
    x = (rng.standard_normal((10, 2)) + 3).astype(np.float32)
    layer = BatchNormalization(momentum=0.0)
    layer(x, training=True)
    np.testing.assert_allclose(layer.get_weights()[2], x.mean(0), rtol=1e-5)
    frozen = BatchNormalization()
    frozen.trainable = False
    np.testing.assert_allclose(frozen(x, training=True), x / np.sqrt(1.001), rtol=1e-5)
    np.testing.assert_allclose(frozen.get_weights()[2], 0.0)


def test_frozen_batchnorm_in_fit_does_not_update(rng):
    x = rng.standard_normal((16, 3)).astype(np.float32) + 4
    model = Sequential([Dense(3, input_shape=(3,)), BatchNormalization()])
    model.layers[1].trainable = False
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, x)
    _, _, mm, mv = model.layers[1].get_weights()
    assert (mm == 0).all() and (mv == 1).all()
    assert len(model.trainable_weights) == 2


def test_convnet_with_batchnorm_trains(rng):
    K.set_random_seed(3)
    x = rng.standard_normal((32, 6, 6, 1)).astype(np.float32) * 4 + 2
    y = (x.mean(axis=(1, 2, 3)) > 2).astype(np.float32)
    model = Sequential([Conv2D(4, 3, input_shape=(6, 6, 1)), BatchNormalization(),
                        Flatten(), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    mm = model.layers[1].get_weights()[2]
    assert not np.allclose(mm, 0.0)


def test_batchnorm_errors_and_config():
    with pytest.raises(ValueError, match=r'Input 0 of layer "bn" is incompatible with the '
                                         r"layer: expected axis 1 of input shape to have value "
                                         r"3"):
        layer = BatchNormalization(name="bn")
        layer(Input(shape=(3,)))
        layer(Input(shape=(4,)))
    with pytest.raises(ValueError, match="Invalid axis"):
        BatchNormalization(axis=3)(Input(shape=(3,)))
    with pytest.raises(ValueError, match="should have a defined dimension"):
        BatchNormalization()(Input(shape=(None,)))
    layer = BatchNormalization(momentum=0.9, epsilon=1e-5, center=False, name="b")
    config = layer.get_config()
    assert set(config) >= {
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}
    clone = deserialize(serialize(layer))
    assert clone.get_config() == config and clone.momentum == 0.9


def test_layer_normalization(rng):
    x = (rng.standard_normal((4, 3, 5)) * 2 + 1).astype(np.float32)
    layer = LayerNormalization()
    inp = Input(shape=(3, 5))
    y = Function([inp], [layer(inp)])([x])[0]
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-5)
    assert [w.shape for w in layer.weights] == [(5,), (5,)]
    assert [w.name.split("/")[1] for w in layer.weights] == ["gamma:0", "beta:0"]

    layer = LayerNormalization(axis=1, gamma_initializer="ones", beta_initializer="ones")
    y = layer(x)
    m, v = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3) + 1, rtol=1e-4, atol=1e-5)
    layer.set_weights([np.array([1.0, 2.0, 3.0]), np.zeros(3)])
    np.testing.assert_allclose(layer(x), (x - m) / np.sqrt(v + 1e-3) *
                               np.array([1.0, 2.0, 3.0])[:, None], rtol=1e-4, atol=1e-5)
    y2 = LayerNormalization(axis=[1, 2], epsilon=0.0)(x)
    m, s = x.mean((1, 2), keepdims=True), x.std((1, 2), keepdims=True)
    np.testing.assert_allclose(y2, (x - m) / s, rtol=1e-3, atol=1e-4)
    config = LayerNormalization(axis=[1, 2], epsilon=1e-6, name="ln").get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-6
    assert deserialize({"class_name": "LayerNormalization", "config": config}).epsilon == 1e-6


def test_layer_normalization_trains(rng):
    x = rng.standard_normal((16, 4)).astype(np.float32)
    model = Sequential([LayerNormalization(input_shape=(4,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.layers[0].get_weights()[0].copy()
    model.train_on_batch(x, x[:, :1] * 3)
    assert not np.allclose(model.layers[0].get_weights()[0], before)
