"""Python functions stored as code in Keras configs (Lambda layers), as Keras writes them.

Keras 3 stores a lambda as ``{"class_name": "__lambda__", "config": {"code", "defaults",
"closure"}}`` and Keras 2 as ``[code, defaults, closure]`` with ``function_type="lambda"``;
``code`` is the base64 text of the ``marshal`` dump of the function's code object. Loading it
runs arbitrary code: callers must check ``safe_mode`` first (:data:`LAMBDA_UNSAFE_MESSAGE`).
Marshalled code only loads on the Python version that wrote it.

>>> fn = func_load(func_dump(lambda x, k=2: x * k)[0], defaults=(2,))
>>> fn(3)
6
"""

from __future__ import annotations

import binascii
import codecs
import marshal
import types
from typing import Any, Callable, Optional, Sequence

LAMBDA_UNSAFE_MESSAGE = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
    "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
    "default. If you trust the source of the artifact, you can override this error by "
    "passing `safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)


def func_dump(func: Callable) -> tuple:
    """``(code, defaults, closure)`` of a Python function, as Keras's ``func_dump``."""
    raw = marshal.dumps(func.__code__)
    code = codecs.encode(raw, "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def _cell(value: Any) -> Any:
    return (lambda: value).__closure__[0]


def func_load(code: Any, defaults: Optional[Sequence] = None,
              closure: Optional[Sequence] = None, globs: Optional[dict] = None) -> Callable:
    """The function from :func:`func_dump`'s output (unsafe: runs stored bytecode)."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code[0], code[1], code[2]
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
        code_obj = marshal.loads(raw)
    except (UnicodeEncodeError, binascii.Error, ValueError, EOFError, TypeError) as err:
        raise ValueError(f"Cannot load the Lambda layer's stored code ({err}); marshalled code "
                         "only loads on the Python version that saved it.") from err
    if not isinstance(code_obj, types.CodeType):
        raise ValueError("The Lambda layer's stored code is not a Python code object.")
    cells = tuple(_cell(v) for v in closure) if closure is not None else None
    if globs is None:
        from rkeras import backend

        globs = {"__builtins__": __builtins__, "K": backend, "backend": backend}
    return types.FunctionType(code_obj, globs, name=code_obj.co_name, argdefs=defaults,
                              closure=cells)


__all__ = ["LAMBDA_UNSAFE_MESSAGE", "func_dump", "func_load"]
