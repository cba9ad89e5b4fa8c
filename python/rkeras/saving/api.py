"""``save_model``/``load_model`` and ``save_weights``/``load_weights``: the file format is
chosen from the file name (``.keras``, ``.h5``/``.hdf5``, ``.weights.h5``) when saving and
from the file's content when loading.

>>> import os, tempfile
>>> import numpy as np
>>> from rkeras import backend as K
>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> K.clear_session()
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> folder = tempfile.mkdtemp()
>>> save_weights(model, os.path.join(folder, "w.weights.h5"))
>>> clone = Sequential([Dense(2, input_shape=(3,))])
>>> load_weights(clone, os.path.join(folder, "w.weights.h5"))
>>> np.allclose(clone.get_weights()[0], model.get_weights()[0])
True
"""

from __future__ import annotations

import os
from typing import Any, Optional

from rkeras.saving import keras3_weights, legacy_h5, optimizer_state, validation
from rkeras.saving.atomic import atomic_path
from rkeras.saving.keras_archive import WEIGHTS, load_keras, save_keras

_ZIP_MAGIC = b"PK\x03\x04"
_H5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _is_h5_name(path: str) -> bool:
    return path.endswith((".h5", ".hdf5", ".keras.h5"))


def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True, save_format: Optional[str] = None,
               **kwargs: Any) -> None:
    """``model.save(filepath)``: ``.keras`` (Keras 3 archive) or ``.h5`` (Keras 2)."""
    path = os.fspath(filepath)
    fmt = (save_format or "").lower()
    if fmt in ("h5", "hdf5") or (not fmt and _is_h5_name(path)):
        legacy_h5.save_h5(model, path, overwrite, include_optimizer)
    elif fmt == "keras" or (not fmt and path.endswith(".keras")):
        save_keras(model, path, overwrite, include_optimizer)
    else:
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension "
            "for the native Keras format (recommended) or a `.h5` extension. Use "
            "`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={path}."
        )


def _sniff(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)


def load_model(filepath: Any, custom_objects: Optional[dict] = None, compile: bool = True,
               safe_mode: bool = True, **kwargs: Any) -> Any:
    """``keras.models.load_model``: a ``.keras`` archive or a Keras 2 ``.h5`` file."""
    path = validation.check_readable(filepath)
    head = _sniff(path)
    if head.startswith(_ZIP_MAGIC) or (path.endswith(".keras") and not
                                       head.startswith(_H5_MAGIC)):
        return load_keras(path, custom_objects, compile, safe_mode)
    if head.startswith(_H5_MAGIC) or _is_h5_name(path):
        return legacy_h5.load_h5(path, custom_objects, compile, safe_mode)
    raise ValueError(f"File format not supported: filepath={path}. rkeras supports .keras "
                     "archives and legacy .h5 files.")


def _compiled(model: Any) -> bool:
    return getattr(model, "_is_compiled", False) and getattr(model, "optimizer", None) \
        is not None


def save_weights(model: Any, filepath: Any, overwrite: bool = True,
                 **kwargs: Any) -> None:
    """``model.save_weights``: ``.weights.h5`` (Keras 3 layout, with the optimizer state of
    a compiled model) or ``.h5`` (Keras 2 layout)."""
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):
        h5py = validation.require_h5py()
        values = optimizer_state.keras3_variables(model) if _compiled(model) else None
        with atomic_path(path, overwrite) as tmp:
            with h5py.File(tmp, "w") as h5:
                keras3_weights.write(h5, model, values)
    elif _is_h5_name(path) or (kwargs.get("save_format") or "").lower() in ("h5", "hdf5"):
        legacy_h5.save_weights_h5(model, path, overwrite)
    else:
        raise ValueError("The filename must end in `.weights.h5` (Keras 3) or `.h5` (Keras 2 "
                         f"layout). Received: filepath={path}")


def _load_keras3_weights(model: Any, h5: Any, source: str, skip_mismatch: bool) -> None:
    assignments = keras3_weights.plan(h5, model, source, skip_mismatch=skip_mismatch)
    opt_values = keras3_weights.read_optimizer(h5, source)
    for var, value in assignments:
        var.assign(value)
    if opt_values and _compiled(model):
        optimizer_state.restore_keras3_variables(model, opt_values, source)


def load_weights(model: Any, filepath: Any, by_name: bool = False,
                 skip_mismatch: bool = False, **kwargs: Any) -> None:
    """``model.load_weights``: Keras 3 ``.weights.h5``, Keras 2 ``.h5`` (optionally
    `by_name`), or the weights of a ``.keras`` archive. Checked before any weight changes."""
    path = validation.check_readable(filepath)
    if skip_mismatch and not by_name and not path.endswith((".weights.h5", ".keras")):
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to "
                         "True when by_name is True.")
    head = _sniff(path)
    if head.startswith(_ZIP_MAGIC):
        with validation.open_zip(path) as archive:
            h5 = validation.member_h5(archive, WEIGHTS, path)
        with h5:
            _load_keras3_weights(model, h5, path, skip_mismatch)
        return
    with validation.open_h5(path, path) as f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in group.attrs:
            for var, value in legacy_h5.plan_weights(group, model, path, by_name,
                                                     skip_mismatch):
                var.assign(value)
            return
        if by_name:
            raise ValueError(f"{path}: `by_name=True` only works with Keras 2 .h5 weights "
                             "files (this one has Keras 3's layout).")
        if "layers" not in f and "vars" not in f:
            raise ValueError(f"{path}: not a Keras weights file (neither Keras 2's "
                             "'layer_names' nor Keras 3's 'layers' group)")
        _load_keras3_weights(model, f, path, skip_mismatch)


__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
