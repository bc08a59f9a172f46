r"""Smooth saturating activations: the hyperbolic tangent (Example 1) and its relatives.

For tanh, Example 1 gives :math:`\psi(u) = u\tanh^{-1}(u) + \tfrac12(\log(1-u^2) - u^2)` on
:math:`|u| < 1`.  Written as :math:`\psi(u) = \tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u)] - \tfrac12u^2`
it extends continuously to :math:`\psi(\pm1) = \log 2 - \tfrac12`; that closure is the lower
semi-continuous function Definition 1 asks for (see ``docs/errata.md``), and it is what we
implement, so that :math:`\Psi(\sigma(z))` stays finite when :math:`\tanh z` rounds to :math:`\pm1`.
:math:`\Phi^*(z) = \log\cosh z`.

The other smooth, odd or saturating proximal activations (Section 3, Definition 1; most are
catalogued by Combettes & Pesquet (2020)) follow one recipe.  For an increasing :math:`\sigma`
with :math:`0 < \sigma' \le 1`, Remark 2 says :math:`z - \sigma(z) = \psi'(\sigma(z))`, i.e.

.. math::  \psi'(x) = \sigma^{-1}(x) - x, \qquad
           \phi^*(z) = \phi^*(0) + \int_0^z \sigma = z\sigma(z) - \tfrac12\sigma(z)^2 - \psi(\sigma(z)),

where :math:`\phi^*` is the scalar :math:`(\tfrac12|\cdot|^2+\psi)^*` (eqs. (11), (15)).  The
additive constant in :math:`\psi` is stated in each class; :math:`\psi` is closed at the ends of
its domain where its limit is finite.  Classes: ``sigmoid``, ``unimodal_sigmoid``, ``arctan``,
``asinh``, ``softsign``, ``log_activation``, ``isru``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlog1py, xlogy

from ._elementary import expm1mx, log1pmx

from ._params import check_interval, check_positive
from .base import SeparableActivation
from .registry import register

_LOG2 = float(np.log(2.0))


def log_cosh(z):
    r""":math:`\log\cosh z`, exact to rounding for all :math:`z`.

    :math:`\log(1 + 2\sinh^2(z/2))` for :math:`|z| < 1` (:math:`\cosh z - 1 = 2\sinh^2(z/2)`
    without cancellation, so :math:`\log\cosh 10^{-8} = 5\cdot10^{-17}`), and
    :math:`|z| + \log(1 + e^{-2|z|}) - \log 2` beyond (no overflow; the subtraction of
    :math:`\log 2` loses nothing there, :math:`\log\cosh 1 = 0.43`).

    Examples
    --------
    >>> import numpy as np
    >>> float(log_cosh(np.array([1e-8]))[0])
    5e-17
    """
    a = np.abs(z)
    small = a < 1
    sh = np.sinh(0.5 * np.where(small, a, 0))
    near = np.log1p(2 * sh * sh)
    far = a + np.log1p(np.exp(-2 * np.where(small, 1, a))) - z.dtype.type(_LOG2)
    return np.where(small, near, far).astype(z.dtype, copy=False)


@register("tanh")
@dataclass(frozen=True, repr=False)
class Tanh(SeparableActivation):
    r"""Hyperbolic tangent, :math:`\sigma(z) = \tanh z`.

    :math:`\psi(u) = \tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u) - u^2]` on :math:`[-1, 1]`
    (Example 1, closed), :math:`\phi^*(z) = \log\cosh z`, :math:`\sigma'(z) = 1-\tanh^2 z`.
    :math:`\Psi^*` has no closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("tanh")
    >>> bool(np.isclose(act.prox([[0.5]])[0, 0], np.tanh(0.5)))
    True
    >>> float(act.psi([[1.5]])[0])
    inf
    """

    formula = "psi(u) = u artanh(u) + (log(1-u^2) - u^2)/2 on [-1, 1]"
    family = "sigmoid"

    def _psi(self, x):
        xd = np.asarray(x, dtype=np.float64)
        inside = np.abs(xd) <= 1
        return np.where(inside, _tanh_psi(np.clip(xd, -1, 1)), np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.tanh(z)

    def _sigma_prime(self, z):
        # sech^2 z = 4 e^{-2|z|} / (1 + e^{-2|z|})^2: 1 - tanh^2 z cancels (0 from |z| = 19 on)
        e = np.exp(-2 * np.abs(z))
        return 4 * e / ((1 + e) * (1 + e))

    def _phi_star(self, z):
        return log_cosh(z)

    def _psi_domain(self):
        return -1.0, 1.0

    def _psi_prime(self, x):
        return atanh_minus_x(x)

    def _psi_second(self, x):
        x2 = x * x
        with np.errstate(divide="ignore"):
            return np.where(x2 < 1, x2 / (1 - x2), np.inf)


# ---------------------------------------------------------------------------------------------
# Helpers shared by the smooth activations below.  Everything is evaluated in float64 and cast
# back to the input dtype, so float32 in gives (correctly rounded) float32 out.
# ---------------------------------------------------------------------------------------------
_PI = float(np.pi)


def _f64(a):
    """``a`` as a float64 array (the working precision of the formulas below)."""
    return np.asarray(a, dtype=np.float64)


def _series(x, coeffs, power):
    r""":math:`x^{p}\sum_k c_k x^k` by Horner's rule (``coeffs`` = :math:`c_0, c_1, \dots`)."""
    acc = np.zeros_like(x)
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc * x ** power


_LOG1M_TAIL = [1.0 / k for k in range(3, 100)]         # -log(1-a) - a - a^2/2 = sum_{k>=3} a^k/k
_LOG1P_TAIL = [(-1.0) ** k / k for k in range(2, 40)]   # a - log(1+a) = sum_{k>=2} (-1)^k a^k/k
_XLOG1P_TAIL = [(-1.0) ** k / (k * (k - 1)) for k in range(2, 40)]  # (1+a)log(1+a) - a
_EXPM1_TAIL = [1.0 / math.factorial(k) for k in range(3, 22)]       # e^a - 1 - a - a^2/2
_COSH_TAIL = [1.0 / math.factorial(2 * k) for k in range(2, 16)]    # cosh x - 1 - x^2/2 (in x^2)
def _logcos_coefficients(count: int) -> list:
    r""":math:`-\log\cos t = \sum_{n\ge1} a_n t^{2n}`, :math:`a_n = 2^{2n-1}(2^{2n}-1)|B_{2n}|/(n(2n)!)`: ``[a_2, ..., a_{count+1}]``.

    (:math:`a_1 = 1/2`, :math:`a_2 = 1/12`, :math:`a_3 = 1/45`, ...), from the Bernoulli numbers in exact
    rational arithmetic.
    """
    from fractions import Fraction
    top = 2 * count + 3
    B = [Fraction(1)]
    for m in range(1, top):
        B.append(-sum(math.comb(m + 1, k) * B[k] for k in range(m)) / (m + 1))
    return [float(Fraction(2 ** (2 * n - 1) * (2 ** (2 * n) - 1)) * abs(B[2 * n]) / (n * math.factorial(2 * n)))
            for n in range(2, count + 2)]


# -log(cos t) - t^2/2 = t^4/12 + t^6/45 + 17 t^8/2520 + ...: 40 terms, for t < 0.8 (ratio (2t/pi)^2 < 0.26)
_LOGCOS_TAIL = _logcos_coefficients(40)


#: (1+u)log(1+u) + (1-u)log(1-u) - u^2 = sum_{k>=2} u^{2k}/(k(2k-1)), as a series in u^2 from u^4
_TANH_PSI = [1.0 / (k * (2 * k - 1)) for k in range(2, 100)]
_ATANH_TAIL = [1.0 / (2 * j + 3) for j in range(42)]                   # artanh(x) - x = x^3 sum_j x^{2j}/(2j+3)
_SINH_TAIL = [1.0 / math.factorial(2 * j + 3) for j in range(12)]        # sinh(x) - x = x^3 sum_j x^{2j}/(2j+3)!
# sin(t) - t cos(t) = t^3 sum_j (-1)^j 2(j+1) t^{2j} / (2j+3)!
_SIN_TCOS = [(-1.0) ** j * 2 * (j + 1) / math.factorial(2 * j + 3) for j in range(14)]
#: beyond this |x|, exp(|x|) may overflow: t psi'(x) is evaluated as exp(|x| + log t) instead
_EXP_SAFE = 700.0


def _tanh_psi(u):
    r""":math:`\tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u) - u^2] = \tfrac12\sum_{k\ge2} u^{2k}/(k(2k-1))` on :math:`[-1, 1]`.

    The series below :math:`|u| = 0.8` (the closed form cancels there: :math:`\psi(10^{-8}) = 8.3\cdot10^{-34}`
    came out as :math:`1.6\cdot10^{-26}`), the closed form above.
    """
    small = np.abs(u) < 0.8
    us = np.where(small, u, 0.0)
    ser = 0.5 * _series(us * us, _TANH_PSI, 2)
    ub = np.where(small, 0.9, u)
    val = 0.5 * (xlog1py(1 + ub, ub) + xlog1py(1 - ub, -ub) - ub * ub)
    return np.where(small, ser, val)


def _logistic_prime(z):
    r""":math:`\sigma'(z) = e^{-|z|}/(1+e^{-|z|})^2` for the logistic :math:`\sigma`, down to the subnormals (``expit(z) expit(-z)`` is 0 from :math:`|z| \approx 709`)."""
    e = np.exp(-np.abs(_f64(z)))
    return (e / ((1 + e) * (1 + e))).astype(z.dtype, copy=False)


def atanh_minus_x(x):
    r""":math:`\operatorname{artanh}x - x` for :math:`|x|\le1` (``+-inf`` at and beyond :math:`\pm1`), without cancellation.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(atanh_minus_x(np.array([1e-5]))[0], 1e-15 / 3, rtol=1e-14))
    True
    """
    x = _f64(x)
    a = np.abs(x)
    small = a < 0.6
    xs = np.where(small, x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.arctanh(np.clip(x, -1.0, 1.0)) - x
    ser = _series(xs * xs, _ATANH_TAIL, 0) * xs * xs * xs
    return np.where(small, ser, np.where(a >= 1, np.sign(x) * np.inf, direct))


def sinh_minus_x(x):
    r""":math:`\sinh x - x` without cancellation (``+-inf`` where :math:`\sinh` overflows)."""
    x = _f64(x)
    small = np.abs(x) < 1.0
    xs = np.where(small, x, 0.0)
    with np.errstate(over="ignore"):
        direct = np.sinh(x) - x
    return np.where(small, _series(xs * xs, _SINH_TAIL, 0) * xs * xs * xs, direct)


def tan_minus_x(x):
    r""":math:`\tan x - x` for :math:`|x| < \pi/2`, without cancellation near 0."""
    x = _f64(x)
    small = np.abs(x) < 1.0
    xs = np.where(small, x, 0.0)
    ser = _series(xs * xs, _SIN_TCOS, 0) * xs * xs * xs / np.cos(xs)
    return np.where(small, ser, np.tan(x) - x)


def log1m_tail(a):
    r""":math:`-\log(1-a) - a - \tfrac12 a^2` for :math:`0\le a\le 1` (``inf`` at :math:`a=1`), without cancellation.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(log1m_tail(np.array([1e-3]))[0], 1e-9 / 3, rtol=1e-12))
    True
    """
    a = _f64(a)
    small = a < 0.6          # the series (97 terms: 0.6^100 < 1e-22); the direct form cancels below
    s = np.where(small, a, 0.0)
    big = np.where(small, 0.7, np.minimum(a, 1.0))
    with np.errstate(divide="ignore"):
        direct = -np.log1p(-big) - big - 0.5 * big * big
    return np.where(small, _series(s, _LOG1M_TAIL, 3), direct)


def _log1p_tail(a):
    r""":math:`a - \log(1+a)` for :math:`a\ge0`, without cancellation."""
    small = a < 0.25
    s = np.where(small, a, 0.0)
    return np.where(small, _series(s, _LOG1P_TAIL, 2), a - np.log1p(a))


def _inner_edge(act, bound: float, dtype) -> np.ndarray:
    """The largest number of ``dtype`` not above ``bound`` at which ``act._psi`` is finite.

    Proximal maps with an open domain (scaled arctan, softsign) must never round onto the
    boundary, where :math:`\\psi = +\\infty`; their outputs are clipped to this value.
    """
    dtype = np.dtype(dtype)
    key = (act, dtype.str)
    edge = _EDGES.get(key)
    if edge is None:
        edge = np.array(bound, dtype=dtype)
        for _ in range(256):
            if np.isfinite(act._psi(np.array([edge], dtype=np.float64)))[0]:
                break
            edge = np.nextafter(edge, dtype.type(0))
        _EDGES[key] = edge
    return edge


_EDGES: dict = {}


@register("sigmoid")
@dataclass(frozen=True, repr=False)
class Sigmoid(SeparableActivation):
    r"""Logistic sigmoid, :math:`\sigma(z) = 1/(1+e^{-z})`.

    :math:`\sigma` is increasing with :math:`0<\sigma'\le\tfrac14`, so it is the proximal map of
    the convex :math:`\psi` with :math:`\psi'(x) = \sigma^{-1}(x) - x = \log\frac{x}{1-x} - x`:

    .. math::  \psi(x) = x\log x + (1-x)\log(1-x) - \tfrac12 x^2, \qquad x\in[0,1],

    closed with :math:`0\log 0 = 0`: :math:`\psi(0)=0`, :math:`\psi(1)=-\tfrac12` (the lsc
    closure of Definition 1; the constant is the one for which :math:`\phi^*` below has no
    constant term).  :math:`\phi^*(z) = \log(1+e^{z})` (softplus, the antiderivative of
    :math:`\sigma`), :math:`\sigma'(z) = \sigma(z)\sigma(-z)`.  :math:`\Psi^*` has no closed form.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("sigmoid")
    >>> act.prox([[0.0]]).tolist()
    [[0.5]]
    >>> float(act.psi([[1.0]])[0]), float(act.psi([[1.5]])[0])
    (-0.5, inf)
    """

    formula = "psi(x) = x log x + (1-x) log(1-x) - x^2/2 on [0, 1]"
    family = "sigmoid"

    def _psi(self, x):
        xd = _f64(x)
        inside = (xd >= 0) & (xd <= 1)
        xc = np.clip(xd, 0.0, 1.0)
        val = xlogy(xc, xc) + xlog1py(1 - xc, -xc) - 0.5 * xc * xc
        return np.where(inside, val, np.inf).astype(x.dtype, copy=False)

    def _sigma(self, z):
        return expit(_f64(z)).astype(z.dtype, copy=False)

    def _bregman_inverse(self, x):
        r"""B only: :math:`\sigma^{-1}(x) = \log x - \log(1 - x)` directly (:math:`x + \psi'(x)` cancels where :math:`\sigma^{-1}(x) \approx 0`)."""
        xd = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(xd) - np.log1p(-xd)

    def _sigma_prime(self, z):
        return _logistic_prime(z)

    def _phi_star(self, z):
        return np.logaddexp(0.0, _f64(z)).astype(z.dtype, copy=False)

    def _psi_domain(self):
        return 0.0, 1.0

    def _psi_prime(self, x):
        # log(x/(1-x)) - x: no cancellation that matters (the fixed point x = sigma(x) is 0.659...)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.log(x) - np.log1p(-x) - x
        return np.where(x >= 1, np.inf, np.where(x <= 0, -np.inf, val))

    def _psi_second(self, x):
        with np.errstate(divide="ignore"):
            return 1.0 / (x * (1.0 - x)) - 1.0


@register("unimodal_sigmoid")
@dataclass(frozen=True, repr=False)
class UnimodalSigmoid(SeparableActivation):
    r"""Unimodal sigmoid of Combettes & Pesquet (2020), :math:`\sigma(z) = \frac{1}{1+e^{-z}} - \tfrac12 = \tfrac12\tanh\tfrac z2`.

    With :math:`\psi'(x) = \sigma^{-1}(x) - x = \log\frac{1+2x}{1-2x} - x`,

    .. math::  \psi(x) = \tfrac12\big[(1+2x)\log(1+2x) + (1-2x)\log(1-2x)\big] - \tfrac12x^2,
               \qquad |x|\le\tfrac12,

    normalised by :math:`\psi(0)=0` (Combettes & Pesquet's choice is this minus
    :math:`\log 2 + \tfrac18`); the closure gives :math:`\psi(\pm\tfrac12) = \log 2 - \tfrac18`.
    :math:`\phi^*(z) = \log\cosh\tfrac z2`, :math:`\sigma'(z) = \tfrac14\operatorname{sech}^2\tfrac z2`.
    :math:`\Psi^*` has no closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("unimodal_sigmoid")
    >>> bool(np.isclose(act.prox([[2.0]])[0, 0], 1 / (1 + np.exp(-2.0)) - 0.5))
    True
    >>> bool(np.isclose(act.psi([[0.5]])[0], np.log(2) - 0.125))
    True
    """

    formula = "psi(x) = ((1+2x)log(1+2x) + (1-2x)log(1-2x))/2 - x^2/2 on [-1/2, 1/2]"
    family = "sigmoid"

    def _psi(self, x):
        # = 3x^2/2 + psi_tanh(2x): the sum of two non-negative terms, without the cancellation of
        # the closed form for small |x| (psi(2.5e-21) = 9.4e-42 came out as -3.1e-42)
        xd = _f64(x)
        inside = np.abs(xd) <= 0.5
        xc = np.clip(xd, -0.5, 0.5)
        val = 1.5 * xc * xc + _tanh_psi(2 * xc)
        return np.where(inside, val, np.inf).astype(x.dtype, copy=False)

    def _sigma(self, z):
        return (0.5 * np.tanh(0.5 * _f64(z))).astype(z.dtype, copy=False)

    def _bregman_inverse(self, x):
        r"""B only: :math:`\sigma^{-1}(x) = 2\tanh^{-1}(2x)` directly."""
        xd = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * np.arctanh(2.0 * xd)

    def _sigma_prime(self, z):
        return _logistic_prime(z)

    def _phi_star(self, z):
        return log_cosh(0.5 * _f64(z)).astype(z.dtype, copy=False)

    def _psi_domain(self):
        return -0.5, 0.5

    def _psi_prime(self, x):
        # 2 artanh(2x) - x = 3x + O(x^3): no cancellation
        xc = np.clip(x, -0.5, 0.5)
        with np.errstate(divide="ignore"):
            val = np.log1p(2 * xc) - np.log1p(-2 * xc) - x
        return np.where(np.abs(x) >= 0.5, np.sign(x) * np.inf, val)

    def _psi_second(self, x):
        u = 4 * x * x
        with np.errstate(divide="ignore"):
            return np.where(u < 1, 4.0 / (1.0 - u) - 1.0, np.inf)


@register("arctan")
@dataclass(frozen=True, repr=False)
class ScaledArctan(SeparableActivation):
    r"""Scaled arctangent, :math:`\sigma(z) = c\arctan z` (Combettes & Pesquet (2020) use :math:`c = 2/\pi`).

    :math:`\sigma' = c/(1+z^2)\le c`, so :math:`\sigma` is a proximal map exactly when
    :math:`0 < c \le 1`.  With :math:`\psi'(x) = \tan(x/c) - x`,

    .. math::  \psi(x) = -c\log\cos(x/c) - \tfrac12 x^2, \qquad |x| < c\pi/2,

    normalised by :math:`\psi(0)=0`; :math:`\psi\to+\infty` at :math:`|x|\to c\pi/2`, so the
    domain is open and the closure adds nothing (:math:`\psi(\pm c\pi/2) = +\infty`).
    :math:`\phi^*(z) = c\,[z\arctan z - \tfrac12\log(1+z^2)]`, :math:`\sigma'(z) = c/(1+z^2)`.
    :math:`\Psi^*` has no closed form.  Outputs are kept strictly inside the domain (clipped to
    the last floating-point number where :math:`\psi` is finite).

    Parameters
    ----------
    scale : float, default 2/pi
        :math:`c\in(0, 1]`; the default maps onto :math:`(-1, 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("arctan")
    >>> bool(np.isclose(act.prox([[1.0]])[0, 0], 0.5))
    True
    >>> float(act.psi([[1.001]])[0])
    inf
    """

    scale: float = 2.0 / _PI
    formula = "psi(x) = -c log cos(x/c) - x^2/2 on |x| < c pi/2"
    family = "sigmoid"

    def __post_init__(self):
        object.__setattr__(self, "scale", check_interval(
            "scale", self.scale, 0.0, 1.0, lo_open=True,
            why="so that sigma = scale*arctan is 1-Lipschitz (Psi convex)"))

    def _psi(self, x):
        c = self.scale
        xd = _f64(x)
        th = np.abs(xd) / c
        inside = th <= 0.5 * _PI
        thc = np.where(inside, th, 0.0)
        cos = np.cos(thc)
        inside &= cos > 0
        small = thc < 0.8
        with np.errstate(divide="ignore"):
            direct = -np.log(np.where(inside, cos, 1.0)) - 0.5 * thc * thc
        tail = np.where(small, _series(thc * thc, _LOGCOS_TAIL, 2), direct)
        val = c * tail + 0.5 * xd * xd * (1.0 / c - 1.0)
        return np.where(inside, val, np.inf).astype(x.dtype, copy=False)

    def _sigma(self, z):
        s = (self.scale * np.arctan(_f64(z))).astype(z.dtype, copy=False)
        edge = _inner_edge(self, self.scale * 0.5 * _PI, z.dtype)
        return np.clip(s, -edge, edge)

    def _bregman_inverse(self, x):
        r"""B only: :math:`\sigma^{-1}(x) = \tan(x/c)` directly (:math:`x + \psi'(x)` cancels)."""
        xd = np.asarray(x, dtype=np.float64)
        return np.tan(xd / self.scale)

    def _sigma_prime(self, z):
        zd = _f64(z)
        return (self.scale / (1.0 + zd * zd)).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        zd = _f64(z)
        a = np.abs(zd)
        big = a > 1
        inv = 1.0 / np.where(big, a, 1.0)
        half_log = np.where(big, np.log(np.where(big, a, 1.0)) + 0.5 * np.log1p(inv * inv),
                            0.5 * np.log1p(np.where(big, 0.0, a * a)))
        return (self.scale * (a * np.arctan(a) - half_log)).astype(z.dtype, copy=False)

    def _psi_domain(self):
        edge = float(_inner_edge(self, self.scale * 0.5 * _PI, np.float64))
        return -edge, edge

    def _psi_prime(self, x):
        # tan(x/c) - x = (tan(th) - th) + (1/c - 1) x,  th = x/c
        c = self.scale
        th = x / c
        inside = np.abs(th) < 0.5 * _PI
        val = tan_minus_x(np.where(inside, th, 0.0)) + (1.0 / c - 1.0) * x
        return np.where(inside, val, np.sign(x) * np.inf)

    def _psi_second(self, x):
        c = self.scale
        tn = np.tan(x / c)
        return (1.0 / c - 1.0) + tn * tn / c

    def _prox_finish(self, x):
        edge = _inner_edge(self, self.scale * 0.5 * _PI, x.dtype)
        return np.clip(x, -edge, edge)


@register("asinh")
@dataclass(frozen=True, repr=False)
class Asinh(SeparableActivation):
    r"""Inverse hyperbolic sine, :math:`\sigma(z) = \operatorname{arsinh} z = \log(z + \sqrt{1+z^2})`.

    :math:`\sigma' = 1/\sqrt{1+z^2}\in(0, 1]`; with :math:`\psi'(x) = \sinh x - x`,

    .. math::  \psi(x) = \cosh x - 1 - \tfrac12 x^2, \qquad x\in\mathbb{R},

    normalised by :math:`\psi(0) = 0`.  :math:`\phi^*(z) = z\operatorname{arsinh}z - \sqrt{1+z^2} + 1`,
    :math:`\sigma'(z) = (1+z^2)^{-1/2}`.  :math:`\Psi^*` has no closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("asinh")
    >>> bool(np.isclose(act.prox([[2.0]])[0, 0], np.arcsinh(2.0)))
    True
    >>> bool(np.isclose(act.psi([[1.0]])[0], np.cosh(1.0) - 1.5))
    True
    """

    formula = "psi(x) = cosh(x) - 1 - x^2/2"
    family = "sigmoid"

    def _psi(self, x):
        xd = _f64(x)
        small = np.abs(xd) < 2
        s = np.where(small, xd, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            ch = np.cosh(xd)
            direct = np.where(np.isinf(ch), np.inf, ch - 1.0 - 0.5 * xd * xd)   # inf, not inf - inf
        return np.where(small, _series(s * s, _COSH_TAIL, 2), direct).astype(x.dtype, copy=False)

    def _sigma(self, z):
        return np.arcsinh(_f64(z)).astype(z.dtype, copy=False)

    def _sigma_prime(self, z):
        return (1.0 / np.hypot(1.0, _f64(z))).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        zd = _f64(z)
        a = np.abs(zd)
        # sqrt(1+z^2) - 1 = |z| * |z| / (1 + sqrt(1+z^2)), without cancellation or overflow
        return (zd * np.arcsinh(zd) - a * (a / (1.0 + np.hypot(1.0, a)))).astype(z.dtype, copy=False)

    def _psi_domain(self):
        return -np.inf, np.inf

    def _psi_prime(self, x):
        return sinh_minus_x(x)

    def _psi_second(self, x):
        sh = np.sinh(0.5 * x)
        return 2.0 * sh * sh                      # cosh x - 1

    def _t_psi_prime(self, x, t):
        # t (sinh x - x); for |x| > 700, t sinh x = sign(x) exp(|x| + log(t/2)) (1 - e^{-2|x|})
        a = np.abs(x)
        far = a > _EXP_SAFE
        val = t * sinh_minus_x(np.where(far, 0.0, x))
        big = np.sign(x) * (np.exp(np.where(far, a, 0.0) + math.log(0.5 * t)) - t * a)
        return np.where(far, big, val)

    def _t_psi_second(self, x, t):
        a = np.abs(x)
        far = a > _EXP_SAFE
        return np.where(far, np.exp(np.where(far, a, 0.0) + math.log(0.5 * t)) - t,
                        t * self._psi_second(np.where(far, 0.0, x)))


@register("softsign")
@dataclass(frozen=True, repr=False)
class Softsign(SeparableActivation):
    r"""Softsign (Elliot) activation, :math:`\sigma(z) = z/(1+|z|)`.

    :math:`\sigma' = (1+|z|)^{-2}\in(0,1]`; with :math:`\psi'(x) = x/(1-|x|) - x`,

    .. math::  \psi(x) = -\log(1-|x|) - |x| - \tfrac12x^2, \qquad |x| < 1,

    normalised by :math:`\psi(0)=0`; :math:`\psi\to+\infty` as :math:`|x|\to1`, so the domain is
    open (:math:`\psi(\pm1) = +\infty`) and outputs are clipped just inside it.
    :math:`\phi^*(z) = |z| - \log(1+|z|)`.  :math:`\Psi^*` is explicit: with
    :math:`\xi(y) = 2\sqrt{|y|}/(\sqrt{|y|} + \sqrt{|y|+4})` (the root of :math:`\psi'(\xi) = |y|`),

    .. math::  \Psi^*(y) = |y|\,\xi(y) - \psi(\xi(y)),

    and :math:`\operatorname{prox}_{t\Psi}` solves the quadratic
    :math:`(t-1)x^2 + (1+|z|)x - |z| = 0`:
    :math:`\operatorname{prox}_{t\Psi}(z) = \operatorname{sign}(z)\,2|z|/\big(1+|z|+\sqrt{(1-|z|)^2+4t|z|}\big)`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("softsign")
    >>> act.prox([[-3.0, 1.0]]).tolist()
    [[-0.75, 0.5]]
    >>> float(act.psi([[1.0]])[0])
    inf
    """

    has_psi_conjugate = True
    formula = "psi(x) = -log(1-|x|) - |x| - x^2/2 on |x| < 1"
    family = "sigmoid"

    def _psi(self, x):
        a = np.abs(_f64(x))
        return np.where(a < 1, log1m_tail(np.minimum(a, 1.0)), np.inf).astype(x.dtype, copy=False)

    def _clip(self, s):
        edge = _inner_edge(self, 1.0, s.dtype)
        return np.clip(s, -edge, edge)

    def _sigma(self, z):
        zd = _f64(z)
        # z / (1 + |z|), with the limits +-1 at z = +-inf (clipped inside the open domain)
        s = np.where(np.isinf(zd), np.sign(zd), zd / (1.0 + np.abs(np.where(np.isinf(zd), 0.0, zd))))
        return self._clip(s.astype(z.dtype, copy=False))

    def _sigma_prime(self, z):
        d = 1.0 + np.abs(_f64(z))
        return (1.0 / d / d).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        return _log1p_tail(np.abs(_f64(z))).astype(z.dtype, copy=False)

    def _bregman(self, x, z):
        r""":math:`B(x, z) = \sum_j \int_{z_j}^{u_j}(v - z_j)(1+|v|)^{-2}\,dv`, :math:`u = x/(1-|x|)`, in closed form without cancellation.

        With :math:`X = |x|`, :math:`Z = |z|`: for :math:`xz \ge 0`, :math:`b = -\log(1-q) - q`,
        :math:`q = (u - z)/(1 + u) = X - Z(1 - X)` (small near the graph, where the series of
        :func:`~bregnet.activations._elementary.log1pmx` is used; where :math:`1 - q = (1 + Z)(1 - X) < 1/2`,
        :math:`b = -\log(1 - q) - q` from that product, since :math:`q \to 1` would lose :math:`\log(1 - q)` to
        the rounding of :math:`q` as :math:`X \to 1`); for :math:`xz < 0` the path crosses 0
        and :math:`b = (Z - \log(1+Z)) + (-\log(1-X) - X) + ZX`, three non-negative terms.
        """
        X, Z = np.abs(_f64(x)), np.abs(_f64(z))
        X = np.where(X < 1, X, 0.0)
        same = np.sign(_f64(x)) * np.sign(_f64(z)) >= 0
        q = X - Z * (1.0 - X)
        r = (1.0 + Z) * (1.0 - X)                  # 1 - q; 1 - X exact for X >= 1/2, where q -> 1 would cancel
        far = same & (r < 0.5)
        with np.errstate(divide="ignore"):
            b_far = -np.log(np.where(far, r, 1.0)) - (1.0 - r)
        b = np.where(same, np.where(far, b_far, -log1pmx(-np.where(same & ~far, q, 0.0))),
                     -log1pmx(Z) - log1pmx(-X) + Z * X)
        return np.sum(b, axis=-1)

    def _psi_star(self, y):
        a = np.abs(_f64(y))
        ra, rb = np.sqrt(a), np.sqrt(a + 4.0)
        xi = 2.0 * ra / (ra + rb)
        # 1 - xi = 4 / (ra + rb)^2, so log(1 - xi) needs no subtraction
        log1m = np.log(4.0) - 2.0 * np.log(ra + rb)
        psi_xi = np.where(xi < 0.6, log1m_tail(np.minimum(xi, 0.6)), -log1m - xi - 0.5 * xi * xi)
        return (a * xi - psi_xi).astype(y.dtype, copy=False)

    def _prox_step(self, z, t):
        # 2a / (1 + a + h), h = sqrt((1 - a)^2 + 4 t a) = hypot(1 - a, 2 sqrt(t) sqrt(a)): a sum of
        # non-negative terms (the form 1 + 4 (t - 1) w / (1 + a) under the root cancels for t -> 0);
        # for a > 1 divided through by a, so that nothing overflows
        zd = _f64(z)
        a = np.abs(zd)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            rt = math.sqrt(t)
            small = a <= 1.0
            asm = np.where(small, a, 0.0)
            x_small = 2.0 * asm / (1.0 + asm + np.hypot(1.0 - asm, 2.0 * rt * np.sqrt(asm)))
            inv = 1.0 / np.where(small, 1.0, a)
            x_big = 2.0 / (inv + 1.0 + np.hypot(inv - 1.0, 2.0 * rt * np.sqrt(inv)))
            x = np.where(small, x_small, x_big)
            x = np.where(np.isnan(zd), np.nan, x)
        return self._clip((np.sign(zd) * x).astype(z.dtype, copy=False))


@register("log_activation")
@dataclass(frozen=True, repr=False)
class LogActivation(SeparableActivation):
    r"""Logarithmic activation of Combettes & Pesquet (2020), :math:`\sigma(z) = \operatorname{sign}(z)\log(1+|z|)`.

    :math:`\sigma' = 1/(1+|z|)\in(0,1]`; with :math:`\psi'(x) = \operatorname{sign}(x)(e^{|x|}-1) - x`,

    .. math::  \psi(x) = e^{|x|} - 1 - |x| - \tfrac12 x^2, \qquad x\in\mathbb{R},

    normalised by :math:`\psi(0)=0`.  :math:`\phi^*(z) = (1+|z|)\log(1+|z|) - |z|`,
    :math:`\sigma'(z) = 1/(1+|z|)`.  :math:`\Psi^*` has no elementary closed form (it needs
    the Lambert W function) and is not provided.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("log_activation")
    >>> bool(np.isclose(act.prox([[-np.e + 1]])[0, 0], -1.0))
    True
    >>> bool(np.isclose(act.conjugate([[1.0]])[0], 2 * np.log(2) - 1))
    True
    """

    formula = "psi(x) = exp|x| - 1 - |x| - x^2/2"
    family = "sigmoid"

    def _psi(self, x):
        a = np.abs(_f64(x))
        small = a < 0.5
        s = np.where(small, a, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            em = np.expm1(a)
            direct = np.where(np.isinf(em), np.inf, em - a - 0.5 * a * a)      # inf, not inf - inf
        return np.where(small, _series(s, _EXPM1_TAIL, 3), direct).astype(x.dtype, copy=False)

    def _sigma(self, z):
        zd = _f64(z)
        return (np.sign(zd) * np.log1p(np.abs(zd))).astype(z.dtype, copy=False)

    def _sigma_prime(self, z):
        return (1.0 / (1.0 + np.abs(_f64(z)))).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        a = np.abs(_f64(z))
        small = a < 0.25
        s = np.where(small, a, 0.0)
        val = np.where(small, _series(s, _XLOG1P_TAIL, 2), xlog1py(1.0 + a, a) - a)
        return val.astype(z.dtype, copy=False)

    def _psi_domain(self):
        return -np.inf, np.inf

    def _psi_prime(self, x):
        # sign(x) (e^|x| - 1 - |x|), without cancellation near 0
        with np.errstate(over="ignore"):
            return np.sign(x) * expm1mx(np.abs(x))

    def _psi_second(self, x):
        with np.errstate(over="ignore"):
            return np.expm1(np.abs(x))

    def _t_psi_prime(self, x, t):
        # for |x| > 700: t (e^|x| - 1 - |x|) = exp(|x| + log t) - t (1 + |x|), without overflow
        a = np.abs(x)
        far = a > _EXP_SAFE
        val = t * expm1mx(np.where(far, 0.0, a))
        big = np.exp(np.where(far, a, 0.0) + math.log(t)) - t * (1.0 + a)
        return np.sign(x) * np.where(far, big, val)

    def _t_psi_second(self, x, t):
        a = np.abs(x)
        far = a > _EXP_SAFE
        return np.where(far, np.exp(np.where(far, a, 0.0) + math.log(t)) - t, t * np.expm1(np.where(far, 0.0, a)))


@register("isru")
@dataclass(frozen=True, repr=False)
class ISRU(SeparableActivation):
    r"""Inverse square root unit, :math:`\sigma(z) = z/\sqrt{1+\alpha z^2}`.

    :math:`\sigma'(z) = (1+\alpha z^2)^{-3/2}\in(0,1]` for every :math:`\alpha>0`; with
    :math:`\psi'(x) = x/\sqrt{1-\alpha x^2} - x`,

    .. math::  \psi(x) = \frac{1-\sqrt{1-\alpha x^2}}{\alpha} - \tfrac12x^2
               = \frac{\alpha x^4}{2\,(1+\sqrt{1-\alpha x^2})^2}, \qquad |x|\le 1/\sqrt\alpha,

    normalised by :math:`\psi(0)=0` (Combettes & Pesquet's :math:`-\sqrt{1-x^2}-x^2/2` for
    :math:`\alpha=1` is this minus 1).  The limit at the boundary is finite, so the lsc closure
    includes it: :math:`\psi(\pm1/\sqrt\alpha) = 1/(2\alpha)`.
    :math:`\phi^*(z) = (\sqrt{1+\alpha z^2}-1)/\alpha`.  :math:`\Psi^*` has no closed form
    (its stationarity condition is a quartic).

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\alpha > 0`; the range of :math:`\sigma` is :math:`(-1/\sqrt\alpha, 1/\sqrt\alpha)`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("isru", alpha=1.0)
    >>> bool(np.isclose(act.prox([[1.0]])[0, 0], 1 / np.sqrt(2)))
    True
    >>> float(act.psi([[1.0]])[0])
    0.5
    """

    alpha: float = 1.0
    formula = "psi(x) = (1 - sqrt(1 - alpha x^2))/alpha - x^2/2 on |x| <= 1/sqrt(alpha)"
    family = "sigmoid"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive(
            "alpha", self.alpha, why="for the domain |x| <= 1/sqrt(alpha) to be a bounded interval"))

    def _psi(self, x):
        xd = _f64(x)
        s = self.alpha * xd * xd
        inside = s <= 1
        r = np.sqrt(np.maximum(1.0 - s, 0.0))
        one_r = 1.0 + r
        val = s * xd * xd / (2.0 * one_r * one_r)
        return np.where(inside, val, np.inf).astype(x.dtype, copy=False)

    def _sigma(self, z):
        zd = _f64(z)
        inf = np.isinf(zd)
        # z / sqrt(1 + alpha z^2), with the limits +-1/sqrt(alpha) at z = +-inf (clipped below)
        s = np.where(inf, np.sign(zd) / math.sqrt(self.alpha),
                     zd / np.hypot(1.0, math.sqrt(self.alpha) * np.where(inf, 0.0, zd)))
        s = s.astype(z.dtype, copy=False)
        edge = _inner_edge(self, 1.0 / math.sqrt(self.alpha), z.dtype)
        return np.clip(s, -edge, edge)

    def _sigma_prime(self, z):
        h = np.hypot(1.0, math.sqrt(self.alpha) * _f64(z))
        return (1.0 / (h * h * h)).astype(z.dtype, copy=False)

    def _phi_star(self, z):
        a = np.abs(_f64(z))
        return (a * (a / (1.0 + np.hypot(1.0, math.sqrt(self.alpha) * a)))).astype(z.dtype, copy=False)

    def _psi_domain(self):
        edge = float(_inner_edge(self, 1.0 / math.sqrt(self.alpha), np.float64))
        return -edge, edge

    def _psi_prime(self, x):
        return isru_psi_prime(x, self.alpha)

    def _psi_second(self, x):
        return isru_psi_second(x, self.alpha)

    def _prox_finish(self, x):
        edge = _inner_edge(self, 1.0 / math.sqrt(self.alpha), x.dtype)
        return np.clip(x, -edge, edge)


def isru_psi_prime(x, alpha):
    r""":math:`\psi'(x) = x/\sqrt{1-\alpha x^2} - x = \frac{\alpha x^3}{r(1+r)}`, :math:`r = \sqrt{1-\alpha x^2}` (``+-inf`` at :math:`r = 0`)."""
    s = alpha * x * x
    r = np.sqrt(np.maximum(1.0 - s, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        val = x * s / (r * (1.0 + r))
    return np.where(r > 0, val, np.sign(x) * np.inf)


def isru_psi_second(x, alpha):
    r""":math:`\psi''(x) = r^{-3} - 1 = \frac{(1-r)(1+r+r^2)}{r^3}`, :math:`1 - r = \alpha x^2/(1+r)`."""
    s = alpha * x * x
    r = np.sqrt(np.maximum(1.0 - s, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (s / (1.0 + r)) * (1.0 + r + r * r) / (r * r * r)
    return np.where(r > 0, val, np.inf)
