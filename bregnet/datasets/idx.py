"""IDX files, the storage format of MNIST and Fashion-MNIST (the datasets of paper Section 6).

An IDX file is a 4-byte magic number ``00 00 TT NN`` (``TT`` the element type code, ``NN`` the
number of dimensions), ``NN`` big-endian unsigned 32-bit dimension sizes, then the elements in
row-major (C) order, big-endian.  Type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64.  Files may be gzip-compressed (recognised by
the gzip magic bytes, not by the file name).

The reader validates everything and raises :class:`~bregnet.datasets.base.IDXFormatError` naming
the file for a wrong magic prefix, an unknown type code, a zero dimension count, a truncated header,
a payload shorter or longer than the header announces, a broken gzip stream, or non-finite floats.

Examples
--------
>>> import numpy as np, tempfile, os
>>> d = tempfile.mkdtemp()
>>> a = np.arange(6, dtype=np.uint8).reshape(2, 3)
>>> p = write_idx(os.path.join(d, "a-idx2-ubyte.gz"), a)
>>> read_idx(p).tolist()
[[0, 1, 2], [3, 4, 5]]
"""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from os import PathLike
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes
from .base import IDXFormatError

__all__ = ["read_idx", "write_idx", "read_idx_header", "IDX_DTYPES", "IDX_SPLIT_FILES",
           "find_idx_split", "read_idx_split"]

#: IDX element type codes and their (big-endian) NumPy dtypes.
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}

#: The four files of an MNIST-family split (each optionally with a ``.gz`` suffix).
IDX_SPLIT_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_GZIP_MAGIC = b"\x1f\x8b"


def _idx_path(path) -> Path:
    """``path`` as a Path to read: TypeError for what is not a path, IDXFormatError for a directory (``open`` raised
    IsADirectoryError)."""
    if not isinstance(path, (str, bytes, PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike); got {type(path).__name__}")
    path = Path(path.decode() if isinstance(path, bytes) else path)
    if path.is_dir():
        raise IDXFormatError(f"{path}: is a directory, not an IDX file")
    return path


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head != _GZIP_MAGIC:
            return fh.read()
        try:
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                return gz.read()
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise IDXFormatError(f"{path}: corrupt or truncated gzip stream ({exc})") from exc


def _parse_header(data: bytes, path) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(data) < 4:
        raise IDXFormatError(f"{path}: too short for an IDX header ({len(data)} bytes, need >= 4)")
    if data[0:2] != b"\x00\x00":
        raise IDXFormatError(f"{path}: wrong IDX magic number 0x{data[0:4].hex()} (the first two "
                             "bytes must be zero; is this an IDX file?)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise IDXFormatError(f"{path}: unknown IDX data type code 0x{code:02x} (magic "
                             f"0x{data[0:4].hex()}); known codes: "
                             + ", ".join(f"0x{c:02x}" for c in IDX_DTYPES))
    if ndim == 0:
        raise IDXFormatError(f"{path}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(f"{path}: truncated IDX header ({len(data)} bytes; {ndim} dimensions "
                             f"need {header_len})")
    dims = struct.unpack(">" + "I" * ndim, data[4:header_len])
    return IDX_DTYPES[code], tuple(int(d) for d in dims), header_len


def read_idx_header(path) -> tuple[np.dtype, tuple[int, ...]]:
    """Return ``(dtype, shape)`` declared by the header of the IDX file at ``path``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> p = write_idx(os.path.join(tempfile.mkdtemp(), "x.idx"), np.zeros((4, 2), np.float32))
    >>> read_idx_header(p)
    (dtype('float32'), (4, 2))
    """
    path = _idx_path(path)
    dtype, dims, _ = _parse_header(_read_bytes(path), path)
    return dtype.newbyteorder("="), dims


def read_idx(path, *, dtype=None, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a native-byte-order array.

    Parameters
    ----------
    path : str or Path
    dtype : optional
        Required element type (e.g. ``np.uint8`` for MNIST); a different type code is an error.
    ndim : int, optional
        Required number of dimensions (3 for images, 1 for labels).

    Raises
    ------
    IDXFormatError
        Wrong magic, unknown type code, wrong type or rank, truncated header or payload, trailing
        bytes, corrupt gzip stream, NaN/inf in a float file.  The message names the file.
    FileNotFoundError
        The file does not exist.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "bad-idx1-ubyte")
    >>> _ = open(p, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))   # says 5, holds 2
    >>> read_idx(p)                                       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.datasets.base.IDXFormatError: ...bad-idx1-ubyte: truncated IDX payload: 2 bytes ...
    """
    path = _idx_path(path)
    data = _read_bytes(path)
    be_dtype, dims, header_len = _parse_header(data, path)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be a numpy dtype such as np.uint8 or None; got {dtype!r}") from None
    if ndim is not None and len(dims) != ndim:
        raise IDXFormatError(f"{path}: expected a {ndim}-dimensional IDX array, the header declares "
                             f"{len(dims)} dimensions {dims}")
    if dtype is not None and np.dtype(dtype).newbyteorder("=") != be_dtype.newbyteorder("="):
        raise IDXFormatError(f"{path}: expected IDX element type {np.dtype(dtype)}, the header "
                             f"declares {be_dtype.newbyteorder('=')}")
    expected = math.prod(dims) * be_dtype.itemsize             # Python ints: np.prod overflowed int64
    got = len(data) - header_len
    if got < expected:
        raise IDXFormatError(f"{path}: truncated IDX payload: {got} bytes after the header, the "
                             f"header (shape {dims}, {be_dtype.newbyteorder('=')}) requires {expected}")
    if got > expected:
        raise IDXFormatError(f"{path}: {got - expected} unexpected trailing bytes after the IDX "
                             f"payload (shape {dims}, {be_dtype.newbyteorder('=')}, {expected} bytes)")
    arr = np.frombuffer(data, dtype=be_dtype, offset=header_len, count=expected // be_dtype.itemsize)
    arr = arr.astype(be_dtype.newbyteorder("="), copy=True).reshape(dims)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise IDXFormatError(f"{path}: IDX payload contains {bad} non-finite value(s) (NaN or inf)")
    return arr


def write_idx(path, array, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically (temporary file + :func:`os.replace`).

    Parameters
    ----------
    path : str or Path
    array : array_like
        uint8, int8, int16, int32, float32 or float64, at least 1-D, each dimension < 2**32.
    compress : bool, optional
        gzip the file; default: iff ``path`` ends with ``.gz``.  The gzip header carries no time
        stamp, so equal arrays give byte-identical files.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> p = write_idx(os.path.join(tempfile.mkdtemp(), "l-idx1-ubyte"), np.array([7, 2], np.uint8))
    >>> open(p, "rb").read().hex()
    '00000801000000020702'
    """
    path = Path(path)
    a = np.asarray(array)
    native = a.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(f"IDX cannot store dtype {a.dtype}; use one of "
                        + ", ".join(str(d.newbyteorder("=")) for d in IDX_DTYPES.values()))
    if a.ndim < 1 or a.ndim > 255:
        raise ValueError(f"IDX arrays need 1 to 255 dimensions, got {a.ndim}")
    if any(s >= 2**32 for s in a.shape):
        raise ValueError(f"IDX dimension sizes must be < 2**32, got {a.shape}")
    code = _CODES[native]
    header = bytes([0, 0, code, a.ndim]) + struct.pack(">" + "I" * a.ndim, *a.shape)
    payload = np.ascontiguousarray(a, dtype=IDX_DTYPES[code]).tobytes()
    data = header + payload
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
    return path


def find_idx_split(directory) -> tuple[dict[str, Path] | None, list[str]]:
    """Locate the four MNIST-family IDX files in ``directory``.

    Each file may be plain or gzipped (``name`` is preferred over ``name.gz`` when both exist).

    Returns
    -------
    files : dict or None
        ``{"train_images": Path, ...}`` when all four are present, else None.
    missing : list of str
        Base names of the missing files (empty when complete).

    Examples
    --------
    >>> import tempfile
    >>> files, missing = find_idx_split(tempfile.mkdtemp())
    >>> files is None, missing[0]
    (True, 'train-images-idx3-ubyte[.gz]')
    """
    directory = Path(directory)
    found, missing = {}, []
    for key, base in IDX_SPLIT_FILES.items():
        for candidate in (directory / base, directory / (base + ".gz")):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(base + "[.gz]")
    return (found if not missing else None), missing


def _read_pair(images_path: Path, labels_path: Path, n_classes: int):
    X = read_idx(images_path, dtype=np.uint8, ndim=3)
    y = read_idx(labels_path, dtype=np.uint8, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise IDXFormatError(f"{images_path} holds {X.shape[0]} images but {labels_path} holds "
                             f"{y.shape[0]} labels")
    if y.size and int(y.max()) >= n_classes:
        bad = int(np.count_nonzero(y >= n_classes))
        raise IDXFormatError(f"{labels_path}: {bad} label(s) outside 0..{n_classes - 1} "
                             f"(max {int(y.max())})")
    return X, y


def read_idx_split(files: dict, n_classes: int = 10):
    """Read the four files of :func:`find_idx_split` into raw uint8 images and int64 labels.

    Images must be 3-D uint8 (``n x rows x cols``), labels 1-D uint8 in ``0..n_classes-1``, with
    equal counts per pair and equal image sizes in both splits.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        ``X`` of shape ``(n, rows, cols)`` uint8, ``y`` int64.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for split, n in (("train", 3), ("t10k", 2)):
    ...     _ = write_idx(os.path.join(d, f"{split}-images-idx3-ubyte.gz"), np.zeros((n, 2, 2), np.uint8))
    ...     _ = write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz"), np.arange(n, dtype=np.uint8))
    >>> Xtr, ytr, Xte, yte = read_idx_split(find_idx_split(d)[0])
    >>> Xtr.shape, yte.tolist()
    ((3, 2, 2), [0, 1])
    """
    X_train, y_train = _read_pair(files["train_images"], files["train_labels"], n_classes)
    X_test, y_test = _read_pair(files["test_images"], files["test_labels"], n_classes)
    if X_train.shape[1:] != X_test.shape[1:]:
        raise IDXFormatError(f"image sizes differ: {files['train_images']} has {X_train.shape[1:]}, "
                             f"{files['test_images']} has {X_test.shape[1:]}")
    return X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64)
