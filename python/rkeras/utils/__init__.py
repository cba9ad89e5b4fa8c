"""Keras utilities: ``to_categorical``, ``normalize``, ``Sequence``, ``set_random_seed``,
``Progbar``, ``plot_model`` / ``model_to_dot`` and the serialization registry
(``custom_object_scope``, ...)."""

from rkeras.utils import generic_utils, np_utils
from rkeras.utils.data_utils import Sequence
from rkeras.utils.generic_utils import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from rkeras.utils.np_utils import normalize, to_categorical
from rkeras.utils.progbar import Progbar
from rkeras.utils.random import set_random_seed
from rkeras.utils.vis_utils import model_to_dot, plot_model

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "Sequence",
    "custom_object_scope",
    "deserialize_keras_object",
    "generic_utils",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "model_to_dot",
    "normalize",
    "np_utils",
    "plot_model",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "to_categorical",
]
