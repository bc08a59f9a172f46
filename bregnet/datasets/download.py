"""Verified downloads into the data cache: SHA-256 (and size) checks, atomic writes, mirrors.

Used for the MNIST files of paper Section 6 (see :mod:`bregnet.datasets.mnist`).  A file is
streamed into a temporary file next to its destination, its length is compared with the HTTP
``Content-Length`` and the expected size, its SHA-256 digest with the expected digest, and only then
is it moved into place with :func:`os.replace`; a failed or rejected transfer leaves nothing behind.
There is no way to download without an expected digest.

Examples
--------
>>> import hashlib
>>> sha256_bytes(b"abc")[:16]
'ba7816bf8f01cfea'
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..exceptions import BregnetInputError
from .base import ChecksumError, DownloadError

__all__ = ["sha256_file", "sha256_bytes", "download_file", "download_from_mirrors"]

_CHUNK = 1 << 16


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 digest of ``data``.

    Examples
    --------
    >>> sha256_bytes(b"")[:8]
    'e3b0c442'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    """Hex SHA-256 digest of the file at ``path``, read in chunks.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f")
    >>> _ = open(p, "wb").write(b"abc")
    >>> sha256_file(p) == sha256_bytes(b"abc")
    True
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_sha(sha256: str) -> str:
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef"
                                                               for c in sha256.lower()):
        raise BregnetInputError(f"expected SHA-256 must be 64 hex digits, got {sha256!r}")
    return sha256.lower()


def download_file(url: str, dest, *, sha256: str, size: int | None = None,
                  timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` if and only if it has the expected SHA-256 (and size).

    Parameters
    ----------
    url : str
    dest : str or Path
        Final path; parent directories are created.  Written atomically.
    sha256 : str
        Expected hex SHA-256 digest of the file (required).
    size : int, optional
        Expected size in bytes.
    timeout : float
        Socket timeout in seconds.

    Raises
    ------
    ChecksumError
        Size or digest differ (the transfer is discarded).
    DownloadError
        Network or HTTP error, or fewer bytes received than ``Content-Length`` announced.

    Examples
    --------
    >>> import tempfile, os
    >>> src = os.path.join(tempfile.mkdtemp(), "src.bin")
    >>> _ = open(src, "wb").write(b"payload")
    >>> dest = os.path.join(tempfile.mkdtemp(), "dest.bin")
    >>> p = download_file("file://" + src, dest, sha256=sha256_bytes(b"payload"))
    >>> open(p, "rb").read()
    b'payload'
    >>> download_file("file://" + src, dest + "2", sha256="0" * 64)   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.datasets.base.ChecksumError: SHA-256 mismatch for file://...src.bin: expected 000..., got ...
    >>> os.path.exists(dest + "2")
    False
    """
    expected = _check_sha(sha256)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix="." + dest.name + ".", suffix=".part")
    try:
        h, n = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    announced = resp.headers.get("Content-Length")
                    while True:
                        chunk = resp.read(_CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        h.update(chunk)
                        n += len(chunk)
            except http.client.IncompleteRead as exc:
                raise DownloadError(f"{url}: transfer cut short after {n + len(exc.partial)} "
                                    f"bytes ({exc.expected} more expected)") from exc
            except urllib.error.HTTPError as exc:
                raise DownloadError(f"{url}: HTTP error {exc.code} {exc.reason}") from exc
            except (urllib.error.URLError, socket.timeout, ConnectionError,
                    http.client.HTTPException) as exc:
                raise DownloadError(f"{url}: download failed ({exc})") from exc
            out.flush()
            os.fsync(out.fileno())
        if announced is not None and announced.isdigit() and n != int(announced):
            raise DownloadError(f"{url}: received {n} bytes, the server announced {announced}")
        if size is not None and n != size:
            raise ChecksumError(f"size mismatch for {url}: expected {size} bytes, got {n}")
        got = h.hexdigest()
        if got != expected:
            raise ChecksumError(f"SHA-256 mismatch for {url}: expected {expected}, got {got}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def download_from_mirrors(filename: str, dest, mirrors, *, sha256: str, size: int | None = None,
                          timeout: float = 60.0) -> Path:
    """Try ``mirror + filename`` for each mirror in turn until one passes :func:`download_file`.

    Raises
    ------
    DownloadError
        (or :class:`ChecksumError` if every mirror served a wrong file) listing every attempt.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "x.bin"), "wb").write(b"xyz")
    >>> p = download_from_mirrors("x.bin", os.path.join(d, "out", "x.bin"),
    ...                           ["file:///nonexistent/", "file://" + d], sha256=sha256_bytes(b"xyz"))
    >>> open(p, "rb").read()
    b'xyz'
    """
    mirrors = [mirrors] if isinstance(mirrors, str) else list(mirrors)
    if not mirrors:
        raise BregnetInputError("no mirrors given")
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            return download_file(url, dest, sha256=sha256, size=size, timeout=timeout)
        except DownloadError as exc:
            errors.append(exc)
    cls = ChecksumError if all(isinstance(e, ChecksumError) for e in errors) else DownloadError
    raise cls(f"could not download {filename} from any mirror:\n  "
              + "\n  ".join(str(e) for e in errors))
