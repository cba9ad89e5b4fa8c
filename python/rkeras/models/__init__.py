"""Keras models (``keras.models``): ``Model`` (functional API), ``Sequential`` and ``Input``.

>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> Sequential([Dense(1, input_shape=(2,))]).output_shape
(None, 1)
"""

from rkeras.engine.functional import Model
from rkeras.engine.input_layer import Input
from rkeras.engine.sequential import Sequential
from rkeras.saving.api import load_model, save_model
from rkeras.saving.model_config import model_from_config, model_from_json

__all__ = ["Model", "Sequential", "Input", "load_model", "save_model", "model_from_config",
           "model_from_json"]
