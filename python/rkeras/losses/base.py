"""The ``Loss`` class (Keras 3's class form of losses), its reductions and sample weighting."""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from rkeras import backend as K

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight",
               "auto")


def as_tensor(x: Any) -> Any:
    """`x` itself if it is a backend tensor, else a float32 NumPy array."""
    if K.is_tensor(x):
        return x
    return np.asarray(x, dtype=K.floatx())


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple:
    """Keras's rank matching: when ranks differ by one and the larger tensor's last axis has
    length 1, a rank-1 partner gains an axis; otherwise that axis is dropped.

    >>> import numpy as np
    >>> from rkeras.losses.base import squeeze_or_expand_to_same_rank
    >>> a, b = squeeze_or_expand_to_same_rank(np.zeros((4,)), np.zeros((4, 1)))
    >>> K.int_shape(a), K.int_shape(b)
    ((4, 1), (4, 1))
    """
    r1, r2 = K.ndim(x1), K.ndim(x2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and K.int_shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = K.expand_dims(x2, -1)
        else:
            x1 = K.squeeze(x1, -1)
    if r2 == r1 + 1 and K.int_shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = K.expand_dims(x1, -1)
        else:
            x2 = K.squeeze(x2, -1)
    return x1, x2


def standardize_reduction(reduction: Optional[str]) -> Optional[str]:
    """Validates a reduction name (Keras 2's ``'auto'`` means ``'sum_over_batch_size'``)."""
    if reduction not in _REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{set(_REDUCTIONS)}. Received: reduction={reduction}")
    return "sum_over_batch_size" if reduction == "auto" else reduction


def reduce_weighted_values(values: Any, sample_weight: Any = None,
                           reduction: Optional[str] = "sum_over_batch_size") -> Any:
    """Weights per-sample `values` by `sample_weight` (rank-matched) and reduces them.

    >>> import numpy as np
    >>> from rkeras.losses.base import reduce_weighted_values
    >>> float(reduce_weighted_values(np.array([1.0, 3.0]), np.array([1.0, 0.0])))
    0.5
    """
    reduction = standardize_reduction(reduction)
    values = as_tensor(values)
    weights = None
    if sample_weight is not None:
        weights = as_tensor(sample_weight)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        values = K.multiply(values, weights)
    if reduction in (None, "none") or K.ndim(values) == 0:
        return values
    if reduction == "sum":
        return K.sum(values)
    if reduction == "mean_with_sample_weight" and weights is not None:
        total = K.sum(K.multiply(K.ones_like(values), weights))
        safe = K.switch(K.equal(total, 0.0), K.ones_like(total), total)
        return K.switch(K.equal(total, 0.0), K.zeros_like(total), K.sum(values) / safe)
    return K.mean(values)


class Loss:
    """Base class of loss objects: ``loss(y_true, y_pred, sample_weight=None)`` computes the
    per-sample losses with :meth:`call`, weights them and reduces them (by default
    ``'sum_over_batch_size'``: the mean over every per-sample value).

    >>> import numpy as np
    >>> from rkeras import losses
    >>> class Diff(losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return K.mean(K.abs(K.subtract(y_true, y_pred)), axis=-1)
    >>> float(Diff()(np.zeros((2, 2)), np.ones((2, 2))))
    1.0
    """

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Optional[str] = None) -> None:
        self.reduction = standardize_reduction(reduction)
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype or K.floatx()

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        losses = self.call(as_tensor(y_true), as_tensor(y_pred))
        return reduce_weighted_values(losses, sample_weight, self.reduction)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The per-sample losses."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call`")

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        """Builds a loss from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A :class:`Loss` computing ``fn(y_true, y_pred, **kwargs)`` per sample.

    >>> import numpy as np
    >>> from rkeras import losses
    >>> loss = losses.LossFunctionWrapper(losses.mean_absolute_error, name="mae")
    >>> float(loss(np.zeros((2, 2)), np.ones((2, 2)), sample_weight=np.array([1.0, 0.0])))
    0.5
    """

    def __init__(self, fn: Callable[..., Any], reduction: Optional[str] = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None),
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is LossFunctionWrapper:
            from rkeras.utils.generic_utils import serialize_keras_object

            config["fn"] = serialize_keras_object(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        config = dict(config)
        if cls is LossFunctionWrapper and isinstance(config.get("fn"), (str, dict)):
            from rkeras.losses import get

            config["fn"] = get(config["fn"])
        return cls(**config)


def _snake(name: str) -> str:
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.lower())
    return "".join(out)
