"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images of 10 classes.

Read from Keras's cache: the extracted directory ``$KERAS_HOME/datasets/cifar-10-batches-py/``
(Keras 2) or ``$KERAS_HOME/datasets/cifar-10-batches-py-target/cifar-10-batches-py/`` (Keras 3),
or, without extracting anything, from the archive ``cifar-10-batches-py.tar.gz`` (Keras 2),
``cifar-10-batches-py-target_archive`` (Keras 3) or ``cifar-10-python.tar.gz`` (the original
download) in the same folder. The batches are Python pickles; they are read with a restricted
unpickler that only rebuilds NumPy arrays and builtin containers.
"""

from __future__ import annotations

import os
import tarfile
from typing import Callable, List, Sequence, Tuple

import numpy as np

from rkeras.backend.config import image_data_format
from rkeras.datasets._cache import cache_dir, missing
from rkeras.datasets._safe_pickle import load_pickle_file

_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


def _batch_reader(dataset: str, dirname: str, files: Sequence[str],
                  extra: str) -> Callable[[str], Tuple[str, bytes]]:
    """A function reading one batch file (by name) of the CIFAR folder `dirname`.

    Looks for the Keras 2 and Keras 3 extracted folders, then for their archives (read in
    memory, never extracted). Raises the `missing` FileNotFoundError naming where to put it.
    """
    base = cache_dir()
    folders = [os.path.join(base, dirname), os.path.join(base, f"{dirname}-target", dirname)]
    for folder in folders:
        if os.path.isdir(folder):
            def read_file(name: str, folder: str = folder) -> Tuple[str, bytes]:
                path = os.path.join(folder, name)
                if not os.path.isfile(path):
                    raise missing(dataset, path, f" ({dirname}/ must hold {', '.join(files)})")
                with open(path, "rb") as f:
                    return path, f.read()
            return read_file
    archive_names = [f"{dirname}.tar.gz", f"{dirname}-target_archive",
                     f"{dataset.replace('cifar', 'cifar-')}-python.tar.gz"]
    for archive in (os.path.join(base, name) for name in archive_names):
        if os.path.isfile(archive):
            return _archive_reader(archive, dirname, files)
    raise missing(dataset, folders[0] + os.sep,
                  f"; that is the extracted directory holding {', '.join(files)}, or put the "
                  f"archive {archive_names[0]} beside it{extra}")


def _archive_reader(archive: str, dirname: str,
                    files: Sequence[str]) -> Callable[[str], Tuple[str, bytes]]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            contents = {}
            for member in tar.getmembers():
                parts = member.name.replace("\\", "/").strip("/").split("/")
                if member.isfile() and len(parts) >= 2 and parts[-2] == dirname \
                        and parts[-1] in files:
                    f = tar.extractfile(member)
                    contents[parts[-1]] = f.read() if f is not None else b""
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ValueError(f"{archive}: not a valid CIFAR archive; the file is corrupt or "
                         f"truncated ({e})") from e

    def read_member(name: str) -> Tuple[str, bytes]:
        if name not in contents:
            raise ValueError(f"{archive}: the archive has no {dirname}/{name}")
        return f"{archive}:{dirname}/{name}", contents[name]
    return read_member


def load_batch(source: str, data: bytes, label_key: str = "labels") -> Tuple[np.ndarray, List]:
    """Parses one CIFAR batch pickle, as Keras's ``cifar.load_batch``: ``(data, labels)``.

    ``data`` comes back as ``(N, 3, 32, 32)``; `source` names the file in error messages.
    """
    d = load_pickle_file(source, data, encoding="bytes")
    if not isinstance(d, dict):
        raise ValueError(f"{source}: not a CIFAR batch (a pickled {type(d).__name__}, not a dict)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{source}: not a CIFAR batch (no 'data' or {label_key!r} entry; "
                         f"keys {sorted(map(str, d))})")
    images, labels = d["data"], d[label_key]
    if not isinstance(images, np.ndarray) or images.ndim != 2 or images.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{source}: 'data' is not an (N, 3072) array")
    if len(labels) != images.shape[0]:
        raise ValueError(f"{source}: {images.shape[0]} images but {len(labels)} labels")
    return images.reshape(images.shape[0], 3, 32, 32), labels


def _to_format(x: np.ndarray) -> np.ndarray:
    if image_data_format() == "channels_last":
        x = x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x)


def load_data() -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)``, as Keras does.

    ``x`` is uint8 ``(N, 32, 32, 3)`` (``(N, 3, 32, 32)`` under ``channels_first``), ``y``
    uint8 ``(N, 1)`` with labels 0-9.

    >>> from rkeras.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    """
    files = _TRAIN_BATCHES + ("test_batch",)
    read = _batch_reader("cifar10", "cifar-10-batches-py", files, "")
    xs, ys = [], []
    for name in _TRAIN_BATCHES:
        x, y = load_batch(*read(name))
        xs.append(x)
        ys.append(np.asarray(y).astype("uint8"))
    x_train = np.concatenate(xs).astype("uint8")
    y_train = np.concatenate(ys)
    x_test, y_test = load_batch(*read("test_batch"))

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    x_train, x_test = _to_format(x_train), _to_format(x_test)
    x_test = x_test.astype(x_train.dtype)
    y_test = y_test.astype(y_train.dtype)
    return (x_train, y_train), (x_test, y_test)
