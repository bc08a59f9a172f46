r"""An activation built from any nondecreasing, 1-Lipschitz scalar map (Section 3, Definition 1, Remark 2).

A scalar :math:`\sigma:\mathbb R\to\mathbb R` is the proximal map (9) of a proper, convex, lower
semi-continuous :math:`\psi` exactly when it is nondecreasing and 1-Lipschitz (Moreau; see
Combettes and Pesquet, 2020): then :math:`\phi^* = \int\sigma` is convex and differentiable, and
:math:`\psi = (\phi^*)^* - \tfrac12|\cdot|^2` is convex because :math:`z - \sigma(z)` is nondecreasing.
Conversely, a proximal map is firmly non-expansive (Theorem 10), so
:math:`(\sigma(b)-\sigma(a))(b-a) \ge (\sigma(b)-\sigma(a))^2`: it never decreases and never has a
slope above 1.

:func:`from_scalar` turns such a user-given :math:`\sigma` into a full :class:`SeparableActivation`,
numerically:

* :math:`\psi(x) = \int_{x_0'}^{x} (\sigma^{-1}(s) - s)\,ds` (Remark 2: :math:`\psi' = \sigma^{-1} - \mathrm{id}`)
  with :math:`x_0' = \sigma(x_0)`, so :math:`\psi(\sigma(x_0)) = 0`.  With the substitution
  :math:`s = \sigma(v)` (integration of an inverse function by parts) this is

  .. math::  \psi(x) = \int_{x_0}^{u} (x - \sigma(v))\,dv + (x - x_0')(x_0 - x_0') - \tfrac12(x - x_0')^2,
             \qquad u = \sigma^{-1}(x),

  whose integrand is bounded even where :math:`\sigma^{-1}` blows up at the edge of the range.
  :math:`u` is found by the safeguarded monotone solver
  :func:`~bregnet.activations.base.solve_monotone` and the integral by adaptive Gauss-Kronrod
  quadrature (:func:`scipy.integrate.quad`);
* :math:`\phi^*(z) = \phi^*(x_0) + \int_{x_0}^{z}\sigma(v)\,dv` (eq. (15): :math:`\nabla\Phi^* = \sigma`),
  with :math:`\phi^*(x_0) = x_0x_0' - \tfrac12x_0'^2` from eq. (11);
* :math:`\operatorname{prox}_{t\psi}` from :func:`~bregnet.activations.base.prox_step_from_sigma`;
* :math:`\sigma'` by central differences unless given.

:math:`\operatorname{dom}\psi` is the closure of the range of :math:`\sigma`: pass ``domain=(lo, hi)``
when it is known; otherwise each end is estimated from :math:`\sigma(\pm10^{12})` (taken as a finite
bound when :math:`\sigma(\pm10^{12})` and :math:`\sigma(\pm10^{6})` agree to :math:`10^{-3}`, then
extrapolated by Aitken's rule from :math:`\sigma(\pm10^{10}), \sigma(\pm10^{11}), \sigma(\pm10^{12})`).
At an end point of the domain that :math:`\sigma` does not reach in floating point, :math:`\psi` is the
limit (the lower semi-continuous closure).  Where :math:`x` is so close to a finite end :math:`b`
of the range that :math:`|\sigma^{-1}(x)| > 10^6`, the integrand is mostly rounding noise, and the
integral beyond :math:`10^6` uses a power-law fit :math:`|b - \sigma(v)| \approx c|v|^{-p}`
(:math:`p \le 1` at :math:`x = b` gives ``+inf``).  Accuracy is that of the quadrature, about
:math:`10^{-9}` relative, elsewhere.  A user's :math:`\sigma` that rounds onto an end of its range
(e.g. :math:`(z + \sqrt{z^2+1} - 1)/2` at :math:`z = -10^{12}`) makes that end look attained.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.integrate import IntegrationWarning, quad

from ._params import check_real
from .base import SeparableActivation, solve_monotone
from .registry import NotProximalError

__all__ = ["from_scalar", "ScalarActivation", "check_proximal_scalar"]

#: the grid on which a user's sigma is tested at construction
TEST_GRID = np.unique(np.concatenate([
    np.linspace(-20.0, 20.0, 2001),
    np.array([50.0, 100.0, 1e3, 1e4, 1e6]), -np.array([50.0, 100.0, 1e3, 1e4, 1e6]),
]))
_SLOPE_TOL = 1e-9
_BREAKS = np.unique(np.concatenate([[0.0], np.geomspace(0.1, 1e12, 14), -np.geomspace(0.1, 1e12, 14)]))
_QUAD = dict(epsabs=1e-13, epsrel=1e-12, limit=500)


def _vectorise(f: Callable, what: str) -> Callable:
    """``f`` as a map float64 1-D array -> float64 1-D array (np.vectorize if ``f`` is scalar-only)."""
    probe = np.linspace(-1.0, 1.0, 5)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(f(probe))
        if out.shape == probe.shape and out.dtype.kind in "biuf":
            def vf(z):
                with np.errstate(all="ignore"):
                    return np.asarray(f(z), dtype=np.float64)
            return vf
    except Exception:   # noqa: BLE001 - any failure means "not array-aware"; try scalars below
        pass
    try:
        float(f(0.0))
    except Exception as exc:
        raise TypeError(f"{what} must map real numbers (or float arrays) to real numbers") from exc
    scalar = np.vectorize(lambda v: float(f(float(v))), otypes=[np.float64])

    def vf(z):
        with np.errstate(all="ignore"):
            return scalar(z)
    return vf


def check_proximal_scalar(values_z: np.ndarray, values_s: np.ndarray, name: str = "sigma") -> None:
    r"""Raise :class:`NotProximalError` unless the samples of :math:`\sigma` are nondecreasing and 1-Lipschitz.

    ``values_z`` must be increasing.  Rounding-level violations (relative :math:`10^{-12}`) are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.linspace(-3, 3, 7)
    >>> check_proximal_scalar(z, np.tanh(z))          # fine: no exception
    >>> check_proximal_scalar(z, 1.5 * z)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.activations.registry.NotProximalError: sigma has slope 1.5 > 1 between z = -3 and z = -2...
    """
    z = np.asarray(values_z, dtype=np.float64)
    s = np.asarray(values_s, dtype=np.float64)
    bad = ~np.isfinite(s)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise NotProximalError(
            f"{name}({z[i]:.6g}) = {s[i]!r} is not a finite real number; a proximal map of a proper "
            f"convex function maps every real z to a point of dom Psi, so it is finite everywhere")
    ds, dz = np.diff(s), np.diff(z)
    tol = 1e-12 * (1 + np.maximum(np.abs(s[:-1]), np.abs(s[1:])))
    dec = ds < -tol
    if np.any(dec):
        i = int(np.argmin(np.where(dec, ds / dz, np.inf)))
        j = int(np.argmin(s))
        raise NotProximalError(
            f"{name} decreases between z = {z[i]:.6g} and z = {z[i + 1]:.6g} (from {s[i]:.6g} to "
            f"{s[i + 1]:.6g}; on the test grid its minimum is {s[j]:.4g} at z = {z[j]:.4g}). A proximal map "
            f"of a convex function is firmly non-expansive, (sigma(b) - sigma(a))(b - a) >= "
            f"(sigma(b) - sigma(a))^2 >= 0 (Theorem 10), so it is monotone and can never decrease: "
            f"no convex Psi has this function as its proximal map")
    slope = ds / dz
    steep = slope > 1 + _SLOPE_TOL + tol / dz
    if np.any(steep):
        i = int(np.argmax(np.where(steep, slope, -np.inf)))
        raise NotProximalError(
            f"{name} has slope {slope[i]:.6g} > 1 between z = {z[i]:.6g} and z = {z[i + 1]:.6g}. A proximal "
            f"map is firmly non-expansive, hence 1-Lipschitz (|sigma(a) - sigma(b)| <= |a - b|); "
            f"equivalently psi' = sigma^(-1) - id (Remark 2) would decrease where sigma' > 1, so psi "
            f"could not be convex: no convex Psi has this function as its proximal map")


def _parse_domain(domain) -> tuple[float, float]:
    try:
        lo, hi = domain
    except (TypeError, ValueError) as exc:
        raise TypeError(f"domain must be a pair (lo, hi); got {domain!r}") from exc
    out = []
    for nm, v in (("domain[0]", lo), ("domain[1]", hi)):
        if isinstance(v, bool):
            raise TypeError(f"{nm} must be a real number or +-inf; got {v!r}")
        try:
            f = float(v)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{nm} must be a real number or +-inf; got {v!r}") from exc
        if math.isnan(f):
            raise ValueError(f"{nm} must not be NaN")
        out.append(f)
    if not out[0] <= out[1] or out[0] == math.inf or out[1] == -math.inf:
        raise ValueError(f"domain must satisfy lo <= hi with lo < inf and hi > -inf; got {domain!r}")
    return out[0], out[1]


@dataclass(frozen=True, repr=False)
class ScalarActivation(SeparableActivation):
    r"""A separable activation from a user-given scalar :math:`\sigma` (see :func:`from_scalar`).

    Built by :func:`from_scalar`; not in the registry.  :math:`\Psi^*` has no closed form here.
    """

    sigma: Callable
    sigma_prime: Callable | None = None
    name: str = "custom"
    domain: tuple | None = None
    x0: float = 0.0

    formula = "psi' = sigma^{-1} - id, integrated numerically"
    family = "generic"

    def __post_init__(self):
        if not callable(self.sigma):
            raise TypeError(f"sigma must be callable; got {type(self.sigma).__name__}")
        if self.sigma_prime is not None and not callable(self.sigma_prime):
            raise TypeError(f"sigma_prime must be callable or None; got {type(self.sigma_prime).__name__}")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {type(self.name).__name__}")
        x0 = check_real("x0", self.x0)
        object.__setattr__(self, "x0", x0)
        f = _vectorise(self.sigma, "sigma")
        fp = _vectorise(self.sigma_prime, "sigma_prime") if self.sigma_prime is not None else None
        set_ = object.__setattr__
        set_(self, "_f", f)
        set_(self, "_fp", fp)

        s = f(TEST_GRID)
        check_proximal_scalar(TEST_GRID, s, self.name)

        # the bracket [zlo, zhi] of sigma^{-1}: as wide as sigma stays finite
        def far(sign):
            for big in (1e12, 1e9, 1e6, 1e3):
                v = f(np.array([sign * big]))[0]
                if np.isfinite(v):
                    return sign * big, float(v)
            return sign * 1e3, math.copysign(math.inf, sign)
        zlo, slo = far(-1.0)
        zhi, shi = far(1.0)
        if self.domain is None:
            lo = self._limit(-1.0, zlo, slo)
            hi = self._limit(1.0, zhi, shi)
        else:
            lo, hi = _parse_domain(self.domain)
            tol = 1e-12 * (1 + np.abs(s))
            out = (s < lo - tol) | (s > hi + tol)
            if np.any(out):
                i = int(np.argmax(out))
                raise ValueError(f"sigma({TEST_GRID[i]:.6g}) = {s[i]:.6g} lies outside domain={self.domain!r}; "
                                 f"dom Psi is the closure of the range of sigma")
        x0p = float(f(np.array([x0]))[0])
        set_(self, "_dom", (lo, hi))
        set_(self, "_bracket", (zlo, zhi, slo, shi))
        set_(self, "_x0p", x0p)
        set_(self, "_c0", x0 * x0p - 0.5 * x0p * x0p)

    def _limit(self, sign, zbig, sbig):
        """The end of the range of sigma on the side ``sign`` (+-inf if sigma looks unbounded).

        A bounded end is extrapolated from sigma at 1e10, 1e11, 1e12 by Aitken's delta-squared
        rule (exact for a power-law gap), or is sigma(+-1e12) when that is already the bound.
        """
        if not math.isfinite(sbig):
            return math.copysign(math.inf, sign)
        s6 = float(self._f(np.array([sign * 1e6]))[0])
        if not (abs(zbig) > 1e6 and abs(sbig - s6) <= 1e-3 * max(1.0, abs(s6))):
            return math.copysign(math.inf, sign)
        s10, s11, s12 = (float(v) for v in self._f(sign * np.array([1e10, 1e11, 1e12])))
        d1, d2 = s11 - s10, s12 - s11
        if abs(zbig) == 1e12 and d1 * d2 > 0 and abs(d2) < abs(d1):
            return s12 + d2 * d2 / (d1 - d2)
        return sbig

    @property
    def dom(self) -> tuple[float, float]:
        r"""The closed interval :math:`\overline{\operatorname{dom}\psi}` used (given or estimated)."""
        return self._dom

    # ------------------------------------------------------------------ pieces in float64
    def _s64(self, z):
        z = np.asarray(z, dtype=np.float64)
        return self._f(z.ravel()).reshape(z.shape)

    def _sp64(self, z):
        z = np.asarray(z, dtype=np.float64)
        if self._fp is not None:
            return self._fp(z.ravel()).reshape(z.shape)
        h = 6e-6 * np.maximum(1.0, np.abs(z))
        return np.clip((self._s64(z + h) - self._s64(z - h)) / (2 * h), 0.0, 1.0)

    def _integral(self, g, a, b) -> float:
        r""":math:`\int_a^b g` over a finite interval, adaptive, with break points at :math:`0, \pm10^{-1}, \dots, \pm10^{12}`."""
        if a == b:
            return 0.0
        if b < a:
            return -self._integral(g, b, a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IntegrationWarning)
            pts = _BREAKS[(_BREAKS > a) & (_BREAKS < b)]
            pts = pts[(pts - a > 1e-9 * abs(b - a)) & (b - pts > 1e-9 * abs(b - a))]
            val, _ = quad(g, a, b, points=pts if len(pts) else None, **_QUAD)
        return val

    # ------------------------------------------------------------------ SeparableActivation
    def _sigma(self, z):
        return self._s64(z).astype(z.dtype)

    def _sigma_prime(self, z):
        return self._sp64(z).astype(z.dtype)

    def _nearest_preimage(self, u):
        r"""Move each ``u`` towards :math:`x_0` as long as :math:`\sigma` keeps the value :math:`\sigma(u)`.

        The integrand :math:`x - \sigma(v)` vanishes on a level set of :math:`\sigma` in exact
        arithmetic but is rounding noise in floating point (e.g. where :math:`\sigma` has almost
        reached a bound), so the shortest interval is integrated.
        """
        x0 = self.x0
        su = self._s64(u)
        a = np.full(u.shape, x0)
        b = u.copy()
        b = np.where(self._s64(a) == su, a, b)
        for _ in range(200):
            m = 0.5 * (a + b)
            eq = self._s64(m) == su
            b = np.where(eq, m, b)
            a = np.where(eq, a, m)
            if np.all(np.abs(b - a) <= 1e-15 * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)):
                break
        return b

    def _far(self, x: float, u: float) -> float:
        r""":math:`\int_{x_0}^{u} (x - \sigma(v))\,dv` for :math:`|u| > R = 10^6` on a side where the range of :math:`\sigma` is bounded.

        Up to :math:`\pm R` by :meth:`_integral`.  From :math:`R` to :math:`\min(|u|, T)` in
        :math:`w = \log|v|`, where :math:`(x - \sigma(v))\,|v|` is smooth, by 20-point Gauss-Legendre
        on each unit of :math:`w` (:func:`_log_panels`); :math:`T \le Z` (:math:`Z \le 10^{12}` the
        end of the bracket where :math:`\sigma` was evaluated) is the last power of 10 where the gap
        :math:`|b - \sigma(v)|` is still :math:`2^{20}` roundings of the bound :math:`b`, so that the
        integrand's rounding noise stays below :math:`10^{-6}` relative, or :math:`T = R` where the gap
        is a power law to :math:`10^{-8}` already (checked at :math:`10^4, 10^7`).  Beyond :math:`T` the gap is
        taken as the power law :math:`c|v|^{-p}` through its values at :math:`T/10` and :math:`T`:
        with :math:`\delta = |b - x|` and :math:`U = (c/\delta)^{1/p}` (:math:`\infty` if :math:`\delta = 0`),
        :math:`\int_T^U (c v^{-p} - \delta)\,dv`, which is :math:`+\infty` for :math:`\delta = 0`,
        :math:`p \le 1`.  (A power law fitted at :math:`10^5, 10^6` and extrapolated from :math:`R`, as
        before, was off by :math:`1.4\cdot10^{-5}` relative for :math:`\sigma(z) = z/(1+|z|)` at
        :math:`x = 1 - 10^{-12}`, :math:`4.5\cdot10^{-6}` at :math:`1 - 10^{-9}`: the gap
        :math:`1/(1+v)` is no power law at :math:`10^6`.)  The error left is about
        :math:`\varepsilon|u| \approx \varepsilon|x\,\psi'(x)|`, the condition of :math:`\psi` there.
        """
        sign = math.copysign(1.0, u)
        R = 1e6
        zlo, zhi = self._bracket[:2]
        Z = abs(zhi if sign > 0 else zlo)
        bound = self._dom[1] if sign > 0 else self._dom[0]
        head = self._integral(lambda v: x - float(self._s64(np.array([v]))[0]), self.x0, sign * R)

        def gap(v):
            return abs(bound - float(self._s64(np.array([sign * v]))[0]))
        delta = abs(bound - x)
        if gap(R) == 0.0 or gap(R / 10) <= gap(R):
            return head                     # sigma has reached its bound: nothing beyond R
        # T: the last decade up to Z where the gap is still 2^20 roundings of the bound (noise <= 1e-6)
        floor = 2.0 ** 20 * np.finfo(np.float64).eps * max(abs(bound), 1e-300)
        start = R
        p = math.log10(gap(R / 10) / gap(R))
        power_law = all(gap(v) > 0 and abs(gap(R) * (R / v) ** p / gap(v) - 1) <= 1e-8 for v in (1e4, 1e7))
        while (not power_law and start * 10 <= Z and gap(start * 10) >= floor
               and gap(start * 10) < gap(start)):
            start *= 10
        top = min(abs(u), start)
        if top > R:
            head += sign * _log_panels(lambda t: x - self._s64(sign * t), R, top)
        if abs(u) <= start:
            return head
        p = math.log10(gap(start / 10) / gap(start))
        c = gap(start) * start ** p
        U = math.inf if delta == 0.0 else max((c / delta) ** (1.0 / p), start)
        if math.isinf(U):
            return math.inf if p <= 1.0 + 1e-6 else head + c * start ** (1 - p) / (p - 1)
        if abs(p - 1.0) <= 1e-6:
            tail = c * math.log(U / start)
        else:
            tail = c * (U ** (1 - p) - start ** (1 - p)) / (1 - p)
        return head + tail - delta * (U - start)          # = int (gap - delta) on either side

    def _psi(self, x):
        xf = np.asarray(x, dtype=np.float64).ravel()
        out = np.full(xf.shape, np.inf)
        lo, hi = self._dom
        zlo, zhi, slo, shi = self._bracket
        inside = (xf >= lo) & (xf <= hi)
        xi = xf[inside]
        u = np.empty_like(xi)
        mid = (xi >= slo) & (xi <= shi)
        if np.any(mid):
            t = xi[mid]
            um = solve_monotone(self._s64, self._sp64, t, np.full(t.shape, zlo), np.full(t.shape, zhi))
            u[mid] = self._nearest_preimage(um)
        u[xi < slo] = -np.inf
        u[xi > shi] = np.inf
        x0, x0p = self.x0, self._x0p
        vals = np.empty_like(xi)
        cache = {}
        for k, (xv, uv) in enumerate(zip(xi.tolist(), u.tolist())):
            key = (xv, uv)
            if key not in cache:
                bounded_side = math.isfinite(hi if uv > 0 else lo)
                if abs(uv) > 1e6 and bounded_side:
                    integ = self._far(xv, uv)
                else:
                    integ = self._integral(lambda v, xv=xv: xv - float(self._s64(np.array([v]))[0]), x0, uv)
                cache[key] = integ + (xv - x0p) * (x0 - x0p) - 0.5 * (xv - x0p) ** 2
            vals[k] = cache[key]
        out[inside] = vals
        out[np.isnan(xf)] = np.nan
        return out.reshape(np.shape(x)).astype(x.dtype)

    def _phi_star(self, z):
        zf = np.asarray(z, dtype=np.float64)
        uniq, inv = np.unique(zf.ravel(), return_inverse=True)
        vals = np.array([self._c0 + self._integral(lambda v: float(self._s64(np.array([v]))[0]), self.x0, zv)
                         if np.isfinite(zv) else np.nan for zv in uniq.tolist()])
        return vals[inv].reshape(zf.shape).astype(z.dtype)


_GAUSS20 = np.polynomial.legendre.leggauss(20)


def _log_panels(g: Callable, a: float, b: float) -> float:
    r""":math:`\int_a^b g(t)\,dt` for :math:`0 < a < b` as :math:`\int_{\log a}^{\log b} g(e^w)e^w\,dw`, 20-point Gauss-Legendre per unit of :math:`w`.

    ``g`` maps a float64 array to a float64 array.  Exact to rounding for integrands
    :math:`c\,t^{-p}` (entire in :math:`w`) over any range.

    Examples
    --------
    >>> round(_log_panels(lambda t: 1.0 / t, 1.0, 1e6) / math.log(1e6), 12)
    1.0
    """
    wa, wb = math.log(a), math.log(b)
    n = max(1, int(math.ceil(wb - wa)))
    edges = np.linspace(wa, wb, n + 1)
    t, w = _GAUSS20
    half = 0.5 * np.diff(edges)
    nodes = (0.5 * (edges[:-1] + edges[1:]))[:, None] + half[:, None] * t
    ev = np.exp(nodes)
    vals = np.asarray(g(ev.ravel()), dtype=np.float64).reshape(ev.shape) * ev
    return float(np.sum(half * np.sum(w * vals, axis=-1)))


def from_scalar(sigma: Callable, *, sigma_prime: Callable | None = None, name: str = "custom",
                domain: tuple | None = None, x0: float = 0.0) -> ScalarActivation:
    r"""Build an activation from any nondecreasing, 1-Lipschitz scalar :math:`\sigma` (numerically).

    Parameters
    ----------
    sigma : callable
        The activation, elementwise; array-aware callables are used as they are, scalar-only ones
        through :func:`numpy.vectorize`.
    sigma_prime : callable, optional
        Its derivative (a value in :math:`[0, 1]` at kinks); central differences if omitted (at a
        kink these give the mean of the one-sided slopes).
    name : str, default "custom"
        A label for ``repr`` and error messages.  The result is *not* registered.
    domain : (float, float), optional
        The closure of the range of :math:`\sigma` (= :math:`\overline{\operatorname{dom}\psi}`),
        ``+-inf`` allowed; estimated from :math:`\sigma(\pm10^{12})` if omitted.
    x0 : float, default 0.0
        Normalisation: :math:`\psi(\sigma(x_0)) = 0`.

    Returns
    -------
    ScalarActivation
        ``psi`` by quadrature of :math:`\sigma^{-1} - \mathrm{id}` (Remark 2), ``conjugate`` by
        quadrature of :math:`\sigma` (eq. (15)), ``prox(z, step)`` by the generic monotone solver.

    Raises
    ------
    NotProximalError
        If :math:`\sigma`, tested on 2001 points of :math:`[-20, 20]` and at :math:`\pm50, \dots, \pm10^6`,
        decreases anywhere or has a slope above 1: then it is the proximal map of no convex
        :math:`\psi` (firm non-expansiveness, Theorem 10).

    Examples
    --------
    >>> import numpy as np
    >>> act = from_scalar(np.tanh, name="my_tanh")
    >>> x = np.array([[0.5]])
    >>> bool(np.isclose(act.psi(x)[0], 0.5 * (1.5 * np.log(1.5) + 0.5 * np.log(0.5) - 0.25)))
    True
    >>> bool(np.isclose(act.conjugate([[2.0]])[0], np.log(np.cosh(2.0))))
    True
    >>> from_scalar(lambda z: z / (1 + np.exp(-z)), name="swish")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.activations.registry.NotProximalError: swish decreases between z = ...
    """
    return ScalarActivation(sigma, sigma_prime, name, domain, x0)
