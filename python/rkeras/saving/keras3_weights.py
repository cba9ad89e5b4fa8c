"""Weights in Keras 3's HDF5 layout (``model.weights.h5`` in a ``.keras`` archive, and
``*.weights.h5`` files).

Every layer is stored under ``layers/<name>/vars/<i>`` where ``<name>`` is the snake-case
class name made unique in ``model.layers`` order (``dense``, ``dense_1``, ...; not the
layer's own name, which is kept as the ``name`` attribute of the ``vars`` group); nested
models recurse (``layers/functional/layers/dense/vars/0``). A layer's variables are its
trainable then non-trainable ones (Dense: kernel, bias). The model's own variables are in
``vars`` and the optimizer's (iterations, learning rate, slots) in ``optimizer/vars``.

>>> to_snake_case("InputLayer"), to_snake_case("ActivityRegularization")
('input_layer', 'activity_regularization')
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

import numpy as np

_CLASS_NAMES = {"Model": "Functional"}


def to_snake_case(name: str) -> str:
    """Keras 3's ``naming.to_snake_case``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _own_variables(layer: Any) -> list:
    return list(layer._trainable_weights) + list(layer._non_trainable_weights)


def _is_model(layer: Any) -> bool:
    from rkeras.engine.functional import Model

    return isinstance(layer, Model)


def walk(model: Any, prefix: str = "") -> Iterator[tuple]:
    """``(path, object, variables)`` for the model itself and every layer, in Keras 3's
    layout; `path` is the group holding ``vars``."""
    yield prefix, model, _own_variables(model)
    used: dict = {}
    for layer in model.layers:
        base = to_snake_case(_CLASS_NAMES.get(type(layer).__name__, type(layer).__name__))
        if base in used:
            used[base] += 1
            base = f"{base}_{used[base]}"
        else:
            used[base] = 0
        path = f"{prefix}layers/{base}"
        if _is_model(layer):
            yield from walk(layer, path + "/")
        else:
            sub_vars = _own_variables(layer)
            for sub in getattr(layer, "_sublayers", []):
                sub_vars += _own_variables(sub)
            yield path, layer, sub_vars


def write(h5: Any, model: Any, optimizer_values: Optional[list] = None) -> None:
    """Writes `model`'s weights (and optimizer variables, if given) into the open h5py
    file `h5`."""
    for path, obj, variables in walk(model):
        group = h5.require_group(f"{path.rstrip('/')}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        for i, var in enumerate(variables):
            group.create_dataset(str(i), data=np.asarray(var.numpy()))
    if optimizer_values is not None:
        group = h5.require_group("optimizer/vars")
        group.attrs["name"] = model.optimizer.name
        for i, value in enumerate(optimizer_values):
            group.create_dataset(str(i), data=np.asarray(value))


def _read_vars(group: Any, source: str, path: str) -> list:
    from rkeras.saving.validation import read_dataset

    keys = list(group.keys())
    if sorted(keys, key=lambda k: (len(k), k)) != [str(i) for i in range(len(keys))]:
        raise ValueError(f"{source}: unexpected entries in {path}: {keys}")
    return [read_dataset(group[str(i)], source, f"{path}/{i}") for i in range(len(keys))]


def plan(h5: Any, model: Any, source: str, skip_mismatch: bool = False) -> list:
    """``[(variable, array)]`` for every weight of `model`, checked against the file (count
    and shapes) before anything is assigned."""
    import warnings

    assignments = []
    for path, obj, variables in walk(model):
        vars_path = f"{path.rstrip('/')}/vars" if path else "vars"
        if vars_path in h5:
            values = _read_vars(h5[vars_path], source, vars_path)
        elif not variables:
            continue
        else:
            values = []
        problem = None
        if len(values) != len(variables):
            problem = (f"Layer '{obj.name}' expected {len(variables)} variables, but received "
                       f"{len(values)} variables during loading (from {vars_path} in "
                       f"{source}). Expected: {[v.name for v in variables]}")
        else:
            for var, value in zip(variables, values):
                if tuple(var.shape) != tuple(value.shape):
                    problem = (f"{source}: shape mismatch in layer '{obj.name}' for weight "
                               f"{var.name}: the model has {tuple(var.shape)}, the file "
                               f"{tuple(value.shape)} ({vars_path})")
                    break
        if problem is not None:
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights for layer '{obj.name}': {problem}",
                              stacklevel=3)
                continue
            raise ValueError(problem)
        assignments.extend(zip(variables, values))
    return assignments


def read_optimizer(h5: Any, source: str) -> Optional[list]:
    """The optimizer variables stored in the file (``None`` if there are none)."""
    if "optimizer/vars" not in h5:
        return None
    return _read_vars(h5["optimizer/vars"], source, "optimizer/vars")


__all__ = ["plan", "read_optimizer", "to_snake_case", "walk", "write"]
