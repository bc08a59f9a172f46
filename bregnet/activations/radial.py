r"""Radial activations: block soft-thresholding and the capsule squash (Section 3, Definition 1).

A *radial* function :math:`\Psi(x) = \psi(\|x\|)`, with :math:`\psi` even, convex and (hence)
nondecreasing on :math:`[0,\infty)`, has the radial proximal map

.. math::  \operatorname{prox}_{t\Psi}(z) = \operatorname{prox}_{t\psi}(\|z\|)\,\frac{z}{\|z\|}
           \quad (z\ne0), \qquad \operatorname{prox}_{t\Psi}(0) = 0 ,

(Combettes & Pesquet 2020, *Deep neural network structures solving variational inequalities*,
radial activations), and conjugates :math:`\Phi^*(z) = \phi^*(\|z\|)`,
:math:`\Psi^*(y) = \psi^*(\|y\|)` with the scalar conjugates of the even profiles.  If
:math:`\sigma(z) = \rho(\|z\|) z/\|z\|` then :math:`\rho = \operatorname{prox}_\psi` on
:math:`[0,\infty)`, and :math:`\psi` is recovered by integrating :math:`\rho^{-1} - \mathrm{id}`.
Norms are computed with scaling, so no square overflows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._params import check_positive
from .base import Activation, as_float_array, check_step, prox_step_from_sigma
from .registry import register

_HALF_PI = float(np.pi / 2)


def norm(z: np.ndarray) -> np.ndarray:
    r"""Euclidean norm over the last axis, :math:`m\sqrt{\sum_j (z_j/m)^2}` with :math:`m = \max_j|z_j|`."""
    m = np.max(np.abs(z), axis=-1, keepdims=True)
    safe = np.where(m > 0, m, 1)
    return (safe * np.sqrt(np.sum((z / safe) ** 2, axis=-1, keepdims=True)))[..., 0]


def ball_tolerance(x: np.ndarray) -> float:
    """Rounding tolerance for membership of a ball: ``16 n eps`` of the dtype (as for the simplex)."""
    return 16 * max(x.shape[-1], 1) * float(np.finfo(x.dtype).eps)


def _unit(z: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``z / r`` along the last axis, 0 where ``r == 0``."""
    safe = np.where(r > 0, r, 1)[..., None]
    return np.where((r > 0)[..., None], z / safe, 0)


# --------------------------------------------------------------------------- B near the graph (double-double)
_EPS64 = float(np.finfo(np.float64).eps)
#: rows with all of |x_j|, |z_j| within [2^-300, 2^300] (or 0) take the double-double path: no split overflows, no square underflows
_DD_RANGE = (2.0 ** -300, 2.0 ** 300)


def _near_rows(xd, zd, s, extra, scale=None):
    r"""Rows where :math:`\|x - \sigma(z)\| \le 8\varepsilon(\|x\| + \mathrm{scale})` (``s`` the float64 :math:`\sigma(z)`), ``extra`` holds and the double-double path is safe.

    ``scale`` (default 0) widens the band by what the float64 ``s`` itself may be off (block
    soft-thresholding: :math:`\|z\|`, since :math:`\|z\| - \alpha` cancels in ``prox``).
    """
    lo, hi = _DD_RANGE
    ax, az = np.abs(xd), np.abs(zd)
    in_range = (np.all((ax == 0) | ((ax >= lo) & (ax <= hi)), axis=-1)
                & np.all((az == 0) | ((az >= lo) & (az <= hi)), axis=-1))
    rho = norm(xd)
    with np.errstate(invalid="ignore", over="ignore"):
        band = 8 * _EPS64 * (rho if scale is None else rho + scale)
        return in_range & (rho > 0) & (norm(xd - s) <= band) & extra


def _dd_radial_residual(x, z, profile):
    r"""``(e, zhat, ns, R)`` for rows ``x``, ``z`` of shape ``(k, n)``: :math:`e = x - \sigma(z)` to about :math:`2^{-100}\|x\|`.

    :math:`\sigma(z) = r(R)\hat z`, :math:`R = \|z\|`; :math:`R^2 = \sum_j z_j^2` (two-products and
    two-sums), :math:`R` by one Newton step on :math:`\sqrt{R^2}`, :math:`\hat z = z/R` and
    :math:`r(R)` (``profile(R2, R)``, double-double in, double-double out) and their product all in
    double-double (the helpers of :mod:`bregnet.bregman`).  ``e``, ``zhat``, ``ns`` :math:`= r(R)`
    and ``R`` are returned rounded to float64.
    """
    from ..bregman import _dd_add, _dd_div, _dd_mul, _two_prod, _two_sum

    zero = np.zeros(z.shape[:-1])
    S = (zero, zero)
    for j in range(z.shape[-1]):
        S = _dd_add(S, _two_prod(z[:, j], z[:, j]))
    r0 = np.sqrt(S[0])
    p, q = _two_prod(r0, r0)
    R = _two_sum(r0, ((S[0] - p) - q + S[1]) / (2 * r0))      # S[0] - p exact (Sterbenz)
    ns = profile(S, R)
    col = lambda a: (a[0][:, None], a[1][:, None])               # noqa: E731
    zh = _dd_div((z, np.zeros_like(z)), col(R))
    sv = _dd_mul(col(ns), zh)
    e = _dd_add((x, np.zeros_like(x)), (-sv[0], -sv[1]))
    return e[0] + e[1], zh[0], ns[0] + ns[1], R[0]


def _perp(e, zh):
    r""":math:`(\langle e, \hat z\rangle, \|e_\perp\|^2)`, :math:`e_\perp = e - \langle e, \hat z\rangle\hat z` (both of size :math:`\|e\|`: no cancellation)."""
    c = np.sum(e * zh, axis=-1)
    ep = e - c[:, None] * zh
    return c, np.sum(ep * ep, axis=-1)


# --------------------------------------------------------------------------- block soft-threshold
def _angular(x, z, rho, R):
    r""":math:`\rho R(1 - \cos\theta) = \tfrac12\rho R\,|x/\rho - z/R|^2` (0 where :math:`\rho R = 0`): the part of :math:`B` that :math:`\langle x, z\rangle` would cancel."""
    du = _unit(x, rho) - _unit(z, R)
    with np.errstate(over="ignore", invalid="ignore"):
        val = 0.5 * rho * (R * np.sum(du * du, axis=-1))
    return np.where((rho > 0) & (R > 0), val, 0.0)


@register("block_soft_threshold")
@dataclass(frozen=True, repr=False)
class BlockSoftThreshold(Activation):
    r"""Block soft-thresholding, :math:`\sigma(z) = (1 - \alpha/\|z\|)_+\, z = \operatorname{prox}_{\alpha\|\cdot\|_2}(z)`.

    :math:`\Psi(x) = \alpha\|x\|_2` (the group-lasso penalty on one block),
    :math:`\operatorname{prox}_{t\Psi}` thresholds at :math:`t\alpha`,

    .. math::  \Phi^*(z) = \tfrac12(\|z\|-\alpha)_+^2, \qquad
               \Psi^*(y) = \chi_{\{\|y\|\le\alpha\}}(y)

    (``psi_conjugate`` accepts :math:`\|y\|\le\alpha(1 + 16 n\varepsilon)` to absorb rounding).
    Jacobian for :math:`\|z\| > \alpha`:
    :math:`J = (1-\alpha/\|z\|)\,I + (\alpha/\|z\|)\,\hat z\hat z^\top`, :math:`\hat z = z/\|z\|`,
    eigenvalues :math:`1` (along :math:`\hat z`) and :math:`1 - \alpha/\|z\|`; :math:`J = 0` for
    :math:`\|z\| < \alpha`.  Convention on the sphere :math:`\|z\| = \alpha` (not differentiable):
    :math:`J = 0`, as for soft-thresholding.

    Parameters
    ----------
    alpha : float, default 1.0
        Threshold :math:`\alpha > 0`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("block_soft_threshold", alpha=1.0)
    >>> act.prox([[3.0, 4.0], [0.3, 0.4]]).tolist()
    [[2.4, 3.2], [0.0, 0.0]]
    >>> act.conjugate([[3.0, 4.0]]).tolist()
    [8.0]
    """

    alpha: float = 1.0
    has_psi_conjugate = True
    formula = "Psi(x) = alpha*|x|_2"
    family = "radial"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))

    def psi(self, x):
        x = as_float_array(x, "x")
        return (self.alpha * norm(x)).astype(x.dtype)

    def _bregman(self, x, z):
        r""":math:`B = b(\rho, R) + \rho R(1 - \cos\theta)`, :math:`\rho = \|x\|`, :math:`R = \|z\|`, :math:`\theta` the angle between them.

        Eq. (12) with :math:`\Psi = \alpha\|\cdot\|`, :math:`\Phi^*(z) = \tfrac12[R - \alpha]_+^2` splits
        into the 1-D loss :math:`b` of ``nonneg_soft_threshold`` (:math:`\alpha`) at :math:`(\rho, R)`
        (:func:`~bregnet.bregman.piecewise_linear_bregman`) and the angular term of :func:`_angular`,
        both non-negative, so nothing cancels near the graph.
        """
        from ..bregman import piecewise_linear_bregman

        xd, zd = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
        rho, R = norm(xd), norm(zd)
        a = float(self.alpha)
        b = piecewise_linear_bregman(rho, R, (a,), (0.0,), (0.0, 1.0), s=np.maximum(R - a, 0.0))
        val = b + _angular(xd, zd, rho, R)
        if xd.ndim == 0 or xd.size == 0:
            return val
        xd, zd = np.broadcast_arrays(xd, zd)
        near = _near_rows(xd, zd, self.prox(zd), R > a, scale=R)
        if np.any(near):
            val = np.array(val, dtype=np.float64, copy=True)
            val[near] = self._bregman_near_graph(xd[near], zd[near], np.where(near, rho, 0.0)[near], val[near])
        return val

    def _bregman_near_graph(self, x, z, rho, fallback):
        r""":math:`B = \tfrac12\|e\|^2 + \alpha\|e_\perp\|^2/(\|x\| + \|\sigma(z)\| + \langle e, \hat z\rangle)` for rows within 8 ulps of the graph (:math:`\|z\| > \alpha`).

        :math:`e = x - \sigma(z)` in double-double (:func:`_dd_radial_residual`), :math:`e_\perp` its part
        across :math:`\hat z`.  From eq. (12) with :math:`z = \sigma(z) + \alpha\hat z`,
        :math:`B = \tfrac12\|e\|^2 + \alpha(\|x\| - \langle x, \hat z\rangle)` and
        :math:`\|x\| - \langle x,\hat z\rangle = \|x_\perp\|^2/(\|x\| + \langle x, \hat z\rangle)`,
        :math:`x_\perp = e_\perp`, :math:`\langle x,\hat z\rangle = \|\sigma(z)\| + \langle e,\hat z\rangle`:
        a sum of non-negative terms of size :math:`\|e\|^2`.  (The rounding of :math:`\|x\|`,
        :math:`\|z\|`, :math:`\sigma(z)` decided the unit-vector form there: 22 eps*cond.)
        Rows where :math:`\|\sigma(z)\|` rounds to :math:`\le 0` keep ``fallback``.
        """
        from ..bregman import _dd_add

        a = float(self.alpha)
        e, zh, ns, _ = _dd_radial_residual(x, z, lambda S, R: _dd_add(R, (np.full_like(R[0], -a), np.zeros_like(R[0]))))
        c, ep2 = _perp(e, zh)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = 0.5 * np.sum(e * e, axis=-1) + a * ep2 / (rho + ns + c)
        return np.where(ns > 0, val, fallback)

    def prox(self, z, step: float = 1.0):
        z = as_float_array(z)
        t = check_step(step)
        r = norm(z)
        a = z.dtype.type(t * self.alpha)
        factor = np.maximum(r - a, 0) / np.where(r > 0, r, 1)
        return (factor[..., None] * z).astype(z.dtype)

    def conjugate(self, z):
        z = as_float_array(z)
        s = np.maximum(norm(z) - z.dtype.type(self.alpha), 0)
        with np.errstate(over="ignore"):            # inf where (|z| - alpha)^2 / 2 overflows, without a warning
            return 0.5 * s * s

    def psi_conjugate(self, y):
        y = as_float_array(y, "y")
        ok = norm(y) <= self.alpha * (1 + ball_tolerance(y))
        return np.where(ok, 0.0, np.inf).astype(y.dtype)

    def prox_conjugate(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = z\min(1, \alpha/\|z\|)`, the projection onto the :math:`\alpha`-ball.

        Equal to :math:`z - \sigma(z)` (Theorem 7) and, :math:`t\chi = \chi`, the same for every
        :math:`t`; computed directly so that it stays in the ball to rounding even for
        :math:`\|z\| = 10^8` (where :math:`z - \sigma(z)` loses the digits of :math:`\alpha`).

        Examples
        --------
        >>> from bregnet.activations import get
        >>> get("block_soft_threshold", alpha=1.0).prox_conjugate([[3.0, 4.0], [0.3, 0.4]]).tolist()
        [[0.6000000000000001, 0.8], [0.3, 0.4]]
        """
        z = as_float_array(z)
        check_step(step)
        r = norm(z)
        a = z.dtype.type(self.alpha)
        factor = np.where(r > a, a / np.where(r > a, r, 1), 1)
        return (factor[..., None] * z).astype(z.dtype)

    def _pieces(self, z):
        r = norm(z)
        active = r > self.alpha
        ratio = np.where(active, self.alpha / np.where(active, r, 1), 1)
        return _unit(z, r), active, ratio

    def vjp(self, z, v):
        r""":math:`J^\top v = (1-\alpha/r)v + (\alpha/r)\hat z\langle\hat z, v\rangle` for :math:`r=\|z\| > \alpha`, else 0."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        u, active, ratio = self._pieces(z)
        out = (1 - ratio)[..., None] * v + ratio[..., None] * u * np.sum(u * v, axis=-1, keepdims=True)
        out = np.where(active[..., None], out, 0)
        return out.astype(np.result_type(z.dtype, v.dtype))

    def jacobian(self, z):
        z = as_float_array(z)
        u, active, ratio = self._pieces(z)
        n = z.shape[-1]
        J = (1 - ratio)[..., None, None] * np.eye(n, dtype=z.dtype) + ratio[..., None, None] * u[..., :, None] * u[..., None, :]
        return np.where(active[..., None, None], J, 0).astype(z.dtype)


# --------------------------------------------------------------------------- capsule squash
def _g(a):
    r""":math:`g(a) = a/(1+a^2) = \rho(a)/a` for :math:`a\ge0`, overflow-free."""
    small = np.minimum(a, 1)
    big = np.maximum(a, 1)
    return np.where(a <= 1, small / (1 + small * small), 1 / (big + 1 / big))


def _rho(u):
    r"""The odd radial profile :math:`\rho(u) = u|u|/(1+u^2)` of the squash."""
    return u * _g(np.abs(u))


def _rho_prime(u):
    r""":math:`\rho'(u) = 2|u|/(1+u^2)^2 = 2 g(|u|)^2/|u|`, in :math:`[0, 3\sqrt3/8]`."""
    a = np.abs(u)
    small = np.minimum(a, 1)
    big = np.maximum(a, 1)
    g = _g(a)
    return np.where(a <= 1, 2 * small / (1 + small * small) ** 2, 2 * g * g / big)


def _arcsin_sqrt_minus(r):
    r""":math:`F(r) = \arcsin\sqrt r - \sqrt{r(1-r)} = \int_0^r\sqrt{u/(1-u)}\,du` on :math:`[0,1]`.

    Series :math:`F = r^{3/2}\sum_k \frac{2\binom{2k}{k}}{4^k(2k+3)} r^k` (64 terms) below :math:`r = 1/2`
    (the direct form cancels there: 9 ulps at :math:`r = 0.065`); :math:`\arcsin\sqrt r = \operatorname{atan2}(\sqrt r, \sqrt{1-r})`
    above, exact near :math:`r = 1`.
    """
    small = np.minimum(r, 0.5)
    acc = np.zeros_like(r)
    coef = 1.0
    for k in range(64):
        acc = acc + (2 * coef / (2 * k + 3)) * small ** k
        coef = coef * (2 * k + 1) / (2 * k + 2)  # binom(2k+2, k+1)/4^(k+1) from binom(2k, k)/4^k
    series = small * np.sqrt(small) * acc
    direct = np.arctan2(np.sqrt(r), np.sqrt(1 - r)) - np.sqrt(r * (1 - r))
    return np.where(r < 0.5, series, direct)


def _r_minus_arctan(r):
    r""":math:`r - \arctan r` for :math:`r\ge0` (series :math:`\sum_{k\ge1}(-1)^{k+1}r^{2k+1}/(2k+1)` below 1/4)."""
    small = np.minimum(r, 0.25)
    acc = np.zeros_like(r)
    for k in range(14, 0, -1):
        acc = (-1) ** (k + 1) / (2 * k + 1) + small * small * acc
    series = small ** 3 * acc
    return np.where(r < 0.25, series, r - np.arctan(r))


@register("squash")
@dataclass(frozen=True, repr=False)
class Squash(Activation):
    r"""Capsule squash (Sabour, Frosst & Hinton 2017), :math:`\sigma(z) = \frac{\|z\|^2}{1+\|z\|^2}\frac{z}{\|z\|}`.

    Radial with profile :math:`\rho(r) = r^2/(1+r^2)`, which is nondecreasing with
    :math:`\rho'(r) = 2r/(1+r^2)^2 \le \rho'(1/\sqrt3) = 3\sqrt3/8\approx0.65`, so (extended oddly)
    it is the proximal map of an even convex :math:`\psi` (Combettes & Pesquet 2020).  From
    :math:`\rho^{-1}(x) = \sqrt{x/(1-x)}` and :math:`\psi' = \rho^{-1} - \mathrm{id}`,

    .. math::  \Psi(x) = \psi(\|x\|),\qquad
               \psi(r) = \arcsin\sqrt r - \sqrt{r(1-r)} - \tfrac12 r^2 \quad (0\le r\le1),

    closed at :math:`\|x\| = 1` with the finite limit :math:`\psi(1) = \pi/2 - \tfrac12` (the lsc
    closure; :math:`\partial\Psi` is empty there, so :math:`\sigma` never reaches the sphere), and
    :math:`+\infty` for :math:`\|x\| > 1` (``psi`` accepts :math:`\|x\|\le 1 + 16n\varepsilon` to
    absorb rounding).  :math:`\psi` is convex and nondecreasing since :math:`\rho^{-1}(x) \ge x`
    has slope :math:`\ge 1`.  :math:`\Phi^*(z) = \phi^*(\|z\|)` with
    :math:`\phi^*(r) = \int_0^r\rho = r - \arctan r`.  :math:`\Psi^*` has no closed form.

    :math:`\operatorname{prox}_{t\Psi}(z) = \operatorname{prox}_{t\psi}(\|z\|)z/\|z\|`, the scalar
    prox from :math:`\rho` alone (:func:`~bregnet.activations.base.prox_step_from_sigma`).

    Jacobian: :math:`J = g\,I + (\rho'(r) - g)\,\hat z\hat z^\top`, :math:`g = \rho(r)/r = r/(1+r^2)`,
    :math:`r = \|z\|`: eigenvalues :math:`\rho'(r)\le 0.65` along :math:`\hat z` and
    :math:`g\le\tfrac12` across.  :math:`\sigma` is :math:`C^1` everywhere with :math:`J(0) = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("squash")
    >>> np.round(act.prox([[3.0, 4.0]]), 12).tolist()
    [[0.576923076923, 0.769230769231]]
    >>> bool(np.isclose(act.psi([[0.6, 0.8]])[0], np.pi / 2 - 0.5))
    True
    >>> float(act.psi([[0.6, 0.9]])[0])
    inf
    """

    formula = "Psi(x) = arcsin(sqrt r) - sqrt(r(1-r)) - r^2/2, r = |x| <= 1"
    family = "radial"

    def psi(self, x):
        x = as_float_array(x, "x")
        r = norm(x).astype(np.float64)
        inside = r <= 1 + ball_tolerance(x)
        rc = np.minimum(r, 1.0)
        val = _arcsin_sqrt_minus(rc) - 0.5 * rc * rc
        return np.where(inside, val, np.inf).astype(x.dtype)

    def _bregman(self, x, z):
        r""":math:`B = b(\rho, R) + \rho R(1 - \cos\theta)` (:func:`_angular`), :math:`b` the 1-D loss of the profile :math:`r(u) = u^2/(1+u^2)`.

        With :math:`U = r^{-1}(\rho) = \sqrt{\rho/(1-\rho)}` and :math:`D = U - R`,
        :math:`b = \int_R^U (v - R)\,\frac{2v}{(1+v^2)^2}\,dv = \arctan U - \arctan R - \frac{D}{1+U^2}
        = (\arctan t - t) + \frac{D^2 U}{(1+UR)(1+U^2)}`, :math:`t = \frac{D}{1+UR}`
        (:math:`\arctan t - t` by its series for :math:`|t| < 1/2`, so that nothing of size :math:`D`
        cancels; for :math:`|t| \ge 1/2` the first form :math:`\arctan t - D/(1+U^2)`, where the two terms of the
        second, each of size :math:`U`, would cancel as :math:`\rho \to 1`); :math:`b = \arctan(1/R)` on the
        sphere :math:`\rho \ge 1`.
        """
        xd, zd = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
        rho, R = norm(xd), norm(zd)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            U = np.where(rho < 1, np.sqrt(np.where(rho < 1, rho, 0.0) / (1.0 - np.minimum(rho, 1.0))), np.inf)
            D = U - R
            t = D / (1.0 + U * R)
            small = np.abs(t) < 0.5                          # the series form; else arctan t - D/(1+U^2), whose
            series = -np.sign(t) * _r_minus_arctan(np.where(small, np.abs(t), 0.0)) \
                + D * D * U / ((1.0 + U * R) * (1.0 + U * U))  # two terms of size U cancel for large U
            direct = np.arctan(t) - D / (1.0 + U * U)
            inner = np.where(small, series, np.where(np.isinf(U), np.arctan2(1.0, R), direct))
            b = np.where(rho < 1, inner, np.arctan2(1.0, R))
        val = b + _angular(xd, zd, rho, R)
        if xd.ndim == 0 or xd.size == 0:
            return val
        xd, zd = np.broadcast_arrays(xd, zd)
        near = _near_rows(xd, zd, self.prox(zd), (rho < 1) & (R > 0))
        if np.any(near):
            val = np.array(val, dtype=np.float64, copy=True)
            val[near] = self._bregman_near_graph(xd[near], zd[near], np.where(near, rho, 0.0)[near], val[near])
        return val

    @staticmethod
    def _bregman_near_graph(x, z, rho, fallback):
        r""":math:`B = b(\rho, R) + Rq` for rows within 8 ulps of the graph, from :math:`e = x - \sigma(z)` in double-double.

        With :math:`c = \langle e, \hat z\rangle`, :math:`e_\perp = e - c\hat z` and
        :math:`q = \|e_\perp\|^2/(\rho + \|\sigma(z)\| + c) = \rho - \langle x, \hat z\rangle`
        (:math:`x_\perp = e_\perp`), the angular term is :math:`\rho R(1 - \cos\theta) = Rq` and
        :math:`\delta = \rho - r(R) = c + q`.  Then, :math:`w = \delta(1 + R^2)`,
        :math:`U = r^{-1}(\rho) = \sqrt{(R^2 + w)/(1 - w)}` and
        :math:`D = U - R = w(1 + R^2)/((1 - w)(U + R))` without cancellation, and :math:`b` as in
        :meth:`_bregman` from :math:`D`.  Every term is of size :math:`\|e\|^2`; the rounding of
        :math:`\rho`, :math:`R` and :math:`\sigma(z)` decided the unit-vector form there (15 eps*cond).
        Rows with :math:`w \ge 1` keep ``fallback``.
        """
        from ..bregman import _dd_add, _dd_div

        def profile(S, R):
            one = np.ones_like(S[0])
            return _dd_div(S, _dd_add(S, (one, np.zeros_like(one))))

        e, zh, ns, R = _dd_radial_residual(x, z, profile)
        c, ep2 = _perp(e, zh)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            q = ep2 / (rho + ns + c)
            k = 1.0 + R * R
            w = (c + q) * k
            U = np.sqrt((R * R + w) / (1.0 - w))
            D = w * k / ((1.0 - w) * (U + R))
            t = D / (1.0 + U * R)
            b = -np.sign(t) * _r_minus_arctan(np.abs(t)) + D * D * U / ((1.0 + U * R) * (1.0 + U * U))
            val = b + R * q
        return np.where((w < 1) & np.isfinite(val), val, fallback)

    def prox(self, z, step: float = 1.0):
        z = as_float_array(z)
        t = check_step(step)
        zz = z.astype(np.float64)
        r = norm(zz)
        if t == 1.0:
            factor = _g(r)
        else:
            x = prox_step_from_sigma(_rho, _rho_prime, r[..., None], t)[..., 0]
            factor = x / np.where(r > 0, r, 1)
        return (factor[..., None] * zz).astype(z.dtype)

    def conjugate(self, z):
        z = as_float_array(z)
        return _r_minus_arctan(norm(z.astype(np.float64))).astype(z.dtype)

    def _pieces(self, z):
        zz = z.astype(np.float64)
        r = norm(zz)
        g = _g(r)
        return _unit(zz, r), g, _rho_prime(r) - g

    def vjp(self, z, v):
        r""":math:`J^\top v = g\,v + (\rho'(r) - g)\,\hat z\langle\hat z, v\rangle`."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        u, g, d = self._pieces(z)
        out = g[..., None] * v + d[..., None] * u * np.sum(u * v, axis=-1, keepdims=True)
        return out.astype(np.result_type(z.dtype, v.dtype))

    def jacobian(self, z):
        z = as_float_array(z)
        u, g, d = self._pieces(z)
        n = z.shape[-1]
        J = g[..., None, None] * np.eye(n) + d[..., None, None] * u[..., :, None] * u[..., None, :]
        return J.astype(z.dtype)
