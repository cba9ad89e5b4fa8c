"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 clothing classes.

Read from Keras's cache (``$KERAS_HOME/datasets/fashion-mnist/``) or from Debian's
``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``).
"""

from __future__ import annotations

import os

import numpy as np

from rkeras.datasets._cache import cache_dir, find, missing, read_idx

_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"


def _locate(name: str) -> str:
    path = find([os.path.join(cache_dir(), "fashion-mnist", name), os.path.join(_SYSTEM_DIR, name)])
    if path is None:
        raise missing(
            "fashion_mnist",
            os.path.join(cache_dir(), "fashion-mnist", name),
            " or install Debian's dataset-fashion-mnist package",
        )
    return path


def load_data() -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as Keras does.

    >>> from rkeras.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    y_train, x_train, y_test, x_test = (read_idx(_locate(name)) for name in _FILES)
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"fashion_mnist: {part} images {x.shape} and labels {y.shape} differ")
    return (np.array(x_train), np.array(y_train)), (np.array(x_test), np.array(y_test))
