"""Automatic layer and model names, Keras 2 style: a per-prefix counter starting at 1
(``dense_1``, ``dense_2``, ``sequential_1``, ``input_1``), reset by ``K.clear_session()``.

>>> from rkeras.engine.naming import get_uid, to_snake_case
>>> to_snake_case("ActivityRegularization")
'activity_regularization'
>>> get_uid("doctest_prefix"), get_uid("doctest_prefix")
(1, 2)
"""

from __future__ import annotations

import re
from collections import defaultdict

_uids: defaultdict = defaultdict(int)


def get_uid(prefix: str = "") -> int:
    """The next id for `prefix` in this session (1, 2, ...), as ``K.get_uid``."""
    _uids[prefix] += 1
    return _uids[prefix]


def reset_uids() -> None:
    """Forgets every counter (run by ``K.clear_session()``)."""
    _uids.clear()


def to_snake_case(name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``; private classes get a ``private`` prefix."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def unique_name(prefix: str) -> str:
    """``prefix_N`` with the next counter of `prefix`."""
    return f"{prefix}_{get_uid(prefix)}"


def _register() -> None:
    from rkeras.backend.functions import register_clear_session_hook

    register_clear_session_hook(reset_uids)


_register()
