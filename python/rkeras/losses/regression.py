"""Regression losses: squared/absolute/percentage/log errors, log-cosh, Huber and cosine.

Each function maps ``(y_true, y_pred)`` to per-sample losses (the mean over the last axis, as
Keras's functional losses) using only ``K`` ops, so it also traces into a graph.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from rkeras import backend as K
from rkeras.losses.base import LossFunctionWrapper, as_tensor, squeeze_or_expand_to_same_rank


def _prepare(y_true: Any, y_pred: Any) -> tuple:
    return squeeze_or_expand_to_same_rank(as_tensor(y_true), as_tensor(y_pred))


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(square(y_true - y_pred), axis=-1)``.

    >>> from rkeras import losses
    >>> losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.square(K.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> from rkeras import losses
    >>> losses.mae([[0.0, 1.0]], [[2.0, 1.0]]).tolist()
    [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.abs(K.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``.

    >>> from rkeras import losses
    >>> losses.mape([[2.0, 4.0]], [[1.0, 4.0]]).tolist()
    [25.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = K.abs(K.divide(K.subtract(y_true, y_pred), K.maximum(K.abs(y_true), K.epsilon())))
    return K.multiply(100.0, K.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.msle([[0.0]], [[1.718282]]).tolist()]
    [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    first_log = K.log(K.add(K.maximum(y_pred, K.epsilon()), 1.0))
    second_log = K.log(K.add(K.maximum(y_true, K.epsilon()), 1.0))
    return K.mean(K.square(K.subtract(first_log, second_log)), axis=-1)


def logcosh(y_true: Any, y_pred: Any) -> Any:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log(2)``.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.logcosh([[0.0]], [[1.0]]).tolist()]
    [0.4338]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    x = K.subtract(y_pred, y_true)
    value = K.subtract(K.add(x, K.softplus(K.multiply(x, -2.0))), math.log(2.0))
    return K.mean(value, axis=-1)


log_cosh = logcosh


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Huber loss: ``0.5 e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 delta**2``,
    averaged over the last axis.

    >>> from rkeras import losses
    >>> losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).tolist()
    [1.3125]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    delta = float(delta)
    error = K.subtract(y_pred, y_true)
    abs_error = K.abs(error)
    quadratic = K.multiply(0.5, K.square(error))
    linear = K.subtract(K.multiply(delta, abs_error), 0.5 * delta * delta)
    return K.mean(K.switch(K.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """The NEGATIVE cosine similarity ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``
    along `axis` (Keras 3's sign: -1 for aligned vectors, so minimizing aligns them). Vectors
    are normalized as ``x / max(norm(x), epsilon)``.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]],
    ...                                                [[1.0, 0.0], [1.0, 1.0]]).tolist()]
    [-0.0, -1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)

    def normalize(x: Any) -> Any:
        norm = K.sqrt(K.maximum(K.sum(K.square(x), axis=axis, keepdims=True),
                                K.epsilon() ** 2))
        return K.divide(x, norm)

    return K.negative(K.sum(K.multiply(normalize(y_true), normalize(y_pred)), axis=axis))


def cosine_proximity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Keras 2's name of the cosine loss: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``
    along `axis` (also negative; ``K.l2_normalize`` bounds the squared norm below by 1e-12).
    Identical to :func:`cosine_similarity` except for vectors of norm below ~1e-6.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.cosine_proximity([[3.0, 4.0]], [[6.0, 8.0]]).tolist()]
    [-1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.negative(K.sum(K.multiply(K.l2_normalize(y_true, axis=axis),
                                       K.l2_normalize(y_pred, axis=axis)), axis=axis))


cosine = cosine_proximity


class MeanSquaredError(LossFunctionWrapper):
    """Class form of :func:`mean_squared_error`.

    >>> from rkeras import losses
    >>> float(losses.MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
    0.5
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: Optional[str] = None) -> None:
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Class form of :func:`mean_absolute_error`.

    >>> from rkeras import losses
    >>> float(losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: Optional[str] = None) -> None:
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Class form of :func:`mean_absolute_percentage_error`.

    >>> from rkeras import losses
    >>> float(losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]]))
    25.0
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error",
                 dtype: Optional[str] = None) -> None:
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Class form of :func:`mean_squared_logarithmic_error`.

    >>> from rkeras import losses
    >>> float(losses.MeanSquaredLogarithmicError()([[1.0]], [[1.0]]))
    0.0
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error",
                 dtype: Optional[str] = None) -> None:
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class LogCosh(LossFunctionWrapper):
    """Class form of :func:`logcosh`.

    >>> from rkeras import losses
    >>> float(losses.LogCosh()([[0.0]], [[0.0]]))
    0.0
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "log_cosh", dtype: Optional[str] = None) -> None:
        super().__init__(logcosh, reduction=reduction, name=name, dtype=dtype)


class Huber(LossFunctionWrapper):
    """Class form of :func:`huber`.

    >>> from rkeras import losses
    >>> float(losses.Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]]))
    1.3125
    """

    def __init__(self, delta: float = 1.0, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Optional[str] = None) -> None:
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    """Class form of :func:`cosine_similarity` (negative similarity).

    >>> from rkeras import losses
    >>> round(float(losses.CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]])), 4)
    -1.0
    """

    def __init__(self, axis: int = -1, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Optional[str] = None) -> None:
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)
