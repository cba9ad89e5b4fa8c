"""Model configs and JSON: ``model.to_json()``, ``model_from_json``, ``model_from_config``,
and the training (compile) config saved with a model.

Configs are written in Keras 2's form ``{"class_name": ..., "config": ...}``
(``"Sequential"`` or ``"Functional"``); Keras 3's form (with ``module`` and
``registered_name``, ``__keras_tensor__`` inbound nodes, ``DTypePolicy`` dtypes) is read too.

>>> from rkeras import backend as K
>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> K.clear_session()
>>> model = Sequential([Dense(2, input_shape=(3,), name="d")])
>>> clone = model_from_json(to_json(model))
>>> clone.output_shape, clone.layers[0].name
((None, 2), 'd')
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from rkeras.saving import json_utils
from rkeras.saving.compat import split_serialized
from rkeras.saving.safe_mode import SafeModeScope
from rkeras.utils.generic_utils import CustomObjectScope, get_registered_name

KERAS_VERSION = "2.15.0"  # the Keras 2 file-format version rkeras writes in .h5 files
BACKEND = "rkeras"


def model_class_name(model: Any) -> str:
    """The ``class_name`` Keras writes for `model`: ``Sequential``, ``Functional`` or the
    registered name of a user subclass."""
    from rkeras.engine.functional import Model
    from rkeras.engine.sequential import Sequential

    cls = type(model)
    if cls is Sequential:
        return "Sequential"
    if cls is Model:
        return "Functional"
    return get_registered_name(cls)


def serialize_model(model: Any) -> dict:
    """``{"class_name": ..., "config": model.get_config()}``."""
    return {"class_name": model_class_name(model), "config": model.get_config()}


def to_json(model: Any, **kwargs: Any) -> str:
    """``model.to_json()``: Keras 2's JSON with ``keras_version`` and ``backend``."""
    data = serialize_model(model)
    data.update(keras_version=KERAS_VERSION, backend=BACKEND)
    return json_utils.dumps(data, **kwargs)


def model_from_config(config: Any, custom_objects: Optional[dict] = None,
                      safe_mode: Optional[bool] = None) -> Any:
    """A model (or layer) from ``{"class_name", "config"}`` (Keras 2 or 3 form)."""
    from rkeras.layers import deserialize

    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: "
                        f"config={str(config)[:200]}... Did you meant to use "
                        "`Sequential.from_config(config)`?")
    split_serialized(config)
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
        return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string: str, custom_objects: Optional[dict] = None) -> Any:
    """``keras.models.model_from_json``: the (uncompiled, freshly initialized) model of a
    ``to_json()`` string."""
    return model_from_config(json_utils.loads(json_string, "model JSON"),
                             custom_objects=custom_objects)


# ----------------------------------------------------------------------------- training config


def _serialize_fn(obj: Any, module: str) -> Any:
    import importlib

    if obj is None or isinstance(obj, (int, float, bool)):
        return obj
    if isinstance(obj, str):
        # Canonical names ('mse' -> 'mean_squared_error'): Keras 3 cannot read aliases back.
        if module != "losses":  # metric names show in the logs: keep the user's
            return obj
        try:
            resolved = importlib.import_module(f"rkeras.{module}").get(obj)
        except (ValueError, TypeError):
            return obj
        return getattr(resolved, "__name__", obj) if callable(resolved) and \
            not hasattr(resolved, "get_config") else obj
    if isinstance(obj, dict):
        return {k: _serialize_fn(v, module) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_serialize_fn(v, module) for v in obj]
    return importlib.import_module(f"rkeras.{module}").serialize(obj)


def training_config(model: Any) -> Optional[dict]:
    """Keras 2's ``training_config`` of a compiled model (``None`` when not compiled)."""
    from rkeras import optimizers

    if not getattr(model, "_is_compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    return {
        "optimizer_config": optimizers.serialize(model.optimizer),
        "loss": _serialize_fn(getattr(model, "_loss_spec", None), "losses"),
        "metrics": _serialize_fn(getattr(model, "_metrics_spec", None), "metrics"),
        "weighted_metrics": _serialize_fn(getattr(model, "_weighted_metrics_spec", None),
                                          "metrics"),
        "loss_weights": getattr(model, "_loss_weights_spec", None),
        "sample_weight_mode": None,
    }


def compile_config(model: Any) -> Optional[dict]:
    """Keras 3's ``compile_config`` (the optimizer under ``optimizer``)."""
    config = training_config(model)
    if config is None:
        return None
    optimizer = dict(config.pop("optimizer_config"))
    optimizer.update(module="keras.optimizers", registered_name=None)
    config.pop("sample_weight_mode", None)
    return {"optimizer": optimizer, **config, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}


def _deserialize_fn(obj: Any, module: str, custom_objects: Optional[dict]) -> Any:
    import importlib

    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, list):
        return [_deserialize_fn(v, module, custom_objects) for v in obj]
    if isinstance(obj, dict) and "class_name" in obj:
        return importlib.import_module(f"rkeras.{module}").deserialize(
            obj, custom_objects=custom_objects)
    if isinstance(obj, dict):
        return {k: _deserialize_fn(v, module, custom_objects) for k, v in obj.items()}
    return obj


def compile_from_config(model: Any, config: dict, custom_objects: Optional[dict] = None,
                        source: str = "the file") -> bool:
    """Compiles `model` from a Keras 2 ``training_config`` or Keras 3 ``compile_config``.
    Warns (and leaves the model uncompiled) when the config cannot be honoured."""
    from rkeras import optimizers

    try:
        opt_config = config.get("optimizer_config", config.get("optimizer"))
        with CustomObjectScope(custom_objects or {}):
            optimizer = optimizers.deserialize(opt_config, custom_objects=custom_objects) \
                if isinstance(opt_config, dict) else optimizers.get(opt_config)
            loss = _deserialize_fn(config.get("loss"), "losses", custom_objects)
            metrics = _deserialize_fn(config.get("metrics"), "metrics", custom_objects)
            weighted = _deserialize_fn(config.get("weighted_metrics"), "metrics",
                                       custom_objects)
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                          loss_weights=config.get("loss_weights"), weighted_metrics=weighted)
    except (ValueError, TypeError, NotImplementedError, KeyError) as err:
        warnings.warn(f"Could not compile the model loaded from {source} with its saved "
                      f"training configuration ({type(err).__name__}: {err}); the model is "
                      "returned uncompiled. Compile it yourself.", stacklevel=3)
        return False
    return True


__all__ = [
    "compile_config", "compile_from_config", "model_from_config", "model_from_json",
    "serialize_model", "to_json", "training_config",
]
