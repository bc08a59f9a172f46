r"""Proximal activations: the common interface (Section 3, Definition 1, Remark 2, Theorem 7).

An *activation* bundles a proper, convex, lower semi-continuous function
:math:`\Psi:\mathbb{R}^n\to\mathbb{R}\cup\{\infty\}` with its proximal map

.. math::  \sigma(z) = \operatorname{prox}_\Psi(z)
           = \arg\min_u \tfrac12\|u-z\|^2 + \Psi(u) \qquad (9)

and everything the paper builds from the pair:

* ``psi(x)``            :math:`\Psi(x)` (``+inf`` outside :math:`\operatorname{dom}\Psi`);
* ``phi(x)``            :math:`\Phi(x) = \tfrac12\|x\|^2 + \Psi(x)`;
* ``prox(z, step)``     :math:`\operatorname{prox}_{t\Psi}(z)` (``step`` is :math:`t`);
* ``phi_star(z)``       :math:`\Phi^*(z) = (\tfrac12\|\cdot\|^2+\Psi)^*(z)`, whose gradient is
  :math:`\sigma` (eq. (15)); ``conjugate(z)`` is the same method under its older name;
* ``moreau_envelope(z)`` :math:`M(z) = \tfrac12\|\sigma(z)-z\|^2 + \Psi(\sigma(z))`
  (proof of Lemma 8), so that :math:`\Phi^*(z) = \tfrac12\|z\|^2 - M(z)`;
* ``psi_conjugate(y)``  :math:`\Psi^*(y)` where a closed form exists (Definition 3);
* ``prox_psi_star(z, step)`` :math:`\operatorname{prox}_{t\Psi^*}(z)`, by the (extended) Moreau
  identity (Theorem 7): :math:`\operatorname{prox}_{t\Psi^*}(z) = z - t\,\operatorname{prox}_{\Psi/t}(z/t)`;
  ``prox_conjugate(z, step)`` is the same method under its older name.  Mind the trap in the old
  names: ``conjugate`` is :math:`\Phi^*`, but ``prox_conjugate`` is the prox of :math:`\Psi^*`,
  not of :math:`\Phi^*`;
* ``with_l1(alpha)``    the activation of :math:`\Psi + \alpha\|\cdot\|_1` where that is again a
  known activation (Section 6.2), ``supports_l1()`` asks without building it;
* ``derivative(z)`` / ``vjp(z, v)`` / ``jacobian(z)``: a documented (sub)derivative of
  :math:`\sigma`, used only by the back-propagation baselines.

All functions act on arrays of shape ``(..., n)``; scalar-valued ones (``psi``, ``phi``,
``phi_star``/``conjugate``, ``moreau_envelope``, ``psi_conjugate``) reduce over the last axis, so
non-separable activations (softmax, sparsemax, ...) fit the same interface.  float32 inputs give
float32 outputs; every other input is computed in float64.

Subclasses of :class:`SeparableActivation` only describe the scalar functions; the generic
machinery here supplies :math:`\operatorname{prox}_{t\Psi}` for every :math:`t>0`: to a few ulps
from a cancellation-free :math:`\psi'` (:func:`prox_step_from_psi_prime`, used by every registered
activation without a closed form), or from :math:`\sigma` alone (:func:`prox_step_from_sigma`, for
user-given activations).  Non-finite inputs map to the limits: :math:`\sigma(\pm\infty)` and
:math:`\operatorname{prox}_{t\Psi}(\pm\infty)` are the ends of :math:`\operatorname{dom}\Psi`
(:math:`\pm\infty` where it is unbounded; the last float inside where the end is excluded), and
for the simplex maps a vertex (see :func:`bregnet.activations.simplex.softmax`); NaN stays NaN.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from ..exceptions import BregnetInputError

__all__ = [
    "Activation",
    "SeparableActivation",
    "METHOD_ALIASES",
    "as_float_array",
    "check_step",
    "prox_step_from_sigma",
    "solve_monotone",
    "prox_step_by_newton",
    "prox_step_from_psi_prime",
]


def as_float_array(a, name: str = "z") -> np.ndarray:
    """Return ``a`` as a floating array: float32 stays float32, everything else becomes float64.

    Raises
    ------
    TypeError
        If ``a`` cannot be read as a real array (complex or object input).
    """
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - numpy raises many things
        raise TypeError(f"{name} must be array-like of real numbers; got {type(a).__name__}") from exc
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return arr
    if np.issubdtype(arr.dtype, np.complexfloating) or arr.dtype == object:
        raise TypeError(f"{name} must be a real array; got dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array; got dtype {arr.dtype}")
    return arr.astype(np.float64)


def check_step(step) -> float:
    """Validate a proximal step size ``t > 0`` (finite, not a bool) and return it as a float."""
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"step must be a positive real number, not a bool; got {step!r}")
    try:
        t = float(step)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"step must be a positive real number; got {step!r}") from exc
    if not np.isfinite(t) or t <= 0.0:
        raise ValueError(f"step must be a finite number > 0; got {step!r}")
    return t


def solve_monotone(g: Callable, dg: Callable, target: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   *, max_iter: int = 200, rtol: float | None = None) -> np.ndarray:
    r"""Solve :math:`g(u) = \text{target}` elementwise for a nondecreasing ``g`` on ``[lo, hi]``.

    Safeguarded Newton: a Newton step is taken when it stays inside the current bracket, a
    bisection step otherwise, so convergence is guaranteed for any continuous nondecreasing
    ``g`` with ``g(lo) <= target <= g(hi)``.  ``dg`` may return a subgradient (or 0).
    """
    lo = np.array(lo, dtype=target.dtype, copy=True)
    hi = np.array(hi, dtype=target.dtype, copy=True)
    u = 0.5 * (lo + hi)
    eps = np.finfo(target.dtype).eps
    if rtol is None:
        rtol = 4 * eps
    for _ in range(max_iter):
        r = g(u) - target
        lo = np.where(r < 0, u, lo)
        hi = np.where(r > 0, u, hi)
        d = dg(u)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = u - r / d
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi) & (d > 0)
        u_new = np.where(ok, newton, 0.5 * (lo + hi))
        u_new = np.where(r == 0, u, u_new)
        scale = np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1.0)
        done = (np.abs(u_new - u) <= rtol * scale) | (hi - lo <= rtol * scale) | (r == 0)
        u = u_new
        if np.all(done):
            break
    return u


def prox_step_from_sigma(sigma: Callable, sigma_prime: Callable, z: np.ndarray, step: float) -> np.ndarray:
    r"""Elementwise :math:`\operatorname{prox}_{t\Psi}(z)` from :math:`\sigma=\operatorname{prox}_\Psi` alone.

    If :math:`u^*` solves :math:`t\,u + (1-t)\,\sigma(u) = z` then
    :math:`x=\sigma(u^*)` satisfies :math:`u^*-x\in\partial\Psi(x)` (Remark 2) and hence
    :math:`z - x = t\,(u^*-x) \in t\,\partial\Psi(x)`, i.e. :math:`x = \operatorname{prox}_{t\Psi}(z)`.
    Since :math:`0\le\sigma'\le 1` (Theorem 10, item 10), the left-hand side is strictly increasing
    in :math:`u` with slope in :math:`[\min(t,1), \max(t,1)]`, so the root exists, is unique, and
    lies within :math:`|g(z)-z|/\min(t,1)` of :math:`z`.  This works for every separable activation,
    whatever :math:`\Psi` looks like, and never leaves :math:`\operatorname{dom}\Psi`.

    It is ill-conditioned at extreme steps (:math:`u^*\to\pm\infty` as :math:`t\to0` when
    :math:`z\notin\operatorname{dom}\Psi`, and :math:`t(u - \sigma(u))` cancels as
    :math:`t\to\infty`), and its stopping test is absolute near 0; the registered activations use
    :func:`prox_step_from_psi_prime` instead, and this remains for activations known only through
    :math:`\sigma` (:func:`bregnet.activations.generic.from_scalar`).
    """
    t = step
    if t == 1.0:
        return sigma(z)

    def g(u):
        return t * u + (1.0 - t) * sigma(u)

    def dg(u):
        return t + (1.0 - t) * sigma_prime(u)

    m = min(t, 1.0)
    r0 = g(z) - z
    radius = np.abs(r0) / m
    radius = radius * (1 + 1e-6) + np.finfo(z.dtype).tiny
    lo = z - radius
    hi = z + radius
    u = solve_monotone(g, dg, z, lo, hi)
    return sigma(u)


_F64 = np.float64
_MAG = np.int64(0x7FFFFFFFFFFFFFFF)
_SIGN = np.int64(-0x8000000000000000)


def _float_ord(x: np.ndarray) -> np.ndarray:
    """float64 -> int64, strictly increasing (``-0.0`` and ``0.0`` map to 0); consecutive doubles differ by 1."""
    i = x.view(np.int64)
    return np.where(i >= 0, i, -(i & _MAG))


def _ord_float(k: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_float_ord`."""
    return np.where(k >= 0, k, (-k) | _SIGN).view(_F64)


def _bit_midpoint(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The double halfway between ``lo < hi`` in the *ordering of doubles* (strictly inside when they are not adjacent).

    Halving this count takes at most 64 steps from any bracket to adjacent doubles, also for
    brackets such as ``[0, 1]`` around a root of size ``1e-100`` where the arithmetic midpoint
    would need hundreds of steps.
    """
    a, b = _float_ord(lo), _float_ord(hi)
    return _ord_float((a >> 1) + (b >> 1) + (a & b & 1))


#: consecutive Newton steps that do not shrink the previous step by 4, before a bisection is forced
_SLOW_NEWTON = 3


def prox_step_from_psi_prime(act, z: np.ndarray, t: float, *, max_iter: int = 400) -> np.ndarray:
    r"""Elementwise :math:`\operatorname{prox}_{t\psi}(z)` to a few ulps for every :math:`t > 0`, from :math:`\psi'`.

    :math:`x = \operatorname{prox}_{t\psi}(z)` is the unique root in :math:`\operatorname{dom}\psi` of
    the strictly increasing

    .. math::  F(x) = x - z + t\,\psi'(x) \quad (t \le 1), \qquad
               F(x) = \frac{x - z}{t} + \psi'(x) \quad (t > 1)

    (:math:`z - x \in t\,\partial\psi(x)`, eq. (9)), with :math:`F' = 1 + t\psi''` resp.
    :math:`1/t + \psi''`.  Unlike the root :math:`u^*` of :math:`t u + (1-t)\sigma(u) = z`
    (:func:`prox_step_from_sigma`), which runs off to :math:`\pm\infty` as :math:`t\to0` and is
    lost in the cancellation :math:`t(u - \sigma(u))` as :math:`t\to\infty`, both forms stay
    well conditioned: :math:`x\to z` (clipped to the domain) as :math:`t\to0` and
    :math:`x\to\arg\min\psi` as :math:`t\to\infty`, provided :math:`\psi'` is evaluated without
    cancellation (each activation's ``_psi_prime``).

    Bracket.  With :math:`s = \sigma(z) = \operatorname{prox}_\psi(z)` the path :math:`t\mapsto x`
    is monotone and :math:`\psi'(x)` keeps the sign of :math:`\psi'(s) = z - s`, with
    :math:`|\psi'(s)| \le |\psi'(x)| \le |\psi'(z)|` for :math:`t \le 1` and
    :math:`|\psi'(x)| \le |\psi'(s)|` for :math:`t \ge 1`.  Hence :math:`x` lies between
    :math:`e = z - t(z - s)` and :math:`s` (:math:`t\ge1`), or between :math:`e` and
    :math:`z - t\psi'(z)` (:math:`t\le1`; :math:`s` if :math:`z\notin\operatorname{int}\operatorname{dom}\psi`).
    The bracket is widened by a few ulps for rounding; an end where :math:`F` has the wrong sign
    is replaced by the end of the domain.

    Iteration.  From the secant point of the bracket, safeguarded Newton (Numerical Recipes'
    ``rtsafe``).  The Newton step is taken in :math:`u = \sigma^{-1}(x) = x + \psi'(x)` and mapped
    back by :math:`\sigma` where that stays in the bracket (near an end of the domain :math:`F` is
    nearly linear in :math:`u` but logarithmic in :math:`x`), in :math:`x` otherwise.  A step that
    leaves the bracket, or is not half the step before last, is replaced by a bisection step *in
    the ordering of doubles* (:func:`_bit_midpoint`), so that at most 64 bisections reach adjacent
    doubles from any bracket; so is the step after three Newton steps in a row that did not shrink
    the previous one by 4 (far from a root where :math:`\psi'` is flat Newton converges only
    linearly, by 1/2 or 2/3 a step: :math:`\psi'(x)\approx x^2/2` for log_activation,
    :math:`x^3/3` for tanh as :math:`t\to\infty`).  A Newton step that rounds to no move is pushed
    one ulp towards the root, so that the bracket closes from both sides.  The iteration stops at
    adjacent doubles (or :math:`F = 0`) and returns the end with the smaller :math:`|F|`; where the
    fixed-point map :math:`x\mapsto\sigma(z/t + (1-1/t)x)` contracts by at least 4, one step of
    it with :math:`z/t` in double-double follows (:func:`_polish_by_sigma`).

    Accuracy.  The result is within about one ulp of the root of the float64 :math:`F`, whose
    rounding error (absolute :math:`\approx\varepsilon\max(|x|, |z|, t|\psi'(x)|)`) moves the
    root by a relative :math:`\approx\varepsilon\kappa`, :math:`\kappa = |z\,\partial x/\partial z| / |x|`
    the condition number of :math:`z\mapsto x`.  :math:`\kappa\le 1` unless :math:`x` is
    exponentially close to an end of the domain at 0 (e.g. sigmoid at :math:`z\to-\infty`,
    :math:`x\approx e^{z/t}`, :math:`\kappa\approx|z|/t`); there the polish restores a few ulps
    wherever it applies (:math:`\sigma'(u)|1 - 1/t| \le 1/4`, which fails only for
    :math:`t\lesssim x`, i.e. :math:`|z| \lesssim t\log(1/t)`).  Where :math:`(z - x)/t` is
    subnormal (:math:`t > 10^{290}|z|`) gradual underflow limits the relative accuracy.

    ``act`` provides ``_psi_domain()`` (the closure of :math:`\operatorname{dom}\psi` where
    :math:`\psi` is finite, as floats), ``_sigma``, ``_t_psi_prime(x, t)`` (:math:`t\psi'(x)`,
    ``+-inf`` at and beyond the ends of the domain), ``_t_psi_second(x, t)`` and ``_psi_prime``,
    ``_psi_second`` (see :class:`SeparableActivation`).  Non-finite ``z``: ``nan`` stays ``nan``,
    :math:`\pm\infty` give the limits, the ends of the domain (:math:`\pm\infty` if unbounded).
    Computed in float64 (the caller casts).
    """
    zd = np.asarray(z, dtype=_F64)
    out = np.empty_like(zd)
    lo_dom, hi_dom = (float(v) for v in act._psi_domain())
    out[np.isnan(zd)] = np.nan
    out[zd == np.inf] = hi_dom
    out[zd == -np.inf] = lo_dom
    fin = np.isfinite(zd)
    zf = zd[fin]
    if zf.size == 0:
        return out
    out[fin] = _prox_finite(act, zf, t, lo_dom, hi_dom, max_iter)
    return out


class _ProxResidual:
    r"""The residual :math:`F` of :func:`prox_step_from_psi_prime`: ``x - z + t psi'(x)`` or ``(x - z)/t + psi'(x)``."""

    __slots__ = ("act", "t", "small", "scaled_own", "inv_t")

    def __init__(self, act, t: float):
        self.act = act
        self.t = t
        self.small = t <= 1.0
        self.scaled_own = type(act)._t_psi_prime is not SeparableActivation._t_psi_prime
        self.inv_t = 1.0 / t

    def __call__(self, x, zz):
        """F(x)."""
        act, t = self.act, self.t
        if self.small:
            return (x - zz) + (act._t_psi_prime(x, t) if self.scaled_own else t * act._psi_prime(x))
        return (x - zz) * self.inv_t + act._psi_prime(x)

    def evaluate(self, x, zz):
        """F(x), F'(x), psi'(x), psi''(x)."""
        act, t = self.act, self.t
        p1 = act._psi_prime(x)
        p2 = act._psi_second(x)
        if self.small:
            tp1 = act._t_psi_prime(x, t) if self.scaled_own else t * p1
            tp2 = act._t_psi_second(x, t) if self.scaled_own else t * p2
            return (x - zz) + tp1, 1.0 + tp2, p1, p2
        return (x - zz) * self.inv_t + p1, self.inv_t + p2, p1, p2


def _prox_finite(act, zf: np.ndarray, t: float, lo_dom: float, hi_dom: float, max_iter: int) -> np.ndarray:
    """:func:`prox_step_from_psi_prime` for finite 1-D ``zf``: bracket, iterate where needed, polish."""
    big = float(np.finfo(_F64).max)
    blo, bhi = max(lo_dom, -big), min(hi_dom, big)
    F = _ProxResidual(act, t)
    with np.errstate(all="ignore"):
        lo, hi, flo, fhi = _prox_bracket(act, F, zf, (lo_dom, hi_dom), (blo, bhi))
        # F(lo) >= 0 or F(hi) <= 0 (e.g. a root at an end of the domain): that end; iterate on the rest
        x = np.where(flo >= 0, lo, np.where(fhi <= 0, hi, np.nan))
        act_idx = np.flatnonzero(np.isnan(x))
        res = x
        if act_idx.size:
            final = _prox_iterate(act, F, lo[act_idx], hi[act_idx], flo[act_idx], fhi[act_idx], zf[act_idx],
                                  max_iter)
            res = x.copy()
            res[act_idx] = final
        return _polish_by_sigma(act, res, zf, t)


def _prox_bracket(act, F: _ProxResidual, zf: np.ndarray, dom: tuple, box: tuple):
    """Initial bracket ``(lo, hi, F(lo), F(hi))`` of the root; an end where F has the wrong sign becomes ``box``.

    ``dom`` is ``(lo_dom, hi_dom)`` from ``act._psi_domain()``, ``box`` the same clipped to finite floats.
    """
    (lo_dom, hi_dom), (blo, bhi) = dom, box
    t = F.t
    s = np.clip(np.asarray(act._sigma(zf), dtype=_F64), blo, bhi)
    e = np.clip(zf - t * (zf - s), blo, bhi)
    if F.small:
        zc = np.clip(zf, blo, bhi)
        m = zf - act._t_psi_prime(zc, t)
        interior = (zf > lo_dom) & (zf < hi_dom) & np.isfinite(m)
        m = np.where(interior, np.where(zf > s, np.maximum(m, s), np.minimum(m, s)), s)
    else:
        m = s
    lo = np.minimum(e, m)
    hi = np.maximum(e, m)
    # a few ulps of slack for the rounding in s, e and m
    slack = 8 * np.finfo(_F64).eps
    lo = np.clip(lo - slack * np.abs(lo) - 1e-300, blo, bhi)
    hi = np.clip(hi + slack * np.abs(hi) + 1e-300, blo, bhi)
    flo, fhi = F(lo, zf), F(hi, zf)
    # rounding (or a subnormal step) can leave the root outside: fall back to the domain
    bad = flo > 0
    if np.any(bad):
        lo = np.where(bad, blo, lo)
        flo = np.where(bad, F(lo, zf), flo)
    bad = fhi < 0
    if np.any(bad):
        hi = np.where(bad, bhi, hi)
        fhi = np.where(bad, F(hi, zf), fhi)
    return lo, hi, flo, fhi


def _prox_iterate(act, F: _ProxResidual, lo, hi, flo, fhi, zz, max_iter: int) -> np.ndarray:
    """Safeguarded Newton/bisection from the secant point of ``[lo, hi]`` (``F(lo) < 0 < F(hi)``); the roots.

    Stops at ``F = 0`` or adjacent doubles and returns the end with the smaller ``|F|``.
    """
    # first iterate: the secant (regula falsi) point of the bracket, or its bit-midpoint
    sec = lo - flo * ((hi - lo) / (fhi - flo))
    good = np.isfinite(sec) & (sec > lo) & (sec < hi)
    xk = np.where(good, sec, _bit_midpoint(lo, hi))
    dx = np.abs(hi - lo)
    dxold = np.full_like(dx, np.inf)
    slow = np.zeros(lo.size, dtype=np.int64)
    idx = np.arange(lo.size)
    final = np.empty(lo.size)
    for it in range(max_iter):
        if it:
            xk, dx, dxold, slow = _prox_newton_step(act, xk, fk, dk, p1, p2, lo, hi, dx, dxold, slow)
        fk, dk, p1, p2 = F.evaluate(xk, zz)
        neg = fk < 0
        pos = fk > 0
        lo = np.where(neg, xk, lo)
        flo = np.where(neg, fk, flo)
        hi = np.where(pos, xk, hi)
        fhi = np.where(pos, fk, fhi)
        zero = ~(neg | pos)
        done = zero | (np.nextafter(lo, np.inf) >= hi)     # F = 0, or adjacent doubles
        if np.any(done):
            pick = np.where(zero, xk, np.where(np.abs(flo) <= np.abs(fhi), lo, hi))
            final[idx[done]] = pick[done]
            keep = ~done
            if not np.any(keep):
                idx = idx[keep]
                break
            idx, lo, hi, flo, fhi, zz = idx[keep], lo[keep], hi[keep], flo[keep], fhi[keep], zz[keep]
            xk, fk, dk, dx, dxold = xk[keep], fk[keep], dk[keep], dx[keep], dxold[keep]
            slow, p1, p2 = slow[keep], p1[keep], p2[keep]
    if idx.size:   # not reached: at most 64 bisections are needed, one in four steps at least
        final[idx] = np.where(np.abs(flo) <= np.abs(fhi), lo, hi)
    return final


def _prox_newton_step(act, xk, fk, dk, p1, p2, lo, hi, dx, dxold, slow):
    """One safeguarded step from ``xk``: Newton in ``u``, else in ``x``, else a bit-midpoint bisection.

    Returns the new ``(xk, dx, dxold, slow)``.
    """
    step = fk / dk
    newton = xk - step
    # the Newton step in u = sigma^{-1}(x) = x + psi'(x), mapped back by sigma: near an end of the
    # domain (psi' log-like, sigma' tiny) F is nearly linear in u, not in x; elsewhere the two
    # agree to first order.  du = dx (1 + psi''(x)).
    uk = xk + p1
    un = uk - step * (1.0 + p2)
    ok_u = np.isfinite(un)
    if np.any(ok_u):
        xu = np.asarray(act._sigma(np.where(ok_u, un, 0.0)), dtype=_F64)
        ok_u &= np.isfinite(xu) & (xu > lo) & (xu < hi)
        newton = np.where(ok_u, xu, newton)
    # a Newton step below one ulp: one ulp towards the root, to close the bracket
    newton = np.where(newton == xk, np.nextafter(xk, np.where(fk < 0, np.inf, -np.inf)), newton)
    bisect = ((~np.isfinite(newton)) | (~np.isfinite(dk)) | (newton <= lo) | (newton >= hi)
              | (np.abs(2 * (newton - xk)) > np.abs(dxold)) | (slow >= _SLOW_NEWTON))
    xn = newton
    if np.any(bisect):
        xn = newton.copy()
        xn[bisect] = _bit_midpoint(lo[bisect], hi[bisect])
    dxold = dx
    dx = np.abs(xn - xk)
    # Newton converging only linearly (towards a root where psi' ~ x^2 or x^3 from far away, steps
    # shrinking by 1/2 or 2/3): count the steps that did not shrink the last one by 4
    slow = np.where(bisect | (dx <= 0.25 * dxold), 0, slow + 1)
    return xn, dx, dxold, slow


def _two_prod(a: np.ndarray, b: np.ndarray):
    """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly (Dekker; needs ``|a|, |b| < 1e290``)."""
    p = a * b
    c = 134217729.0                     # 2^27 + 1
    a1 = a * c
    ah = a1 - (a1 - a)
    al = a - ah
    b1 = b * c
    bh = b1 - (b1 - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _polish_by_sigma(act, x: np.ndarray, z: np.ndarray, t: float) -> np.ndarray:
    r"""One step of :math:`x \leftarrow \sigma(u)`, :math:`u = \sigma^{-1}(x) = z/t + (1 - 1/t)x`, with :math:`u` in double-double.

    The root of :math:`F` is a fixed point of this map, whose derivative is
    :math:`c = \sigma'(u)(1 - 1/t)`; where :math:`|c| \le 1/4` one step reduces the error of
    :math:`x` to :math:`|c|` times it, plus the rounding of :math:`\sigma(u_{hi}) + \sigma'(u_{hi})u_{lo}`
    (about one ulp); it is used only where :math:`u` is known to far better than the scale on
    which :math:`\sigma'` varies (:math:`|w| = |(1-1/t)x| \le 10^9`, so that its rounding is below
    :math:`10^{-6}`) and where it moves :math:`x` by rounding only (relative :math:`\le 10^{-9}`).
    This matters where :math:`x` is exponentially sensitive to :math:`u`, i.e.
    near an end of the domain at 0 (sigmoid or softplus at :math:`z\to-\infty`,
    :math:`x\approx e^{z/t}`): there the float64 :math:`F` fixes :math:`x` only to
    :math:`\approx\varepsilon|z|/t` relative, while :math:`z/t` in double-double fixes it to an ulp.
    """
    if not (1e-290 < t < 1e290):
        return x
    with np.errstate(all="ignore"):
        qh = z / t
        ok = np.isfinite(x) & (np.abs(qh) < 1e290) & (np.abs(z) < 1e290)
        if not np.any(ok):
            return x
        qh = np.where(ok, qh, 0.0)
        p, e = _two_prod(qh, np.full_like(qh, t))
        ql = ((np.where(ok, z, 0.0) - p) - e) / t          # z/t = qh + ql (z - p is exact: p ~ z)
        w = (1.0 - 1.0 / t) * np.where(ok, x, 0.0)
        uh = qh + w                                         # two-sum of qh and w
        bb = uh - qh
        ul = ((qh - (uh - bb)) + (w - bb)) + ql
        sp = np.asarray(act._sigma_prime(uh), dtype=_F64)
        c = sp * abs(1.0 - 1.0 / t)
        # u must be known to far better than the scale on which sigma' varies (the rounding of w
        # is eps |w|, large for t << 1), else c is not to be trusted
        use = ok & (c <= 0.25) & np.isfinite(uh) & (np.abs(w) <= 1e9)
        if not np.any(use):
            return x
        xn = np.asarray(act._sigma(uh), dtype=_F64) + sp * ul
        # the step corrects rounding (kappa eps relative), nothing larger
        use &= np.isfinite(xn) & (np.abs(xn - x) <= 1e-9 * np.abs(x))
        return np.where(use, xn, x)


#: ``(clear name, older name)`` of the methods that have two names (see :class:`Activation`)
METHOD_ALIASES = (("phi_star", "conjugate"), ("prox_psi_star", "prox_conjugate"))


def _l1_weight(alpha) -> float:
    r"""Validate the weight of :math:`\alpha\|\cdot\|_1` (finite, >= 0) and return it as a float."""
    try:
        a = float(alpha)
    except (TypeError, ValueError) as exc:
        raise BregnetInputError(f"alpha must be a real number >= 0; got {alpha!r}") from exc
    if isinstance(alpha, bool) or not np.isfinite(a) or a < 0:
        raise BregnetInputError(f"alpha must be a finite number >= 0; got {alpha!r}")
    return a


class Activation:
    r"""A proper, convex, lsc :math:`\Psi` together with :math:`\sigma = \operatorname{prox}_\Psi`.

    Subclasses are frozen dataclasses whose fields are the activation's parameters; they are
    validated in ``__post_init__`` from the convexity condition of :math:`\Psi`.

    The defaults below derive everything from ``psi`` and ``prox``; subclasses override them with
    closed forms where those are more accurate or faster.

    Two pairs of names denote one method each (:data:`METHOD_ALIASES`): :meth:`phi_star` is
    :meth:`conjugate`, :math:`\Phi^* = (\tfrac12\|\cdot\|^2 + \Psi)^*` (eq. (11), (15)), and
    :meth:`prox_psi_star` is :meth:`prox_conjugate`, :math:`\operatorname{prox}_{t\Psi^*}` (Theorem 7).
    The new names say which conjugate is meant (the old ones suggest that ``prox_conjugate`` is the
    prox of the function ``conjugate`` computes, which it is not); the old ones stay as aliases.  A
    subclass may override either name of a pair: if its body defines only one, the other is bound to
    it (:meth:`__init_subclass__`), so both names always call the same code.

    What else can be built from an activation is asked of its exact class, never of its registry
    name: :meth:`supports_l1` / :meth:`with_l1` (the activation of :math:`\Psi + \alpha\|\cdot\|_1`),
    and in :mod:`bregnet.kernels` whether a compiled kernel exists.  A subclass can change
    :math:`\Psi` while keeping the name, so it inherits none of these and opts in explicitly.
    """

    #: registry name, set by :func:`bregnet.activations.register`
    name: str = "activation"
    #: True if :math:`\Psi(x) = \sum_j \psi(x_j)` (then ``derivative`` is elementwise)
    separable: bool = False
    #: True if :meth:`psi_conjugate` has a closed form
    has_psi_conjugate: bool = False
    #: a short plain-text formula for tables and docs
    formula: str = ""
    #: the family page in the docs
    family: str = ""
    #: ``_with_l1(alpha)`` builds the activation of :math:`\Psi + \alpha\|\cdot\|_1` (``alpha > 0``);
    #: counted only where a class body defines it (see :meth:`supports_l1`)
    _with_l1 = None
    #: ``_bregman(x, z)``: a cancellation-free closed form of :math:`B_\Psi(x, z)` per row (eq. (12)),
    #: given float arrays of one shape ``(..., n)``, returning shape ``(...)`` (its value outside
    #: :math:`\operatorname{dom}\Psi` is ignored: it becomes ``+inf``).  Counted only where a class
    #: body defines it, like ``_with_l1``.  Default ``None``: :func:`bregnet.bregman.bregman_loss`
    #: uses its own table of closed forms, else its generic form (see there)
    _bregman = None

    def __init_subclass__(cls, **kwargs):
        """Bind the other name of each pair in :data:`METHOD_ALIASES` to the one the class body defines."""
        super().__init_subclass__(**kwargs)
        for new, old in METHOD_ALIASES:
            if old in cls.__dict__ and new not in cls.__dict__:
                setattr(cls, new, cls.__dict__[old])
            elif new in cls.__dict__ and old not in cls.__dict__:
                setattr(cls, old, cls.__dict__[new])

    # ------------------------------------------------------------------ required
    def psi(self, x) -> np.ndarray:
        r""":math:`\Psi(x)`, reduced over the last axis; ``+inf`` outside the domain."""
        raise NotImplementedError

    def prox(self, z, step: float = 1.0) -> np.ndarray:
        r""":math:`\operatorname{prox}_{t\Psi}(z) = \arg\min_u \tfrac12\|u-z\|^2 + t\Psi(u)` (eq. (9))."""
        raise NotImplementedError

    # ------------------------------------------------------------------ derived
    def __call__(self, z) -> np.ndarray:
        """The activation function itself, :math:`\\sigma(z) = \\operatorname{prox}_\\Psi(z)`."""
        return self.prox(z)

    def in_domain(self, x) -> np.ndarray:
        r"""Boolean array of shape ``x.shape[:-1]``: is :math:`x\in\operatorname{dom}\Psi` (a subset of
        :math:`\mathbb R^n`: a row with an infinite entry is not in it)?"""
        x = as_float_array(x, "x")
        return np.isfinite(self.psi(x)) & np.all(np.isfinite(x), axis=-1)

    def phi(self, x) -> np.ndarray:
        r""":math:`\Phi(x) = \tfrac12\|x\|^2 + \Psi(x)`, the function whose subdifferential inverts :math:`\sigma` (10)."""
        x = as_float_array(x, "x")
        return 0.5 * np.sum(x * x, axis=-1) + self.psi(x)

    def moreau_envelope(self, z) -> np.ndarray:
        r"""Moreau envelope :math:`M(z)=\min_u \tfrac12\|u-z\|^2+\Psi(u) = \tfrac12\|\sigma(z)-z\|^2+\Psi(\sigma(z))`.

        Its gradient is :math:`z-\sigma(z)` (proof of Lemma 8).
        """
        z = as_float_array(z)
        s = self.prox(z)
        d = s - z
        return 0.5 * np.sum(d * d, axis=-1) + self.psi(s)

    def phi_star(self, z) -> np.ndarray:
        r""":math:`\Phi^*(z) = (\tfrac12\|\cdot\|^2+\Psi)^*(z) = \tfrac12\|z\|^2 - M(z)`; alias ``conjugate``.

        Equivalently (eq. (11) on the graph of :math:`\sigma`)
        :math:`\Phi^*(z) = \langle\sigma(z), z\rangle - \tfrac12\|\sigma(z)\|^2 - \Psi(\sigma(z))`,
        which is the form used here because it does not subtract two numbers of size
        :math:`\|z\|^2`.  Its gradient is :math:`\sigma(z)` (eq. (15)).
        """
        z = as_float_array(z)
        s = self.prox(z)
        return np.sum(s * (z - 0.5 * s), axis=-1) - self.psi(s)

    #: the older name of :meth:`phi_star` (:math:`\Phi^*`, not :math:`\Psi^*`)
    conjugate = phi_star

    def psi_conjugate(self, y) -> np.ndarray:
        r""":math:`\Psi^*(y) = \sup_x \langle x, y\rangle - \Psi(x)` (Definition 3), where a closed form exists."""
        raise NotImplementedError(
            f"activation {self.name!r} has no closed-form Psi*; use conjugate() for (1/2|.|^2 + Psi)*")

    def prox_psi_star(self, z, step: float = 1.0) -> np.ndarray:
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = z - t\,\operatorname{prox}_{\Psi/t}(z/t)`; alias ``prox_conjugate``.

        The extended Moreau decomposition; for :math:`t=1` this is Theorem 7,
        :math:`\sigma^*(z) = z - \sigma(z)`.  The conjugate is that of :math:`\Psi`, not the
        :math:`\Phi^*` of :meth:`phi_star`.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> relu = get("relu")
        >>> relu.prox_psi_star([[-1.0, 2.0]]).tolist()      # projection onto (-inf, 0]
        [[-1.0, 0.0]]
        >>> relu.prox_conjugate([[-1.0, 2.0]]).tolist()     # the same method
        [[-1.0, 0.0]]
        """
        t = check_step(step)
        z = as_float_array(z)
        if t == 1.0:
            return z - self.prox(z)
        return z - t * self.prox(z / t, step=1.0 / t)

    #: the older name of :meth:`prox_psi_star` (the prox of :math:`\Psi^*`, not of :meth:`conjugate`'s :math:`\Phi^*`)
    prox_conjugate = prox_psi_star

    # ------------------------------------------------------------------ Psi + alpha |.|_1
    @classmethod
    def supports_l1(cls) -> bool:
        r"""True if :meth:`with_l1` knows the activation of :math:`\Psi + \alpha\|\cdot\|_1` for this exact class.

        The rule is on the exact class: only a class whose own body defines ``_with_l1`` supports it.
        A subclass may change :math:`\Psi` (override ``prox`` or ``psi``) while keeping everything
        else, so it does not inherit the answer; one that keeps :math:`\Psi` opts in with e.g.
        ``_with_l1 = ReLU._with_l1`` in its body.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> get("relu").supports_l1(), get("tanh").supports_l1()
        (True, False)
        """
        return cls.__dict__.get("_with_l1") is not None

    def with_l1(self, alpha) -> "Activation":
        r"""The activation whose :math:`\Psi` is :math:`\Psi + \alpha\|\cdot\|_1` (Section 6.2).

        Its ``prox(v, step)`` is :math:`\operatorname{prox}_{t(\Psi + \alpha\|\cdot\|_1)}(v)`, the
        x-update (17b) of a hidden layer carrying the regulariser :math:`R = \alpha\|x_c\|_1` of
        (26), (27).  ``alpha == 0`` returns ``self`` for every activation.

        Parameters
        ----------
        alpha : float
            :math:`\alpha \ge 0` (finite).

        Returns
        -------
        Activation

        Raises
        ------
        BregnetInputError
            If ``alpha`` is negative or not finite, or if ``alpha > 0`` and no closed-form prox of
            :math:`\Psi + \alpha\|\cdot\|_1` is known for this activation (:meth:`supports_l1`).

        Notes
        -----
        The sum is again the :math:`\Psi` of a known activation, whose prox is a closed form
        (:math:`\beta > 0`, every step :math:`t > 0`):

        * identity, :math:`0 + \alpha|x|`: soft_threshold(:math:`\alpha`),
          :math:`\operatorname{sign}(v)\max(|v| - t\alpha, 0)`;
        * relu, :math:`\chi_{[0,\infty)}(x) + \alpha|x| = \alpha x + \chi_{[0,\infty)}(x)`:
          nonneg_soft_threshold(:math:`\alpha`), :math:`\max(v - t\alpha, 0)`;
        * soft_threshold(:math:`\beta`), :math:`(\beta + \alpha)|x|`: soft_threshold(:math:`\beta + \alpha`),
          :math:`\operatorname{sign}(v)\max(|v| - t(\beta + \alpha), 0)`;
        * nonneg_soft_threshold(:math:`\beta`), :math:`(\beta + \alpha)x + \chi_{[0,\infty)}(x)`:
          nonneg_soft_threshold(:math:`\beta + \alpha`), :math:`\max(v - t(\beta + \alpha), 0)`.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> act = get("relu").with_l1(0.5)
        >>> act
        nonneg_soft_threshold(alpha=0.5)
        >>> act.prox([[-1.0, 0.25, 2.0]], step=2.0).tolist()
        [[0.0, 0.0, 1.0]]
        >>> get("tanh").with_l1(0.1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bregnet.exceptions.BregnetInputError: no closed-form prox of Psi + alpha|.|_1 is known for activation tanh(); ...
        """
        a = _l1_weight(alpha)
        if a == 0.0:
            return self
        if not self.supports_l1():
            raise BregnetInputError(
                f"no closed-form prox of Psi + alpha|.|_1 is known for activation {self!r}; "
                f"it is known for the exact classes whose body defines _with_l1 (see Activation.supports_l1)")
        return self._with_l1(a)

    def derivative(self, z) -> np.ndarray:
        r"""Elementwise (sub)derivative :math:`\sigma'(z)` (separable activations only)."""
        raise TypeError(f"activation {self.name!r} is not separable; use jacobian(z) or vjp(z, v)")

    def jacobian(self, z) -> np.ndarray:
        r"""Jacobian :math:`\partial\sigma(z)/\partial z` of shape ``(..., n, n)`` (symmetric, eigenvalues in [0, 1])."""
        z = as_float_array(z)
        n = z.shape[-1]
        eye = np.eye(n, dtype=z.dtype)
        # J v for each basis vector; J is symmetric for a proximal map of a convex function
        cols = [self.vjp(z, np.broadcast_to(eye[k], z.shape)) for k in range(n)]
        return np.stack(cols, axis=-1)

    def vjp(self, z, v) -> np.ndarray:
        r"""Vector-Jacobian product :math:`J_\sigma(z)^\top v` (back-propagation, Algorithm 2)."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        return self.derivative(z) * v

    def params(self) -> dict:
        """The activation's parameters, as given to :func:`bregnet.activations.get`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)} if dataclasses.is_dataclass(self) else {}

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({p})"


class SeparableActivation(Activation):
    r"""An activation with :math:`\Psi(x) = \sum_j \psi(x_j)`, described by scalar functions.

    Subclasses implement, on arrays, elementwise:

    * ``_psi(x)``: :math:`\psi(x)` with ``+inf`` outside the domain;
    * ``_sigma(z)``: :math:`\sigma(z)`;
    * ``_sigma_prime(z)``: a documented choice of :math:`\sigma'(z)` in :math:`[0, 1]`;

    and may override ``_phi_star(z)`` (:math:`\phi^*(z)`, elementwise), ``_psi_star(y)``,
    ``_prox_step(z, t)`` with closed forms.

    :math:`\operatorname{prox}_{t\psi}` for :math:`t \ne 1`: a subclass that defines
    ``_psi_prime(x)`` (:math:`\psi'(x) = \sigma^{-1}(x) - x`, evaluated without cancellation,
    ``+-inf`` at and beyond the ends of the domain), ``_psi_second(x)`` (:math:`\psi''(x)`, for
    the Newton steps only) and ``_psi_domain()`` (the closure of :math:`\operatorname{dom}\psi`
    as floats, the inner edges where the domain is open) gets :func:`prox_step_from_psi_prime`,
    accurate to a few ulps for every :math:`t > 0`; ``_t_psi_prime(x, t)`` / ``_t_psi_second(x, t)``
    (:math:`t\psi'`, :math:`t\psi''`) may be overridden where :math:`\psi'` overflows before
    :math:`t\psi'` does, and ``_prox_finish(x)`` (in the output dtype) keeps the result inside an
    open domain.  Otherwise the generic :func:`prox_step_from_sigma` is used.
    """

    separable = True
    #: :math:`\psi'`, cancellation-free (None: not provided; see the class docstring)
    _psi_prime = None

    # elementwise pieces ---------------------------------------------------
    def _psi(self, x):
        raise NotImplementedError

    def _sigma(self, z):
        raise NotImplementedError

    def _sigma_prime(self, z):
        raise NotImplementedError

    def _phi_star(self, z):
        s = self._sigma(z)
        return s * (z - 0.5 * s) - self._psi(s)

    def _psi_star(self, y):
        raise NotImplementedError(
            f"activation {self.name!r} has no closed-form Psi*; use conjugate() for (1/2|.|^2 + Psi)*")

    def _psi_second(self, x):
        raise NotImplementedError

    def _psi_domain(self):
        raise NotImplementedError

    def _t_psi_prime(self, x, t):
        r""":math:`t\,\psi'(x)` (override where :math:`\psi'` overflows before :math:`t\psi'`)."""
        return t * self._psi_prime(x)

    def _t_psi_second(self, x, t):
        r""":math:`t\,\psi''(x)` (override where :math:`\psi''` overflows before :math:`t\psi''`)."""
        return t * self._psi_second(x)

    def _prox_finish(self, x):
        """Applied to ``prox(z, step)`` in the output dtype (e.g. to stay inside an open domain)."""
        return x

    def _prox_step(self, z, t):
        if self._psi_prime is not None:
            x = prox_step_from_psi_prime(self, z, t)
            return self._prox_finish(x.astype(z.dtype, copy=False))
        return prox_step_from_sigma(self._sigma, self._sigma_prime, z, t)

    # public interface -----------------------------------------------------
    def psi(self, x):
        x = as_float_array(x, "x")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.sum(self._psi(x), axis=-1)

    def psi_elementwise(self, x):
        r"""The scalar :math:`\psi(x_j)` for every entry (no reduction)."""
        x = as_float_array(x, "x")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._psi(x)

    def prox(self, z, step: float = 1.0):
        z = as_float_array(z)
        t = check_step(step)
        with np.errstate(over="ignore", under="ignore"):
            if t == 1.0:
                return self._sigma(z)
            return self._prox_step(z, t)

    def conjugate(self, z):
        r""":math:`\Phi^*(z) = \sum_j \phi^*(z_j)` (eq. (11), (15)); also named ``phi_star``."""
        z = as_float_array(z)
        with np.errstate(over="ignore", under="ignore"):
            return np.sum(self._phi_star(z), axis=-1)

    def conjugate_elementwise(self, z):
        r"""The scalar :math:`\phi^*(z_j)` for every entry (no reduction)."""
        z = as_float_array(z)
        with np.errstate(over="ignore", under="ignore"):
            return self._phi_star(z)

    def psi_conjugate(self, y):
        y = as_float_array(y, "y")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.sum(self._psi_star(y), axis=-1)

    def derivative(self, z):
        r"""Elementwise :math:`\sigma'(z)`; at kinks the value documented by the subclass."""
        z = as_float_array(z)
        with np.errstate(over="ignore", under="ignore"):
            return self._sigma_prime(z)

    def jacobian(self, z):
        d = self.derivative(z)
        return d[..., :, None] * np.eye(d.shape[-1], dtype=d.dtype)


def prox_step_by_newton(activation: Activation, z: np.ndarray, step: float, *, max_iter: int = 100) -> np.ndarray:
    r""":math:`\operatorname{prox}_{t\Psi}(z)` for any (also non-separable) activation, from :math:`\sigma` and :math:`\Phi^*`.

    :math:`x = \sigma(u^*)` where :math:`u^*` minimises the potential

    .. math::  P(u) = \tfrac{t}{2}\|u\|^2 + (1-t)\,\Phi^*(u) - \langle z, u\rangle,

    whose gradient :math:`t u + (1-t)\sigma(u) - z` vanishes exactly when
    :math:`z - \sigma(u) \in t\,\partial\Psi(\sigma(u))` (see :func:`prox_step_from_sigma`).
    Because :math:`0 \preceq J_\sigma \preceq I`, :math:`P` is :math:`\min(t,1)`-strongly convex,
    so damped Newton with backtracking converges from any start.
    """
    t = step
    if t == 1.0:
        return activation.prox(z)
    u = np.array(z, dtype=z.dtype, copy=True)
    n = z.shape[-1]
    eye = np.eye(n, dtype=z.dtype)
    big = np.ldexp(z.dtype.type(1.0), 400 if z.dtype == np.float64 else 50)

    def row_scale(*vs):
        # 1, or a power of two at least the largest entry where squares could overflow (|entry| >= 2^400 in
        # float64): the potential, its slope and the norms are computed for u / S, z / S and divided by S^2,
        # exactly (powers of two), so |z| = 1e300 neither overflows nor gives inf - inf
        m = np.max(np.stack([np.max(np.abs(v), axis=-1) for v in vs]), axis=0)
        return np.where(m < big, 1.0, np.ldexp(1.0, np.frexp(np.where(m < big, 1.0, m))[1])).astype(z.dtype)

    def potential(u, S):
        us, zs = u / S[..., None], z / S[..., None]
        return 0.5 * t * np.sum(us * us, axis=-1) + (1.0 - t) * (activation.conjugate(u) / S) / S - np.sum(zs * us, axis=-1)

    def norm(v, S):
        vs = v / S[..., None]
        return np.sqrt(np.sum(vs * vs, axis=-1)) * S

    eps = np.finfo(z.dtype).eps
    for _ in range(max_iter):
        s = activation.prox(u)
        grad = t * u + (1.0 - t) * s - z
        S = row_scale(u, z, grad)
        gnorm = norm(grad, S)
        scale = np.maximum(norm(z, S), 1.0)
        if np.all(gnorm <= 8 * eps * scale):
            break
        hess = t * eye + (1.0 - t) * activation.jacobian(u)
        direction = -np.linalg.solve(hess, grad[..., None])[..., 0]
        S = row_scale(u, z, grad, direction)
        p0 = potential(u, S)
        slope = np.sum((grad / S[..., None]) * (direction / S[..., None]), axis=-1)
        alpha = np.ones(z.shape[:-1], dtype=z.dtype)
        for _ in range(40):
            trial = u + alpha[..., None] * direction
            bad = potential(trial, S) > p0 + 1e-4 * alpha * slope + 8 * eps * np.abs(p0)
            if not np.any(bad):
                break
            alpha = np.where(bad, 0.5 * alpha, alpha)
        u = u + alpha[..., None] * direction
    return activation.prox(u)
