r"""More output losses for the back-propagation baselines (Section 2.2, eq. (2); Appendix A, Algorithm 2).

Each is an :class:`~bregnet.backprop.backprop.OutputLoss`: a per-sample value
:math:`\ell(y^i, z_L^i)` and the seed :math:`\delta_L^i = \nabla_{z_L}\ell(y^i, z_L^i)` of the
backward pass; they are registered in :func:`~bregnet.backprop.backprop.get_loss` under their
``name`` (default parameters; pass an instance for others).

* ``"cross_entropy"`` (:class:`CrossEntropyWithLogits`): :math:`\ell = \operatorname{lse}(z_L) -
  \langle \tilde y, z_L\rangle`, :math:`\tilde y = (1-\varepsilon)y + \varepsilon/n` (label
  smoothing :math:`\varepsilon`), with the log-sum-exp shifted by the maximum;
  :math:`\delta_L = \operatorname{softmax}(z_L) - \tilde y`.  Targets: rows of the probability
  simplex (one-hot or soft labels).
* ``"binary_cross_entropy"`` (:class:`BinaryCrossEntropyWithLogits`): :math:`\ell = \sum_j
  \operatorname{softplus}(z_j) - \tilde y_j z_j`, :math:`\operatorname{softplus}(z) = \max(z, 0) +
  \log(1 + e^{-|z|})`, :math:`\tilde y = (1-\varepsilon)y + \varepsilon/2`;
  :math:`\delta_L = \operatorname{sigmoid}(z_L) - \tilde y`.  Targets in :math:`[0, 1]`.
* ``"huber"`` (:class:`HuberLoss`): :math:`\ell = \sum_j h_\delta(x_j - y_j)`,
  :math:`h_\delta(r) = \tfrac12r^2` for :math:`|r|\le\delta`, :math:`\delta(|r| - \tfrac12\delta)`
  otherwise, on the network output :math:`x_L = \sigma_L(z_L)` like ``"mse"`` (which it equals
  for :math:`\delta\to\infty`); :math:`\delta_L = J_{\sigma_L}(z_L)^\top\operatorname{clip}(x_L - y,
  -\delta, \delta)`.  Label smoothing does not apply to a regression loss.

The two cross-entropies read :math:`z_L` as logits, whatever the output activation
:math:`\sigma_L` is (use ``"identity"``; with ``"softmax"`` the network's output :math:`x_L` is the
predicted distribution and the loss is the same), and ignore :math:`x_L`.  Cross-entropy with
logits equals the Bregman loss (12) of the softmax output up to a term in :math:`y` only
(Example 2): the gradients coincide.  Values and gradients are computed in float64 and returned
in the dtype of :math:`z_L`; a non-finite :math:`z_L` (a diverged run) gives the value
:math:`+\infty`, as for ``"bregman"``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logsumexp

from ..activations.simplex import on_simplex, softmax
from ..exceptions import BregnetInputError
from .backprop import OutputLoss

__all__ = ["CrossEntropyWithLogits", "BinaryCrossEntropyWithLogits", "HuberLoss", "LOSSES"]


def _real_option(name: str, value, lo: float, hi: float, *, hi_open: bool, lo_open: bool = False) -> float:
    """``value`` as a float in the interval, else :class:`BregnetInputError` naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise BregnetInputError(f"{name} must be a real number, not a bool; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise BregnetInputError(f"{name} must be a real number; got {value!r}") from exc
    bad = not math.isfinite(v) or v < lo or v > hi or (hi_open and v == hi) or (lo_open and v == lo)
    if bad:
        lb, rb = ("(" if lo_open else "["), (")" if hi_open else "]")
        raise BregnetInputError(f"{name} must lie in {lb}{lo}, {hi}{rb}; got {value!r}")
    return v


def _diverged(z) -> np.ndarray | None:
    """``+inf`` per sample if ``z`` has a non-finite entry (a diverged run), else ``None``."""
    if np.all(np.isfinite(z)):
        return None
    return np.full(np.shape(z)[:-1], np.inf, dtype=np.asarray(z).dtype)


class _SmoothedLogitLoss(OutputLoss):
    """Common parts of the two logit losses: the label-smoothing parameter and its target."""

    #: the value :math:`\tilde y` is pulled towards (None: ``1/n``)
    _smooth_to: float | None = None

    def __init__(self, label_smoothing: float = 0.0):
        self.label_smoothing = _real_option("label_smoothing", label_smoothing, 0.0, 1.0, hi_open=True)

    def smoothed(self, y) -> np.ndarray:
        r""":math:`\tilde y = (1-\varepsilon)y + \varepsilon c`, in float64."""
        y = np.asarray(y, dtype=np.float64)
        eps = self.label_smoothing
        if eps == 0.0:
            return y
        c = 1.0 / y.shape[-1] if self._smooth_to is None else self._smooth_to
        return (1.0 - eps) * y + eps * c

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label_smoothing={self.label_smoothing!r})"


class CrossEntropyWithLogits(_SmoothedLogitLoss):
    r"""Softmax cross-entropy on the logits :math:`z_L`: :math:`\ell = \operatorname{lse}(z_L) - \langle\tilde y, z_L\rangle`.

    :math:`= -\sum_j\tilde y_j\log\operatorname{softmax}(z_L)_j` for targets on the simplex
    (:math:`\sum_j\tilde y_j = 1`); seed :math:`\operatorname{softmax}(z_L) - \tilde y`.

    Parameters
    ----------
    label_smoothing : float, default 0.0
        :math:`\varepsilon\in[0, 1)`: the targets become :math:`(1-\varepsilon)y + \varepsilon/n`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> z = np.array([[0.0, 0.0]]); y = np.array([[1.0, 0.0]])
    >>> loss = CrossEntropyWithLogits()
    >>> round(float(loss.per_sample(get("identity"), y, z, z)[0]), 6)      # log 2
    0.693147
    >>> loss.grad_z(get("identity"), y, z, z).tolist()
    [[-0.5, 0.5]]
    >>> CrossEntropyWithLogits(label_smoothing=0.2).grad_z(get("identity"), y, z, z).tolist()
    [[-0.4, 0.4]]
    """

    name = "cross_entropy"

    def per_sample(self, activation, y, z, x):
        bad = _diverged(z)
        if bad is not None:
            return bad
        zz = np.asarray(z, dtype=np.float64)
        yt = self.smoothed(y)
        m = np.max(zz, axis=-1, keepdims=True)
        zs = zz - m                       # lse(z) - <y, z> = lse(z - m) - <y, z - m> when sum y = 1
        val = logsumexp(zs, axis=-1) - np.sum(yt * zs, axis=-1)
        return val.astype(np.asarray(z).dtype, copy=False)

    def grad_z(self, activation, y, z, x):
        zz = np.asarray(z, dtype=np.float64)
        return (softmax(zz) - self.smoothed(y)).astype(np.asarray(z).dtype, copy=False)

    def check_targets(self, activation, y):
        ok = on_simplex(np.asarray(y, dtype=np.float64))
        if not np.all(ok):
            bad = int(np.size(ok) - np.count_nonzero(ok))
            raise BregnetInputError(f"the cross-entropy loss needs every target row y on the probability simplex "
                                    f"(y >= 0, sum 1: one-hot or soft labels); {bad} row(s) are not")


class BinaryCrossEntropyWithLogits(_SmoothedLogitLoss):
    r"""Binary cross-entropy on the logits, summed over outputs: :math:`\ell = \sum_j \operatorname{softplus}(z_j) - \tilde y_j z_j`.

    :math:`= -\sum_j[\tilde y_j\log s_j + (1-\tilde y_j)\log(1-s_j)]`, :math:`s = \operatorname{sigmoid}(z)`;
    seed :math:`s - \tilde y`.

    Parameters
    ----------
    label_smoothing : float, default 0.0
        :math:`\varepsilon\in[0, 1)`: the targets become :math:`(1-\varepsilon)y + \varepsilon/2`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> z = np.array([[0.0, 800.0]]); y = np.array([[1.0, 1.0]])
    >>> loss = BinaryCrossEntropyWithLogits()
    >>> round(float(loss.per_sample(get("identity"), y, z, z)[0]), 6)      # log 2 + 0
    0.693147
    >>> loss.grad_z(get("identity"), y, z, z).tolist()
    [[-0.5, 0.0]]
    """

    name = "binary_cross_entropy"
    _smooth_to = 0.5

    def per_sample(self, activation, y, z, x):
        bad = _diverged(z)
        if bad is not None:
            return bad
        zz = np.asarray(z, dtype=np.float64)
        yt = self.smoothed(y)
        val = np.sum(np.maximum(zz, 0.0) - yt * zz + np.log1p(np.exp(-np.abs(zz))), axis=-1)
        return val.astype(np.asarray(z).dtype, copy=False)

    def grad_z(self, activation, y, z, x):
        zz = np.asarray(z, dtype=np.float64)
        return (expit(zz) - self.smoothed(y)).astype(np.asarray(z).dtype, copy=False)

    def check_targets(self, activation, y):
        y = np.asarray(y, dtype=np.float64)
        ok = (y >= 0) & (y <= 1)
        if not np.all(ok):
            bad = int(np.size(ok) - np.count_nonzero(ok))
            raise BregnetInputError(f"the binary cross-entropy loss needs every target entry y in [0, 1]; "
                                    f"{bad} entries are outside")


class HuberLoss(OutputLoss):
    r"""Huber loss of the network output, :math:`\ell = \sum_j h_\delta(x_j - y_j)`, :math:`x = \sigma_L(z_L)`.

    :math:`h_\delta(r) = \tfrac12r^2` for :math:`|r|\le\delta`, :math:`\delta|r| - \tfrac12\delta^2`
    beyond (continuously differentiable, :math:`h_\delta' = \operatorname{clip}(r, -\delta, \delta)`);
    seed :math:`J_{\sigma_L}(z_L)^\top h_\delta'(x - y)` (``activation.vjp``, its kink convention).

    Parameters
    ----------
    delta : float, default 1.0
        :math:`\delta > 0` (finite): where the loss turns from quadratic to linear.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> ident = get("identity"); z = np.array([[0.5, 3.0]]); y = np.zeros((1, 2))
    >>> HuberLoss().per_sample(ident, y, z, z).tolist()          # 0.125 + (3 - 0.5)
    [2.625]
    >>> HuberLoss(delta=2.0).grad_z(ident, y, z, z).tolist()
    [[0.5, 2.0]]
    """

    name = "huber"

    def __init__(self, delta: float = 1.0):
        self.delta = _real_option("delta", delta, 0.0, math.inf, hi_open=True, lo_open=True)

    def per_sample(self, activation, y, z, x):
        d = self.delta
        r = np.abs(np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64))
        with np.errstate(invalid="ignore", over="ignore"):
            h = np.where(r <= d, 0.5 * r * r, d * (r - 0.5 * d))
        return np.sum(h, axis=-1).astype(np.asarray(z).dtype, copy=False)

    def grad_z(self, activation, y, z, x):
        r = np.clip(np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64), -self.delta, self.delta)
        return activation.vjp(z, r.astype(np.asarray(z).dtype, copy=False))

    def __repr__(self) -> str:
        return f"HuberLoss(delta={self.delta!r})"


#: the losses of this module by name, for :func:`~bregnet.backprop.backprop.get_loss`
LOSSES = {cls.name: cls for cls in (CrossEntropyWithLogits, BinaryCrossEntropyWithLogits, HuberLoss)}
