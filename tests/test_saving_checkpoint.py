"""ModelCheckpoint end to end with real files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import layers, models
from rkeras.callbacks import ModelCheckpoint


@pytest.fixture(autouse=True)
def _fresh():
    K.clear_session()
    yield
    K.clear_session()


def _model():
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                               layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_every_epoch_with_epoch_formatting(tmp_path):
    x, y = _data()
    pattern = str(tmp_path / "w.{epoch:02d}-{loss:.2f}.weights.h5")
    _model().fit(x, y, epochs=3, verbose=0,
                 callbacks=[ModelCheckpoint(pattern, monitor="loss", save_weights_only=True)])
    names = sorted(os.listdir(tmp_path))
    assert [n[:4] for n in names] == ["w.01", "w.02", "w.03"]
    assert all(n.endswith(".weights.h5") for n in names)


def test_save_best_only_whole_model_reloads(tmp_path):
    x, y = _data()
    path = str(tmp_path / "best.keras")
    model = _model()
    cb = ModelCheckpoint(path, monitor="val_loss", mode="min", save_best_only=True)
    history = model.fit(x, y, epochs=4, validation_data=(x, y), verbose=0, callbacks=[cb])
    best = min(history.history["val_loss"])
    assert cb.best == pytest.approx(best)
    loaded = models.load_model(path)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(best, rel=1e-4)


def test_save_best_only_max_mode_skips_worse_epochs(tmp_path):
    x, y = _data()
    path = str(tmp_path / "m.h5")
    cb = ModelCheckpoint(path, monitor="loss", mode="max", save_best_only=True)
    history = _model().fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert cb.best == pytest.approx(max(history.history["loss"]))
    assert os.path.exists(path) and models.load_model(path).output_shape == (None, 1)
