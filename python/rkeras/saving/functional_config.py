"""Rebuilding a functional model's layer graph from its config (Keras 2 and Keras 3).

Keras 2 writes each call of a layer (``inbound_nodes``) as a list of
``[layer_name, node_index, tensor_index, kwargs]``; Keras 3 as
``{"args": [...], "kwargs": {...}}`` whose tensors are
``{"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}``.
``input_layers``/``output_layers`` are lists of ``[name, node, tensor]`` (Keras 3 writes a
single one unnested).

>>> from rkeras import backend as K
>>> from rkeras.layers import Dense, Input
>>> from rkeras.models import Model
>>> K.clear_session()
>>> x = Input(shape=(2,), name="x")
>>> config = Model(x, Dense(1, name="d")(x)).get_config()
>>> rebuild_functional(config).output_shape
(None, 1)
"""

from __future__ import annotations

from typing import Any, Callable, Optional


def _is_tensor_ref(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _coordinates(value: Any) -> list:
    """``input_layers``/``output_layers`` as a list of ``[name, node, tensor]``."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and \
            isinstance(value[1], int):
        return [value]
    if isinstance(value, dict):  # Keras 3 dict inputs/outputs
        return [c for v in value.values() for c in _coordinates(v)]
    return [c for v in value for c in _coordinates(v)] if isinstance(value, list) else []


def _map_structure(value: Any, fn: Callable[[dict], Any]) -> Any:
    if _is_tensor_ref(value):
        return fn(value)
    if isinstance(value, list):
        return [_map_structure(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(_map_structure(v, fn) for v in value)
    if isinstance(value, dict) and not value.get("class_name"):
        return {k: _map_structure(v, fn) for k, v in value.items()}
    return value


class _Missing(Exception):
    pass


def _call_arguments(node_data: Any, tensor: Callable) -> tuple:
    """``(inputs, kwargs)`` of one recorded call; raises :class:`_Missing` when an input
    tensor is not created yet."""
    def lookup(ref: dict) -> Any:
        history = ref["config"]["keras_history"]
        out = tensor(history[0], history[1], history[2])
        if out is None:
            raise _Missing
        return out

    if isinstance(node_data, dict):  # Keras 3
        args = node_data.get("args") or []
        kwargs = _map_structure(dict(node_data.get("kwargs") or {}), lookup)
        inputs = _map_structure(args[0] if len(args) == 1 else list(args), lookup)
        return inputs, kwargs
    refs = []
    for entry in node_data:
        out = tensor(entry[0], entry[1], entry[2])
        if out is None:
            raise _Missing
        refs.append(out)
    kwargs = dict(node_data[0][3]) if node_data and len(node_data[0]) > 3 and \
        node_data[0][3] else {}
    return (refs[0] if len(refs) == 1 else refs), kwargs


def rebuild_functional(config: dict, custom_objects: Optional[dict] = None,
                       cls: Any = None) -> Any:
    """The functional model of `config` (an instance of `cls`, default ``Model``)."""
    from rkeras.engine.functional import Model
    from rkeras.layers import deserialize

    cls = cls or Model
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"Improper functional model config: expected a dict with a 'layers' "
                         f"list, got {str(config)[:200]}")
    created: dict = {}
    pending: list = []
    for layer_data in config["layers"]:
        layer = deserialize({k: v for k, v in layer_data.items()
                             if k not in ("name", "inbound_nodes")},
                            custom_objects=custom_objects)
        name = layer_data.get("name", layer.name)
        created[name] = layer
        for node_data in layer_data.get("inbound_nodes") or []:
            pending.append((layer, node_data))

    def tensor(name: str, node_index: int, tensor_index: int) -> Any:
        layer = created.get(name)
        if layer is None:
            raise ValueError(f"The model config refers to an unknown layer {name!r}")
        if isinstance(layer, Model) and not getattr(layer, "_is_graph_network", False):
            return None
        if node_index >= len(layer._inbound_nodes):
            return None
        outputs = layer._inbound_nodes[node_index].output_tensors
        return outputs[tensor_index] if tensor_index < len(outputs) else None

    while pending:
        progress = False
        remaining = []
        for layer, node_data in pending:
            try:
                inputs, kwargs = _call_arguments(node_data, tensor)
            except _Missing:
                remaining.append((layer, node_data))
                continue
            layer(inputs, **kwargs)
            progress = True
        if not progress:
            raise ValueError("Model.from_config: the layer graph cannot be rebuilt (some "
                             "inbound nodes are never created)")
        pending = remaining
    inputs = [tensor(*c) for c in _coordinates(config.get("input_layers", []))]
    outputs = [tensor(*c) for c in _coordinates(config.get("output_layers", []))]
    if not inputs or not outputs or any(t is None for t in inputs + outputs):
        raise ValueError("Model.from_config: the config's input_layers/output_layers do not "
                         "match its layers")
    single_in = len(inputs) == 1 and not isinstance(config.get("input_layers", [[]])[0], list)
    single_out = len(outputs) == 1 and not isinstance(config["output_layers"][0], list)
    return cls(inputs=inputs[0] if single_in or len(inputs) == 1 else inputs,
               outputs=outputs[0] if single_out or len(outputs) == 1 else outputs,
               name=config.get("name"), trainable=config.get("trainable", True))


__all__ = ["rebuild_functional"]
