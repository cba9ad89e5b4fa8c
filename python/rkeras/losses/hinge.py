"""Hinge losses for maximum-margin classification: hinge, squared hinge, categorical hinge.

Binary targets given as 0/1 are converted to -1/1 first (when every target is 0 or 1), as in
Keras.
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras import backend as K
from rkeras.losses.base import LossFunctionWrapper, as_tensor


def convert_binary_labels_to_hinge(y_true: Any) -> Any:
    """``2 * y_true - 1`` when every label is 0 or 1, else `y_true` unchanged (``K`` ops only:
    the test is a 0/1 scalar that blends the two).

    >>> from rkeras.losses.hinge import convert_binary_labels_to_hinge
    >>> convert_binary_labels_to_hinge([0.0, 1.0]).tolist()
    [-1.0, 1.0]
    >>> convert_binary_labels_to_hinge([-1.0, 1.0]).tolist()
    [-1.0, 1.0]
    """
    y_true = as_tensor(y_true)
    is_binary = K.cast(K.all(K.logical_or(K.equal(y_true, 0.0), K.equal(y_true, 1.0))),
                       K.floatx())
    # is_binary * (2y - 1) + (1 - is_binary) * y  ==  y + is_binary * (y - 1)
    return K.add(y_true, K.multiply(is_binary, K.subtract(y_true, 1.0)))


def hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with labels -1/1 (or 0/1).

    >>> from rkeras import losses
    >>> losses.hinge([[0.0, 1.0]], [[-0.5, 0.5]]).tolist()
    [0.5]
    """
    y_true = convert_binary_labels_to_hinge(y_true)
    return K.mean(K.maximum(K.subtract(1.0, K.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`` with labels -1/1 (or 0/1).

    >>> from rkeras import losses
    >>> losses.squared_hinge([[0.0, 1.0]], [[-0.5, 0.5]]).tolist()
    [0.25]
    """
    y_true = convert_binary_labels_to_hinge(y_true)
    return K.mean(K.square(K.maximum(K.subtract(1.0, K.multiply(y_true, y_pred)), 0.0)),
                  axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the last axis.

    >>> from rkeras import losses
    >>> losses.categorical_hinge([[0.0, 1.0]], [[0.3, 0.8]]).tolist()
    [0.5]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    pos = K.sum(K.multiply(y_true, y_pred), axis=-1)
    neg = K.max(K.multiply(K.subtract(1.0, y_true), y_pred), axis=-1)
    return K.maximum(K.add(K.subtract(neg, pos), 1.0), 0.0)


class Hinge(LossFunctionWrapper):
    """Class form of :func:`hinge`.

    >>> from rkeras import losses
    >>> float(losses.Hinge()([[0.0, 1.0]], [[-0.5, 0.5]]))
    0.5
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size", name: str = "hinge",
                 dtype: Optional[str] = None) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Class form of :func:`squared_hinge`.

    >>> from rkeras import losses
    >>> float(losses.SquaredHinge()([[0.0, 1.0]], [[-0.5, 0.5]]))
    0.25
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "squared_hinge", dtype: Optional[str] = None) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Class form of :func:`categorical_hinge`.

    >>> from rkeras import losses
    >>> float(losses.CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.8]]))
    0.5
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "categorical_hinge", dtype: Optional[str] = None) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
