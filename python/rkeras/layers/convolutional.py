"""Convolution layers (``keras.layers.convolutional``): Conv1D, Conv2D, Conv3D.

Kernels have Keras's layout ``(*kernel_size, input_channels // groups, filters)``, so weights
move between rkeras and Keras unchanged. The reshaping layers Keras 2 keeps in this module
(Cropping, UpSampling, ZeroPadding) live in :mod:`rkeras.layers.reshaping` and are importable
from here too.

>>> from rkeras.layers import Conv2D, Input
>>> Conv2D(8, 3, padding="same", strides=2)(Input(shape=(28, 28, 1))).shape
(None, 14, 14, 8)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import functions as K
from rkeras.backend.tensors import apply
from rkeras.engine.base_layer import (
    Layer,
    _int_shape,
    get_activation,
    get_constraint,
    get_initializer,
    get_regularizer,
    serialize_object,
)
from rkeras.engine.input_spec import InputSpec
from rkeras.layers import conv_utils
from rkeras.layers.core import _legacy
from rkeras.layers.reshaping import (  # noqa: F401 - Keras 2 exposes them here as well
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

_KERAS1_CONV = {
    "nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
    "subsample_length": "strides", "filter_length": "kernel_size", "atrous_rate":
    "dilation_rate", "init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint", "bias": "use_bias", "dim_ordering": "data_format",
}
_KERNEL_DIMS = {2: ("nb_row", "nb_col"), 3: ("kernel_dim1", "kernel_dim2", "kernel_dim3")}


def _keras1_conv_args(layer: str, rank: int, kwargs: dict) -> dict:
    """Keras-1 keyword arguments of a convolution (``nb_filter``, ``nb_row``/``nb_col``,
    ``border_mode``, ``subsample``, ``dim_ordering``, ...) as Keras 2 ones, with Keras 2's
    warning; positional Keras-1 calls such as ``Conv2D(32, 3, 3)`` are not converted (the
    third positional argument is `strides`, as in tf.keras)."""
    dims = _KERNEL_DIMS.get(rank, ())
    if any(d in kwargs for d in dims):
        if not all(d in kwargs for d in dims):
            raise TypeError(f"{layer}: give all of {', '.join(dims)} (Keras 1) or "
                            "`kernel_size`")
        kwargs["filter_length"] = tuple(int(kwargs.pop(d)) for d in dims)
    if "dim_ordering" in kwargs:
        kwargs["dim_ordering"] = _dim_ordering(kwargs["dim_ordering"])
    return _legacy(layer, kwargs, _KERAS1_CONV)


def _dim_ordering(value: Any) -> Any:
    return {"tf": "channels_last", "th": "channels_first"}.get(value, value)


class Conv(Layer):
    """The N-D convolution layer behind Conv1D/2D/3D: ``activation(conv(inputs, kernel) +
    bias)``.

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.convolutional import Conv
    >>> Conv(2, 4, 3)(Input(shape=(10, 10, 1))).shape
    (None, 8, 8, 4)
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = None,
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        legacy = _keras1_conv_args(type(self).__name__, int(rank), kwargs)
        if legacy:
            filters = legacy.get("filters", filters)
            kernel_size = legacy.get("kernel_size", kernel_size)
            strides = legacy.get("strides", strides)
            padding = legacy.get("padding", padding)
            data_format = legacy.get("data_format", data_format)
            dilation_rate = legacy.get("dilation_rate", dilation_rate)
            use_bias = legacy.get("use_bias", use_bias)
            kernel_initializer = legacy.get("kernel_initializer", kernel_initializer)
            kernel_regularizer = legacy.get("kernel_regularizer", kernel_regularizer)
            bias_regularizer = legacy.get("bias_regularizer", bias_regularizer)
            kernel_constraint = legacy.get("kernel_constraint", kernel_constraint)
            bias_constraint = legacy.get("bias_constraint", bias_constraint)
        for arg, value in (("filters", filters), ("kernel_size", kernel_size)):
            if value is None:
                raise TypeError(f"__init__() missing 1 required positional argument: '{arg}'")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = int(rank)
        if isinstance(filters, float) and filters == int(filters):
            filters = int(filters)
        if filters is not None and (not isinstance(filters, int) or isinstance(filters, bool)
                                    or filters <= 0):
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = filters
        self.groups = int(groups or 1)
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, self.rank, "strides")
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        if self.rank != 1 and str(padding).lower() == "causal":
            raise ValueError("Causal padding is only supported for `Conv1D` and "
                             "`SeparableConv1D`.")
        self.padding = conv_utils.normalize_padding(padding, allowed)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, self.rank,
                                                        "dilation_rate")
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.bias_constraint = get_constraint(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        if self.filters is not None and self.filters % self.groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={self.filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    @property
    def _channel_axis(self) -> int:
        return -1 - self.rank if self.data_format == "channels_first" else -1

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. The "
                             f"input_shape received is {input_shape}, where axis "
                             f"{self._channel_axis} (0-based) is the channel dimension, which "
                             "found to be `None`.")
        if channels % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {channels} channels (full input shape is {input_shape}).")
        kernel_shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def _conv(self, x: Any, kernel: Any) -> Any:
        return apply("conv", [x, kernel], strides=list(self.strides),
                     dilation_rate=list(self.dilation_rate), padding=self.padding)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(_int_shape(inputs))
        x = inputs
        if self.data_format == "channels_first":
            x = conv_utils.to_channels_last(x, self.rank)
        if self.groups == 1:
            out = self._conv(x, self.kernel)
        else:
            kernel = conv_utils.read_in_graph(self.kernel, x)
            cin = _int_shape(self.kernel)[-2]
            cout = self.filters // self.groups
            parts = []
            for g in range(self.groups):
                xg = x[..., g * cin:(g + 1) * cin]
                kg = kernel[..., g * cout:(g + 1) * cout]
                parts.append(self._conv(xg, kg))
            out = K.concatenate(parts, axis=-1)
        if self.use_bias:
            out = out + self.bias
        if self.data_format == "channels_first":
            out = conv_utils.to_channels_first(out, self.rank)
        if self.activation is not None:
            out = self.activation(out)
        return out

    def _spatial_output_shape(self, spatial: Sequence) -> list:
        return [conv_utils.conv_output_length(length, self.kernel_size[i], self.padding,
                                              self.strides[i], self.dilation_rate[i])
                for i, length in enumerate(spatial)]

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        if self.data_format == "channels_first":
            spatial = input_shape[2:]
        else:
            spatial = input_shape[1:-1]
        out = self._spatial_output_shape(spatial)
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                "One of the dimensions in the output is <= 0 due to downsampling in "
                f"{self.name}. Consider increasing the input size. Received input shape "
                f"{input_shape} which would produce output shape with a zero or negative value "
                f"in a dimension (kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}, padding={self.padding!r})."
            )
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + tuple(out)
        return (input_shape[0],) + tuple(out) + (self.filters,)

    def get_config(self) -> dict:
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": serialize_object("activations", self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_object("initializers", self.kernel_initializer),
            "bias_initializer": serialize_object("initializers", self.bias_initializer),
            "kernel_regularizer": serialize_object("regularizers", self.kernel_regularizer),
            "bias_regularizer": serialize_object("regularizers", self.bias_regularizer),
            "activity_regularizer": serialize_object("regularizers", self.activity_regularizer),
            "kernel_constraint": serialize_object("constraints", self.kernel_constraint),
            "bias_constraint": serialize_object("constraints", self.bias_constraint),
        }
        return {**super().get_config(), **config}


class Conv1D(Conv):
    """1-D convolution over ``(batch, steps, channels)`` (``data_format='channels_last'``, the
    default here as in Keras) or ``(batch, channels, steps)``. ``padding='causal'`` pads only
    on the left, so output ``t`` sees inputs ``<= t``.

    >>> import numpy as np
    >>> from rkeras.layers import Conv1D, Input
    >>> Conv1D(4, 3)(Input(shape=(10, 2))).shape
    (None, 8, 4)
    >>> Conv1D(4, 3, padding="causal", dilation_rate=2)(Input(shape=(10, 2))).shape
    (None, 10, 4)
    >>> Conv1D(1, 2, kernel_initializer="ones")(np.ones((1, 3, 1), "float32")).tolist()
    [[[2.0], [2.0]]]
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = 1, padding: str = "valid", data_format: str = "channels_last",
                 dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2D(Conv):
    """2-D convolution over images ``(batch, rows, cols, channels)`` (or channels first when
    ``data_format='channels_first'``, default ``K.image_data_format()``); kernel
    ``(kh, kw, in_channels, filters)``.

    >>> import numpy as np
    >>> from rkeras.layers import Conv2D, Input
    >>> Conv2D(32, (3, 3), activation="relu")(Input(shape=(28, 28, 1))).shape
    (None, 26, 26, 32)
    >>> Conv2D(4, 3, data_format="channels_first")(Input(shape=(3, 8, 8))).shape
    (None, 4, 6, 6)
    >>> x = np.ones((1, 3, 3, 1), "float32")
    >>> Conv2D(1, 2, kernel_initializer="ones", bias_initializer="ones")(x).tolist()
    [[[[5.0], [5.0]], [[5.0], [5.0]]]]
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = (1, 1), padding: str = "valid", data_format: Optional[str] = None,
                 dilation_rate: Any = (1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv3D(Conv):
    """3-D convolution over volumes ``(batch, d1, d2, d3, channels)`` (or channels first);
    kernel ``(k1, k2, k3, in_channels, filters)``.

    >>> from rkeras.layers import Conv3D, Input
    >>> Conv3D(2, 3)(Input(shape=(6, 6, 6, 1))).shape
    (None, 4, 4, 4, 2)
    >>> Conv3D(2, 3, padding="same", strides=2)(Input(shape=(6, 5, 4, 1))).shape
    (None, 3, 3, 2, 2)
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = (1, 1, 1), padding: str = "valid",
                 data_format: Optional[str] = None,
                 dilation_rate: Any = (1, 1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


# Keras 2 aliases
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
