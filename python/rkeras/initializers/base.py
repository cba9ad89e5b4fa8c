"""The initializer base class and Keras's fan computation."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np


def _shape(shape: Any) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def compute_fans(shape: Sequence[int]) -> tuple:
    """``(fan_in, fan_out)`` as Keras computes them: a dense kernel ``(in, out)`` gives
    ``(in, out)``; a convolution kernel ``(*receptive_field, in, out)`` multiplies both by the
    receptive field size; a vector gives its length twice; a scalar ``(1, 1)``.

    >>> from rkeras.initializers.base import compute_fans
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    >>> compute_fans((10, 4))
    (10, 4)
    """
    shape = _shape(shape)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = int(np.prod(shape[:-2]))
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


class Initializer:
    """Base class of initializers: ``init(shape, dtype=None)`` returns a float32 NumPy array.

    Subclasses implement ``__call__`` and, when they take arguments, ``get_config``.
    Random initializers draw from rkeras's one seeded generator (``K.random_*``), so
    ``rkeras.utils.set_random_seed(s)`` makes a run repeatable; their `seed` argument is kept in
    the config for Keras compatibility, but draws always come from that process generator.

    >>> from rkeras.initializers import Initializer
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2.0, dtype="float32")
    >>> Twos()((2,)).tolist()
    [2.0, 2.0]
    """

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__`")

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        """Builds an initializer from :meth:`get_config`'s output."""
        config = dict(config)
        config.pop("dtype", None)  # tf.keras 1.x-style configs carry a dtype
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _float32(x: Any, shape: tuple) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.float32), shape))
