"""Normalization layers (``keras.layers.normalization``): BatchNormalization and
LayerNormalization.

>>> import numpy as np
>>> from rkeras.layers import LayerNormalization
>>> LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]], "float32")).tolist()
[[-1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any, Sequence

from rkeras.backend import functions as K
from rkeras.backend.tensors import SymbolicTensor
from rkeras.engine import trace
from rkeras.engine.base_layer import (
    Layer,
    _int_shape,
    get_constraint,
    get_initializer,
    get_regularizer,
    serialize_object,
)
from rkeras.engine.input_spec import InputSpec
from rkeras.layers.conv_utils import read_in_graph


def _axis_list(axis: Any, what: str) -> list:
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if isinstance(axis, int) and not isinstance(axis, bool):
        return [axis]
    raise TypeError(f"Expected an int or a list/tuple of ints for the argument '{what}', but "
                    f"received: {axis}")


def _normalize_axes(axes: list, ndim: int, layer: str) -> list:
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Invalid axis: {a} (layer {layer}); the input has rank {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Duplicate axis: {axes} (layer {layer})")
    return sorted(out)


class BatchNormalization(Layer):
    """Normalizes each feature (the `axis`, default the last) to zero mean and unit variance,
    then scales by ``gamma`` and shifts by ``beta``.

    In training (``training=True``, as ``fit`` and ``train_on_batch`` call it) it uses the
    statistics of the batch and updates ``moving_mean`` and ``moving_variance``
    (``moving = moving * momentum + batch * (1 - momentum)``) after each step; otherwise it uses
    those moving statistics. The weights are, in Keras's order, ``gamma``, ``beta`` (trainable,
    present when `scale` / `center`), ``moving_mean`` and ``moving_variance``. A frozen layer
    (``trainable = False``) always runs in inference mode, as in Keras 2.

    As in Keras 2 with TensorFlow, the variance folded into ``moving_variance`` is the unbiased
    (Bessel-corrected) batch variance for 4-D and 5-D inputs normalized over their channel axis
    (TensorFlow's fused kernel) and the biased one otherwise; the batch is always normalized
    with the biased variance.

    >>> import numpy as np
    >>> from rkeras.layers import BatchNormalization
    >>> layer = BatchNormalization(epsilon=0.0)
    >>> x = np.array([[1.0], [3.0]], "float32")
    >>> layer(x).tolist()                     # inference: moving mean 0, variance 1
    [[1.0], [3.0]]
    >>> layer(x, training=True).tolist()      # training: batch statistics
    [[-1.0], [1.0]]
    >>> [w.name.split("/")[1] for w in layer.weights]
    ['gamma:0', 'beta:0', 'moving_mean:0', 'moving_variance:0']
    """

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        for ignored in ("renorm", "renorm_clipping", "renorm_momentum", "fused",
                        "virtual_batch_size", "adjustment", "synchronized"):
            value = kwargs.pop(ignored, None)
            if ignored in ("renorm", "virtual_batch_size", "adjustment", "synchronized", ) \
                    and value:
                raise NotImplementedError(f"BatchNormalization: `{ignored}` is not supported "
                                          "by rkeras")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = axis if isinstance(axis, (list, tuple)) else int(axis)
        self._axes = _axis_list(axis, "axis")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = get_initializer(beta_initializer)
        self.gamma_initializer = get_initializer(gamma_initializer)
        self.moving_mean_initializer = get_initializer(moving_mean_initializer)
        self.moving_variance_initializer = get_initializer(moving_variance_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer)
        self.gamma_regularizer = get_regularizer(gamma_regularizer)
        self.beta_constraint = get_constraint(beta_constraint)
        self.gamma_constraint = get_constraint(gamma_constraint)

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if ndim == 0:
            raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}.")
        axes = _normalize_axes(self._axes, ndim, self.name)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Axis {a} of input tensor should have a defined dimension but "
                                 "the layer received an input with shape "
                                 f"{input_shape}.")
        self._norm_axes = axes
        axis_to_dim = {a: input_shape[a] for a in axes}
        if len(axes) == 1:
            param_shape: tuple = (input_shape[axes[0]],)
        else:
            param_shape = tuple(axis_to_dim.get(i, 1) for i in range(ndim))
        self._broadcast_shape = tuple(axis_to_dim.get(i, 1) for i in range(ndim))
        self._fused = ndim in (4, 5) and len(axes) == 1 and axes[0] in (1, ndim - 1)
        self.input_spec = InputSpec(ndim=ndim, axes=axis_to_dim)
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=param_shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center:
            self.beta = self.add_weight(name="beta", shape=param_shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        else:
            self.beta = None
        self.moving_mean = self.add_weight(name="moving_mean", shape=param_shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=param_shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def _param(self, var: Any, like: Any) -> Any:
        """A weight, read in `like`'s graph, reshaped to broadcast against the input."""
        if var is None:
            return None
        v = read_in_graph(var, like)
        if len(self._norm_axes) == 1 and self._norm_axes[0] == len(self._broadcast_shape) - 1:
            return v
        return K.reshape(v, self._broadcast_shape)

    def call(self, inputs: Any, training: Any = None) -> Any:
        if isinstance(training, SymbolicTensor):
            raise TypeError(f'Layer "{self.name}": `training` must be a Python bool here')
        if training is None:
            training = bool(trace.learning_phase())
        if not self.trainable:
            training = False
        gamma = self._param(self.gamma, inputs)
        beta = self._param(self.beta, inputs)
        if not training:
            mean = self._param(self.moving_mean, inputs)
            variance = self._param(self.moving_variance, inputs)
            return self._normalize(inputs, mean, variance, gamma, beta)

        ndim = len(_int_shape(inputs))
        reduction = [i for i in range(ndim) if i not in self._norm_axes]
        mean = K.mean(inputs, axis=reduction, keepdims=True)
        variance = K.var(inputs, axis=reduction, keepdims=True)
        out = self._normalize(inputs, mean, variance, gamma, beta)
        self._update_moving(inputs, mean, variance, reduction)
        return out

    def _normalize(self, x: Any, mean: Any, variance: Any, gamma: Any, beta: Any) -> Any:
        out = (x - mean) / K.sqrt(variance + self.epsilon)
        if gamma is not None:
            out = out * gamma
        if beta is not None:
            out = out + beta
        return out

    def _update_moving(self, inputs: Any, mean: Any, variance: Any, reduction: list) -> None:
        param_shape = tuple(self.moving_mean.shape)
        mean = K.reshape(mean, param_shape)
        variance = K.reshape(variance, param_shape)
        if self._fused:
            shape = _int_shape(inputs)
            known = [shape[i] for i in reduction]
            if all(d is not None for d in known):
                n = float(1)
                for d in known:
                    n *= d
                variance = variance * (n / max(n - 1.0, 1.0))
            else:
                ones = K.ones_like(inputs)
                n = K.reshape(K.sum(ones, axis=reduction, keepdims=True), param_shape)
                variance = variance * n / K.maximum(n - 1.0, 1.0)
        rate = 1.0 - self.momentum
        moving_mean = read_in_graph(self.moving_mean, inputs)
        moving_variance = read_in_graph(self.moving_variance, inputs)
        new_mean = moving_mean - (moving_mean - mean) * rate
        new_variance = moving_variance - (moving_variance - variance) * rate
        if isinstance(inputs, SymbolicTensor):
            trace.add_update(self.moving_mean, new_mean)
            trace.add_update(self.moving_variance, new_variance)
        else:  # eager call with training=True: update at once, as Keras does eagerly
            self.moving_mean.assign(new_mean)
            self.moving_variance.assign(new_variance)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_object("initializers", self.beta_initializer),
            "gamma_initializer": serialize_object("initializers", self.gamma_initializer),
            "moving_mean_initializer": serialize_object("initializers",
                                                        self.moving_mean_initializer),
            "moving_variance_initializer": serialize_object("initializers",
                                                            self.moving_variance_initializer),
            "beta_regularizer": serialize_object("regularizers", self.beta_regularizer),
            "gamma_regularizer": serialize_object("regularizers", self.gamma_regularizer),
            "beta_constraint": serialize_object("constraints", self.beta_constraint),
            "gamma_constraint": serialize_object("constraints", self.gamma_constraint),
        }
        return {**super().get_config(), **config}


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` (default the last) to zero mean and unit variance,
    then applies ``gamma`` and ``beta`` (shaped like the normalized axes). The same in training
    and inference.

    >>> from rkeras.layers import Input, LayerNormalization
    >>> layer = LayerNormalization(axis=[1, 2])
    >>> layer(Input(shape=(4, 3))).shape, [w.shape for w in layer.weights]
    ((None, 4, 3), [(4, 3), (4, 3)])
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self._axes = _axis_list(axis, "axis")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = get_initializer(beta_initializer)
        self.gamma_initializer = get_initializer(gamma_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer)
        self.gamma_regularizer = get_regularizer(gamma_regularizer)
        self.beta_constraint = get_constraint(beta_constraint)
        self.gamma_constraint = get_constraint(gamma_constraint)

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        axes = _normalize_axes(self._axes, ndim, self.name)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Axis {a} of input tensor should have a defined dimension but "
                                 f"the layer received an input with shape {input_shape}.")
        self._norm_axes = axes
        param_shape = tuple(input_shape[a] for a in axes)
        self._broadcast_shape = tuple(input_shape[i] if i in axes else 1 for i in range(ndim))
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})
        self.gamma = self.add_weight(name="gamma", shape=param_shape,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(name="beta", shape=param_shape,
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def _param(self, var: Any, like: Any) -> Any:
        if var is None:
            return None
        v = read_in_graph(var, like)
        ndim = len(self._broadcast_shape)
        if self._norm_axes == list(range(ndim - len(self._norm_axes), ndim)):
            return v  # trailing axes: broadcasts as it is
        return K.reshape(v, self._broadcast_shape)

    def call(self, inputs: Any) -> Any:
        mean = K.mean(inputs, axis=self._norm_axes, keepdims=True)
        variance = K.var(inputs, axis=self._norm_axes, keepdims=True)
        out = (inputs - mean) / K.sqrt(variance + self.epsilon)
        gamma = self._param(self.gamma, inputs)
        beta = self._param(self.beta, inputs)
        if gamma is not None:
            out = out * gamma
        if beta is not None:
            out = out + beta
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_object("initializers", self.beta_initializer),
            "gamma_initializer": serialize_object("initializers", self.gamma_initializer),
            "beta_regularizer": serialize_object("regularizers", self.beta_regularizer),
            "gamma_regularizer": serialize_object("regularizers", self.gamma_regularizer),
            "beta_constraint": serialize_object("constraints", self.beta_constraint),
            "gamma_constraint": serialize_object("constraints", self.gamma_constraint),
        }
        return {**super().get_config(), **config}


__all__ = ["BatchNormalization", "LayerNormalization"]
