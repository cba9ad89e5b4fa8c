"""JSON for configs: tuples and NumPy values written as Keras writes them, and parse errors
reported with the file they come from.

>>> import numpy as np
>>> dumps({"shape": (None, 3), "rate": np.float32(0.5)})
'{"shape": [null, 3], "rate": 0.5}'
>>> loads('{"a": 1}', "config.json")
{'a': 1}
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def _default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, type):
        return obj.__name__
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"Not JSON Serializable: {obj!r}")


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` with NumPy scalars/arrays and tuples handled."""
    return json.dumps(obj, default=_default, **kwargs)


def loads(text: Any, source: str) -> Any:
    """``json.loads`` whose errors are ``ValueError`` s naming `source`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{source}: not valid UTF-8 text ({err})") from None
    try:
        return json.loads(text)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{source}: not valid JSON ({err})") from None


__all__ = ["dumps", "loads"]
