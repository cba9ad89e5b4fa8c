"""The Keras 3 ``.keras`` format: a zip archive of ``metadata.json``, ``config.json`` (the
model's Keras 3 config, with ``compile_config``) and ``model.weights.h5`` (Keras 3 weights
layout, optimizer state under ``optimizer/vars``).

>>> import os, tempfile
>>> from rkeras import backend as K
>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> K.clear_session()
>>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
>>> save_keras(Sequential([Dense(2, input_shape=(3,))]), path)
>>> load_keras(path).output_shape
(None, 2)
"""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any, Optional

from rkeras.saving import json_utils, keras3_weights, optimizer_state, validation
from rkeras.saving.atomic import atomic_path
from rkeras.saving.keras3_config import model_to_keras3
from rkeras.saving.model_config import compile_config, compile_from_config, model_from_config

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
KERAS_VERSION = "3.0.0"  # the Keras format version rkeras writes in .keras files


def _weights_bytes(model: Any, include_optimizer: bool) -> bytes:
    h5py = validation.require_h5py()
    buffer = io.BytesIO()
    opt_values = None
    if include_optimizer and getattr(model, "_is_compiled", False) and \
            getattr(model, "optimizer", None) is not None:
        opt_values = optimizer_state.keras3_variables(model)
    with h5py.File(buffer, "w") as h5:
        keras3_weights.write(h5, model, opt_values)
    return buffer.getvalue()


def save_keras(model: Any, path: str, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Writes `model` to the ``.keras`` archive `path` (atomically)."""
    config = model_to_keras3(model)
    compiled = compile_config(model) if include_optimizer else None
    if compiled is not None:
        config["compile_config"] = compiled
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "library": "rkeras"}
    config_json = json_utils.dumps(config)
    weights = _weights_bytes(model, include_optimizer)
    with atomic_path(path, overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(METADATA, json_utils.dumps(metadata))
            zf.writestr(CONFIG, config_json)
            zf.writestr(WEIGHTS, weights)


def load_keras(path: str, custom_objects: Optional[dict] = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """The model in the ``.keras`` archive `path`; everything is read and checked before a
    model is built."""
    path = validation.check_readable(path)
    with validation.open_zip(path) as archive:
        config = json_utils.loads(
            validation.read_member(archive, CONFIG, path, validation.MAX_JSON_BYTES),
            f"{path} ({CONFIG})")
        if METADATA in archive.namelist():
            json_utils.loads(validation.read_member(archive, METADATA, path,
                                                    validation.MAX_JSON_BYTES),
                             f"{path} ({METADATA})")
        if WEIGHTS not in archive.namelist():
            raise ValueError(f"{path}: not a valid .keras file: expected a {WEIGHTS} file "
                             f"(members: {archive.namelist()[:20]})")
        h5 = validation.member_h5(archive, WEIGHTS, path)
    with h5:
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{path} ({CONFIG}): expected a model config with a "
                             "'class_name', got " + str(config)[:200])
        model = model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
        assignments = keras3_weights.plan(h5, model, path)
        opt_values = keras3_weights.read_optimizer(h5, path)
    for var, value in assignments:
        var.assign(value)
    compile_cfg = config.get("compile_config")
    if compile and isinstance(compile_cfg, dict):
        if compile_from_config(model, compile_cfg, custom_objects, path) and opt_values:
            optimizer_state.restore_keras3_variables(model, opt_values, path)
    return model


__all__ = ["load_keras", "save_keras"]
