"""The Keras backend (``from rkeras import backend as K``): Keras-2 backend functions that run
eagerly on NumPy arrays and build graph ops on symbolic tensors."""

from rkeras.backend.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    keras_home,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from rkeras.backend.functions import *  # noqa: F401,F403
from rkeras.backend.functions import Function
from rkeras.backend.tensors import FuncGraph, SymbolicTensor, Variable, is_symbolic

__all__ = [
    "backend", "epsilon", "floatx", "image_data_format", "keras_home", "set_epsilon",
    "set_floatx", "set_image_data_format", "Function", "FuncGraph", "SymbolicTensor",
    "Variable", "is_symbolic",
]
