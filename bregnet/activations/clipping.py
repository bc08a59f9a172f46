r"""Clipping-type activations: hard tanh, hard sigmoid and the bent identity (Section 3, Definition 1).

These are proximal maps from Combettes and Pesquet (2020).  For each, :math:`\psi` is found from
Remark 2, :math:`\psi'(x) = \sigma^{-1}(x) - x` on the range of :math:`\sigma` (a set-valued
inverse at flat pieces gives the subdifferential at the boundary of :math:`\operatorname{dom}\psi`),
integrated in closed form; :math:`\phi^*` is the antiderivative of :math:`\sigma` (eq. (15)), with
its constant fixed by eq. (11): :math:`\phi^*(z) = z\sigma(z) - \tfrac12\sigma(z)^2 - \psi(\sigma(z))`.

* ``hard_tanh``: projection onto :math:`[lo, hi]`, :math:`\psi = \chi_{[lo,hi]}`.
* ``hard_sigmoid``: :math:`\min(\max(s z + \tfrac12, 0), 1)`, :math:`\psi` quadratic on
  :math:`[0, 1]` plus the box indicator.
* ``bent_identity``: :math:`\tfrac12(z + \sqrt{z^2+1} - 1)`, :math:`\psi(x) = \tfrac x2 - \tfrac14\log(1+2x)`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._elementary import asinhmx, log1pmx
from ._params import check_interval
from .base import SeparableActivation, as_float_array, check_step
from .registry import register


def _check_bound(name: str, value, forbidden: float) -> float:
    """A real bound (``+-inf`` allowed) that is not NaN and not ``forbidden`` (the wrong infinity)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number; got {value!r}") from exc
    if math.isnan(v) or v == forbidden:
        raise ValueError(f"{name} must be a real number or {-forbidden}, not {value!r}, "
                         f"for the box [lo, hi] to be non-empty")
    return v


@register("hard_tanh")
@dataclass(frozen=True, repr=False)
class HardTanh(SeparableActivation):
    r"""Hard tanh (clipping), :math:`\sigma(z) = \min(\max(z, lo), hi) = \operatorname{prox}_{\chi_{[lo,hi]}}(z)`.

    :math:`\psi = \chi_{[lo, hi]}` (:math:`\psi' = \sigma^{-1} - \mathrm{id} = 0` inside,
    normalised by :math:`\psi(\sigma(0)) = 0`), and with :math:`c = \sigma(z)`:

    .. math::  \phi^*(z) = c\,z - \tfrac12 c^2, \qquad
               \Psi^*(y) = \sup_{lo \le x \le hi} x y = hi\cdot\max(y, 0) + lo\cdot\min(y, 0),

    :math:`\operatorname{prox}_{t\Psi} = \sigma` for every :math:`t > 0`.  Infinite bounds are
    allowed (``lo=0, hi=inf`` is ReLU), with :math:`0\cdot\infty = 0` in :math:`\Psi^*(0) = 0`.
    Convention at the kinks: :math:`\sigma'(lo) = \sigma'(hi) = 0` (1 strictly inside).

    Parameters
    ----------
    lo, hi : float, default -1.0, 1.0
        The box, :math:`lo \le hi` (:math:`\Psi` is proper exactly when the box is non-empty).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("hard_tanh")
    >>> act.prox([[-3.0, 0.25, 2.0]]).tolist()
    [[-1.0, 0.25, 1.0]]
    >>> float(act.psi([[1.5]])[0]), float(act.psi_conjugate([[-2.0, 3.0]])[0])
    (inf, 5.0)
    """

    lo: float = -1.0
    hi: float = 1.0
    has_psi_conjugate = True
    formula = "Psi = indicator of [lo, hi]^n"
    family = "clipping"

    def __post_init__(self):
        lo = _check_bound("lo", self.lo, math.inf)
        hi = _check_bound("hi", self.hi, -math.inf)
        if lo > hi:
            raise ValueError(f"lo must be <= hi for the box [lo, hi] to be non-empty (Psi proper); "
                             f"got lo={self.lo!r}, hi={self.hi!r}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def _psi(self, x):
        return np.where((x >= self.lo) & (x <= self.hi), 0.0, np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.clip(z, z.dtype.type(self.lo), z.dtype.type(self.hi))

    def _sigma_prime(self, z):
        return ((z > self.lo) & (z < self.hi)).astype(z.dtype)

    def _phi_star(self, z):
        c = self._sigma(z)
        return c * (z - 0.5 * c)

    def _psi_star(self, y):
        up = np.where(y > 0, self.hi * np.maximum(y, 0), 0.0)
        down = np.where(y < 0, self.lo * np.minimum(y, 0), 0.0)
        return (up + down).astype(y.dtype)

    def _prox_step(self, z, t):
        return self._sigma(z)


@register("hard_sigmoid")
@dataclass(frozen=True, repr=False)
class HardSigmoid(SeparableActivation):
    r"""Hard sigmoid, :math:`\sigma(z) = \min(\max(s z + \tfrac12, 0), 1)`.

    On :math:`(0,1)`, :math:`\sigma^{-1}(x) = (x - \tfrac12)/s`, so with :math:`d = x - \tfrac12`,
    :math:`\kappa = 1/s - 1` and the normalisation :math:`\psi(\sigma(0)) = \psi(\tfrac12) = 0`
    (Remark 2):

    .. math::  \psi(x) = \tfrac\kappa2 d^2 - \tfrac12 d + \chi_{[0,1]}(x)
               = \frac{(x-\frac12)^2}{2s} - \frac{x^2 - \frac14}{2} + \chi_{[0,1]}(x).

    :math:`\psi'' = \kappa \ge 0` exactly when :math:`s \le 1` (then :math:`\sigma` is 1-Lipschitz).
    The boundary subdifferentials :math:`\partial\psi(0) = (-\infty, -\tfrac1{2s}]` and
    :math:`\partial\psi(1) = [\tfrac1{2s} - 1, \infty)` produce the flat pieces.

    .. math::  \phi^*(z) = \begin{cases} -\tfrac18(1 + \tfrac1s) & s z + \tfrac12 \le 0 \\
               \tfrac s2 z^2 + \tfrac12 z - \tfrac18 & 0 < s z + \tfrac12 < 1 \\
               z - \tfrac18(1 + \tfrac1s) & s z + \tfrac12 \ge 1 \end{cases}

    :math:`\Psi^*(y) = \tfrac y2 + H_\kappa(y + \tfrac12)` with the Huber function
    :math:`H_\kappa(w) = w^2/(2\kappa)` for :math:`|w| \le \kappa/2`, :math:`|w|/2 - \kappa/8` otherwise
    (:math:`H_0(w) = |w|/2`), and
    :math:`\operatorname{prox}_{t\Psi}(z) = \min(\max(\tfrac12 + \frac{z - (1-t)/2}{1 + t\kappa}, 0), 1)`.
    Convention at the kinks :math:`z = \pm\tfrac1{2s}`: :math:`\sigma' = 0` (:math:`s` strictly between).

    Parameters
    ----------
    slope : float, default 0.25
        :math:`s \in (0, 1]` (0.25 matches the logistic sigmoid's slope at 0).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("hard_sigmoid", slope=0.25)
    >>> act.prox([[-4.0, 0.0, 1.0, 4.0]]).tolist()
    [[0.0, 0.5, 0.75, 1.0]]
    >>> float(act.psi([[0.5]])[0]), float(act.psi([[1.5]])[0])
    (0.0, inf)
    """

    slope: float = 0.25
    has_psi_conjugate = True
    formula = "psi(x) = (x-1/2)^2/(2s) - (x^2-1/4)/2 on [0, 1]"
    family = "clipping"

    def __post_init__(self):
        object.__setattr__(self, "slope", check_interval("slope", self.slope, 0.0, 1.0, lo_open=True))

    @property
    def _kappa(self) -> float:
        return 1.0 / self.slope - 1.0

    def _psi(self, x):
        d = np.clip(x, 0, 1) - x.dtype.type(0.5)
        val = (0.5 * self._kappa * d - 0.5) * d
        return np.where((x >= 0) & (x <= 1), val, np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.clip(self.slope * z + z.dtype.type(0.5), 0, 1)

    def _sigma_prime(self, z):
        # s z + 1/2 in (0, 1) decided without rounding s z + 1/2 (which reaches 1 at z = 2 - 1 ulp for
        # s = 1/4): |s z| < 1/2 with the product's rounding error from an exact two-product
        sz = self.slope * z
        err = np.fma(self.slope, z, -sz) if hasattr(np, "fma") else _two_prod_err(self.slope, z, sz)
        a = np.abs(sz)
        inside = (a < 0.5) | ((a == 0.5) & (np.sign(sz) * err < 0))
        return np.where(inside, self.slope, 0.0).astype(z.dtype)

    def _phi_star(self, z):
        s = self.slope
        v = s * z + z.dtype.type(0.5)
        k = 0.125 * (1.0 + 1.0 / s)
        zm = np.clip(z, -0.5 / s, 0.5 / s)
        mid = (0.5 * s * zm + 0.5) * zm - 0.125
        return np.where(v <= 0, -k, np.where(v >= 1, z - k, mid)).astype(z.dtype)

    def _psi_star(self, y):
        kap = self._kappa
        w = y + y.dtype.type(0.5)
        low = -0.25 - kap / 8
        high = y + (0.25 - kap / 8)
        if kap == 0.0:
            return np.where(w <= 0, low, high).astype(y.dtype)
        wm = np.clip(w, -kap / 2, kap / 2)
        mid = 0.5 * y + wm * wm / (2 * kap)
        return np.where(w < -kap / 2, low, np.where(w > kap / 2, high, mid)).astype(y.dtype)

    def _prox_step(self, z, t):
        a = 1.0 / (1.0 + t * self._kappa)
        return np.clip(0.5 + a * (z - 0.5 * (1.0 - t)), 0, 1).astype(z.dtype)

    def _bregman(self, x, z):
        r""":math:`B_\Psi(x, z)` by :func:`~bregnet.bregman.piecewise_linear_bregman` with :math:`s = \sigma(z)` rounded once.

        :math:`s = \operatorname{clip}(a z + \tfrac12, 0, 1)` from the exact two-product
        :math:`a z = p + e` and the two-sum of :math:`p + \tfrac12`, so that :math:`B = 0` exactly
        where :math:`x` is the double nearest :math:`\sigma(z)` and the exact :math:`B` is 0
        (``_sigma`` rounds twice), with the residual :math:`\sigma(z) - s` passed on as ``s_err``.
        """
        from ..bregman import piecewise_linear_bregman, piecewise_linear_knots

        zd = np.asarray(z, dtype=np.float64)
        p = self.slope * zd
        err = np.fma(self.slope, zd, -p) if hasattr(np, "fma") else _two_prod_err(self.slope, zd, p)
        hi = p + 0.5
        back = hi - p
        low = (p - (hi - back)) + (0.5 - back)
        s = hi + (low + err)
        s_err = np.where((s > 0) & (s < 1), (hi - s) + (low + err), 0.0)
        s = np.clip(s, 0.0, 1.0)
        b = piecewise_linear_bregman(x, zd, *piecewise_linear_knots(self), s=s, s_err=s_err)
        return np.sum(b, axis=-1)


def _two_prod_err(a: float, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``a b - p`` exactly for ``p = fl(a b)`` (Dekker's two-product, float64)."""
    c = 134217729.0
    a1 = a * c
    ah = a1 - (a1 - a)
    al = a - ah
    b = np.asarray(b, dtype=np.float64)
    b1 = b * c
    bh = b1 - (b1 - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _plus_root(z):
    r""":math:`(r, q)` with :math:`r = \sqrt{z^2+1}` and :math:`q = z + r` computed without cancellation."""
    r = np.hypot(z, 1)
    zn = np.minimum(z, 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = np.where(z >= 0, z + r, 1 / (np.hypot(zn, 1) - zn))
    return r, q


def _above_minus_half(dtype):
    """The float of ``dtype`` next above -1/2: sigma(z) > -1/2 must not round onto the pole of psi."""
    return np.nextafter(dtype.type(-0.5), dtype.type(0))


@register("bent_identity")
@dataclass(frozen=True, repr=False)
class BentIdentity(SeparableActivation):
    r"""Bent identity (Combettes and Pesquet, 2020), :math:`\sigma(z) = \tfrac12\bigl(z + \sqrt{z^2+1} - 1\bigr)`.

    :math:`\sigma' = \tfrac12(1 + z/\sqrt{z^2+1}) \in (0, 1)`, so :math:`\sigma` is increasing and
    1-Lipschitz, with range :math:`(-\tfrac12, \infty)`.  (The function often called "bent identity",
    :math:`z + (\sqrt{z^2+1} - 1)/2`, has slope up to :math:`\tfrac32` and is *not* a proximal map.)
    With :math:`v = 2x + 1`, :math:`\sigma^{-1}(x) = (v - 1/v)/2`, so
    :math:`\psi'(x) = \tfrac12 - \tfrac1{2(1+2x)}` (Remark 2) and, normalised by :math:`\psi(\sigma(0)) = \psi(0) = 0`,

    .. math::  \psi(x) = \tfrac x2 - \tfrac14\log(1 + 2x) \ (x > -\tfrac12), \qquad +\infty \ (x \le -\tfrac12)

    (:math:`\psi \to \infty` at :math:`-\tfrac12`, so this is already lower semi-continuous).
    :math:`\sigma`, :math:`\operatorname{prox}_{t\Psi}` and :math:`\phi^*` are evaluated in forms that
    neither cancel nor overflow before their value does (:math:`\sigma(10^{154}) = 10^{154}`;
    :math:`\sigma(\pm\infty)` are the limits :math:`+\infty` and the float above :math:`-\tfrac12`).
    With :math:`r = \sqrt{z^2+1}`:

    .. math::  \phi^*(z) = \tfrac14\bigl(z^2 + z r + \operatorname{asinh} z\bigr) - \tfrac z2, \qquad
               \Psi^*(y) = -\tfrac y2 - \tfrac14\log(1 - 2y) \ (y < \tfrac12), \quad +\infty \ (y \ge \tfrac12),

    and :math:`\operatorname{prox}_{t\Psi}(z) = (v - 1)/2` with
    :math:`v = \tfrac12\bigl(b + \sqrt{b^2 + 4t}\bigr)`, :math:`b = 2z + 1 - t` (the positive root of
    :math:`v^2 + (t - 1 - 2z)v - t = 0`).  :math:`\sigma` is smooth: no kink convention needed.
    For :math:`z \to -\infty`, :math:`\sigma(z) \downarrow -\tfrac12` is kept at the next float above
    :math:`-\tfrac12`, so that :math:`\Psi(\sigma(z))` stays finite in floating point.  For the same
    reason ``prox_conjugate`` is the closed form
    :math:`\operatorname{prox}_{t\Psi^*}(z) = \tfrac12(1 - w)`, :math:`w = \tfrac12\bigl(\sqrt{B^2 + 4t} - B\bigr)`,
    :math:`B = 2z + t - 1` (the root of :math:`w^2 + Bw - t = 0`, :math:`w = 1 - 2y`), which stays
    below the pole :math:`\tfrac12` of :math:`\Psi^*` where :math:`z - \sigma(z)` would round onto it.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("bent_identity")
    >>> bool(np.isclose(act.prox([[1.0]])[0, 0], (np.sqrt(2.0) + 1.0 - 1.0) / 2))
    True
    >>> float(act.psi([[-0.5]])[0]), float(act.psi([[0.0]])[0])
    (inf, 0.0)
    """

    has_psi_conjugate = True
    formula = "psi(x) = x/2 - log(1+2x)/4 on x > -1/2"
    family = "clipping"

    def _psi(self, x):
        inside = x > -0.5
        u = 2 * np.where(inside, x, 0)
        return np.where(inside, -0.25 * log1pmx(u), np.inf).astype(x.dtype)

    def _sigma(self, z):
        # (z + r - 1)/2 = z (1 + q) / (2 (r + 1)) (no cancellation), evaluated without overflow:
        # (z/2)(1 + z/(r + 1)) for z >= 0 (r - 1 = z^2/(r + 1)), (z/(r + 1)) (1 + q)/2 for z < 0
        # (0 < q < 1 there); the limits sigma(+inf) = +inf, sigma(-inf) = the float above -1/2
        r, q = _plus_root(z)
        with np.errstate(invalid="ignore"):
            ratio = np.where(np.isinf(z), np.sign(z), z / (r + 1))
            val = np.where(z >= 0, (0.5 * z) * (1 + ratio), ratio * (0.5 * (1 + q)))
        return np.maximum(val, _above_minus_half(z.dtype))

    def _bregman_inverse(self, x):
        r"""B only: :math:`\sigma^{-1}(x) = x + x/(1 + 2x)` (:math:`\psi'(x) = x/(1+2x)`; :math:`1 + 2x` is exact near :math:`-\tfrac12`), for the quadrature of :func:`bregnet.bregman.bregman_loss`."""
        xd = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xd + xd / (1.0 + 2.0 * xd)

    def _sigma_prime(self, z):
        r, q = _plus_root(z)
        return q / (2 * r)

    def _phi_star(self, z):
        # z (z + r - 1) = z^2 (1 + q) / (r + 1); all factors positive; ordered so that it
        # overflows only where the value does (z (1 + q) ~ 2 z^2 for large z > 0)
        r, q = _plus_root(z)
        with np.errstate(invalid="ignore"):
            ratio = np.where(np.isinf(z), 1.0, z / (r + 1))
            val = (0.25 * z * ratio) * (1 + q) + 0.25 * asinhmx(z)
            return np.where(np.isinf(z), np.inf, val).astype(z.dtype)

    def _psi_star(self, y):
        inside = y < 0.5
        u = -2 * np.where(inside, y, 0)
        return np.where(inside, -0.25 * log1pmx(u), np.inf).astype(y.dtype)

    def prox_conjugate(self, z, step: float = 1.0):
        t = check_step(step)
        z = as_float_array(z)
        with np.errstate(over="ignore", under="ignore"):
            B = 2 * z + z.dtype.type(t - 1)
            c = z.dtype.type(2 * math.sqrt(t))
            Bn = np.minimum(B, 0)
            Bp = np.maximum(B, 0)
            w = np.where(B <= 0, 0.5 * (np.hypot(Bn, c) - Bn), (2 * t) / (Bp + np.hypot(Bp, c)))
            y = 0.5 * (1 - w)
            return np.minimum(y, np.nextafter(z.dtype.type(0.5), z.dtype.type(0))).astype(z.dtype)

    def _prox_step(self, z, t):
        # v = beta + sqrt(beta^2 + t), beta = b/2 = z + (1 - t)/2, and x = (v - 1)/2 = z v/(v + t)
        # = z/(1 + t/v) without cancellation; everything is halved so that nothing overflows for
        # |z| up to the largest float: t/v = (t/2)/(beta/2 + h/2) (beta >= 0), h - beta (beta < 0),
        # with h/2 = hypot(beta/2, sqrt(t)/2)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            zd = z.astype(np.float64)
            hb = 0.5 * zd + 0.25 * (1.0 - t)                 # beta / 2
            hh = np.hypot(hb, 0.5 * math.sqrt(t))             # h / 2
            t_over_v = np.where(hb >= 0, (0.5 * t) / (hb + hh), 2.0 * (hh - hb))
            x = np.where(hb >= 0, zd / (1.0 + t_over_v), (0.5 * zd) / (0.5 + (hh - hb)))
            x = np.where(np.isinf(zd), np.where(zd > 0, np.inf, -0.5), x)
        return np.maximum(x.astype(z.dtype), _above_minus_half(z.dtype))
