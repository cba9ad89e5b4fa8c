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


def _checked_padding(layer: str, padding: Any, rank: int) -> str:
    """`padding` normalized, with the layer's name in the message when it is not allowed."""
    allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    try:
        return conv_utils.normalize_padding(padding, allowed)
    except ValueError as err:
        raise ValueError(f"{layer}: {err}") from None


def _checked_multiplier(layer: str, depth_multiplier: Any) -> int:
    if isinstance(depth_multiplier, float) and depth_multiplier == int(depth_multiplier):
        depth_multiplier = int(depth_multiplier)
    if (not isinstance(depth_multiplier, int) or isinstance(depth_multiplier, bool)
            or depth_multiplier <= 0):
        raise ValueError(f"{layer}: Invalid value for argument `depth_multiplier`. Expected a "
                         f"strictly positive value. Received depth_multiplier="
                         f"{depth_multiplier}.")
    return depth_multiplier


def _depthwise_conv(x: Any, kernel_var: Any, strides: Sequence, dilation_rate: Sequence,
                    padding: str) -> Any:
    """Depthwise convolution of channels-last `x` with a ``(*k, in, multiplier)`` kernel:
    output channel ``c * multiplier + m`` is input channel ``c`` convolved with
    ``kernel[..., c, m]`` (TensorFlow's order), one native ``depthwise_conv`` op."""
    kernel = conv_utils.read_in_graph(kernel_var, x)
    return apply("depthwise_conv", [x, kernel], strides=list(strides),
                 dilation_rate=list(dilation_rate), padding=padding)


class DepthwiseConv(Conv):
    """The depthwise convolution behind DepthwiseConv1D/2D: each input channel is convolved
    with its own ``depth_multiplier`` filters (kernel ``(*kernel_size, in_channels,
    depth_multiplier)``, weight ``depthwise_kernel``), giving ``in_channels *
    depth_multiplier`` output channels.

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.convolutional import DepthwiseConv
    >>> DepthwiseConv(2, 3, depth_multiplier=2)(Input(shape=(8, 8, 3))).shape
    (None, 6, 6, 6)
    """

    def __init__(self, rank: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: Optional[str] = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        layer = type(self).__name__
        padding = _checked_padding(layer, padding, int(rank))
        self.depth_multiplier = _checked_multiplier(layer, depth_multiplier)
        if kwargs.get("groups", 1) not in (1, None):
            raise ValueError(f"{layer}: `groups` is not supported (received "
                             f"groups={kwargs['groups']}).")
        kwargs.pop("groups", None)
        super().__init__(rank, 1, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.filters = None
        self.depthwise_initializer = get_initializer(depthwise_initializer)
        self.depthwise_regularizer = get_regularizer(depthwise_regularizer)
        self.depthwise_constraint = get_constraint(depthwise_constraint)

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{type(self).__name__}: the inputs to `DepthwiseConv` should "
                             f"have rank {self.rank + 2} and a defined channel dimension. "
                             f"Received input shape: {input_shape}")
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(channels * self.depth_multiplier,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(_int_shape(inputs))
        x = inputs
        if self.data_format == "channels_first":
            x = conv_utils.to_channels_last(x, self.rank)
        out = _depthwise_conv(x, self.depthwise_kernel, self.strides, self.dilation_rate,
                              self.padding)
        if self.use_bias:
            out = out + self.bias
        if self.data_format == "channels_first":
            out = conv_utils.to_channels_first(out, self.rank)
        if self.activation is not None:
            out = self.activation(out)
        return out

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        channels = input_shape[self._channel_axis] if len(input_shape) == self.rank + 2 else None
        self.filters = None if channels is None else channels * self.depth_multiplier
        try:
            return super().compute_output_shape(input_shape)
        finally:
            self.filters = None

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        config["depthwise_initializer"] = serialize_object("initializers",
                                                           self.depthwise_initializer)
        config["depthwise_regularizer"] = serialize_object("regularizers",
                                                           self.depthwise_regularizer)
        config["depthwise_constraint"] = serialize_object("constraints",
                                                          self.depthwise_constraint)
        return config


class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1-D convolution over ``(batch, steps, channels)``: kernel ``(k, in_channels,
    depth_multiplier)``; ``padding='causal'`` is accepted as in Conv1D.

    >>> import numpy as np
    >>> from rkeras.layers import DepthwiseConv1D, Input
    >>> DepthwiseConv1D(3, depth_multiplier=2)(Input(shape=(10, 4))).shape
    (None, 8, 8)
    >>> x = np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]], "float32")
    >>> DepthwiseConv1D(2, depthwise_initializer="ones")(x).tolist()
    [[[3.0, 30.0], [5.0, 50.0]]]
    """

    def __init__(self, kernel_size: Any = None, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: Optional[str] = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2-D convolution: every input channel gets its own ``depth_multiplier``
    filters; kernel ``(kh, kw, in_channels, depth_multiplier)``, output channel
    ``c * depth_multiplier + m`` (TensorFlow's order).

    >>> import numpy as np
    >>> from rkeras.layers import DepthwiseConv2D, Input
    >>> layer = DepthwiseConv2D(3, padding="same", depth_multiplier=2)
    >>> layer(Input(shape=(8, 8, 3))).shape
    (None, 8, 8, 6)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (6,)]
    >>> x = np.ones((1, 2, 2, 2), "float32") * np.array([1.0, 2.0], "float32")
    >>> DepthwiseConv2D(2, depthwise_initializer="ones")(x).tolist()
    [[[[4.0, 8.0]]]]
    """

    def __init__(self, kernel_size: Any = None, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, data_format: Optional[str] = None,
                 dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(2, kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class SeparableConv(Conv):
    """The depthwise-separable convolution behind SeparableConv1D/2D: a depthwise convolution
    (``depthwise_kernel`` ``(*kernel_size, in, depth_multiplier)``, carrying the strides,
    padding and dilation) followed by a pointwise one (``pointwise_kernel`` ``(*(1,) * rank,
    in * depth_multiplier, filters)``), then the bias and the activation.

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.convolutional import SeparableConv
    >>> SeparableConv(2, 5, 3)(Input(shape=(8, 8, 3))).shape
    (None, 6, 6, 5)
    """

    def __init__(self, rank: int, filters: Any, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        layer = type(self).__name__
        padding = _checked_padding(layer, padding, int(rank))
        self.depth_multiplier = _checked_multiplier(layer, depth_multiplier)
        kwargs.pop("groups", None)
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depthwise_initializer = get_initializer(depthwise_initializer)
        self.pointwise_initializer = get_initializer(pointwise_initializer)
        self.depthwise_regularizer = get_regularizer(depthwise_regularizer)
        self.pointwise_regularizer = get_regularizer(pointwise_regularizer)
        self.depthwise_constraint = get_constraint(depthwise_constraint)
        self.pointwise_constraint = get_constraint(pointwise_constraint)

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             f"`None`. Full input shape received: {input_shape}")
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(_int_shape(inputs))
        x = inputs
        if self.data_format == "channels_first":
            x = conv_utils.to_channels_last(x, self.rank)
        out = _depthwise_conv(x, self.depthwise_kernel, self.strides, self.dilation_rate,
                              self.padding)
        out = apply("conv", [out, self.pointwise_kernel], strides=[1] * self.rank,
                    dilation_rate=[1] * self.rank, padding="valid")
        if self.use_bias:
            out = out + self.bias
        if self.data_format == "channels_first":
            out = conv_utils.to_channels_first(out, self.rank)
        if self.activation is not None:
            out = self.activation(out)
        return out

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        for kind, module in (("initializer", "initializers"), ("regularizer", "regularizers"),
                             ("constraint", "constraints")):
            for part in ("depthwise", "pointwise"):
                config[f"{part}_{kind}"] = serialize_object(module,
                                                            getattr(self, f"{part}_{kind}"))
        return config


class SeparableConv1D(SeparableConv):
    """Depthwise-separable 1-D convolution: ``depthwise_kernel`` ``(k, in, depth_multiplier)``
    then ``pointwise_kernel`` ``(1, in * depth_multiplier, filters)``.

    >>> from rkeras.layers import Input, SeparableConv1D
    >>> layer = SeparableConv1D(4, 3, depth_multiplier=2)
    >>> layer(Input(shape=(10, 3))).shape
    (None, 8, 4)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 2), (1, 6, 4), (4,)]
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = 1, padding: str = "valid", data_format: Optional[str] = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class SeparableConv2D(SeparableConv):
    """Depthwise-separable 2-D convolution: ``depthwise_kernel`` ``(kh, kw, in,
    depth_multiplier)`` then ``pointwise_kernel`` ``(1, 1, in * depth_multiplier, filters)``.

    >>> import numpy as np
    >>> from rkeras.layers import Input, SeparableConv2D
    >>> layer = SeparableConv2D(8, 3, strides=2, padding="same")
    >>> layer(Input(shape=(16, 16, 3))).shape
    (None, 8, 8, 8)
    >>> [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    ['depthwise_kernel', 'pointwise_kernel', 'bias']
    >>> x = np.ones((1, 2, 2, 2), "float32")
    >>> SeparableConv2D(1, 2, depthwise_initializer="ones",
    ...                 pointwise_initializer="ones")(x).tolist()
    [[[[8.0]]]]
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = (1, 1), padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = (1, 1),
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


def deconv_output_length(input_length: Optional[int], filter_size: int, padding: str,
                         stride: int = 1, output_padding: Optional[int] = None,
                         dilation: int = 1) -> Optional[int]:
    """The length of a transposed convolution's output along one axis (Keras's
    ``deconv_output_length``).

    >>> deconv_output_length(3, 2, "valid", 2), deconv_output_length(3, 3, "same", 2)
    (6, 6)
    >>> deconv_output_length(3, 3, "same", 2, output_padding=0)
    5
    """
    if input_length is None:
        return None
    filter_size = (filter_size - 1) * dilation + 1
    if output_padding is not None:
        pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
        return (input_length - 1) * stride + filter_size - 2 * pad + output_padding
    if padding == "valid":
        return input_length * stride + max(filter_size - stride, 0)
    if padding == "full":
        return input_length * stride - (stride + filter_size - 2)
    return input_length * stride


class ConvTranspose(Conv):
    """The transposed ("deconvolution") layer behind Conv1D/2D/3DTranspose: the gradient of a
    convolution with respect to its input. Kernel ``(*kernel_size, filters, in_channels)``
    (Keras's layout: output channels before input channels).

    >>> from rkeras.layers import Input
    >>> from rkeras.layers.convolutional import ConvTranspose
    >>> ConvTranspose(2, 4, 3, strides=2)(Input(shape=(5, 5, 1))).shape
    (None, 11, 11, 4)
    """

    def __init__(self, rank: int, filters: Any, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        layer = type(self).__name__
        padding = _checked_padding(layer, padding, 0)
        if kwargs.get("groups", 1) not in (1, None):
            raise ValueError(f"{layer}: `groups` is not supported (received "
                             f"groups={kwargs['groups']}).")
        kwargs.pop("groups", None)
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = conv_utils.normalize_tuple(output_padding, rank,
                                                             "output_padding", allow_zero=True)
            if any(p >= s for s, p in zip(self.strides, self.output_padding)):
                raise ValueError(f"{layer}: strides {self.strides} must be greater than "
                                 f"output padding {self.output_padding}")

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects inputs of '
                             f"rank {self.rank + 2}, got shape {input_shape}")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             f"`None`. Full input shape received: {input_shape}")
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (self.filters, channels),
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
        extra = {} if self.output_padding is None else {
            "output_padding": list(self.output_padding)}
        return apply("conv_transpose", [x, kernel], strides=list(self.strides),
                     dilation_rate=list(self.dilation_rate), padding=self.padding, **extra)

    def _spatial_output_shape(self, spatial: Sequence) -> list:
        padding = self.output_padding or (None,) * len(spatial)
        return [deconv_output_length(length, self.kernel_size[i], self.padding,
                                     self.strides[i], padding[i], self.dilation_rate[i])
                for i, length in enumerate(spatial)]

    def get_config(self) -> dict:
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(ConvTranspose):
    """Transposed 1-D convolution over ``(batch, steps, channels)``: kernel ``(k, filters,
    in_channels)``; output length ``steps * strides`` ('same') or ``steps * strides +
    max(k - strides, 0)`` ('valid').

    >>> from rkeras.layers import Conv1DTranspose, Input
    >>> Conv1DTranspose(4, 3, strides=2, padding="same")(Input(shape=(10, 2))).shape
    (None, 20, 4)
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = 1, padding: str = "valid", output_padding: Any = None,
                 data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2DTranspose(ConvTranspose):
    """Transposed 2-D convolution (TensorFlow's ``conv2d_transpose``): kernel ``(kh, kw,
    filters, in_channels)``.

    >>> import numpy as np
    >>> from rkeras.layers import Conv2DTranspose, Input
    >>> layer = Conv2DTranspose(16, 3, strides=2, padding="same")
    >>> layer(Input(shape=(7, 7, 8))).shape
    (None, 14, 14, 16)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 16, 8), (16,)]
    >>> Conv2DTranspose(1, 2, strides=2, kernel_initializer="ones")(
    ...     np.ones((1, 1, 1, 1), "float32")).tolist()
    [[[[1.0], [1.0]], [[1.0], [1.0]]]]
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = (1, 1), padding: str = "valid", output_padding: Any = None,
                 data_format: Optional[str] = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv3DTranspose(ConvTranspose):
    """Transposed 3-D convolution: kernel ``(k1, k2, k3, filters, in_channels)``.

    >>> from rkeras.layers import Conv3DTranspose, Input
    >>> Conv3DTranspose(2, 2, strides=2)(Input(shape=(3, 4, 5, 1))).shape
    (None, 6, 8, 10, 2)
    """

    def __init__(self, filters: Optional[int] = None, kernel_size: Any = None,
                 strides: Any = (1, 1, 1), padding: str = "valid", output_padding: Any = None,
                 data_format: Optional[str] = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
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
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D",
    "Deconvolution3D", "Deconv2D", "Deconv3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
