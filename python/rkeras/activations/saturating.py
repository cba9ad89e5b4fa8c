"""Bounded activations: sigmoid, hard sigmoid, tanh, softsign, softmax and their logs.

Each is a function of ``K`` ops, so it runs eagerly on arrays and records graph ops on
symbolic tensors.
"""

from __future__ import annotations

from typing import Any

from rkeras import backend as K


def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``.

    >>> from rkeras import activations
    >>> activations.sigmoid([0.0]).tolist()
    [0.5]
    """
    return K.sigmoid(x)


def hard_sigmoid(x: Any) -> Any:
    """Keras 2's piecewise-linear sigmoid ``clip(0.2 * x + 0.5, 0, 1)``.

    (Keras 3 changed the slope to ``1/6``, i.e. ``relu6(x + 3) / 6``; rkeras keeps Keras 2's
    definition, which ``K.hard_sigmoid`` and recurrent layers also use.)

    >>> from rkeras import activations
    >>> activations.hard_sigmoid([-3.0, 0.0, 1.0, 3.0]).tolist()
    [0.0, 0.5, 0.699999988079071, 1.0]
    """
    return K.hard_sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent.

    >>> from rkeras import activations
    >>> activations.tanh([0.0]).tolist()
    [0.0]
    """
    return K.tanh(x)


def softsign(x: Any) -> Any:
    """``x / (1 + |x|)``.

    >>> from rkeras import activations
    >>> activations.softsign([1.0, -3.0]).tolist()
    [0.5, -0.75]
    """
    return K.softsign(x)


def softmax(x: Any, axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along `axis` (computed stably).

    >>> from rkeras import activations
    >>> [round(v, 4) for v in activations.softmax([[0.0, 0.0, 0.6931472]]).ravel().tolist()]
    [0.25, 0.25, 0.5]
    """
    return K.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``log(softmax(x))`` along `axis`, computed stably.

    >>> from rkeras import activations
    >>> [round(v, 4) for v in activations.log_softmax([[0.0, 0.0]]).ravel().tolist()]
    [-0.6931, -0.6931]
    """
    return K.log_softmax(x, axis=axis)


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``.

    >>> from rkeras import activations
    >>> round(float(activations.log_sigmoid([0.0])[0]), 4)
    -0.6931
    """
    return K.negative(K.softplus(K.negative(x)))
