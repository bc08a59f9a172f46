r"""Cancellation-free elementary functions shared by the closed-form activations.

Each function below is the difference of two numbers that agree to leading order near 0, so
the naive formula loses all relative accuracy there; a truncated Taylor series is used near 0
and the naive formula (which is then accurate) elsewhere.  They act elementwise on float arrays
and keep the dtype.

* :func:`expm1mx`        :math:`e^z - 1 - z`
* :func:`log1pmx`        :math:`\log(1+u) - u` for :math:`u > -1`
* :func:`asinhmx`        :math:`\operatorname{asinh} z - z`
* :func:`xlog1p_rem3`    :math:`(1+r)\log(1+r) - r - r^2/2` for :math:`r \ge -1`

and :func:`lambertw0`, the real principal branch of Lambert's :math:`W` on :math:`[-1/e, \infty)`
(SciPy returns NaN at the rounded branch point).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import lambertw, xlog1py

__all__ = ["expm1mx", "log1pmx", "asinhmx", "xlog1p_rem3", "lambertw0"]


def _series(x, coeffs, first_power):
    r""":math:`\sum_k c_k x^{k + p}` by Horner's rule (``p = first_power``)."""
    acc = np.zeros_like(x)
    for c in reversed(coeffs):
        acc = acc * x + x.dtype.type(c)
    return acc * x ** first_power


_EXPM1MX = [1.0 / math.factorial(k) for k in range(2, 22)]
_LOG1PMX = [(-1.0) ** (k + 1) / k for k in range(2, 62)]
_ASINH = [(-1.0) ** n * math.comb(2 * n, n) / (4.0 ** n * (2 * n + 1)) for n in range(1, 31)]
_XLOG1P3 = [(-1.0) ** k / (k * (k - 1)) for k in range(3, 62)]


def expm1mx(z):
    r""":math:`e^z - 1 - z`, accurate to rounding for all real :math:`z`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(expm1mx(np.array([1e-9]))[0], 5e-19, rtol=1e-14))
    True
    """
    small = np.abs(z) < 0.5
    zs = np.where(small, z, 0)
    zl = np.where(small, 0, z)
    return np.where(small, _series(zs, _EXPM1MX, 2), np.expm1(zl) - zl)


def log1pmx(u):
    r""":math:`\log(1+u) - u` for :math:`u > -1` (``-inf`` at :math:`u = -1`).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(log1pmx(np.array([1e-9]))[0], -5e-19, rtol=1e-14))
    True
    """
    small = np.abs(u) < 0.5
    us = np.where(small, u, 0)
    ul = np.where(small, 0, u)
    return np.where(small, _series(us, _LOG1PMX, 2), np.log1p(ul) - ul)


def asinhmx(z):
    r""":math:`\operatorname{asinh} z - z`, accurate to rounding for all real :math:`z`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(asinhmx(np.array([1e-4]))[0], -1e-12 / 6, rtol=1e-10))
    True
    """
    small = np.abs(z) < 0.5
    zs = np.where(small, z, 0)
    zl = np.where(small, 0, z)
    return np.where(small, _series(zs * zs, _ASINH, 1) * zs, np.arcsinh(zl) - zl)


def xlog1p_rem3(r):
    r""":math:`(1+r)\log(1+r) - r - \tfrac12 r^2 = \sum_{k\ge3} (-1)^k r^k / (k(k-1))` for :math:`r \ge -1`.

    At :math:`r=-1` the value is the limit :math:`\tfrac12` (``0 log 0 = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> xlog1p_rem3(np.array([-1.0])).tolist()
    [0.5]
    """
    small = np.abs(r) < 0.5
    rs = np.where(small, r, 0)
    rl = np.where(small, 0, r)
    return np.where(small, _series(rs, _XLOG1P3, 3), xlog1py(1 + rl, rl) - rl - 0.5 * rl * rl)


_BRANCH = -math.exp(-1.0)


def lambertw0(x):
    r"""Real principal branch :math:`W_0(x)` for :math:`x \ge -1/e`, in float64.

    Arguments that rounding has pushed onto or just below the branch point :math:`-1/e` give
    :math:`W_0(-1/e) = -1`.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> lambertw0(np.array([-math.exp(-1.0), 0.0, math.e])).tolist()
    [-1.0, 0.0, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    at_branch = x <= _BRANCH
    w = lambertw(np.where(at_branch, 0.0, x), 0).real
    return np.where(at_branch, -1.0, w)
