"""Advanced activation layers and the noise / spatial dropout layers."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras.backend.functions import Function
from rkeras.layers import (
    ELU,
    Dense,
    GaussianDropout,
    GaussianNoise,
    Input,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    ThresholdedReLU,
    deserialize,
    serialize,
)
from rkeras.models import Sequential
from rkeras.optimizers import SGD

pytestmark = pytest.mark.usefixtures("fresh_graph")

X = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 8.0]], np.float32)


def run_symbolic(layer, x, **kwargs):
    inp = Input(shape=x.shape[1:])
    return Function([inp], [layer(inp, **kwargs)])([x])[0]


@pytest.mark.parametrize("layer,expected", [
    (LeakyReLU(), np.where(X > 0, X, 0.3 * X)),
    (LeakyReLU(alpha=0.01), np.where(X > 0, X, 0.01 * X)),
    (ELU(), np.where(X > 0, X, np.exp(X) - 1)),
    (ELU(alpha=0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1))),
    (ThresholdedReLU(), np.where(X > 1.0, X, 0.0)),
    (ThresholdedReLU(theta=0.0), np.where(X > 0.0, X, 0.0)),
    (ReLU(), np.maximum(X, 0)),
    (ReLU(max_value=6.0), np.clip(X, 0, 6)),
    (ReLU(negative_slope=0.1), np.where(X >= 0, X, 0.1 * X)),
    # as Keras's K.relu: x == threshold gives 0 (TensorFlow tests x > threshold)
    (ReLU(threshold=0.5), np.where(X > 0.5, X, 0.0)),
    (ReLU(max_value=1.0, negative_slope=0.2, threshold=0.5),
     np.where(X > 0.5, np.minimum(X, 1.0), 0.2 * (X - 0.5))),
    (Softmax(), np.exp(X) / np.exp(X).sum()),
])
def test_activation_layers(layer, expected):
    np.testing.assert_allclose(run_symbolic(layer, X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(X), expected, rtol=1e-5, atol=1e-6)
    clone = deserialize(serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_activation_configs_use_keras_keys():
    assert LeakyReLU(0.2).get_config()["alpha"] == 0.2
    assert ELU().get_config()["alpha"] == 1.0
    assert ThresholdedReLU(2.0).get_config()["theta"] == 2.0
    config = ReLU(6.0).get_config()
    assert (config["max_value"], config["negative_slope"], config["threshold"]) == (6.0, 0, 0)
    assert Softmax(axis=1).get_config()["axis"] == 1
    config = PReLU(shared_axes=[1]).get_config()
    assert set(config) >= {"alpha_initializer", "alpha_regularizer", "alpha_constraint",
                           "shared_axes"} and config["shared_axes"] == [1]


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative value"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope of a ReLU layer cannot be a negative"):
        ReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="threshold of a ReLU layer cannot be a negative"):
        ReLU(threshold=-1)
    with pytest.raises(ValueError, match="The theta value of a Thresholded ReLU layer should "
                                         "be >=0"):
        ThresholdedReLU(-1.0)


def test_softmax_axis_and_mask(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(Softmax(axis=1)(x), e / e.sum(1, keepdims=True), rtol=1e-5)
    e = np.exp(x - x.max((1, 2), keepdims=True))
    np.testing.assert_allclose(Softmax(axis=(1, 2))(x), e / e.sum((1, 2), keepdims=True),
                               rtol=1e-4, atol=1e-6)
    mask = np.array([[True, True, False, True]] * 3)[None].repeat(2, 0)
    y = Softmax()(x, mask=mask)
    assert np.allclose(y[..., 2], 0.0) and np.allclose(y.sum(-1), 1.0)


def test_prelu_weights_and_training(rng):
    layer = PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    x = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    y = run_symbolic(layer, x)
    assert layer.weights[0].shape == (1, 1, 4)
    np.testing.assert_allclose(y, x, rtol=1e-6)
    layer.set_weights([np.array([[[0.0, 0.5, 1.0, 2.0]]])])
    np.testing.assert_allclose(layer(x), np.where(x > 0, x, x * [0.0, 0.5, 1.0, 2.0]),
                               rtol=1e-6)
    assert PReLU()(Input(shape=(3, 2))).shape == (None, 3, 2)

    model = Sequential([Dense(4, input_shape=(3,)), PReLU()])
    model.compile(optimizer=SGD(learning_rate=0.5), loss="mse")
    xs = rng.standard_normal((32, 3)).astype(np.float32)
    model.train_on_batch(xs, -np.abs(xs @ rng.standard_normal((3, 4))).astype(np.float32))
    alpha = model.layers[1].get_weights()[0]
    assert alpha.shape == (4,) and not np.allclose(alpha, 0.0)
    with pytest.raises(ValueError, match="shared axis 3 is out of range"):
        PReLU(shared_axes=3)(Input(shape=(3, 2)))


def test_gaussian_noise_and_dropout_only_in_training(rng):
    x = np.ones((200, 50), np.float32)
    for layer in (GaussianNoise(0.5), GaussianDropout(0.3)):
        np.testing.assert_array_equal(layer(x), x)
        np.testing.assert_array_equal(run_symbolic(layer, x), x)
        noisy = run_symbolic(layer, x, training=True)
        assert noisy.shape == x.shape and not np.allclose(noisy, x)
        noisy2 = run_symbolic(layer, x, training=True)
        assert not np.allclose(noisy, noisy2)  # fresh draw each run
    noisy = GaussianNoise(0.5)(x, training=True)
    assert abs(float((noisy - 1).std()) - 0.5) < 0.03 and abs(float(noisy.mean()) - 1) < 0.02
    drop = GaussianDropout(0.3)(x, training=True)
    assert abs(float(drop.std()) - np.sqrt(0.3 / 0.7)) < 0.03
    assert GaussianNoise(0.2, name="g").get_config()["stddev"] == 0.2
    assert GaussianDropout(0.2).get_config()["rate"] == 0.2
    with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
        GaussianDropout(1.5)


def test_noise_in_fit_but_not_in_predict(rng):
    x = rng.standard_normal((64, 4)).astype(np.float32)
    model = Sequential([GaussianNoise(10.0, input_shape=(4,)),
                        Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    target = x.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), target, rtol=1e-5, atol=1e-5)
    assert model.evaluate(x, target, verbose=0) < 1e-8
    assert model.train_on_batch(x, target) > 10.0  # noise was added in training


@pytest.mark.parametrize("cls,shape,axes", [
    (SpatialDropout1D, (8, 6, 16), (1,)),
    (SpatialDropout2D, (8, 4, 5, 16), (1, 2)),
    (SpatialDropout3D, (4, 3, 2, 3, 16), (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_channels(cls, shape, axes):
    x = np.ones(shape, np.float32)
    layer = cls(0.5)
    np.testing.assert_array_equal(layer(x), x)
    y = run_symbolic(layer, x, training=True)
    assert set(np.unique(y).tolist()) <= {0.0, 2.0}
    np.testing.assert_array_equal(y.min(axis=axes), y.max(axis=axes))
    assert 0 < (y == 0).mean() < 1
    config = layer.get_config()
    assert config["rate"] == 0.5
    assert type(deserialize(serialize(layer))) is cls


def test_spatial_dropout_2d_channels_first():
    x = np.ones((6, 16, 3, 4), np.float32)
    y = SpatialDropout2D(0.5, data_format="channels_first")(x, training=True)
    np.testing.assert_array_equal(y.min(axis=(2, 3)), y.max(axis=(2, 3)))
    with pytest.raises(ValueError, match="expected ndim=4"):
        SpatialDropout2D(0.5)(Input(shape=(3, 4)))
