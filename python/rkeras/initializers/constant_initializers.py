"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant``, ``Identity``."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from rkeras.initializers.base import Initializer, _float32, _shape


class Zeros(Initializer):
    """Fills with zeros.

    >>> from rkeras import initializers
    >>> initializers.Zeros()((2, 2)).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return np.zeros(_shape(shape), dtype=np.float32)


class Ones(Initializer):
    """Fills with ones.

    >>> from rkeras import initializers
    >>> initializers.Ones()((3,)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return np.ones(_shape(shape), dtype=np.float32)


class Constant(Initializer):
    """Fills with `value` (a scalar, or an array broadcast to the shape).

    >>> from rkeras import initializers
    >>> initializers.Constant(0.5)((2,)).tolist()
    [0.5, 0.5]
    """

    def __init__(self, value: Any = 0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return _float32(self.value, _shape(shape))

    def get_config(self) -> dict:
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular matrices get ones on the diagonal).

    >>> from rkeras import initializers
    >>> initializers.Identity(gain=2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(np.float32)

    def get_config(self) -> dict:
        return {"gain": self.gain}
