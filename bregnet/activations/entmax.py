r"""alpha-entmax with temperature as a proximal activation (Section 3, Definition 1; Peters, Niculae & Martins 2019).

For :math:`\alpha > 1` and a temperature :math:`T > 0`,

.. math::  \operatorname{entmax}_\alpha(z/T) = \arg\max_{p\in\Delta}\ \langle p, z\rangle + T H^T_\alpha(p),
           \qquad H^T_\alpha(p) = \frac{1}{\alpha(\alpha-1)}\sum_j (p_j - p_j^\alpha)

(Tsallis entropy, :math:`\Delta` the probability simplex).  Since
:math:`\tfrac12\|p - z\|^2 = \tfrac12\|p\|^2 - \langle p, z\rangle + \tfrac12\|z\|^2`, it is the
minimiser of :math:`\tfrac12\|p - z\|^2 + \Psi(p)` with

.. math::  \Psi(p) = \frac{T}{\alpha(\alpha-1)}\sum_j (p_j^\alpha - p_j) - \tfrac12\|p\|^2 + \chi_\Delta(p),

and it is the proximal map (9) of this :math:`\Psi` exactly when :math:`\Psi` is convex (the map
:math:`\sigma` then determines :math:`\Phi = \tfrac12\|\cdot\|^2 + \Psi = -TH^T_\alpha + \chi_\Delta`
up to a constant, so no other convex :math:`\Psi` can do it either).  On the tangent space
:math:`\sum_j v_j = 0` of :math:`\Delta` the second derivative of :math:`\Psi` is
:math:`\sum_j (T p_j^{\alpha-2} - 1) v_j^2`, and the Jacobian of :math:`\sigma` is
:math:`J = \tfrac1T(\operatorname{diag}(s) - s s^\top/\textstyle\sum_j s_j)`,
:math:`s_j = p_j^{2-\alpha}` on the support :math:`p_j > 0` (0 elsewhere); :math:`\sigma` is a
proximal map iff :math:`J \preceq I`.  Hence:

* :math:`1 < \alpha \le 2` and :math:`T \ge 1`: every term :math:`Tp^{\alpha-2} - 1 \ge T - 1 \ge 0`
  on :math:`(0, 1]`, so :math:`\Psi` is convex (a sum of convex functions of one coordinate on
  :math:`[0,1]`); equivalently :math:`J \preceq \tfrac1T\max_j s_j\, I \preceq I`.
* :math:`1 < \alpha \le 2` and :math:`T < 1`: not proximal in every dimension.  With
  :math:`p = (1-q, q/m, \dots, q/m)` the Rayleigh quotient of :math:`J` at :math:`e_1` is
  :math:`\tfrac1T(s_1 - s_1^2/\sum_j s_j)` with :math:`\sum_j s_j \ge m^{\alpha-1}q^{2-\alpha}\to\infty`
  as :math:`m\to\infty`, which tends to :math:`(1-q)^{2-\alpha}/T > 1` for small :math:`q`
  (for :math:`\alpha = 2`, :math:`J = \tfrac1T\times` a projection, eigenvalue :math:`1/T`, for
  every :math:`n\ge2`).  A fixed dimension :math:`n` allows a smaller :math:`T_n(\alpha) \ge
  2^{\alpha-2}` (the value at :math:`p = (\tfrac12, \tfrac12)`), which an activation that does
  not know :math:`n` cannot use.  (:math:`\alpha\to1` is softmax, whose :math:`\sum_j s_j = 1`
  stays bounded: there :math:`T\ge\tfrac12` is the exact condition, see
  :mod:`bregnet.activations.simplex`.)
* :math:`\alpha > 2`: never proximal, whatever :math:`T`.  Now :math:`s_j = p_j^{2-\alpha}\to\infty`
  as :math:`p_j\to0^+`; for :math:`n = 2` at :math:`p = (\tfrac12,\tfrac12)` the eigenvalue is
  :math:`2^{\alpha-2}/T`, and for :math:`n\ge3` at :math:`p = (1-\delta-\varepsilon, \delta,
  \varepsilon)`, :math:`\varepsilon\ll\delta\to0`, the largest eigenvalue tends to
  :math:`\delta^{2-\alpha}/T\to\infty`.  The function is available as :func:`entmax_threshold`,
  but not as an activation.

The solution (KKT) is the :math:`q`-exponential form (:math:`q = 2 - \alpha`, :math:`a = \alpha - 1`)

.. math::  \sigma(z)_j = \exp_\alpha\!\bigl(z_j/T - v\bigr), \qquad
           \exp_\alpha(x) = [1 + a x]_+^{1/a},

with the scalar :math:`v` such that :math:`\sum_j\sigma(z)_j = 1` (Peters et al.'s threshold is
:math:`\tau = a v - 1`); :math:`\exp_\alpha\to\exp` and :math:`v\to\operatorname{lse}(z/T)` as
:math:`\alpha\to1`, so that this :math:`\Psi` tends to softmax's, constant included.  For
:math:`\alpha = 3/2` it is ``entmax15`` exactly (:math:`\Psi` included); for :math:`\alpha = 2` it
is ``sparsemax`` (with temperature), whose :math:`\Psi = \tfrac{T-1}2\|p\|^2 + \chi_\Delta` differs
from the one here by the constant :math:`T/2` (here :math:`\Psi` keeps the :math:`-p_j` terms of
the entropy, whose sum is 1 on :math:`\Delta`): the two give the same :math:`\sigma`,
:math:`\operatorname{prox}_{t\Psi}` and Bregman loss, and :math:`\Psi`, :math:`\Phi^*` differ by
:math:`\mp T/2`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._params import check_real
from .base import Activation, as_float_array, check_step, solve_monotone
from .registry import NotProximalError, register
from .simplex import _as_vectors, _prox_nonfinite_rows, on_simplex

__all__ = ["Entmax", "entmax_threshold", "exp_alpha"]


def exp_alpha(x: np.ndarray, alpha: float) -> np.ndarray:
    r"""The :math:`\alpha`-exponential :math:`[1 + (\alpha-1)x]_+^{1/(\alpha-1)}`, computed as
    :math:`\exp(\operatorname{log1p}((\alpha-1)x)/(\alpha-1))` (no loss as :math:`\alpha\to1`).

    Examples
    --------
    >>> import numpy as np
    >>> exp_alpha(np.array([0.0, 1.0, -2.0, -3.0]), 1.5).tolist()
    [1.0, 2.25, 0.0, 0.0]
    """
    a = alpha - 1.0
    base = a * x
    inside = base > -1.0
    with np.errstate(divide="ignore", over="ignore"):
        val = np.exp(np.log1p(np.where(inside, base, 0.0)) / a)
    return np.where(inside, val, 0.0)


def entmax_threshold(z: np.ndarray, alpha: float, temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\operatorname{entmax}_\alpha(z/T)` for any :math:`\alpha > 1`, and its threshold.

    Returns ``(p, v)`` with :math:`p_j = \exp_\alpha(w_j - v)`, :math:`w = (z - \max_j z_j)/T`
    (the map is invariant under adding a constant to every entry), and :math:`v` (relative to
    ``w``) the root of the nondecreasing-in-:math:`-v` equation :math:`\sum_j p_j = 1`, found by
    safeguarded Newton (:func:`~bregnet.activations.base.solve_monotone`) in the bracket
    :math:`[0, (1 - n^{1-\alpha})/(\alpha-1)]` (at :math:`v = 0` the largest entry is 1, at the
    right end every entry is at most :math:`1/n`).  Computed in float64; finite ``z`` only.

    Examples
    --------
    >>> import numpy as np
    >>> p, v = entmax_threshold(np.array([[1.0, 0.5, -1.0]]), 2.0)      # sparsemax
    >>> np.round(p, 12).tolist()
    [[0.75, 0.25, 0.0]]
    """
    zz = np.asarray(z, dtype=np.float64)
    a = alpha - 1.0
    w = (zz - np.max(zz, axis=-1, keepdims=True)) / temperature
    n = w.shape[-1]
    shape = w.shape[:-1]

    def total(m):  # m = -v
        return np.sum(exp_alpha(w + m[..., None], alpha), axis=-1)

    def dtotal(m):
        p = exp_alpha(w + m[..., None], alpha)
        return np.sum(np.where(p > 0, np.where(p > 0, p, 1.0) ** (2.0 - alpha), 0.0), axis=-1)

    v_hi = -np.expm1(-a * np.log(n)) / a if n > 1 else 0.0
    lo = np.full(shape, -v_hi)
    hi = np.zeros(shape)
    m = np.asarray(solve_monotone(total, dtotal, np.ones(shape), lo, hi))
    p = exp_alpha(w + m[..., None], alpha)
    return p, -m


def _check_alpha(alpha) -> float:
    a = check_real("alpha", alpha)
    if a <= 1.0:
        raise ValueError(f"alpha must be > 1 (alpha = 1 is softmax: use get('softmax')); got {alpha!r}")
    if a > 2.0:
        raise NotProximalError(
            f"alpha must be <= 2: alpha-entmax with alpha > 2 is not a proximal map for any temperature "
            f"(its Jacobian has the eigenvalue 2^(alpha-2)/T at z = 0 for n = 2, unbounded for n >= 3, "
            f"while a proximal map is 1-Lipschitz); got {alpha!r}")
    return a


def _check_temperature(temperature) -> float:
    T = check_real("temperature", temperature)
    if T < 1.0:
        raise ValueError(f"temperature must be >= 1 for Psi to be convex on the simplex in every dimension "
                         f"(for T < 1 the Jacobian of sigma exceeds 1 in high dimension); got {temperature!r}")
    return T


@register("entmax")
@dataclass(frozen=True, repr=False)
class Entmax(Activation):
    r""":math:`\alpha`-entmax with temperature, :math:`\sigma(z) = \operatorname{entmax}_\alpha(z/T)`, as a proximal map.

    .. math::  \Psi(p) = \frac{T}{\alpha(\alpha-1)}\sum_j\bigl(p_j^\alpha - p_j\bigr) - \tfrac12\|p\|^2
               + \chi_\Delta(p) \quad (9),\qquad
               \sigma(z)_j = \bigl[1 + (\alpha-1)(z_j/T - v)\bigr]_+^{1/(\alpha-1)}

    with :math:`v` making :math:`\sum_j\sigma(z)_j = 1` (:func:`entmax_threshold`); the conditions
    :math:`1 < \alpha \le 2`, :math:`T \ge 1` and why they are needed are in the module docstring.
    ``alpha=1.5`` is ``entmax15`` (same :math:`\Psi`), ``alpha=2`` is ``sparsemax`` (whose
    :math:`\Psi` is larger by the constant :math:`T/2`).  With :math:`p = \sigma(z)`,
    :math:`w = z/T`, :math:`v` relative to :math:`\max_j w_j`,

    .. math::  \Phi^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2 - \Psi(p)
               = \max_j z_j + T\Bigl(v - \frac{1 - \sum_j p_j^\alpha}{\alpha}\Bigr)

    (on the support :math:`(\alpha-1)(w_j - v) = p_j^{\alpha-1} - 1`).  :math:`\Psi^*` has no
    closed form.

    :math:`\operatorname{prox}_{t\Psi}(z)`, :math:`t \ne 1`: with a multiplier for
    :math:`\sum_j p_j = 1` and the redundant bounds :math:`0\le p_j\le1` (on which every term is
    convex also for :math:`t > 1`), each entry solves
    :math:`tT\,L(p_j) + (1-t)p_j = z_j - \max_k z_k + m`, :math:`L(p) = (p^{\alpha-1}-1)/(\alpha-1)`,
    whose left side has slope :math:`tTp^{\alpha-2} + 1 - t \ge 1` in :math:`p`; it is solved in
    :math:`r = L(p)` (:math:`p = \exp_\alpha(r)`, :func:`exp_alpha`) by safeguarded Newton in the
    bracket given by :math:`p\in[0,1]`, and :math:`m` by safeguarded Newton on the nondecreasing
    :math:`m\mapsto\sum_j p_j` in :math:`[-tT(1-n^{1-\alpha})/(\alpha-1) + (1-t)/n,\ 1 - t]`.

    Jacobian: :math:`J = \tfrac1T(\operatorname{diag}(s) - s s^\top/\sum_j s_j)`,
    :math:`s_j = p_j^{2-\alpha}` where :math:`p_j > 0`, else 0 (for :math:`\alpha = 2` the
    sparsemax convention: entries at the threshold are left out); symmetric, eigenvalues in
    :math:`[0, 1/T]`.

    Non-finite :math:`z`: the limits, as for softmax.  Membership of :math:`\Delta` is decided to
    the tolerance of :func:`~bregnet.activations.simplex.simplex_tolerance`.

    Parameters
    ----------
    alpha : float, default 1.5
        :math:`1 < \alpha \le 2` (``NotProximalError`` above 2: not a proximal map).
    temperature : float, default 1.0
        :math:`T \ge 1` (convexity of :math:`\Psi` on the simplex in every dimension).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("entmax", alpha=1.25)
    >>> act.prox([[1.0, 1.0, -30.0]]).tolist()
    [[0.5, 0.5, 0.0]]
    >>> bool(np.allclose(get("entmax", alpha=2.0).prox([[1.0, 0.5, -1.0]]), [[0.75, 0.25, 0.0]]))
    True
    """

    alpha: float = 1.5
    temperature: float = 1.0
    formula = "Psi(p) = T/(alpha(alpha-1)) sum(p^alpha - p) - |p|^2/2 on the simplex"
    family = "simplex"

    def __post_init__(self):
        object.__setattr__(self, "alpha", _check_alpha(self.alpha))
        object.__setattr__(self, "temperature", _check_temperature(self.temperature))

    def psi(self, x):
        x = as_float_array(x, "x")
        a = self.alpha - 1.0
        xc = np.clip(x.astype(np.float64), 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # (p^alpha - p)/(alpha - 1) = p expm1((alpha-1) log p)/(alpha-1), -> p log p as alpha -> 1
            lp = np.where(xc > 0, xc * np.expm1(a * np.log(np.where(xc > 0, xc, 1.0))) / a, 0.0)
        val = self.temperature / self.alpha * np.sum(lp, axis=-1) - 0.5 * np.sum(xc * xc, axis=-1)
        return np.where(on_simplex(x), val, np.inf).astype(x.dtype)

    def _drop_value(self, t):
        """An entry at or below ``max z - D`` gets 0 for this step (``-inf`` entries may stand in as such)."""
        T, a = self.temperature, self.alpha - 1.0
        return lambda top: top - 2.0 * (abs(1.0 - t) + t * T / a) - 1.0

    def prox(self, z, step: float = 1.0):
        z = _as_vectors(z)
        t = check_step(step)
        if t == 1.0:
            def finite(v):
                return entmax_threshold(v, self.alpha, self.temperature)[0].astype(v.dtype)
        else:
            def finite(v):
                return self._prox_step(v, t).astype(v.dtype)
        return _prox_nonfinite_rows(z, finite, drop_value=self._drop_value(t))

    def _entry_of(self, c, t):
        r"""The :math:`p\in[0,1]` with :math:`tT L(p) + (1-t)p = c`, elementwise (0 below, 1 above the range)."""
        T, alpha, a = self.temperature, self.alpha, self.alpha - 1.0
        tT = t * T
        cc = np.clip(c, -tT / a, 1.0 - t)

        def h(r):
            return tT * r + (1.0 - t) * exp_alpha(r, alpha)

        def dh(r):
            p = exp_alpha(r, alpha)
            return tT + (1.0 - t) * (p ** (2.0 - alpha) if alpha != 2.0 else (p > 0))

        r1, r2 = cc / tT, (cc - (1.0 - t)) / tT
        lo = np.clip(np.minimum(r1, r2), -1.0 / a, 0.0)
        hi = np.clip(np.maximum(r1, r2), -1.0 / a, 0.0)
        r = np.asarray(solve_monotone(h, dh, cc, lo, hi))
        # the ends exactly: 0 at and below the range of h (r = -1/a), 1 at and above it (r = 0)
        return np.where(c <= -tT / a, 0.0, np.where(c >= 1.0 - t, 1.0, exp_alpha(r, alpha)))

    def _prox_step(self, z, t):
        zz = z.astype(np.float64)
        zs = zz - np.max(zz, axis=-1, keepdims=True)
        n = zs.shape[-1]
        T, alpha, a = self.temperature, self.alpha, self.alpha - 1.0
        cache = {}

        def entries(m):
            key = m.tobytes()
            if key not in cache:
                cache.clear()
                cache[key] = self._entry_of(zs + m[..., None], t)
            return cache[key]

        def total(m):
            return np.sum(entries(m), axis=-1)

        def dtotal(m):
            p = entries(m)
            s = p ** (2.0 - alpha) if alpha != 2.0 else np.ones_like(p)
            inside = (p > 0) & (p < 1)
            return np.sum(np.where(inside, s / (t * T + (1.0 - t) * s), 0.0), axis=-1)

        shape = zs.shape[:-1]
        v_hi = -np.expm1(-a * np.log(n)) / a if n > 1 else 0.0
        lo = np.full(shape, -t * T * v_hi + (1.0 - t) / n)
        hi = np.full(shape, 1.0 - t)
        m = np.asarray(solve_monotone(total, dtotal, np.ones(shape), np.minimum(lo, hi), hi))
        p = self._entry_of(zs + m[..., None], t)
        return p / np.sum(p, axis=-1, keepdims=True)

    def conjugate(self, z):
        z = as_float_array(z)
        zz = z.astype(np.float64)
        p, v = entmax_threshold(zz, self.alpha, self.temperature)
        spa = np.sum(p ** self.alpha, axis=-1)
        val = np.max(zz, axis=-1) + self.temperature * (v - (1.0 - spa) / self.alpha)
        return val.astype(z.dtype)

    def _bregman(self, x, z):
        r""":math:`B(x, z)` as a sum of non-negative terms (eq. (12)), with :math:`p = \sigma(z)`, :math:`c = T/(\alpha a)`.

        With :math:`f(p) = c\sum_j(p_j^\alpha - p_j)` (so :math:`\Psi + \tfrac12\|\cdot\|^2 = f` on
        :math:`\Delta`), :math:`\Phi^*(z) = \langle p, z\rangle - f(p)` and the KKT conditions
        :math:`z_j = \partial_j f(p) + \lambda` on the support, :math:`\lambda = \max_k z_k + T(v - 1/\alpha)`,

        .. math::  B(x, z) = f(x) - f(p) - \langle z, x - p\rangle
                   = \sum_{p_j > 0} c\,p_j^{a}\bigl[a\,p_j h(r_j) + x_j E(a\log(1 + r_j))\bigr]
                   + \sum_{p_j = 0}\bigl(c\,x_j^\alpha + T(v - 1/a - w_j)\,x_j\bigr) - \lambda\Bigl(\sum_j x_j - 1\Bigr),

        :math:`r_j = (x_j - p_j)/p_j`, :math:`h(r) = (1+r)\log(1+r) - r \ge 0`,
        :math:`E(y) = e^y - 1 - y \ge 0` (:func:`~bregnet.activations._elementary.xlog1p_rem3`,
        :func:`~bregnet.activations._elementary.expm1mx`), because
        :math:`(1+r)^\alpha - 1 - \alpha r = a\,h(r) + (1+r)E(a\log(1+r))`; off the support
        :math:`v - 1/a - w_j \ge 0`.  Every term is non-negative but the last (the rounding of a
        point of :math:`\Delta`, summed with compensation), so nothing cancels near the graph, where
        the expanded form loses :math:`\varepsilon|\Psi|` to a :math:`B` of :math:`10^{-19}`; and the
        rounding of :math:`p` enters only at second order.  For :math:`r_j > 1`,
        :math:`p_j h(r_j) = x_j\log(x_j/p_j) - (x_j - p_j)` (no overflow of :math:`r_j`), and where
        :math:`a\log(x_j/p_j) > 700` the bracket is :math:`x_j^\alpha/p_j^a - x_j(1 + a\log(x_j/p_j))`.
        float32 inputs keep the expanded form.
        """
        from ._elementary import expm1mx, xlog1p_rem3

        if np.result_type(x, z) == np.float32:
            from ..bregman import bregman_loss_expanded_form
            return bregman_loss_expanded_form(self, x, z)
        xd, zd = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
        T, al, a = self.temperature, self.alpha, self.alpha - 1.0
        c = T / (al * a)
        top = np.max(zd, axis=-1, keepdims=True)
        p, v = entmax_threshold(zd, al, T)
        v = v[..., None]
        with np.errstate(over="ignore"):
            w = (zd - top) / T
        xc = np.maximum(xd, 0.0)
        on = p > 0
        ps = np.where(on, p, 1.0)
        xs = np.where(on, xc, 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = (xs - ps) / ps
            near = np.abs(r) <= 1.0
            rn = np.where(near, r, 0.0)
            logq = np.where(near, np.log1p(rn), np.log(np.where(xs > 0, xs, 1.0)) - np.log(ps))
            ph = np.where(near, ps * (0.5 * rn * rn + xlog1p_rem3(rn)), xs * logq - (xs - ps))
            y = a * logq
            huge = y > 700.0
            e_term = np.where(huge, 0.0, xs * expm1mx(np.where(huge | (xs == 0), 0.0, y)))
            pa = ps ** a
            d_on = c * (a * pa * ph + np.where(huge, xs ** al - pa * xs * (1.0 + y), pa * e_term))
            d_off = c * xc ** al + T * np.maximum(v - 1.0 / a - w, 0.0) * xc
        terms = np.where(on, d_on, d_off)
        acc, comp = -np.ones(xd.shape[:-1]), np.zeros(xd.shape[:-1])
        for j in range(xd.shape[-1]):          # sum x - 1 with Neumaier's compensation
            u = xd[..., j]
            t = acc + u
            comp = comp + np.where(np.abs(acc) >= np.abs(u), (acc - t) + u, (u - t) + acc)
            acc = t
        off = acc + comp
        lam = top[..., 0] + T * (v[..., 0] - 1.0 / al)
        return np.sum(terms, axis=-1) - np.where(off != 0, lam * off, 0.0)

    def _slopes(self, z):
        p, _ = entmax_threshold(z, self.alpha, self.temperature)
        with np.errstate(divide="ignore"):
            s = np.where(p > 0, p ** (2.0 - self.alpha) if self.alpha != 2.0 else 1.0, 0.0)
        return s

    def vjp(self, z, v):
        r""":math:`J^\top v = (s\odot v - s\langle s, v\rangle/\sum_j s_j)/T`, :math:`s_j = \sigma(z)_j^{2-\alpha}` on the support."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        s = self._slopes(z)
        out = (s * v - s * np.sum(s * v, axis=-1, keepdims=True) / np.sum(s, axis=-1, keepdims=True)) / self.temperature
        return out.astype(np.result_type(z.dtype, v.dtype))

    def jacobian(self, z):
        z = as_float_array(z)
        s = self._slopes(z)
        n = z.shape[-1]
        J = s[..., :, None] * np.eye(n) - s[..., :, None] * s[..., None, :] / np.sum(s, axis=-1)[..., None, None]
        return (J / self.temperature).astype(z.dtype)
