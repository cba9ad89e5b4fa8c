"""Reading the pickled parts of Keras's dataset files without letting a pickle run code.

Keras's CIFAR batches are Python pickles and the IMDB / Reuters ``.npz`` files hold ragged
``dtype=object`` arrays, which NumPy can only store as a pickle stream. rkeras never unpickles
with the standard, unrestricted machinery: :class:`SafeUnpickler` resolves only the few globals
needed to rebuild plain data (NumPy arrays, dtypes and scalars, and builtin containers) and
refuses everything else (``os.system``, ``builtins.eval``, ``subprocess.Popen``...) with a
:class:`pickle.UnpicklingError` naming the refused global.

>>> import pickle
>>> from rkeras.datasets._safe_pickle import loads
>>> loads(pickle.dumps({"labels": [3, 1, 4]}))
{'labels': [3, 1, 4]}
>>> loads(pickle.dumps(print))
Traceback (most recent call last):
    ...
rkeras.datasets._safe_pickle.RefusedGlobalError: refusing to unpickle the global builtins.print: ...
"""

from __future__ import annotations

import _compat_pickle
import io
import os
import pickle
import zipfile
import zlib
from typing import Any, Dict, Sequence

import numpy as np

if int(np.__version__.split(".")[0]) >= 2:
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
else:  # pragma: no cover - NumPy 1.x
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric


def _latin1_encode(text: Any, encoding: Any = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3 protocol-2 pickles use it for ``bytes``: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise RefusedGlobalError(
            f"refusing _codecs.encode({type(text).__name__}, {encoding!r}): only the latin-1 "
            "encoding of a str, as pickle writes bytes, is allowed"
        )
    return text.encode("latin1")


def _allowed() -> Dict[tuple, Any]:
    table: Dict[tuple, Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for package in ("numpy.core", "numpy._core"):
        table[(f"{package}.multiarray", "_reconstruct")] = _multiarray._reconstruct
        table[(f"{package}.multiarray", "scalar")] = _multiarray.scalar
        table[(f"{package}.numeric", "_frombuffer")] = _numeric._frombuffer
    for kind in (list, dict, tuple, set, frozenset, str, bytes, bytearray, int, float, complex,
                 bool):
        table[("builtins", kind.__name__)] = kind
    return table


#: ``(module, name)`` -> the object it resolves to; nothing outside this table is ever imported.
ALLOWED_GLOBALS = _allowed()


class RefusedGlobalError(pickle.UnpicklingError):
    """Raised when a pickle names a global outside :data:`ALLOWED_GLOBALS`."""


class SafeUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` that resolves only :data:`ALLOWED_GLOBALS`.

    Any other global (the way a pickle reaches code such as ``os.system``) raises
    :class:`RefusedGlobalError`, a :class:`pickle.UnpicklingError`, before anything is
    imported or called.
    """

    def find_class(self, module: str, name: str) -> Any:
        """Returns the allowed object for ``module.name``; refuses every other global."""
        key = (module, name)
        # Python 2 pickles (such as the original CIFAR batches) use Python 2 module names; the
        # mapping only renames, and the renamed global must still be in the table.
        if key in _compat_pickle.NAME_MAPPING:
            key = _compat_pickle.NAME_MAPPING[key]
        elif module in _compat_pickle.IMPORT_MAPPING:
            key = (_compat_pickle.IMPORT_MAPPING[module], name)
        if key in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[key]
        raise RefusedGlobalError(
            f"refusing to unpickle the global {module}.{name}: rkeras only rebuilds plain data "
            "(NumPy arrays and builtin containers) from dataset files; the file may be corrupt "
            "or malicious"
        )


def loads(data: bytes, *, encoding: str = "ASCII") -> Any:
    """Unpickles `data` with :class:`SafeUnpickler` (``encoding`` as for :func:`pickle.loads`)."""
    return SafeUnpickler(io.BytesIO(data), encoding=encoding).load()


def load_pickle_file(path: str, data: bytes, *, encoding: str = "ASCII") -> Any:
    """Safely unpickles `data` read from `path`.

    A refused global re-raises as :class:`RefusedGlobalError` naming `path`; a truncated or
    corrupt stream raises :class:`ValueError` naming `path`.
    """
    try:
        return loads(data, encoding=encoding)
    except RefusedGlobalError as e:
        raise RefusedGlobalError(f"{path}: {e}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            AttributeError, UnicodeDecodeError, MemoryError) as e:
        raise ValueError(f"{path}: corrupt or truncated pickle data ({type(e).__name__}: {e})"
                         ) from e


def _read_npy(path: str, member: str, raw: bytes) -> np.ndarray:
    fp = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):
            # Format 3.0 only differs from 2.0 in the header's text encoding (utf-8 vs latin-1);
            # the length field is laid out the same.
            shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except ValueError as e:
        raise ValueError(f"{path}: member {member} is not a valid .npy array ({e})") from e
    if not dtype.hasobject:
        try:
            return np.load(io.BytesIO(raw), allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise ValueError(f"{path}: member {member} is corrupt or truncated ({e})") from e
    array = load_pickle_file(f"{path}:{member}", raw[fp.tell():], encoding="latin1")
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != shape:
        raise ValueError(
            f"{path}: member {member} holds {type(array).__name__} "
            f"{getattr(array, 'dtype', '')}{getattr(array, 'shape', '')}, "
            f"not the {dtype}{shape} array its header announces"
        )
    return array


def load_npz_object_arrays(path: str, keys: Sequence[str]) -> Dict[str, np.ndarray]:
    """Reads the arrays `keys` from the ``.npz`` archive `path` without unrestricted pickle.

    Numeric arrays are read by ``np.load(..., allow_pickle=False)``; ``dtype=object`` arrays
    are rebuilt from their pickle stream by :class:`SafeUnpickler`. A missing key, a corrupt or
    truncated archive raises :class:`ValueError` naming `path`; a pickle naming a global
    outside :data:`ALLOWED_GLOBALS` raises :class:`RefusedGlobalError`.
    """
    name = os.path.basename(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            raws = {}
            for key in keys:
                member = f"{key}.npy"
                if member not in members:
                    raise ValueError(f"{path}: no array {key!r} in this archive (it holds "
                                     f"{sorted(m[:-4] for m in members if m.endswith('.npy'))}); "
                                     f"is it Keras's {name}?")
                raws[key] = archive.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a valid .npz archive; the file is corrupt or truncated "
                         f"({e})") from e
    return {key: _read_npy(path, f"{key}.npy", raw) for key, raw in raws.items()}
