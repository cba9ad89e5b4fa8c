"""Keras losses (``keras.losses``): per-sample loss functions of ``K`` ops (``loss='mse'``),
their Keras 3 class forms (``MeanSquaredError()``, ...) and ``get``/``serialize``/``deserialize``.

A loss function ``f(y_true, y_pred)`` returns one value per sample (the mean over the last
axis); a :class:`Loss` object also weights and reduces them to a scalar.

>>> from rkeras import losses
>>> losses.get("mse") is losses.mean_squared_error
True
>>> type(losses.get("CategoricalCrossentropy")).__name__
'CategoricalCrossentropy'
>>> losses.serialize(losses.mae)
'mean_absolute_error'
"""

from __future__ import annotations

import inspect
from typing import Any, Optional

from rkeras.losses.base import (
    Loss,
    LossFunctionWrapper,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
from rkeras.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from rkeras.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    kullback_leibler_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from rkeras.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine,
    cosine_proximity,
    cosine_similarity,
    huber,
    log_cosh,
    logcosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from rkeras.utils import generic_utils

# Keras's short aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
huber_loss = huber

LOSS_FUNCTIONS: dict = {
    "mean_squared_error": mean_squared_error, "mse": mse, "MSE": MSE,
    "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape,
    "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle,
    "MSLE": MSLE,
    "squared_hinge": squared_hinge, "hinge": hinge, "categorical_hinge": categorical_hinge,
    "logcosh": logcosh, "log_cosh": log_cosh, "huber": huber, "huber_loss": huber_loss,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "kullback_leibler_divergence": kullback_leibler_divergence,
    "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD,
    "poisson": poisson,
    "cosine_proximity": cosine_proximity, "cosine": cosine,
    "cosine_similarity": cosine_similarity,
}
LOSS_CLASSES: dict = {cls.__name__: cls for cls in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Hinge, SquaredHinge, CategoricalHinge, LogCosh, Huber,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy, KLDivergence,
    Poisson, CosineSimilarity)}
ALL_OBJECTS: dict = dict(LOSS_FUNCTIONS, **LOSS_CLASSES)


def serialize(loss: Any) -> Any:
    """A loss function's name, or a loss object's ``{'class_name', 'config'}``."""
    return generic_utils.serialize_keras_object(loss)


def deserialize(name: Any, custom_objects: Optional[dict] = None) -> Any:
    """The loss for a name or config (a config dict builds a :class:`Loss` object)."""
    return generic_utils.deserialize_keras_object(
        name, module_objects=ALL_OBJECTS, custom_objects=custom_objects,
        printable_module_name="loss function")


def get(identifier: Any) -> Any:
    """A loss from a name (function or class name), a config dict, a callable or ``None``;
    a class (or class name) gives a default instance.

    >>> from rkeras import losses
    >>> losses.get("KLD") is losses.kullback_leibler_divergence
    True
    >>> losses.get("msqe")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Unknown loss function: 'msqe'. ... Valid names are: [...].
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss function identifier: {identifier!r}")


__all__ = sorted(ALL_OBJECTS) + [
    "ALL_OBJECTS", "deserialize", "get", "mae", "MAE", "mape", "MAPE", "mse", "MSE", "msle",
    "MSLE", "reduce_weighted_values", "serialize", "squeeze_or_expand_to_same_rank",
]
__all__ = sorted(set(__all__))
