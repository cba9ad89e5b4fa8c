"""Locating dataset files: the Keras cache first, then system packages; no network."""

from __future__ import annotations

import gzip
import os
from typing import Optional, Sequence

import numpy as np

from rkeras.backend.config import keras_home


def cache_dir() -> str:
    """``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``)."""
    return os.path.join(keras_home(), "datasets")


def find(candidates: Sequence[str]) -> Optional[str]:
    """The first existing path among `candidates`."""
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


def missing(dataset: str, expected: str, extra: str = "") -> FileNotFoundError:
    """The error raised when no copy of a dataset is available offline."""
    return FileNotFoundError(
        f"{dataset}: the data file was not found and rkeras does not download. Put Keras's file "
        f"at {expected} (the same file Keras caches there){extra}."
    )


def read_idx(path: str) -> np.ndarray:
    """Reads a (gzipped) IDX file as used by MNIST and Fashion-MNIST, validating its header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    size = int(np.prod(dims)) if dims else 0
    if len(data) - header != size:
        raise ValueError(f"{path}: expected {size} bytes of data for shape {dims}, "
                         f"found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)
