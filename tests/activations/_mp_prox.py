r"""A high-precision reference for :math:`\operatorname{prox}_{t\Psi}(z)` of the smooth separable activations.

For a separable activation with :math:`\psi' = \sigma^{-1} - \mathrm{id}` (Remark 2), the point
:math:`x = \operatorname{prox}_{t\psi}(z)` is the unique root of the strictly increasing

.. math::  F(x) = x - z + t\,\psi'(x)  \qquad (t \le 1), \qquad
           F(x) = (x - z)/t + \psi'(x)  \qquad (t > 1)

on :math:`\operatorname{dom}\psi` (:math:`\psi' = \mp\infty` at and beyond the ends of the domain).
Here :math:`\psi'` is written from its definition in mpmath (no cancellation-free rewriting: the
working precision is raised instead), :math:`F` is evaluated in arbitrary precision, and the root is
located by bisection over the *float64 bit patterns* of the unknown (64 halvings reach adjacent
doubles from any bracket), so the reference is the double next to the exact root, found without
trusting anything in ``bregnet`` (the nearer of the two by the sign of :math:`F` at their midpoint).  For :math:`t\le1` the unknown is :math:`d = x - z` (added to
:math:`z` exactly), so that :math:`x = z - t\psi'(x)` is resolved even for :math:`t = 10^{-300}`;
where the step :math:`|d|` is not small next to :math:`|x|` (so that one ulp of :math:`d` would be
coarser than one ulp of :math:`x`) it is solved for :math:`x` itself.

Only the helpers; the tests are in ``test_prox_extreme_steps.py``.
"""
from __future__ import annotations

import math

import numpy as np

mp = None  # set by init()


def init():
    """Import mpmath (the caller skips when it is missing); return the module."""
    global mp
    import mpmath

    mp = mpmath
    return mp


# ----------------------------------------------------------------------- psi' from the definitions
def _extra_digits(x) -> int:
    """Digits lost by cancellation in sigma^{-1}(x) - x near x = 0 (at most ~2 per decade of |x|)."""
    if x == 0:
        return 0
    e = -float(mp.log10(abs(x)))
    return int(max(0.0, 2.0 * e)) + 10


def psi_prime(name: str, p: dict, x):
    r""":math:`\psi'(x) = \sigma^{-1}(x) - x` (``+-inf`` at and outside the ends of the domain), in mpmath."""
    one = mp.mpf(1)
    inf = mp.inf
    with mp.extradps(_extra_digits(x)):
        x = +x
        if name == "tanh":
            if x >= 1:
                return inf
            if x <= -1:
                return -inf
            return mp.atanh(x) - x
        if name == "sigmoid":
            if x >= 1:
                return inf
            if x <= 0:
                return -inf
            return mp.log(x) - mp.log(1 - x) - x
        if name == "unimodal_sigmoid":
            if x >= mp.mpf(0.5):
                return inf
            if x <= -mp.mpf(0.5):
                return -inf
            return 2 * mp.atanh(2 * x) - x
        if name == "arctan":
            c = mp.mpf(p.get("scale", 2.0 / math.pi))
            edge = c * mp.pi / 2
            if x >= edge:
                return inf
            if x <= -edge:
                return -inf
            return mp.tan(x / c) - x
        if name == "asinh":
            return mp.sinh(x) - x
        if name == "softsign":
            if abs(x) >= 1:
                return mp.sign(x) * inf
            return x / (1 - abs(x)) - x
        if name == "log_activation":
            return mp.sign(x) * (mp.exp(abs(x)) - 1) - x
        if name in ("isru", "isrlu"):
            a = mp.mpf(p.get("alpha", p.get("a", 1.0)))
            if name == "isrlu" and x >= 0:
                return mp.mpf(0)
            if a * x * x >= 1:
                return mp.sign(x) * inf
            return x / mp.sqrt(1 - a * x * x) - x
        if name in ("softplus", "log_sigmoid"):
            b = mp.mpf(p.get("beta", 1.0))
            sgn = 1 if name == "softplus" else -1
            v = sgn * x
            if v <= 0:
                return -sgn * inf
            # log(1 - e^{-b v}) / b, written so that mpmath sees the small quantity directly
            val = mp.log(-mp.expm1(-b * v)) if b * v < 1 else mp.log1p(-mp.exp(-b * v))
            return sgn * val / b
        if name in ("elu", "celu"):
            a = mp.mpf(p.get("alpha", 1.0))
            if x > 0:
                return mp.mpf(0)
            if x <= -a:
                return -inf
            if name == "elu":
                return mp.log(1 + x / a) - x
            return a * mp.log(1 + x / a) - x
        if name == "bent_identity":
            if x <= -mp.mpf(0.5):
                return -inf
            return one / 2 - one / (2 * (1 + 2 * x))
    raise KeyError(name)


def domain(name: str, p: dict) -> tuple[float, float]:
    """The closure of dom psi, as floats (the bracket of the unknown x)."""
    big = float(np.finfo(np.float64).max)
    if name == "tanh":
        return -1.0, 1.0
    if name == "sigmoid":
        return 0.0, 1.0
    if name == "unimodal_sigmoid":
        return -0.5, 0.5
    if name == "arctan":
        c = p.get("scale", 2.0 / math.pi)
        return -c * math.pi / 2 * (1 + 1e-15), c * math.pi / 2 * (1 + 1e-15)
    if name == "softsign":
        return -1.0, 1.0
    if name in ("isru",):
        r = 1.0 / math.sqrt(p.get("alpha", 1.0))
        return -r * (1 + 1e-15), r * (1 + 1e-15)
    if name == "isrlu":
        return -(1.0 / math.sqrt(p.get("a", 1.0))) * (1 + 1e-15), big
    if name == "softplus":
        return 0.0, big
    if name == "log_sigmoid":
        return -big, 0.0
    if name in ("elu", "celu"):
        return -p.get("alpha", 1.0), big
    if name == "bent_identity":
        return -0.5, big
    return -big, big


# ----------------------------------------------------------------------- bisection over float64 bits
_SIGN = np.int64(-0x8000000000000000)
_MAG = np.int64(0x7FFFFFFFFFFFFFFF)


def _ord(x: float) -> int:
    i = int(np.array(x, dtype=np.float64).view(np.int64))
    return i if i >= 0 else -(i & int(_MAG))


def _unord(k: int) -> float:
    i = k if k >= 0 else ((-k) | int(_SIGN))
    return float(np.array(i, dtype=np.int64).view(np.float64))


def _root_bits(F, lo: float, hi: float):
    """Adjacent doubles (a, b) with F(a) <= 0 <= F(b) (or a == b where F is 0), by bisection in bit space."""
    fa, fb = F(lo), F(hi)
    if fa >= 0:
        return lo, lo, fa, fa
    if fb <= 0:
        return hi, hi, fb, fb
    a, b = _ord(lo), _ord(hi)
    while b - a > 1:
        m = (a + b) // 2
        fm = F(_unord(m))
        if fm == 0:
            x = _unord(m)
            return x, x, fm, fm
        if fm < 0:
            a, fa = m, fm
        else:
            b, fb = m, fm
    return _unord(a), _unord(b), fa, fb


def _nearest(F, a, b):
    """Of the adjacent doubles a < b around the root of the increasing F, the nearer one (F at the midpoint)."""
    if a == b:
        return a
    mid = (mp.mpf(a) + mp.mpf(b)) / 2          # exact: 54 bits
    return a if F(mid) >= 0 else b


def _interp(F, a, b, fa, fb):
    """The root between adjacent doubles a and b as an mpf, by linear interpolation of F (bisection if F is infinite)."""
    if a == b:
        return mp.mpf(a)
    if not (mp.isfinite(fa) and mp.isfinite(fb)):
        return mp.mpf(_nearest(F, a, b))
    return mp.mpf(a) - fa * (mp.mpf(b) - mp.mpf(a)) / (fb - fa)


def prox_reference(name: str, p: dict, z: float, t: float) -> float:
    r"""The double nearest to :math:`\operatorname{prox}_{t\psi}(z)` (computed at 60+ significant digits)."""
    lo, hi = domain(name, p)
    if math.isinf(z):
        return hi if z > 0 else lo
    zm = mp.mpf(z)
    tm = mp.mpf(t)
    with mp.workdps(60):
        if t <= 1:
            def Fd(d):
                x = mp.fadd(zm, mp.mpf(d), exact=True)
                return mp.mpf(d) + tm * psi_prime(name, p, x)
            big = float(np.finfo(np.float64).max)
            dlo = max(lo - z, -big) if lo > -big else -big
            dhi = min(hi - z, big) if hi < big else big
            a, b, fa, fb = _root_bits(Fd, dlo, dhi)
            d = _interp(Fd, a, b, fa, fb)
            x = mp.fadd(zm, d, prec=2200)
            if abs(d) <= abs(x) / 4:
                return float(x)
            # the step d is not small next to x: its resolution (one ulp of d) would limit x, so
            # solve for x itself (x - z = d does not cancel much here)

            def F(x):
                return mp.mpf(x) - zm + tm * psi_prime(name, p, mp.mpf(x))
        else:
            def F(x):
                return (mp.mpf(x) - zm) / tm + psi_prime(name, p, mp.mpf(x))
        a, b, fa, fb = _root_bits(F, lo, hi)
        return _nearest(F, a, b)


def ulp_distance(a, b) -> np.ndarray:
    """Number of doubles between a and b (0 if equal; counts across 0 and the subnormals)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ia, ib = a.view(np.int64), b.view(np.int64)
    oa = np.where(ia >= 0, ia, -(ia & _MAG))
    ob = np.where(ib >= 0, ib, -(ib & _MAG))
    return np.abs(oa - ob)
