"""The legacy Keras 2 ``.h5`` format (whole model, or weights only).

Attributes ``model_config`` and ``training_config`` (JSON), ``keras_version``, ``backend``;
weights in ``model_weights/<layer>/<weight name>`` (``dense_1/kernel:0``) with the
``layer_names`` and ``weight_names`` attributes; optimizer state in ``optimizer_weights`` (in
Keras 3's order: iterations, learning rate, slots). A weights-only file has the
``model_weights`` content at its root.

>>> import os, tempfile
>>> import numpy as np
>>> from rkeras import backend as K
>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> K.clear_session()
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
>>> save_h5(model, path)
>>> np.allclose(load_h5(path, compile=False).get_weights()[0], model.get_weights()[0])
True
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from rkeras.saving import json_utils, optimizer_state, validation
from rkeras.saving.atomic import atomic_path
from rkeras.saving.model_config import (
    BACKEND,
    KERAS_VERSION,
    compile_from_config,
    model_from_config,
    serialize_model,
    training_config,
)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _layer_weights(layer: Any) -> list:
    """Keras 2's per-layer weights: trainable then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _weight_name(var: Any, index: int) -> str:
    name = getattr(var, "name", None) or f"param_{index}"
    return name if name.endswith(":0") or ":" in name else f"{name}:0"


def write_weights_group(group: Any, model: Any) -> None:
    """Keras 2's ``save_weights_to_hdf5_group``."""
    layers = model.layers
    group.attrs["layer_names"] = np.array([la.name.encode("utf8") for la in layers])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in layers:
        g = group.create_group(layer.name)
        weights = _layer_weights(layer)
        names = [_weight_name(w, i) for i, w in enumerate(weights)]
        g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
        for name, w in zip(names, weights):
            g.create_dataset(name, data=np.asarray(w.numpy()))


def _optimizer_weight_names(model: Any, count: int) -> list:
    opt = model.optimizer
    names = [f"{opt.name}/iteration", f"{opt.name}/learning_rate"]
    weights = model.trainable_weights
    for group in optimizer_state.keras3_slot_groups(opt):
        for w in weights:
            base = w.name.split(":")[0].replace("/", "_")
            names += [f"{opt.name}/{base}_{slot}" for slot in group]
    if getattr(opt, "kind", "") == "nadam":
        names.append(f"{opt.name}/u_product")
    return names[:count]


def save_h5(model: Any, path: str, overwrite: bool = True,
            include_optimizer: bool = True) -> None:
    """``model.save('x.h5')``: the whole model in Keras 2's layout (atomically)."""
    h5py = validation.require_h5py()
    model_config = json_utils.dumps(serialize_model(model))
    train_config = training_config(model) if include_optimizer else None
    with atomic_path(path, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
            f.attrs["backend"] = BACKEND.encode("utf8")
            f.attrs["model_config"] = model_config.encode("utf8")
            write_weights_group(f.create_group("model_weights"), model)
            if train_config is not None:
                f.attrs["training_config"] = json_utils.dumps(train_config).encode("utf8")
                values = optimizer_state.keras3_variables(model)
                names = _optimizer_weight_names(model, len(values))
                og = f.create_group("optimizer_weights")
                og.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
                for name, value in zip(names, values):
                    og.create_dataset(name, data=np.asarray(value))


def save_weights_h5(model: Any, path: str, overwrite: bool = True) -> None:
    """``model.save_weights('x.h5')``: Keras 2's weights file (atomically)."""
    h5py = validation.require_h5py()
    with atomic_path(path, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            write_weights_group(f, model)


def _saved_layers(group: Any, source: str) -> list:
    """``[(layer name, [arrays])]`` stored in a Keras 2 weights group, validated."""
    if "layer_names" not in group.attrs:
        raise ValueError(f"{source}: not a Keras weights file (no 'layer_names' attribute)")
    out = []
    for raw in group.attrs["layer_names"]:
        name = _text(raw)
        if name not in group:
            raise ValueError(f"{source}: layer {name!r} is listed but has no weights group")
        g = group[name]
        weight_names = [_text(n) for n in g.attrs.get("weight_names", [])]
        values = []
        for wn in weight_names:
            if wn not in g:
                raise ValueError(f"{source}: weight {wn!r} of layer {name!r} is missing")
            values.append(validation.read_dataset(g[wn], source, f"{name}/{wn}"))
        out.append((name, values))
    return out


def plan_weights(group: Any, model: Any, source: str, by_name: bool = False,
                 skip_mismatch: bool = False) -> list:
    """``[(variable, array)]`` for Keras 2's ``load_weights`` (topological or by name),
    checked before anything is assigned."""
    saved = _saved_layers(group, source)
    layers = model.layers
    assignments = []
    if by_name:
        index = {}
        for layer in layers:
            index.setdefault(layer.name, []).append(layer)
        for name, values in saved:
            for layer in index.get(name, []):
                weights = _layer_weights(layer)
                problem = None
                if len(weights) != len(values):
                    problem = (f"Layer #{layers.index(layer)} (named \"{layer.name}\") expects "
                               f"{len(weights)} weight(s), but the saved weights have "
                               f"{len(values)} element(s).")
                else:
                    for w, v in zip(weights, values):
                        if tuple(w.shape) != tuple(v.shape):
                            problem = (f"Layer #{layers.index(layer)} (named \"{layer.name}\""
                                       f"), weight {w.name} has shape {tuple(w.shape)}, but "
                                       f"the saved weight has shape {tuple(v.shape)}.")
                            break
                if problem is not None:
                    if skip_mismatch:
                        warnings.warn(f"Skipping loading of weights for layer {layer.name} "
                                      f"due to mismatch: {problem}", stacklevel=3)
                        continue
                    raise ValueError(f"{source}: {problem}")
                assignments.extend(zip(weights, values))
        return assignments
    with_weights = [la for la in layers if _layer_weights(la)]
    saved = [(n, v) for n, v in saved if v]
    if len(with_weights) != len(saved):
        raise ValueError(f"{source}: you are trying to load a weight file containing "
                         f"{len(saved)} layers into a model with {len(with_weights)} layers.")
    for layer, (name, values) in zip(with_weights, saved):
        weights = _layer_weights(layer)
        if len(weights) != len(values):
            raise ValueError(f"{source}: layer #{layers.index(layer)} (named "
                             f"\"{layer.name}\" in the current model) was found to correspond "
                             f"to layer {name} in the save file. However the new layer "
                             f"{layer.name} expects {len(weights)} weights, but the saved "
                             f"weights have {len(values)} elements.")
        for w, v in zip(weights, values):
            if tuple(w.shape) != tuple(v.shape):
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer {layer.name} due "
                                  "to mismatch in shape.", stacklevel=3)
                    break
                raise ValueError(f"{source}: shape mismatch for layer {layer.name} (saved as "
                                 f"{name}), weight {w.name}: the model has "
                                 f"{tuple(w.shape)}, the file {tuple(v.shape)}")
        else:
            assignments.extend(zip(weights, values))
    return assignments


def _restore_optimizer(model: Any, group: Any, source: str) -> None:
    names = [_text(n) for n in group.attrs.get("weight_names", [])]
    values = [validation.read_dataset(group[n], source, f"optimizer_weights/{n}")
              for n in names if n in group]
    if len(values) != len(names) or not values:
        return
    opt = model.optimizer
    count = len(opt.slot_names()) * len(model.trainable_weights)
    if len(values) >= 2 and "learning_rate" in names[1]:
        optimizer_state.restore_keras3_variables(model, values, source)
        return
    if len(values) == 1 + count:  # Keras 2: iterations, then the slots
        legacy = any(n.startswith("training/") for n in names)
        slots = optimizer_state.slots_from_keras3(model, values[1:], interleaved=not legacy)
        if slots is not None:
            optimizer_state.apply_state(model, values[0], None, slots)
            return
    warnings.warn("Error in loading the saved optimizer state. As a result, your model is "
                  "starting with a freshly initialized optimizer.", stacklevel=3)


def load_h5(path: str, custom_objects: Optional[dict] = None, compile: bool = True,
            safe_mode: bool = True) -> Any:
    """The model saved in the Keras 2 ``.h5`` file `path`."""
    path = validation.check_readable(path)
    with validation.open_h5(path, path) as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise ValueError(f"No model config found in the file at {path}.")
        config = json_utils.loads(_text(raw), f"{path} (model_config)")
        if not isinstance(config, dict):
            raise ValueError(f"{path}: model_config is not a model config")
        group = f["model_weights"] if "model_weights" in f else None
        if group is None:
            raise ValueError(f"{path}: no 'model_weights' group")
        model = model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
        assignments = plan_weights(group, model, path)
        train_raw = f.attrs.get("training_config")
        for var, value in assignments:
            var.assign(value)
        if compile and train_raw is not None:
            train = json_utils.loads(_text(train_raw), f"{path} (training_config)")
            if isinstance(train, dict) and compile_from_config(model, train, custom_objects,
                                                               path):
                if "optimizer_weights" in f:
                    _restore_optimizer(model, f["optimizer_weights"], path)
        elif train_raw is None and compile:
            warnings.warn("No training configuration found in the save file, so the model "
                          "was *not* compiled. Compile it manually.", stacklevel=3)
    return model


__all__ = ["load_h5", "plan_weights", "save_h5", "save_weights_h5", "write_weights_group"]
