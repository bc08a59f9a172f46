r"""The preprocessing of paper Section 6: scaling, centring, subsets, one-hot labels, noise.

Section 6 "pre-process[es] the data by centring the images and by converting the labels to one-hot
vector encodings"; Sections 6.2 and 6.3 train on random subsets of 1,000 and 10,000 training
images (MNIST-1K, Fashion-MNIST-1K/-10K) and validate on all 10,000 test images; the denoising
autoencoder (27) adds "Gaussian random variables with mean zero and standard deviation
:math:`10^{-3}`" to each pixel.

Order matters and is enforced: draw a subset first, then centre with the mean of the training
images actually used (:func:`subset` refuses centred data), and subtract that same mean from the
test images.  Every step is appended to :attr:`Dataset.history` and to the description.

Examples
--------
>>> from bregnet.datasets import load
>>> ds = centre(subset(load("digits"), n_train=100, seed=0))
>>> ds.n_train, ds.centred, bool(abs(ds.X_train.mean(axis=0)).max() < 1e-12)
(100, True, True)
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..exceptions import BregnetInputError
from .base import Dataset, check_dtype, check_finite, one_hot

__all__ = ["PAPER_NOISE_STD", "PAPER_SUBSET_SIZES", "scale_to_unit", "centre", "subset",
           "add_gaussian_noise", "denoising_inputs", "astype", "one_hot"]

#: Standard deviation of the pixel noise of the denoising experiments, Section 6.3 (as printed).
PAPER_NOISE_STD = 1e-3
#: Training subset sizes of Sections 6.2 and 6.3 (MNIST-1K, Fashion-MNIST-1K and -10K).
PAPER_SUBSET_SIZES = (1000, 10000)


def _rng(seed):
    """A Generator from an int, a sequence of ints (SeedSequence entropy), None or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    def _ok(s):
        return isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) and s >= 0

    ok = seed is None or _ok(seed)
    if isinstance(seed, (list, tuple)):
        ok = len(seed) > 0 and all(_ok(s) for s in seed)
    if not ok:
        raise BregnetInputError(f"seed must be an int >= 0, a list of them, None or a numpy Generator, "
                                f"got {seed!r}")
    return np.random.default_rng(seed)


def scale_to_unit(X, scale: float = 255.0, dtype=np.float64) -> np.ndarray:
    r"""Map raw pixel values in :math:`[0, \text{scale}]` to :math:`[0, 1]`: ``X / scale``.

    Parameters
    ----------
    X : array_like
        Raw pixels (uint8 for MNIST-family images, 0..16 for scikit-learn's digits).
    scale : float
        The raw value of a white pixel (255 for 8-bit images).
    dtype : float64 (default) or float32

    Raises
    ------
    BregnetInputError
        Negative values, values above ``scale`` or non-finite values.

    Examples
    --------
    >>> scale_to_unit(np.array([0, 51, 255], np.uint8)).tolist()
    [0.0, 0.2, 1.0]
    >>> scale_to_unit([17.0], scale=16)
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: pixel values must lie in [0, 16.0], got [17.0, 17.0]
    """
    dt = check_dtype(dtype)
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise BregnetInputError(f"pixel values must be a real array, got dtype {X.dtype}")
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not (np.isfinite(scale) and scale > 0):
        raise BregnetInputError(f"scale must be finite and > 0, got {scale!r}")
    check_finite(X, "raw pixels")
    if X.size and (X.min() < 0 or X.max() > scale):
        raise BregnetInputError(f"pixel values must lie in [0, {float(scale)}], got "
                                f"[{float(X.min())}, {float(X.max())}]")
    out = X.astype(dt, copy=True)
    out /= dt.type(scale)
    return out


def _replace(ds: Dataset, step: str, **changes) -> Dataset:
    return dataclasses.replace(ds, description=f"{ds.description}; {step}",
                               history=ds.history + (step,), **changes)


def centre(ds: Dataset) -> Dataset:
    r"""Subtract the training mean image from the training and the test images.

    .. math:: \bar x = \tfrac1s \textstyle\sum_{i=1}^s x^i_{\text{train}},\qquad
              x \mapsto x - \bar x \quad\text{(train and test alike)}.

    The mean is accumulated in float64 and stored as :attr:`Dataset.train_mean`; centring twice is
    an error (it would silently be a no-op otherwise).

    Examples
    --------
    >>> from bregnet.datasets import load
    >>> raw = load("digits")
    >>> ds = centre(raw)
    >>> bool(np.allclose(ds.X_test + ds.train_mean, raw.X_test))
    True
    """
    if ds.centred:
        raise BregnetInputError(f"{ds.label} is already centred")
    if ds.n_train == 0:
        raise BregnetInputError("cannot centre a dataset without training images")
    dt = ds.dtype
    mean = ds.X_train.mean(axis=0, dtype=np.float64).astype(dt)
    Xtr = ds.X_train.astype(dt, copy=True)
    Xtr -= mean
    Xte = ds.X_test.astype(dt, copy=True)
    Xte -= mean
    return _replace(ds, "centred (training mean image subtracted from train and test)",
                    X_train=Xtr, X_test=Xte, train_mean=mean)


def _size_label(n: int) -> str:
    return f"{n // 1000}K" if n % 1000 == 0 and n >= 1000 else str(n)


def subset(ds: Dataset, n_train: int | None = None, n_test: int | None = None, seed=0) -> Dataset:
    """Draw ``n_train`` training and ``n_test`` test samples uniformly without replacement.

    Sections 6.2/6.3: "We choose s = 1,000 images from the MNIST dataset at random and use it as our
    training dataset and use all 10,000 images from the validation dataset for validation."
    ``None`` keeps a split whole.  The chosen indices are sorted, so the samples keep their original
    order.  The label becomes e.g. ``"MNIST-1K"`` and :attr:`Dataset.is_subset` is set.

    Parameters
    ----------
    ds : Dataset
        Not centred (subset first, then :func:`centre`, so the mean is that of the subset).
    n_train, n_test : int or None
    seed : int, None or numpy.random.Generator
        Test indices are drawn after training indices from the same generator.

    Examples
    --------
    >>> from bregnet.datasets import load
    >>> ds = subset(load("digits"), n_train=1000, seed=1)
    >>> ds.label, ds.n_train, ds.is_subset
    ('digits-1K', 1000, True)
    >>> bool(np.array_equal(ds.X_train, subset(load("digits"), 1000, seed=1).X_train))
    True
    """
    if ds.centred:
        raise BregnetInputError("subset() must come before centre(): the centring mean must be "
                                "the mean of the training images actually used")
    rng = _rng(seed)
    changes, steps = {}, []
    for part, n in (("train", n_train), ("test", n_test)):
        if n is None:
            continue
        total = getattr(ds, "n_" + part)
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise BregnetInputError(f"n_{part} must be an int or None, got {n!r}")
        if not 1 <= n <= total:
            raise BregnetInputError(f"n_{part} must lie in 1..{total} for {ds.label}, got {n}")
        idx = np.sort(rng.choice(total, size=int(n), replace=False))
        changes["X_" + part] = np.array(getattr(ds, "X_" + part)[idx])
        changes["y_" + part] = np.array(getattr(ds, "y_" + part)[idx])
        steps.append(f"random {n:,} of {total:,} {part} samples (seed {seed!r})"
                     if not isinstance(seed, np.random.Generator)
                     else f"random {n:,} of {total:,} {part} samples (Generator)")
    if not steps:
        return ds
    label = ds.label
    if n_train is not None:
        size = _size_label(int(n_train))
        label = f"{ds.label}, {size} train" if " " in ds.label else f"{ds.label}-{size}"
    out = ds
    for i, step in enumerate(steps):
        out = _replace(out, step, **(changes if i == 0 else {}))
    return dataclasses.replace(out, label=label, is_subset=True)


def add_gaussian_noise(X, std: float = PAPER_NOISE_STD, seed=0) -> np.ndarray:
    r"""Return ``X + std * N(0, 1)`` elementwise (a new array, same dtype): the noisy images of (27).

    Section 6.3 uses ``std = 1e-3`` (:data:`PAPER_NOISE_STD`, as printed); ``std = 0`` returns an
    unchanged copy.  The noise is drawn in float64 and added before casting to ``X``'s dtype.

    Examples
    --------
    >>> X = np.zeros((2000, 50))
    >>> Xn = add_gaussian_noise(X, std=1e-3, seed=0)
    >>> bool(abs(Xn.std() - 1e-3) < 2e-5), Xn.dtype == X.dtype
    (True, True)
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        raise BregnetInputError(f"add_gaussian_noise expects floating images, got {X.dtype}")
    if isinstance(std, (bool, np.bool_)) or not isinstance(std, (int, float, np.integer, np.floating)) \
            or not (np.isfinite(std) and std >= 0):
        raise BregnetInputError(f"noise std must be finite and >= 0, got {std!r}")
    std = float(std)
    noise = _rng(seed).standard_normal(X.shape)
    return (X + std * noise).astype(X.dtype)


def denoising_inputs(ds: Dataset, std: float = PAPER_NOISE_STD, seed=0):
    """Noisy copies ``(X_train_noisy, X_test_noisy)`` of a dataset's images for problem (27).

    Train and test noise come from one generator (train first), so they are independent.

    Examples
    --------
    >>> from bregnet.datasets import load
    >>> ds = load("digits")
    >>> Xtr, Xte = denoising_inputs(ds, seed=3)
    >>> Xtr.shape == ds.X_train.shape, bool(abs(Xte - ds.X_test).max() < 1e-2)
    (True, True)
    """
    rng = _rng(seed)
    return add_gaussian_noise(ds.X_train, std, rng), add_gaussian_noise(ds.X_test, std, rng)


def astype(ds: Dataset, dtype) -> Dataset:
    """The dataset with images (and the stored mean) cast to float64 or float32.

    Examples
    --------
    >>> from bregnet.datasets import load
    >>> astype(load("digits"), "float32").dtype
    dtype('float32')
    """
    dt = check_dtype(dtype)
    if dt == ds.dtype:
        return ds
    mean = None if ds.train_mean is None else ds.train_mean.astype(dt)
    return _replace(ds, f"cast to {dt}", X_train=ds.X_train.astype(dt),
                    X_test=ds.X_test.astype(dt), train_mean=mean)
