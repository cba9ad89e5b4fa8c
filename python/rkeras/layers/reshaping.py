"""Spatial reshaping layers: Cropping1D/2D/3D, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D (Keras 2
keeps them in ``keras.layers.convolutional``; they are importable from
:mod:`rkeras.layers.convolutional` as well).

>>> from rkeras.layers import Input, ZeroPadding2D
>>> ZeroPadding2D(1)(Input(shape=(4, 4, 3))).shape
(None, 6, 6, 3)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import functions as K
from rkeras.backend.indexing import NO_INDEX
from rkeras.backend.tensors import apply
from rkeras.engine.base_layer import Layer, _int_shape
from rkeras.engine.input_spec import InputSpec
from rkeras.layers import conv_utils

_NAMES = ("1st", "2nd", "3rd")
_DIM_WORDS = {2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


def _normalize_pairs(value: Any, rank: int, what: str, layer: str) -> tuple:
    """An int, `rank` ints (symmetric) or `rank` pairs -> `rank` (before, after) pairs."""
    if rank == 1:
        return (conv_utils.normalize_tuple(value, 2, what, allow_zero=True),)
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{what}` cannot be negative. Received: {what}={value}")
        return tuple((value, value) for _ in range(rank))
    if hasattr(value, "__len__"):
        if len(value) != rank:
            raise ValueError(f"`{what}` should have {rank} elements. Received: {value}.")
        return tuple(conv_utils.normalize_tuple(v, 2, f"{_NAMES[i]} entry of {what}",
                                                allow_zero=True)
                     for i, v in enumerate(value))
    words = _DIM_WORDS[rank]
    kind = "crop" if what == "cropping" else "pad"
    sym = ", ".join(f"symmetric_{w}_{kind}" for w in words)
    raise ValueError(f"`{what}` should be either an int, a tuple of {rank} ints ({sym}), or a "
                     f"tuple of {rank} tuples of 2 ints. Received: {value}. (layer {layer})")


def _spatial(input_shape: Sequence, data_format: str, rank: int) -> tuple:
    return tuple(input_shape[a] for a in conv_utils.spatial_axes(data_format, rank))


def _replace_spatial(input_shape: Sequence, data_format: str, rank: int,
                     new: Sequence) -> tuple:
    shape = list(input_shape)
    for a, d in zip(conv_utils.spatial_axes(data_format, rank), new):
        shape[a] = d
    return tuple(shape)


# ----------------------------------------------------------------------------- cropping


class _Cropping(Layer):
    _rank = 0

    def __init__(self, cropping: Any, data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = ("channels_last" if self._rank == 1
                            else conv_utils.normalize_data_format(data_format))
        self.cropping = _normalize_pairs(cropping, self._rank, "cropping", self.name)
        if self._rank == 1:
            self.cropping = self.cropping[0]
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _pairs(self) -> tuple:
        return (self.cropping,) if self._rank == 1 else self.cropping

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        spatial = _spatial(input_shape, self.data_format, self._rank)
        out = []
        for d, (a, b) in zip(spatial, self._pairs()):
            if d is not None and a + b >= d:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): cropping '
                    f"{self.cropping} removes all of an axis of length {d} (input shape "
                    f"{input_shape}); each axis must keep at least one element."
                )
            out.append(None if d is None else d - a - b)
        return _replace_spatial(input_shape, self.data_format, self._rank, out)

    def call(self, inputs: Any) -> Any:
        shape = _int_shape(inputs)
        self.compute_output_shape(shape)
        rank = len(shape)
        start, stop = [NO_INDEX] * rank, [NO_INDEX] * rank
        for axis, (a, b) in zip(conv_utils.spatial_axes(self.data_format, self._rank),
                                self._pairs()):
            start[axis] = a
            stop[axis] = -b if b else NO_INDEX
        return apply("slice", [inputs], start=start, stop=stop, step=[1] * rank)

    def get_config(self) -> dict:
        config = {"cropping": self.cropping}
        if self._rank > 1:
            config["data_format"] = self.data_format
        return {**super().get_config(), **config}


class Cropping1D(_Cropping):
    """Crops a sequence ``(batch, steps, features)`` along the steps axis: `cropping` is an int
    or ``(start_crop, end_crop)``.

    >>> import numpy as np
    >>> from rkeras.layers import Cropping1D
    >>> Cropping1D((1, 2))(np.arange(5, dtype="float32").reshape(1, 5, 1)).ravel().tolist()
    [1.0, 2.0]
    """

    _rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crops images along rows and columns: an int, ``(sym_rows, sym_cols)`` or
    ``((top, bottom), (left, right))``.

    >>> from rkeras.layers import Cropping2D, Input
    >>> Cropping2D(((2, 2), (4, 4)))(Input(shape=(28, 28, 3))).shape
    (None, 24, 20, 3)
    """

    _rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops volumes along their three spatial axes.

    >>> from rkeras.layers import Cropping3D, Input
    >>> Cropping3D(1)(Input(shape=(5, 6, 7, 2))).shape
    (None, 3, 4, 5, 2)
    """

    _rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)),
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


# ----------------------------------------------------------------------------- zero padding


class _ZeroPadding(Layer):
    _rank = 0

    def __init__(self, padding: Any, data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = ("channels_last" if self._rank == 1
                            else conv_utils.normalize_data_format(data_format))
        self.padding = _normalize_pairs(padding, self._rank, "padding", self.name)
        if self._rank == 1:
            self.padding = self.padding[0]
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _pairs(self) -> tuple:
        return (self.padding,) if self._rank == 1 else self.padding

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        spatial = _spatial(input_shape, self.data_format, self._rank)
        out = [None if d is None else d + a + b for d, (a, b) in zip(spatial, self._pairs())]
        return _replace_spatial(tuple(input_shape), self.data_format, self._rank, out)

    def call(self, inputs: Any) -> Any:
        rank = len(_int_shape(inputs))
        pads = [[0, 0] for _ in range(rank)]
        for axis, (a, b) in zip(conv_utils.spatial_axes(self.data_format, self._rank),
                                self._pairs()):
            pads[axis] = [a, b]
        return apply("pad", [inputs], pads=[p for pair in pads for p in pair], value=0.0)

    def get_config(self) -> dict:
        config = {"padding": self.padding}
        if self._rank > 1:
            config["data_format"] = self.data_format
        return {**super().get_config(), **config}


class ZeroPadding1D(_ZeroPadding):
    """Pads a sequence with zeros at its start and end: an int or ``(left, right)``.

    >>> import numpy as np
    >>> from rkeras.layers import ZeroPadding1D
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1), "float32")).ravel().tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """

    _rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads images with rows and columns of zeros: an int, ``(sym_rows, sym_cols)`` or
    ``((top, bottom), (left, right))``.

    >>> from rkeras.layers import Input, ZeroPadding2D
    >>> ZeroPadding2D(((1, 0), (2, 3)))(Input(shape=(4, 4, 3))).shape
    (None, 5, 9, 3)
    """

    _rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads volumes with zeros along their three spatial axes.

    >>> from rkeras.layers import Input, ZeroPadding3D
    >>> ZeroPadding3D(1)(Input(shape=(2, 3, 4, 1))).shape
    (None, 4, 5, 6, 1)
    """

    _rank = 3

    def __init__(self, padding: Any = (1, 1, 1), data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


# ----------------------------------------------------------------------------- upsampling


class _UpSampling(Layer):
    _rank = 0

    def __init__(self, size: Any, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = ("channels_last" if self._rank == 1
                            else conv_utils.normalize_data_format(data_format))
        self.size = conv_utils.normalize_tuple(size, self._rank, "size")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        spatial = _spatial(input_shape, self.data_format, self._rank)
        out = [None if d is None else d * s for d, s in zip(spatial, self.size)]
        return _replace_spatial(tuple(input_shape), self.data_format, self._rank, out)

    def call(self, inputs: Any) -> Any:
        out = inputs
        for axis, s in zip(conv_utils.spatial_axes(self.data_format, self._rank), self.size):
            if s != 1:
                out = K.repeat_elements(out, s, axis)
        return out

    def get_config(self) -> dict:
        config: dict = {"size": self.size}
        if self._rank > 1:
            config["data_format"] = self.data_format
        return {**super().get_config(), **config}


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times: ``(batch, steps, features) -> (batch, steps * size,
    features)``.

    >>> import numpy as np
    >>> from rkeras.layers import UpSampling1D
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]], "float32")).ravel().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    _rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Repeats rows and columns ``size[0]`` and ``size[1]`` times (nearest-neighbour
    upsampling; ``interpolation='bilinear'`` is not implemented yet).

    >>> import numpy as np
    >>> from rkeras.layers import UpSampling2D
    >>> UpSampling2D((2, 1))(np.array([[[[1.0], [2.0]]]], "float32"))[0, :, :, 0].tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """

    _rank = 2

    def __init__(self, size: Any = (2, 2), data_format: Optional[str] = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(size, data_format, **kwargs)
        allowed = ("area", "bicubic", "bilinear", "gaussian", "lanczos3", "lanczos5",
                   "mitchellcubic", "nearest")
        if interpolation not in allowed:
            raise ValueError(f"`interpolation` argument should be one of {allowed}. "
                             f"Received: interpolation={interpolation!r}.")
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not "
                                      "implemented in rkeras yet; use 'nearest'.")
        self.interpolation = interpolation

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats the three spatial axes ``size`` times each (nearest-neighbour).

    >>> from rkeras.layers import Input, UpSampling3D
    >>> UpSampling3D(2)(Input(shape=(2, 3, 4, 1))).shape
    (None, 4, 6, 8, 1)
    """

    _rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(size, data_format, **kwargs)


__all__ = [
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
