"""Backend configuration: floatx, epsilon and image data format, read from ``keras.json``.

As in Keras, the file is ``$KERAS_HOME/keras.json`` (default ``~/.keras/keras.json``) and is read
once at import; the setters change the values for this process only.
"""

from __future__ import annotations

import json
import os

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"

_VALID_FLOATX = ("float16", "float32", "float64")
_VALID_FORMATS = ("channels_last", "channels_first")


def keras_home() -> str:
    """The Keras directory: ``$KERAS_HOME``, or ``~/.keras`` (``/tmp/.keras`` if not writable)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def floatx() -> str:
    """The default float type as a string, e.g. ``'float32'``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type. rkeras computes in float32 whatever this says."""
    global _FLOATX
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of {_VALID_FLOATX}")
    _FLOATX = str(value)


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (default ``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """``'channels_last'`` or ``'channels_first'``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the image data format."""
    global _IMAGE_DATA_FORMAT
    if data_format not in _VALID_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_VALID_FORMATS}. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = str(data_format)


def backend() -> str:
    """The name of the backend: ``'rkeras'``."""
    return "rkeras"


def _load_keras_json() -> None:
    path = os.path.join(keras_home(), "keras.json")
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return
    if not isinstance(config, dict):
        return
    if config.get("floatx") in _VALID_FLOATX:
        set_floatx(config["floatx"])
    if isinstance(config.get("epsilon"), (int, float)):
        set_epsilon(config["epsilon"])
    if config.get("image_data_format") in _VALID_FORMATS:
        set_image_data_format(config["image_data_format"])


_load_keras_json()
