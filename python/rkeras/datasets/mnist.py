"""MNIST: 60,000 training and 10,000 test 28x28 grayscale digits, from Keras's cached
``mnist.npz`` (``$KERAS_HOME/datasets/mnist.npz``)."""

from __future__ import annotations

import os
import zipfile

import numpy as np

from rkeras.datasets._cache import cache_dir, missing


def load_data(path: str = "mnist.npz") -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as Keras does.

    >>> from rkeras.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    """
    full = path if os.path.isabs(path) else os.path.join(cache_dir(), path)
    if not os.path.exists(full):
        raise missing("mnist", full)
    try:
        with np.load(full, allow_pickle=False) as f:
            parts = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"mnist: {full} is not a valid Keras mnist.npz ({e})") from e
    x_train, y_train, x_test, y_test = parts
    return (x_train, y_train), (x_test, y_test)
