"""Keras-2 conveniences: ``predict_classes`` / ``predict_proba``, the ``*_generator`` methods,
``metrics_names``."""

from __future__ import annotations

import numpy as np

from rkeras import backend as K
from rkeras.layers import Dense
from rkeras.models import Sequential
from rkeras.utils import Sequence


def _data(n=48, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype("float32")
    return x, (x[:, 0] > 0).astype("float32")


def test_predict_classes_and_proba(fresh_graph):
    x, y = _data()
    binary = Sequential([Dense(1, activation="sigmoid", input_dim=3)])
    binary.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    proba = binary.predict_proba(x)
    assert proba.shape == (48, 1)
    classes = binary.predict_classes(x)
    assert classes.shape == (48, 1)
    np.testing.assert_array_equal(classes, (proba > 0.5).astype("int32"))
    multi = Sequential([Dense(4, activation="softmax", input_dim=3)])
    multi.compile("sgd", "categorical_crossentropy")
    np.testing.assert_array_equal(multi.predict_classes(x), multi.predict(x).argmax(-1))
    assert binary.metrics_names == ["loss", "accuracy"]


class Batches(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


def test_generator_methods(fresh_graph):
    K.set_random_seed(0)
    x, y = _data()

    def gen():
        while True:
            for i in range(0, 48, 16):
                yield x[i:i + 16], y[i:i + 16]

    model = Sequential([Dense(8, activation="relu", input_dim=3),
                        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit_generator(gen(), steps_per_epoch=3, epochs=15, verbose=0,
                                  validation_data=Batches(x, y, 16))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    loss, acc = model.evaluate_generator(Batches(x, y, 16))
    ref_loss, ref_acc = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose([loss, acc], [ref_loss, ref_acc], rtol=1e-4)
    pred = model.predict_generator((x[i:i + 10] for i in range(0, 48, 10)), steps=5)
    np.testing.assert_allclose(pred, model.predict(x), rtol=1e-5)
