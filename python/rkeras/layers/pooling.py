"""Pooling layers (``keras.layers.pooling``): MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and
the global poolings GlobalMaxPooling1D/2D/3D, GlobalAveragePooling1D/2D/3D.

>>> from rkeras.layers import Input, MaxPooling2D
>>> MaxPooling2D()(Input(shape=(28, 28, 8))).shape
(None, 14, 14, 8)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import functions as K
from rkeras.backend.tensors import apply
from rkeras.engine.base_layer import Layer, _int_shape
from rkeras.engine.input_spec import InputSpec
from rkeras.layers import conv_utils
from rkeras.layers.convolutional import _dim_ordering
from rkeras.layers.core import _legacy

# ----------------------------------------------------------------------------- windowed pooling


class Pooling(Layer):
    """The N-D windowed pooling behind Max/AveragePooling1D/2D/3D (`op` is ``'max_pool'`` or
    ``'avg_pool'``; average pooling with ``'same'`` padding counts only real inputs).

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.pooling import Pooling
    >>> Pooling(2, "max_pool", 3, strides=1)(Input(shape=(5, 5, 1))).shape
    (None, 3, 3, 1)
    """

    def __init__(self, rank: int, op: str, pool_size: Any, strides: Any = None,
                 padding: str = "valid", data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        if "dim_ordering" in kwargs:
            kwargs["dim_ordering"] = _dim_ordering(kwargs["dim_ordering"])
        legacy = _legacy(type(self).__name__, kwargs, {
            "pool_length": "pool_size", "stride": "strides", "border_mode": "padding",
            "dim_ordering": "data_format"})
        pool_size = legacy.get("pool_size", pool_size)
        strides = legacy.get("strides", strides)
        padding = legacy.get("padding", padding)
        data_format = legacy.get("data_format", data_format)
        super().__init__(**kwargs)
        self.rank = int(rank)
        self._op = op
        if strides is None:
            strides = pool_size
        self.pool_size = conv_utils.normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = conv_utils.normalize_tuple(strides, self.rank, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        axes = conv_utils.spatial_axes(self.data_format, self.rank)
        shape = list(input_shape)
        for i, a in enumerate(axes):
            length = conv_utils.conv_output_length(input_shape[a], self.pool_size[i],
                                                   self.padding, self.strides[i])
            if length is not None and length <= 0:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): the pooling window '
                    f"{self.pool_size} (strides {self.strides}, padding {self.padding!r}) does "
                    f"not fit in input of shape {input_shape}: axis {a} of length "
                    f"{input_shape[a]} would give an output of length {length}."
                )
            shape[a] = length
        return tuple(shape)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(_int_shape(inputs))
        x = inputs
        if self.data_format == "channels_first":
            x = conv_utils.to_channels_last(x, self.rank)
        out = apply(self._op, [x], pool_size=list(self.pool_size), strides=list(self.strides),
                    padding=self.padding)
        if self.data_format == "channels_first":
            out = conv_utils.to_channels_first(out, self.rank)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(Pooling):
    """Max over windows of `pool_size` steps (``strides`` defaults to `pool_size`).

    >>> import numpy as np
    >>> from rkeras.layers import MaxPooling1D
    >>> x = np.array([1, 3, 2, 5, 4], "float32").reshape(1, 5, 1)
    >>> MaxPooling1D(2)(x).ravel().tolist()
    [3.0, 5.0]
    >>> MaxPooling1D(2, padding="same")(x).ravel().tolist()
    [3.0, 5.0, 4.0]
    """

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any) -> None:
        super().__init__(1, "max_pool", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(Pooling):
    """Mean over windows of `pool_size` steps.

    >>> import numpy as np
    >>> from rkeras.layers import AveragePooling1D
    >>> x = np.array([1, 3, 2, 5, 4], "float32").reshape(1, 5, 1)
    >>> AveragePooling1D(2, padding="same")(x).ravel().tolist()
    [2.0, 3.5, 4.0]
    """

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any) -> None:
        super().__init__(1, "avg_pool", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(Pooling):
    """Max over ``pool_size`` windows of images (default ``(2, 2)``, strides = pool_size).

    >>> import numpy as np
    >>> from rkeras.layers import MaxPooling2D
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> MaxPooling2D((2, 2))(x)[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(2, "max_pool", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(Pooling):
    """Mean over ``pool_size`` windows of images.

    >>> import numpy as np
    >>> from rkeras.layers import AveragePooling2D
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> AveragePooling2D()(x)[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(2, "avg_pool", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(Pooling):
    """Max over ``pool_size`` windows of volumes (default ``(2, 2, 2)``).

    >>> from rkeras.layers import Input, MaxPooling3D
    >>> MaxPooling3D()(Input(shape=(4, 6, 8, 3))).shape
    (None, 2, 3, 4, 3)
    """

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None,
                 padding: str = "valid", data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(3, "max_pool", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(Pooling):
    """Mean over ``pool_size`` windows of volumes.

    >>> from rkeras.layers import AveragePooling3D, Input
    >>> AveragePooling3D(2, padding="same")(Input(shape=(5, 5, 5, 1))).shape
    (None, 3, 3, 3, 1)
    """

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None,
                 padding: str = "valid", data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(3, "avg_pool", pool_size, strides, padding, data_format, **kwargs)


# ----------------------------------------------------------------------------- global pooling


class GlobalPooling(Layer):
    """The max or mean over all spatial axes behind the Global*Pooling layers; with
    ``keepdims=True`` the spatial axes stay, with length 1.

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.pooling import GlobalPooling
    >>> GlobalPooling(2, "max")(Input(shape=(4, 4, 3))).shape
    (None, 3)
    """

    def __init__(self, rank: int, reduction: str, data_format: Optional[str] = None,
                 keepdims: bool = False, **kwargs: Any) -> None:
        legacy = _legacy(type(self).__name__, kwargs, {"dim_ordering": "data_format"})
        data_format = _dim_ordering(legacy.get("data_format", data_format))
        super().__init__(**kwargs)
        self.rank = int(rank)
        self._reduction = reduction
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self) -> list:
        return list(conv_utils.spatial_axes(self.data_format, self.rank))

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def call(self, inputs: Any) -> Any:
        fn = K.max if self._reduction == "max" else K.mean
        return fn(inputs, axis=self._axes(), keepdims=self.keepdims)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """Max over the steps axis: ``(batch, steps, features) -> (batch, features)``.

    >>> import numpy as np
    >>> from rkeras.layers import GlobalMaxPooling1D
    >>> GlobalMaxPooling1D()(np.array([[[1.0, 4.0], [3.0, 2.0]]], "float32")).tolist()
    [[3.0, 4.0]]
    """

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(1, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over the steps axis; with a mask (e.g. from ``Masking``), the mean of the unmasked
    steps.

    >>> import numpy as np
    >>> from rkeras.layers import GlobalAveragePooling1D
    >>> x = np.array([[[1.0, 4.0], [3.0, 2.0]]], "float32")
    >>> GlobalAveragePooling1D()(x).tolist()
    [[2.0, 3.0]]
    >>> GlobalAveragePooling1D()(x, mask=np.array([[True, False]])).tolist()
    [[1.0, 4.0]]
    """

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(1, "mean", data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes()[0]
        m = K.expand_dims(K.cast(mask, "float32"), 2 if self.data_format == "channels_last"
                          else 1)
        total = K.sum(inputs * m, axis=steps_axis, keepdims=self.keepdims)
        return total / K.sum(m, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalMaxPooling2D(GlobalPooling):
    """Max over rows and columns: ``(batch, rows, cols, channels) -> (batch, channels)``.

    >>> from rkeras.layers import GlobalMaxPooling2D, Input
    >>> GlobalMaxPooling2D(keepdims=True)(Input(shape=(4, 5, 3))).shape
    (None, 1, 1, 3)
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(2, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over rows and columns.

    >>> import numpy as np
    >>> from rkeras.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D()(np.arange(8, dtype="float32").reshape(1, 2, 2, 2)).tolist()
    [[3.0, 4.0]]
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(2, "mean", data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(GlobalPooling):
    """Max over the three spatial axes.

    >>> from rkeras.layers import GlobalMaxPooling3D, Input
    >>> GlobalMaxPooling3D()(Input(shape=(2, 3, 4, 5))).shape
    (None, 5)
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(3, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(GlobalPooling):
    """Mean over the three spatial axes.

    >>> from rkeras.layers import GlobalAveragePooling3D, Input
    >>> GlobalAveragePooling3D(data_format="channels_first")(Input(shape=(5, 2, 3, 4))).shape
    (None, 5)
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(3, "mean", data_format, keepdims, **kwargs)


# Keras 2 aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D",
]
