"""Keras constraints (``keras.constraints``): ``MaxNorm``, ``NonNeg``, ``UnitNorm``,
``MinMaxNorm`` and their lowercase aliases (``max_norm``, ``non_neg``, ...).

>>> from rkeras import constraints
>>> constraints.get("non_neg")([-1.0, 1.0]).tolist()
[-0.0, 1.0]
>>> constraints.serialize(constraints.max_norm(3))
{'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from rkeras.utils import generic_utils

# Keras 2 aliases (and Keras 1's spellings).
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

ALL_OBJECTS: dict = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm,
}


def serialize(constraint: Any) -> Any:
    """``{'class_name': ..., 'config': ...}`` of a constraint."""
    return generic_utils.serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """A constraint from :func:`serialize`'s output."""
    return generic_utils.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="constraint")


def get(identifier: Any) -> Any:
    """A constraint from a name, a config, a callable or ``None``.

    >>> from rkeras import constraints
    >>> constraints.get("max_norm").get_config()
    {'max_value': 2, 'axis': 0}
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
           "max_norm", "maxnorm", "min_max_norm", "non_neg", "nonneg", "serialize", "unit_norm",
           "unitnorm"]
