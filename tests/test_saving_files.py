"""model.save / load_model (.keras, .h5), save_weights / load_weights, optimizer state, and
clear errors for bad files."""

from __future__ import annotations

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

from rkeras import backend as K
from rkeras import layers, models


@pytest.fixture(autouse=True)
def _fresh():
    K.clear_session()
    yield
    K.clear_session()


def _data(n=48):
    rng = np.random.default_rng(3)
    return rng.normal(size=(n, 6)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def _mlp(optimizer="adam"):
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(6,), name="h"),
                               layers.Dropout(0.1, name="drop"), layers.Dense(2, name="o")])
    model.compile(optimizer, "mse", metrics=["mae"])
    return model


def _max_diff(a, b):
    return max(float(np.abs(p - q).max()) for p, q in zip(a, b))


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_save_load_roundtrip_compiled(tmp_path, ext):
    x, y = _data()
    model = _mlp()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = str(tmp_path / f"m{ext}")
    model.save(path)
    clone = models.load_model(path)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert type(clone.optimizer).__name__ == "Adam" and clone.metrics_names == \
        model.metrics_names
    assert float(clone.optimizer.iterations.numpy()) == 3.0
    assert not getattr(models.load_model(path, compile=False), "_is_compiled", False)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "adagrad", "adadelta", "adamax",
                                       "nadam", "sgd"])
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_training_resumes_where_it_stopped(tmp_path, optimizer, ext):
    from rkeras import optimizers

    x, y = _data()
    opt = optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd" else optimizer
    model = _mlp(opt)
    model.layers[1].rate = 0.0
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    path = str(tmp_path / f"m{ext}")
    model.save(path)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    clone = models.load_model(path)
    clone.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    assert _max_diff(clone.get_weights(), model.get_weights()) < 1e-6


def test_keras3_archive_layout(tmp_path):
    x, y = _data()
    model = _mlp()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"config.json", "metadata.json", "model.weights.h5"}
        config = json.loads(zf.read("config.json"))
        h5 = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["config"]["layers"][0]["class_name"] == "InputLayer"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert h5["layers/dense/vars"].attrs["name"] == "h"
    assert h5["layers/dense/vars/0"].shape == (6, 8) and h5["layers/dense/vars/1"].shape == (8,)
    assert "layers/dropout/vars" in h5 and h5["layers/dense_1/vars/0"].shape == (8, 2)
    opt = h5["optimizer/vars"]
    assert int(opt["0"][()]) == 3 and len(opt) == 2 + 2 * 4
    assert [opt[str(i)].shape for i in range(2, 6)] == [(6, 8), (6, 8), (8,), (8,)]


def test_legacy_h5_layout(tmp_path):
    model = _mlp()
    path = str(tmp_path / "m.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        train = json.loads(f.attrs["training_config"])
        assert train["loss"] == "mean_squared_error"
        assert train["optimizer_config"]["class_name"] == "Adam"
        assert "keras_version" in f.attrs and "backend" in f.attrs
        group = f["model_weights"]
        assert [n.decode() for n in group.attrs["layer_names"]] == ["h", "drop", "o"]
        assert [n.decode() for n in group["h"].attrs["weight_names"]] == \
            ["h/kernel:0", "h/bias:0"]
        assert group["h/h/kernel:0"].shape == (6, 8)


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5"])
def test_save_and_load_weights(tmp_path, name):
    model = _mlp()
    path = str(tmp_path / name)
    model.save_weights(path)
    other = _mlp()
    other.load_weights(path)
    assert _max_diff(other.get_weights(), model.get_weights()) == 0.0


def test_load_weights_by_name_and_skip_mismatch(tmp_path):
    model = _mlp()
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    other = models.Sequential([layers.Dense(8, input_shape=(6,), name="h"),
                               layers.Dense(3, name="o")])
    before = other.get_weights()
    with pytest.raises(ValueError, match="shape"):
        other.load_weights(path, by_name=True)
    assert _max_diff(other.get_weights(), before) == 0.0  # nothing was touched
    with pytest.warns(UserWarning, match="Skipping loading of weights for layer o"):
        other.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                  model.layers[0].get_weights()[0])
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], before[2])


def test_load_weights_from_keras_archive_and_mismatch_is_clear(tmp_path):
    model = _mlp()
    path = str(tmp_path / "m.keras")
    model.save(path)
    other = _mlp()
    other.load_weights(path)
    assert _max_diff(other.get_weights(), model.get_weights()) == 0.0
    # Keras 3 layout: matched by position among layers of a class (dropout has no weights)
    same = models.Sequential([layers.Dense(8, input_shape=(6,)), layers.Dense(2)])
    same.save_weights(str(tmp_path / "s.weights.h5"))
    model.load_weights(str(tmp_path / "s.weights.h5"))
    assert _max_diff(model.get_weights(), same.get_weights()) == 0.0
    wrong = models.Sequential([layers.Dense(8, input_shape=(6,)), layers.Dense(3)])
    wrong.save_weights(str(tmp_path / "x.weights.h5"))
    with pytest.raises(ValueError, match=r"x\.weights\.h5: shape mismatch in layer 'o'"):
        model.load_weights(str(tmp_path / "x.weights.h5"))
    assert _max_diff(model.get_weights(), same.get_weights()) == 0.0


def test_invalid_extension_and_missing_file(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        model.save(str(tmp_path / "m.pb"))
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(str(tmp_path / "w.ckpt"))
    with pytest.raises(OSError, match="No file or directory found"):
        models.load_model(str(tmp_path / "nothing.keras"))


def _saved(tmp_path, ext=".keras"):
    model = _mlp()
    path = str(tmp_path / f"m{ext}")
    model.save(path)
    return model, path


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_truncated_file_gives_clear_error(tmp_path, ext):
    _, path = _saved(tmp_path, ext)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"{os.path.basename(path)}.*(truncated|corrupt)"):
        models.load_model(path)


def _rewrite_member(path, name, payload):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if payload is None:
        members.pop(name)
    else:
        members[name] = payload
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def test_corrupt_archive_members_give_clear_errors(tmp_path):
    _, path = _saved(tmp_path)
    _rewrite_member(path, "config.json", b"{not json")
    with pytest.raises(ValueError, match=r"config\.json.*not valid JSON"):
        models.load_model(path)
    _, path = _saved(tmp_path)
    _rewrite_member(path, "model.weights.h5", None)
    with pytest.raises(ValueError, match="model.weights.h5"):
        models.load_model(path)
    _, path = _saved(tmp_path)
    _rewrite_member(path, "model.weights.h5", b"garbage" * 10)
    with pytest.raises(ValueError, match="not a valid HDF5 file"):
        models.load_model(path)


def test_hostile_weights_are_rejected_before_the_model_changes(tmp_path):
    model = _mlp()
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense_1/vars/0"]
        f["layers/dense_1/vars"].create_dataset("0", data=np.array([b"rm -rf /"]))
    other = _mlp()
    before = other.get_weights()
    with pytest.raises(ValueError, match="not numbers"):
        other.load_weights(path)
    assert _max_diff(other.get_weights(), before) == 0.0


def test_not_a_model_file(tmp_path):
    path = tmp_path / "x.keras"
    path.write_bytes(b"hello world, not a zip")
    with pytest.raises(ValueError, match="not a valid .keras file"):
        models.load_model(str(path))
    with h5py.File(tmp_path / "e.h5", "w"):
        pass
    with pytest.raises(ValueError, match="No model config found"):
        models.load_model(str(tmp_path / "e.h5"))


def test_no_pickle_in_saving_package():
    import pathlib

    import rkeras.saving

    for file in pathlib.Path(rkeras.saving.__file__).parent.glob("*.py"):
        text = file.read_text()
        assert "import pickle" not in text and "np.load(" not in text, file


def test_lambda_model_roundtrip_needs_safe_mode_false(tmp_path):
    x = layers.Input(shape=(2,))
    model = models.Model(x, layers.Lambda(K.square, name="sq")(x))
    path = str(tmp_path / "lam.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        models.load_model(path)
    clone = models.load_model(path, safe_mode=False)
    assert clone.predict(np.array([[2.0, 3.0]], "float32"), verbose=0).tolist() == [[4.0, 9.0]]
