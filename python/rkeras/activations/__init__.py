"""Keras activations (``keras.activations``): functions of ``K`` ops, eager on arrays and
symbolic on graph tensors; ``get`` resolves names such as ``activation='relu'``.

>>> from rkeras import activations
>>> activations.get("relu")([-1.0, 2.0]).tolist()
[0.0, 2.0]
>>> activations.serialize(activations.softmax)
'softmax'
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from rkeras.activations.rectifiers import (
    elu,
    exponential,
    gelu,
    hard_silu,
    hard_swish,
    leaky_relu,
    linear,
    mish,
    relu,
    relu6,
    selu,
    silu,
    softplus,
    swish,
)
from rkeras.activations.saturating import (
    hard_sigmoid,
    log_sigmoid,
    log_softmax,
    sigmoid,
    softmax,
    softsign,
    tanh,
)
from rkeras.utils import generic_utils

_FUNCTIONS = (softmax, log_softmax, elu, selu, softplus, softsign, relu, leaky_relu, relu6,
              tanh, sigmoid, hard_sigmoid, log_sigmoid, exponential, linear, silu, gelu, mish,
              hard_silu)
ALL_OBJECTS: dict = {fn.__name__: fn for fn in _FUNCTIONS}
ALL_OBJECTS.update({"swish": swish, "hard_swish": hard_swish})


def serialize(activation: Any) -> Any:
    """The name of an activation function (a config dict for objects with ``get_config``)."""
    return generic_utils.serialize_keras_object(activation)


def deserialize(name: Any, custom_objects: Optional[dict] = None) -> Any:
    """The activation function for a name or config."""
    return generic_utils.deserialize_keras_object(
        name, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="activation function")


def get(identifier: Any) -> Callable[..., Any]:
    """An activation from a name, a config, a callable, or ``None`` (which gives ``linear``).

    >>> from rkeras import activations
    >>> activations.get(None) is activations.linear
    True
    >>> activations.get("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Unknown activation function: 'nope'. ... Valid names are: ['elu', ...].
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


__all__ = sorted(ALL_OBJECTS) + ["deserialize", "get", "serialize"]
