r"""Rectifier-type activations: ReLU (Example 1) and its relatives.

ReLU is the proximal map of the indicator of the non-negative orthant,
:math:`\Psi = \chi_{[0,\infty)^n}`, so :math:`\sigma(z) = \max(z, 0)` (Example 1),
:math:`\Phi^*(z) = \tfrac12\|\max(z,0)\|^2`, :math:`\Psi^* = \chi_{(-\infty,0]^n}` and
:math:`B_\Psi(x,z) = \tfrac12\|x-\max(z,0)\|^2 + \langle x, \max(-z,0)\rangle` on
:math:`x\ge0` (Example 2).

Its relatives from Combettes and Pesquet (2020) follow the same recipe (Definition 1, Remark 2):
:math:`\psi' = \sigma^{-1} - \mathrm{id}` on the range of :math:`\sigma`, integrated in closed form,
and :math:`\phi^*` the antiderivative of :math:`\sigma`, consistent with
:math:`\phi^*(z) = z\sigma(z) - \tfrac12\sigma(z)^2 - \psi(\sigma(z))` (eq. (11)): leaky ReLU,
ELU and ISRLU.
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np
from ._elementary import expm1mx, lambertw0, log1pmx, xlog1p_rem3
from ._params import check_interval, check_positive
from .base import SeparableActivation, as_float_array, check_step
from .registry import register
from .thresholding import NonnegSoftThreshold


@register("relu")
@dataclass(frozen=True, repr=False)
class ReLU(SeparableActivation):
    r"""Rectified linear unit, :math:`\sigma(z) = \max(z, 0) = \operatorname{prox}_{\chi_{\ge 0}}(z)`.

    :math:`\operatorname{prox}_{t\Psi} = \sigma` for every :math:`t > 0` (an indicator is invariant
    under scaling).  Subgradient convention at the kink: :math:`\sigma'(0) = 0`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> relu = get("relu")
    >>> relu.prox([[-1.0, 2.0]]).tolist()
    [[0.0, 2.0]]
    >>> float(relu.psi([[-1.0, 2.0]])[0])
    inf
    >>> relu.with_l1(0.5).prox([[-1.0, 0.5, 2.0]], step=0.5).tolist()   # max(v - 0.25, 0)
    [[0.0, 0.25, 1.75]]
    """

    has_psi_conjugate = True
    formula = "Psi = indicator of [0, inf)^n"
    family = "piecewise-linear"

    def _psi(self, x):
        return np.where(x >= 0, 0.0, np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.maximum(z, 0)

    def _sigma_prime(self, z):
        return (z > 0).astype(z.dtype)

    def _phi_star(self, z):
        s = np.maximum(z, 0)
        return 0.5 * s * s

    def _psi_star(self, y):
        return np.where(y <= 0, 0.0, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        return np.maximum(z, 0)

    def _with_l1(self, alpha):
        r""":math:`\chi_{[0,\infty)^n} + \alpha\|\cdot\|_1 = \alpha\sum_j x_j + \chi_{[0,\infty)^n}`: non-negative soft-thresholding (Section 6.2)."""
        return NonnegSoftThreshold(alpha)


@register("leaky_relu")
@dataclass(frozen=True, repr=False)
class LeakyReLU(SeparableActivation):
    r"""Leaky ReLU, :math:`\sigma(z) = z` for :math:`z \ge 0` and :math:`a z` for :math:`z < 0`.

    From :math:`\psi'(x) = \sigma^{-1}(x) - x` (Remark 2), normalised by :math:`\psi(\sigma(0)) = 0`:

    .. math::  \psi(x) = \tfrac12\bigl(\tfrac1a - 1\bigr)\min(x, 0)^2, \qquad
               \phi^*(z) = \tfrac12 z^2 \ (z \ge 0),\quad \tfrac a2 z^2 \ (z < 0),

    :math:`\Psi^*(y) = \frac{a}{2(1-a)}y^2` for :math:`y \le 0` and :math:`+\infty` for :math:`y > 0`
    (for :math:`a = 1`, :math:`\Psi = 0` and :math:`\Psi^* = \chi_{\{0\}}`), and
    :math:`\operatorname{prox}_{t\Psi}(z) = z` for :math:`z\ge0`, :math:`\frac{a z}{a + t(1-a)}` for
    :math:`z < 0`.  :math:`\psi` is convex exactly when :math:`\tfrac1a - 1 \ge 0`, i.e.
    :math:`a \le 1`; :math:`a > 0` keeps the domain the whole line (:math:`a = 0` is ReLU).
    Convention at the kink: :math:`\sigma'(0) = a` (the left derivative).

    Parameters
    ----------
    slope : float, default 0.01
        The negative-side slope :math:`a \in (0, 1]`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("leaky_relu", slope=0.5)
    >>> act.prox([[-2.0, 3.0]]).tolist()
    [[-1.0, 3.0]]
    >>> float(act.psi([[-2.0, 3.0]])[0])
    2.0
    """

    slope: float = 0.01
    has_psi_conjugate = True
    formula = "psi(x) = (1/a - 1)/2 * min(x, 0)^2"
    family = "piecewise-linear"

    def __post_init__(self):
        object.__setattr__(self, "slope", check_interval("slope", self.slope, 0.0, 1.0, lo_open=True))

    def _psi(self, x):
        c = 0.5 * (1.0 / self.slope - 1.0)
        m = np.minimum(x, 0)
        return c * m * m

    def _sigma(self, z):
        return np.where(z >= 0, z, self.slope * z)

    def _sigma_prime(self, z):
        return np.where(z > 0, 1.0, self.slope).astype(z.dtype)

    def _phi_star(self, z):
        return np.where(z >= 0, 0.5 * z * z, (0.5 * self.slope) * z * z)

    def _psi_star(self, y):
        a = self.slope
        if a == 1.0:
            return np.where(y == 0, 0.0, np.inf).astype(y.dtype)
        k = 0.5 * a / (1.0 - a)
        m = np.minimum(y, 0)
        return np.where(y <= 0, k * m * m, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        a = self.slope
        return np.where(z >= 0, z, (a / (a + t * (1.0 - a))) * z)

    def in_domain(self, x):
        r""":math:`\operatorname{dom}\Psi = \mathbb R^n` (finite rows): also where :math:`\psi(x) = \tfrac12(\tfrac1a - 1)x^2` overflows (:math:`|x| \gtrsim 10^{154}`)."""
        x = as_float_array(x, "x")
        return np.all(np.isfinite(x), axis=-1)


@register("elu")
@dataclass(frozen=True, repr=False)
class ELU(SeparableActivation):
    r"""Exponential linear unit, :math:`\sigma(z) = z` for :math:`z > 0`, :math:`\alpha(e^z - 1)` for :math:`z \le 0`.

    :math:`\sigma^{-1}(x) = \log(1 + x/\alpha)` on :math:`(-\alpha, 0]`, so
    :math:`\psi'(x) = \sigma^{-1}(x) - x` (Remark 2) integrates, with :math:`\psi(\sigma(0)) = \psi(0) = 0`, to

    .. math::  \psi(x) = \begin{cases} (x+\alpha)\log(1+x/\alpha) - x - \tfrac12x^2 & -\alpha \le x \le 0\\
               0 & x > 0 \\ +\infty & x < -\alpha \end{cases}

    (Combettes and Pesquet, 2020), lower semi-continuous with :math:`\psi(-\alpha) = \alpha - \alpha^2/2`
    (``0 log 0 = 0``).  :math:`\psi''(x) = 1/(x+\alpha) - 1 \ge 0` on :math:`(-\alpha, 0]` exactly when
    :math:`\alpha \le 1`, which is the parameter condition.

    .. math::  \phi^*(z) = \tfrac12 z^2 \ (z > 0), \qquad \alpha(e^z - 1 - z) \ (z \le 0),

    the antiderivative of :math:`\sigma`.  :math:`\Psi^*(y) = +\infty` for :math:`y > 0` and, for
    :math:`y \le 0`, :math:`\Psi^*(y) = x y - \psi(x)` at the maximiser
    :math:`x = -\alpha - W_0(-\alpha e^{y-\alpha})` (Lambert :math:`W`), which equals
    :math:`-\alpha y + \alpha(w - 1) + \tfrac{\alpha^2}2(1 - w^2)` with :math:`w = 1 + x/\alpha`.
    :math:`\operatorname{prox}_{t\Psi}(z) = z` for :math:`z > 0` and otherwise
    :math:`\alpha(e^{c - W_0(b e^c)} - 1)` with :math:`b = (1-t)\alpha/t`, :math:`c = (z + (1-t)\alpha)/t`
    (the root of :math:`(1-t)x + t\log(1+x/\alpha) = z`).  That closed form cancels badly
    (:math:`c - W_0` for small or large :math:`t`: no correct digit left at :math:`t = 10^{-17}`), so
    the root is computed by :func:`~bregnet.activations.base.prox_step_from_psi_prime` from
    :math:`\psi'(x) = [\log(1+r) - r] + (1-\alpha)r`, :math:`r = x/\alpha`, a few ulps for every
    :math:`t > 0`.  :math:`\operatorname{prox}_{t\Psi^*}` (``prox_conjugate``) is
    :math:`\sigma^*(u) = u - \sigma(u) = (1-\alpha)u - \alpha(e^u - 1 - u)` (:math:`u\le0`; 0 for
    :math:`u > 0`) at :math:`u = x + \psi'(x)`, :math:`x = \operatorname{prox}_{\Psi/t}(z/t)`, which is
    :math:`\le 0` (in :math:`\operatorname{dom}\Psi^*`) by construction.
    Convention at the kink (:math:`\alpha < 1`): :math:`\sigma'(0) = \alpha` (the left derivative).

    Parameters
    ----------
    alpha : float, default 1.0
        The scale :math:`\alpha \in (0, 1]` (:math:`\sigma \to -\alpha` as :math:`z \to -\infty`).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("elu", alpha=0.5)
    >>> bool(np.isclose(act.prox([[-1.0]])[0, 0], 0.5 * np.expm1(-1.0)))
    True
    >>> float(act.psi([[-0.5]])[0]), float(act.psi([[-0.6]])[0])
    (0.375, inf)
    """

    alpha: float = 1.0
    has_psi_conjugate = True
    formula = "psi(x) = (x+alpha) log(1+x/alpha) - x - x^2/2 on [-alpha, 0], 0 on x > 0"
    family = "rectifier"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_interval("alpha", self.alpha, 0.0, 1.0, lo_open=True))

    def _psi(self, x):
        a = self.alpha
        r = np.clip(x, -a, 0) / x.dtype.type(a)
        # psi = a * [(1+r)log(1+r) - r] - (a r)^2 / 2 = a * [(1 - a) r^2 / 2 + xlog1p_rem3(r)]
        val = a * (0.5 * (1.0 - a) * r * r + xlog1p_rem3(r))
        return np.where(x >= -a, np.where(x > 0, 0.0, val), np.inf).astype(x.dtype)

    def _sigma(self, z):
        # in float64 and rounded once (float32 expm1 is off by an ulp or two)
        neg = (self.alpha * np.expm1(np.minimum(z, 0).astype(np.float64))).astype(z.dtype)
        return np.where(z > 0, z, neg)

    def _sigma_prime(self, z):
        return np.where(z > 0, 1.0, self.alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)

    def _phi_star(self, z):
        return np.where(z > 0, 0.5 * z * z, self.alpha * expm1mx(np.minimum(z, 0)))

    def _psi_star(self, y):
        r""":math:`x y - \psi(x)` at the maximiser :math:`x`, the root of :math:`\psi'(x) = y` on :math:`[-\alpha, 0]`.

        The Lambert form :math:`x = -\alpha - W_0(-\alpha e^{y-\alpha})` cancels for small :math:`|y|`
        (:math:`x \to 0`: it gave :math:`\Psi^* = 0` at :math:`y = -10^{-20}`, exact :math:`9.4\cdot10^{-31}`);
        there the root of the quadratic model :math:`(1-\alpha)r - r^2/2 = y`, :math:`r = x/\alpha`, starts
        three Newton steps on the cancellation-free :math:`\psi'` (:meth:`_psi_prime`).
        """
        a = self.alpha
        yn = np.minimum(y, 0).astype(np.float64)
        w0 = lambertw0(-a * np.exp(yn - a))
        x = np.clip(-a - w0, -a, 0)
        b = 1.0 - a
        rq = 2 * yn / (b + np.sqrt(b * b - 2 * yn))            # quadratic model, no cancellation
        small = np.abs(rq) < 0.1
        x = np.where(small, a * rq, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            for _ in range(3):
                d2 = self._psi_second(x)
                step = (self._psi_prime(x) - yn) / d2
                xn = np.clip(x - step, -a, 0)
                x = np.where(small & np.isfinite(xn) & (d2 > 0), xn, x)
        val = x * yn - self._psi(x)
        return np.where(y <= 0, val, np.inf).astype(y.dtype)

    def prox_psi_star(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = z - t\,x`, :math:`x = \operatorname{prox}_{\Psi/t}(z/t)` (Theorem 7), always :math:`\le 0`.

        :math:`z - t x = u - \sigma(u) = \sigma^*(u)` with :math:`u = \sigma^{-1}(x) = \log(1 + x/\alpha)`
        (:math:`x` for :math:`x > 0`; for :math:`t = 1`, :math:`u = z`), evaluated as
        :math:`(1-\alpha)u - \alpha(e^u - 1 - u)` for :math:`u \le 0` and 0 for :math:`u > 0`: a sum of
        two non-positive terms, so the result lies in :math:`\operatorname{dom}\Psi^* = (-\infty, 0]`
        and keeps its relative accuracy for tiny :math:`|z|` (the difference :math:`z - \sigma(z)`
        rounds to :math:`\pm` ulps of :math:`z` there).  Where :math:`x < -\alpha/2` (``log1p`` loses
        accuracy near :math:`x = -\alpha`) the difference :math:`\min(z - t x, 0)` is used instead.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> float(get("elu").prox_conjugate([[-1e-150]])[0, 0]) <= 0.0
        True
        """
        t = check_step(step)
        z = as_float_array(z)
        a = self.alpha
        zd = z.astype(np.float64)
        with np.errstate(all="ignore"):
            if t == 1.0:
                u = zd
                near = np.zeros(zd.shape, dtype=bool)
                direct = zd
            else:
                x = self.prox(zd / t, step=1.0 / t)
                u = np.where(x > 0, x, np.log1p(np.maximum(x, -a) / a))
                near = x < -0.5 * a
                direct = np.minimum(zd - t * x, 0.0)
            un = np.minimum(u, 0.0)
            y = np.where(u > 0, 0.0, (1.0 - a) * un - a * expm1mx(un))
            y = np.where(near, direct, y)
            y = np.where(np.isnan(zd), np.nan, y)
        return y.astype(z.dtype)

    def _psi_domain(self):
        return -self.alpha, np.inf

    def _psi_prime(self, x):
        r""":math:`\psi'(x) = \log(1 + r) - \alpha r = [\log(1+r) - r] + (1-\alpha) r`, :math:`r = x/\alpha` (0 for :math:`x > 0`)."""
        a = self.alpha
        r = np.clip(x, -a, 0) / a
        with np.errstate(divide="ignore"):
            val = log1pmx(r) + (1.0 - a) * r
        return np.where(x > 0, 0.0, np.where(x >= -a, val, -np.inf))

    def _psi_second(self, x):
        a = self.alpha
        r = np.clip(x, -a, 0) / a
        with np.errstate(divide="ignore"):
            val = ((1.0 - a) - a * r) / (a * (1.0 + r))      # 1/(x + alpha) - 1
        return np.where(x > 0, 0.0, val)


@register("isrlu")
@dataclass(frozen=True, repr=False)
class ISRLU(SeparableActivation):
    r"""Inverse square root linear unit, :math:`\sigma(z) = z` for :math:`z \ge 0`, :math:`z/\sqrt{1 + a z^2}` for :math:`z < 0`.

    :math:`\sigma^{-1}(x) = x/\sqrt{1 - a x^2}` on :math:`(-1/\sqrt a, 0]`, so
    :math:`\psi'(x) = \sigma^{-1}(x) - x` (Remark 2) integrates, with :math:`\psi(\sigma(0)) = \psi(0) = 0`, to

    .. math::  \psi(x) = \frac{1 - \sqrt{1 - a x^2}}{a} - \frac{x^2}2
               = \frac{a x^4}{2\,(1 + \sqrt{1 - a x^2})^2} \quad (-1/\sqrt a \le x \le 0),

    :math:`\psi = 0` on :math:`x > 0`, :math:`+\infty` below :math:`-1/\sqrt a`; the closure has
    :math:`\psi(-1/\sqrt a) = 1/(2a)`.  :math:`\psi''(x) = (1 - a x^2)^{-3/2} - 1 \ge 0`, so
    :math:`\Psi` is convex for every :math:`a > 0` (the only parameter condition; :math:`a \le 0`
    does not define a bounded-below unit), and :math:`0 < \sigma' \le 1`.

    .. math::  \phi^*(z) = \tfrac12 z^2 \ (z \ge 0), \qquad \frac{\sqrt{1 + a z^2} - 1}{a}
               = \frac{z^2}{1 + \sqrt{1 + a z^2}} \ (z < 0).

    :math:`\Psi^*` and :math:`\operatorname{prox}_{t\Psi}` (:math:`t \ne 1`) need the root of a
    quartic, so no closed form is offered: ``psi_conjugate`` is unavailable and ``prox(z, step)``
    is the root of :math:`x - z + t\psi'(x)` found by
    :func:`~bregnet.activations.base.prox_step_from_psi_prime` (a few ulps for every :math:`t > 0`).  :math:`\sigma'(z) = (1 + a z^2)^{-3/2}` for :math:`z < 0`,
    :math:`1` for :math:`z \ge 0` (continuous, no kink).

    Parameters
    ----------
    a : float, default 1.0
        :math:`a > 0`; :math:`\sigma \to -1/\sqrt a` as :math:`z \to -\infty`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("isrlu", a=1.0)
    >>> act.prox([[-1e8, 2.0]]).tolist()
    [[-1.0, 2.0]]
    >>> float(act.psi([[-1.0]])[0])
    0.5
    """

    a: float = 1.0
    formula = "psi(x) = (1 - sqrt(1 - a x^2))/a - x^2/2 on [-1/sqrt(a), 0], 0 on x > 0"
    family = "rectifier"

    def __post_init__(self):
        object.__setattr__(self, "a", check_positive("a", self.a))

    def _psi(self, x):
        a = self.a
        xn = np.minimum(x, 0)
        ax2 = a * xn * xn
        root = np.sqrt(np.maximum(1 - ax2, 0))
        one = 1 + root
        val = 0.5 * ax2 * xn * xn / (one * one)
        tol = 4 * np.finfo(x.dtype).eps          # sigma(z) may round onto the boundary
        return np.where(ax2 <= 1 + tol, val, np.inf).astype(x.dtype)

    def _sigma(self, z):
        zn = np.minimum(z, 0)
        # with the limit -1/sqrt(a) at z = -inf
        fin = np.where(np.isinf(zn), 0, zn)
        neg = np.where(np.isinf(zn), -1.0 / math.sqrt(self.a), fin / np.hypot(1, math.sqrt(self.a) * fin))
        return np.where(z >= 0, z, neg.astype(z.dtype))

    def _sigma_prime(self, z):
        zn = np.minimum(z, 0)
        inv = 1 / np.hypot(1, math.sqrt(self.a) * zn)
        return np.where(z >= 0, 1.0, inv * inv * inv).astype(z.dtype)

    def _phi_star(self, z):
        zn = np.minimum(z, 0)
        # |z| (|z| / (1 + hypot(1, sqrt(a) z))): no overflow of z^2 where the value is finite (z = -1e300)
        an = np.abs(zn)
        neg = an * (an / (1 + np.hypot(1, math.sqrt(self.a) * zn)))
        return np.where(z >= 0, 0.5 * z * z, neg)

    def _psi_domain(self):
        lo = -1.0 / math.sqrt(self.a)
        for _ in range(8):      # the float at or just inside -1/sqrt(a) where psi is finite
            if np.isfinite(self._psi(np.array([lo])))[0]:
                break
            lo = float(np.nextafter(lo, 0.0))
        return lo, np.inf

    def _psi_prime(self, x):
        from .sigmoids import isru_psi_prime

        xn = np.minimum(x, 0.0)
        return np.where(x >= 0, 0.0, isru_psi_prime(xn, self.a))

    def _psi_second(self, x):
        from .sigmoids import isru_psi_second

        xn = np.minimum(x, 0.0)
        return np.where(x >= 0, 0.0, isru_psi_second(xn, self.a))
