r"""Softplus as a proximal activation, with :math:`\Psi`, :math:`\Phi^*` and :math:`\Psi^*` via the dilogarithm (Section 3).

The softplus :math:`\sigma(z) = \tfrac1\beta\log(1+e^{\beta z})` is increasing with
:math:`\sigma'(z) = 1/(1+e^{-\beta z})\in(0,1)` for every sharpness :math:`\beta>0`, hence the
proximal map (Definition 1, eq. (9)) of the convex :math:`\psi` with
:math:`\psi'(x) = \sigma^{-1}(x) - x = \tfrac1\beta\log(1-e^{-\beta x})` (Remark 2).  Since
:math:`\tfrac{d}{dv}\operatorname{Li}_2(e^{-v}) = \log(1-e^{-v})` and
:math:`\tfrac{d}{dv}\operatorname{Li}_2(-e^{v}) = -\log(1+e^{v})`, with the dilogarithm
:math:`\operatorname{Li}_2(w) = -\int_0^w \log(1-s)\,\frac{ds}{s}`,

.. math::

    \psi(x) &= \frac{\operatorname{Li}_2(e^{-\beta x}) - \pi^2/6}{\beta^2}, \quad x\ge 0,
    \qquad \psi(0) = 0 \ \text{(closure)}, \quad \psi(+\infty) = -\frac{\pi^2}{6\beta^2},\\
    \phi^*(z) &= -\frac{\operatorname{Li}_2(-e^{\beta z})}{\beta^2}
              = z\sigma(z) - \tfrac12\sigma(z)^2 - \psi(\sigma(z)), \\
    \Psi^*(y) &= \frac{\operatorname{Li}_2(e^{\beta y})}{\beta^2} \ (y\le 0), \qquad
    \Psi^*(y) = +\infty \ (y > 0).

The constant makes :math:`\psi(0) = 0` and :math:`\phi^*(-\infty) = 0`, so that as
:math:`\beta\to\infty` all three tend to those of ReLU (:math:`\chi_{[0,\infty)}`,
:math:`\tfrac12\max(z,0)^2`, :math:`\chi_{(-\infty,0]}`).  :math:`\Psi^*` follows from Euler's
reflection :math:`\operatorname{Li}_2(w) + \operatorname{Li}_2(1-w) = \pi^2/6 - \log w\log(1-w)`.
``scipy.special.spence`` gives :math:`\operatorname{Li}_2(w) = \mathrm{spence}(1-w)`; near
:math:`w=0` (where ``1-w`` rounds) a power series is used instead, and for large :math:`\beta z`
the inversion formula :math:`-\operatorname{Li}_2(-e^{v}) = \tfrac12 v^2 + \pi^2/6 + \operatorname{Li}_2(-e^{-v})`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, spence, xlogy

from ._params import check_positive
from .base import SeparableActivation, as_float_array, check_step
from .registry import register

__all__ = ["dilog", "dilog_on_unit", "Softplus"]

_PI2_6 = float(np.pi ** 2 / 6)
_LOG2 = float(np.log(2.0))
_LI2_COEF = [1.0 / (k * k) for k in range(1, 56)]


def _li2_series(w):
    r""":math:`\sum_{k\ge1} w^k/k^2` for :math:`|w|\le\tfrac12` (relative error below 1e-16)."""
    acc = np.zeros_like(w)
    for c in reversed(_LI2_COEF):
        acc = acc * w + c
    return acc * w


def dilog(w):
    r"""The real dilogarithm :math:`\operatorname{Li}_2(w) = -\int_0^w \log(1-s)\,\frac{ds}{s}` for :math:`w\le 1`.

    On :math:`[-1, 1]` see :func:`dilog_on_unit`; below :math:`-1` the inversion formula
    :math:`\operatorname{Li}_2(w) = -\pi^2/6 - \tfrac12\log^2(-w) - \operatorname{Li}_2(1/w)`.
    ``nan`` for :math:`w > 1` (the value is complex there).  Returns float64.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(dilog(1.0), np.pi ** 2 / 6))
    True
    >>> bool(np.isclose(dilog(-1.0), -np.pi ** 2 / 12))
    True
    """
    w = np.asarray(w, dtype=np.float64)
    unit = np.abs(w) <= 1.0
    far = w < -1.0
    out = np.where(unit, dilog_on_unit(np.where(unit, w, 0.0)), np.nan)
    wf = np.where(far, w, -2.0)
    lg = np.log(-wf)
    return np.where(far, -_PI2_6 - 0.5 * lg * lg - dilog_on_unit(1.0 / wf), out)


def dilog_on_unit(w):
    r""":math:`\operatorname{Li}_2(w)` for :math:`-1\le w\le 1`.

    Power series on :math:`|w|\le\tfrac12` (accurate also relative to tiny :math:`w`, where
    ``1 - w`` would round); Euler's reflection
    :math:`\operatorname{Li}_2(w) = \pi^2/6 - \log w\log(1-w) - \operatorname{Li}_2(1-w)` on
    :math:`(\tfrac12, 1]`; the duplication :math:`\operatorname{Li}_2(w) = \tfrac12\operatorname{Li}_2(w^2) - \operatorname{Li}_2(-w)`
    on :math:`[-1, -\tfrac12)` (``scipy.special.spence(1 - w)`` there was 11 ulps off at :math:`w = -1`).

    Examples
    --------
    >>> bool(abs(dilog_on_unit(0.0)) == 0.0)
    True
    """
    w = np.asarray(w, dtype=np.float64)
    small = np.abs(w) <= 0.5
    upper = w > 0.5
    lower = w < -0.5
    out = _li2_series(np.where(small, w, 0.0))
    out = np.where(upper, _li2_positive(np.where(upper, w, 1.0)), out)
    # w in [-1, -1/2): Li2(w) = Li2(w^2)/2 - Li2(-w) (duplication), both arguments in (1/4, 1]
    a = np.where(lower, -w, 1.0)
    return np.where(lower, 0.5 * _li2_positive(a * a) - _li2_positive(a), out)


def _li2_positive(w):
    r""":math:`\operatorname{Li}_2(w)` for :math:`0 \le w \le 1`: the series to :math:`\tfrac12`, Euler's reflection above."""
    small = w <= 0.5
    ws = np.where(small, w, 0.0)
    wu = np.where(small, 1.0, np.minimum(w, 1.0))
    refl = _PI2_6 - xlogy(np.log(wu), 1.0 - wu) - _li2_series(1.0 - wu)
    return np.where(small, _li2_series(ws), refl)


@register("softplus")
@dataclass(frozen=True, repr=False)
class Softplus(SeparableActivation):
    r"""Softplus, :math:`\sigma(z) = \tfrac1\beta\log(1+e^{\beta z})`, a smooth ReLU.

    :math:`\psi(x) = (\operatorname{Li}_2(e^{-\beta x}) - \pi^2/6)/\beta^2` on :math:`[0,\infty)`
    (closed: :math:`\psi(0)=0`), :math:`\phi^*(z) = -\operatorname{Li}_2(-e^{\beta z})/\beta^2`,
    :math:`\Psi^*(y) = \operatorname{Li}_2(e^{\beta y})/\beta^2` on :math:`y\le0` (``inf`` for
    :math:`y>0`), :math:`\sigma'(z) = 1/(1+e^{-\beta z})`.  No closed form for
    :math:`\operatorname{prox}_{t\Psi}`, :math:`t\ne1`: it is the root of
    :math:`x - z + t\psi'(x)`, :math:`\psi'(x) = \log(1 - e^{-\beta x})/\beta`, found by
    :func:`~bregnet.activations.base.prox_step_from_psi_prime` (a few ulps for every :math:`t > 0`;
    :math:`x\to\infty` as :math:`t\to\infty`, since :math:`\psi` has no minimiser).

    Parameters
    ----------
    beta : float, default 1.0
        Sharpness :math:`\beta>0` (any :math:`\beta>0` keeps :math:`\sigma' < 1`).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("softplus")
    >>> bool(np.isclose(act.prox([[0.0]])[0, 0], np.log(2)))
    True
    >>> bool(np.isclose(act.conjugate([[0.0]])[0], np.pi ** 2 / 12))
    True
    >>> float(act.psi([[0.0, -1.0]])[0])
    inf
    """

    beta: float = 1.0
    has_psi_conjugate = True
    formula = "psi(x) = (Li2(exp(-beta x)) - pi^2/6)/beta^2 on [0, inf)"
    family = "softplus"

    def __post_init__(self):
        object.__setattr__(self, "beta", check_positive(
            "beta", self.beta, why="(the sharpness of softplus; sigma' = sigmoid(beta z) < 1 for every beta > 0)"))

    def _psi(self, x):
        b = self.beta
        u = b * np.asarray(x, dtype=np.float64)
        inside = u >= 0
        uc = np.where(inside, u, 0.0)
        near = uc <= _LOG2
        # near 0: reflection, Li2(1-a) - pi^2/6 = u log a - Li2(a) with a = 1 - e^{-u} in [0, 1/2]
        a = -np.expm1(-np.where(near, uc, 0.0))
        val_near = xlogy(np.where(near, uc, 0.0), a) - _li2_series(a)
        val_far = _li2_series(np.exp(-np.where(near, 1.0, uc))) - _PI2_6
        val = np.where(near, val_near, val_far) / (b * b)
        return np.where(inside, val, np.inf).astype(x.dtype, copy=False)

    def _sigma(self, z):
        b = self.beta
        return (np.logaddexp(0.0, b * np.asarray(z, dtype=np.float64)) / b).astype(z.dtype, copy=False)

    def _bregman_inverse(self, x):
        r"""B only: :math:`\sigma^{-1}(x) = \log(e^{\beta x} - 1)/\beta` directly (:math:`x + \psi'(x)` cancels for :math:`x \approx \log 2/\beta`); :math:`x + \log(1 - e^{-\beta x})/\beta` above :math:`\beta x = 30`."""
        y = self.beta * np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            small = np.log(np.expm1(np.minimum(y, 30.0)))
            big = y + np.log1p(-np.exp(-y))
        return np.where(y <= 30.0, small, big) / self.beta

    def _sigma_prime(self, z):
        # 1/(1 + e^{-v}) = e^{v}/(1 + e^{v}) for v < 0, down to the subnormals (expit gives 0 from v = -709)
        v = self.beta * np.asarray(z, dtype=np.float64)
        e = np.exp(-np.abs(v))
        return np.where(v < 0, e / (1 + e), 1 / (1 + e)).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        b = self.beta
        v = b * np.asarray(z, dtype=np.float64)
        pos = v > 0
        vn = np.where(pos, -v, v)                       # -|v|
        li = dilog_on_unit(-np.exp(vn))                 # Li2(-e^{-|v|})
        val = np.where(pos, 0.5 * v * v + _PI2_6 + li, -li) / (b * b)
        return val.astype(z.dtype, copy=False)

    def prox_psi_star(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = z - t\,x`, :math:`x = \operatorname{prox}_{\Psi/t}(z/t)` (Theorem 7), always :math:`\le 0`.

        :math:`z - t x = u - \sigma(u) = -\operatorname{softplus}_\beta(-u)` with
        :math:`u = \sigma^{-1}(x) = \log(e^{\beta x} - 1)/\beta` (:math:`u = z` for :math:`t = 1`):
        never positive, so it lies in :math:`\operatorname{dom}\Psi^* = (-\infty, 0]` also where
        :math:`z - t x` would round above 0, and without the cancellation of that difference.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> float(get("softplus").prox_conjugate([[50.0]], step=3.0)[0, 0]) <= 0.0
        True
        """
        t = check_step(step)
        z = as_float_array(z)
        b = self.beta
        zd = z.astype(np.float64)
        with np.errstate(all="ignore"):
            if t == 1.0:
                u = zd
            else:
                v = b * self.prox(zd / t, step=1.0 / t)
                # log(e^v - 1) = v + log(1 - e^{-v}); the first form for small v, the second for large
                u = np.where(v < 1.0, np.log(np.expm1(np.minimum(v, 1.0))), v + np.log1p(-np.exp(-np.maximum(v, 1.0)))) / b
            y = -np.logaddexp(0.0, -b * u) / b
        return y.astype(z.dtype)

    def _psi_domain(self):
        return 0.0, np.inf

    def _psi_prime(self, x):
        r""":math:`\psi'(x) = \log(1 - e^{-\beta x})/\beta` (``-inf`` at and below 0)."""
        b = self.beta
        v = b * np.asarray(x, dtype=np.float64)
        near = v < _LOG2
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(near, np.log(-np.expm1(-np.where(near, v, 1.0))),
                           np.log1p(-np.exp(-np.where(near, 1.0, v)))) / b
        return np.where(v > 0, val, -np.inf)

    def _psi_second(self, x):
        r""":math:`\psi''(x) = 1/(e^{\beta x} - 1)`."""
        v = self.beta * np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(v > 0, 1.0 / np.expm1(np.maximum(v, 0.0)), np.inf)

    def _psi_star(self, y):
        b = self.beta
        v = b * np.asarray(y, dtype=np.float64)
        inside = v <= 0
        vc = np.where(inside, v, 0.0)
        far = vc < -_LOG2
        # e^v <= 1/2: series; e^v in (1/2, 1]: reflection with log(e^v) = v exactly
        val_far = _li2_series(np.exp(np.where(far, vc, -1.0)))
        a = -np.expm1(np.where(far, -1.0, vc))          # 1 - e^v in [0, 1/2)
        val_near = _PI2_6 - xlogy(np.where(far, 0.0, vc), a) - _li2_series(a)
        val = np.where(far, val_far, val_near) / (b * b)
        return np.where(inside, val, np.inf).astype(y.dtype, copy=False)
