"""Checks that turn a truncated, corrupt or hostile file into a clear error (``ValueError``
naming the file and the problem) before any model is touched.

>>> import io
>>> open_h5(io.BytesIO(b"not hdf5"), "x.h5")
Traceback (most recent call last):
...
ValueError: x.h5: not a valid HDF5 file (truncated or corrupt?): ...
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import numpy as np

# Limits for archive members (a .keras file of a few GB of weights is fine; a zip bomb not).
MAX_MEMBER_BYTES = 1 << 34  # 16 GiB uncompressed
MAX_JSON_BYTES = 1 << 28  # 256 MiB of config / metadata JSON
MAX_COMPRESSION_RATIO = 2000
MAX_ARRAY_BYTES = 1 << 34


def require_h5py() -> Any:
    """The ``h5py`` module, or an ``ImportError`` saying how to get it."""
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a dependency
        raise ImportError("`save`/`load` of .keras and .h5 files needs h5py: "
                          "`pip install h5py`.") from err
    return h5py


def check_readable(path: Any) -> str:
    """`path` as a string, after checking that it is an existing file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise OSError(f"No file or directory found at {path}")
    if os.path.isdir(path):
        raise OSError(f"{path} is a directory; rkeras reads .keras archives and .h5 files "
                      "(the TensorFlow SavedModel format is not supported).")
    return path


def open_h5(source_obj: Any, source: str) -> Any:
    """An h5py File opened read-only on a path or file object, or a ``ValueError``."""
    h5py = require_h5py()
    try:
        return h5py.File(source_obj, "r")
    except (OSError, ValueError) as err:
        raise ValueError(f"{source}: not a valid HDF5 file (truncated or corrupt?): "
                         f"{err}") from None


def read_dataset(node: Any, source: str, path: str) -> np.ndarray:
    """The array in the h5py dataset `node`, checked to be a plain numeric array."""
    h5py = require_h5py()
    if not isinstance(node, h5py.Dataset):
        raise ValueError(f"{source}: {path} should be an array (HDF5 dataset), found "
                         f"{type(node).__name__}")
    dtype = node.dtype
    if dtype.kind not in "fiub" or dtype.fields is not None:
        raise ValueError(f"{source}: {path} holds data of type {dtype}, not numbers")
    if int(np.prod(node.shape, dtype=np.float64)) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise ValueError(f"{source}: {path} is unreasonably large ({node.shape})")
    try:
        return np.asarray(node[()])
    except (OSError, ValueError) as err:
        raise ValueError(f"{source}: cannot read {path} (truncated or corrupt?): "
                         f"{err}") from None


def open_zip(path: str) -> zipfile.ZipFile:
    """The ``.keras`` archive at `path`, after checking that it is a sound zip file."""
    try:
        archive = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ValueError(f"{path}: not a valid .keras file (a zip archive was expected; "
                         f"truncated or corrupt?): {err}") from None
    for info in archive.infolist():
        if info.file_size > MAX_MEMBER_BYTES or (
                info.compress_size and info.file_size / info.compress_size >
                MAX_COMPRESSION_RATIO and info.file_size > (1 << 24)):
            archive.close()
            raise ValueError(f"{path}: archive member {info.filename!r} is suspiciously "
                             f"large ({info.file_size} bytes uncompressed); refusing to "
                             "read it.")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, path: str, limit: int) -> bytes:
    """The bytes of archive member `name` (at most `limit`), or a ``ValueError``."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"{path}: not a valid .keras file: it has no {name} (members: "
                         f"{archive.namelist()[:20]})") from None
    if info.file_size > limit:
        raise ValueError(f"{path}: {name} is too large ({info.file_size} bytes)")
    try:
        with archive.open(info) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise ValueError(f"{path}: cannot read {name} from the archive (truncated or "
                         f"corrupt?): {err}") from None
    if len(data) > limit:
        raise ValueError(f"{path}: {name} is too large")
    return data


def member_h5(archive: zipfile.ZipFile, name: str, path: str) -> Any:
    """The HDF5 member `name` of the archive, opened read-only from memory."""
    data = read_member(archive, name, path, MAX_MEMBER_BYTES)
    return open_h5(io.BytesIO(data), f"{path} ({name})")


__all__ = ["check_readable", "member_h5", "open_h5", "open_zip", "read_dataset",
           "read_member", "require_h5py"]
