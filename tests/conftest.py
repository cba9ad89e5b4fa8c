"""Shared fixtures for the rkeras test suite."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator with a fixed seed, fresh for every test."""
    return np.random.default_rng(1234)


@pytest.fixture
def fresh_graph():
    """Starts each test on a fresh default graph (so compiled graphs stay small)."""
    from rkeras import backend as K

    K.clear_session()
    yield
    K.clear_session()
