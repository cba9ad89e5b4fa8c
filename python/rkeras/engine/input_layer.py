"""``InputLayer`` and ``Input``: the entry points of a functional model.

>>> from rkeras import backend as K
>>> from rkeras.layers import Input
>>> K.clear_session()
>>> x = Input(shape=(784,))
>>> x.shape, x._keras_history[0].name
((None, 784), 'input_1')
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from rkeras.backend import config as _config
from rkeras.backend import functions as K
from rkeras.backend.tensors import SymbolicTensor
from rkeras.engine import naming
from rkeras.engine.base_layer import Layer, unpack_singleton
from rkeras.engine.node import Node


def _as_shape(shape: Any) -> tuple:
    if isinstance(shape, int):
        return (shape,)
    return tuple(None if d is None else int(d) for d in shape)


class InputLayer(Layer):
    """The layer that holds a model's input placeholder (created by :func:`Input`).

    >>> from rkeras.layers import InputLayer
    >>> layer = InputLayer(input_shape=(3,), name="features")
    >>> layer.output.shape, layer.get_config()["batch_input_shape"]
    ((None, 3), (None, 3))
    """

    def __init__(self, input_shape: Optional[Sequence] = None, batch_size: Optional[int] = None,
                 batch_input_shape: Optional[Sequence] = None, dtype: Optional[str] = None,
                 input_tensor: Optional[SymbolicTensor] = None, sparse: bool = False,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        if "batch_shape" in kwargs:  # Keras 3 spelling
            batch_input_shape = kwargs.pop("batch_shape")
        if "shape" in kwargs:
            input_shape = kwargs.pop("shape")
        kwargs.pop("ragged", None)
        if not name:
            name = naming.unique_name("input")
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.trainable = False
        self.built = True
        self.sparse = sparse
        self.supports_masking = True
        if input_shape is not None and batch_input_shape is not None:
            raise ValueError("Only provide the input_shape OR batch_input_shape argument to "
                             "InputLayer, not both at the same time.")
        if input_tensor is not None and batch_input_shape is None:
            if not isinstance(input_tensor, SymbolicTensor):
                raise TypeError(f"InputLayer: `input_tensor` must be a symbolic tensor "
                                f"(K.placeholder), got {type(input_tensor).__name__}")
            batch_input_shape = K.int_shape(input_tensor)
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("An Input layer should be passed either a `batch_input_shape` "
                                 "or an `input_shape`.")
            batch_input_shape = (batch_size,) + _as_shape(input_shape)
        else:
            batch_input_shape = _as_shape(batch_input_shape)
        if not dtype:
            dtype = _config.floatx() if input_tensor is None else input_tensor.dtype
        self.batch_input_shape = batch_input_shape
        self.dtype = dtype
        if input_tensor is None:
            self.is_placeholder = True
            input_tensor = K.placeholder(shape=batch_input_shape, dtype=dtype, name=self.name)
        else:
            self.is_placeholder = False
        input_tensor._keras_history = (self, 0, 0)
        input_tensor._keras_mask = None
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=[input_tensor], output_tensors=[input_tensor],
             input_masks=[None], output_masks=[None],
             input_shapes=[batch_input_shape], output_shapes=[batch_input_shape])

    def get_config(self) -> dict:
        """Keras's keys: batch_input_shape, dtype, sparse, name."""
        return {"batch_input_shape": self.batch_input_shape, "dtype": self.dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape: Optional[Sequence] = None, batch_shape: Optional[Sequence] = None,  # noqa: N802
          name: Optional[str] = None, dtype: Optional[str] = None, sparse: bool = False,
          tensor: Optional[SymbolicTensor] = None, batch_size: Optional[int] = None,
          **kwargs: Any) -> SymbolicTensor:
    """A symbolic input tensor for a functional model: ``Input(shape=(784,))`` has shape
    ``(None, 784)``.

    >>> from rkeras.layers import Input
    >>> Input(batch_shape=(32, 10), name="x").shape
    (32, 10)
    """
    kwargs.pop("ragged", None)
    if kwargs:
        raise TypeError(f"Input() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if batch_shape is None and tensor is None and shape is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument. "
                         "Note that `shape` does not include the batch dimension.")
    if shape is not None and batch_shape is None:
        batch_shape = (batch_size,) + _as_shape(shape)
    layer = InputLayer(batch_input_shape=batch_shape, name=name,
                       dtype=dtype or (tensor.dtype if tensor is not None else _config.floatx()),
                       sparse=sparse, input_tensor=tensor)
    return unpack_singleton(layer._inbound_nodes[0].output_tensors)
