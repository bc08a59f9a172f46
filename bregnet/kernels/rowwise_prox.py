r"""Numba row kernels of the row-wise activations for Algorithm 1 (Section 3, Definition 1, eq. (9); the x-update (17b)).

The x-update (17b) of a hidden layer needs :math:`\operatorname{prox}_{t\Psi}(v)` with
:math:`t = t_x\lambda_j/(1 + t_x\lambda_j) < 1` (:func:`bregnet.lifted.prox_layer`), and every layer's residual
:math:`\sigma(Z) - X` (Lemma 8) needs :math:`\sigma = \operatorname{prox}_\Psi` (eq. (9)).  For the activations
whose :math:`\Psi` couples the entries of a sample, both act on one row (one sample) at a time.  This module
compiles them row by row, each the twin of its class's NumPy methods (same algorithm, same brackets, same
stopping rule of :func:`bregnet.activations.base.solve_monotone`, run row by row instead of over all rows at
once, so a root may differ by the rounding of its stopping tolerance, a few ulps):

* softmax with temperature :math:`T` (code 20, :class:`~bregnet.activations.simplex.Softmax`),
  :math:`\Psi(u) = \sum_j(Tu_j\log u_j - \tfrac12u_j^2) + \chi_\Delta(u)`:
  :math:`\sigma(z) = \operatorname{softmax}(z/T)`;
  for :math:`t < 1`, :math:`u_j = a\,\omega(c_j/(tT) - \log a)`, :math:`a = tT/(1-t)`,
  :math:`c_j = z_j + \mu - tT` (:math:`\omega` the Wright omega function, :func:`wright_omega`), with the
  multiplier :math:`\mu` of :math:`\sum_j u_j = 1` by safeguarded Newton;
* sparsemax (code 30), :math:`\Psi = \tfrac{T-1}2\|p\|^2 + \chi_\Delta`:
  :math:`\operatorname{prox}_{t\Psi}(v) = \operatorname{sparsemax}(v/(1 + t(T-1)))` by the sort-based threshold;
* 1.5-entmax (code 31), :math:`\Psi = \tfrac{4T}3\sum_j(p_j^{3/2} - p_j) - \tfrac12\|p\|^2 + \chi_\Delta`:
  :math:`\sigma(z) = \operatorname{entmax}_{3/2}(z/T)` by the exact sort-based threshold; for :math:`t\ne1`
  :math:`\sqrt{p_j} = c_j/(tT + \sqrt{t^2T^2 + (1-t)c_j})`, :math:`c_j = z_j - \max_k z_k + \mu`, :math:`\mu` by
  safeguarded Newton;
* :math:`\alpha`-entmax (code 32, :class:`~bregnet.activations.entmax.Entmax`):
  :math:`\sigma(z)_j = \exp_\alpha(w_j + m)`, :math:`w = (z - \max z)/T`, :math:`m` by safeguarded Newton; for
  :math:`t\ne1` each entry solves :math:`tT L(p_j) + (1-t)p_j = c_j` (inner safeguarded Newton) and :math:`m` the
  outer equation :math:`\sum_j p_j = 1`;
* the capsule squash (code 33, :class:`~bregnet.activations.radial.Squash`), radial with the profile
  :math:`\rho(r) = r^2/(1+r^2)`: :math:`\operatorname{prox}_{t\Psi}(z) = \rho(u^*)z/\|z\|` with
  :math:`tu^* + (1-t)\rho(u^*) = \|z\|` (:func:`~bregnet.activations.base.prox_step_from_sigma`);
* block soft-thresholding (code 34), :math:`\Psi = \alpha\|x\|_2`:
  :math:`\operatorname{prox}_{t\Psi}(z) = (1 - t\alpha/\|z\|)_+ z`.

Rows are assumed finite (the kernels of :mod:`bregnet.kernels.lifted` stop at the first non-finite parameter);
the classes' limits for :math:`\pm\infty` entries are not reproduced.  The work is done in float64 (as the
classes do), rounded to the row's dtype where the class rounds (the scaling :math:`v/c` of sparsemax and
1.5-entmax, softmax's :math:`z/T`, block soft-thresholding's threshold).  Softmax's prox is compiled for
:math:`t \le 1` only (the class uses a Newton method on the potential for :math:`t > 1`; the x-update never
needs it); the others for every :math:`t > 0`.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["SOFTMAX", "SPARSEMAX", "ENTMAX15", "ENTMAX", "SQUASH", "BLOCK_SOFT", "ROW_CODES", "wright_omega",
           "sigma_row", "prox_row", "sigma_rows_into", "prox_rows_into"]

#: kernel codes (those of :data:`bregnet.kernels.lifted.LIFTED_CODES`; 21, 22 are smooth_prox's)
SOFTMAX, SPARSEMAX, ENTMAX15, ENTMAX, SQUASH, BLOCK_SOFT = 20, 30, 31, 32, 33, 34
ROW_CODES = (SOFTMAX, SPARSEMAX, ENTMAX15, ENTMAX, SQUASH, BLOCK_SOFT)
#: rows of float64 scratch the kernels need (``work`` of shape ``(_WORK_ROWS, n)``)
_WORK_ROWS = 3

_EPS = 2.220446049250313e-16
_RTOL = 4 * _EPS                        # solve_monotone's default for float64
_TINY = 2.2250738585072014e-308         # np.finfo(np.float64).tiny
_MAX_IT = 200                           # solve_monotone's max_iter


# ----------------------------------------------------------------------------- scalar helpers
@njit(cache=True, inline="always")
def _monotone_step(u, r, d, lo, hi):
    r"""One step of :func:`~bregnet.activations.base.solve_monotone` for one unknown: ``(u, lo, hi, done)``.

    The bracket shrinks to the side of the sign of :math:`r = g(u) - \text{target}`; the Newton step
    :math:`u - r/d` is taken if it is finite and inside the bracket (and :math:`d > 0`), else the midpoint;
    done when the step or the bracket is below :math:`4\varepsilon\max(|lo|, |hi|, 1)`, or :math:`r = 0`.
    """
    if r < 0:
        lo = u
    if r > 0:
        hi = u
    ok = False
    newton = 0.0
    if d > 0:
        newton = u - r / d
        ok = np.isfinite(newton) and newton > lo and newton < hi
    u_new = newton if ok else 0.5 * (lo + hi)
    if r == 0:
        u_new = u
    scale = max(max(abs(lo), abs(hi)), 1.0)
    done = abs(u_new - u) <= _RTOL * scale or hi - lo <= _RTOL * scale or r == 0
    return u_new, lo, hi, done


@njit(cache=True)
def wright_omega(x):
    r"""The Wright omega function :math:`\omega(x)`, the real root of :math:`\omega + \log\omega = x` (real :math:`x`).

    Twin: ``scipy.special.wrightomega(x).real``.  Start values of Lawrence, Corless & Jeffrey (2012):
    :math:`e^x` for :math:`x \le -2`, the series at :math:`x = 1` on :math:`(-2, 1]`,
    :math:`x - \log x + \log x/x` above; then Fritsch's iteration
    :math:`w \leftarrow w(1 + \varepsilon)`, :math:`\varepsilon = \frac{r}{1+w}\frac{q - r}{q - 2r}`,
    :math:`q = 2(1+w)(1 + w + \tfrac23 r)`, :math:`r = x - w - \log w` (fourth order), until
    :math:`|\varepsilon| \le \varepsilon_{64}`.  For :math:`x \le -2` (where :math:`x - \log w` cancels) Newton on
    :math:`w = e^{x - w}` instead (:func:`_wright_omega_small`).

    >>> round(wright_omega(1.0), 15), wright_omega(-800.0)
    (1.0, 0.0)
    """
    if x <= -2.0:
        return _wright_omega_small(x)
    if x <= 1.0:
        y = x - 1.0
        w = 1.0 + y * (0.5 + y * (1.0 / 16.0 + y * (-1.0 / 192.0 + y * (-1.0 / 3072.0 + y * (13.0 / 61440.0)))))
    else:
        lx = math.log(x)
        w = x - lx + lx / x
    for _ in range(4):
        r = x - w - math.log(w)
        wp = 1.0 + w
        q = 2.0 * wp * (wp + (2.0 / 3.0) * r)
        e = r / wp * (q - r) / (q - 2.0 * r)
        w = w * (1.0 + e)
        if abs(e) <= _EPS:
            break
    return w


@njit(cache=True)
def _wright_omega_small(x):
    r""":math:`\omega(x)`, :math:`x \le -2` (:math:`\omega < 0.12`): Newton on :math:`w - e^{x-w} = 0` from :math:`e^x`.

    The step in the cancellation-free form :math:`w \leftarrow E(1 + w)/(1 + E)`, :math:`E = e^xe^{-w}`,
    until the relative change is at most :math:`\varepsilon_{64}`; 0 where :math:`e^x` underflows to 0.
    """
    ex = math.exp(x)
    if ex == 0.0:
        return 0.0
    w = ex
    for _ in range(8):
        e = ex * math.exp(-w)           # not exp(x - w): x - w would round w away (|x| >> w)
        new = e * (1.0 + w) / (1.0 + e)
        if abs(new - w) <= _EPS * new:
            return new
        w = new
    return w


@njit(cache=True, inline="always")
def _exp_alpha(x, a):
    r""":math:`\exp_\alpha(x) = [1 + ax]_+^{1/a}`, :math:`a = \alpha - 1`, as :math:`\exp(\operatorname{log1p}(ax)/a)` (twin: ``entmax.exp_alpha``)."""
    base = a * x
    if base > -1.0:
        return math.exp(math.log1p(base) / a)
    return 0.0


@njit(cache=True, inline="always")
def _clip(v, lo, hi):
    return min(max(v, lo), hi)          # np.clip


@njit(cache=True)
def _shift_max(z, scale, w):
    r"""``w = float64(z / scale) - max``, the division in the row's dtype (as the classes' ``v / c``); returns the max."""
    s = z.dtype.type(scale)
    m = -np.inf
    for j in range(z.shape[0]):
        v = np.float64(z[j] / s)
        w[j] = v
        if v > m:
            m = v
    for j in range(z.shape[0]):
        w[j] = w[j] - m
    return m


@njit(cache=True)
def _normalise_into(p, out):
    # out = p / sum(p), rounded to out's dtype
    total = 0.0
    for j in range(p.shape[0]):
        total += p[j]
    for j in range(p.shape[0]):
        out[j] = p[j] / total


# ----------------------------------------------------------------------------- softmax
@njit(cache=True)
def softmax_sigma_row(z, T, out, work):
    r""":math:`\sigma(z) = \operatorname{softmax}(z/T)` of one row, :math:`e^{w_j - \max w}/\sum_k e^{w_k - \max w}`, :math:`w = z/T`.

    The arithmetic of :func:`bregnet.kernels.activations._softmax_row` (the output layer's residual in
    :mod:`bregnet.kernels.lifted`): :math:`w` rounded in the row's dtype, exponentials and sum in float64.
    Twin: :func:`bregnet.activations.simplex.softmax`.
    """
    Tt = z.dtype.type(T)
    n = z.shape[0]
    m = z[0] / Tt
    for j in range(1, n):
        v = z[j] / Tt
        if v > m:
            m = v
    e = work[0]
    total = 0.0
    for j in range(n):
        ej = math.exp(z[j] / Tt - m)
        e[j] = ej
        total += ej
    for j in range(n):
        out[j] = e[j] / total


@njit(cache=True)
def _softmax_sums(zz, mu, t, T, a, la, u):
    # u_j = a omega(c_j/(tT) - log a), c_j = z_j + mu - tT; returns (sum u, sum u/((1-t)u + tT))
    tT = t * T
    s = 0.0
    ds = 0.0
    for j in range(zz.shape[0]):
        c = zz[j] + mu - tT
        uj = a * wright_omega(c / tT - la)
        u[j] = uj
        s += uj
        ds += uj / ((1.0 - t) * uj + tT)
    return s, ds


@njit(cache=True)
def softmax_prox_row(z, T, t, out, work):
    r""":math:`\operatorname{prox}_{t\Psi}(z)`, :math:`t < 1`, of softmax's :math:`\Psi` (twin: ``Softmax._prox_small_step``).

    :math:`(1-t)u_j + tT\log u_j = z_j + \mu - tT` gives :math:`u_j = a\,\omega(c_j/(tT) - \log a)`,
    :math:`a = tT/(1-t)`; :math:`\mu` solves :math:`\sum_j u_j(\mu) = 1` (nondecreasing, slope
    :math:`\sum_j u_j/((1-t)u_j + tT)`) by safeguarded Newton in the class's bracket
    :math:`[-(z_{\max} - tT - (1-t)/n + tT\log n),\ -(z_{\max} - tT - (1-t))]` (widened by
    :math:`10^{-12}(1 + |z_{\max}|)`); the result is normalised to sum 1.
    """
    n = z.shape[0]
    zz, u = work[0], work[1]
    zmax = -np.inf
    for j in range(n):
        zz[j] = np.float64(z[j])
        zmax = max(zmax, zz[j])
    tT = t * T
    a = tT / (1.0 - t)
    la = math.log(a)
    pad = 1e-12 * (1 + abs(zmax))
    lo = -(zmax - tT - (1.0 - t) / n + tT * math.log(n)) - pad
    hi = -(zmax - tT - (1.0 - t)) + pad
    mu = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        s, ds = _softmax_sums(zz, mu, t, T, a, la, u)
        mu, lo, hi, done = _monotone_step(mu, s - 1.0, ds, lo, hi)
        if done:
            break
    _softmax_sums(zz, mu, t, T, a, la, u)
    _normalise_into(u, out)


# ----------------------------------------------------------------------------- sparsemax
@njit(cache=True)
def sparsemax_row(z, c, out, work):
    r""":math:`\operatorname{sparsemax}(z/c) = (z' - \tau)_+`, :math:`z' = z/c - \max_j z_j/c` (twin: ``simplex.sparsemax_threshold``).

    With :math:`z'_{(1)} \ge z'_{(2)} \ge \dots` sorted, :math:`\tau = (\sum_{i\le k^*}z'_{(i)} - 1)/k^*`,
    :math:`k^*` the largest :math:`k` with :math:`1 + kz'_{(k)} > \sum_{i\le k}z'_{(i)}`.  ``c`` is
    :math:`1 + t(T - 1)` (``Sparsemax.prox``; :math:`T` at :math:`t = 1`).
    """
    n = z.shape[0]
    zs = work[0]
    _shift_max(z, c, zs)
    srt = np.sort(zs)                               # increasing: the k-th largest is srt[n - k]
    cs = 0.0
    kstar = 1
    csk = 0.0
    for k in range(1, n + 1):
        cs += srt[n - k]
        if 1.0 + k * srt[n - k] > cs:
            kstar = k
            csk = cs
    tau = (csk - 1.0) / kstar
    for j in range(n):
        out[j] = max(zs[j] - tau, 0.0)


# ----------------------------------------------------------------------------- 1.5-entmax
@njit(cache=True)
def entmax15_sigma_row(z, T, out, work):
    r""":math:`\operatorname{entmax}_{3/2}(z/T) = (w - \tau)_+^2` by the exact sort (twin: ``simplex.entmax15_threshold``).

    :math:`w = (z/T - \max_j z_j/T)/2`; with :math:`w` (clamped at :math:`-2`) sorted decreasingly,
    :math:`\tau_k = \bar w_k - \sqrt{1/k - (\overline{w^2}_k - \bar w_k^2)}` (means over the top :math:`k`), and
    :math:`\tau = \tau_{k^*}`, :math:`k^*` the largest :math:`k` with :math:`\delta_k \ge 0` and
    :math:`\tau_k \le w_{(k)}`.
    """
    n = z.shape[0]
    w, c = work[0], work[1]
    _shift_max(z, T, w)
    for j in range(n):
        w[j] = 0.5 * w[j]
        c[j] = max(w[j], -2.0)
    srt = np.sort(c[:n])
    s1 = 0.0
    s2 = 0.0
    tau = 0.0
    for k in range(1, n + 1):
        v = srt[n - k]
        s1 += v
        s2 += v * v
        mean = s1 / k
        delta = 1.0 / k - (s2 / k - mean * mean)
        tau_k = mean - math.sqrt(max(delta, 0.0))
        if delta >= 0 and tau_k <= v:
            tau = tau_k
    for j in range(n):
        s = max(w[j] - tau, 0.0)
        out[j] = s * s


@njit(cache=True)
def _entmax15_sums(zs, mu, t, tT, top, r):
    # r_j = sqrt(p_j) at c_j = zs_j + mu; returns (sum r^2, sum over the inside of r/((1-t)r + tT))
    s = 0.0
    ds = 0.0
    for j in range(zs.shape[0]):
        c = zs[j] + mu
        cc = _clip(c, 0.0, top)
        rj = cc / (tT + math.sqrt(tT * tT + (1.0 - t) * cc))
        r[j] = rj
        s += rj * rj
        if c > 0 and c < top:
            ds += rj / ((1.0 - t) * rj + tT)
    return s, ds


@njit(cache=True)
def entmax15_prox_row(z, T, t, out, work):
    r""":math:`\operatorname{prox}_{t\Psi}(z)`, :math:`t \ne 1`, of 1.5-entmax's :math:`\Psi` (twin: ``Entmax15._prox_step``).

    :math:`(1-t)p_j + 2tT\sqrt{p_j} = c_j = z_j - \max_k z_k + \mu` gives
    :math:`\sqrt{p_j} = c_j/(tT + \sqrt{t^2T^2 + (1-t)c_j})` for :math:`c_j \in [0, 1 + t(2T - 1)]`;
    :math:`\mu` solves :math:`\sum_j p_j = 1` by safeguarded Newton in
    :math:`[(1-t)/n + 2tT/\sqrt n,\ 1 + t(2T-1)]`; the result is normalised to sum 1.
    """
    n = z.shape[0]
    zs, r = work[0], work[1]
    _shift_max(z, 1.0, zs)
    tT = t * T
    top = 1.0 + t * (2.0 * T - 1.0)
    lo = (1.0 - t) / n + 2.0 * tT / math.sqrt(n)
    hi = top
    mu = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        s, ds = _entmax15_sums(zs, mu, t, tT, top, r)
        mu, lo, hi, done = _monotone_step(mu, s - 1.0, ds, lo, hi)
        if done:
            break
    _entmax15_sums(zs, mu, t, tT, top, r)
    for j in range(n):
        r[j] = r[j] * r[j]
    _normalise_into(r[:n], out)


# ----------------------------------------------------------------------------- alpha-entmax
@njit(cache=True)
def entmax_sigma_row(z, alpha, T, out, work):
    r""":math:`\operatorname{entmax}_\alpha(z/T)_j = \exp_\alpha(w_j + m)`, :math:`w = (z - \max z)/T` (twin: ``entmax.entmax_threshold``).

    :math:`m` solves :math:`\sum_j\exp_\alpha(w_j + m) = 1` (slope :math:`\sum_{p_j > 0}p_j^{2-\alpha}`) by
    safeguarded Newton in :math:`[-(1 - n^{1-\alpha})/(\alpha-1),\ 0]`; the result is not renormalised.
    """
    n = z.shape[0]
    w = work[0]
    a = alpha - 1.0
    _shift_max(z, 1.0, w)
    for j in range(n):
        w[j] = w[j] / T
    v_hi = -math.expm1(-a * math.log(n)) / a if n > 1 else 0.0
    lo, hi = -v_hi, 0.0
    m = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        s = 0.0
        ds = 0.0
        for j in range(n):
            p = _exp_alpha(w[j] + m, a)
            s += p
            if p > 0:
                ds += p ** (2.0 - alpha)
        m, lo, hi, done = _monotone_step(m, s - 1.0, ds, lo, hi)
        if done:
            break
    for j in range(n):
        out[j] = _exp_alpha(w[j] + m, a)


@njit(cache=True)
def entmax_entry(c, t, T, alpha):
    r"""The :math:`p \in [0, 1]` with :math:`tT L(p) + (1-t)p = c`, :math:`L(p) = (p^{\alpha-1} - 1)/(\alpha-1)` (twin: ``Entmax._entry_of``).

    Solved in :math:`r = L(p)`, :math:`p = \exp_\alpha(r)`: :math:`h(r) = tTr + (1-t)\exp_\alpha(r)` equals the
    clipped :math:`c` by safeguarded Newton in the bracket of :math:`r_1 = c/(tT)`, :math:`r_2 = (c - (1-t))/(tT)`
    clipped to :math:`[-1/a, 0]`; 0 at and below :math:`c = -tT/a`, 1 at and above :math:`c = 1 - t`.
    """
    a = alpha - 1.0
    tT = t * T
    if c <= -tT / a:
        return 0.0
    if c >= 1.0 - t:
        return 1.0
    cc = _clip(c, -tT / a, 1.0 - t)
    r1, r2 = cc / tT, (cc - (1.0 - t)) / tT
    lo = _clip(min(r1, r2), -1.0 / a, 0.0)
    hi = _clip(max(r1, r2), -1.0 / a, 0.0)
    r = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        p = _exp_alpha(r, a)
        slope = (p ** (2.0 - alpha) if alpha != 2.0 else (1.0 if p > 0 else 0.0))
        r, lo, hi, done = _monotone_step(r, tT * r + (1.0 - t) * p - cc, tT + (1.0 - t) * slope, lo, hi)
        if done:
            break
    return _exp_alpha(r, a)


@njit(cache=True)
def _entmax_sums(zs, m, t, T, alpha, p):
    # p_j = entry(zs_j + m); returns (sum p, sum over 0 < p < 1 of s/(tT + (1-t)s)), s = p^(2-alpha)
    tot = 0.0
    ds = 0.0
    for j in range(zs.shape[0]):
        pj = entmax_entry(zs[j] + m, t, T, alpha)
        p[j] = pj
        tot += pj
        if pj > 0 and pj < 1:
            s = pj ** (2.0 - alpha) if alpha != 2.0 else 1.0
            ds += s / (t * T + (1.0 - t) * s)
    return tot, ds


@njit(cache=True)
def entmax_prox_row(z, alpha, T, t, out, work):
    r""":math:`\operatorname{prox}_{t\Psi}(z)`, :math:`t \ne 1`, of :math:`\alpha`-entmax's :math:`\Psi` (twin: ``Entmax._prox_step``).

    :math:`p_j` = :func:`entmax_entry` at :math:`c_j = z_j - \max_k z_k + m`; :math:`m` solves
    :math:`\sum_j p_j = 1` by safeguarded Newton in
    :math:`[\min(lo, 1-t),\ 1 - t]`, :math:`lo = -tT(1 - n^{1-\alpha})/(\alpha-1) + (1-t)/n`; the result is
    normalised to sum 1.
    """
    n = z.shape[0]
    zs, p = work[0], work[1]
    a = alpha - 1.0
    _shift_max(z, 1.0, zs)
    v_hi = -math.expm1(-a * math.log(n)) / a if n > 1 else 0.0
    hi = 1.0 - t
    lo = min(-t * T * v_hi + (1.0 - t) / n, hi)
    m = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        s, ds = _entmax_sums(zs, m, t, T, alpha, p)
        m, lo, hi, done = _monotone_step(m, s - 1.0, ds, lo, hi)
        if done:
            break
    _entmax_sums(zs, m, t, T, alpha, p)
    _normalise_into(p[:n], out)


# ----------------------------------------------------------------------------- radial: squash, block soft-threshold
@njit(cache=True)
def _norm64(z):
    r""":math:`m\sqrt{\sum_j(z_j/m)^2}`, :math:`m = \max_j|z_j|`, in float64 (twin: ``radial.norm``)."""
    m = 0.0
    for j in range(z.shape[0]):
        m = max(m, abs(np.float64(z[j])))
    safe = m if m > 0 else 1.0
    s = 0.0
    for j in range(z.shape[0]):
        q = np.float64(z[j]) / safe
        s += q * q
    return safe * math.sqrt(s)


@njit(cache=True, inline="always")
def _squash_g(a):
    r""":math:`g(a) = a/(1+a^2) = \rho(a)/a`, :math:`a \ge 0`, overflow-free (twin: ``radial._g``)."""
    if a <= 1:
        return a / (1 + a * a)
    return 1 / (a + 1 / a)


@njit(cache=True, inline="always")
def _squash_rho_prime(u):
    r""":math:`\rho'(u) = 2|u|/(1+u^2)^2` (twin: ``radial._rho_prime``)."""
    a = abs(u)
    if a <= 1:
        return 2 * a / (1 + a * a) ** 2
    g = _squash_g(a)
    return 2 * g * g / a


@njit(cache=True)
def squash_radius(r, t):
    r""":math:`\operatorname{prox}_{t\psi}(r) = \rho(u^*)`, :math:`tu^* + (1-t)\rho(u^*) = r`, :math:`\rho(u) = u|u|/(1+u^2)`.

    Twin: :func:`~bregnet.activations.base.prox_step_from_sigma` with ``radial._rho``: safeguarded Newton from the
    bracket :math:`r \pm (|g(r) - r|/\min(t, 1)(1 + 10^{-6}) + \text{tiny})`.
    """
    if t == 1.0:
        return r * _squash_g(abs(r))
    r0 = t * r + (1.0 - t) * (r * _squash_g(abs(r))) - r
    radius = abs(r0) / min(t, 1.0)
    radius = radius * (1 + 1e-6) + _TINY
    lo, hi = r - radius, r + radius
    u = 0.5 * (lo + hi)
    for _ in range(_MAX_IT):
        g = t * u + (1.0 - t) * (u * _squash_g(abs(u)))
        d = t + (1.0 - t) * _squash_rho_prime(u)
        u, lo, hi, done = _monotone_step(u, g - r, d, lo, hi)
        if done:
            break
    return u * _squash_g(abs(u))


@njit(cache=True)
def squash_row(z, t, out):
    r""":math:`\operatorname{prox}_{t\Psi}(z) = \operatorname{prox}_{t\psi}(\|z\|)\,z/\|z\|` of the squash (twin: ``Squash.prox``).

    :math:`t = 1`: :math:`\sigma(z) = g(\|z\|)z`, :math:`g(r) = r/(1+r^2)`; else :func:`squash_radius`.
    """
    r = _norm64(z)
    if t == 1.0:
        factor = _squash_g(r)
    else:
        factor = squash_radius(r, t) / (r if r > 0 else 1.0)
    for j in range(z.shape[0]):
        out[j] = factor * np.float64(z[j])


@njit(cache=True)
def block_soft_row(z, alpha, t, out):
    r""":math:`\operatorname{prox}_{t\alpha\|\cdot\|_2}(z) = (\|z\| - t\alpha)_+\,z/\|z\|` (twin: ``BlockSoftThreshold.prox``).

    :math:`\|z\|` in float64, rounded to the row's dtype, and the threshold :math:`t\alpha` rounded to it, as the
    class computes both in the row's dtype.
    """
    one = z.dtype.type(1.0)
    r = z.dtype.type(_norm64(z))
    a = z.dtype.type(t * alpha)
    d = r - a
    factor = (d if d > 0 else d * 0) / (r if r > 0 else one)
    for j in range(z.shape[0]):
        out[j] = factor * z[j]


# ----------------------------------------------------------------------------- dispatch
@njit(cache=True)
def sigma_row(code, beta, gamma, z, out, work):
    r""":math:`\sigma(z) = \operatorname{prox}_\Psi(z)` of one row for a row-wise ``code`` (``beta``, ``gamma``: its parameters).

    ``work``: float64 scratch of shape ``(3, n)`` or larger; ``out`` may be ``z``.
    """
    if code == SOFTMAX:
        softmax_sigma_row(z, beta, out, work)
    else:
        prox_row(code, beta, gamma, z, 1.0, out, work)


@njit(cache=True)
def prox_row(code, beta, gamma, z, t, out, work):
    r""":math:`\operatorname{prox}_{t\Psi}(z)` of one row for a row-wise ``code`` (:data:`ROW_CODES`).

    ``beta``, ``gamma`` as in :data:`bregnet.kernels.lifted.LIFTED_CODES`: softmax, sparsemax, 1.5-entmax
    :math:`T`; :math:`\alpha`-entmax :math:`(\alpha, T)`; block soft-thresholding :math:`\alpha`; squash none.
    Softmax needs :math:`t \le 1` (ValueError otherwise).  ``out`` may be ``z``.
    """
    if code == SOFTMAX:
        if t == 1.0:
            softmax_sigma_row(z, beta, out, work)
        elif t < 1.0:
            softmax_prox_row(z, beta, t, out, work)
        else:
            raise ValueError("rowwise_prox: softmax's prox is compiled for 0 < t <= 1")
    elif code == SPARSEMAX:
        sparsemax_row(z, 1.0 + t * (beta - 1.0), out, work)
    elif code == ENTMAX15:
        if t == 1.0:
            entmax15_sigma_row(z, beta, out, work)
        else:
            entmax15_prox_row(z, beta, t, out, work)
    elif code == ENTMAX:
        if t == 1.0:
            entmax_sigma_row(z, beta, gamma, out, work)
        else:
            entmax_prox_row(z, beta, gamma, t, out, work)
    elif code == SQUASH:
        squash_row(z, t, out)
    elif code == BLOCK_SOFT:
        block_soft_row(z, beta, t, out)
    else:
        raise ValueError("rowwise_prox: not a row-wise code")


@njit(cache=True)
def sigma_rows_into(code, beta, gamma, Z, out):
    """``out[i] = sigma(Z[i])`` for every row (:func:`sigma_row`); ``out`` may be ``Z``."""
    work = np.empty((_WORK_ROWS, Z.shape[1]))
    for i in range(Z.shape[0]):
        sigma_row(code, beta, gamma, Z[i], out[i], work)


@njit(cache=True)
def prox_rows_into(code, beta, gamma, V, t, out):
    r"""``out[i]`` = :math:`\operatorname{prox}_{t\Psi}(V_i)` for every row (:func:`prox_row`); ``out`` may be ``V``."""
    work = np.empty((_WORK_ROWS, V.shape[1]))
    for i in range(V.shape[0]):
        prox_row(code, beta, gamma, V[i], t, out[i], work)
