"""Weight constraints: callables ``c(w) -> projected w`` written with ``K`` ops, applied after
each optimizer update (Keras 2 semantics)."""

from __future__ import annotations

from typing import Any, Sequence, Union

from rkeras import backend as K

Axis = Union[int, Sequence[int]]


def _norms(w: Any, axis: Axis) -> Any:
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


def _axis_config(axis: Axis) -> Any:
    return list(axis) if isinstance(axis, tuple) else axis


class Constraint:
    """Base class of constraints: ``__call__(w)`` returns the projected weights.

    >>> from rkeras.constraints import Constraint
    >>> Constraint()([1.0, -1.0])
    [1.0, -1.0]
    """

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        """Builds a constraint from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along `axis` exceeds `max_value`:
    ``w * clip(n, 0, max_value) / (epsilon + n)``.

    >>> import numpy as np
    >>> from rkeras import constraints
    >>> w = constraints.MaxNorm(max_value=2.0)(np.array([[3.0, 1.0], [4.0, 0.0]]))
    >>> np.round(w, 4).tolist()
    [[1.2, 1.0], [1.6, 0.0]]
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": _axis_config(self.axis)}


class NonNeg(Constraint):
    """Zeroes negative weights.

    >>> from rkeras import constraints
    >>> constraints.NonNeg()([-1.0, 2.0]).tolist()
    [-0.0, 2.0]
    """

    def __call__(self, w: Any) -> Any:
        return w * K.cast(K.greater_equal(w, 0.0), K.floatx())


class UnitNorm(Constraint):
    """Scales slices along `axis` to unit L2 norm: ``w / (epsilon + n)``.

    >>> import numpy as np
    >>> from rkeras import constraints
    >>> np.round(constraints.UnitNorm()(np.array([[3.0], [4.0]])), 4).tolist()
    [[0.6], [0.8]]
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": _axis_config(self.axis)}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of slices along `axis` into ``[min_value, max_value]`` at `rate`:
    ``w * (rate * clip(n, min, max) + (1 - rate) * n) / (epsilon + n)``.

    >>> import numpy as np
    >>> from rkeras import constraints
    >>> c = constraints.MinMaxNorm(min_value=1.0, max_value=2.0)
    >>> np.round(c(np.array([[0.3], [0.4]])), 4).tolist()
    [[0.6], [0.8]]
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Axis = 0) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        norms = _norms(w, self.axis)
        desired = (self.rate * K.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _axis_config(self.axis)}
