r"""Tanhshrink, :math:`\sigma(z) = z - \tanh z`, as a proximal activation (Section 3, Definition 1, Theorem 7).

:math:`\sigma' = \tanh^2 \in [0, 1)`, so :math:`\sigma` is nondecreasing and 1-Lipschitz, and it is
the proximal map of the convex :math:`\psi` with :math:`\psi' = \sigma^{-1} - \mathrm{id}` (Remark 2).
By the Moreau identity (Theorem 7) :math:`\sigma = \mathrm{id} - \tanh = \mathrm{id} -
\operatorname{prox}_{\psi_{\tanh}}` is the prox of :math:`\psi_{\tanh}^*`, so

.. math::  \psi = \psi_{\tanh}^*, \qquad \psi^* = \psi_{\tanh}, \qquad
           \phi^*(z) = \tfrac12 z^2 - \phi_{\tanh}^*(z) = \tfrac12 z^2 - \log\cosh z,

with :math:`\psi_{\tanh}(y) = \tfrac12[(1+y)\log(1+y) + (1-y)\log(1-y)] - \tfrac12y^2` on
:math:`[-1, 1]` (Example 1).  In terms of :math:`u = \sigma^{-1}(x)` (the root of
:math:`u - \tanh u = x`, which has no closed form):

.. math::  \psi'(x) = \tanh u, \qquad \psi''(x) = \frac{1}{\sinh^2 u}, \qquad
           \psi(x) = \int_0^u \tanh^3 s\,ds = \log\cosh u - \tfrac12\tanh^2 u
           = \tfrac12\bigl(-\log(1-w) - w\bigr),\ w = \tanh^2 u,

:math:`\operatorname{dom}\psi = \mathbb R`, :math:`\psi(x) \approx \tfrac14(3|x|)^{4/3}` near 0 and
:math:`|x| + \tfrac12 - \log 2` for large :math:`|x|` (a smoothed :math:`|x|`: tanhshrink is a
smoothed soft-thresholding at 1).

Numerics (all in float64): :math:`\sigma(z) = (z\cosh z - \sinh z)/\cosh z` by its positive series
:math:`\sum_{k\ge1} 2k\,z^{2k+1}/(2k+1)!` for :math:`|z| < 3/2` (no cancellation), else
:math:`z - \tanh z`; :math:`u = \sigma^{-1}(x)` by Newton's method from an upper bound (convex
:math:`\sigma` on :math:`u \ge 0`, so the iterates decrease monotonically to the root:
:math:`\sqrt[3]{5x}` for :math:`x \le 1/5`, since :math:`\sigma(u) \ge u^3/5` on :math:`[0, 1]`,
else :math:`x + \tanh(x + 1)`), :math:`u = \sqrt[3]{3x}` below :math:`10^{-30}`; :math:`\psi` by the
series :math:`\tfrac12\sum_{k\ge2} w^k/k` for :math:`w \le 1/2`, else by
:math:`\log\cosh u - \tfrac12\tanh^2 u`; :math:`\phi^*` by the Taylor series of
:math:`\log\cosh` for :math:`|z| < 1` (coefficients from :math:`\tanh' = 1 - \tanh^2`), else
directly; :math:`\psi^*(y)` by :math:`\sum_{k\ge2} y^{2k}/(2k(2k-1))` for :math:`y^2 \le 1/2`, else by
the closed form.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import xlog1py

from .base import SeparableActivation, as_float_array, check_step
from .registry import register
from .sigmoids import Tanh

__all__ = ["TanhShrink", "tanhshrink", "tanhshrink_inverse"]

_LOG2 = math.log(2.0)


def _tanh_taylor(terms: int) -> list[float]:
    r"""Coefficients :math:`c_k` of :math:`\tanh z = \sum_k c_k z^{2k+1}`, from :math:`(2k+1)c_k = [k=0] - \sum_{i+j=k-1} c_ic_j`."""
    c = [1.0]
    for k in range(1, terms):
        c.append(-sum(c[i] * c[k - 1 - i] for i in range(k)) / (2 * k + 1))
    return c


_TANH = _tanh_taylor(48)
#: z cosh z - sinh z = z^3 sum_j d_j z^{2j}, d_j = 2(j+1)/(2j+3)!
_ZCOSH_MINUS_SINH = [2.0 * (j + 1) / math.factorial(2 * j + 3) for j in range(16)]
#: z^2/2 - log cosh z = z^4 sum_j e_j z^{2j}, e_j = -c_{j+1}/(2j+4)
_HALF_SQ_MINUS_LOGCOSH = [-_TANH[j + 1] / (2 * j + 4) for j in range(46)]
#: -log(1-w) - w = w^2 sum_j w^j/(j+2)
_LOG1M_TAIL = [1.0 / (j + 2) for j in range(58)]
#: psi_tanh(y) = w^2 sum_j w^j/((2j+4)(2j+3)), w = y^2
_PSI_TANH = [1.0 / ((2 * j + 4) * (2 * j + 3)) for j in range(60)]


def _horner(x, coeffs):
    acc = np.zeros_like(x)
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


def _log_cosh(u):
    a = np.abs(u)
    return a + np.log1p(np.exp(-2.0 * a)) - _LOG2


def tanhshrink(z):
    r""":math:`z - \tanh z` without cancellation near 0 (float64).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(tanhshrink(np.array([1e-4]))[0], 1e-12 / 3, rtol=1e-14))
    True
    """
    z = np.asarray(z, dtype=np.float64)
    small = np.abs(z) < 1.5
    zs = np.where(small, z, 0.0)
    with np.errstate(invalid="ignore"):
        direct = z - np.tanh(z)
    ser = zs * zs * zs * _horner(zs * zs, _ZCOSH_MINUS_SINH) / np.cosh(zs)
    return np.where(small, ser, direct)


def tanhshrink_inverse(x):
    r""":math:`u = \sigma^{-1}(x)`, the root of :math:`u - \tanh u = x` (float64; odd; :math:`\pm\infty` at :math:`\pm\infty`).

    Newton's method from an upper bound of the root (see the module docstring), stopped when the
    iterates stop decreasing.

    Examples
    --------
    >>> import numpy as np
    >>> u = tanhshrink_inverse(np.array([1e-9, 0.5, 10.0]))
    >>> bool(np.allclose(tanhshrink(u), [1e-9, 0.5, 10.0], rtol=1e-15, atol=0))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x).reshape(-1)
    tiny = a < 1e-30
    with np.errstate(over="ignore", invalid="ignore"):
        u = np.where(a <= 0.2, np.cbrt(5.0 * a), a + np.tanh(a + 1.0))
        idx = np.flatnonzero(np.isfinite(u) & ~tiny)
        for _ in range(100):
            if idx.size == 0:
                break
            ui, th = u[idx], np.tanh(u[idx])
            new = ui - (tanhshrink(ui) - a[idx]) / (th * th)
            moved = new < ui
            u[idx[moved]] = new[moved]
            idx = idx[moved]
    u = np.where(tiny, np.cbrt(3.0 * a), u).reshape(x.shape)
    return np.where(np.isnan(x), np.nan, np.copysign(u, x))


@register("tanhshrink")
@dataclass(frozen=True, repr=False)
class TanhShrink(SeparableActivation):
    r"""Tanhshrink, :math:`\sigma(z) = z - \tanh z` (the prox of :math:`\psi = \psi_{\tanh}^*`).

    .. math::  \psi(x) = \log\cosh u - \tfrac12\tanh^2 u,\quad u = \sigma^{-1}(x), \qquad
               \phi^*(z) = \tfrac12z^2 - \log\cosh z, \qquad
               \psi^*(y) = \tfrac12[(1+y)\log(1+y) + (1-y)\log(1-y) - y^2]\ \text{on } [-1, 1]

    (:math:`\psi^*` is tanh's :math:`\psi`, Theorem 7), :math:`\sigma'(z) = \tanh^2 z`.
    :math:`\operatorname{prox}_{t\psi}` for :math:`t \ne 1` from :math:`\psi'(x) = \tanh\sigma^{-1}(x)`
    (:func:`~bregnet.activations.base.prox_step_from_psi_prime`).  Formulas and numerics: module
    docstring of :mod:`bregnet.activations.tanhshrink`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("tanhshrink")
    >>> bool(np.isclose(act.prox([[2.0]])[0, 0], 2.0 - np.tanh(2.0)))
    True
    >>> float(act.psi_conjugate([[1.0]])[0]) == float(np.log(2.0) - 0.5)
    True
    >>> float(act.psi_conjugate([[1.5]])[0])
    inf
    """

    has_psi_conjugate = True
    formula = "psi = (psi_tanh)*: psi(x) = log cosh u - tanh(u)^2/2, u - tanh u = x"
    family = "shrinkage"

    def _psi(self, x):
        u = tanhshrink_inverse(x)
        th = np.tanh(u)
        w = th * th
        small = w <= 0.5
        ws = np.where(small, w, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            direct = _log_cosh(u) - 0.5 * w
        val = np.where(small, 0.5 * ws * ws * _horner(ws, _LOG1M_TAIL), direct)
        return np.where(np.isnan(x), np.nan, val).astype(x.dtype)

    def _sigma(self, z):
        return tanhshrink(z).astype(z.dtype)

    def _sigma_prime(self, z):
        th = np.tanh(z)
        return th * th

    def _phi_star(self, z):
        zz = np.asarray(z, dtype=np.float64)
        small = np.abs(zz) < 1.0
        zs = np.where(small, zz, 0.0)
        z2 = zs * zs
        with np.errstate(over="ignore", invalid="ignore"):
            direct = np.where(np.isinf(zz), np.inf, 0.5 * zz * zz - _log_cosh(zz))
        return np.where(small, z2 * z2 * _horner(z2, _HALF_SQ_MINUS_LOGCOSH), direct).astype(z.dtype)

    def _psi_star(self, y):
        yy = np.asarray(y, dtype=np.float64)
        w = yy * yy
        small = w <= 0.5
        ws = np.where(small, w, 0.0)
        yc = np.clip(yy, -1.0, 1.0)
        direct = 0.5 * (xlog1py(1 + yc, yc) + xlog1py(1 - yc, -yc) - yc * yc)
        val = np.where(small, ws * ws * _horner(ws, _PSI_TANH), direct)
        return np.where(np.abs(yy) <= 1, val, np.where(np.isnan(yy), np.nan, np.inf)).astype(y.dtype)

    def prox_psi_star(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\psi^*} = \operatorname{prox}_{t\psi_{\tanh}}` (the tanh activation's; :math:`\tanh` at :math:`t = 1`).

        Equal to :math:`z - t\,\operatorname{prox}_{\psi/t}(z/t)` (Theorem 7), but computed without
        that subtraction, which rounds out of :math:`\operatorname{dom}\psi^* = [-1, 1]` at large
        :math:`|z|` (in float32 :math:`z - \sigma(z)` is 0 or 4 at :math:`z = 3\cdot10^7`).
        """
        z = as_float_array(z)
        return Tanh().prox(z, step=check_step(step))

    def _psi_domain(self):
        return -np.inf, np.inf

    def _psi_prime(self, x):
        return np.tanh(tanhshrink_inverse(x))

    def _psi_second(self, x):
        s = np.sinh(tanhshrink_inverse(x))
        with np.errstate(divide="ignore", over="ignore"):
            return 1.0 / (s * s)
