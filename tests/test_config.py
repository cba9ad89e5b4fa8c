"""Backend configuration (floatx, epsilon, image data format, keras.json) and import cost."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from rkeras import backend as K

REPO = pathlib.Path(__file__).resolve().parents[1]
IMPORT_BUDGET_S = 0.3


def run_python(code, keras_home, extra_env=None):
    env = dict(os.environ)
    env["KERAS_HOME"] = str(keras_home)
    env.update(extra_env or {})
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60, cwd=str(REPO))
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip()


PRINT_CONFIG = ("from rkeras import backend as K; "
                "print(K.floatx(), repr(K.epsilon()), K.image_data_format(), K.keras_home())")


@pytest.fixture
def restore_config():
    saved = (K.floatx(), K.epsilon(), K.image_data_format())
    yield
    K.set_floatx(saved[0])
    K.set_epsilon(saved[1])
    K.set_image_data_format(saved[2])


def test_defaults_without_keras_json(tmp_path):
    out = run_python(PRINT_CONFIG, tmp_path)
    assert out.split() == ["float32", "1e-07", "channels_last", str(tmp_path)]


def test_backend_name():
    assert K.backend() == "rkeras"


def test_keras_json_is_read_at_import(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({
        "floatx": "float64", "epsilon": 1e-4, "image_data_format": "channels_first",
        "backend": "tensorflow",
    }))
    out = run_python(
        "from rkeras import backend as K; print(K.epsilon(), K.image_data_format(), K.floatx())",
        tmp_path)
    assert out.split() == ["0.0001", "channels_first", "float64"]


def test_partial_keras_json_keeps_other_defaults(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"epsilon": 0.5}))
    out = run_python(PRINT_CONFIG, tmp_path)
    assert out.split()[:3] == ["float32", "0.5", "channels_last"]


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2, 3]", json.dumps({"floatx": "float128", "epsilon": "small",
                                           "image_data_format": "sideways"}), ""],
    ids=["malformed", "not_a_dict", "invalid_values", "empty"],
)
def test_bad_keras_json_falls_back_to_defaults(tmp_path, content):
    (tmp_path / "keras.json").write_text(content)
    out = run_python(PRINT_CONFIG, tmp_path)
    assert out.split()[:3] == ["float32", "1e-07", "channels_last"]


def test_setters(restore_config):
    K.set_floatx("float16")
    assert K.floatx() == "float16"
    K.set_floatx("float64")
    assert K.floatx() == "float64"
    K.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5
    K.set_epsilon(2)
    assert K.epsilon() == 2.0 and isinstance(K.epsilon(), float)
    K.set_image_data_format("channels_first")
    assert K.image_data_format() == "channels_first"
    K.set_image_data_format("channels_last")
    assert K.image_data_format() == "channels_last"


@pytest.mark.parametrize("value", ["float128", "int32", "", "Float32", None])
def test_set_floatx_rejects_invalid(restore_config, value):
    before = K.floatx()
    with pytest.raises(ValueError):
        K.set_floatx(value)
    assert K.floatx() == before


@pytest.mark.parametrize("value", ["channels_middle", "", "NHWC", None])
def test_set_image_data_format_rejects_invalid(restore_config, value):
    before = K.image_data_format()
    with pytest.raises(ValueError):
        K.set_image_data_format(value)
    assert K.image_data_format() == before


@pytest.mark.parametrize("value", ["small", "1e-3x"])
def test_set_epsilon_rejects_invalid(restore_config, value):
    before = K.epsilon()
    with pytest.raises(ValueError):
        K.set_epsilon(value)
    assert K.epsilon() == before


def test_floatx_sets_eager_result_dtype(restore_config):
    import numpy as np

    K.set_floatx("float64")
    assert K.exp(np.zeros(2, np.float32)).dtype == np.float64
    assert K.variable(np.zeros(2)).dtype == "float64"
    K.set_floatx("float32")
    assert K.exp(np.zeros(2)).dtype == np.float32


def test_import_rkeras_is_fast(tmp_path):
    """Budget: ``import rkeras`` takes < 0.3 s in a fresh interpreter (best of 3 runs)."""
    code = ("import time; t = time.perf_counter(); import rkeras; "
            "print(time.perf_counter() - t)")
    times = [float(run_python(code, tmp_path)) for _ in range(3)]
    assert min(times) < IMPORT_BUDGET_S, times


def test_import_rkeras_is_lazy(tmp_path):
    code = "import sys, rkeras; print('rkeras.backend' in sys.modules, 'numpy' in sys.modules)"
    assert run_python(code, tmp_path).split() == ["False", "False"]
    code = "import rkeras; print(rkeras.backend.floatx(), 'backend' in dir(rkeras))"
    assert run_python(code, tmp_path).split() == ["float32", "True"]


def test_unknown_attribute_of_rkeras():
    import rkeras

    with pytest.raises(AttributeError):
        rkeras.no_such_thing  # noqa: B018
