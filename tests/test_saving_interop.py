"""Interop with real Keras 3: fixtures written by Keras (tools/keras_reference/
make_saved_models.py) load here and predict the same; files saved here load in Keras (run
through /tmp/kref/bin/python when that interpreter exists)."""

from __future__ import annotations

import os
import subprocess
import textwrap
import warnings

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import layers, models

DATA = os.path.join(os.path.dirname(__file__), "data", "keras_files")
KERAS_PYTHON = "/tmp/kref/bin/python"


def _needs(name):
    """The convnet fixture needs rkeras's Conv2D / BatchNormalization / MaxPooling2D."""
    if name == "convnet" and not all(hasattr(layers, n) for n in (
            "Conv2D", "BatchNormalization", "MaxPooling2D")):
        pytest.skip("rkeras has no Conv2D/BatchNormalization yet")


def _inputs(npz):
    xs = [npz[k] for k in sorted(npz.files) if k.startswith("x")]
    return xs if len(xs) > 1 else xs[0]


@pytest.mark.parametrize("name", ["mlp", "multi_input", "convnet"])
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_saved_models_predict_the_same(name, ext):
    _needs(name)
    K.clear_session()
    npz = np.load(os.path.join(DATA, f"{name}.npz"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = models.load_model(os.path.join(DATA, name + ext))
    np.testing.assert_allclose(model.predict(_inputs(npz), verbose=0), npz["y"], rtol=1e-5,
                               atol=1e-6)
    assert model._is_compiled and model.optimizer.iterations.numpy() > 0
    slots = model._pending_optimizer_slots[1]
    assert len(slots) == len(model.trainable_weights)


@pytest.mark.parametrize("name", ["mlp", "multi_input", "convnet"])
def test_keras_weights_file_loads(name):
    _needs(name)
    K.clear_session()
    npz = np.load(os.path.join(DATA, f"{name}.npz"))
    model = models.load_model(os.path.join(DATA, name + ".keras"), compile=False)
    reference = model.predict(_inputs(npz), verbose=0)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(os.path.join(DATA, name + ".weights.h5"))
    np.testing.assert_allclose(model.predict(_inputs(npz), verbose=0), reference, rtol=1e-6)


def test_keras_model_keeps_training_after_load():
    K.clear_session()
    model = models.load_model(os.path.join(DATA, "mlp.keras"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    before = float(model.optimizer.iterations.numpy())
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert float(model.optimizer.iterations.numpy()) == before + 1
    assert "_pending_optimizer_slots" not in model.__dict__


_KERAS_CHECK = textwrap.dedent("""
    import sys, numpy as np, keras
    d = np.load(sys.argv[1])
    for path in sys.argv[2:]:
        m = keras.models.load_model(path)
        x = [d["x0"], d["x1"]] if "x1" in d.files else d["x0"]
        np.testing.assert_allclose(m.predict(x, verbose=0), d["y"], rtol=1e-5, atol=1e-6)
        assert int(m.optimizer.iterations) == int(d["iterations"]), path
    print("ok")
""")


@pytest.mark.skipif(not os.path.exists(KERAS_PYTHON), reason="no Keras 3 interpreter")
def test_files_saved_here_load_in_keras(tmp_path):
    K.clear_session()
    rng = np.random.default_rng(0)
    a = layers.Input(shape=(4,), name="a")
    b = layers.Input(shape=(3,), name="b")
    h = layers.concatenate([layers.Dense(5, activation="tanh", name="da")(a),
                            layers.Dense(5, name="db")(b)])
    model = models.Model([a, b], layers.Dense(2, activation="softmax", name="out")(h))
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    xs = [rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")]
    model.fit(xs, np.eye(2, dtype="float32")[rng.integers(0, 2, 16)], epochs=2, batch_size=8,
              verbose=0)
    paths = [str(tmp_path / "m.keras"), str(tmp_path / "m.h5")]
    for p in paths:
        model.save(p)
    np.savez(tmp_path / "ref.npz", x0=xs[0], x1=xs[1], y=model.predict(xs, verbose=0),
             iterations=model.optimizer.iterations.numpy())
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    result = subprocess.run([KERAS_PYTHON, "-c", _KERAS_CHECK, str(tmp_path / "ref.npz"),
                             *paths], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
