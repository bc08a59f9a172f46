r"""Activations onto the probability simplex: softmax (Example 1) and its relatives.

Softmax with temperature :math:`T` is the proximal map of

.. math::  \Psi(u) = \sum_j \bigl(T\,u_j\log u_j - \tfrac12 u_j^2\bigr) + \chi_\Delta(u),

:math:`\Delta = \{u \ge 0, \sum_j u_j = 1\}` (Example 1 is :math:`T = 1`).  :math:`\Psi` is convex
exactly when :math:`T \ge \tfrac12`: on the tangent space :math:`\sum_j v_j = 0` of :math:`\Delta`,
:math:`T\sum_j v_j^2/u_j \ge T\|v\|_1^2 \ge 2T\|v\|_2^2`, with equality approached at
:math:`u = (\tfrac12,\tfrac12,0,\dots)`.  Then :math:`\sigma(z) = \operatorname{softmax}(z/T)` and
:math:`\Phi^*(z) = T\log\sum_j e^{z_j/T}`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, wrightomega, xlogy

from ._params import check_real
from .base import Activation, as_float_array, check_step, prox_step_by_newton, solve_monotone
from .registry import register


def simplex_tolerance(x: np.ndarray) -> float:
    """Rounding tolerance for membership of the simplex: ``16 n eps`` of the dtype."""
    return 16 * max(x.shape[-1], 1) * float(np.finfo(x.dtype).eps)


def on_simplex(x: np.ndarray) -> np.ndarray:
    r"""Boolean array ``x.shape[:-1]``: :math:`x \ge 0` and :math:`|\sum_j x_j - 1|` within rounding."""
    tol = simplex_tolerance(x)
    return np.all(x >= 0, axis=-1) & (np.abs(np.sum(x, axis=-1) - 1) <= tol)


def softmax(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r""":math:`\operatorname{softmax}(z/T)_j = e^{z_j/T - \operatorname{lse}(z/T)}`, overflow-free."""
    w = z / z.dtype.type(temperature)
    w = w - np.max(w, axis=-1, keepdims=True)
    e = np.exp(w)
    return e / np.sum(e, axis=-1, keepdims=True)


@register("softmax")
@dataclass(frozen=True, repr=False)
class Softmax(Activation):
    r"""Softmax with temperature, :math:`\sigma(z) = \operatorname{softmax}(z/T)` (Example 1 for :math:`T=1`).

    :math:`\Psi(u) = \sum_j(T u_j\log u_j - \tfrac12u_j^2)` on the simplex (``0 log 0 = 0``),
    :math:`\Phi^*(z) = T\operatorname{lse}(z/T)`, and the Bregman loss is the shifted
    cross-entropy of Example 2.  :math:`\Psi^*` has no closed form.

    :math:`\operatorname{prox}_{t\Psi}` for :math:`t<1` solves
    :math:`(1-t)u_j + tT\log u_j = z_j - \nu - tT` entrywise with the Wright omega function and
    finds the multiplier :math:`\nu` of :math:`\sum_j u_j = 1` by safeguarded Newton; for
    :math:`t>1` the generic strongly convex potential of :func:`~bregnet.activations.base.prox_step_by_newton` is used.

    Parameters
    ----------
    temperature : float, default 1.0
        :math:`T \ge \tfrac12` (convexity of :math:`\Psi`, see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("softmax")
    >>> np.round(act.prox([[0.0, np.log(3.0)]]), 6).tolist()
    [[0.25, 0.75]]
    >>> float(act.psi([[0.5, 0.6]])[0])
    inf
    """

    temperature: float = 1.0
    formula = "Psi(u) = sum(T u log u - u^2/2) on the simplex"
    family = "simplex"

    def __post_init__(self):
        T = check_real("temperature", self.temperature)
        if T < 0.5:
            raise ValueError(f"temperature must be >= 1/2 for Psi to be convex on the simplex; got {self.temperature!r}")
        object.__setattr__(self, "temperature", T)

    def psi(self, x):
        x = as_float_array(x, "x")
        T = x.dtype.type(self.temperature)
        xc = np.maximum(x, 0)
        val = np.sum(T * xlogy(xc, xc) - 0.5 * xc * xc, axis=-1)
        return np.where(on_simplex(x), val, np.inf).astype(x.dtype)

    def prox(self, z, step: float = 1.0):
        z = as_float_array(z)
        t = check_step(step)
        if t == 1.0:
            return softmax(z, self.temperature)
        if t > 1.0:
            return prox_step_by_newton(self, z, t)
        return self._prox_small_step(z, t)

    def _prox_small_step(self, z, t):
        dtype = z.dtype
        zz = z.astype(np.float64)
        n = zz.shape[-1]
        T = self.temperature
        a = t * T / (1.0 - t)
        zmax = np.max(zz, axis=-1)

        def u_of(mu):  # mu = -nu; entries as a function of the multiplier
            c = zz + mu[..., None] - t * T
            return a * wrightomega(c / (t * T) - np.log(a)).real

        def total(mu):
            return np.sum(u_of(mu), axis=-1)

        def dtotal(mu):
            u = u_of(mu)
            return np.sum(u / ((1.0 - t) * u + t * T), axis=-1)

        lo = -(zmax - t * T - (1.0 - t) / n + t * T * np.log(n)) - 1e-12 * (1 + np.abs(zmax))
        hi = -(zmax - t * T - (1.0 - t)) + 1e-12 * (1 + np.abs(zmax))
        mu = solve_monotone(total, dtotal, np.ones_like(zmax), lo, hi)
        u = u_of(np.asarray(mu))
        u = u / np.sum(u, axis=-1, keepdims=True)
        return u.astype(dtype)

    def conjugate(self, z):
        z = as_float_array(z)
        T = self.temperature
        return (T * logsumexp(z / z.dtype.type(T), axis=-1)).astype(z.dtype)

    def vjp(self, z, v):
        r""":math:`J^\top v = (s\odot v - s\langle s, v\rangle)/T`, :math:`s = \sigma(z)`."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        s = softmax(z, self.temperature)
        return (s * v - s * np.sum(s * v, axis=-1, keepdims=True)) / z.dtype.type(self.temperature)

    def jacobian(self, z):
        z = as_float_array(z)
        s = softmax(z, self.temperature)
        J = s[..., :, None] * np.eye(s.shape[-1], dtype=s.dtype) - s[..., :, None] * s[..., None, :]
        return J / z.dtype.type(self.temperature)
