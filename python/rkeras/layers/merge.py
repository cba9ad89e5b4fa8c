"""Merge layers (``keras.layers.merge``): Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and their functional forms ``add``, ``subtract``, ... ``dot``.

>>> from rkeras.layers import Input, add
>>> a, b = Input(shape=(4,)), Input(shape=(4,))
>>> add([a, b]).shape
(None, 4)
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from rkeras.backend import functions as K
from rkeras.engine.base_layer import Layer, _int_shape


class _Merge(Layer):
    """Base of the elementwise merge layers (inputs broadcast as NumPy does)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs: list) -> Any:
        raise NotImplementedError

    def _compute_elemwise_op_output_shape(self, shape1: Optional[tuple],
                                          shape2: Optional[tuple]) -> Optional[tuple]:
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1:
                output_shape.append(i)
            else:
                if i != j:
                    raise ValueError("Operands could not be broadcast together with shapes "
                                     f"{tuple(shape1)} {tuple(shape2)}")
                output_shape.append(i)
        return tuple(output_shape)

    def _check_inputs(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list):
            raise ValueError("A merge layer should be called on a list of inputs.")
        if len(input_shape) < 2:
            raise ValueError("A merge layer should be called on a list of at least 2 inputs. "
                             f"Got {len(input_shape)} inputs.")

    def build(self, input_shape: Any) -> None:
        self._check_inputs(input_shape)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError("Can not merge tensors with different batch sizes. Got tensors "
                             f"with shapes : {input_shape}")
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = self._compute_elemwise_op_output_shape(output_shape,
                                                                  tuple(shape[1:]))
        self._reshape_required = len({len(s) for s in input_shape}) != 1
        self.built = True

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("A merge layer should be called on a list of inputs.")
        inputs = list(inputs)
        ranks = [len(_int_shape(x)) for x in inputs]
        if len(set(ranks)) > 1:
            top = max(ranks)
            expanded = []
            for x, r in zip(inputs, ranks):
                for _ in range(top - r):
                    x = K.expand_dims(x, 1)
                expanded.append(x)
            inputs = expanded
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check_inputs(input_shape)
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = self._compute_elemwise_op_output_shape(output_shape,
                                                                  tuple(shape[1:]))
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        batch = list(batch_sizes)[0] if len(batch_sizes) == 1 else None
        return (batch,) + tuple(output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError("`mask` should be a list.")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("`inputs` should be a list.")
        if len(mask) != len(inputs):
            raise ValueError("The lists `inputs` and `mask` should have the same length.")
        if all(m is None for m in mask):
            return None
        masks = [K.expand_dims(m, 0) for m in mask if m is not None]
        return K.all(K.concatenate(masks, axis=0), axis=0, keepdims=False)


class Add(_Merge):
    """Adds a list of inputs elementwise.

    >>> import numpy as np
    >>> from rkeras.layers import Add
    >>> Add()([np.ones((1, 2)), np.full((1, 2), 2.0)]).tolist()
    [[3.0, 3.0]]
    """

    def _merge_function(self, inputs: list) -> Any:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(_Merge):
    """Subtracts the second of two inputs from the first.

    >>> import numpy as np
    >>> from rkeras.layers import Subtract
    >>> Subtract()([np.ones((1, 2)), np.full((1, 2), 3.0)]).tolist()
    [[-2.0, -2.0]]
    """

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")

    def _merge_function(self, inputs: list) -> Any:
        if len(inputs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    >>> import numpy as np
    >>> from rkeras.layers import Multiply
    >>> Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).tolist()
    [[6.0, 6.0]]
    """

    def _merge_function(self, inputs: list) -> Any:
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(_Merge):
    """Averages a list of inputs elementwise.

    >>> import numpy as np
    >>> from rkeras.layers import Average
    >>> Average()([np.full((1, 2), 2.0), np.full((1, 2), 4.0)]).tolist()
    [[3.0, 3.0]]
    """

    def _merge_function(self, inputs: list) -> Any:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / float(len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs.

    >>> import numpy as np
    >>> from rkeras.layers import Maximum
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[3.0, 5.0]]
    """

    def _merge_function(self, inputs: list) -> Any:
        output = inputs[0]
        for x in inputs[1:]:
            output = K.maximum(output, x)
        return output


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs.

    >>> import numpy as np
    >>> from rkeras.layers import Minimum
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[1.0, 2.0]]
    """

    def _merge_function(self, inputs: list) -> Any:
        output = inputs[0]
        for x in inputs[1:]:
            output = K.minimum(output, x)
        return output


class Concatenate(_Merge):
    """Concatenates a list of inputs along `axis` (the others must match).

    >>> from rkeras.layers import Concatenate, Input
    >>> Concatenate()([Input(shape=(2,)), Input(shape=(3,))]).shape
    (None, 5)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError("A `Concatenate` layer should be called on a list of at least 2 "
                             "inputs")
        reduced = []
        for shape in input_shape:
            shape = list(shape)
            if not -len(shape) <= self.axis < len(shape):
                raise ValueError(f"A `Concatenate` layer with axis={self.axis} received an "
                                 f"input of shape {tuple(shape)}")
            del shape[self.axis]
            reduced.append(shape)
        first = reduced[0]
        for shape in reduced[1:]:
            if len(shape) != len(first) or any(
                    a is not None and b is not None and a != b for a, b in zip(first, shape)):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes "
                                 "except for the concat axis. Got inputs shapes: "
                                 f"{input_shape}")
        self.built = True

    def _merge_function(self, inputs: list) -> Any:
        return K.concatenate(inputs, axis=self.axis)

    def call(self, inputs: Any) -> Any:
        return self._merge_function(list(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not isinstance(input_shape, list):
            raise ValueError("A `Concatenate` layer should be called on a list of inputs.")
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        for i in range(len(output_shape)):
            if i == self.axis % len(output_shape) or output_shape[i] is not None:
                continue
            output_shape[i] = next((s[i] for s in input_shape if s[i] is not None), None)
        return tuple(output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError("`mask` should be a list.")
        if len(mask) != len(inputs):
            raise ValueError("The lists `inputs` and `mask` should have the same length.")
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(K.cast(K.ones_like(x), "bool"))
            elif K.ndim(m) < K.ndim(x):
                masks.append(K.expand_dims(m))
            else:
                masks.append(m)
        return K.all(K.concatenate(masks, axis=self.axis), axis=-1, keepdims=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product of two inputs along `axes` (per sample), optionally of l2-normalized
    inputs (cosine proximity).

    >>> from rkeras.layers import Dot, Input
    >>> Dot(axes=1)([Input(shape=(5,)), Input(shape=(5,))]).shape
    (None, 1)
    >>> Dot(axes=(2, 1))([Input(shape=(3, 5)), Input(shape=(5, 4))]).shape
    (None, 3, 4)
    """

    def __init__(self, axes: Union[int, Sequence[int]], normalize: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for `axes` - should be a list or an int.")
            if len(axes) != 2:
                raise ValueError("Invalid format for `axes` - should contain two elements.")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError('Invalid format for `axes` - list elements should be "int".')
        self.axes = axes if isinstance(axes, int) else tuple(axes)
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _axes_for(self, shapes: list) -> list:
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shapes[0]), self.axes % len(shapes[1])]
            return [self.axes] * 2
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, shapes)]

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs.")
        shape1, shape2 = input_shape
        axes = self._axes_for([shape1, shape2])
        if shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(f"Dimension incompatibility {shape1[axes[0]]} != "
                             f"{shape2[axes[1]]}. Layer shapes: {tuple(shape1)}, "
                             f"{tuple(shape2)}")
        self.built = True

    def call(self, inputs: Any) -> Any:
        x1, x2 = inputs
        axes = self._axes_for([_int_shape(x1), _int_shape(x2)])
        if self.normalize:
            x1 = K.l2_normalize(x1, axis=axes[0])
            x2 = K.l2_normalize(x2, axis=axes[1])
        return K.batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs.")
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._axes_for([shape1, shape2])
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Union[int, Sequence[int]], normalize: bool = False,
        **kwargs: Any) -> Any:
    """Functional form of :class:`Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


__all__ = [
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
]
