"""Crash-safe writes: everything is written to a temporary file in the destination's folder,
then moved over the destination with ``os.replace`` (atomic on POSIX and Windows). A crash
mid-save leaves the previous file intact and at most a stray ``.<name>.tmp-*`` file.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
>>> with atomic_path(path) as tmp:
...     with open(tmp, "w") as f:
...         _ = f.write("done")
>>> open(path).read()
'done'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str, overwrite: bool = True) -> Iterator[str]:
    """Yields a temporary path next to `path`; on success it replaces `path`.

    On an exception the temporary file is removed and `path` is left untouched. With
    ``overwrite=False`` an existing `path` raises ``FileExistsError`` before anything is
    written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: the folder {folder!r} does not "
                                "exist.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists and overwrite=False.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if os.path.exists(path):
            with contextlib.suppress(OSError):
                os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


__all__ = ["atomic_path"]
