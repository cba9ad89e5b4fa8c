"""Keras layers (``keras.layers``): the base ``Layer``, ``Input``/``InputLayer``, the core
layers and the merge layers, plus ``serialize``/``deserialize``/``get``.

>>> from rkeras import layers
>>> layers.Dense(3).get_config()["units"]
3
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.engine.base_layer import Layer
from rkeras.engine.input_layer import Input, InputLayer
from rkeras.engine.input_spec import InputSpec
from rkeras.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from rkeras.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)

__all__ = [
    "Layer", "Input", "InputLayer", "InputSpec",
    "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
    "ActivityRegularization", "Masking",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    "serialize", "deserialize", "get",
]


def _registry() -> dict:
    from rkeras.engine.functional import Model
    from rkeras.engine.sequential import Sequential

    classes = {name: obj for name, obj in globals().items()
               if isinstance(obj, type) and issubclass(obj, Layer)}
    classes.update(Model=Model, Sequential=Sequential, Functional=Model)
    return classes


def serialize(layer: Layer) -> dict:
    """``{"class_name": ..., "config": ...}`` of a layer.

    >>> from rkeras.layers import Dropout, serialize
    >>> serialize(Dropout(0.2, name="drop"))["config"]["rate"]
    0.2
    """
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> Layer:
    """The layer described by :func:`serialize`'s output (`custom_objects` maps names of
    user classes and functions).

    >>> from rkeras.layers import Dense, deserialize, serialize
    >>> deserialize(serialize(Dense(4, name="d"))).units
    4
    """
    custom_objects = custom_objects or {}
    class_name = config["class_name"]
    cls = custom_objects.get(class_name) or _registry().get(class_name)
    if cls is None:
        raise ValueError(f"Unknown layer: {class_name}. Please ensure this object is passed to "
                         "the `custom_objects` argument.")
    inner = dict(config.get("config", {}))
    from rkeras.engine.base_layer import has_arg

    if has_arg(cls.from_config, "custom_objects"):
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def get(identifier: Any) -> Layer:
    """A layer from a layer instance or a serialized config."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier!r}")
