"""scikit-learn's bundled 8x8 digits: the embedded default dataset, nothing to download.

Not one of the paper's datasets (Section 6 uses 28x28 MNIST and Fashion-MNIST); it is the small
offline stand-in for demos and tests: 1,797 images of 8x8 pixels with values 0..16 (the UCI
"Optical Recognition of Handwritten Digits" test set, shipped inside scikit-learn), scaled here to
[0, 1] by ``x / 16`` and split by seed into 1,437 training and 360 test images.

Examples
--------
>>> ds = load_digits_dataset(seed=0)
>>> ds.n_train, ds.n_test, ds.n_features, ds.image_shape
(1437, 360, 64, (8, 8))
>>> float(ds.X_train.min()), float(ds.X_train.max())
(0.0, 1.0)
"""
from __future__ import annotations

import numpy as np

from ..exceptions import BregnetInputError
from .base import Dataset, check_dtype
from .preprocessing import _rng, scale_to_unit

__all__ = ["load_digits_dataset", "DIGITS_N_TEST", "DIGITS_LABEL"]

#: Test images in the default split (about 20% of 1,797).
DIGITS_N_TEST = 360
#: Human label of this dataset.
DIGITS_LABEL = "digits (scikit-learn 8x8)"


def load_digits_dataset(*, n_test: int = DIGITS_N_TEST, seed=0, dtype=np.float64) -> Dataset:
    """Load scikit-learn's 8x8 digits, split by seed, pixels scaled to [0, 1], not centred.

    Parameters
    ----------
    n_test : int
        Size of the test split (default 360); the rest is the training split.
    seed : int, None or numpy.random.Generator
        Seed of the random split.
    dtype : float64 (default) or float32

    Examples
    --------
    >>> a, b = load_digits_dataset(seed=1), load_digits_dataset(seed=1)
    >>> bool(np.array_equal(a.X_test, b.X_test)), a.dtype
    (True, dtype('float64'))
    >>> load_digits_dataset(dtype="float32").X_train.dtype
    dtype('float32')
    """
    from sklearn.datasets import load_digits

    dt = check_dtype(dtype)
    bunch = load_digits()
    X, y = np.asarray(bunch.data), np.asarray(bunch.target, dtype=np.int64)
    n = X.shape[0]
    if isinstance(n_test, (bool, np.bool_)) or not isinstance(n_test, (int, np.integer)) \
            or not 1 <= n_test < n:
        raise BregnetInputError(f"n_test must be an int in 1..{n - 1}, got {n_test!r}")
    perm = _rng(seed).permutation(n)
    te, tr = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    seed_txt = "Generator" if isinstance(seed, np.random.Generator) else f"seed {seed!r}"
    desc = (f"{DIGITS_LABEL}: {n:,} images of 8x8 pixels bundled with scikit-learn (not MNIST); "
            f"random split {n - n_test:,} train / {n_test:,} test ({seed_txt}); "
            "pixels scaled to [0, 1] (x / 16)")
    return Dataset(
        X_train=scale_to_unit(X[tr], 16.0, dt), y_train=y[tr],
        X_test=scale_to_unit(X[te], 16.0, dt), y_test=y[te],
        name="digits", label="digits", description=desc, is_subset=False, n_classes=10,
        image_shape=(8, 8), source="sklearn.datasets.load_digits", scale=16.0,
        history=(f"random split {n - n_test}/{n_test} ({seed_txt})",
                 "scaled to [0, 1] (x / 16)"))
