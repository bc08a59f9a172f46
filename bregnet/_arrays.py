"""Validation of the data arrays every entry point takes: real, 2-D ``(n_samples, n)``, finite, one dtype.

Not mathematics; shared by the engine (:mod:`bregnet.solvers.engine`) and back-propagation
(:mod:`bregnet.backprop.backprop`) so that both refuse bad data with the same messages.

Examples
--------
>>> as_real_2d("X", [[1, 2, 3]], 3, np.float64).dtype
dtype('float64')
>>> as_real_2d("X", [[1, 2]], 3, np.float64)
Traceback (most recent call last):
...
bregnet.exceptions.BregnetInputError: X must have shape (n_samples, 3); got (1, 2)
"""
from __future__ import annotations

import numpy as np

from .exceptions import BregnetInputError

__all__ = ["as_real_2d", "float_dtype"]


def as_real_2d(name: str, A, n_cols: int, dtype) -> np.ndarray:
    """``A`` as a C-contiguous, writeable array of ``dtype`` with ``n_cols`` columns; BregnetInputError naming ``name``."""
    if isinstance(A, (str, bytes)) or A is None:
        raise BregnetInputError(f"{name} must be a 2-D array of real numbers; got {type(A).__name__}")
    try:
        A = np.asarray(A)
    except Exception:
        raise BregnetInputError(f"{name} must be array-like") from None
    if A.dtype == object or A.dtype.kind not in "biuf":
        raise BregnetInputError(f"{name} must be a real array; got dtype {A.dtype}")
    if A.ndim != 2 or A.shape[1] != n_cols:
        raise BregnetInputError(f"{name} must have shape (n_samples, {n_cols}); got {A.shape}")
    if A.shape[0] == 0:
        raise BregnetInputError(f"{name} has no samples")
    A = np.ascontiguousarray(A, dtype=dtype)
    if not A.flags.writeable:          # datasets hand out read-only views; the Numba kernels need writable arrays
        A = A.copy()
    if not np.all(np.isfinite(A)):
        raise BregnetInputError(f"{name} contains NaN or Inf")
    return A


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``dtype`` as ``np.dtype('float32')`` or ``np.dtype('float64')``; BregnetInputError naming ``name`` otherwise.

    >>> float_dtype("float32")
    dtype('float32')
    >>> float_dtype(int)
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: dtype must be float32 or float64; got int64
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise BregnetInputError(f"{name} must be float32 or float64; got {dtype!r}") from None
    if dt not in (np.float32, np.float64):
        raise BregnetInputError(f"{name} must be float32 or float64; got {dt}")
    return dt
