"""Seeding: one call makes a run repeatable."""

from __future__ import annotations

import random as _py_random

import numpy as np


def set_random_seed(seed: int) -> None:
    """Seeds Python's, NumPy's and rkeras's generators (as ``keras.utils.set_random_seed``)."""
    from rkeras import _rkeras

    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r}")
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    _rkeras.set_seed(int(seed))
