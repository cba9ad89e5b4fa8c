"""Noise and structured-dropout layers, active only in training: GaussianNoise, GaussianDropout,
SpatialDropout1D/2D/3D (``keras.layers.noise`` and Keras 2's spatial dropouts).

A fresh draw is made from the seeded generator on every run of a compiled program.

>>> import numpy as np
>>> from rkeras.layers import GaussianNoise
>>> x = np.zeros((2, 3), "float32")
>>> GaussianNoise(1.0)(x).tolist() == x.tolist()      # inference: the identity
True
"""

from __future__ import annotations

import math
from typing import Any, Optional

from rkeras.backend.tensors import SymbolicTensor, apply
from rkeras.engine import trace
from rkeras.engine.base_layer import Layer
from rkeras.engine.input_spec import InputSpec
from rkeras.layers import conv_utils
from rkeras.layers.core import Dropout


def _training(layer: Layer, training: Any) -> bool:
    if isinstance(training, SymbolicTensor):
        raise TypeError(f'Layer "{layer.name}": `training` must be a Python bool here')
    if training is None:
        return bool(trace.learning_phase())
    return bool(training)


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` in training (a
    regularizer, e.g. for real-valued inputs); the identity at inference.

    >>> import numpy as np
    >>> from rkeras.layers import GaussianNoise
    >>> y = GaussianNoise(0.1)(np.zeros((1000, 10), "float32"), training=True)
    >>> 0.08 < float(y.std()) < 0.12
    True
    """

    def __init__(self, stddev: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = float(stddev)
        self.seed = seed

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not _training(self, training) or self.stddev == 0.0:
            return inputs
        return inputs + apply("random_normal", [inputs], mean=0.0, stddev=self.stddev)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training; the identity at inference.

    >>> import numpy as np
    >>> from rkeras.layers import GaussianDropout
    >>> y = GaussianDropout(0.5)(np.ones((1000, 10), "float32"), training=True)
    >>> 0.9 < float(y.std()) < 1.1 and 0.9 < float(y.mean()) < 1.1
    True
    """

    def __init__(self, rate: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.supports_masking = True
        self.rate = float(rate)
        self.seed = seed

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not _training(self, training) or not 0.0 < self.rate < 1.0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * apply("random_normal", [inputs], mean=1.0, stddev=stddev)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    _rank = 0

    def __init__(self, rate: float, data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        kwargs.pop("noise_shape", None)
        super().__init__(rate, **kwargs)
        self.data_format = ("channels_last" if self._rank == 1
                            else conv_utils.normalize_data_format(data_format))
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_base(self, inputs: Any) -> Any:
        # one draw per (sample, channel): the input with its spatial axes cut to length 1
        axes = conv_utils.spatial_axes(self.data_format, self._rank)
        key = tuple(slice(0, 1) if i in axes else slice(None) for i in range(self._rank + 2))
        return inputs[key]

    def call(self, inputs: Any, training: Any = None) -> Any:
        return super().call(inputs, training=_training(self, training))

    def get_config(self) -> dict:
        config = super().get_config()
        if self._rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole feature maps of a sequence ``(batch, steps, channels)``: the mask is
    drawn per sample and channel, shaped ``(batch, 1, channels)``.

    >>> import numpy as np
    >>> from rkeras.layers import SpatialDropout1D
    >>> y = SpatialDropout1D(0.5)(np.ones((4, 3, 8), "float32"), training=True)
    >>> bool((y.min(axis=1) == y.max(axis=1)).all())   # each channel all kept or all dropped
    True
    """

    _rank = 1

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(rate, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole 2-D feature maps: the mask is shaped ``(batch, 1, 1, channels)``
    (``(batch, channels, 1, 1)`` for channels-first data).

    >>> import numpy as np
    >>> from rkeras.layers import SpatialDropout2D
    >>> y = SpatialDropout2D(0.5)(np.ones((2, 3, 3, 4), "float32"), training=True)
    >>> bool((y.min(axis=(1, 2)) == y.max(axis=(1, 2))).all())
    True
    """

    _rank = 2

    def __init__(self, rate: float, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole 3-D feature maps: the mask is shaped ``(batch, 1, 1, 1, channels)``.

    >>> import numpy as np
    >>> from rkeras.layers import SpatialDropout3D
    >>> SpatialDropout3D(0.5)(np.ones((1, 2, 2, 2, 3), "float32")).shape
    (1, 2, 2, 2, 3)
    """

    _rank = 3

    def __init__(self, rate: float, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format, **kwargs)


__all__ = ["GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D"]
