"""Keras layers (``keras.layers``): the base ``Layer``, ``Input``/``InputLayer``, the core
layers and the merge layers, plus ``serialize``/``deserialize``/``get``.

>>> from rkeras import layers
>>> layers.Dense(3).get_config()["units"]
3
"""

from __future__ import annotations

from typing import Any, Optional

from rkeras.engine.base_layer import Layer
from rkeras.engine.input_layer import Input, InputLayer
from rkeras.engine.input_spec import InputSpec
from rkeras.layers.advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from rkeras.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Deconv2D,
    Deconv3D,
    Deconvolution2D,
    Deconvolution3D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from rkeras.layers.core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from rkeras.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from rkeras.layers.noise import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from rkeras.layers.normalization import BatchNormalization, LayerNormalization
from rkeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from rkeras.layers.reshaping import (
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

__all__ = [
    "Layer", "Input", "InputLayer", "InputSpec",
    "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
    "ActivityRegularization", "Masking",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D",
    "Deconvolution3D", "Deconv2D", "Deconv3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D",
    "BatchNormalization", "LayerNormalization",
    "GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D",
    "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "ReLU", "Softmax",
    "serialize", "deserialize", "get",
]


def _registry() -> dict:
    from rkeras.engine.functional import Model
    from rkeras.engine.sequential import Sequential

    classes = {name: obj for name, obj in globals().items()
               if isinstance(obj, type) and issubclass(obj, Layer)}
    classes.update(Model=Model, Sequential=Sequential, Functional=Model)
    return classes


def serialize(layer: Layer) -> dict:
    """``{"class_name": ..., "config": ...}`` of a layer.

    >>> from rkeras.layers import Dropout, serialize
    >>> serialize(Dropout(0.2, name="drop"))["config"]["rate"]
    0.2
    """
    from rkeras.utils.generic_utils import get_registered_name

    return {"class_name": get_registered_name(type(layer)), "config": layer.get_config()}


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> Layer:
    """The layer described by :func:`serialize`'s output (`custom_objects` maps names of
    user classes and functions). Keras 3's format (``module``, ``registered_name``,
    ``DTypePolicy`` dtypes, ...) is accepted too; user classes are also found in
    ``custom_object_scope`` and ``register_keras_serializable``'s registry.

    >>> from rkeras.layers import Dense, deserialize, serialize
    >>> deserialize(serialize(Dense(4, name="d"))).units
    4
    >>> deserialize({"module": "keras.layers", "class_name": "Dropout",
    ...              "config": {"rate": 0.5, "name": "drop", "dtype": "float32"},
    ...              "registered_name": None}).rate
    0.5
    """
    from rkeras.engine.base_layer import has_arg
    from rkeras.saving.compat import normalize_layer_config, split_serialized
    from rkeras.saving.safe_mode import in_safe_mode
    from rkeras.utils.generic_utils import CustomObjectScope, get_registered_object

    custom_objects = custom_objects or {}
    class_name, inner, registered = split_serialized(config)
    registry = _registry()
    cls = None
    for name in (registered, class_name):
        if isinstance(name, str) and cls is None:
            cls = get_registered_object(name, custom_objects, registry)
            if cls is None and ">" in name:
                cls = get_registered_object(name.split(">")[-1], custom_objects, registry)
    if cls is None:
        raise ValueError(f"Unknown layer: '{class_name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included "
                         "in the scope (or is passed in `custom_objects`).")
    inner = normalize_layer_config(inner)
    kwargs: dict = {}
    if has_arg(cls.from_config, "custom_objects"):
        kwargs["custom_objects"] = custom_objects
    if has_arg(cls.from_config, "safe_mode"):
        kwargs["safe_mode"] = in_safe_mode()
    with CustomObjectScope(custom_objects):
        return cls.from_config(inner, **kwargs)


def get(identifier: Any) -> Layer:
    """A layer from a layer instance or a serialized config."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier!r}")
