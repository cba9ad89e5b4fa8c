"""Activation layers with parameters (``keras.layers.advanced_activations``): LeakyReLU, PReLU,
ELU, ThresholdedReLU, ReLU and Softmax.

>>> import numpy as np
>>> from rkeras.layers import LeakyReLU
>>> LeakyReLU(alpha=0.1)(np.array([-10.0, 5.0], "float32")).tolist()
[-1.0, 5.0]
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import functions as K
from rkeras.engine.base_layer import (
    Layer,
    get_constraint,
    get_initializer,
    get_regularizer,
    serialize_object,
)
from rkeras.engine.input_spec import InputSpec
from rkeras.layers.conv_utils import read_in_graph


class _Elementwise(Layer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``alpha * x`` below.

    >>> import numpy as np
    >>> from rkeras.layers import LeakyReLU
    >>> LeakyReLU()(np.array([-1.0, 0.0, 2.0], "float32")).tolist()
    [-0.30000001192092896, 0.0, 2.0]
    """

    def __init__(self, alpha: float = 0.3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("The alpha value of a Leaky ReLU layer cannot be None, Expecting "
                             f"a float. Received: {alpha}")
        self.alpha = float(alpha)

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` below, with a trainable `alpha`
    shaped like the input without its batch axis (length 1 along `shared_axes`, 1-indexed
    like Keras's).

    >>> from rkeras.layers import Input, PReLU
    >>> layer = PReLU(shared_axes=[1, 2])
    >>> layer(Input(shape=(5, 5, 3))).shape, layer.weights[0].shape
    ((None, 5, 5, 3), (1, 1, 3))
    """

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Optional[Any] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = get_initializer(alpha_initializer)
        self.alpha_regularizer = get_regularizer(alpha_regularizer)
        self.alpha_constraint = get_constraint(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape: Sequence) -> None:
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f'Layer "{self.name}" (PReLU): shared axis {axis} is out of '
                                 f"range for inputs of shape {input_shape} (axes are 1-indexed, "
                                 "the batch axis excluded)")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f'Layer "{self.name}" (PReLU): the alpha weight needs a known '
                             f"shape; input shape {input_shape} has undefined axes that are "
                             "not in `shared_axes`")
        self.alpha = self.add_weight(name="alpha", shape=tuple(param_shape),
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or []) and input_shape[i] is not None}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs: Any) -> Any:
        alpha = read_in_graph(self.alpha, inputs)
        return K.relu(inputs) - alpha * K.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(),
                "alpha_initializer": serialize_object("initializers", self.alpha_initializer),
                "alpha_regularizer": serialize_object("regularizers", self.alpha_regularizer),
                "alpha_constraint": serialize_object("constraints", self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    >>> import numpy as np
    >>> from rkeras.layers import ELU
    >>> [round(v, 4) for v in ELU(alpha=2.0)(np.array([-1.0, 3.0], "float32")).tolist()]
    [-1.2642, 3.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("Alpha of an ELU layer cannot be None, expecting a float. "
                             f"Received: {alpha}")
        self.alpha = float(alpha)

    def call(self, inputs: Any) -> Any:
        return K.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_Elementwise):
    """``x`` where ``x > theta``, 0 elsewhere.

    >>> import numpy as np
    >>> from rkeras.layers import ThresholdedReLU
    >>> ThresholdedReLU(theta=1.0)(np.array([0.5, 1.0, 2.0], "float32")).tolist()
    [0.0, 0.0, 2.0]
    """

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError("Theta of a Thresholded ReLU layer cannot be None, expecting a "
                             f"float. Received: {theta}")
        if theta < 0:
            raise ValueError("The theta value of a Thresholded ReLU layer should be >=0. "
                             f"Received: {theta}")
        self.theta = float(theta)

    def call(self, inputs: Any) -> Any:
        return inputs * K.cast(K.greater(inputs, self.theta), "float32")

    def get_config(self) -> dict:
        return {**super().get_config(), "theta": self.theta}


class ReLU(_Elementwise):
    """Keras's general rectifier: ``min(x, max_value)`` for ``x > threshold``,
    ``negative_slope * (x - threshold)`` below.

    >>> import numpy as np
    >>> from rkeras.layers import ReLU
    >>> x = np.array([-3.0, -1.0, 0.0, 2.0, 10.0], "float32")
    >>> ReLU(max_value=6.0)(x).tolist()
    [0.0, 0.0, 0.0, 2.0, 6.0]
    >>> ReLU(negative_slope=0.5, threshold=1.0)(x).tolist()
    [-2.0, -1.0, -0.5, 2.0, 10.0]
    """

    def __init__(self, max_value: Optional[float] = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. "
                             f"Received: {max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value. "
                             f"Received: {negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError("threshold of a ReLU layer cannot be a negative value. "
                             f"Received: {threshold}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                      threshold=self.threshold)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class Softmax(_Elementwise):
    """Softmax along `axis` (an int or a tuple of axes); masked positions (mask False) get
    (almost) zero probability.

    >>> import numpy as np
    >>> from rkeras.layers import Softmax
    >>> Softmax()(np.array([[0.0, 0.0]], "float32")).tolist()
    [[0.5, 0.5]]
    >>> Softmax()(np.array([[1.0, 2.0]], "float32"), mask=np.array([[True, False]])).tolist()
    [[1.0, 0.0]]
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            adder = (1.0 - K.cast(mask, "float32")) * -1e9
            inputs = inputs + adder
        if isinstance(self.axis, list):
            if len(self.axis) > 1:
                return K.exp(inputs - K.logsumexp(inputs, axis=self.axis, keepdims=True))
            return K.softmax(inputs, axis=self.axis[0])
        return K.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


__all__ = ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "ReLU", "Softmax"]
