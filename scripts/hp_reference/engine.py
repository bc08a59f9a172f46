r"""The generic mpmath engine: roots, prox maps, conjugates, certified precision, condition scales.

* :func:`prox_sep` -- :math:`\operatorname{prox}_{t\psi}(z) = \sigma(u)` where :math:`u` solves
  :math:`t u + (1 - t)\sigma(u) = z` (strictly increasing: slope in :math:`[\min(t,1), \max(t,1)]`
  because :math:`0\le\sigma'\le1`), by safeguarded Newton in :math:`u` (closed forms for the
  piecewise-linear activations).
* :func:`psi_star_sep` -- :math:`\Psi^*(y) = x y - \psi(x)` at :math:`x = \sigma(u)`,
  :math:`u - \sigma(u) = y` (:math:`\psi'(x) = y`), or a closed form.
* :func:`prox_vec` -- :math:`\operatorname{prox}_{t\Psi}(z) = \sigma(u)` at the minimiser of the
  :math:`\min(t,1)`-strongly convex :math:`P(u) = \tfrac t2\|u\|^2 + (1-t)\Phi^*(u) - \langle z, u\rangle`.
* :func:`certified` -- evaluates at 50, 80, 160, ... digits until two precisions agree to 30
  significant digits (so that 25 written digits are right whatever cancellation the formula has).
* :func:`cond_scale` -- :math:`|f| + \sum_j |\partial f/\partial v_j|\,|v_j|` by relative
  perturbations :math:`v_j(1\pm\delta)` in the working precision.
"""
from __future__ import annotations

import math

import mpmath as mp

INF = mp.inf
DPS_START = (50, 80)
DPS_MAX = 2600
AGREE = mp.mpf(10) ** -30


def _ulp_floor():
    return mp.mpf(2) ** (-mp.mp.prec + 4)


#: below every root the engine meets (|root| >= |y| >= 2^-1074 since the slopes are at most 1)
TINY = mp.mpf(2) ** -1100


def _mid(lo, hi):
    """Bisection point: geometric where the bracket spans more than a factor 16 on one side of 0."""
    if lo >= 0 or hi <= 0:
        a, b = (max(lo, TINY), hi) if lo >= 0 else (max(-hi, TINY), -lo)
        if b > 16 * a:
            m = mp.sqrt(a * b)
            return m if lo >= 0 else -m
    return (lo + hi) / 2


def solve_increasing(g, dg, target, lo, hi, max_iter=6000):
    """Root of nondecreasing ``g(u) = target`` in ``[lo, hi]`` (``g(lo) <= target <= g(hi)``).

    Safeguarded Newton: a step leaving the bracket, or the fourth of a run of steps that do not
    shrink by 4 (Newton far from a root of a flat ``g``), is replaced by a bisection step
    (:func:`_mid`, geometric across orders of magnitude).
    """
    glo, ghi = g(lo) - target, g(hi) - target
    if glo == 0:
        return lo
    if ghi == 0:
        return hi
    if glo > 0 or ghi < 0:
        raise ArithmeticError(f"no sign change on [{lo}, {hi}]: {glo}, {ghi}")
    if lo < 0 < hi:
        r0 = g(mp.mpf(0)) - target
        if r0 == 0:
            return mp.mpf(0)
        lo, hi = (mp.mpf(0), hi) if r0 < 0 else (lo, mp.mpf(0))
    u, prev_step, slow = _mid(lo, hi), None, 0
    for _ in range(max_iter):
        r = g(u) - target
        if r == 0:
            return u
        if r < 0:
            lo = u
        else:
            hi = u
        if hi - lo <= _ulp_floor() * max(abs(lo), abs(hi)):
            return u
        d = dg(u)
        un = u - r / d if d and d > 0 else None
        step = None if un is None else abs(un - u)
        if un is not None and prev_step is not None and step > prev_step / 4:
            slow += 1
        else:
            slow = 0
        if un is None or not (lo < un < hi) or slow >= 3:
            un, slow, step = _mid(lo, hi), 0, None
            if un == lo or un == hi:
                return u
        elif step <= _ulp_floor() * abs(u) / 16:
            return un
        prev_step = step
        u = un
    raise ArithmeticError("solve_increasing did not converge")


# ----------------------------------------------------------------------------- separable
def prox_sep(act, z, t):
    t = mp.mpf(t)
    if t == 1:
        return act.sigma(z)
    if act.has_prox_closed:
        return act.prox(z, t)
    g = lambda u: t * u + (1 - t) * act.sigma(u)
    dg = lambda u: t + (1 - t) * act.dsigma(u)
    m = min(t, 1)
    r = abs(g(z) - z) / m
    rad = r * (1 + mp.mpf(10) ** -3) + _ulp_floor() * (abs(z) + 1) + mp.mpf(10) ** (-mp.mp.dps - 400)
    u = solve_increasing(g, dg, z, z - rad, z + rad)
    return act.sigma(u)


def stable(expr, digits=None):
    """``expr()`` to ``digits`` (default: the working ``dps``) significant digits whatever it cancels.

    Evaluated at ``dps + 10``, then at doubling precision, until two evaluations agree; returned
    rounded to the working precision.  Used where a difference of nearly equal numbers is the
    quantity itself (``u - sigma(u)`` for tiny ``u``, ``x y - psi(x)``).
    """
    p = mp.mp.dps
    digits = p if digits is None else digits
    tol = mp.mpf(10) ** (-digits)
    d, prev = p + 10, None
    while True:
        with mp.workdps(d):
            v = expr()
            if prev is not None and v != 0 and abs(v - prev) <= tol * abs(v):
                break
        if v == 0 and prev == 0 and d >= 2400:      # an exact zero (e.g. u - sigma(u) where sigma(u) = u)
            break
        if d > 40000:
            raise ArithmeticError("stable: no agreement up to 40000 digits")
        prev, d = v, 2 * d
    return +v


def psi_star_sep(act, y):
    if act.has_psi_star_closed:
        return act.psi_star(y)
    ylo, yhi = (mp.mpf(v) if not mp.isinf(v) else v for v in act.dual_range)
    ends = {mp.mpf(k): v for k, v in act.dual_closed_values.items()}
    if y in ends:
        return ends[y]
    if y >= yhi or y <= ylo:
        return INF
    h = lambda u: stable(lambda: u - act.sigma(u))
    dh = lambda u: stable(lambda: 1 - act.dsigma(u), digits=6)
    lo, hi, step = y - 1, y + 1, mp.mpf(1)
    while h(lo) > y:
        step *= 2
        lo = y - step
    step = mp.mpf(1)
    while h(hi) < y:
        step *= 2
        hi = y + step
    u = solve_increasing(h, dh, y, lo, hi)
    x = act.sigma(u)
    # first-order insensitive to the error of x (the maximiser), but the two terms may cancel
    return stable(lambda: x * y - act.psi(x))


# ----------------------------------------------------------------------------- vector
def prox_vec(act, z, t):
    """prox_{t Psi}(z) for a vector activation by damped Newton on the potential (see the module docstring)."""
    t = mp.mpf(t)
    if t == 1:
        return act.sigma(z)
    closed = getattr(act, "prox", None)
    if closed is not None:
        return closed(z, t)
    n = len(z)
    u = list(z)

    def grad(u):
        s = act.sigma(u)
        return [t * u[i] + (1 - t) * s[i] - z[i] for i in range(n)]

    def pot(u):
        return t * sum(v * v for v in u) / 2 + (1 - t) * act.phi_star(u) - sum(z[i] * u[i] for i in range(n))

    scale = max(max(abs(v) for v in z), mp.mpf(1))
    for _ in range(400):
        gr = grad(u)
        gn = max(abs(v) for v in gr)
        if gn <= mp.mpf(10) ** (-mp.mp.dps + 6) * scale:
            break
        J = act.jacobian(u)
        H = mp.matrix(n, n)
        for i in range(n):
            for j in range(n):
                H[i, j] = (t if i == j else 0) + (1 - t) * J[i][j]
        d = mp.lu_solve(H, mp.matrix(gr))
        p0, slope, a = pot(u), -sum(gr[i] * d[i] for i in range(n)), mp.mpf(1)
        for _ in range(80):
            trial = [u[i] - a * d[i] for i in range(n)]
            if pot(trial) <= p0 + a * slope / 4 or a < mp.mpf(10) ** -30:
                break
            a /= 2
        u = trial
    else:
        raise ArithmeticError("prox_vec did not converge")
    return act.sigma(u)


# ----------------------------------------------------------------------------- precision, condition
def _as_tuple(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def _agree(a, b):
    for x, y in zip(_as_tuple(a), _as_tuple(b)):
        if mp.isinf(x) or mp.isinf(y):
            if x != y:
                return False
            continue
        if x == y:
            continue
        if abs(x - y) > AGREE * abs(y):
            return False
    return True


def _negligible(v, size, dps):
    return all(mp.isinf(x) is False and abs(x) <= mp.mpf(10) ** (-(dps - 15)) * s
               for x, s in zip(_as_tuple(v), _as_tuple(size)))


def _start_dps(args):
    """50 digits plus the decimal exponent of the smallest non-zero input (``1 + 1e-100`` must not round to 1)."""
    tiny = [abs(float(a)) for a in args if float(a) != 0.0]
    extra = max([0] + [int(math.ceil(-math.log10(a))) for a in tiny if a < 1])
    return DPS_START[0] + extra


def certified(fn, args, size_fn=None):
    """``(value, dps)``: ``fn(*mpf(args))`` at increasing precision until two agree to 30 digits.

    The first precision is 50 digits plus the decimal exponent of the smallest input
    (:func:`_start_dps`), the second 30 more, then doubling.  An exact zero must also be zero at
    four times the precision, as must any value that is identical at two precisions (a tiny term
    rounded away at both gives the same wrong value: -x^2/2 for -log cos(x) - x^2/2 at x = 1e-100).
    ``size_fn(*args)`` (optional) gives the size of the terms of the formula; a value that stays
    below ``10^-(dps-15)`` of it up to 640 digits is an exact zero (written as 0).
    """
    prev, prev_d = None, None
    d0 = _start_dps(args)
    d = d0
    while True:
        with mp.workdps(d):
            try:
                v = fn(*[mp.mpf(a) for a in args])
            except ArithmeticError:       # a root lost to cancellation at this precision: go higher
                if d >= DPS_MAX:
                    raise
                d = d0 + 30 if d == d0 else 2 * d
                continue
            size = size_fn(*[mp.mpf(a) for a in args]) if size_fn is not None else None
        if prev is not None:
            if _agree(prev, v):
                # identical values at two precisions (an exact 0, or -x^2/2 where cos(x) rounded to 1
                # at both) are checked once more at four times the precision
                identical = all(a == b for a, b in zip(_as_tuple(prev), _as_tuple(v)))
                if identical and d < 4 * (d0 + 30):
                    prev, prev_d, d = v, d, 4 * (d0 + 30)
                    continue
                return v, d
            if size is not None and d >= 640 and _negligible(prev, size, prev_d) and _negligible(v, size, d):
                return (tuple(mp.mpf(0) for _ in _as_tuple(v)) if isinstance(v, (list, tuple)) else mp.mpf(0)), d
        if d >= DPS_MAX:
            raise ArithmeticError(f"no agreement up to {d} digits for {getattr(fn, '__qualname__', fn)} at {args}")
        prev, prev_d = v, d
        d = d0 + 30 if d == d0 else 2 * d


#: relative perturbation of an input: one unit roundoff of float64, what rounding the input costs
DELTA = mp.mpf(2) ** -52


def cond_scale(fn, args, value, dps, skip=()):
    """Per output component, :math:`|f| + \\sum_j |\\partial_j f|\\,|v_j|` (relative perturbations, one-sided at a domain edge).

    ``args`` is a flat list of floats (input components); ``skip`` indices are not perturbed.
    Returns a tuple (or a scalar for scalar ``value``); None where ``value`` is infinite.
    """
    vals = _as_tuple(value)
    with mp.workdps(dps):
        a0 = [mp.mpf(a) for a in args]
        acc = [abs(v) if not mp.isinf(v) else None for v in vals]
        for j, aj in enumerate(a0):
            if aj == 0 or j in skip:
                continue
            up = list(a0); up[j] = aj * (1 + DELTA)
            dn = list(a0); dn[j] = aj * (1 - DELTA)
            fu, fd = _as_tuple(fn(*up)), _as_tuple(fn(*dn))
            for i, v in enumerate(vals):
                if acc[i] is None:
                    continue
                u_ok, d_ok = not mp.isinf(fu[i]), not mp.isinf(fd[i])
                if u_ok and d_ok:
                    der = abs(fu[i] - fd[i]) / (2 * DELTA)
                elif u_ok:
                    der = abs(fu[i] - v) / DELTA
                elif d_ok:
                    der = abs(v - fd[i]) / DELTA
                else:
                    der = mp.mpf(0)
                acc[i] += der
    return tuple(acc) if isinstance(value, (list, tuple)) else acc[0]
