"""Atomic file writes: a temporary file in the target directory, flushed to disk, then :func:`os.replace`.

A reader (or a run resumed after a crash) sees either the old file or the complete new one, never a
partly written file.  Used for checkpoints (:mod:`bregnet.solvers`, :mod:`bregnet.training`), result
files (:mod:`bregnet.cli`) and data caches (:mod:`bregnet.datasets`).
"""
from __future__ import annotations

import errno
import io
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_savez"]


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; create the parent directory if needed.

    The file gets mode ``0o644`` (a temporary file from :func:`tempfile.mkstemp` would be ``0o600``).
    A failure (or an interrupt) leaves ``path`` as it was and removes the temporary file.

    Examples
    --------
    >>> import os, tempfile
    >>> p = atomic_write_bytes(os.path.join(tempfile.mkdtemp(), "sub", "f.bin"), b"abc")
    >>> p.read_bytes()
    b'abc'
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "cannot write a file over a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_savez(path, arrays: dict) -> Path:
    """:func:`numpy.savez` of ``arrays`` (name -> array) to ``path``, atomically (no pickles needed to read it).

    Examples
    --------
    >>> import os, tempfile
    >>> p = atomic_savez(os.path.join(tempfile.mkdtemp(), "c.npz"), {"W0": np.eye(2)})
    >>> with np.load(p) as z:
    ...     z["W0"].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())
