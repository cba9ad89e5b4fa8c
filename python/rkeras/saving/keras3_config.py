"""rkeras model configs written in Keras 3's form, for ``config.json`` in ``.keras`` files.

Every object gets ``module`` and ``registered_name``; a Sequential model starts with an
``InputLayer`` (``batch_shape``); functional ``inbound_nodes`` become ``{"args", "kwargs"}``
with ``__keras_tensor__`` references. rkeras reads this form back as well.

>>> from rkeras import backend as K
>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> K.clear_session()
>>> config = model_to_keras3(Sequential([Dense(2, input_shape=(3,), name="d")]))
>>> config["class_name"], [layer["class_name"] for layer in config["config"]["layers"]]
('Sequential', ['InputLayer', 'Dense'])
>>> config["config"]["layers"][0]["config"]["batch_shape"]
[None, 3]
"""

from __future__ import annotations

from typing import Any

from rkeras.utils.generic_utils import get_registered_name

_NESTED_MODULES = {"_initializer": "keras.initializers", "_regularizer": "keras.regularizers",
                   "_constraint": "keras.constraints"}


def _builtin_layer_names() -> set:
    from rkeras.layers import _registry

    return set(_registry())


def _with_module(value: Any, module: str) -> Any:
    if isinstance(value, dict) and "class_name" in value and "config" in value and \
            "module" not in value:
        return {"module": module, "class_name": value["class_name"],
                "config": value["config"], "registered_name": None}
    return value


def layer_config(layer: Any) -> dict:
    """The Keras 3 ``{"module", "class_name", "config", "registered_name"}`` of a layer."""
    from rkeras.engine.functional import Model

    if isinstance(layer, Model):
        return model_to_keras3(layer)
    cls_name = type(layer).__name__
    config = dict(layer.get_config())
    if cls_name == "InputLayer":
        config["batch_shape"] = list(config.pop("batch_input_shape"))
    else:
        config.pop("batch_input_shape", None)
    for key, value in list(config.items()):
        for suffix, module in _NESTED_MODULES.items():
            if key.endswith(suffix):
                config[key] = _with_module(value, module)
    if cls_name in _builtin_layer_names():
        return {"module": "keras.layers", "class_name": cls_name, "config": config,
                "registered_name": None}
    return {"module": type(layer).__module__, "class_name": cls_name, "config": config,
            "registered_name": get_registered_name(type(layer))}


def _tensor_ref(model: Any, entry: list) -> dict:
    from rkeras.engine.functional import Model, node_key

    name, node_index, tensor_index = entry[0], entry[1], entry[2]
    shape: Any = None
    try:
        layer = model.get_layer(name)
        nodes = [n for i, n in enumerate(layer._inbound_nodes)
                 if node_key(layer, i) in model._network_nodes]
        node = nodes[node_index - 1 if isinstance(layer, Model) else node_index]
        shape = list(node.output_shapes[tensor_index])
    except (ValueError, IndexError):
        pass
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32",
                       "keras_history": [name, node_index, tensor_index]}}


def _coords(value: list, nested: Any) -> Any:
    if len(value) == 1 and not isinstance(nested, (list, tuple, dict)):
        return list(value[0])
    return [list(v) for v in value]


def model_to_keras3(model: Any) -> dict:
    """The Keras 3 config of a Sequential or functional model."""
    from rkeras.saving.model_config import model_class_name

    class_name = model_class_name(model)
    registered = None if class_name in ("Sequential", "Functional") else class_name
    if class_name == "Sequential":
        layers = [layer_config(layer) for layer in model._seq_layers]
        if model._explicit_input is not None:
            layers.insert(0, layer_config(model._explicit_input))
        elif model.inputs:
            layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer",
                              "config": {"batch_shape": list(model.inputs[0].shape),
                                         "dtype": "float32", "sparse": False,
                                         "name": model.inputs[0]._keras_history[0].name},
                              "registered_name": None})
        config: dict = {"name": model.name, "trainable": model.trainable, "layers": layers}
        if model.inputs:
            config["build_input_shape"] = list(model.inputs[0].shape)
        out = {"module": "keras", "class_name": "Sequential", "config": config,
               "registered_name": registered}
        if model.inputs:
            out["build_config"] = {"input_shape": list(model.inputs[0].shape)}
        return out
    k2 = model.get_config()
    layers = []
    for layer, entry in zip(model.layers, k2["layers"]):
        data = layer_config(layer)
        data["name"] = entry["name"]
        data["inbound_nodes"] = []
        for node in entry["inbound_nodes"]:
            refs = [_tensor_ref(model, e) for e in node]
            kwargs = node[0][3] if node and len(node[0]) > 3 else {}
            data["inbound_nodes"].append({"args": [refs[0] if len(refs) == 1 else refs],
                                          "kwargs": kwargs})
        layers.append(data)
    config = {"name": model.name, "trainable": model.trainable, "layers": layers,
              "input_layers": _coords(k2["input_layers"], getattr(model, "_nested_inputs", [])),
              "output_layers": _coords(k2["output_layers"],
                                       getattr(model, "_nested_outputs", []))}
    module = "keras.src.models.functional" if registered is None else type(model).__module__
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": registered}


__all__ = ["layer_config", "model_to_keras3"]
