r"""Activations onto the probability simplex: softmax (Example 1) and its relatives.

Softmax with temperature :math:`T` is the proximal map of

.. math::  \Psi(u) = \sum_j \bigl(T\,u_j\log u_j - \tfrac12 u_j^2\bigr) + \chi_\Delta(u),

:math:`\Delta = \{u \ge 0, \sum_j u_j = 1\}` (Example 1 is :math:`T = 1`).  :math:`\Psi` is convex
exactly when :math:`T \ge \tfrac12`: on the tangent space :math:`\sum_j v_j = 0` of :math:`\Delta`,
:math:`T\sum_j v_j^2/u_j \ge T\|v\|_1^2 \ge 2T\|v\|_2^2`, with equality approached at
:math:`u = (\tfrac12,\tfrac12,0,\dots)`.  Then :math:`\sigma(z) = \operatorname{softmax}(z/T)` and
:math:`\Phi^*(z) = T\log\sum_j e^{z_j/T}`.

Sparsemax and 1.5-entmax with temperature, :math:`\sigma(z) = \operatorname{sparsemax}(z/T)` and
:math:`\operatorname{entmax}_{3/2}(z/T)`, are the proximal maps of
:math:`\Psi_T = T\,\Phi_1 - \tfrac12\|\cdot\|^2` (:math:`\Phi_1 = \tfrac12\|\cdot\|^2 + \Psi_1` that of
:math:`T = 1`), because :math:`\sigma(z) = \arg\min_p T\Phi_1(p) - \langle p, z\rangle`; so
:math:`\Phi^*(z) = T\,\Phi_1^*(z/T)`.  :math:`\Psi_T` is convex in every dimension exactly when
:math:`T \ge 1`: for sparsemax :math:`\Psi_T = \tfrac{T-1}2\|p\|^2 + \chi_\Delta` and the Jacobian of
:math:`\sigma` is :math:`1/T` times an orthogonal projection (eigenvalue :math:`1/T` once two entries
are positive); for 1.5-entmax the curvature :math:`\sum_j (T p_j^{-1/2} - 1) v_j^2` is
:math:`\ge 0` for :math:`T \ge 1`, and for :math:`T < 1` the Jacobian exceeds 1 in high enough
dimension (:mod:`bregnet.activations.entmax`, which has the general :math:`\alpha`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, wrightomega, xlogy

from ._params import check_real
from .base import Activation, as_float_array, check_step, prox_step_by_newton, solve_monotone
from .registry import register


#: the unit roundoff-based constant of :func:`simplex_tolerance`, that of float32 for every dtype
SIMPLEX_EPS = float(np.finfo(np.float32).eps)


def simplex_tolerance(x: np.ndarray) -> float:
    r"""Rounding tolerance for membership of the simplex: :math:`16\,n\,\varepsilon_{32}`, :math:`\varepsilon_{32} = 2^{-23}`.

    :math:`\operatorname{dom}\Psi = \Delta = \{x\ge0, \sum_j x_j = 1\}` for softmax, sparsemax and
    1.5-entmax; a point is taken to be in it when :math:`x \ge 0` and
    :math:`|\sum_j x_j - 1| \le 16\,n\,\varepsilon_{32}` (:math:`n` = ``x.shape[-1]``), for float32
    *and* float64 arrays.  The float32 unit is used for both because probabilities are routinely
    stored in float32 and promoted later: a point of the simplex rounded to float32 misses
    :math:`\sum_j x_j = 1` by up to :math:`\tfrac12\varepsilon_{32}\sum_j x_j` (more if it was
    computed in float32), far above the float64 rounding, and such points must not get
    :math:`B_\Psi = \Psi = +\infty`.  A point further off (e.g. :math:`|\sum_j x_j - 1| = 10^{-4}`
    for :math:`n \le 50`) is outside.  :math:`\Psi` is evaluated by its formula at such a point (no
    projection), so :math:`B_\Psi(x, z)` carries an error of about
    :math:`|\nu|\,|\sum_j x_j - 1|`, :math:`\nu` the multiplier of :math:`\sum_j x_j = 1`
    (:math:`|\nu| \lesssim \max_j |z_j| + T\log n` for softmax).

    Examples
    --------
    >>> import numpy as np
    >>> simplex_tolerance(np.zeros((1, 10))) == 160 * 2.0 ** -23
    True
    """
    return 16 * max(x.shape[-1], 1) * SIMPLEX_EPS


def on_simplex(x: np.ndarray) -> np.ndarray:
    r"""Boolean array ``x.shape[:-1]``: :math:`x \ge 0` and :math:`|\sum_j x_j - 1|` within :func:`simplex_tolerance`.

    The sum is accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([0.1, 0.2, 0.7])
    >>> on_simplex(np.stack([p, p.astype(np.float32).astype(np.float64), p + 1e-4])).tolist()
    [True, True, False]
    """
    tol = simplex_tolerance(x)
    total = np.sum(x, axis=-1, dtype=np.float64)
    return np.all(x >= 0, axis=-1) & (np.abs(total - 1) <= tol)


def softmax(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r""":math:`\operatorname{softmax}(z/T)_j = e^{z_j/T - \operatorname{lse}(z/T)}`, overflow-free.

    Non-finite entries give the limit: if the largest entry of a row is :math:`+\infty`, the
    entries equal to :math:`+\infty` share the mass equally and the others get 0 (a vertex of the
    simplex when there is one such entry: the limit of :math:`\operatorname{softmax}(z)` as those
    entries tend to :math:`+\infty` together); entries :math:`-\infty` get 0; a row of
    :math:`-\infty` only is uniform (the limit of :math:`z = c\mathbf 1`, :math:`c\to-\infty`, on
    which softmax is constant); a row with a NaN is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[np.inf, -np.inf], [np.inf, np.inf], [0.0, -np.inf]])).tolist()
    [[1.0, 0.0], [0.5, 0.5], [1.0, 0.0]]
    """
    w = z / z.dtype.type(temperature)
    m = np.max(w, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        inf_max = np.isinf(m)
        if np.any(inf_max):
            # the limit: entries equal to an infinite maximum -> exp(0), all others -> exp(-inf)
            w = np.where(inf_max, np.where(w == m, 0, -np.inf).astype(w.dtype), w - np.where(inf_max, 0, m))
        else:
            w = w - m
    e = np.exp(w)
    return e / np.sum(e, axis=-1, keepdims=True)


def _prox_nonfinite_rows(z: np.ndarray, prox_finite, drop_value=None) -> np.ndarray:
    r"""Apply a simplex-valued prox to the rows of ``z``, giving rows with :math:`\pm\infty` entries their limit.

    A row whose maximum is :math:`+\infty`: uniform over its :math:`+\infty` entries (the limit as
    they tend to :math:`+\infty` together, for every step).  A row with :math:`-\infty` entries and a
    finite maximum: those entries are 0 and the others are the prox of the finite sub-vector on
    the smaller simplex (the limit as they tend to :math:`-\infty`: every :math:`\Psi` here is 0 on
    a coordinate at 0, so the problem restricts to the face).  ``drop_value(zmax)`` (optional) is a
    finite value below which an entry's output is exactly 0 (sparsemax, entmax): then the
    :math:`-\infty` entries are replaced by it and the rows go through ``prox_finite`` together;
    otherwise (softmax, whose outputs are never exactly 0) each such row is computed on its
    sub-vector.  A row of :math:`-\infty` only is uniform; a row with a NaN is NaN.
    """
    finite = np.isfinite(z)
    rows_ok = np.all(finite, axis=-1)
    if np.all(rows_ok):
        return prox_finite(z)
    flat = z.reshape(-1, z.shape[-1])
    ok = rows_ok.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    if np.any(ok):
        out[ok] = prox_finite(flat[ok])
    n = flat.shape[-1]
    for i in np.flatnonzero(~ok):
        row = flat[i]
        if np.any(np.isnan(row)):
            out[i] = np.nan
            continue
        top = np.max(row)
        if top == np.inf:
            sel = row == np.inf
            out[i] = sel / np.count_nonzero(sel)
        elif top == -np.inf:
            out[i] = 1.0 / n
        else:
            keep = row > -np.inf
            out[i] = 0.0
            if drop_value is not None:
                out[i] = prox_finite(np.where(keep, row, drop_value(top))[None])[0]
                out[i][~keep] = 0.0
            else:
                out[i][keep] = prox_finite(row[keep][None])[0]
    return out.reshape(z.shape).astype(z.dtype)


def _as_vectors(z) -> np.ndarray:
    """``z`` as a floating array of vectors (the last axis, of length >= 1: a point of the simplex needs one)."""
    z = as_float_array(z)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"z must have at least one entry on its last axis (the vector axis); got shape {z.shape}")
    return z


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

    Non-finite :math:`z` (every step): a row whose maximum is :math:`+\infty` maps to the uniform
    distribution on its :math:`+\infty` entries (a vertex of :math:`\Delta` when there is one), the
    limit of :math:`\operatorname{prox}_{t\Psi}(z)` as those entries grow; :math:`-\infty` entries map
    to 0 (see :func:`softmax`), as :math:`\sigma(\pm\infty)` is the limit for the scalar
    activations too (``tanh`` gives :math:`\pm1`, ``relu`` :math:`+\infty` and 0).  Membership of
    :math:`\operatorname{dom}\Psi = \Delta` (``psi``, ``in_domain``, the Bregman loss) is decided
    to the rounding tolerance of :func:`simplex_tolerance`.

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
        z = _as_vectors(z)
        t = check_step(step)
        if t == 1.0:
            return softmax(z, self.temperature)
        if t > 1.0:
            return _prox_nonfinite_rows(z, lambda v: prox_step_by_newton(self, v, t))
        return _prox_nonfinite_rows(z, lambda v: self._prox_small_step(v, t))

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

    def _bregman(self, x, z):
        r""":math:`B(x, z) = T\sum_j s_j h\bigl(\tfrac{x_j - s_j}{s_j}\bigr) + (1 - \textstyle\sum_j x_j)(\Phi^*(z) - T)`, :math:`s = \sigma(z)`.

        Eq. (12) is :math:`T\sum_j x_j\log x_j + \Phi^*(z) - \langle x, z\rangle
        = T\,\mathrm{KL}(x\,\|\,s) + (1 - \sum_j x_j)\Phi^*(z)` (:math:`\log s_j = z_j/T - \Phi^*(z)/T`),
        and :math:`\mathrm{KL} = \sum_j (x_j\log\frac{x_j}{s_j} - x_j + s_j) + \sum_j x_j - 1`
        with :math:`x\log\frac xs - x + s = s\,h(r)`, :math:`h(r) = (1+r)\log(1+r) - r \ge 0`
        (:func:`~bregnet.activations._elementary.xlog1p_rem3` plus :math:`r^2/2`): non-negative terms
        near the graph (:math:`|r| < \tfrac12`), where eq. (12) cancels; elsewhere the term is
        :math:`x_j(\log x_j - \log s_j) - x_j + s_j` with the log-softmax :math:`\log s_j` (no cancellation there).
        :math:`1 - \sum_j x_j` is summed with compensation and taken as 0 where it is at most
        :math:`4\varepsilon` (the rounding of a sum of a point of the simplex); float32 inputs keep the
        expanded form (the kernels' twin).
        """
        from ._elementary import xlog1p_rem3

        if np.result_type(x, z) == np.float32:
            # float32 keeps the expanded form (Theorem 10, item 4) that the Numba kernel twins
            from ..bregman import bregman_loss_expanded_form
            return bregman_loss_expanded_form(self, x, z)
        xd, zd = np.asarray(x, dtype=np.float64), np.asarray(z, dtype=np.float64)
        T = self.temperature
        w = zd / T
        m = np.max(w, axis=-1, keepdims=True)
        lse = np.log(np.sum(np.exp(w - m), axis=-1, keepdims=True))
        ls = (w - m) - lse
        sj = np.exp(ls)
        xc = np.maximum(xd, 0.0)
        ok = sj >= 1e-300
        r = np.where(ok, (xc - sj) / np.where(ok, sj, 1.0), 0.0)
        ok = ok & (np.abs(r) < 0.5)
        rc = np.where(ok, r, 0.0)
        near = sj * (0.5 * rc * rc + xlog1p_rem3(rc))
        far = xlogy(xc, xc) - xc * ls - xc + sj
        kl = np.sum(np.where(ok, near, far), axis=-1)
        phi_star = T * (m[..., 0] + lse[..., 0])
        acc, comp = np.ones(xd.shape[:-1]), np.zeros(xd.shape[:-1])
        for j in range(xd.shape[-1]):          # 1 - sum x with Neumaier's compensation
            v = -xd[..., j]
            t = acc + v
            comp = comp + np.where(np.abs(acc) >= np.abs(v), (acc - t) + v, (v - t) + acc)
            acc = t
        off = acc + comp
        # |1 - sum x| <= 4 eps: x is on the simplex up to the rounding of its sum; the term (below 4 eps |Phi*|,
        # inside the condition of B) is dropped there, as the expanded form and the Numba kernels do
        off = np.where(np.abs(off) > 4 * np.finfo(np.float64).eps, off, 0.0)
        return T * kl + off * (phi_star - T)

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


# --------------------------------------------------------------------------- sparsemax
def _sorted_desc(w: np.ndarray) -> np.ndarray:
    """``w`` sorted in decreasing order along the last axis."""
    return -np.sort(-w, axis=-1)


def sparsemax_threshold(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Euclidean projection onto the simplex by sorting, and its threshold.

    Returns ``(p, tau)`` with :math:`p = (z' - \tau)_+`, :math:`z' = z - \max_j z_j` (the projection
    is invariant under adding a constant to every entry, so shifting by the maximum costs nothing
    and keeps the arithmetic at the scale of the gaps), and :math:`\tau` (relative to ``z'``) the
    unique number with :math:`\sum_j (z'_j-\tau)_+ = 1`.  With :math:`z'_{(1)}\ge z'_{(2)}\ge\dots`
    sorted, :math:`k^* = \max\{k : 1 + k z'_{(k)} > \sum_{i\le k} z'_{(i)}\}` and
    :math:`\tau = (\sum_{i\le k^*} z'_{(i)} - 1)/k^*` (Held, Wolfe & Crowder 1974; Martins &
    Astudillo 2016).  Computed in float64.
    """
    zz = np.asarray(z, dtype=np.float64)
    zs = zz - np.max(zz, axis=-1, keepdims=True)
    srt = _sorted_desc(zs)
    n = zs.shape[-1]
    k = np.arange(1, n + 1, dtype=np.float64)
    cs = np.cumsum(srt, axis=-1)
    support = 1.0 + k * srt > cs
    # the support condition holds exactly on a prefix 1..k*; k = 1 always satisfies it
    kstar = n - np.argmax(support[..., ::-1], axis=-1)
    csk = np.take_along_axis(cs, (kstar - 1)[..., None], axis=-1)
    tau = (csk - 1.0) / kstar[..., None]
    p = np.maximum(zs - tau, 0.0)
    return p, tau[..., 0]


@register("sparsemax")
@dataclass(frozen=True, repr=False)
class Sparsemax(Activation):
    r"""Sparsemax (Martins & Astudillo 2016): the Euclidean projection onto the simplex.

    .. math::  \sigma(z) = \arg\min_{u\in\Delta}\tfrac12\|u - z\|^2 = (z - \tau(z))_+ ,\qquad
               \Psi = \chi_\Delta \quad (9)

    with :math:`\tau(z)` the threshold making :math:`\sum_j\sigma(z)_j = 1` (found by sorting,
    :func:`sparsemax_threshold`).  Since :math:`t\chi_\Delta = \chi_\Delta`,
    :math:`\operatorname{prox}_{t\Psi} = \sigma` for every :math:`t > 0`.  Conjugates:

    .. math::  \Phi^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2,\ p = \sigma(z) \qquad
               \Psi^*(y) = \sup_{u\in\Delta}\langle u, y\rangle = \max_j y_j .

    Jacobian (on the open set where no entry sits exactly at the threshold):
    :math:`J = \operatorname{diag}(m) - m m^\top/|S|`, :math:`m = \mathbf 1_S`,
    :math:`S = \{j : \sigma(z)_j > 0\}`: the orthogonal projection onto
    :math:`\{v : \operatorname{supp} v\subseteq S, \sum_j v_j = 0\}`, symmetric with eigenvalues in
    :math:`\{0, 1\}`.  Convention where :math:`z_j = \tau(z)` for some :math:`j` (:math:`\sigma`
    is not differentiable there): such :math:`j` are left out of :math:`S` (the one-sided limit from
    the side where the entry is inactive), which is an element of the Clarke Jacobian.

    Non-finite :math:`z`: the limits, as for softmax (uniform on the :math:`+\infty` entries of a
    row whose maximum is :math:`+\infty`, 0 on :math:`-\infty` entries).  Membership of
    :math:`\Delta` is decided to the tolerance of :func:`simplex_tolerance`.

    Temperature :math:`T \ge 1`: :math:`\sigma(z) = \operatorname{sparsemax}(z/T)
    = \arg\min_{p\in\Delta}\tfrac T2\|p\|^2 - \langle p, z\rangle`, the prox of
    :math:`\Psi = \tfrac{T-1}2\|p\|^2 + \chi_\Delta`;
    :math:`\operatorname{prox}_{t\Psi}(z) = \operatorname{sparsemax}(z/(1 + t(T-1)))`,
    :math:`\Phi^*(z) = T\,\Phi_1^*(z/T)` and :math:`\Psi^*(y) = c\,\Phi_1^*(y/c)`, :math:`c = T - 1 > 0`,
    with :math:`\Phi_1^*` the conjugate above; the Jacobian is divided by :math:`T`.  For :math:`T < 1`
    :math:`\Psi` is not convex and :math:`\sigma` has the Lipschitz constant :math:`1/T > 1`.

    Parameters
    ----------
    temperature : float, default 1.0
        :math:`T \ge 1` (convexity of :math:`\Psi`).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("sparsemax")
    >>> act.prox([[1.0, 0.5, -1.0]]).tolist()
    [[0.75, 0.25, 0.0]]
    >>> act.prox([[3.0, 0.0]]).tolist()
    [[1.0, 0.0]]
    >>> float(act.psi_conjugate([[0.2, 1.5, -3.0]])[0])
    1.5
    >>> get("sparsemax", temperature=2.0).prox([[1.0, 0.5, -1.0]]).tolist()
    [[0.625, 0.375, 0.0]]
    """

    temperature: float = 1.0
    has_psi_conjugate = True
    formula = "Psi = (T-1)/2 |p|^2 + indicator of the simplex"
    family = "simplex"

    def __post_init__(self):
        T = check_real("temperature", self.temperature)
        if T < 1.0:
            raise ValueError(f"temperature must be >= 1 for Psi = (T-1)/2 |p|^2 + indicator of the simplex to be "
                             f"convex (sparsemax(z/T) has the Lipschitz constant 1/T); got {self.temperature!r}")
        object.__setattr__(self, "temperature", T)

    def psi(self, x):
        x = as_float_array(x, "x")
        xc = np.clip(x, 0, 1)
        val = (0.5 * (self.temperature - 1.0)) * np.sum(xc * xc, axis=-1)
        return np.where(on_simplex(x), val, np.inf).astype(x.dtype)

    def prox(self, z, step: float = 1.0):
        z = _as_vectors(z)
        t = check_step(step)
        c = 1.0 + t * (self.temperature - 1.0)
        # an entry at or below max - c gets 0, so -inf entries may stand in as max - 2c
        return _prox_nonfinite_rows(z, lambda v: sparsemax_threshold(v / c)[0].astype(v.dtype),
                                    drop_value=lambda top: top - 2.0 * c)

    def conjugate(self, z):
        z = as_float_array(z)
        T = self.temperature
        return (T * _sparsemax_phi_star(z.astype(np.float64) / T)).astype(z.dtype)

    def psi_conjugate(self, y):
        y = as_float_array(y, "y")
        c = self.temperature - 1.0
        if c == 0.0:
            return np.max(y, axis=-1)
        return (c * _sparsemax_phi_star(y.astype(np.float64) / c)).astype(y.dtype)

    def _support(self, z):
        p, _ = sparsemax_threshold(z / self.temperature)
        m = (p > 0).astype(np.float64)
        return m, np.sum(m, axis=-1, keepdims=True)

    def vjp(self, z, v):
        r""":math:`J^\top v = (m\odot v - m\,\langle m, v\rangle/|S|)/T`, :math:`m = \mathbf 1_{\{\sigma(z) > 0\}}`."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        m, k = self._support(z)
        out = (m * v - m * np.sum(m * v, axis=-1, keepdims=True) / k) / self.temperature
        return out.astype(np.result_type(z.dtype, v.dtype))

    def jacobian(self, z):
        z = as_float_array(z)
        m, k = self._support(z)
        n = z.shape[-1]
        J = m[..., :, None] * np.eye(n) - m[..., :, None] * m[..., None, :] / k[..., None]
        return (J / self.temperature).astype(z.dtype)


def _sparsemax_phi_star(zz: np.ndarray) -> np.ndarray:
    r""":math:`\Phi_1^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2`, :math:`p = \operatorname{sparsemax}(z)`, per row (float64)."""
    zmax = np.max(zz, axis=-1)
    p, _ = sparsemax_threshold(zz)
    zs = zz - zmax[..., None]
    return zmax + np.sum(p * (zs - 0.5 * p), axis=-1)


# --------------------------------------------------------------------------- 1.5-entmax
def entmax15_threshold(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact 1.5-entmax by sorting (Peters, Niculae & Martins 2019, Algorithm 2).

    With :math:`w = (z - \max_j z_j)/2` sorted decreasingly, for each :math:`k` the smaller root of
    :math:`\sum_{i\le k}(w_{(i)}-\tau)^2 = 1` is
    :math:`\tau_k = \bar w_k - \sqrt{1/k - (\overline{w^2}_k - \bar w_k^2)}` (means over the top
    :math:`k`); the support size is the largest :math:`k` with a real root and
    :math:`\tau_k \le w_{(k)}` (these :math:`k` form a prefix because
    :math:`\tau\mapsto\sum_j(w_j-\tau)_+^2` is strictly decreasing).  Returns ``(s, tau)`` with
    :math:`s = (w - \tau)_+`, so that the output is :math:`p = s^2`.  Computed in float64.
    """
    zz = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):         # z - max z below -1.8e308: -inf, far outside the support
        w = 0.5 * (zz - np.max(zz, axis=-1, keepdims=True))
    # tau >= max w - 1 = -1 (the largest entry alone has (0 - tau)^2 <= 1), so an entry below -1 is never
    # in the support and every tau_k whose top k include it has tau_k > -2 > w_(k) (not chosen): entries
    # clamped at -2 give the same support and tau, and their squares cannot overflow (|z| = 1e300)
    srt = _sorted_desc(np.maximum(w, -2.0))
    n = w.shape[-1]
    k = np.arange(1, n + 1, dtype=np.float64)
    mean = np.cumsum(srt, axis=-1) / k
    meansq = np.cumsum(srt * srt, axis=-1) / k
    delta = 1.0 / k - (meansq - mean * mean)
    tau_k = mean - np.sqrt(np.maximum(delta, 0.0))
    ok = (delta >= 0) & (tau_k <= srt)
    kstar = n - np.argmax(ok[..., ::-1], axis=-1)
    tau = np.take_along_axis(tau_k, (kstar - 1)[..., None], axis=-1)
    s = np.maximum(w - tau, 0.0)
    return s, tau[..., 0]


@register("entmax15")
@dataclass(frozen=True, repr=False)
class Entmax15(Activation):
    r"""1.5-entmax (Peters, Niculae & Martins 2019) as a proximal map.

    1.5-entmax is :math:`\arg\max_{p\in\Delta}\langle p, z\rangle + H^T_{3/2}(p)` with the Tsallis
    entropy :math:`H^T_{3/2}(p) = \tfrac43\sum_j(p_j - p_j^{3/2})`.  Since
    :math:`\tfrac12\|p-z\|^2 = \tfrac12\|p\|^2 - \langle p, z\rangle + \tfrac12\|z\|^2`, it is the
    proximal map (9) of

    .. math::  \Psi(p) = \tfrac43\sum_j\bigl(p_j^{3/2} - p_j\bigr) - \tfrac12\|p\|^2 + \chi_\Delta(p),

    which is convex: each term :math:`f(p) = \tfrac43(p^{3/2}-p) - \tfrac12p^2` has
    :math:`f''(p) = p^{-1/2} - 1 \ge 0` on :math:`(0, 1]\supseteq` the coordinates of
    :math:`\Delta`.  The KKT conditions give :math:`\sigma(z)_j = (z_j/2 - \tau)_+^2` with
    :math:`\tau` such that the entries sum to one (computed exactly by sorting,
    :func:`entmax15_threshold`).  With :math:`s = (z/2-\tau)_+`,

    .. math::  \Phi^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2 - \Psi(p)
               = \tfrac23\sum_j s_j^3 + 2\tau + \tfrac43 ,

    by the graph identity (11) and :math:`\langle p, z\rangle = 2\sum_j s_j^3 + 2\tau`.
    :math:`\Psi^*` has no closed form.

    :math:`\operatorname{prox}_{t\Psi}(z)` for :math:`t\ne1`: with a multiplier :math:`\nu` for
    :math:`\sum_j p_j = 1` and the (redundant) bounds :math:`0\le p_j\le1`, on which every term is
    convex even for :math:`t > 1`, each entry solves
    :math:`(1-t)p_j + 2t\sqrt{p_j} = c_j := z_j - \nu`, i.e.
    :math:`\sqrt{p_j} = c_j/(t + \sqrt{t^2 + (1-t)c_j})` for :math:`c_j\in[0, 1+t]` (0 below,
    1 above); :math:`\nu` is found by safeguarded Newton on the nondecreasing
    :math:`\nu\mapsto\sum_j p_j`.

    Jacobian: :math:`J = \operatorname{diag}(s) - s s^\top/\sum_j s_j`, symmetric with eigenvalues
    in :math:`[0, \max_j s_j]\subseteq[0,1]`.  :math:`\sigma` is continuously differentiable
    everywhere (the entries at the threshold have :math:`s_j = 0`), so no convention is needed.

    Non-finite :math:`z`: the limits, as for softmax.  Membership of :math:`\Delta` is decided to
    the tolerance of :func:`simplex_tolerance`.

    Temperature :math:`T \ge 1`: :math:`\sigma(z) = \operatorname{entmax}_{3/2}(z/T)`, the prox of
    :math:`\Psi(p) = \tfrac{4T}3\sum_j(p_j^{3/2} - p_j) - \tfrac12\|p\|^2 + \chi_\Delta(p)` (convex:
    :math:`f''(p) = Tp^{-1/2} - 1 \ge 0` on :math:`(0, 1]`); :math:`\Phi^*(z) = T\,\Phi_1^*(z/T)`,
    the Jacobian is that of :math:`z/T` divided by :math:`T`, and :math:`\operatorname{prox}_{t\Psi}`
    solves :math:`(1-t)p_j + 2tT\sqrt{p_j} = c_j`,
    :math:`\sqrt{p_j} = c_j/(tT + \sqrt{t^2T^2 + (1-t)c_j})` for :math:`c_j\in[0, 1 + t(2T-1)]`.
    For :math:`T < 1` :math:`\Psi` is not convex (the Jacobian exceeds 1 for large :math:`n`,
    see :mod:`bregnet.activations.entmax`).

    Parameters
    ----------
    temperature : float, default 1.0
        :math:`T \ge 1` (convexity of :math:`\Psi` in every dimension).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("entmax15")
    >>> act.prox([[1.0, 1.0, -3.0]]).tolist()
    [[0.5, 0.5, 0.0]]
    >>> act.prox([[3.0, 0.0]]).tolist()
    [[1.0, 0.0]]
    >>> bool(np.isclose(act.conjugate([[1.0, 1.0, -3.0]])[0], 1.0 + 2 / 3 * 2 ** -0.5 - 2 ** 0.5 + 4 / 3))
    True
    >>> get("entmax15", temperature=2.0).prox([[4.0, 0.0]]).tolist()
    [[1.0, 0.0]]
    """

    temperature: float = 1.0
    formula = "Psi(p) = 4T/3 sum(p^1.5 - p) - |p|^2/2 on the simplex"
    family = "simplex"

    def __post_init__(self):
        T = check_real("temperature", self.temperature)
        if T < 1.0:
            raise ValueError(f"temperature must be >= 1 for Psi to be convex on the simplex in every dimension "
                             f"(for T < 1 the Jacobian of entmax15(z/T) exceeds 1 in high dimension); "
                             f"got {self.temperature!r}")
        object.__setattr__(self, "temperature", T)

    def psi(self, x):
        x = as_float_array(x, "x")
        xc = np.clip(x, 0, 1)
        val = np.sum((self.temperature * (4.0 / 3.0)) * (xc * np.sqrt(xc) - xc) - 0.5 * xc * xc, axis=-1)
        return np.where(on_simplex(x), val, np.inf).astype(x.dtype)

    def prox(self, z, step: float = 1.0):
        z = _as_vectors(z)
        t = check_step(step)
        T = self.temperature
        if t == 1.0:
            def finite(v):
                s, _ = entmax15_threshold(v / T)
                return (s * s).astype(v.dtype)
        else:
            def finite(v):
                return self._prox_step(v, t).astype(v.dtype)
        # an entry at or below max - 2T (max - (1 + t(2T - 1)) for t != 1) gets 0, so -inf may stand in below that
        return _prox_nonfinite_rows(z, finite, drop_value=lambda top: top - 2.0 * (2.0 + t * (2.0 * T - 1.0)))

    def _prox_step(self, z, t):
        zz = z.astype(np.float64)
        zs = zz - np.max(zz, axis=-1, keepdims=True)
        n = zs.shape[-1]
        tT = t * self.temperature
        top = 1.0 + t * (2.0 * self.temperature - 1.0)       # c at p = 1

        def root(c):  # sqrt(p) as a function of c = z_j - nu, for c in [0, top]
            c = np.clip(c, 0.0, top)
            return c / (tT + np.sqrt(tT * tT + (1.0 - t) * c))

        def total(mu):
            r = root(zs + mu[..., None])
            return np.sum(r * r, axis=-1)

        def dtotal(mu):
            c = zs + mu[..., None]
            r = root(c)
            inside = (c > 0) & (c < top)
            return np.sum(np.where(inside, r / ((1.0 - t) * r + tT), 0.0), axis=-1)

        shape = zs.shape[:-1]
        # mu = -nu (relative to max z): at mu = top the largest entry is 1, at mu = c0 all are <= 1/n
        lo = np.full(shape, (1.0 - t) / n + 2.0 * tT / np.sqrt(n))
        hi = np.full(shape, top)
        mu = solve_monotone(total, dtotal, np.ones(shape), lo, hi)
        r = root(zs + np.asarray(mu)[..., None])
        p = r * r
        return p / np.sum(p, axis=-1, keepdims=True)

    def conjugate(self, z):
        z = as_float_array(z)
        T = self.temperature
        w = z.astype(np.float64) / T
        zmax = np.max(w, axis=-1)
        s, tau = entmax15_threshold(w)
        return (T * (zmax + (2.0 / 3.0) * np.sum(s * s * s, axis=-1) + 2.0 * tau + 4.0 / 3.0)).astype(z.dtype)

    def vjp(self, z, v):
        r""":math:`J^\top v = (s\odot v - s\,\langle s, v\rangle/\sum_j s_j)/T`, :math:`s = \sqrt{\sigma(z)}`."""
        z = as_float_array(z)
        v = as_float_array(v, "v")
        s, _ = entmax15_threshold(z / self.temperature)
        out = (s * v - s * np.sum(s * v, axis=-1, keepdims=True) / np.sum(s, axis=-1, keepdims=True)) / self.temperature
        return out.astype(np.result_type(z.dtype, v.dtype))

    def jacobian(self, z):
        z = as_float_array(z)
        s, _ = entmax15_threshold(z / self.temperature)
        n = z.shape[-1]
        J = s[..., :, None] * np.eye(n) - s[..., :, None] * s[..., None, :] / np.sum(s, axis=-1)[..., None, None]
        return (J / self.temperature).astype(z.dtype)
