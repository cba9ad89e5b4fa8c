"""Optimizers (``keras.optimizers``): SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam.

The classes hold configuration and state (the ``learning_rate`` and ``iterations``
variables); the training loop runs in Rust and applies the matching update kernels.
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.optimizers.adadelta import Adadelta
from rkeras.optimizers.adagrad import Adagrad
from rkeras.optimizers.adam import Adam
from rkeras.optimizers.adamax import Adamax
from rkeras.optimizers.nadam import Nadam
from rkeras.optimizers.optimizer import Optimizer
from rkeras.optimizers.rmsprop import RMSprop
from rkeras.optimizers.sgd import SGD

_ALL = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamax": Adamax,
    "nadam": Nadam,
}

# Keras-2 lowercase aliases (``keras.optimizers.sgd`` etc.).
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam",
    "get", "serialize", "deserialize",
]


def _unknown(identifier: Any) -> ValueError:
    return ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Valid optimizer names: "
        + ", ".join(f"'{n}'" for n in sorted(_ALL))
        + " (case-insensitive; Keras class names such as 'Adam' or 'RMSprop' too)"
    )


def serialize(optimizer: Optimizer) -> dict:
    """``{'class_name': ..., 'config': ...}`` for an optimizer (Keras-2 format).

    >>> from rkeras import optimizers
    >>> optimizers.serialize(optimizers.SGD(0.5))["config"]["learning_rate"]
    0.5
    """
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> Optimizer:
    """Inverse of :func:`serialize` (class names are case-insensitive for the built-ins).

    >>> from rkeras import optimizers
    >>> opt = optimizers.deserialize({"class_name": "adam", "config": {"lr": 0.01}})
    >>> type(opt).__name__, opt.get_config()["learning_rate"]
    ('Adam', 0.01)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Improper config format: {config!r}")
    class_name = config["class_name"]
    inner = dict(config.get("config") or {})
    if custom_objects and class_name in custom_objects:
        cls = custom_objects[class_name]
    elif isinstance(class_name, str) and class_name.lower() in _ALL:
        cls = _ALL[class_name.lower()]
    else:
        raise _unknown(class_name)
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)


def get(identifier: Any) -> Optional[Optimizer]:
    """An optimizer from a name (``'adam'``, ``'SGD'``...), a config dict, or an instance.

    >>> from rkeras import optimizers
    >>> type(optimizers.get("rmsprop")).__name__
    'RMSprop'
    >>> optimizers.get("adamw")
    Traceback (most recent call last):
    ...
    ValueError: Could not interpret optimizer identifier: 'adamw'. Valid optimizer names: ...
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() not in _ALL:
            raise _unknown(identifier)
        return _ALL[identifier.lower()]()
    raise _unknown(identifier)
