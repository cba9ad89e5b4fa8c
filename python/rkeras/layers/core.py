"""Core layers (``keras.layers.core``): Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector, Lambda, ActivityRegularization, Masking.

>>> import numpy as np
>>> from rkeras.layers import Dense
>>> layer = Dense(2, kernel_initializer="ones", bias_initializer="zeros")
>>> layer(np.array([[1.0, 2.0, 3.0]], "float32")).tolist()
[[6.0, 6.0]]
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np

from rkeras.backend import functions as K
from rkeras.backend.tensors import FuncGraph, SymbolicTensor, apply
from rkeras.engine.base_layer import (
    Layer,
    _int_shape,
    get_activation,
    get_constraint,
    get_initializer,
    get_regularizer,
    has_arg,
    serialize_object,
    to_list,
)
from rkeras.engine.input_spec import InputSpec


def _legacy(layer: str, kwargs: dict, renames: dict) -> dict:
    """Keras-1 argument names -> Keras 2 ones, with Keras's warning."""
    converted = {}
    for old, new in renames.items():
        if old in kwargs:
            converted[new] = kwargs.pop(old)
    if converted:
        args = ", ".join(f"{k}={v!r}" for k, v in converted.items())
        warnings.warn(f"Update your `{layer}` call to the Keras 2 API: `{layer}({args})`",
                      UserWarning, stacklevel=3)
    return converted


# ----------------------------------------------------------------------------- Dense


class Dense(Layer):
    """Densely-connected layer: ``activation(dot(input, kernel) + bias)``, kernel of shape
    ``(input_dim, units)``. Inputs of rank > 2 are contracted on their last axis.

    >>> from rkeras.layers import Dense, Input
    >>> Dense(32, activation="relu")(Input(shape=(16,))).shape
    (None, 32)
    >>> Dense(5)(Input(shape=(10, 16))).shape
    (None, 10, 5)
    """

    def __init__(self, units: Optional[int] = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        legacy = _legacy("Dense", kwargs, {
            "output_dim": "units", "init": "kernel_initializer",
            "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
            "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint",
            "bias": "use_bias",
        })
        units = legacy.get("units", units)
        kernel_initializer = legacy.get("kernel_initializer", kernel_initializer)
        kernel_regularizer = legacy.get("kernel_regularizer", kernel_regularizer)
        bias_regularizer = legacy.get("bias_regularizer", bias_regularizer)
        kernel_constraint = legacy.get("kernel_constraint", kernel_constraint)
        bias_constraint = legacy.get("bias_constraint", bias_constraint)
        use_bias = legacy.get("use_bias", use_bias)
        if units is None:
            raise TypeError("__init__() missing 1 required positional argument: 'units'")
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.bias_constraint = get_constraint(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be "
                             f"defined. Found None. Full input shape received: {input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs: Any) -> Any:
        output = K.dot(inputs, self.kernel)
        if self.use_bias:
            output = output + self.bias
        if self.activation is not None:
            output = self.activation(output)
        return output

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"The innermost dimension of input_shape must be defined, but saw: "
                             f"{input_shape}")
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        config = {
            "units": self.units,
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


# ----------------------------------------------------------------------------- Activation


class Activation(Layer):
    """Applies an activation function (a name such as ``'relu'``, or a callable).

    >>> import numpy as np
    >>> from rkeras.layers import Activation
    >>> Activation("relu")(np.array([[-1.0, 2.0]], "float32")).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = get_activation(activation)

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(),
                "activation": serialize_object("activations", self.activation)}


# ----------------------------------------------------------------------------- Dropout


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 during training and scales the rest by
    ``1 / (1 - rate)``; the identity at inference (``training`` False or None). A fresh mask is
    drawn from the seeded generator on every run of a compiled program.

    >>> import numpy as np
    >>> from rkeras.layers import Dropout
    >>> x = np.ones((2, 4), "float32")
    >>> Dropout(0.5)(x).tolist() == x.tolist()
    True
    >>> sorted(set(Dropout(0.5)(x, training=True).ravel().tolist()) - {0.0, 2.0})
    []
    """

    def __init__(self, rate: float, noise_shape: Optional[Sequence] = None,
                 seed: Optional[int] = None, **kwargs: Any) -> None:
        if "p" in kwargs:  # Keras 1
            rate = kwargs.pop("p")
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate = min(1.0, max(0.0, float(rate)))
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def _noise_base(self, inputs: Any) -> Any:
        if self.noise_shape is None:
            return inputs
        shape = _int_shape(inputs)
        if len(self.noise_shape) != len(shape):
            raise ValueError(f'Layer "{self.name}": noise_shape {self.noise_shape} does not '
                             f"match the rank of the input shape {shape}")
        key = tuple(slice(0, 1) if ns == 1 and dim != 1 else slice(None)
                    for ns, dim in zip(self.noise_shape, shape))
        return inputs[key] if any(k != slice(None) for k in key) else inputs

    def call(self, inputs: Any, training: Any = None) -> Any:
        if isinstance(training, SymbolicTensor):
            raise TypeError(f'Layer "{self.name}": `training` must be a Python bool here')
        if not training or not 0.0 < self.rate < 1.0:
            if training and self.rate == 1.0:
                return inputs * 0.0
            return inputs
        keep = 1.0 - self.rate
        mask = apply("random_binomial", [self._noise_base(inputs)], p=keep)
        return inputs * (mask * (1.0 / keep))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


# ----------------------------------------------------------------------------- shapes


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(None, 4, 5) -> (None, 20)``.

    >>> from rkeras.layers import Flatten, Input
    >>> Flatten()(Input(shape=(4, 5))).shape
    (None, 20)
    """

    def __init__(self, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from rkeras.backend import config

        self.data_format = data_format or config.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError("The `data_format` argument must be one of \"channels_first\", "
                             f"\"channels_last\". Received: {data_format}")
        self.input_spec = InputSpec(min_ndim=1)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        rest = tuple(input_shape[1:])
        if not rest:
            return (input_shape[0], 1)
        if any(d is None for d in rest):
            raise ValueError(f'The shape of the input to "Flatten" is not fully defined (got '
                             f"{rest}). Make sure to pass a complete \"input_shape\" or "
                             "\"batch_input_shape\" argument to the first layer in your model.")
        return (input_shape[0], int(np.prod(rest)))

    def call(self, inputs: Any) -> Any:
        shape = _int_shape(inputs)
        self.compute_output_shape(shape)
        if len(shape) == 1:
            return K.expand_dims(inputs, -1)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = K.permute_dimensions(inputs, (0,) + tuple(range(2, len(shape))) + (1,))
        return K.batch_flatten(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes to ``(batch,) + target_shape``; one entry may be -1 (inferred).

    >>> from rkeras.layers import Input, Reshape
    >>> Reshape((3, 4))(Input(shape=(12,))).shape
    (None, 3, 4)
    >>> Reshape((-1, 2))(Input(shape=(12,))).shape
    (None, 6, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in to_list(target_shape))
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError("Can only specify one unknown dimension.")

    def _fix_unknown_dimension(self, input_shape: Sequence, output_shape: Sequence) -> tuple:
        output_shape = list(output_shape)
        msg = ("total size of new array must be unchanged, input_shape = "
               f"{list(input_shape)}, output_shape = {output_shape}")
        known, unknown = 1, None
        for index, dim in enumerate(output_shape):
            if dim < 0:
                if unknown is None:
                    unknown = index
                else:
                    raise ValueError("Can only specify one unknown dimension.")
            else:
                known *= dim
        original = int(np.prod(input_shape))
        if unknown is not None:
            if known == 0 or original % known != 0:
                raise ValueError(msg)
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(msg)
        return tuple(output_shape)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        rest = tuple(input_shape[1:])
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._fix_unknown_dimension(rest, self.target_shape)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(_int_shape(inputs))
        return K.reshape(inputs, (None,) + self.target_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes by `dims` (1-indexed): ``Permute((2, 1))`` swaps them.

    >>> from rkeras.layers import Input, Permute
    >>> Permute((2, 1))(Input(shape=(10, 64))).shape
    (None, 64, 10)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set "
                             "of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        input_shape = tuple(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs: Any) -> Any:
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input `n` times: ``(batch, n, features)``.

    >>> from rkeras.layers import Input, RepeatVector
    >>> RepeatVector(3)(Input(shape=(32,))).shape
    (None, 3, 32)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape: Sequence) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs: Any) -> Any:
        return K.repeat(inputs, self.n)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


# ----------------------------------------------------------------------------- Lambda


class Lambda(Layer):
    """Wraps a function of tensors written with ``rkeras.backend`` (traced on symbolic tensors
    like any layer's ``call``).

    `output_shape` (a tuple without the batch axis, or a function of the input shape) is only
    needed where the traced ops cannot infer it; ``mask`` is a mask or a function
    ``(inputs, mask) -> mask``; ``arguments`` are extra keyword arguments of `function`.
    A Lambda's config names its function but cannot hold its code: reloading one needs the
    function again (``custom_objects``) and ``safe_mode=False``.

    >>> from rkeras import backend as K
    >>> from rkeras.layers import Input, Lambda
    >>> Lambda(lambda x: K.concatenate([x, -x]))(Input(shape=(3,))).shape
    (None, 6)
    """

    def __init__(self, function: Callable, output_shape: Any = None, mask: Any = None,
                 arguments: Optional[dict] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        if mask is not None:
            self.supports_masking = True
        self.mask = mask
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        arguments = dict(self.arguments)
        if has_arg(self.function, "mask"):
            arguments["mask"] = mask
        if has_arg(self.function, "training"):
            arguments["training"] = training
        return self.function(inputs, **arguments)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            graph = FuncGraph("lambda_shape")
            if isinstance(input_shape, list):
                xs = [graph.placeholder(list(s), "float32", "x") for s in input_shape]
                out = self.call(xs)
            else:
                out = self.call(graph.placeholder(list(input_shape), "float32", "x"))
            shapes = [_int_shape(o) for o in to_list(out)]
            return shapes if isinstance(out, (list, tuple)) else shapes[0]
        if isinstance(self._output_shape, tuple):
            if isinstance(input_shape, list):
                batch = input_shape[0][0]
            else:
                batch = input_shape[0] if input_shape else None
            return (batch,) + self._output_shape
        shape = self._output_shape(input_shape)
        return tuple(shape) if isinstance(shape, (list, tuple)) and \
            not (shape and isinstance(shape[0], (list, tuple))) else shape

    def _check_output_shape(self, inputs: Any, outputs: list) -> None:
        if self._output_shape is None:
            return
        try:
            super()._check_output_shape(inputs, outputs)
        except ValueError as err:
            warnings.warn(f"{err}; using the shape the traced ops produce", stacklevel=3)

    def get_config(self) -> dict:
        fn = self.function
        name = getattr(fn, "__name__", type(fn).__name__)
        config = {
            "function": name,
            "function_type": "lambda" if name == "<lambda>" else "function",
            "module": getattr(fn, "__module__", None),
            "arguments": self.arguments,
            "needs_safe_mode_false": True,
        }
        shape = self._output_shape
        if callable(shape):
            config.update(output_shape=getattr(shape, "__name__", None),
                          output_shape_type="function",
                          output_shape_module=getattr(shape, "__module__", None))
        else:
            config.update(output_shape=shape, output_shape_type="raw",
                          output_shape_module=None)
        config["mask"] = None if callable(self.mask) or self.mask is None else self.mask
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None,
                    safe_mode: Optional[bool] = None) -> "Lambda":
        """Rebuilds a Lambda: its function comes from `custom_objects`, or (with
        ``safe_mode=False``) from the module that defined it, or from the code Keras stores
        for a ``lambda`` (Keras 3 ``__lambda__`` dicts, Keras 2 code tuples). `safe_mode`
        ``None`` means the enclosing ``load_model(safe_mode=...)`` (safe by default)."""
        from rkeras.saving.lambda_code import LAMBDA_UNSAFE_MESSAGE, func_load
        from rkeras.saving.safe_mode import in_safe_mode
        from rkeras.utils.generic_utils import get_registered_object

        config = dict(config)
        custom_objects = custom_objects or {}
        safe_mode = in_safe_mode() if safe_mode is None else bool(safe_mode)

        def resolve(name: Any, module: Any, what: str, kind: Any = None) -> Any:
            if isinstance(name, dict) and name.get("class_name") == "__lambda__":
                if safe_mode:
                    raise ValueError(LAMBDA_UNSAFE_MESSAGE)
                inner = name.get("config") or {}
                return func_load(inner.get("code"), inner.get("defaults"), inner.get("closure"))
            if isinstance(name, (list, tuple)) and kind == "lambda":
                if safe_mode:
                    raise ValueError(LAMBDA_UNSAFE_MESSAGE)
                return func_load(name)
            if isinstance(name, dict):  # Keras 3: {"class_name": "function", "config": name}
                module = name.get("module", module)
                name = name.get("registered_name") or name.get("config")
            found = get_registered_object(name, custom_objects) if isinstance(name, str) \
                else None
            if found is not None:
                return found
            if name == "<lambda>" or module is None:
                raise ValueError(
                    f"Lambda layer {config.get('name')!r}: its {what} is a Python lambda, "
                    "whose code is not stored in the config; re-create the layer in code or "
                    "pass the function in `custom_objects`."
                )
            if safe_mode:
                raise ValueError(
                    f"Requested the deserialization of a Lambda layer whose {what} is "
                    f"`{module}.{name}`: loading Python code from a config is unsafe. Pass "
                    "`safe_mode=False` to load it from its module, or give it in "
                    "`custom_objects`."
                )
            return getattr(importlib.import_module(module), name)

        function = resolve(config.pop("function"), config.pop("module", None), "function",
                           config.pop("function_type", None))
        config.pop("needs_safe_mode_false", None)
        shape_type = config.pop("output_shape_type", "raw")
        shape_module = config.pop("output_shape_module", None)
        shape = config.pop("output_shape", None)
        if isinstance(shape, dict) or (shape_type in ("function", "lambda") and
                                       shape is not None):
            shape = resolve(shape, shape_module, "output_shape function", shape_type)
        if isinstance(config.get("mask"), dict):
            config["mask"] = resolve(config["mask"], None, "mask function")
        if isinstance(config.get("arguments"), dict) and \
                config["arguments"].get("class_name") == "__dict__":
            config["arguments"] = config["arguments"].get("config") or {}
        return cls(function, output_shape=shape, **config)


# ----------------------------------------------------------------------------- regularization


class _L1L2:
    """``l1 * sum(|x|) + l2 * sum(x**2)`` (used while ``rkeras.regularizers`` is absent)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Any) -> Any:
        total = 0.0
        if self.l1:
            total = total + self.l1 * K.sum(K.abs(x))
        if self.l2:
            total = total + self.l2 * K.sum(K.square(x))
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


def _l1l2(l1: float, l2: float) -> Any:
    try:
        mod = importlib.import_module("rkeras.regularizers")
        return mod.L1L2(l1=l1, l2=l2)
    except (ImportError, AttributeError):
        return _L1L2(l1, l2)


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x**2)`` of its input to the loss.

    >>> from rkeras.layers import ActivityRegularization, Input
    >>> ActivityRegularization(l2=0.01)(Input(shape=(3,))).shape
    (None, 3)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.activity_regularizer = _l1l2(self.l1, self.l2)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value` (their outputs are zeroed).

    The mask is computed and passed along the model (``_keras_mask``, ``compute_mask``), but
    rkeras has no layers that consume masks yet (recurrent layers, masked losses), so for now
    only the zeroing of masked timesteps takes effect downstream.

    >>> import numpy as np
    >>> from rkeras.layers import Masking
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]], "float32")
    >>> layer = Masking(mask_value=0.0)
    >>> layer.compute_mask(x).tolist()
    [[True, False]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * K.cast(keep, "float32")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}


__all__ = [
    "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
    "ActivityRegularization", "Masking",
]
