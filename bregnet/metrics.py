r"""Evaluation metrics of the paper's experiments (Section 6; Table 1, Table 2, Figures 3, 6-8).

* :func:`accuracy`: classification accuracy by argmax (Table 1);
* :func:`linear_activation_rate`: Table 2's share of hidden pre-activations that "act linearly",
  :math:`z = \max(z, 0)`, i.e. :math:`z\ge0`, per hidden layer;
* :func:`code_sparsity`: share of exact zeros in a code (Figures 3, 6-8, right);
* :func:`mean_squared_error`, :func:`sparse_autoencoder_objective`: the training objective
  "MSE + :math:`\alpha\|\text{code}\|_1`" of (26)/(27) and the validation MSE (Figures 3, 6-8, left);
* :func:`psnr`: peak signal-to-noise ratio for denoising (an extra, not in the paper);
* :func:`hidden_activations`: the activations :math:`x_l` of a network on data.

The MSE follows the paper's loss, :math:`\frac1s\sum_i\tfrac12\|y^i-\hat y^i\|^2` (a Bregman
loss (12) with :math:`\Psi\equiv0`, Section 6.1), not the per-entry mean of other libraries; use
``per="entry"`` for :math:`\frac1{sn}\sum_{i,j}(y^i_j-\hat y^i_j)^2`.
"""
from __future__ import annotations

import numpy as np

from .exceptions import BregnetInputError
from .network import Network

__all__ = ["accuracy", "linear_activation_rate", "linear_activation_rate_from_preactivations", "code_sparsity",
           "hidden_activations", "mean_squared_error", "sparse_autoencoder_objective", "psnr"]


def _real_array(name, a, ndim=None):
    if a is None or isinstance(a, (str, bytes)):
        raise BregnetInputError(f"{name} must be a real array; got {type(a).__name__}")
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise BregnetInputError(f"{name} must be a real array; got dtype {arr.dtype}")
    if ndim is not None and arr.ndim not in ndim:
        raise BregnetInputError(f"{name} must have {' or '.join(str(n) for n in ndim)} dimension(s); got shape {arr.shape}")
    if arr.size == 0:
        raise BregnetInputError(f"{name} is empty")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise BregnetInputError(f"{name} contains NaN or Inf")
    return arr


def _labels(name, a):
    arr = _real_array(name, a, ndim=(1, 2))
    if arr.ndim == 2:
        if arr.shape[1] < 2:
            raise BregnetInputError(f"{name} given as scores/one-hot must have at least 2 columns; got {arr.shape}")
        return np.argmax(arr, axis=1)
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise BregnetInputError(f"{name} given as 1-D labels must be integers")
    return arr.astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    r"""Share of samples whose predicted class equals the true class.

    Each argument is either integer labels, shape ``(s,)``, or one-hot rows / scores, shape
    ``(s, c)``, converted by ``argmax`` over the last axis (ties: the first maximum).

    Examples
    --------
    >>> accuracy([0, 1, 2, 1], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    0.75
    """
    t, p = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if t.shape != p.shape:
        raise BregnetInputError(f"y_true and y_pred must describe the same number of samples; got {t.shape[0]} and {p.shape[0]}")
    return float(np.mean(t == p))


def linear_activation_rate_from_preactivations(zs) -> np.ndarray:
    r"""Table 2 measure from pre-activations: for each array :math:`Z_l`, the share of entries with :math:`z\ge0`.

    :math:`z = \max(z, 0)` holds exactly when :math:`z\ge0` (the unit acts linearly on that sample).

    Examples
    --------
    >>> linear_activation_rate_from_preactivations([[[1.0, -1.0], [0.0, 2.0]]]).tolist()
    [0.75]
    """
    if isinstance(zs, np.ndarray) and zs.ndim == 2:
        zs = [zs]
    out = []
    for l, z in enumerate(zs, start=1):
        z = _real_array(f"zs[{l - 1}]", z, ndim=(2,))
        out.append(float(np.mean(z >= 0)))
    if not out:
        raise BregnetInputError("zs must list at least one pre-activation array")
    return np.array(out)


def _check_network(network):
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")


def _check_inputs(network, X):
    X = _real_array("X", X, ndim=(2,))
    if X.shape[1] != network.layer_sizes[0]:
        raise BregnetInputError(f"X must have shape (n_samples, {network.layer_sizes[0]}); got {X.shape}")
    return X


def linear_activation_rate(network: Network, X) -> np.ndarray:
    r"""Table 2: per hidden layer :math:`l=1,\dots,L-1`, the share of pre-activations :math:`z_l^i` (over samples and units) with :math:`z = \max(z,0)`.

    The pre-activations are those of the forward network (1) on ``X``.  A ReLU network whose rate is
    1 on the data is affine on the data (Section 2.3.2, eq. (8)).

    Returns
    -------
    ndarray, shape (L-1,)

    Examples
    --------
    >>> W1 = np.array([[1.0, -1.0]]); W2 = np.array([[1.0], [1.0]])
    >>> net = Network((W1, W2), (np.zeros(2), np.zeros(1)), ("relu", "identity"))
    >>> linear_activation_rate(net, [[1.0], [2.0]]).tolist()   # unit 1 always >= 0, unit 2 never
    [0.5]
    """
    _check_network(network)
    if network.n_layers < 2:
        raise BregnetInputError("the linear-activation rate needs at least one hidden layer (L >= 2)")
    X = _check_inputs(network, X)
    with np.errstate(over="ignore", invalid="ignore"):
        zs, _ = network.forward_all(X)
    return linear_activation_rate_from_preactivations(zs[:-1])


def hidden_activations(network: Network, X, layer: int) -> np.ndarray:
    r"""The activations :math:`X_l = \sigma_l(Z_l)` of layer ``layer`` (:math:`1\le l\le L`) on ``X``.

    Examples
    --------
    >>> net = Network((np.array([[1.0, -1.0]]),), (np.zeros(2),), ("relu",))
    >>> hidden_activations(net, [[2.0]], 1).tolist()
    [[2.0, 0.0]]
    """
    _check_network(network)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= network.n_layers:
        raise BregnetInputError(f"layer must be an integer in 1..{network.n_layers}; got {layer!r}")
    X = _check_inputs(network, X)
    with np.errstate(over="ignore", invalid="ignore"):
        return network.forward_all(X)[1][int(layer)]


def code_sparsity(code) -> float:
    r"""Share of exact zeros among the entries of ``code`` (the sparsity rate of Figures 3, 6-8).

    Examples
    --------
    >>> code_sparsity([[0.0, 1.5, 0.0, 0.0], [0.0, 0.0, -2.0, 0.0]])
    0.75
    """
    c = _real_array("code", code)
    return float(np.mean(c == 0))


def _pair(name_a, a, name_b, b):
    A = _real_array(name_a, a, ndim=(1, 2))
    B = _real_array(name_b, b, ndim=(1, 2))
    if A.shape != B.shape:
        raise BregnetInputError(f"{name_a} and {name_b} must have the same shape; got {A.shape} and {B.shape}")
    if A.ndim == 1:
        A, B = A[None, :], B[None, :]
    return A.astype(np.float64), B.astype(np.float64)


def mean_squared_error(y_true, y_pred, *, per: str = "sample") -> float:
    r"""Mean squared error.

    ``per="sample"`` (default, the paper's loss): :math:`\frac1s\sum_i\tfrac12\|y^i-\hat y^i\|^2`;
    ``per="entry"``: :math:`\frac1{sn}\sum_{i,j}(y^i_j-\hat y^i_j)^2`.
    Rows are samples; a 1-D input is one sample.  A value beyond the float range is ``inf``.

    Examples
    --------
    >>> mean_squared_error([[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]])
    0.25
    >>> mean_squared_error([[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]], per="entry")
    0.25
    """
    A, B = _pair("y_true", y_true, "y_pred", y_pred)
    if per not in ("sample", "entry"):
        raise BregnetInputError(f"per must be 'sample' or 'entry'; got {per!r}")
    with np.errstate(over="ignore"):               # a value beyond the float range is inf, without a warning
        d = A - B
        return float(0.5 * np.sum(d * d) / A.shape[0]) if per == "sample" else float(np.mean(d * d))


def sparse_autoencoder_objective(x_true, x_rec, code, alpha: float) -> float:
    r"""Training objective of the sparse (denoising) autoencoder for the forward network, (26)/(27):

    .. math:: \frac1s\sum_i\Bigl[\tfrac12\|x_0^i - \hat x^i\|^2 + \alpha\|c^i\|_1\Bigr]

    with the clean data :math:`x_0`, the reconstruction :math:`\hat x` and the code :math:`c` (one row
    per sample).

    Examples
    --------
    >>> sparse_autoencoder_objective([[1.0, 1.0]], [[1.0, 0.0]], [[0.0, -2.0, 0.0]], alpha=0.1)   # 0.5 + 0.2
    0.7
    """
    mse = mean_squared_error(x_true, x_rec)
    c = _real_array("code", code, ndim=(1, 2))
    c = c[None, :] if c.ndim == 1 else c
    s = np.shape(x_true)[0] if np.ndim(x_true) == 2 else 1
    if c.shape[0] != s:
        raise BregnetInputError(f"code must have one row per sample ({s}); got {c.shape[0]}")
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise BregnetInputError(f"alpha must be a real number >= 0; got {alpha!r}") from None
    if not np.isfinite(a) or a < 0:
        raise BregnetInputError(f"alpha must be a finite number >= 0; got {alpha!r}")
    return float(mse + a * float(np.sum(np.abs(c.astype(np.float64)))) / s)


def psnr(clean, estimate, *, data_range: float | None = None) -> float:
    r"""Peak signal-to-noise ratio in dB, :math:`10\log_{10}(R^2/\mathrm{MSE}_{\text{entry}})` (extra, not in the paper).

    ``data_range`` :math:`R` defaults to :math:`\max(\text{clean}) - \min(\text{clean})` (must then be
    positive).  Identical inputs give ``inf``.

    Examples
    --------
    >>> psnr([[0.0, 1.0]], [[0.0, 0.9]])   # R = 1, MSE = 0.005
    23.010299956639813
    """
    A, B = _pair("clean", clean, "estimate", estimate)
    if data_range is None:
        R = float(np.max(A) - np.min(A))
        if R <= 0:
            raise BregnetInputError("clean is constant, so data_range cannot be inferred; pass data_range > 0")
    else:
        try:
            R = float(data_range)
        except (TypeError, ValueError):
            raise BregnetInputError(f"data_range must be a number > 0; got {data_range!r}") from None
        if not np.isfinite(R) or R <= 0:
            raise BregnetInputError(f"data_range must be a finite number > 0; got {data_range!r}")
    mse = float(np.mean((A - B) ** 2))
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(R * R / mse))
