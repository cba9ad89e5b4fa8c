"""Random initializers, all drawing from rkeras's one seeded generator (``K.random_*``).

Their `seed` argument is accepted and kept in the config (as in Keras), but values always come
from the process generator: seed it with ``rkeras.utils.set_random_seed(s)`` (or
``K.set_random_seed``) to make runs repeatable.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from rkeras import backend as K
from rkeras.initializers.base import Initializer, _shape, compute_fans

# Keras's correction: the stddev of a unit normal truncated to [-2, 2].
TRUNCATION_CORRECTION = 0.87962566103423978


class RandomInitializer(Initializer):
    """Base of the random initializers: keeps the (informational) `seed`.

    >>> from rkeras.initializers import RandomInitializer
    >>> RandomInitializer(seed=3).get_config()
    {'seed': 3}
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal values of mean `mean` and standard deviation `stddev` (Keras 2's default 0.05).

    >>> from rkeras import initializers, utils
    >>> utils.set_random_seed(0)
    >>> w = initializers.RandomNormal(stddev=0.05)((100, 100))
    >>> w.dtype, w.shape, bool(abs(w.std() - 0.05) < 0.005)
    (dtype('float32'), (100, 100), True)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05,
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return np.asarray(K.random_normal(_shape(shape), self.mean, self.stddev),
                          dtype=np.float32)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform values in ``[minval, maxval)`` (Keras 2's default ``[-0.05, 0.05)``).

    >>> from rkeras import initializers
    >>> w = initializers.RandomUniform()((50, 50))
    >>> bool(w.min() >= -0.05 and w.max() <= 0.05)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return np.asarray(K.random_uniform(_shape(shape), self.minval, self.maxval),
                          dtype=np.float32)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomInitializer):
    """Normal values redrawn when more than two standard deviations from the mean.

    >>> from rkeras import initializers
    >>> w = initializers.TruncatedNormal(stddev=1.0)((1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05,
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        return np.asarray(K.truncated_normal(_shape(shape), self.mean, self.stddev),
                          dtype=np.float32)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal", "normal")


class VarianceScaling(RandomInitializer):
    """Values scaled to the kernel's fans: variance ``scale / n`` with ``n`` the fan in, fan out
    or their average (`mode`).

    `distribution` is ``'truncated_normal'`` (``'normal'`` means the same, as in Keras 2: a
    normal truncated at two standard deviations, its stddev divided by 0.8796... so the variance
    is still ``scale / n``), ``'untruncated_normal'`` or ``'uniform'`` (within
    ``±sqrt(3 * scale / n)``). Fans are computed as Keras does, with convolution kernels'
    receptive fields (:func:`rkeras.initializers.base.compute_fans`).

    >>> from rkeras import initializers
    >>> init = initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")
    >>> w = init((3, 3, 8, 16))
    >>> bool(abs(w).max() <= (3 * 2.0 / 72) ** 0.5)
    True
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        mode = str(mode).lower()
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {_MODES}")
        distribution = str(distribution).lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. "
                             f"Allowed distributions: {_DISTRIBUTIONS}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        scale = self.scale
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution in ("truncated_normal", "normal"):
            stddev = math.sqrt(scale) / TRUNCATION_CORRECTION
            out = K.truncated_normal(shape, 0.0, stddev)
        elif self.distribution == "untruncated_normal":
            out = K.random_normal(shape, 0.0, math.sqrt(scale))
        else:
            limit = math.sqrt(3.0 * scale)
            out = K.random_uniform(shape, -limit, limit)
        return np.asarray(out, dtype=np.float32)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(self._scale, self._mode, self._distribution, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: within ``±sqrt(6 / (fan_in + fan_out))``.

    >>> from rkeras import initializers
    >>> w = initializers.glorot_uniform()((20, 30))
    >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
    True
    """

    _mode = "fan_avg"
    _distribution = "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal of stddev ``sqrt(2 / (fan_in + fan_out))``.

    >>> from rkeras import initializers
    >>> initializers.GlorotNormal()((4, 5)).shape
    (4, 5)
    """

    _mode = "fan_avg"


class HeUniform(_FixedVarianceScaling):
    """He uniform: within ``±sqrt(6 / fan_in)``.

    >>> from rkeras import initializers
    >>> bool(abs(initializers.he_uniform()((24, 3))).max() <= 0.5)
    True
    """

    _scale = 2.0
    _distribution = "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal of stddev ``sqrt(2 / fan_in)``.

    >>> from rkeras import initializers
    >>> initializers.HeNormal(seed=1)((3, 3)).dtype
    dtype('float32')
    """

    _scale = 2.0


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: within ``±sqrt(3 / fan_in)``.

    >>> from rkeras import initializers
    >>> bool(abs(initializers.lecun_uniform()((12, 2))).max() <= 0.5)
    True
    """

    _distribution = "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal of stddev ``sqrt(1 / fan_in)``.

    >>> from rkeras import initializers
    >>> initializers.LecunNormal()((2, 2)).shape
    (2, 2)
    """


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal matrix
    drawn from rkeras's generator; shapes of rank > 2 are flattened to ``(prod(shape[:-1]),
    shape[-1])``.

    >>> import numpy as np
    >>> from rkeras import initializers
    >>> q = initializers.Orthogonal()((4, 4))
    >>> bool(np.allclose(q @ q.T, np.eye(4), atol=1e-5))
    True
    """

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Optional[str] = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        num_rows = int(np.prod(shape[:-1]))
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
        a = np.asarray(K.random_normal(flat_shape, 0.0, 1.0), dtype=np.float64)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(np.float32)

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}
