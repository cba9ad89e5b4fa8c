"""rkeras: Keras, the model-level deep-learning library, on a Rust core.

Use it as Keras::

    import rkeras as keras
    from rkeras import backend as K

Submodules are imported on first use, so ``import rkeras`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = frozenset({
    "activations", "backend", "callbacks", "constraints", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "optimizers", "regularizers", "saving", "utils", "wrappers",
})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"rkeras.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'rkeras' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
