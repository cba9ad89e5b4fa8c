"""Keras 3 configs made readable by rkeras's (Keras 2 style) constructors.

Keras 3 writes every object as ``{"module", "class_name", "config", "registered_name"}``,
dtypes as ``DTypePolicy`` dicts, and adds arguments that are "off" by default
(``quantization_config=None``, ``optional=False``, ...). :func:`normalize_layer_config`
turns such a layer config into the Keras 2 one rkeras layers accept; keys that carry
information rkeras cannot honour are kept, so the layer's own error names them.

>>> normalize_layer_config({"name": "d", "units": 2, "quantization_config": None,
...     "dtype": {"module": "keras", "class_name": "DTypePolicy",
...               "config": {"name": "float32"}, "registered_name": None}})
{'name': 'd', 'units': 2, 'dtype': 'float32'}
"""

from __future__ import annotations

from typing import Any

# Keras 3 arguments dropped when they hold their "off" value.
_OFF_VALUES: dict = {
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "optional": (False,),
    "ragged": (False,),
    "input_axes": (None,),
    "output_axes": (None,),
    "shared_object_id": None,  # any value
    "build_config": None,
    "compile_config": None,
}


def _dtype_name(value: Any) -> Any:
    """``'float32'`` for a Keras 3 ``DTypePolicy`` dict (or its name), else `value`."""
    if isinstance(value, dict) and value.get("class_name") in (
            "DTypePolicy", "FloatDTypePolicy", "Policy"):
        return (value.get("config") or {}).get("name", "float32")
    return value


def _strip(config: dict) -> dict:
    out = {}
    for key, value in config.items():
        if key in _OFF_VALUES:
            allowed = _OFF_VALUES[key]
            if allowed is None or any(value is a or value == a for a in allowed):
                continue
        out[key] = normalize_value(value)
    return out


def normalize_value(value: Any) -> Any:
    """Recursively normalizes nested serialized objects (initializers, regularizers, ...)."""
    if isinstance(value, dict):
        if value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
            return _dtype_name(value)
        if "class_name" in value and isinstance(value.get("config"), dict):
            out = {k: v for k, v in value.items() if k != "shared_object_id"}
            out["config"] = _strip(value["config"])
            return out
        return value
    if isinstance(value, list):
        return [normalize_value(v) for v in value]
    return value


def normalize_layer_config(config: dict) -> dict:
    """A layer's ``config`` dict with Keras 3 specifics turned into Keras 2 ones."""
    config = _strip(dict(config))
    if "dtype" in config:
        config["dtype"] = _dtype_name(config["dtype"])
    return config


def split_serialized(data: Any) -> tuple:
    """``(class_name, config, registered_name)`` of a serialized object (Keras 2 or 3).

    >>> split_serialized({"module": "keras.layers", "class_name": "Dense",
    ...                   "config": {"units": 1}, "registered_name": None})
    ('Dense', {'units': 1}, None)
    """
    if not isinstance(data, dict) or "class_name" not in data:
        raise ValueError(f"Improper config format: {data!r}. Expected a dict with keys "
                         "'class_name' and 'config'.")
    return data["class_name"], data.get("config") or {}, data.get("registered_name")


__all__ = ["normalize_layer_config", "normalize_value", "split_serialized"]
