"""Accuracy metrics as per-sample functions of ``K`` ops (eager and symbolic)."""

from __future__ import annotations

from typing import Any

from rkeras import backend as K
from rkeras.losses.base import as_tensor, squeeze_or_expand_to_same_rank


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """The fraction of a sample's outputs where ``y_pred > threshold`` equals the 0/1 target
    (Keras 2's mean over the last axis; Keras 3 returns the elementwise matches).

    >>> from rkeras import metrics
    >>> metrics.binary_accuracy([[1.0, 0.0], [1.0, 1.0]], [[0.7, 0.2], [0.4, 0.9]]).tolist()
    [1.0, 0.5]
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(as_tensor(y_true), as_tensor(y_pred))
    predicted = K.cast(K.greater(y_pred, float(threshold)), K.floatx())
    return K.mean(K.cast(K.equal(y_true, predicted), K.floatx()), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where ``argmax(y_true) == argmax(y_pred)`` (one-hot targets), per sample.

    >>> from rkeras import metrics
    >>> metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                              [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where the integer target equals ``argmax(y_pred)``; targets ``(batch,)`` or
    ``(batch, 1)``; the result has shape ``(batch,)``.

    >>> from rkeras import metrics
    >>> metrics.sparse_categorical_accuracy([[2], [1]],
    ...                                     [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    if K.ndim(y_true) == K.ndim(y_pred) and K.int_shape(y_true)[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    predicted = K.cast(K.argmax(y_pred, axis=-1), K.floatx())
    return K.cast(K.equal(K.cast(y_true, K.floatx()), predicted), K.floatx())


def _in_top_k(target_onehot: Any, y_pred: Any, k: int) -> Any:
    # The target's score, then how many scores beat it strictly: in the top k when < k.
    target_score = K.sum(K.multiply(target_onehot, y_pred), axis=-1, keepdims=True)
    beaten_by = K.sum(K.cast(K.greater(y_pred, target_score), K.floatx()), axis=-1)
    return K.cast(K.less(beaten_by, float(k)), K.floatx())


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1 where the true class (``argmax(y_true)``) is among the `k` highest scores.

    Computed as "fewer than `k` scores are strictly greater than the true class's score", which
    is exactly the rule of Keras 3's ``in_top_k`` (and TF's): on ties, every class tied with the
    k-th score counts as in the top k, so the result can be 1 even when more than `k` classes
    score at least as high as the target.

    >>> from rkeras import metrics
    >>> metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                                    [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]], k=1).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    num_classes = K.int_shape(y_pred)[-1]
    target = K.one_hot(K.argmax(y_true, axis=-1), num_classes)
    return _in_top_k(target, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """:func:`top_k_categorical_accuracy` with integer targets ``(batch,)`` or ``(batch, 1)``
    (same tie rule).

    >>> from rkeras import metrics
    >>> metrics.sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]],
    ...                                           k=2).tolist()
    [1.0, 1.0]
    """
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    if K.ndim(y_true) == K.ndim(y_pred) and K.int_shape(y_true)[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    num_classes = K.int_shape(y_pred)[-1]
    return _in_top_k(K.one_hot(y_true, num_classes), y_pred, k)
