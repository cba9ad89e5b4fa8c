"""Keras initializers (``keras.initializers``): callables ``init(shape, dtype=None)`` returning
float32 NumPy arrays.

Every Keras 2 name is here, as a class and by its lowercase alias (``glorot_uniform()`` builds a
``GlorotUniform``), plus Keras 1's ``'uniform'`` and ``'normal'``. Random initializers draw
from rkeras's one seeded generator; see :mod:`rkeras.initializers.random_initializers`.

>>> from rkeras import initializers
>>> initializers.get("ones")((2,)).tolist()
[1.0, 1.0]
>>> initializers.serialize(initializers.RandomUniform(-1.0, 1.0))
{'class_name': 'RandomUniform', 'config': {'minval': -1.0, 'maxval': 1.0, 'seed': None}}
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.initializers.base import Initializer, compute_fans
from rkeras.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from rkeras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from rkeras.utils import generic_utils

# Keras 2 lowercase aliases (each builds an instance when called with its arguments).
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
orthogonal = Orthogonal
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
# Keras 1 spellings (`init='uniform'`, `init='normal'`) and Keras 3 ones.
uniform = RandomUniform
normal = RandomNormal
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, Orthogonal, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal)
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "identity": Identity, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "orthogonal": Orthogonal, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "uniform": RandomUniform, "normal": RandomNormal,
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
}
ALL_OBJECTS: dict = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS.update(_ALIASES)


def serialize(initializer: Any) -> Any:
    """``{'class_name': ..., 'config': ...}`` of an initializer."""
    return generic_utils.serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """An initializer instance from :func:`serialize`'s output (or a name)."""
    return generic_utils.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="initializer")


def get(identifier: Any) -> Any:
    """An initializer from a name (``'glorot_uniform'``), a config dict, a callable or ``None``.

    >>> from rkeras import initializers
    >>> type(initializers.get("uniform")).__name__
    'RandomUniform'
    >>> initializers.get({"class_name": "Constant", "config": {"value": 3}})((1,)).tolist()
    [3.0]
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomInitializer",
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros",
    "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform", "normal", "ones",
    "orthogonal", "random_normal", "random_uniform", "serialize", "truncated_normal", "uniform",
    "variance_scaling", "zeros",
]
