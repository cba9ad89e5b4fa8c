"""Probabilistic losses: binary, categorical and sparse categorical crossentropy,
Kullback-Leibler divergence and Poisson.

Each function maps ``(y_true, y_pred)`` to per-sample losses using only ``K`` ops, with Keras's
``K.epsilon()`` clipping: probabilities are clipped to ``[eps, 1 - eps]`` before the log.
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras import backend as K
from rkeras.losses.base import LossFunctionWrapper, as_tensor, squeeze_or_expand_to_same_rank


def _log_probs(y_pred: Any, from_logits: bool, axis: int) -> Any:
    if from_logits:
        return K.log_softmax(y_pred, axis=axis)
    eps = K.epsilon()
    output = K.divide(y_pred, K.sum(y_pred, axis=axis, keepdims=True))
    return K.log(K.clip(output, eps, 1.0 - eps))


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """``-sum(y_true * log(p), axis)``: `y_pred` is rescaled to sum to 1 and clipped to
    ``[eps, 1 - eps]``, or is logits (``from_logits=True``, via a stable log-softmax).
    `label_smoothing` mixes one-hot targets with the uniform distribution.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.categorical_crossentropy(
    ...     [[0.0, 1.0, 0.0]], [[0.05, 0.95, 0.0]]).tolist()]
    [0.0513]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    if label_smoothing:
        num_classes = K.int_shape(y_true)[axis]
        if num_classes is None:
            raise ValueError("categorical_crossentropy: label_smoothing needs a known number "
                             f"of classes; y_true has shape {K.int_shape(y_true)}")
        y_true = K.add(K.multiply(y_true, 1.0 - label_smoothing),
                       label_smoothing / num_classes)
    return K.negative(K.sum(K.multiply(y_true, _log_probs(y_pred, from_logits, axis)),
                            axis=axis))


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    """Categorical crossentropy with integer targets of shape ``(batch,)`` or ``(batch, 1)``
    (one-hot encoded with ``K.one_hot``; the number of classes is ``y_pred``'s last axis).

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.sparse_categorical_crossentropy(
    ...     [1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).tolist()]
    [0.0513, 2.3026]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    if axis not in (-1, K.ndim(y_pred) - 1):
        raise ValueError("sparse_categorical_crossentropy: only the last axis is supported, "
                         f"got axis={axis}")
    if K.ndim(y_true) == K.ndim(y_pred) and K.int_shape(y_true)[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    num_classes = K.int_shape(y_pred)[-1]
    if num_classes is None:
        raise ValueError("sparse_categorical_crossentropy: y_pred needs a known last "
                         f"dimension (the number of classes), got {K.int_shape(y_pred)}")
    target = K.one_hot(y_true, num_classes)
    return K.negative(K.sum(K.multiply(target, _log_probs(y_pred, from_logits, -1)), axis=-1))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """``mean(-(t log p + (1 - t) log(1 - p)), axis)`` with `p` clipped to ``[eps, 1 - eps]``;
    with ``from_logits=True`` the stable ``t softplus(-x) + (1 - t) softplus(x)``.
    `label_smoothing` moves targets toward 0.5.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.binary_crossentropy([[0.0, 1.0]], [[0.4, 0.6]]).tolist()]
    [0.5108]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(as_tensor(y_true), as_tensor(y_pred))
    if label_smoothing:
        y_true = K.add(K.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        bce = K.add(K.multiply(y_true, K.softplus(K.negative(y_pred))),
                    K.multiply(K.subtract(1.0, y_true), K.softplus(y_pred)))
    else:
        eps = K.epsilon()
        p = K.clip(y_pred, eps, 1.0 - eps)
        bce = K.negative(K.add(K.multiply(y_true, K.log(p)),
                               K.multiply(K.subtract(1.0, y_true), K.log(K.subtract(1.0, p)))))
    return K.mean(bce, axis=axis)


def kullback_leibler_divergence(y_true: Any, y_pred: Any) -> Any:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]``.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.kld([[0.5, 0.5]], [[0.5, 0.5]]).tolist()]
    [0.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1.0)
    y_pred = K.clip(y_pred, K.epsilon(), 1.0)
    return K.sum(K.multiply(y_true, K.log(K.divide(y_true, y_pred))), axis=-1)


kl_divergence = kullback_leibler_divergence


def poisson(y_true: Any, y_pred: Any) -> Any:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    >>> from rkeras import losses
    >>> [round(v, 4) for v in losses.poisson([[1.0]], [[1.0]]).tolist()]
    [1.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    return K.mean(K.subtract(y_pred, K.multiply(y_true, K.log(K.add(y_pred, K.epsilon())))),
                  axis=-1)


class BinaryCrossentropy(LossFunctionWrapper):
    """Class form of :func:`binary_crossentropy`.

    >>> from rkeras import losses
    >>> round(float(losses.BinaryCrossentropy(from_logits=True)([[1.0]], [[0.0]])), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "binary_crossentropy", dtype: Optional[str] = None) -> None:
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Class form of :func:`categorical_crossentropy`.

    >>> from rkeras import losses
    >>> round(float(losses.CategoricalCrossentropy(from_logits=True)([[1.0, 0.0]],
    ...                                                              [[0.0, 0.0]])), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: Optional[str] = None) -> None:
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Class form of :func:`sparse_categorical_crossentropy`.

    >>> from rkeras import losses
    >>> round(float(losses.SparseCategoricalCrossentropy(from_logits=True)([0], [[0.0, 0.0]])), 4)
    0.6931
    """

    def __init__(self, from_logits: bool = False, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy",
                 dtype: Optional[str] = None) -> None:
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits)
        self.from_logits = from_logits


class KLDivergence(LossFunctionWrapper):
    """Class form of :func:`kullback_leibler_divergence`.

    >>> from rkeras import losses
    >>> round(float(losses.KLDivergence()([[1.0, 0.0]], [[0.5, 0.5]])), 4)
    0.6931
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: str = "kl_divergence", dtype: Optional[str] = None) -> None:
        super().__init__(kullback_leibler_divergence, reduction=reduction, name=name,
                         dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Class form of :func:`poisson`.

    >>> from rkeras import losses
    >>> round(float(losses.Poisson()([[1.0]], [[1.0]])), 4)
    1.0
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size", name: str = "poisson",
                 dtype: Optional[str] = None) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
