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


class Entmax(MpVec):
    r""":math:`\alpha`-entmax with temperature: :math:`\sigma(z)_j = [1 + a(z_j/T - v)]_+^{1/a}`, :math:`a = \alpha - 1`.

    :math:`v` by :func:`~hp_reference.engine.solve_increasing` on the increasing
    :math:`m = -v \mapsto \sum_j [1 + a(w_j + m)]_+^{1/a} = 1`, :math:`w = (z - \max z)/T`, in
    :math:`[-(1 - n^{-a})/a, 0]` (at the left end every entry is at most :math:`1/n`, at the right
    the largest is 1).  :math:`\Psi(p) = \frac{T}{\alpha a}\sum_j(p_j^\alpha - p_j) - \tfrac12\|p\|^2`
    on the simplex; :math:`\Phi^*(z) = \langle p, z\rangle - \tfrac12\|p\|^2 - \Psi(p)` at
    :math:`p = \sigma(z)` (eq. (11)).  :math:`\operatorname{prox}_{t\Psi}` by its KKT conditions
    (:meth:`prox`).
    """
    name = "entmax"

    @staticmethod
    def defaults(): return {"alpha": 1.5, "temperature": 1.0}

    def _exp_alpha(self, r):
        a = mp.mpf(self.alpha) - 1
        base = 1 + a * r
        return base ** (1 / a) if base > 0 else mp.mpf(0)

    def sigma(self, z):
        from .engine import solve_increasing
        a, T, n = mp.mpf(self.alpha) - 1, mp.mpf(self.temperature), len(z)
        top = max(z)
        w = [(v - top) / T for v in z]
        total = lambda m: mp.fsum(self._exp_alpha(v + m) for v in w)
        dtotal = lambda m: mp.fsum((1 + a * (v + m)) ** (1 / a - 1) for v in w if 1 + a * (v + m) > 0)
        lo = -(1 - mp.mpf(n) ** (-a)) / a
        m = solve_increasing(total, dtotal, mp.mpf(1), lo, mp.mpf(0))
        return [self._exp_alpha(v + m) for v in w]

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
        r"""KKT: :math:`g(p_j) = (1-t)p_j + \frac{tT}{a}p_j^{a} = c_j = z_j + \mu` on :math:`[0, 1]` (0 below, 1 above), :math:`\sum_j p_j = 1`.

        Each entry minimises :math:`\tfrac12(p - z_j)^2 + t\,\frac{T}{\alpha a}(p^\alpha - p) - \tfrac t2p^2 - \nu p`
        on :math:`[0,1]`, convex there (second derivative :math:`1 - t + tTp^{a-1} \ge 1` for
        :math:`T \ge 1`); the constant :math:`-tT/(\alpha a)` of the derivative is absorbed into
        :math:`\mu`, the root of the increasing :math:`\mu\mapsto\sum_j p_j` in
        :math:`[g(1/n) - \max z, g(1) - \max z]`.
        """
        from .engine import solve_increasing
        a, T, t, n = mp.mpf(self.alpha) - 1, mp.mpf(self.temperature), mp.mpf(t), len(z)
        g = lambda p: (1 - t) * p + t * T / a * p ** a if p > 0 else mp.mpf(0)
        dg = lambda p: (1 - t) + t * T * p ** (a - 1) if p > 0 else mp.inf
        g1 = g(mp.mpf(1))

        def entry(c):
            if c <= 0:
                return mp.mpf(0)
            if c >= g1:
                return mp.mpf(1)
            return solve_increasing(g, dg, c, mp.mpf(0), mp.mpf(1))

        total = lambda mu: mp.fsum(entry(v + mu) for v in z)

        def dtotal(mu):          # sum of dp_j/dc = 1/g'(p_j) over the entries strictly inside (0, 1)
            ps = [entry(v + mu) for v in z]
            return mp.fsum(1 / dg(p) for p in ps if 0 < p < 1)

        top = max(z)
        mu = solve_increasing(total, dtotal, mp.mpf(1), g(1 / mp.mpf(n)) - top, g1 - top)
        return [entry(v + mu) for v in z]


VECTOR = {c.name: c for c in (Softmax, Sparsemax, Entmax15, Entmax, BlockSoftThreshold, Squash)}
EXTRA_PARAMS = {"softmax": {"temperature": 2.0}, "block_soft_threshold": {"alpha": 0.5},
                "entmax": {"alpha": 1.25, "temperature": 2.0}}
