r"""Compiled :math:`\sigma` and :math:`\operatorname{prox}_{t\psi}`, :math:`0 < t \le 1`, of the smooth separable activations (eq. (9), Remark 2; the x-update (17b)).

Algorithm 1's x-update (17b) needs :math:`\operatorname{prox}_{s\psi}` of a hidden layer's activation at the
step :math:`s = t\lambda_j/(1 + t\lambda_j) \in (0, 1)` only (:func:`bregnet.lifted.prox_layer`), and the
residuals need :math:`\sigma = \operatorname{prox}_\psi`.  For an increasing :math:`\sigma` with
:math:`0 \le \sigma' \le 1` (tanh, sigmoid, softplus, ELU, softsign, arctan with scale :math:`c \le 1`, asinh, ISRU,
CELU, log-sigmoid, ISRLU, bent identity, unimodal sigmoid, log activation, tanhshrink; :math:`g' \ge s > 0` below
even where :math:`\sigma' = 0`, tanhshrink at 0) the prox is :math:`x = \sigma(u^*)` where
:math:`u^*` is the root of

.. math::  g(u) = s\,u + (1 - s)\,\sigma(u) = w

(:func:`bregnet.activations.base.prox_step_from_sigma`: :math:`w - x = s(u^* - x) \in s\,\partial\psi(x)`
by Remark 2).  For :math:`s \le 1`, :math:`g` is strictly increasing with slope
:math:`s + (1-s)\sigma'(u) \in [s, 1]`, and no term of :math:`g` cancels: :math:`s u` and
:math:`(1-s)\sigma(u)` are computed to a relative :math:`\varepsilon` each, so the float64 root is within a
few ulps of :math:`u^*` relative to :math:`\max(|w|, s|u^*|)/g'(u^*)`, and :math:`x = \sigma(u^*)` to a few
ulps except where :math:`x` is exponentially small (sigmoid, softplus at :math:`w \to -\infty`, log-sigmoid at
:math:`w \to \infty`: :math:`|x| \approx e^{-|w|/s}`, relative error :math:`\approx\varepsilon|w|/s \le 745\varepsilon`
before :math:`x` underflows) and where :math:`\sigma` is flat (tanhshrink, :math:`\sigma(u) \approx u^3/3` at 0,
triples the root's stopping tolerance: within 32 ulps).  This is the form whose :math:`t > 1` counterpart cancels (:math:`s(u - \sigma(u))`,
the reason the NumPy twin :func:`~bregnet.activations.base.prox_step_from_psi_prime` solves for :math:`x`
instead); for :math:`s \le 1` both find the same root to rounding, which the tests check at
:math:`s \in \{10^{-18}, 10^{-12}, 10^{-6}, 0.5, 1 - 10^{-9}\}` and :math:`|w|` up to :math:`10^8`.
:math:`s > 1` is refused.

Root finding (:func:`prox_scalar`, one element): from :math:`u = w`, where :math:`|u^* - w| \le |g(w) - w|/s`,
safeguarded Newton (a step leaving the bracket is replaced by bisection), stopping at a relative change of
:math:`4\varepsilon` or a bracket of that width.  The array kernels :func:`tanh_prox_into`,
:func:`sigmoid_prox_into`, :func:`elu_prox_into` and :func:`softplus_prox_into` (the ones Algorithm 1 calls) run Halley's method from a
bound of the root in passes that LLVM vectorises, certify each element by the size of Newton's step, and leave
the few uncertified ones (extreme steps, non-finite input) to :func:`prox_scalar`.

The scalar functions (float64 in, float64 out) are the compiled twins of each class's ``_sigma``
(:class:`~bregnet.activations.sigmoids.Tanh`, :class:`~bregnet.activations.sigmoids.Sigmoid`,
:class:`~bregnet.activations.softplus.Softplus`, :class:`~bregnet.activations.rectifiers.ELU`, and the generic codes
``SOFTSIGN`` ... ``TANHSHRINK``: the same formulas, the same clipping inside an open domain of :math:`\psi`);
``beta`` is the parameter (softplus and log-sigmoid :math:`\beta`, ELU, CELU and ISRU :math:`\alpha`, arctan
its scale, ISRLU :math:`a`; ignored by the others).  CELU and log-sigmoid are evaluated as their classes do, by the
dilation :math:`\alpha\,\mathrm{ELU}_1(\cdot/\alpha)` and the reflection :math:`-\mathrm{softplus}_\beta(-\cdot)`,
so they use the vectorised ELU and softplus kernels (:func:`celu_prox_into`, :func:`log_sigmoid_prox_into`);
softsign and the bent identity use their classes' closed-form prox (:func:`softsign_prox_into`,
:func:`bent_identity_prox_into`) instead of the root finder.
ISRU's :math:`\sigma(\pm\infty)` is the limit :math:`\pm1/\sqrt\alpha`, as in
:class:`~bregnet.activations.sigmoids.ISRU`.

>>> x = prox_scalar(TANH, 0.0, 0.8, 0.5)          # 0.8 - x = 0.5 (artanh x - x)
>>> import math
>>> abs(0.8 - x - 0.5 * (math.atanh(x) - x)) < 1e-15
True
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["TANH", "SIGMOID", "SOFTPLUS", "ELU", "SOFTSIGN", "ARCTAN", "ASINH", "ISRU", "CELU", "LOG_SIGMOID",
           "ISRLU", "BENT_IDENTITY", "UNIMODAL_SIGMOID", "LOG_ACTIVATION", "TANHSHRINK", "SMOOTH_CODES", "sigma_scalar",
           "sigma_prime_scalar",
           "prox_scalar", "tanh_fast", "tanh_into", "tanh_prox_into", "sigmoid_prox_into", "elu_prox_into",
           "softplus_prox_into", "sigmoid_into", "elu_into", "softplus_into", "celu_into", "celu_prox_into",
           "log_sigmoid_into", "log_sigmoid_prox_into", "softsign_prox_into", "bent_identity_prox_into"]

#: kernel codes of the smooth activations (the lifted kernels' ``_prox_scalar`` codes; 20 is lifted's softmax)
TANH, SIGMOID, SOFTPLUS, ELU = 7, 8, 9, 10
#: the generic ones (compiled sigma, sigma' and the safeguarded Newton of prox_scalar; CELU and log-sigmoid by the
#: dilation / reflection of ELU and softplus, as their classes)
SOFTSIGN, ARCTAN, ASINH, ISRU, CELU, LOG_SIGMOID, ISRLU, BENT_IDENTITY, UNIMODAL_SIGMOID = range(11, 20)
LOG_ACTIVATION, TANHSHRINK = 21, 22
SMOOTH_CODES = (TANH, SIGMOID, SOFTPLUS, ELU, SOFTSIGN, ARCTAN, ASINH, ISRU, CELU, LOG_SIGMOID, ISRLU,
                BENT_IDENTITY, UNIMODAL_SIGMOID, LOG_ACTIVATION, TANHSHRINK)

_EPS = 2.220446049250313e-16


@njit(cache=True)
def _expit(u):
    # 1 / (1 + e^{-u}) without overflow (scipy.special.expit)
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


#: z cosh z - sinh z = z^3 sum_j d_j z^{2j}, d_j = 2(j+1)/(2j+3)! (tanhshrink's series, j < 16: tanhshrink._ZCOSH_MINUS_SINH)
_ZCOSH_MINUS_SINH = tuple(2.0 * (j + 1) / math.factorial(2 * j + 3) for j in range(16))
_ONE_BELOW = 0.9999999999999999          # the float below 1 (softsign's inner edge: Softsign._clip)
_ABOVE_MINUS_HALF = -0.49999999999999994  # the float above -1/2 (bent identity: clipping._above_minus_half)


@njit(cache=True)
def _arctan_edge(c):
    # ScaledArctan's inner edge (sigmoids._inner_edge): the largest float <= c pi/2 where psi is finite,
    # i.e. th = x/c <= pi/2 and cos(th) > 0
    e = c * 0.5 * math.pi
    for _ in range(256):
        th = e / c
        if th <= 0.5 * math.pi and math.cos(th) > 0.0:
            break
        e = np.nextafter(e, 0.0)
    return e


@njit(cache=True)
def _isru_edge(alpha):
    # ISRU's inner edge: the largest float <= 1/sqrt(alpha) with alpha x^2 <= 1
    e = 1.0 / math.sqrt(alpha)
    for _ in range(256):
        if alpha * e * e <= 1.0:
            break
        e = np.nextafter(e, 0.0)
    return e


@njit(cache=True)
def _clip_sym(s, e):
    # clip s to [-e, e] (NaN stays NaN)
    if s > e:
        return e
    if s < -e:
        return -e
    return s


@njit(cache=True)
def sigma_scalar(code, beta, u):
    r""":math:`\sigma(u)` of the smooth activation ``code`` (twins: the classes' ``_sigma``, same formulas).

    tanh; sigmoid :math:`1/(1+e^{-u})`; softplus :math:`\operatorname{logaddexp}(0, \beta u)/\beta`
    (:math:`\max(0, v) + \log(1 + e^{-|v|})`, :math:`v = \beta u`); ELU :math:`u` (:math:`u > 0`),
    :math:`\alpha(e^u - 1)` otherwise; softsign :math:`u/(1+|u|)`; arctan :math:`c\arctan u`; asinh; ISRU
    :math:`u/\sqrt{1+\alpha u^2}`; CELU :math:`\alpha\,\mathrm{ELU}_1(u/\alpha)`; log-sigmoid
    :math:`-\mathrm{softplus}_\beta(-u)`; ISRLU (ISRU on :math:`u < 0`, :math:`u` beyond); bent identity
    :math:`(u + \sqrt{u^2+1} - 1)/2`; unimodal sigmoid :math:`\tfrac12\tanh(u/2)`; log activation
    :math:`\operatorname{sign}(u)\log(1+|u|)`.  Open domains of :math:`\psi` (softsign, arctan, ISRU, bent identity)
    are kept as the classes do: the result is clipped to the last float where :math:`\psi` is finite.

    >>> sigma_scalar(SIGMOID, 0.0, 0.0), sigma_scalar(ELU, 0.5, 2.0), sigma_scalar(SOFTSIGN, 0.0, 3.0)
    (0.5, 2.0, 0.75)
    """
    if code == TANH:
        return math.tanh(u)
    if code == SIGMOID:
        return _expit(u)
    if code == SOFTPLUS:
        v = beta * u
        return (max(v, 0.0) + math.log1p(math.exp(-abs(v)))) / beta
    if code == ELU:
        if u > 0.0:
            return u
        return beta * math.expm1(u)
    if code == CELU:                                      # alpha ELU_1(u / alpha), as Transformed
        v = (1.0 / beta) * u
        return beta * (v if v > 0.0 else math.expm1(v))
    if code == LOG_SIGMOID:                               # -softplus_beta(-u)
        v = beta * -u
        return -((max(v, 0.0) + math.log1p(math.exp(-abs(v)))) / beta)
    if u != u:
        return u
    if code == SOFTSIGN:
        s = math.copysign(1.0, u) if math.isinf(u) else u / (1.0 + abs(u))     # prox: _softsign_prox
        return _clip_sym(s, _ONE_BELOW)
    if code == ARCTAN:
        s = beta * math.atan(u)
        if abs(s) >= (beta * 0.5 * math.pi) * (1.0 - 1e-13):
            s = _clip_sym(s, _arctan_edge(beta))
        return s
    if code == ASINH:
        return math.asinh(u)
    if code == ISRU:
        # the limit at +-inf is +-1/sqrt(alpha), as the class's, then clipped inside the range
        s = math.copysign(1.0 / math.sqrt(beta), u) if math.isinf(u) else u / math.hypot(1.0, math.sqrt(beta) * u)
        if abs(s) * math.sqrt(beta) >= 1.0 - 1e-13:
            s = _clip_sym(s, _isru_edge(beta))
        return s
    if code == ISRLU:
        if u >= 0.0:
            return u
        if math.isinf(u):
            return -1.0 / math.sqrt(beta)
        return u / math.hypot(1.0, math.sqrt(beta) * u)
    if code == BENT_IDENTITY:
        # (u + r - 1)/2 = u (1 + q)/(2 (r + 1)), r = sqrt(u^2 + 1), q = u + r (clipping.BentIdentity._sigma)
        if math.isinf(u):
            return u if u > 0.0 else _ABOVE_MINUS_HALF
        r = math.hypot(u, 1.0)
        if u >= 0.0:
            return (0.5 * u) * (1.0 + u / (r + 1.0))
        q = 1.0 / (math.hypot(u, 1.0) - u)
        return max((u / (r + 1.0)) * (0.5 * (1.0 + q)), _ABOVE_MINUS_HALF)
    if code == UNIMODAL_SIGMOID:
        return 0.5 * math.tanh(0.5 * u)
    if code == LOG_ACTIVATION:
        return math.copysign(math.log1p(abs(u)), u) if u != 0.0 else 0.0 * u
    if code == TANHSHRINK:
        # u - tanh u: by its positive series z^3 sum_j d_j z^{2j} / cosh z below |u| = 3/2 (tanhshrink.tanhshrink)
        if abs(u) < 1.5:
            u2 = u * u
            acc = 0.0
            for j in range(15, -1, -1):
                acc = acc * u2 + _ZCOSH_MINUS_SINH[j]
            return u * u * u * acc / math.cosh(u)
        return u - math.tanh(u)
    return math.nan


@njit(cache=True)
def sigma_prime_scalar(code, beta, u):
    r""":math:`\sigma'(u) \in [0, 1]` (twins: the classes' ``_sigma_prime``).

    >>> sigma_prime_scalar(TANH, 0.0, 0.0), sigma_prime_scalar(SOFTPLUS, 1.0, 0.0), sigma_prime_scalar(ASINH, 0.0, 0.0)
    (1.0, 0.5, 1.0)
    """
    if code == TANH:
        th = math.tanh(u)
        return 1.0 - th * th
    if code == SIGMOID:
        return _expit(u) * _expit(-u)
    if code == SOFTPLUS:
        return _expit(beta * u)
    if code == ELU:
        if u > 0.0:
            return 1.0
        return beta * math.exp(u)
    if code == CELU:
        v = (1.0 / beta) * u
        return 1.0 if v > 0.0 else math.exp(v)
    if code == LOG_SIGMOID:
        return _expit(-beta * u)
    if code == SOFTSIGN:
        d = 1.0 + abs(u)
        return 1.0 / d / d
    if code == ARCTAN:
        return beta / (1.0 + u * u)
    if code == ASINH:
        return 1.0 / math.hypot(1.0, u)
    if code == ISRU:
        h = math.hypot(1.0, math.sqrt(beta) * u)
        return 1.0 / (h * h * h)
    if code == ISRLU:
        if u >= 0.0:
            return 1.0
        h = math.hypot(1.0, math.sqrt(beta) * u)
        return 1.0 / (h * h * h)
    if code == BENT_IDENTITY:
        r = math.hypot(u, 1.0)
        q = u + r if u >= 0.0 else 1.0 / (math.hypot(u, 1.0) - u)
        return q / (2.0 * r)
    if code == UNIMODAL_SIGMOID:
        e = math.exp(-abs(u))
        return e / ((1.0 + e) * (1.0 + e))
    if code == LOG_ACTIVATION:
        return 1.0 / (1.0 + abs(u))
    if code == TANHSHRINK:
        th = math.tanh(u)
        return th * th
    return math.nan


@njit(cache=True)
def prox_scalar(code, beta, w, t):
    r""":math:`\operatorname{prox}_{t\psi}(w)` for :math:`0 < t \le 1`: :math:`\sigma(u^*)`, :math:`t u^* + (1-t)\sigma(u^*) = w` (module docstring).

    Twin: ``activation.prox(w, step=t)`` (:func:`~bregnet.activations.base.prox_step_from_psi_prime`).
    NaN stays NaN; :math:`\pm\infty` give :math:`\sigma(\pm\infty)`.  Raises ``ValueError`` for ``t > 1``.

    >>> prox_scalar(SIGMOID, 0.0, 0.5, 1.0) == sigma_scalar(SIGMOID, 0.0, 0.5)
    True
    """
    if t == 1.0 or w != w or math.isinf(w):
        return sigma_scalar(code, beta, w)
    if not t < 1.0:
        raise ValueError("prox_scalar: the compiled smooth prox needs a step 0 < t <= 1")
    if code == CELU:                 # alpha prox_(t psi_ELU_1)(w / alpha) (the dilation rule, as Transformed)
        return beta * _prox_root(ELU, 1.0, (1.0 / beta) * w, t)
    if code == LOG_SIGMOID:          # -prox_(t psi_softplus)(-w) (the reflection)
        return -_prox_root(SOFTPLUS, beta, -w, t)
    if code == SOFTSIGN:             # the closed forms of the classes' _prox_step
        return _softsign_prox(w, t)
    if code == BENT_IDENTITY:
        return _bent_identity_prox(w, t)
    return _prox_root(code, beta, w, t)


@njit(cache=True, inline="always")
def _softsign_prox(w, t):
    # Softsign._prox_step: the root of (t - 1) x^2 + (1 + a) x - a = 0, a = |w|, as 2a/(1 + a + h),
    # h = hypot(1 - a, 2 sqrt(t) sqrt(a)) (no cancellation), divided through by a for a > 1; clipped inside |x| < 1
    if w != w:
        return w
    a = abs(w)
    rt = math.sqrt(t)
    if a <= 1.0:
        x = 2.0 * a / (1.0 + a + math.hypot(1.0 - a, 2.0 * rt * math.sqrt(a)))
    else:
        inv = 1.0 / a
        x = 2.0 / (inv + 1.0 + math.hypot(inv - 1.0, 2.0 * rt * math.sqrt(inv)))
    return _clip_sym(math.copysign(x, w), _ONE_BELOW)


@njit(cache=True, inline="always")
def _bent_identity_prox(w, t):
    # BentIdentity._prox_step: x = (v - 1)/2, v = beta + sqrt(beta^2 + t), beta = w + (1 - t)/2, as w/(1 + t/v)
    # (beta >= 0) or (w/2)/(1/2 + (h - beta)/2 ...) (beta < 0), halved against overflow; kept above -1/2
    if w != w:
        return w
    if math.isinf(w):
        return w if w > 0.0 else _ABOVE_MINUS_HALF
    hb = 0.5 * w + 0.25 * (1.0 - t)                      # beta / 2
    hh = math.hypot(hb, 0.5 * math.sqrt(t))              # h / 2
    if hb >= 0.0:
        x = w / (1.0 + (0.5 * t) / (hb + hh))
    else:
        x = (0.5 * w) / (0.5 + (hh - hb))
    return max(x, _ABOVE_MINUS_HALF)


@njit(cache=True)
def _prox_root(code, beta, w, t):
    # prox_scalar for finite w and 0 < t < 1: the safeguarded Newton of the module docstring
    c = 1.0 - t
    r0 = c * (sigma_scalar(code, beta, w) - w)            # g(w) - w
    if r0 == 0.0:
        return sigma_scalar(code, beta, w)
    rad = abs(r0) / t
    rad = rad * (1.0 + 1e-6) + 1e-300
    lo = w - rad
    hi = w + rad
    u = w
    for _ in range(400):
        r = t * u + c * sigma_scalar(code, beta, u) - w
        if r == 0.0:
            break
        if r > 0.0:
            hi = u
        else:
            lo = u
        d = t + c * sigma_prime_scalar(code, beta, u)
        un = u - r / d
        if not (lo < un < hi):
            un = 0.5 * (lo + hi)
        tol = 4.0 * _EPS * max(abs(un), 1e-300)
        if abs(un - u) <= tol or hi - lo <= 4.0 * _EPS * max(abs(lo), abs(hi), 1e-300):
            u = un
            break
        u = un
    return sigma_scalar(code, beta, u)


# ----------------------------------------------------------------------------- tanh, vectorisable
# The fused loops of Algorithm 1 evaluate tanh some 30 000 times per sweep (784-64-64-10, B = 100); libm's scalar
# tanh (17 ns per call here) would cost more than the whole ReLU epoch.  tanh_fast is plain arithmetic, so that
# LLVM vectorises the loops that call it: tanh|z| = -m/(2 + m), m = expm1(-2|z|), with expm1 by Cody-Waite
# reduction x = k log 2 + r, |r| <= log(2)/2, Taylor to r^14/14! (truncation below 1e-19 relative), and
# expm1(x) = 2^k expm1(r) + (2^k - 1) (both terms exact but the last addition).  Accuracy: a few ulps
# (the tests compare with np.tanh and with mpmath); |z| > 20 gives +-1, as tanh rounds to there.
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01        # log 2 split so that k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10
_TANH_ONE = 20.0                            # tanh z rounds to 1 for z > 19.1


@intrinsic
def _pow2(typingctx, k):
    """2.0**k for an int64 ``k`` in the normal range, by writing the exponent bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        biased = builder.add(args[0], ir.Constant(ir.IntType(64), 1023))
        bits = builder.shl(biased, ir.Constant(ir.IntType(64), 52))
        return builder.bitcast(bits, ir.DoubleType())
    return sig, codegen


@njit(cache=True, inline="always")
def _expm1_reduced(x):
    # (p, 2^k) with expm1(x) = 2^k p + (2^k - 1) and exp(x) = 2^k (p + 1), for -708 <= x <= 0 (2^k normal)
    k = np.int64(x * _INV_LN2 - 0.5)             # round(x / log 2) (x <= 0: truncation of y - 1/2)
    kf = np.float64(k)
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 87178291200.0
    p = p * r + 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = (p * r) * r + r                          # expm1(r)
    return p, _pow2(k)


@njit(cache=True, inline="always")
def _expm1_nonpos(x):
    # expm1(x) for -2 * _TANH_ONE <= x <= 0
    p, two_k = _expm1_reduced(x)
    return two_k * p + (two_k - 1.0)


@njit(cache=True, inline="always")
def tanh_fast(z):
    r""":math:`\tanh z` (float64) to a few ulps, by vectorisable arithmetic only (see the section comment).

    >>> tanh_fast(0.5) == __import__("math").tanh(0.5) or abs(tanh_fast(0.5) - __import__("math").tanh(0.5)) < 1e-16
    True
    """
    a = abs(z)
    m = _expm1_nonpos(-2.0 * min(a, _TANH_ONE))
    th = -m / (2.0 + m)
    th = 1.0 if a > _TANH_ONE else th
    return math.copysign(th, z)


#: the loops that call tanh_fast: no ZeroDivisionError check (it blocks vectorisation; no divisor here is 0),
#: fused multiply-add allowed (rounding only)
_VEC = dict(cache=True, error_model="numpy", fastmath={"contract"})


@njit(**_VEC)
def tanh_into(Z, out):
    """``out = tanh(Z)`` elementwise (2-D, any float dtype; computed in float64), by :func:`tanh_fast`."""
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            out[i, k] = tanh_fast(np.float64(Z[i, k]))


# ----------------------------------------------------------------------------- tanh prox, vectorisable
# prox_{t psi}(w) of tanh, 0 < t < 1: x = sign(w) tanh u*, u* >= 0 the root of f(u) = t u + c tanh u - |w|, c = 1 - t.
# With E = e^{-2u}, N = 1 - E (= -expm1(-2u), no cancellation), D = 1 + E:  tanh u = N/D, 1 - tanh^2 u = 4E/D^2, so
#   f = F/D,  f' = P/D^2,  f'' = -2c tanh u (1 - tanh^2 u),   F = D(t u - |w|) + c N,  P = t D^2 + 4cE,
# and Halley's step f f'/(f'^2 - f f''/2) = F P D / (P^2 + 4cNEF), Newton's step f/f' = F D/P: one division each
# (besides the exponential).  E is kept down to e^{-700} (u <= _U_EXP), so that f' = t + c(1 - tanh^2 u) stays right
# when t is tiny, where tanh u itself has rounded to 1.
_U_EXP = 350.0
#: Halley passes over the whole array per round (from the lower bound max(|w|, (|w| - c)/t) of the root)
_HALLEY_PASSES = 2
#: an element is done when its Newton step is at most this times u (then x is first-order corrected: error <= 2 step^2)
_STEP_TOL = 2.0 ** -27
#: rounds of (Halley passes, check) while more than 1/_FEW_LEFT of the elements are left; then one by one
_ROUNDS, _FEW_LEFT = 3, 32


@njit(cache=True, inline="always")
def _tanh_parts(u):
    # (N, D, E) of the section comment for u >= 0: tanh u = N/D, 1 - tanh^2 u = 4E/D^2, E = e^{-2u} (0 beyond _U_EXP)
    p, two_k = _expm1_reduced(-2.0 * min(max(u, 0.0), _U_EXP))
    m = two_k * p + (two_k - 1.0)
    e = two_k * p + two_k
    return -m, 2.0 + m, (0.0 if u > _U_EXP else e)


@njit(cache=True, inline="always")
def _tanh_halley(u, a, t, c):
    # one Halley step on f(u) = t u + c tanh u - a
    N, D, E = _tanh_parts(u)
    F = D * (t * u - a) + c * N
    P = t * D * D + 4.0 * c * E
    return u - F * P * D / (P * P + 4.0 * c * N * E * F)


@njit(**_VEC)
def _tanh_halley_pass(V, U, todo, t, c, first, shift=0.0, scale=1.0):
    # U <- Halley step of U on t u + c tanh u = a, a = scale |V - shift|, where todo (first: from the lower bound
    # max(a/(t + c), (a - c)/t) of the root: t u + c tanh u <= min((t + c) u, t u + c) on u >= 0)
    inv_t = 1.0 / t
    inv_tc = 1.0 / (t + c)
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            a = scale * abs(np.float64(V[i, k]) - shift)
            u = max(a * inv_tc, (a - c) * inv_t) if first else U[i, k]
            un = _tanh_halley(u, a, t, c)
            U[i, k] = un if todo[i, k] else U[i, k]


@njit(**_VEC)
def _tanh_check_pass(V, U, todo, t, c):
    # where todo and the Newton step at U is <= _STEP_TOL U: V <- sign(V) (tanh u - (1 - tanh^2 u) f/f'), done
    left = 0
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            w = np.float64(V[i, k])
            u = U[i, k]
            N, D, E = _tanh_parts(u)
            F = D * (t * u - abs(w)) + c * N
            P = t * D * D + 4.0 * c * E
            ok = todo[i, k] & (abs(F) * D <= _STEP_TOL * u * P)
            x = (N * P - 4.0 * E * F) / (D * P)
            V[i, k] = math.copysign(x, w) if ok else V[i, k]
            still = todo[i, k] & (not ok)
            todo[i, k] = still
            left += still
    return left


@njit(**_VEC)
def _sigmoid_check_pass(V, U, todo, t, c):
    # sigmoid (u = 2v): v = U, t v + (c/4) tanh v = |w - c/2|/2; x = 1/2 (1 +- tanh(v + delta)), delta Newton's step,
    # as (D + 2E delta)/D^2 (w >= c/2) or E (D - 2 delta)/D^2 (no cancellation where x is exponentially small)
    q = 0.25 * c
    left = 0
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            w = np.float64(V[i, k])
            v = U[i, k]
            N, D, E = _tanh_parts(v)
            # F = D (t v - |w - c/2|/2) + (c/4) N, with w - c/2 not formed (it cancels where x is small)
            pos = w >= 0.5 * c
            F = D * (t * v - 0.5 * w) + 0.5 * c if pos else D * (t * v + 0.5 * w) - 0.5 * c * E
            P = t * D * D + 4.0 * q * E
            ok = todo[i, k] & (abs(F) * D <= _STEP_TOL * v * P)
            d = -F * D / P
            x = (D + 2.0 * E * d) / (D * D) if pos else E * (D - 2.0 * d) / (D * D)
            V[i, k] = x if ok else V[i, k]
            still = todo[i, k] & (not ok)
            todo[i, k] = still
            left += still
    return left


@njit(cache=True)
def tanh_prox_into(V, t):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of tanh in place, :math:`0 < t < 1` (the x-update's step).

    :math:`x = \operatorname{sign}(w)\tanh u^*`, :math:`u^* \ge 0` the root of :math:`f(u) = t u + (1-t)\tanh u - |w|`.
    From :math:`u_0 = \max(|w|, (|w| - 1 + t)/t) \le u^*` (:math:`f(u) \le \min(u, tu + 1 - t) - |w|` on
    :math:`u \ge 0`), ``_HALLEY_PASSES`` Halley steps (cubic convergence; :math:`f'' = -2(1-t)\tanh u\,(1-\tanh^2 u)`
    is free once :math:`\tanh u` is known) in passes over the whole array that LLVM vectorises, one division per
    element and pass (section comment).  Then a check pass: where Newton's step :math:`\delta = -f/f'` is at most
    :math:`2^{-27}u`, the root is :math:`u + \delta` to :math:`\le \delta^2` (:math:`|f''/f'| \le 2`) and
    :math:`x = \tanh u + (1 - \tanh^2 u)\,\delta` to :math:`\le 2\delta^2 \le 2^{-53}u^2` (about an ulp).  Elements left
    (far starts at extreme steps, non-finite ones) get up to ``_ROUNDS - 1`` more rounds while more than
    ``1/_FEW_LEFT`` of them remain, the rest the safeguarded scalar :func:`prox_scalar`.
    Twin: ``get("tanh").prox(V, step=t)``.
    """
    _halley_rounds(V, t, TANH, 0.0)


@njit(cache=True)
def sigmoid_prox_into(V, t):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of the logistic sigmoid in place, :math:`0 < t < 1`.

    :math:`\sigma(u) = \tfrac12(1 + \tanh\tfrac u2)`, so :math:`t u + (1-t)\sigma(u) = w` is, for :math:`v = u/2`
    on the side of :math:`w - (1-t)/2`, the tanh equation :math:`t v + \tfrac{1-t}4\tanh v = \tfrac12|w - \tfrac{1-t}2|`:
    the Halley passes and check of :func:`tanh_prox_into` (lower bound :math:`\max(a/(t + c), (a - c)/t)` for
    :math:`t v + c\tanh v = a`), and :math:`x = 1/D` or :math:`E/D` (first-order corrected) from
    :math:`\tanh v = N/D`, :math:`1 - \tanh v = 2E/D`.  Twin: ``get("sigmoid").prox(V, step=t)``.
    """
    _halley_rounds(V, t, SIGMOID, 0.0)


@njit(cache=True)
def _halley_rounds(V, t, code, beta):
    # the rounds of Halley passes and checks (tanh, sigmoid: the tanh equation; ELU: its own passes), then prox_scalar
    c = 1.0 - t
    m, n = V.shape
    U = np.empty((m, n))
    todo = np.ones((m, n), dtype=np.bool_)
    left = m * n
    for r in range(_ROUNDS):
        for p in range(_HALLEY_PASSES):
            first = r == 0 and p == 0
            if code == TANH:
                _tanh_halley_pass(V, U, todo, t, c, first)
            elif code == SIGMOID:
                _tanh_halley_pass(V, U, todo, t, 0.25 * c, first, 0.5 * c, 0.5)
            else:
                _elu_halley_pass(V, U, todo, t, c, beta, first)
        if code == TANH:
            left = _tanh_check_pass(V, U, todo, t, c)
        elif code == SIGMOID:
            left = _sigmoid_check_pass(V, U, todo, t, c)
        else:
            left = _elu_check_pass(V, U, todo, t, c, beta)
        if left * _FEW_LEFT <= m * n:
            break
    if left > 0:
        for i in range(m):
            for k in range(n):
                if todo[i, k]:
                    V[i, k] = prox_scalar(code, beta, np.float64(V[i, k]), t)


# ----------------------------------------------------------------------------- ELU prox, vectorisable
# For w < 0 the root u* < 0 of f(u) = t u + c alpha (e^u - 1) - w (convex, f' = t + c alpha e^u, f'' = c alpha e^u);
# for w >= 0, x = w.  min(w, (w + c alpha)/t) >= u* (alpha (e^u - 1) >= max(u, -alpha) for alpha <= 1, u <= 0).
_EXP_MIN = -708.0          # e^u is normal above; below it is taken as 0 (and e^u - 1 as -1)


@njit(cache=True, inline="always")
def _exp_parts(u):
    # (e^u - 1, e^u) for u <= 0 (u < _EXP_MIN: (-1, 0))
    p, two_k = _expm1_reduced(min(max(u, _EXP_MIN), 0.0))
    return two_k * p + (two_k - 1.0), (0.0 if u < _EXP_MIN else two_k * p + two_k)


@njit(**_VEC)
def _elu_halley_pass(V, U, todo, t, c, alpha, first):
    # U <- Halley step of U on f(u) = t u + c alpha (e^u - 1) - w, w = V < 0, where todo
    ca = c * alpha
    inv_t = 1.0 / t
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            w = np.float64(V[i, k])
            u = min(w, (w + ca) * inv_t) if first else U[i, k]
            m, e = _exp_parts(u)
            f = t * u + ca * m - w
            fp = t + ca * e
            un = u - f * fp / (fp * fp - 0.5 * f * ca * e)
            U[i, k] = un if todo[i, k] & (w < 0.0) else U[i, k]


@njit(**_VEC)
def _elu_check_pass(V, U, todo, t, c, alpha):
    # w >= 0 (or NaN): x = w; w < 0: where Newton's step delta at U is <= _STEP_TOL |U|, x = alpha (e^u - 1 + e^u delta)
    ca = c * alpha
    left = 0
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            w = np.float64(V[i, k])
            u = U[i, k]
            m, e = _exp_parts(u)
            f = t * u + ca * m - w
            fp = t + ca * e
            neg = w < 0.0
            ok = todo[i, k] & ((not neg) | (abs(f) <= _STEP_TOL * abs(u) * fp))
            x = alpha * (m - e * f / fp) if neg else w
            V[i, k] = x if ok else V[i, k]
            still = todo[i, k] & (not ok)
            todo[i, k] = still
            left += still
    return left


@njit(cache=True)
def elu_prox_into(V, t, alpha):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of ELU (parameter :math:`\alpha`) in place, :math:`0 < t < 1`.

    :math:`x = w` for :math:`w \ge 0`; for :math:`w < 0`, :math:`x = \alpha(e^{u^*} - 1)` with :math:`u^*` the root
    of the convex :math:`f(u) = tu + (1-t)\alpha(e^u - 1) - w`, by Halley passes from the upper bound
    :math:`\min(w, (w + (1-t)\alpha)/t)` and the check of :func:`tanh_prox_into` (:math:`|f''/f'| \le 1`).
    Twin: ``get("elu", alpha=alpha).prox(V, step=t)``.
    """
    _halley_rounds(V, t, ELU, alpha)


# ----------------------------------------------------------------------------- sigma, vectorisable
@njit(**_VEC)
def sigmoid_into(Z, out):
    r"""``out`` = :math:`1/(1 + e^{-z})` elementwise: :math:`1/(1 + E)` or :math:`E/(1 + E)`, :math:`E = e^{-|z|}`."""
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            z = np.float64(Z[i, k])
            m, e = _exp_parts(-abs(z))
            out[i, k] = (1.0 if z >= 0.0 else e) / (1.0 + e) if z == z else z


@njit(**_VEC)
def elu_into(Z, out, alpha):
    r"""``out`` = ELU :math:`z` (:math:`z > 0`), :math:`\alpha(e^z - 1)` otherwise, elementwise."""
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            z = np.float64(Z[i, k])
            m, e = _exp_parts(z)
            out[i, k] = z if not z <= 0.0 else alpha * m


# ----------------------------------------------------------------------------- softplus, vectorisable
# sp(v) = log(1 + e^v) = max(v, 0) + log1p(E), E = e^{-|v|} in (0, 1];  log1p(E) = 2 artanh(q) with
# q = E/(2 + E) (E < sqrt 2 - 1) or q = (E - 1)/(3 + E) and log 2 added (then (1 + E)/2 in [sqrt(1/2), 1]): |q| <= 0.1716,
# the odd series 2(q + q^3/3 + ... + q^21/21) to below 1e-17 relative.
_SQRT2_M1 = 0.41421356237309503
_LOG2 = 0.6931471805599453


@njit(cache=True, inline="always")
def _log1p_unit(e):
    # log1p(e) for 0 <= e <= 1, by vectorisable arithmetic (see the section comment)
    small = e < _SQRT2_M1
    q = e / (2.0 + e) if small else (e - 1.0) / (3.0 + e)
    q2 = q * q
    p = 1.0 / 21.0
    p = p * q2 + 1.0 / 19.0
    p = p * q2 + 1.0 / 17.0
    p = p * q2 + 1.0 / 15.0
    p = p * q2 + 1.0 / 13.0
    p = p * q2 + 1.0 / 11.0
    p = p * q2 + 1.0 / 9.0
    p = p * q2 + 1.0 / 7.0
    p = p * q2 + 1.0 / 5.0
    p = p * q2 + 1.0 / 3.0
    r = 2.0 * (q + q * q2 * p)
    return r if small else r + _LOG2


@njit(cache=True, inline="always")
def _softplus_parts(v):
    # (sp(v), sigmoid(v), E = e^{-|v|}) with sp(v) = log(1 + e^v)
    m, e = _exp_parts(-abs(v))
    s = (1.0 if v >= 0.0 else e) / (1.0 + e)
    return max(v, 0.0) + _log1p_unit(e), s, e


@njit(**_VEC)
def softplus_into(Z, out, beta):
    r"""``out`` = :math:`\log(1 + e^{\beta z})/\beta` elementwise (as :math:`\max(v, 0) + \log(1 + e^{-|v|})`, :math:`v = \beta z`)."""
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            z = np.float64(Z[i, k])
            sp_, s, e = _softplus_parts(beta * z)
            out[i, k] = sp_ / beta if z == z else z


@njit(**_VEC)
def _softplus_halley_pass(V, U, todo, t, c, beta, first):
    # U <- Halley step on the convex f(v) = t v + c sp(v) - beta w (v = beta u) where todo; first: from the upper
    # bound min(a or a/t, (a - c log 2)/(t + c/2)) of the root (sp(v) >= max(v, 0), sp(v) >= log 2 + v/2)
    inv_t = 1.0 / t
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            a = beta * np.float64(V[i, k])
            ub = min(a if a >= 0.0 else a * inv_t, (a - c * _LOG2) / (t + 0.5 * c))
            v = ub if first else U[i, k]
            sp_, s, e = _softplus_parts(v)
            f = t * v + c * sp_ - a
            fp = t + c * s
            vn = v - f * fp / (fp * fp - 0.5 * f * c * s * (1.0 - s))
            U[i, k] = vn if todo[i, k] else U[i, k]


@njit(**_VEC)
def _softplus_check_pass(V, U, todo, t, c, beta):
    # where todo and Newton's step delta is <= _STEP_TOL max(|v|, 1): x = (sp(v) + sigmoid(v) delta)/beta, done
    left = 0
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            a = beta * np.float64(V[i, k])
            v = U[i, k]
            sp_, s, e = _softplus_parts(v)
            f = t * v + c * sp_ - a
            fp = t + c * s
            ok = todo[i, k] & (abs(f) <= _STEP_TOL * max(abs(v), 1.0) * fp)
            x = (sp_ - s * f / fp) / beta
            V[i, k] = x if ok else V[i, k]
            still = todo[i, k] & (not ok)
            todo[i, k] = still
            left += still
    return left


@njit(cache=True)
def softplus_prox_into(V, t, beta):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of softplus (sharpness :math:`\beta`) in place, :math:`0 < t < 1`.

    With :math:`v = \beta u`: :math:`t v + (1-t)\,\mathrm{sp}(v) = \beta w`, :math:`\mathrm{sp}(v) = \log(1 + e^v)`
    (convex, :math:`\mathrm{sp}' = 1/(1 + e^{-v})`), by the Halley passes and check of :func:`tanh_prox_into` from
    an upper bound of the root (section comment); :math:`x = \mathrm{sp}(v^*)/\beta`.
    Twin: ``get("softplus", beta=beta).prox(V, step=t)``.
    """
    c = 1.0 - t
    m, n = V.shape
    U = np.empty((m, n))
    todo = np.ones((m, n), dtype=np.bool_)
    left = m * n
    for r in range(_ROUNDS):
        for p in range(_HALLEY_PASSES):
            _softplus_halley_pass(V, U, todo, t, c, beta, r == 0 and p == 0)
        left = _softplus_check_pass(V, U, todo, t, c, beta)
        if left * _FEW_LEFT <= m * n:
            break
    if left > 0:
        for i in range(m):
            for k in range(n):
                if todo[i, k]:
                    V[i, k] = prox_scalar(SOFTPLUS, beta, np.float64(V[i, k]), t)


# ----------------------------------------------------------------------------- CELU and log-sigmoid, by ELU and softplus
# CELU_alpha(z) = alpha ELU_1(z/alpha) and log-sigmoid(z) = -softplus_beta(-z): their classes (activations.transforms)
# evaluate the base at the transformed argument, and so do these (in the array's dtype, as the classes do).
@njit(cache=True)
def _scale_into(Z, out, a):
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            out[i, k] = a * Z[i, k]


@njit(cache=True)
def celu_into(Z, out, alpha):
    r"""``out`` = :math:`\alpha\,\mathrm{ELU}_1(z/\alpha)` elementwise (twin: ``get("celu", alpha=alpha).prox(Z)``)."""
    _scale_into(Z, out, 1.0 / alpha)
    elu_into(out, out, 1.0)
    _scale_into(out, out, alpha)


@njit(cache=True)
def celu_prox_into(V, t, alpha):
    r"""``V`` <- :math:`\alpha\operatorname{prox}_{t\psi_{\mathrm{ELU}_1}}(V/\alpha)` in place, :math:`0 < t < 1` (the dilation rule)."""
    _scale_into(V, V, 1.0 / alpha)
    elu_prox_into(V, t, 1.0)
    _scale_into(V, V, alpha)


@njit(cache=True)
def log_sigmoid_into(Z, out, beta):
    r"""``out`` = :math:`-\mathrm{softplus}_\beta(-z)` elementwise (twin: ``get("log_sigmoid", beta=beta).prox(Z)``)."""
    _scale_into(Z, out, -1.0)
    softplus_into(out, out, beta)
    _scale_into(out, out, -1.0)


@njit(cache=True)
def log_sigmoid_prox_into(V, t, beta):
    r"""``V`` <- :math:`-\operatorname{prox}_{t\psi_{\mathrm{softplus}}}(-V)` in place, :math:`0 < t < 1` (the reflection)."""
    _scale_into(V, V, -1.0)
    softplus_prox_into(V, t, beta)
    _scale_into(V, V, -1.0)


# ----------------------------------------------------------------------------- softsign and bent identity, closed forms
@njit(**_VEC)
def softsign_prox_into(V, t):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of softsign in place, :math:`0 < t < 1`, by the class's closed form (twin: ``get("softsign").prox(V, step=t)``)."""
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            V[i, k] = _softsign_prox(np.float64(V[i, k]), t)


@njit(**_VEC)
def bent_identity_prox_into(V, t):
    r"""``V`` <- :math:`\operatorname{prox}_{t\psi}(V)` of the bent identity in place, :math:`0 < t < 1`, by the class's closed form."""
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            V[i, k] = _bent_identity_prox(np.float64(V[i, k]), t)
