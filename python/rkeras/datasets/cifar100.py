"""CIFAR-100: 50,000 training and 10,000 test 32x32 colour images of 100 fine classes grouped
into 20 coarse ones.

Read from Keras's cache: the extracted directory ``$KERAS_HOME/datasets/cifar-100-python/``
(Keras 2) or ``$KERAS_HOME/datasets/cifar-100-python-target/cifar-100-python/`` (Keras 3), or,
without extracting anything, from the archive ``cifar-100-python.tar.gz`` or
``cifar-100-python-target_archive`` in the same folder. The ``train`` and ``test`` pickles are
read with a restricted unpickler that only rebuilds NumPy arrays and builtin containers.
"""

from __future__ import annotations

import numpy as np

from rkeras.datasets.cifar10 import _batch_reader, _to_format, load_batch


def load_data(label_mode: str = "fine") -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)``, as Keras does.

    ``x`` is uint8 ``(N, 32, 32, 3)`` (``(N, 3, 32, 32)`` under ``channels_first``); ``y`` is
    ``(N, 1)`` int64 (Keras reshapes the pickled label list), with the fine labels (0-99) for
    ``label_mode="fine"`` or the coarse ones (0-19) for ``label_mode="coarse"``.

    >>> from rkeras.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> x_train.shape, int(y_train.max())  # doctest: +SKIP
    ((50000, 32, 32, 3), 19)
    """
    if label_mode not in ["fine", "coarse"]:
        raise ValueError(
            '`label_mode` must be one of `"fine"`, `"coarse"`. '
            f"Received: label_mode={label_mode}."
        )
    read = _batch_reader("cifar100", "cifar-100-python", ("train", "test"), "")
    x_train, y_train = load_batch(*read("train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(*read("test"), label_key=f"{label_mode}_labels")

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (_to_format(x_train), y_train), (_to_format(x_test), y_test)
