"""``Layer.add_loss`` / ``Model.add_loss``, ``add_metric``, ``layer.losses``, random ops with
``K.shape`` drawn afresh on every step, ``K.learning_phase`` and ``K.in_train_phase`` — all
traced into the compiled program — and Keras's variational autoencoder example."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import metrics
from rkeras.engine.base_layer import Layer
from rkeras.layers import Dense, Input, Lambda
from rkeras.models import Model, Sequential
from rkeras.optimizers import Adam


class KernelPenalty(Layer):
    """A dense layer that adds ``rate * sum(kernel**2)`` and the mean activation in ``call``."""

    def __init__(self, units, rate, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="ones")
        super().build(input_shape)

    def call(self, x):
        self.add_loss(self.rate * K.sum(K.square(self.kernel)))
        out = K.dot(x, self.kernel)
        self.add_metric(K.mean(out), name="mean_activation")
        return out

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)


def test_layer_add_loss_on_weights_is_differentiated(fresh_graph):
    layer = KernelPenalty(2, rate=0.5)
    model = Sequential([layer], )
    model.build((None, 3))
    assert len(layer.losses) == 1  # recorded while built on the Input tensor
    model.compile("sgd", "mse")
    x = np.zeros((4, 3), "float32")
    y = np.zeros((4, 2), "float32")
    # mse is 0 on zero inputs: the loss is the penalty alone, 0.5 * 6.
    loss = np.atleast_1d(model.evaluate(x, y, verbose=0))[0]  # (+ the added metric)
    np.testing.assert_allclose(loss, 3.0, rtol=1e-6)
    model.train_on_batch(x, y)
    # d/dk (0.5 k^2) = k = 1, sgd lr 0.01 -> 0.99
    np.testing.assert_allclose(K.get_value(layer.kernel), np.full((3, 2), 0.99), rtol=1e-6)


def test_add_metric_is_logged(fresh_graph):
    model = Sequential([KernelPenalty(2, rate=0.0, input_shape=(3,))])
    model.compile("sgd", "mse")
    x = np.ones((8, 3), "float32")
    history = model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    assert model.metrics_names == ["loss", "mean_activation"]
    np.testing.assert_allclose(history.history["mean_activation"][0], 3.0, rtol=1e-5)


def test_model_add_loss_replayed_in_the_program(fresh_graph):
    inp = Input(shape=(3,))
    dense = Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    out = dense(inp)
    model = Model(inp, out)
    model.add_loss(K.mean(K.sum(K.square(out), axis=-1)))
    assert len(model.losses) == 1
    model.compile("sgd", "mae")
    x = np.ones((4, 3), "float32")
    y = np.full((4, 2), 3.0, "float32")
    # mae 0 (outputs are 3) + mean(sum(out^2)) = 18
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 18.0, rtol=1e-6)


def test_add_loss_from_another_graph_is_refused(fresh_graph):
    inp = Input(shape=(3,))
    model = Model(inp, Dense(1)(inp))
    K.clear_session()
    other = K.placeholder(shape=(None, 3))
    with pytest.raises(ValueError, match="another graph"):
        model.add_loss(K.mean(other))


def test_symbolic_shape_random_ops_fresh_each_step(fresh_graph):
    latent = 3

    def noise(x):
        return x + K.random_normal(shape=(K.shape(x)[0], latent)) + \
            K.random_uniform(shape=K.shape(x)) * 0.0

    inp = Input(shape=(latent,))
    model = Model(inp, Lambda(noise)(inp))
    assert model.output_shape == (None, latent)
    x = np.zeros((500, latent), "float32")
    a, b = model.predict(x, batch_size=500), model.predict(x, batch_size=500)
    assert a.shape == (500, latent) and not np.allclose(a, b)
    assert abs(a.std() - 1.0) < 0.1 and abs(a.mean()) < 0.1
    assert model.predict(x[:7]).shape == (7, latent)


def test_k_shape_reshape_and_batch_size(fresh_graph):
    x = K.placeholder(shape=(None, 2, 3))
    s = K.shape(x)
    assert s[1:] == (2, 3)
    f = K.function([x], [K.reshape(x, (s[0], 6)), K.cast(s[0], "float32") * 1.0])
    flat, n = f([np.ones((5, 2, 3))])
    assert flat.shape == (5, 6) and float(n) == 5.0
    assert K.shape(np.ones((4, 2))).tolist() == [4, 2]


def test_learning_phase_and_in_train_phase(fresh_graph):
    class TrainOnlyNoise(Layer):
        def call(self, x, training=None):
            return K.in_train_phase(lambda: x + 100.0, x, training=training)

    class PhaseAware(Layer):
        def call(self, x):
            return x + K.cast(K.learning_phase(), "float32") * 0.0 + \
                K.in_train_phase(10.0, 0.0)

    assert K.learning_phase() == 0
    assert K.in_train_phase(1, 2) == 2 and K.in_train_phase(1, 2, training=True) == 1
    assert K.in_test_phase(1, 2) == 1
    model = Sequential([TrainOnlyNoise(input_shape=(1,)), PhaseAware()])
    model.compile("sgd", "mae")
    x = np.zeros((4, 1), "float32")
    np.testing.assert_allclose(model.predict(x), 0.0)
    np.testing.assert_allclose(model.evaluate(x, x, verbose=0), 0.0)
    np.testing.assert_allclose(model.train_on_batch(x, x), 110.0, rtol=1e-6)


# ----------------------------------------------------------------------------- VAE


def _vae(original_dim=8, latent_dim=2, intermediate_dim=16):
    x = Input(shape=(original_dim,))
    h = Dense(intermediate_dim, activation="relu")(x)
    z_mean = Dense(latent_dim)(h)
    z_log_var = Dense(latent_dim)(h)

    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0.0,
                                  stddev=1.0)
        return z_mean + K.exp(z_log_var / 2) * epsilon

    z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])
    decoder_h = Dense(intermediate_dim, activation="relu")
    decoder_mean = Dense(original_dim, activation="sigmoid")
    x_decoded_mean = decoder_mean(decoder_h(z))
    vae = Model(x, x_decoded_mean)
    xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
    kl_loss = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(xent_loss + kl_loss))
    return vae


def _binary_data(n=256, dim=8, seed=0):
    rng = np.random.RandomState(seed)
    data = (rng.rand(n, dim) > 0.5).astype("float32")
    data[:, dim // 2:] = data[:, :dim // 2]
    return data


def test_vae_learns_from_add_loss(fresh_graph):
    K.set_random_seed(0)
    vae = _vae()
    vae.compile(optimizer=Adam(lr=0.01))
    data = _binary_data()
    history = vae.fit(data, epochs=40, batch_size=32, verbose=0,
                      validation_data=(data[:64], None))
    assert "val_loss" in history.history
    losses = history.history["loss"]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0] - 0.3
    assert vae.predict(data[:5]).shape == (5, 8)


def test_fit_without_targets_when_no_loss(fresh_graph):
    vae = _vae()
    vae.compile("adam")
    data = _binary_data(64)
    vae.fit(data, epochs=1, verbose=0)
    assert np.isfinite(vae.evaluate(data, verbose=0))
    assert np.isfinite(vae.train_on_batch(data[:8]))


def test_model_without_any_loss_is_reported(fresh_graph):
    inp = Input(shape=(2,))
    model = Model(inp, Dense(1)(inp))
    model.compile("sgd")
    x = np.ones((4, 2), "float32")
    with pytest.raises(ValueError, match="no loss to optimize"):
        model.fit(x, x[:, :1], verbose=0)
