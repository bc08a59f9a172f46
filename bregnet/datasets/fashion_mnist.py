"""Fashion-MNIST (Xiao et al., 2017), the second dataset of paper Section 6 (Tables 1-2, 6.3).

The real 60,000/10,000 split is read from the four IDX files ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each plain or
``.gz``), searched for in this order:

1. the ``data_dir`` argument;
2. the directory in ``$BREGNET_FASHION_MNIST_DIR``;
3. the cache directory ``$BREGNET_DATA_DIR/fashion-mnist`` (default ``~/.cache/bregnet/fashion-mnist``);
4. ``/usr/share/datasets/fashion-mnist``, installed by the Debian/Ubuntu package
   ``dataset-fashion-mnist`` (it ships the four files gzipped).

An explicitly given directory (1 or 2) that lacks a file is an error, not skipped; a directory with
an incomplete set of files is an error too.  Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover,
3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from bregnet.datasets.idx import write_idx
>>> d = tempfile.mkdtemp()
>>> for split, n in (("train", 4), ("t10k", 2)):
...     _ = write_idx(os.path.join(d, f"{split}-images-idx3-ubyte"), np.full((n, 28, 28), 255, np.uint8))
...     _ = write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte"), np.arange(n, dtype=np.uint8))
>>> ds = load_fashion_mnist(d)
>>> ds.X_train.shape, float(ds.X_train.max()), ds.is_subset
((4, 784), 1.0, True)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._family import candidate_dirs, dataset_from_files, locate
from .base import Dataset, check_dtype, default_cache_dir

__all__ = ["load_fashion_mnist", "FASHION_MNIST_ENV", "FASHION_MNIST_SYSTEM_DIR",
           "FASHION_MNIST_CLASSES", "fashion_mnist_search_path"]

#: Environment variable naming a directory with the Fashion-MNIST IDX files.
FASHION_MNIST_ENV = "BREGNET_FASHION_MNIST_DIR"
#: Where the Debian/Ubuntu package ``dataset-fashion-mnist`` installs the files.
FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
#: Class names by label.
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")


def _how_to_get(cache) -> str:
    return (
        "To get Fashion-MNIST, either\n"
        "  * on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist   (installs "
        f"{FASHION_MNIST_SYSTEM_DIR}), or\n"
        "  * download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from "
        "https://github.com/zalandoresearch/fashion-mnist (directory data/fashion) into "
        f"{cache} , or into any directory D and pass data_dir=D (command line: --data-dir D) or "
        f"set {FASHION_MNIST_ENV}=D.")


def fashion_mnist_search_path(data_dir=None, cache_dir=None, system_dirs=(FASHION_MNIST_SYSTEM_DIR,)):
    """The directories :func:`load_fashion_mnist` searches, in order, as ``(origin, path, strict)``.

    Examples
    --------
    >>> [origin for origin, _, _ in fashion_mnist_search_path("/data/fm", "/tmp/c")]
    ['data_dir argument', 'cache directory', 'system directory']
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return candidate_dirs(data_dir, FASHION_MNIST_ENV, cache / "fashion-mnist", system_dirs)


def load_fashion_mnist(data_dir=None, *, dtype=np.float64, cache_dir=None,
                       system_dirs=(FASHION_MNIST_SYSTEM_DIR,)) -> Dataset:
    """Load the Fashion-MNIST split from IDX files, pixels scaled to [0, 1], not centred.

    Parameters
    ----------
    data_dir : str or Path, optional
        Directory holding the four IDX files; searched first (see the module docstring).
    dtype : float64 (default) or float32
    cache_dir : str or Path, optional
        Root of the data cache (default :func:`~bregnet.datasets.base.default_cache_dir`).
    system_dirs : sequence of paths
        System-wide directories searched last.

    Raises
    ------
    DatasetNotFoundError
        With the searched directories and how to get the data.
    IDXFormatError
        A file is malformed or truncated (the message names it).
    """
    dt = check_dtype(dtype)
    search = fashion_mnist_search_path(data_dir, cache_dir, system_dirs)
    cache = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "fashion-mnist"
    files, directory = locate(search, "Fashion-MNIST", _how_to_get(cache))
    return dataset_from_files(files, directory, name="fashion-mnist", title="Fashion-MNIST",
                              dtype=dt)
