r"""mpmath definitions of the vector (non-separable) activations, rows of length n (Section 3, Example 1).

Membership of :math:`\operatorname{dom}\Psi` follows bregnet's documented rounding conventions, so
that float64 points of the simplex or the ball (which rarely satisfy :math:`\sum_j x_j = 1` or
:math:`\|x\| \le 1` exactly) are inside: the simplex is :math:`x \ge 0`,
:math:`|\sum_j x_j - 1| \le 16 n 2^{-23}`; the ball of radius :math:`\rho` is
:math:`\|x\| \le \rho(1 + 16 n 2^{-52})`.  :math:`\Psi` is its formula there (no projection).
"""
from __future__ import annotations

import mpmath as mp

from .separable import MpSep

INF = mp.inf


def simplex_ok(x):
    n = len(x)
    return all(v >= 0 for v in x) and abs(mp.fsum(x) - 1) <= 16 * n * mp.mpf(2) ** -23


def ball_ok(x, radius):
    n = len(x)
    return norm(x) <= mp.mpf(radius) * (1 + 16 * n * mp.mpf(2) ** -52)


def norm(x):
    return mp.sqrt(mp.fsum(v * v for v in x))


def dot(a, b):
    return mp.fsum(p * q for p, q in zip(a, b))


class MpVec:
    name = ""
    prox = None
    psi_star = None

    def __init__(self, **params):
        self.params = {**self.defaults(), **params}
        for k, v in self.params.items():
            setattr(self, k, v)

    @staticmethod
    def defaults():
        return {}


class Softmax(MpVec):
    name = "softmax"

    @staticmethod
    def defaults(): return {"temperature": 1.0}
    def sigma(self, z):
        T = mp.mpf(self.temperature)
        m = max(z)
        e = [mp.exp((v - m) / T) for v in z]
        s = mp.fsum(e)
        return [v / s for v in e]
    def psi(self, x):
        if not simplex_ok(x):
            return INF
        T = mp.mpf(self.temperature)
        return mp.fsum((T * v * mp.log(v) if v > 0 else 0) - v * v / 2 for v in x)
    def phi_star(self, z):
        T = mp.mpf(self.temperature)
        m = max(z)
        return m + T * mp.log(mp.fsum(mp.exp((v - m) / T) for v in z))
    def jacobian(self, z):
        T = mp.mpf(self.temperature)
        s = self.sigma(z)
        n = len(z)
        return [[((s[i] if i == j else 0) - s[i] * s[j]) / T for j in range(n)] for i in range(n)]


def _sparsemax(z):
    top = max(z)
    z = [v - top for v in z]                 # the projection commutes with a common shift
    srt = sorted(z, reverse=True)
    cs, k_star, c_star = mp.mpf(0), 1, srt[0]
    for k, v in enumerate(srt, start=1):
        cs += v
        if 1 + k * v > cs:
            k_star, c_star = k, cs
    tau = (c_star - 1) / k_star
    return [max(v - tau, 0) for v in z]


class Sparsemax(MpVec):
    name = "sparsemax"

    def sigma(self, z): return _sparsemax(z)
    def prox(self, z, t): return _sparsemax(z)
    def psi(self, x): return mp.mpf(0) if simplex_ok(x) else INF
    def phi_star(self, z):
        p = self.sigma(z)
        return dot(p, z) - dot(p, p) / 2
    def psi_star(self, y): return max(y)


def _entmax_sqrt(z):
    """s = (z/2 - tau)_+ with sum s^2 = 1 (the support found by trying every k)."""
    top = max(z)
    z = [v - top for v in z]                 # entmax is invariant under a common shift (exact in mp)
    w = sorted((v / 2 for v in z), reverse=True)
    best = None
    for k in range(1, len(w) + 1):
        top = w[:k]
        m1, m2 = mp.fsum(top), mp.fsum(v * v for v in top)
        disc = m1 * m1 - k * (m2 - 1)
        if disc < 0:
            continue
        tau = (m1 - mp.sqrt(disc)) / k
        if tau <= top[-1] and (k == len(w) or tau >= w[k]):
            best = tau
    return [max(v / 2 - best, 0) for v in z]


class Entmax15(MpVec):
    name = "entmax15"

    def sigma(self, z): return [s * s for s in _entmax_sqrt(z)]
    def _psi_formula(self, x):
        return mp.fsum(mp.mpf(4) / 3 * (v * mp.sqrt(v) - v) - v * v / 2 for v in x)
    def psi(self, x):
        if not simplex_ok(x):
            return INF
        return self._psi_formula(x)
    def phi_star(self, z):
        p = self.sigma(z)
        return dot(p, z) - dot(p, p) / 2 - self._psi_formula(p)
    def prox(self, z, t):
        r"""KKT: :math:`(1-t)p_j + 2t\sqrt{p_j} = c_j = z_j + \mu` on :math:`c_j \in [0, 1+t]` (0 below, 1 above), :math:`\sum_j p_j = 1`.

        Each entry minimises :math:`\tfrac12(p - z_j)^2 + t(\tfrac43(p^{3/2} - p) - \tfrac12p^2) - \nu p` on
        :math:`[0, 1]` (convex there for every :math:`t`: second derivative :math:`1 - t + t/\sqrt p \ge 1`);
        :math:`\sqrt{p} = c/(t + \sqrt{t^2 + (1-t)c})`, and :math:`\mu` (the multiplier, shifted by
        :math:`4t/3`) is the root of the increasing :math:`\mu \mapsto \sum_j p_j`.
        """
        from .engine import solve_increasing
        t = mp.mpf(t)

        def root(c):
            c = min(max(c, 0), 1 + t)
            return c / (t + mp.sqrt(t * t + (1 - t) * c))

        total = lambda mu: mp.fsum(root(v + mu) ** 2 for v in z)

        def dtotal(mu):
            acc = mp.mpf(0)
            for v in z:
                c = v + mu
                if 0 < c < 1 + t:
                    r = root(c)
                    acc += r / ((1 - t) * r + t)
            return acc

        top = max(z)
        mu = solve_increasing(total, dtotal, mp.mpf(1), -top, 1 + t - top)
        return [root(v + mu) ** 2 for v in z]

    def jacobian(self, z):
        s = _entmax_sqrt(z)
        tot = mp.fsum(s)
        n = len(z)
        return [[(s[i] if i == j else 0) - s[i] * s[j] / tot for j in range(n)] for i in range(n)]


class BlockSoftThreshold(MpVec):
    name = "block_soft_threshold"

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    def prox(self, z, t):
        r = norm(z)
        a = mp.mpf(t) * mp.mpf(self.alpha)
        if r <= a:
            return [mp.mpf(0) for _ in z]
        return [(1 - a / r) * v for v in z]
    def sigma(self, z): return self.prox(z, 1)
    def psi(self, x): return mp.mpf(self.alpha) * norm(x)
    def phi_star(self, z): return max(norm(z) - mp.mpf(self.alpha), 0) ** 2 / 2
    def psi_star(self, y): return mp.mpf(0) if ball_ok(y, self.alpha) else INF


class SquashProfile(MpSep):
    r"""The odd profile :math:`\rho(u) = u|u|/(1+u^2)` of the squash, as a separable activation (:math:`\psi` even)."""
    name = "squash_profile"
    domain = (-1, 1)
    closed = (True, True)

    def sigma(self, u): return u * abs(u) / (1 + u * u)
    def dsigma(self, u): return 2 * abs(u) / (1 + u * u) ** 2
    def psi(self, x):
        r = abs(x)
        if r > 1:
            return INF
        return mp.asin(mp.sqrt(r)) - mp.sqrt(r * (1 - r)) - r * r / 2
    def psi_prime(self, x): return mp.sign(x) * mp.sqrt(abs(x) / (1 - abs(x))) - x
    def phi_star(self, z):
        a = abs(z)
        return a - mp.atan(a)


class Squash(MpVec):
    name = "squash"
    profile = SquashProfile()

    def sigma(self, z):
        r2 = dot(z, z)
        r = mp.sqrt(r2)
        return [v * r / (1 + r2) for v in z]
    def prox(self, z, t):
        from .engine import prox_sep
        r = norm(z)
        if r == 0:
            return [mp.mpf(0) for _ in z]
        x = prox_sep(self.profile, r, t)
        return [x * v / r for v in z]
    def psi(self, x):
        r = norm(x)
        if not ball_ok(x, 1):
            return INF
        return self.profile.psi(min(r, mp.mpf(1)))
    def phi_star(self, z): return self.profile.phi_star(norm(z))
    def psi_star(self, y):
        from .engine import psi_star_sep
        return psi_star_sep(self.profile, norm(y))


def newton_monotone(fdf, x0, direction, max_iter=20000):
    r"""Root of :math:`f` by Newton's method from ``x0``, where the iterates move monotonically to the root.

    ``fdf(x)`` returns :math:`(f(x), f'(x))`.  For :math:`f` increasing and convex, started right of
    the root (``direction = -1``), or increasing and concave, started left of it (``direction = +1``),
    every Newton iterate lies between the previous one and the root (the tangent lies below a convex
    graph), so no safeguard is needed and the convergence is quadratic near the root.  Stops at an exact
    zero, when a step no longer moves toward the root (the working precision is exhausted: rounding
    noise in :math:`f` has the wrong sign), or when a step is below :math:`2^{-\mathrm{prec}}|x|`.
    """
    x = x0
    tiny = mp.mpf(2) ** (-mp.mp.prec)
    for _ in range(max_iter):
        f, d = fdf(x)
        if f == 0:
            return x
        if not d > 0:
            raise ArithmeticError(f"newton_monotone: derivative {d} at {x}")
        step = -f / d
        if step * direction <= 0:
            return x
        xn = x + step
        if abs(step) <= tiny * abs(xn):
            return xn
        x = xn
    raise ArithmeticError("newton_monotone did not converge")


def _kkt_simplex(z, entry, c_sat):
    r""":math:`p_j = P(z_j - \max_k z_k + \mu)` with :math:`\sum_j p_j = 1`, for an increasing convex :math:`P`.

    ``entry(c)`` returns :math:`(P(c), P'(c))` for :math:`0 < c < c_{sat}`, where :math:`P` rises from
    :math:`P(0) = 0` to :math:`P(c_{sat}) = 1` (0 below, 1 above).  With the shifted entries
    :math:`w_{(1)} = 0 \ge w_{(2)} \ge \dots` sorted, :math:`S(\mu) = \sum_j P(w_j + \mu)` is
    continuous, nondecreasing, and smooth and convex between the breakpoints :math:`\mu = -w_{(k)}`
    (where entry :math:`k` becomes positive).  The support size is the smallest :math:`k` with
    :math:`S(R_k) \ge 1`, :math:`R_k = \min(-w_{(k+1)}, c_{sat})` (:math:`R_n = c_{sat}`; at
    :math:`\mu = c_{sat}` the largest entry is 1, so :math:`S \ge 1` there); the root lies in
    :math:`(-w_{(k)}, R_k]`, where only the top :math:`k` entries are positive and :math:`S` is a
    convex increasing sum, so :func:`newton_monotone` from :math:`R_k` converges to it.  The support
    is found exactly (each test is a comparison of :math:`S`, no iteration).
    """
    top = max(z)
    w = sorted((v - top for v in z), reverse=True)
    n = len(w)

    def p_of(c):
        if c <= 0:
            return mp.mpf(0), mp.mpf(0)
        if c > c_sat:
            return mp.mpf(1), mp.mpf(0)
        return entry(c)                 # at c_sat: 1 and the left derivative (Newton may start there)

    def total(mu, k):
        vals = [p_of(w[i] + mu) for i in range(k)]
        return mp.fsum(v for v, _ in vals) - 1, mp.fsum(d for _, d in vals)

    for k in range(1, n + 1):
        right = c_sat if k == n else min(-w[k], c_sat)
        if k == n or total(right, k)[0] >= 0:
            break
    mu = newton_monotone(lambda m: total(m, k), right, -1)
    return [p_of(v - top + mu)[0] for v in z]


class Entmax(MpVec):
    r""":math:`\alpha`-entmax with temperature: :math:`\sigma(z)_j = [1 + a(z_j/T - v)]_+^{1/a}`, :math:`a = \alpha - 1`.

    Written as :math:`p_j = P_1(c_j)`, :math:`c_j = z_j - \max_k z_k + \mu` (:math:`\mu = T/a - T v`
    relative to :math:`\max_k z_k/T`), with :math:`P_1(c) = (ac/T)^{1/a}` on :math:`[0, T/a]`, convex
    and increasing because :math:`1/a \ge 1`; the threshold :math:`\mu` is found by
    :func:`_kkt_simplex` (support by sorting, then monotone Newton on the support: no bracketing
    iteration).  :math:`\Psi(p) = \frac{T}{\alpha a}\sum_j(p_j^\alpha - p_j) - \tfrac12\|p\|^2` on
    the simplex; :math:`\Phi^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2 - \Psi(p)` at
    :math:`p = \sigma(z)` (eq. (11); the definition, not bregnet's threshold form
    :math:`\max_j z_j + T(v - (1 - \sum_j p_j^\alpha)/\alpha)`).  :math:`\operatorname{prox}_{t\Psi}` by
    its KKT conditions (:meth:`prox`).  :math:`\sigma(z)` is memoised per precision and row (the
    condition scale of :math:`B` perturbs :math:`x` at a fixed :math:`z`).
    """
    name = "entmax"

    @staticmethod
    def defaults(): return {"alpha": 1.5, "temperature": 1.0}

    def __init__(self, **params):
        super().__init__(**params)
        self._memo = {}

    def sigma(self, z):
        key = (mp.mp.prec, tuple(z))
        if key not in self._memo:
            if len(self._memo) > 20000:
                self._memo.clear()
            a, T = mp.mpf(self.alpha) - 1, mp.mpf(self.temperature)
            ia = 1 / a

            def entry(c):
                b = a * c / T
                return b ** ia, b ** (ia - 1) / T

            self._memo[key] = _kkt_simplex(z, entry, T / a)
        return list(self._memo[key])

    def _psi_formula(self, x):
        al, T = mp.mpf(self.alpha), mp.mpf(self.temperature)
        return mp.fsum(T / (al * (al - 1)) * ((v ** al if v > 0 else 0) - v) - v * v / 2 for v in x)

    def psi(self, x):
        if not simplex_ok(x):
            return INF
        return self._psi_formula(x)

    def phi_star(self, z):
        p = self.sigma(z)
        return dot(p, z) - dot(p, p) / 2 - self._psi_formula(p)

    def prox(self, z, t):
        r"""KKT: :math:`g(p_j) = (1-t)p_j + \frac{tT}{a}p_j^{a} = c_j = z_j - \max_k z_k + \mu` on :math:`[0, 1]` (0 below, 1 above), :math:`\sum_j p_j = 1`.

        Each entry minimises :math:`\tfrac12(p - z_j)^2 + t\,\frac{T}{\alpha a}(p^\alpha - p) - \tfrac t2p^2 - \nu p`
        on :math:`[0,1]`, convex there (second derivative :math:`1 - t + tTp^{a-1} \ge 1` for
        :math:`T \ge 1`); the constant :math:`-tT/(\alpha a)` of the derivative is absorbed into
        :math:`\mu`.  :math:`g` is increasing and concave (:math:`g'' = tT(a-1)p^{a-2} \le 0`), so
        its inverse :math:`P` is increasing and convex on :math:`[0, g(1)]`, and :math:`\mu` is found
        by :func:`_kkt_simplex` with :math:`P'(c) = 1/g'(P(c))`.  One entry: in :math:`q = p^a`,
        :math:`h(q) = (1-t)q^{1/a} + \frac{tT}{a}q = c` is increasing on :math:`[0, 1]` (:math:`h' =
        g'(p)\,p/(aq) > 0`), convex for :math:`t < 1` (Newton from the right,
        :math:`q_0 = \min(1, ac/(tT))`, where :math:`h \ge c`) and concave for :math:`t > 1` (Newton
        from the left, :math:`q_0 = ac/(tT)`, where :math:`h \le c`): :func:`newton_monotone`.  For
        :math:`\alpha = 3/2` it is the quadratic :math:`(1-t)q^2 + 2tTq = c`, solved in closed form
        :math:`q = c/(tT + \sqrt{t^2T^2 + (1-t)c})`.
        """
        a, T, t = mp.mpf(self.alpha) - 1, mp.mpf(self.temperature), mp.mpf(t)
        ia, tT = 1 / a, t * T
        g1 = (1 - t) + tT / a

        def q_of(c):
            if a == mp.mpf(1) / 2:
                return c / (tT + mp.sqrt(tT * tT + (1 - t) * c))
            q0 = a * c / tT
            if t < 1:
                q0, direction = min(q0, mp.mpf(1)), -1
            else:
                direction = 1

            def fdf(q):
                qi = q ** (ia - 1)
                return (1 - t) * qi * q + tT / a * q - c, (1 - t) * ia * qi + tT / a
            return newton_monotone(fdf, q0, direction)

        def entry(c):
            q = q_of(c)
            p = q ** ia
            return p, 1 / ((1 - t) + tT * q / p)      # P'(c) = 1/g'(p), g'(p) = 1 - t + tT p^(a-1)

        return _kkt_simplex(z, entry, g1)


VECTOR = {c.name: c for c in (Softmax, Sparsemax, Entmax15, Entmax, BlockSoftThreshold, Squash)}
EXTRA_PARAMS = {"softmax": {"temperature": 2.0}, "block_soft_threshold": {"alpha": 0.5},
                "entmax": {"alpha": 1.25, "temperature": 2.0}}
