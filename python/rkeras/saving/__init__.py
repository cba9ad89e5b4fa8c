"""Saving and loading models (``keras.saving``): ``.keras`` archives (Keras 3), legacy
``.h5`` files (Keras 2), weights files, and JSON configs.

One job per module: :mod:`~rkeras.saving.api` (entry points),
:mod:`~rkeras.saving.keras_archive` (``.keras``), :mod:`~rkeras.saving.legacy_h5` (``.h5``),
:mod:`~rkeras.saving.keras3_weights` (Keras 3 weights layout),
:mod:`~rkeras.saving.optimizer_state`, :mod:`~rkeras.saving.model_config` (configs and JSON),
:mod:`~rkeras.saving.keras3_config`, :mod:`~rkeras.saving.functional_config`,
:mod:`~rkeras.saving.compat`, :mod:`~rkeras.saving.atomic` (crash-safe writes),
:mod:`~rkeras.saving.validation` (clear errors for bad files),
:mod:`~rkeras.saving.safe_mode` and :mod:`~rkeras.saving.lambda_code`.

>>> from rkeras import saving
>>> callable(saving.load_model) and callable(saving.save_model)
True
"""

from rkeras.saving.api import load_model, load_weights, save_model, save_weights
from rkeras.saving.model_config import model_from_config, model_from_json
from rkeras.saving.safe_mode import SafeModeScope, enable_unsafe_deserialization
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

__all__ = [
    "CustomObjectScope", "SafeModeScope", "custom_object_scope", "deserialize_keras_object",
    "enable_unsafe_deserialization", "get_custom_objects", "get_registered_name",
    "get_registered_object", "load_model", "load_weights", "model_from_config",
    "model_from_json", "register_keras_serializable", "save_model", "save_weights",
    "serialize_keras_object",
]
