"""The safe-mode scope: whether deserialization may load Python code (Lambda layers).

``load_model(..., safe_mode=False)`` runs the deserialization inside
``SafeModeScope(False)``; :func:`in_safe_mode` is what ``Lambda.from_config`` consults when
it is not given `safe_mode` itself. Outside any scope the answer is True (fail closed),
unless :func:`enable_unsafe_deserialization` was called.

>>> from rkeras.saving.safe_mode import SafeModeScope, in_safe_mode
>>> in_safe_mode()
True
>>> with SafeModeScope(False):
...     in_safe_mode()
False
"""

from __future__ import annotations

import threading
from typing import Any, Optional

_state = threading.local()
_unsafe_globally = False


def in_safe_mode() -> bool:
    """True unless an enclosing :class:`SafeModeScope` (or the global switch) allows code."""
    value = getattr(_state, "safe_mode", None)
    if value is None:
        return not _unsafe_globally
    return bool(value)


class SafeModeScope:
    """Sets the safe mode inside a ``with`` block (``None`` keeps the enclosing one).

    >>> from rkeras.saving.safe_mode import SafeModeScope, in_safe_mode
    >>> with SafeModeScope(True):
    ...     in_safe_mode()
    True
    """

    def __init__(self, safe_mode: Optional[bool] = True) -> None:
        self.safe_mode = safe_mode
        self._previous: Any = None

    def __enter__(self) -> "SafeModeScope":
        self._previous = getattr(_state, "safe_mode", None)
        if self.safe_mode is not None:
            _state.safe_mode = bool(self.safe_mode)
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.safe_mode = self._previous


def enable_unsafe_deserialization() -> None:
    """Keras 3's ``keras.config.enable_unsafe_deserialization()``: allow Lambda code loading
    everywhere in this process."""
    global _unsafe_globally
    _unsafe_globally = True


__all__ = ["SafeModeScope", "enable_unsafe_deserialization", "in_safe_mode"]
