"""Keras models (``keras.models``): ``Model`` (functional API), ``Sequential`` and ``Input``.

>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> Sequential([Dense(1, input_shape=(2,))]).output_shape
(None, 1)
"""

from rkeras.engine.functional import Model
from rkeras.engine.input_layer import Input
from rkeras.engine.sequential import Sequential

__all__ = ["Model", "Sequential", "Input"]
