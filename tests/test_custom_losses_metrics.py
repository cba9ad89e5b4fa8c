"""Custom losses and metrics (any ``f(y_true, y_pred)`` of K ops), the ``keras.losses``
functions, per-output losses and ``loss_weights``, and Keras's mnist_siamese example."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import losses, metrics
from rkeras.layers import Dense, Dropout, Input, Lambda
from rkeras.models import Model, Sequential


def _data(n=64, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype("float32")
    y = (x[:, :1] * 2.0 - x[:, 1:2]).astype("float32")
    return x, y


def my_mse(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1)


def my_mae(y_true, y_pred):
    return K.mean(K.abs(y_pred - y_true))


def test_loss_functions_importable():
    for name in ("mse", "mae", "mape", "msle", "mean_squared_error", "mean_absolute_error",
                 "binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy", "kullback_leibler_divergence", "kld",
                 "hinge", "squared_hinge", "categorical_hinge", "logcosh", "poisson",
                 "cosine_proximity"):
        assert callable(getattr(losses, name)), name
    for name in ("binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "top_k_categorical_accuracy", "mse", "mae"):
        assert callable(getattr(metrics, name)), name
    yt = np.array([[1.0, 0.0]], "float32")
    yp = np.array([[0.5, 0.5]], "float32")
    np.testing.assert_allclose(losses.mse(yt, yp), [0.25])


def test_custom_loss_and_metric_train_and_log_by_name(fresh_graph):
    K.set_random_seed(0)
    x, y = _data()
    model = Sequential([Dense(8, activation="tanh", input_dim=3), Dense(1)])
    model.compile("adam", loss=my_mse, metrics=[my_mae, "mae"])
    assert model.metrics_names == ["loss", "my_mae", "mae"]
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "my_mae", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, m1, m2 = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loss, np.mean((model.predict(x) - y) ** 2), rtol=1e-4)
    np.testing.assert_allclose(m1, m2, rtol=1e-4)


def test_per_output_losses_and_weights(fresh_graph):
    x, y = _data()
    inp = Input(shape=(3,))
    h = Dense(8, activation="relu")(inp)
    a = Dense(1, name="a")(h)
    b = Dense(1, name="b")(h)
    model = Model(inp, [a, b])
    model.compile("sgd", loss={"a": my_mse, "b": "mae"}, loss_weights={"a": 2.0, "b": 0.5})
    assert model.metrics_names == ["loss", "a_loss", "b_loss"]
    total, la, lb = model.evaluate(x, [y, -y], verbose=0)
    np.testing.assert_allclose(total, 2.0 * la + 0.5 * lb, rtol=1e-5)
    model.compile("sgd", loss=[my_mse, my_mse], loss_weights=[1.0, 0.0])
    total, la, lb = model.evaluate(x, [y, -y], verbose=0)
    np.testing.assert_allclose(total, la, rtol=1e-5)
    history = model.fit(x, [y, -y], epochs=3, verbose=0)
    assert {"loss", "a_loss", "b_loss"} <= set(history.history)


def test_loss_returning_non_tensor_is_named(fresh_graph):
    def bad_loss(y_true, y_pred):
        return 1.0

    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", loss=bad_loss)
    x, y = _data()
    with pytest.raises(TypeError, match="'bad_loss' must return a tensor"):
        model.fit(x, y, verbose=0)


def test_loss_of_higher_rank_is_reduced_per_sample(fresh_graph):
    def per_element(y_true, y_pred):  # (batch, 4): averaged over the last axis, as Keras
        return K.square(y_pred - y_true)

    model = Sequential([Dense(4, input_dim=3, use_bias=False, kernel_initializer="zeros")])
    model.compile("sgd", loss=per_element)
    x = np.ones((8, 3), "float32")
    y = np.full((8, 4), 2.0, "float32")
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 4.0, rtol=1e-6)


def test_metric_that_raises(fresh_graph):
    def broken_metric(y_true, y_pred):
        raise ValueError("boom")

    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", "mse", metrics=[broken_metric])
    x, y = _data()
    with pytest.raises(ValueError, match="boom"):
        model.fit(x, y, verbose=0)


def test_metric_error_names_the_function(fresh_graph):
    def broken_metric(y_true, y_pred):
        raise ValueError("boom")

    def broken_loss(y_true, y_pred):
        return K.dot(y_true, K.zeros((5, 5)))

    x, y = _data()
    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", "mse", metrics=[broken_metric])
    with pytest.raises(ValueError, match="metric function 'broken_metric'.*boom"):
        model.fit(x, y, verbose=0)
    model.compile("sgd", broken_loss)
    with pytest.raises(Exception, match="loss function 'broken_loss'"):
        model.fit(x, y, verbose=0)


# ----------------------------------------------------------------------------- mnist_siamese


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    margin = 1
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(margin - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def accuracy(y_true, y_pred):
    return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))


def compute_accuracy(y_true, y_pred):
    pred = y_pred.ravel() < 0.5
    return np.mean(pred == y_true)


def test_siamese_network_learns(fresh_graph):
    K.set_random_seed(7)
    rng = np.random.RandomState(7)
    n_classes, dim = 4, 16
    centers = rng.randn(n_classes, dim).astype("float32") * 2.0
    labels = rng.randint(0, n_classes, 400)
    points = centers[labels] + rng.randn(400, dim).astype("float32") * 0.5
    pairs, pair_y = [], []
    for i in range(0, 400, 2):
        j = rng.randint(400)
        same = np.where(labels == labels[i])[0]
        k = same[rng.randint(len(same))]
        pairs += [[points[i], points[k]], [points[i], points[j]]]
        pair_y += [1.0, float(labels[i] == labels[j])]
    pairs = np.array(pairs, "float32")
    pair_y = np.array(pair_y, "float32")

    inp = Input(shape=(dim,))
    h = Dense(32, activation="relu")(inp)
    h = Dropout(0.1)(h)
    h = Dense(16, activation="relu")(h)
    base_network = Model(inp, h)
    input_a, input_b = Input(shape=(dim,)), Input(shape=(dim,))
    processed_a, processed_b = base_network(input_a), base_network(input_b)
    distance = Lambda(euclidean_distance,
                      output_shape=eucl_dist_output_shape)([processed_a, processed_b])
    model = Model([input_a, input_b], distance)
    model.compile(loss=contrastive_loss, optimizer="rmsprop", metrics=[accuracy])
    assert model.metrics_names == ["loss", "accuracy"]
    history = model.fit([pairs[:, 0], pairs[:, 1]], pair_y, batch_size=32, epochs=15,
                        verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.7
    assert "val_accuracy" in history.history
    pred = model.predict([pairs[:, 0], pairs[:, 1]])
    assert compute_accuracy(pair_y, pred) > 0.85
    _, acc = model.evaluate([pairs[:, 0], pairs[:, 1]], pair_y, verbose=0)
    np.testing.assert_allclose(acc, compute_accuracy(pair_y, pred), atol=1e-5)
