"""Keras metrics (``keras.metrics``) as per-sample functions of ``K`` ops: the accuracies, and
every loss function by name (``metrics=['mae']``).

``'acc'``/``'accuracy'`` and ``'crossentropy'``/``'ce'`` depend on the model's loss and output
shape; :func:`resolve_accuracy` applies Keras 2's rule.

>>> from rkeras import losses, metrics
>>> metrics.get("mae") is losses.mean_absolute_error
True
>>> metrics.resolve_accuracy("acc", "categorical_crossentropy", (None, 10)).__name__
'categorical_accuracy'
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from rkeras import losses as _losses
from rkeras.losses import (  # noqa: F401 - loss functions are metrics too, as in Keras
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine,
    cosine_proximity,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from rkeras.metrics.accuracy import (
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from rkeras.utils import generic_utils

ACCURACY_NAMES = ("accuracy", "acc")
CROSSENTROPY_NAMES = ("crossentropy", "ce")

METRIC_FUNCTIONS: dict = {fn.__name__: fn for fn in (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}
ALL_OBJECTS: dict = dict(_losses.LOSS_FUNCTIONS, **METRIC_FUNCTIONS)


def _loss_function(loss: Any) -> Any:
    if isinstance(loss, (str, dict)):
        loss = _losses.get(loss)
    return getattr(loss, "fn", loss)  # a LossFunctionWrapper (e.g. BinaryCrossentropy())


def resolve_accuracy(name: str, loss_fn: Any,
                     output_shape: Optional[Sequence[Optional[int]]]) -> Callable[..., Any]:
    """The function Keras 2 uses for ``'acc'``/``'accuracy'`` (or ``'crossentropy'``/``'ce'``)
    given the model's loss and output shape: the binary one when the output's last dimension
    is 1 or the loss is ``binary_crossentropy``; the sparse categorical one when the loss is
    ``sparse_categorical_crossentropy``; else the categorical one. `loss_fn` may be a function,
    a name, or a loss object (its wrapped function decides).

    >>> from rkeras import metrics
    >>> metrics.resolve_accuracy("accuracy", "mse", (None, 1)).__name__
    'binary_accuracy'
    >>> metrics.resolve_accuracy("ce", "sparse_categorical_crossentropy", (None, 5)).__name__
    'sparse_categorical_crossentropy'
    """
    if name not in ACCURACY_NAMES + CROSSENTROPY_NAMES:
        raise ValueError(f"resolve_accuracy: expected one of "
                         f"{list(ACCURACY_NAMES + CROSSENTROPY_NAMES)}, got {name!r}")
    accuracy = name in ACCURACY_NAMES
    fn = _loss_function(loss_fn)
    last = tuple(output_shape)[-1] if output_shape is not None and len(output_shape) else None
    if last == 1 or fn is _losses.binary_crossentropy:
        return binary_accuracy if accuracy else binary_crossentropy
    if fn is _losses.sparse_categorical_crossentropy:
        return sparse_categorical_accuracy if accuracy else sparse_categorical_crossentropy
    return categorical_accuracy if accuracy else categorical_crossentropy


def serialize(metric: Any) -> Any:
    """A metric function's name."""
    return generic_utils.serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """The metric function for a name or config."""
    return generic_utils.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="metric function")


def get(identifier: Any, loss: Any = None,
        output_shape: Optional[Sequence[Optional[int]]] = None) -> Callable[..., Any]:
    """A metric function from a name, a config or a callable. ``'acc'``, ``'accuracy'``,
    ``'crossentropy'`` and ``'ce'`` need the model's `loss` and `output_shape` (see
    :func:`resolve_accuracy`).

    >>> from rkeras import metrics
    >>> metrics.get("top_k_categorical_accuracy").__name__
    'top_k_categorical_accuracy'
    >>> metrics.get("acc", loss="binary_crossentropy", output_shape=(None, 3)).__name__
    'binary_accuracy'
    """
    if isinstance(identifier, str) and identifier in ACCURACY_NAMES + CROSSENTROPY_NAMES:
        if loss is None and output_shape is None:
            raise ValueError(
                f"The metric {identifier!r} depends on the model's loss and output shape: "
                "call metrics.get(name, loss=..., output_shape=...) or "
                "metrics.resolve_accuracy(name, loss, output_shape)")
        return resolve_accuracy(identifier, loss, output_shape)
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric function identifier: {identifier!r}")


__all__ = sorted(set(ALL_OBJECTS) | {
    "KLD", "MAE", "MAPE", "MSE", "MSLE", "deserialize", "get", "resolve_accuracy", "serialize",
    "ALL_OBJECTS"})
