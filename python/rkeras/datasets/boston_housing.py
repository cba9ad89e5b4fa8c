"""Boston Housing prices: 506 samples of 13 attributes with the median house value (k$).

Read from Keras's cache (``$KERAS_HOME/datasets/boston_housing.npz``, arrays ``x`` and ``y``).
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from rkeras.datasets._cache import cache_dir, missing


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)``, exactly as Keras does.

    The samples are shuffled with ``np.random.RandomState(seed)``; the first
    ``int(len(x) * (1 - test_split))`` form the training set.

    >>> from rkeras.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((404, 13), (102, 13))
    """
    if not (0 <= test_split < 1):
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    full = path if os.path.isabs(path) else os.path.join(cache_dir(), path)
    if not os.path.exists(full):
        raise missing("boston_housing", full)
    try:
        with np.load(full, allow_pickle=False) as f:
            x = f["x"]
            y = f["y"]
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"boston_housing: {full} is not a valid Keras boston_housing.npz "
                         f"({e})") from e
    if x.ndim < 1 or y.ndim < 1 or len(x) != len(y):
        raise ValueError(f"boston_housing: {full}: x {x.shape} and y {y.shape} differ in length")

    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x = x[indices]
    y = y[indices]

    x_train = np.array(x[: int(len(x) * (1 - test_split))])
    y_train = np.array(y[: int(len(x) * (1 - test_split))])
    x_test = np.array(x[int(len(x) * (1 - test_split)):])
    y_test = np.array(y[int(len(x) * (1 - test_split)):])
    return (x_train, y_train), (x_test, y_test)
