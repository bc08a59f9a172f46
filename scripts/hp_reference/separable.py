r"""mpmath definitions of the separable activations (Section 3, Definition 1, Remark 2, eq. (11), (15)).

Each class gives, as functions of one ``mpf`` at the current ``mp.dps``:

* ``sigma(z)``, ``dsigma(z)`` (:math:`\sigma'`; ``None`` at the kinks listed in ``kinks``),
* ``psi(x)`` (:math:`+\infty` outside :math:`\operatorname{dom}\psi`; the additive constant of
  bregnet's docstrings), ``psi_prime(x)`` (:math:`\sigma^{-1}(x) - x`, Remark 2, inside the domain),
* ``phi_star(z)`` (:math:`\phi^*`, the antiderivative of :math:`\sigma` with the constant fixed
  by eq. (11)),
* optionally ``psi_star(y)`` (closed form) and ``prox(z, t)`` (closed form, piecewise-linear ones);
  otherwise the engine finds them by root finding (``dual_range`` gives the range of
  :math:`\psi'`, beyond which :math:`\Psi^* = +\infty`).

``domain = (lo, hi)`` (as mpf or +-inf) with ``closed = (lo_closed, hi_closed)``.
"""
from __future__ import annotations

import mpmath as mp

INF = mp.inf


def sgn(v):
    return mp.sign(v)


class MpSep:
    name = ""
    params: dict = {}
    domain = (-INF, INF)
    closed = (False, False)
    kinks: tuple = ()
    dual_range = (-INF, INF)         # open range of psi' (Psi* = inf outside its closure)
    dual_closed_values: dict = {}    # {y_end: Psi*(y_end)} at an attained/closed end of the dual range
    has_prox_closed = False
    has_psi_star_closed = False

    def __init__(self, **params):
        self.params = {**self.defaults(), **params}
        for k, v in self.params.items():
            setattr(self, k, v)

    @staticmethod
    def defaults():
        return {}

    def in_dom(self, x):
        lo, hi = self.dom()
        lc, hc = self.closed
        if x < lo or x > hi:
            return False
        if x == lo and not lc:
            return False
        if x == hi and not hc:
            return False
        return True

    def dom(self):
        return tuple(mp.mpf(v) if not mp.isinf(v) else v for v in self.domain)

    def kink_points(self):
        return [mp.mpf(k) for k in self.kinks]


# ------------------------------------------------------------------------- sigmoids
class Tanh(MpSep):
    name = "tanh"
    domain = (-1, 1)
    closed = (True, True)

    def sigma(self, z): return mp.tanh(z)
    def dsigma(self, z): return mp.sech(z) ** 2
    def psi(self, x):
        if abs(x) > 1:
            return INF
        a = (1 + x) * mp.log(1 + x) if x > -1 else mp.mpf(0)
        b = (1 - x) * mp.log(1 - x) if x < 1 else mp.mpf(0)
        return (a + b - x * x) / 2
    def psi_prime(self, x): return mp.atanh(x) - x
    def phi_star(self, z): return mp.log(mp.cosh(z))


class Sigmoid(MpSep):
    name = "sigmoid"
    domain = (0, 1)
    closed = (True, True)

    def sigma(self, z): return 1 / (1 + mp.exp(-z))
    def dsigma(self, z):
        s = self.sigma(z)
        return s * (1 - s) if z <= 0 else mp.exp(-z) / (1 + mp.exp(-z)) ** 2
    def psi(self, x):
        if x < 0 or x > 1:
            return INF
        a = x * mp.log(x) if x > 0 else mp.mpf(0)
        b = (1 - x) * mp.log(1 - x) if x < 1 else mp.mpf(0)
        return a + b - x * x / 2
    def psi_prime(self, x): return mp.log(x / (1 - x)) - x
    def phi_star(self, z): return mp.log1p(mp.exp(z))


class UnimodalSigmoid(MpSep):
    name = "unimodal_sigmoid"
    domain = (-0.5, 0.5)
    closed = (True, True)

    def sigma(self, z): return mp.tanh(z / 2) / 2
    def dsigma(self, z): return mp.sech(z / 2) ** 2 / 4
    def psi(self, x):
        if abs(x) > mp.mpf(0.5):
            return INF
        u = 2 * x
        a = (1 + u) * mp.log(1 + u) if u > -1 else mp.mpf(0)
        b = (1 - u) * mp.log(1 - u) if u < 1 else mp.mpf(0)
        return (a + b) / 2 - x * x / 2
    def psi_prime(self, x): return 2 * mp.atanh(2 * x) - x
    def phi_star(self, z): return mp.log(mp.cosh(z / 2))


class Arctan(MpSep):
    name = "arctan"
    closed = (False, False)

    @staticmethod
    def defaults(): return {"scale": 2.0 / 3.141592653589793}
    @property
    def domain(self):
        e = mp.mpf(self.scale) * mp.pi / 2
        return (-e, e)
    def sigma(self, z): return mp.mpf(self.scale) * mp.atan(z)
    def dsigma(self, z): return mp.mpf(self.scale) / (1 + z * z)
    def psi(self, x):
        c = mp.mpf(self.scale)
        if abs(x) >= c * mp.pi / 2:
            return INF
        return -c * mp.log(mp.cos(x / c)) - x * x / 2
    def psi_prime(self, x): return mp.tan(x / mp.mpf(self.scale)) - x
    def phi_star(self, z):
        c = mp.mpf(self.scale)
        return c * (z * mp.atan(z) - mp.log1p(z * z) / 2)


class Asinh(MpSep):
    name = "asinh"

    def sigma(self, z): return mp.asinh(z)
    def dsigma(self, z): return 1 / mp.sqrt(1 + z * z)
    def psi(self, x): return mp.cosh(x) - 1 - x * x / 2
    def psi_prime(self, x): return mp.sinh(x) - x
    def phi_star(self, z): return z * mp.asinh(z) - mp.sqrt(1 + z * z) + 1


class Softsign(MpSep):
    name = "softsign"
    domain = (-1, 1)
    closed = (False, False)

    def sigma(self, z): return z / (1 + abs(z))
    def dsigma(self, z): return 1 / (1 + abs(z)) ** 2
    def psi(self, x):
        a = abs(x)
        if a >= 1:
            return INF
        return -mp.log(1 - a) - a - x * x / 2
    def psi_prime(self, x): return x / (1 - abs(x)) - x
    def phi_star(self, z):
        a = abs(z)
        return a - mp.log1p(a)


class LogActivation(MpSep):
    name = "log_activation"

    def sigma(self, z): return sgn(z) * mp.log1p(abs(z))
    def dsigma(self, z): return 1 / (1 + abs(z))
    def psi(self, x):
        a = abs(x)
        return mp.expm1(a) - a - x * x / 2
    def psi_prime(self, x): return sgn(x) * mp.expm1(abs(x)) - x
    def phi_star(self, z):
        a = abs(z)
        return (1 + a) * mp.log1p(a) - a


class ISRU(MpSep):
    name = "isru"
    closed = (True, True)

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    @property
    def domain(self):
        e = 1 / mp.sqrt(mp.mpf(self.alpha))
        return (-e, e)
    def sigma(self, z): return z / mp.sqrt(1 + mp.mpf(self.alpha) * z * z)
    def dsigma(self, z): return (1 + mp.mpf(self.alpha) * z * z) ** mp.mpf(-1.5)
    def psi(self, x):
        a = mp.mpf(self.alpha)
        s = a * x * x
        if s > 1:
            return INF
        return (1 - mp.sqrt(1 - s)) / a - x * x / 2
    def psi_prime(self, x): return x / mp.sqrt(1 - mp.mpf(self.alpha) * x * x) - x
    def phi_star(self, z):
        a = mp.mpf(self.alpha)
        return (mp.sqrt(1 + a * z * z) - 1) / a


# ------------------------------------------------------------------------- rectifiers
class ReLU(MpSep):
    name = "relu"
    domain = (0, INF)
    closed = (True, False)
    kinks = (0,)
    dual_range = (-INF, 0)
    has_prox_closed = True
    has_psi_star_closed = True

    def sigma(self, z): return max(z, mp.mpf(0))
    def dsigma(self, z): return mp.mpf(1) if z > 0 else mp.mpf(0)
    def psi(self, x): return mp.mpf(0) if x >= 0 else INF
    def psi_prime(self, x): return mp.mpf(0)
    def phi_star(self, z): return max(z, 0) ** 2 / 2
    def psi_star(self, y): return mp.mpf(0) if y <= 0 else INF
    def prox(self, z, t): return max(z, mp.mpf(0))


class LeakyReLU(MpSep):
    name = "leaky_relu"
    kinks = (0,)
    has_prox_closed = True
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"slope": 0.01}
    def sigma(self, z): return z if z >= 0 else mp.mpf(self.slope) * z
    def dsigma(self, z): return mp.mpf(1) if z > 0 else mp.mpf(self.slope)
    def psi(self, x):
        a = mp.mpf(self.slope)
        m = min(x, 0)
        return (1 / a - 1) * m * m / 2
    def psi_prime(self, x):
        a = mp.mpf(self.slope)
        return (1 / a - 1) * min(x, 0)
    def phi_star(self, z): return z * z / 2 if z >= 0 else mp.mpf(self.slope) * z * z / 2
    def psi_star(self, y):
        a = mp.mpf(self.slope)
        if a == 1:
            return mp.mpf(0) if y == 0 else INF
        return a / (2 * (1 - a)) * y * y if y <= 0 else INF
    def prox(self, z, t):
        a = mp.mpf(self.slope)
        return z if z >= 0 else a * z / (a + t * (1 - a))


class ELU(MpSep):
    name = "elu"
    closed = (True, False)
    dual_range = (-INF, 0)
    dual_closed_values = {0: mp.mpf(0)}

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    @property
    def domain(self): return (-mp.mpf(self.alpha), INF)
    def sigma(self, z): return z if z > 0 else mp.mpf(self.alpha) * mp.expm1(z)
    def dsigma(self, z): return mp.mpf(1) if z > 0 else mp.mpf(self.alpha) * mp.exp(z)
    def psi(self, x):
        a = mp.mpf(self.alpha)
        if x < -a:
            return INF
        if x > 0:
            return mp.mpf(0)
        lg = (x + a) * mp.log1p(x / a) if x > -a else mp.mpf(0)
        return lg - x - x * x / 2
    def psi_prime(self, x):
        return mp.log1p(x / mp.mpf(self.alpha)) - x if x <= 0 else mp.mpf(0)
    def phi_star(self, z):
        a = mp.mpf(self.alpha)
        return z * z / 2 if z > 0 else a * (mp.expm1(z) - z)
    @property
    def kinks(self):
        return () if self.alpha == 1.0 else (0,)     # sigma'(0) exists iff alpha = 1


class ISRLU(MpSep):
    name = "isrlu"
    closed = (True, False)
    dual_range = (-INF, 0)
    dual_closed_values = {0: mp.mpf(0)}

    @staticmethod
    def defaults(): return {"a": 1.0}
    @property
    def domain(self): return (-1 / mp.sqrt(mp.mpf(self.a)), INF)
    def sigma(self, z): return z if z >= 0 else z / mp.sqrt(1 + mp.mpf(self.a) * z * z)
    def dsigma(self, z): return mp.mpf(1) if z >= 0 else (1 + mp.mpf(self.a) * z * z) ** mp.mpf(-1.5)
    def psi(self, x):
        a = mp.mpf(self.a)
        if x > 0:
            return mp.mpf(0)
        s = a * x * x
        if s > 1:
            return INF
        return (1 - mp.sqrt(1 - s)) / a - x * x / 2
    def psi_prime(self, x):
        return x / mp.sqrt(1 - mp.mpf(self.a) * x * x) - x if x <= 0 else mp.mpf(0)
    def phi_star(self, z):
        a = mp.mpf(self.a)
        return z * z / 2 if z >= 0 else (mp.sqrt(1 + a * z * z) - 1) / a


class CELU(MpSep):
    name = "celu"
    closed = (True, False)
    dual_range = (-INF, 0)
    dual_closed_values = {0: mp.mpf(0)}

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    @property
    def domain(self): return (-mp.mpf(self.alpha), INF)
    def sigma(self, z):
        a = mp.mpf(self.alpha)
        return z if z > 0 else a * mp.expm1(z / a)
    def dsigma(self, z): return mp.mpf(1) if z > 0 else mp.exp(z / mp.mpf(self.alpha))
    def psi(self, x):
        a = mp.mpf(self.alpha)
        if x < -a:
            return INF
        if x > 0:
            return mp.mpf(0)
        lg = (x + a) * a * mp.log1p(x / a) if x > -a else mp.mpf(0)
        return lg - a * x - x * x / 2
    def psi_prime(self, x):
        a = mp.mpf(self.alpha)
        return a * mp.log1p(x / a) - x if x <= 0 else mp.mpf(0)
    def phi_star(self, z):
        a = mp.mpf(self.alpha)
        return z * z / 2 if z > 0 else a * a * (mp.expm1(z / a) - z / a)


# ------------------------------------------------------------------------- thresholding
class SoftThreshold(MpSep):
    name = "soft_threshold"
    has_prox_closed = True
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    @property
    def kinks(self): return (-self.alpha, self.alpha)
    def sigma(self, z): return self.prox(z, 1)
    def dsigma(self, z): return mp.mpf(1) if abs(z) > self.alpha else mp.mpf(0)
    def psi(self, x): return mp.mpf(self.alpha) * abs(x)
    def psi_prime(self, x): return mp.mpf(self.alpha) * sgn(x)
    def phi_star(self, z): return max(abs(z) - mp.mpf(self.alpha), 0) ** 2 / 2
    def psi_star(self, y): return mp.mpf(0) if abs(y) <= self.alpha else INF
    def prox(self, z, t): return sgn(z) * max(abs(z) - mp.mpf(t) * mp.mpf(self.alpha), 0)


class NonnegSoftThreshold(MpSep):
    name = "nonneg_soft_threshold"
    domain = (0, INF)
    closed = (True, False)
    has_prox_closed = True
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"alpha": 1.0}
    @property
    def kinks(self): return (self.alpha,)
    def sigma(self, z): return self.prox(z, 1)
    def dsigma(self, z): return mp.mpf(1) if z > self.alpha else mp.mpf(0)
    def psi(self, x): return mp.mpf(self.alpha) * x if x >= 0 else INF
    def psi_prime(self, x): return mp.mpf(self.alpha)
    def phi_star(self, z): return max(z - mp.mpf(self.alpha), 0) ** 2 / 2
    def psi_star(self, y): return mp.mpf(0) if y <= self.alpha else INF
    def prox(self, z, t): return max(z - mp.mpf(t) * mp.mpf(self.alpha), mp.mpf(0))


# ------------------------------------------------------------------------- softplus family
def _li2(w):
    return mp.polylog(2, w)


class Softplus(MpSep):
    name = "softplus"
    domain = (0, INF)
    closed = (True, False)
    dual_range = (-INF, 0)
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"beta": 1.0}
    def sigma(self, z):
        b = mp.mpf(self.beta)
        return mp.log1p(mp.exp(b * z)) / b
    def dsigma(self, z): return 1 / (1 + mp.exp(-mp.mpf(self.beta) * z))
    def psi(self, x):
        b = mp.mpf(self.beta)
        if x < 0:
            return INF
        return (_li2(mp.exp(-b * x)) - mp.pi ** 2 / 6) / (b * b)
    def psi_prime(self, x):
        b = mp.mpf(self.beta)
        return mp.log(-mp.expm1(-b * x)) / b
    def phi_star(self, z):
        b = mp.mpf(self.beta)
        return -_li2(-mp.exp(b * z)) / (b * b)
    def psi_star(self, y):
        b = mp.mpf(self.beta)
        return _li2(mp.exp(b * y)) / (b * b) if y <= 0 else INF


class LogSigmoid(MpSep):
    name = "log_sigmoid"
    domain = (-INF, 0)
    closed = (False, True)
    dual_range = (0, INF)
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"beta": 1.0}
    def sigma(self, z):
        b = mp.mpf(self.beta)
        return -mp.log1p(mp.exp(-b * z)) / b
    def dsigma(self, z): return 1 / (1 + mp.exp(mp.mpf(self.beta) * z))
    def psi(self, x):
        b = mp.mpf(self.beta)
        if x > 0:
            return INF
        return (_li2(mp.exp(b * x)) - mp.pi ** 2 / 6) / (b * b)
    def psi_prime(self, x):
        b = mp.mpf(self.beta)
        return -mp.log(-mp.expm1(b * x)) / b
    def phi_star(self, z):
        b = mp.mpf(self.beta)
        return -_li2(-mp.exp(-b * z)) / (b * b)
    def psi_star(self, y):
        b = mp.mpf(self.beta)
        return _li2(mp.exp(-b * y)) / (b * b) if y >= 0 else INF


# ------------------------------------------------------------------------- clipping
class HardTanh(MpSep):
    name = "hard_tanh"
    closed = (True, True)
    has_prox_closed = True
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"lo": -1.0, "hi": 1.0}
    @property
    def domain(self): return (self.lo, self.hi)
    @property
    def closed(self): return (not mp.isinf(self.lo), not mp.isinf(self.hi))
    @property
    def kinks(self): return tuple(v for v in (self.lo, self.hi) if not mp.isinf(v))
    def dom(self):
        return tuple(mp.mpf(v) for v in self.domain)
    def sigma(self, z): return min(max(z, mp.mpf(self.lo)), mp.mpf(self.hi))
    def dsigma(self, z): return mp.mpf(1) if self.lo < z < self.hi else mp.mpf(0)
    def psi(self, x): return mp.mpf(0) if self.lo <= x <= self.hi else INF
    def psi_prime(self, x): return mp.mpf(0)
    def phi_star(self, z):
        c = self.sigma(z)
        return c * z - c * c / 2
    def psi_star(self, y):
        up = mp.mpf(self.hi) * y if y > 0 else mp.mpf(0)
        down = mp.mpf(self.lo) * y if y < 0 else mp.mpf(0)
        return up + down
    def prox(self, z, t): return self.sigma(z)


class HardSigmoid(MpSep):
    name = "hard_sigmoid"
    domain = (0, 1)
    closed = (True, True)
    has_prox_closed = True
    has_psi_star_closed = True

    @staticmethod
    def defaults(): return {"slope": 0.25}
    @property
    def kinks(self):
        return (-0.5 / self.slope, 0.5 / self.slope)
    def sigma(self, z): return min(max(mp.mpf(self.slope) * z + mp.mpf(0.5), 0), 1)
    def dsigma(self, z):
        v = mp.mpf(self.slope) * z + mp.mpf(0.5)
        return mp.mpf(self.slope) if 0 < v < 1 else mp.mpf(0)
    def psi(self, x):
        if x < 0 or x > 1:
            return INF
        s = mp.mpf(self.slope)
        return (x - mp.mpf(0.5)) ** 2 / (2 * s) - (x * x - mp.mpf(0.25)) / 2
    def psi_prime(self, x):
        s = mp.mpf(self.slope)
        return (x - mp.mpf(0.5)) / s - x
    def phi_star(self, z):
        s = mp.mpf(self.slope)
        v = s * z + mp.mpf(0.5)
        k = (1 + 1 / s) / 8
        if v <= 0:
            return -k
        if v >= 1:
            return z - k
        return s * z * z / 2 + z / 2 - mp.mpf(1) / 8
    def psi_star(self, y):
        # sup over x in [0, 1] of x y - psi(x), a concave quadratic in x: at the clipped stationary point
        s = mp.mpf(self.slope)
        kap = 1 / s - 1
        # psi'(x) = y  <=>  (x - 1/2)/s - x = y  <=>  x = 1/2 + (y + 1/2)/kap
        if kap == 0:
            x = mp.mpf(1) if y + mp.mpf(0.5) > 0 else mp.mpf(0)
        else:
            x = min(max(mp.mpf(0.5) + (y + mp.mpf(0.5)) / kap, 0), 1)
        return x * y - self.psi(x)
    def prox(self, z, t):
        s = mp.mpf(self.slope)
        t = mp.mpf(t)
        # z - x = t psi'(x) on (0, 1): x (1 + t kap) = z + t/(2s), clipped (psi' = (x-1/2)/s - x)
        x = (z + t / (2 * s)) / (1 + t * (1 / s - 1))
        return min(max(x, 0), 1)


class BentIdentity(MpSep):
    name = "bent_identity"
    domain = (-0.5, INF)
    closed = (False, False)
    dual_range = (-INF, 0.5)

    def sigma(self, z): return (z + mp.sqrt(z * z + 1) - 1) / 2
    def dsigma(self, z): return (1 + z / mp.sqrt(z * z + 1)) / 2
    def psi(self, x):
        if x <= -0.5:
            return INF
        return x / 2 - mp.log1p(2 * x) / 4
    def psi_prime(self, x): return mp.mpf(0.5) - 1 / (2 * (1 + 2 * x))
    def phi_star(self, z):
        r = mp.sqrt(z * z + 1)
        return (z * z + z * r + mp.asinh(z)) / 4 - z / 2


class Identity(MpSep):
    name = "identity"
    dual_range = (0, 0)
    has_prox_closed = True
    has_psi_star_closed = True

    def sigma(self, z): return z
    def dsigma(self, z): return mp.mpf(1)
    def psi(self, x): return mp.mpf(0)
    def psi_prime(self, x): return mp.mpf(0)
    def phi_star(self, z): return z * z / 2
    def psi_star(self, y): return mp.mpf(0) if y == 0 else INF
    def prox(self, z, t): return z


# ------------------------------------------------------------------------- shrinkage
def _tanhshrink(u):
    """:math:`u - \\tanh u` with the digits its cancellation costs near 0 (:math:`\\approx u^3/3`) added."""
    if u == 0:
        return mp.mpf(0)
    extra = max(0, -2 * int(mp.mag(u)) * 30103 // 100000) + 10
    with mp.workdps(mp.mp.dps + extra):
        v = u - mp.tanh(u)
    return +v


class TanhShrink(MpSep):
    r"""Tanhshrink :math:`\sigma(u) = u - \tanh u` (:math:`\sigma' = \tanh^2 u`), :math:`\operatorname{dom}\psi = \mathbb R`.

    :math:`\sigma^{-1}(x)` is the root of :math:`u - \tanh u = x` (:func:`~hp_reference.engine.solve_increasing`
    in :math:`[\sqrt[3]{3|x|}, |x| + 1]`: :math:`u^3/3 \ge u - \tanh u \ge u - 1` on :math:`u \ge 0`);
    :math:`\psi(x) = \int_0^x (\sigma^{-1}(s) - s)\,ds = \int_0^u \tanh^3 v\,dv
    = \log\cosh u - \tfrac12\tanh^2 u` (substituting :math:`s = \sigma(v)`, :math:`ds = \tanh^2 v\,dv`,
    :math:`\sigma^{-1}(s) - s = \tanh v`; checked against the quadrature of the first integral in
    :meth:`self_check`); :math:`\phi^*(z) = \int_0^z \sigma = \tfrac12z^2 - \log\cosh z`;
    :math:`\psi^* = \psi_{\tanh}` (Theorem 7: :math:`\sigma = \mathrm{id} - \tanh`).
    """
    name = "tanhshrink"
    dual_range = (-1, 1)
    has_psi_star_closed = True

    def sigma(self, z): return _tanhshrink(z)
    def dsigma(self, z): return mp.tanh(z) ** 2
    def inverse(self, x):
        from .engine import solve_increasing
        if x == 0:
            return mp.mpf(0)
        a = abs(x)
        lo, hi = mp.cbrt(3 * a), a + 1
        u = solve_increasing(self.sigma, self.dsigma, a, lo, hi)
        return u if x > 0 else -u
    def psi(self, x):
        u = self.inverse(x)
        w = mp.tanh(u) ** 2
        return (-mp.log1p(-w) - w) / 2 if w < mp.mpf(1) / 2 else mp.log(mp.cosh(u)) - w / 2
    def psi_prime(self, x): return mp.tanh(self.inverse(x))
    def phi_star(self, z): return z * z / 2 - mp.log(mp.cosh(z))
    def psi_star(self, y):
        if abs(y) > 1:
            return INF
        a = (1 + y) * mp.log(1 + y) if y > -1 else mp.mpf(0)
        b = (1 - y) * mp.log(1 - y) if y < 1 else mp.mpf(0)
        return (a + b - y * y) / 2

    def self_check(self, xs=(0.001, 0.3, 2.0, -7.0)):
        """psi by the quadrature of its definition :math:`\int_0^x (\sigma^{-1}(s) - s)\,ds` equals the closed form (30 digits)."""
        with mp.workdps(40):
            for x in xs:
                x = mp.mpf(x)
                q = mp.quad(lambda s: self.inverse(s) - s, [0, x])
                assert abs(q - self.psi(x)) <= mp.mpf(10) ** -30 * abs(q), (x, q, self.psi(x))


SEPARABLE = {c.name: c for c in (
    Tanh, Sigmoid, UnimodalSigmoid, Arctan, Asinh, Softsign, LogActivation, ISRU,
    ReLU, LeakyReLU, ELU, ISRLU, CELU, SoftThreshold, NonnegSoftThreshold,
    Softplus, LogSigmoid, HardTanh, HardSigmoid, BentIdentity, Identity, TanhShrink)}

#: the non-default parameter value recorded for each parametrised activation
EXTRA_PARAMS = {
    "arctan": {"scale": 1.0},
    "isru": {"alpha": 0.25},
    "leaky_relu": {"slope": 0.5},
    "elu": {"alpha": 0.5},
    "isrlu": {"a": 4.0},
    "celu": {"alpha": 2.0},
    "soft_threshold": {"alpha": 0.5},
    "nonneg_soft_threshold": {"alpha": 0.5},
    "softplus": {"beta": 2.0},
    "log_sigmoid": {"beta": 2.0},
    "hard_tanh": {"lo": -0.5, "hi": 2.0},
    "hard_sigmoid": {"slope": 0.2},
}
