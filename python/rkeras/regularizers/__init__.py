"""Keras regularizers (``keras.regularizers``): ``l1``, ``l2``, ``l1_l2`` and the classes.

>>> from rkeras import regularizers
>>> reg = regularizers.get("l2")
>>> round(float(reg([1.0, 1.0])), 6)
0.02
>>> regularizers.serialize(regularizers.l1_l2(0.1, 0.2))
{'class_name': 'L1L2', 'config': {'l1': 0.1, 'l2': 0.2}}
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.regularizers.regularizers import L1, L1L2, L2, Regularizer, l1, l1_l2, l2
from rkeras.utils import generic_utils

ALL_OBJECTS: dict = {"Regularizer": Regularizer, "L1L2": L1L2, "L1": L1, "L2": L2,
                     "l1": L1, "l2": L2, "l1_l2": L1L2}


def serialize(regularizer: Any) -> Any:
    """``{'class_name': ..., 'config': ...}`` of a regularizer."""
    return generic_utils.serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """A regularizer from :func:`serialize`'s output."""
    return generic_utils.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="regularizer")


def get(identifier: Any) -> Any:
    """A regularizer from a name (``'l1'``, ``'l2'``, ``'l1_l2'``: default 0.01), a config, a
    callable or ``None``.

    >>> from rkeras import regularizers
    >>> regularizers.get("l1_l2").get_config()
    {'l1': 0.01, 'l2': 0.01}
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier == "l1_l2":  # the name means the function's defaults, not L1L2()'s zeros
            return l1_l2()
        return deserialize({"class_name": identifier, "config": {}})
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2",
           "serialize"]
