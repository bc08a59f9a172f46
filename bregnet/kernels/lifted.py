r"""Numba kernels for the inner loops of the lifted solvers (Algorithm 1; eq. (17), (24)).

Each kernel has a readable NumPy twin in the module it speeds up, and a test holds them equal
(float64 and float32):

* :func:`lbn_inner_loop` -- one mini-batch step of Algorithm 1 (forward-pass initialisation and the N inner
  sweeps); twin: :func:`bregnet.solvers.implicit_stochastic.lbn_batch_numpy`.
* :func:`lbn_epoch` -- consecutive mini-batches in one call (no Python work per batch); held equal to the
  twin batch by batch through ``lbn_s(use_kernel=False)``.
* :func:`power_sq` -- :math:`\|A\|_2^2` by warm-started power iteration; twin:
  :func:`bregnet.solvers.lipschitz.spectral_norm_sq`.
* :func:`prox_l1_codes` -- :math:`\operatorname{prox}_{t(\Psi + a\|\cdot\|_1)}` for the piecewise-linear
  activations; twin: :func:`bregnet.lifted.prox_psi_l1`.

The kernels cover the activations of ``LIFTED_CODES`` (exact classes, by the rule of
:func:`bregnet.kernels.dispatch.lookup_exact`): identity, relu, soft_threshold (codes 0-2, the original fused
loops, bit for bit), nonneg_soft_threshold, leaky_relu, hard_tanh, hard_sigmoid (closed forms), tanh, sigmoid,
softplus, elu, softsign, arctan, asinh, isru, celu, log_sigmoid, isrlu, bent_identity, unimodal_sigmoid,
log_activation, tanhshrink (the smooth prox of :mod:`bregnet.kernels.smooth_prox`, for the x-update's steps
:math:`t\lambda/(1+t\lambda) < 1`; tanh, sigmoid, ELU, softplus, CELU and log-sigmoid vectorised, softsign and
the bent identity by their classes' closed forms, the others by the generic safeguarded Newton element by
element), and softmax for the output layer (row-wise: only :math:`\sigma` is needed there).  The solvers fall
back to the NumPy twins for every other activation (the row-wise or radial sparsemax, entmax, squash, block
soft-thresholding), subclasses of these included
(:func:`kernel_supports`).

What the fused loop exploits (everything else is the twin's arithmetic in the same order):

* The input batch :math:`X_0` is fixed during the inner loop, so :math:`W_1` stays in
  :math:`W_1^k - X_0^\top A` (both its gradient :math:`\tfrac{\lambda_1}{B}X_0^\top D` and the proximal
  term keep it in that affine set).  With the Gram matrix :math:`K = X_0X_0^\top` (computed once per
  batch) the pre-activation is :math:`Z_1 = Z_1^k - KA - \beta`, an :math:`B\times B` times
  :math:`B\times n_1` product instead of :math:`B\times n_0` times :math:`n_0\times n_1`
  (:math:`n_0 = 784 \gg B = 100`); :math:`W_1` is formed once at the end.
* Pre-activations are cached between the x-step of layer j and the :math:`\Theta`-step of layer j, and
  those of the forward pass are reused by the first sweep.
* Elementwise parts (bias, residual :math:`\sigma(Z) - X`, the prox of the x-update, the parameter update
  with its proximal term, the bias gradient) are fused into single passes; every product writes into a
  buffer allocated once per batch (``np.dot(a, b, out)``, BLAS).
* The power iterations for the step sizes run allocation-free, with vectorised matrix-vector products
  (``fastmath`` restricted to reassociation and contraction: rounding only), and start from the previous
  iterate: within a batch from the previous sweep's vector, across batches from the previous batch's (the
  caller carries ``vx``, ``vw``).  The stopping rule (relative change of the Rayleigh quotient below
  ``tol``) and the estimate are those of the twin; ``||X_j||`` after the last sweep is not computed
  (no step uses it).
* :math:`K = X_0X_0^\top` can be passed in (the epoch driver forms it by NumPy's ``syrk``).

Profile (Table 1 setting, 784-64-64-10, B = 100, N = 15, float64, one thread): about 1 ms per batch for
the three products with :math:`X_0` (K, :math:`X_0W_1^k`, :math:`X_0^\top A`), about 0.1 ms of products
and 0.04 ms of elementwise work and power iterations per sweep; see ``benchmarks/RESULTS.md``.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..activations.clipping import BentIdentity, HardSigmoid, HardTanh
from ..activations.identity import Identity
from ..activations.rectifiers import ELU, ISRLU, LeakyReLU, ReLU
from ..activations.sigmoids import (ISRU, Asinh, LogActivation, ScaledArctan, Sigmoid, Softsign, Tanh,
                                    UnimodalSigmoid)
from ..activations.simplex import Softmax
from ..activations.softplus import Softplus
from ..activations.tanhshrink import TanhShrink
from ..activations.thresholding import NonnegSoftThreshold, SoftThreshold
from ..activations.transforms import CELU, LogSigmoid
from . import smooth_prox as _sp
from .activations import _softmax_row
from .dispatch import lookup_exact

__all__ = ["LIFTED_CODES", "KERNEL_CODES", "ROW_WISE_CODES", "L1_CODES", "activation_code", "activation_params",
           "kernel_supports", "kernel_names", "prox_l1_codes", "power_sq", "power_sym",
           "lbn_inner_loop", "lbn_epoch"]

#: exact activation class -> (kernel code of ``_prox_scalar``, the kernels' ``beta`` from the instance: a float,
#: or the pair ``(beta, gamma)`` for the two-parameter hard tanh)
LIFTED_CODES = {
    Identity: (0, lambda a: 0.0),
    ReLU: (1, lambda a: 0.0),
    SoftThreshold: (2, lambda a: float(a.alpha)),
    NonnegSoftThreshold: (3, lambda a: float(a.alpha)),
    LeakyReLU: (4, lambda a: float(a.slope)),
    HardTanh: (5, lambda a: (float(a.lo), float(a.hi))),
    HardSigmoid: (6, lambda a: float(a.slope)),
    Tanh: (_sp.TANH, lambda a: 0.0),
    Sigmoid: (_sp.SIGMOID, lambda a: 0.0),
    Softplus: (_sp.SOFTPLUS, lambda a: float(a.beta)),
    ELU: (_sp.ELU, lambda a: float(a.alpha)),
    Softsign: (_sp.SOFTSIGN, lambda a: 0.0),
    ScaledArctan: (_sp.ARCTAN, lambda a: float(a.scale)),
    Asinh: (_sp.ASINH, lambda a: 0.0),
    ISRU: (_sp.ISRU, lambda a: float(a.alpha)),
    CELU: (_sp.CELU, lambda a: float(a.alpha)),
    LogSigmoid: (_sp.LOG_SIGMOID, lambda a: float(a.beta)),
    ISRLU: (_sp.ISRLU, lambda a: float(a.a)),
    BentIdentity: (_sp.BENT_IDENTITY, lambda a: 0.0),
    UnimodalSigmoid: (_sp.UNIMODAL_SIGMOID, lambda a: 0.0),
    LogActivation: (_sp.LOG_ACTIVATION, lambda a: 0.0),
    TanhShrink: (_sp.TANHSHRINK, lambda a: 0.0),
    Softmax: (20, lambda a: float(a.temperature)),
}
#: the codes whose prox_(t Psi) is row-wise, not elementwise: only sigma (t = 1) is compiled, so they serve the
#: output layer only (the x-update (17b) needs prox_(t Psi), t < 1, of the hidden layers)
ROW_WISE_CODES = frozenset({20})
_ROW_WISE = 20          # the one row-wise code (a compile-time constant of the kernels)
#: the codes whose ``_prox_scalar`` folds in ``a|.|_1`` (the l1 regulariser's layer, Section 6.2)
L1_CODES = frozenset({0, 1, 2, 3})

#: registry name -> kernel code, derived from :data:`LIFTED_CODES` for messages and docs; whether an
#: activation has a kernel is decided by its exact class (:func:`activation_code`), never by this name
KERNEL_CODES = {cls.name: code for cls, (code, _) in LIFTED_CODES.items()}


def activation_code(activation):
    """``(code, beta)`` of an activation the kernels support, or ``None`` (the solvers then use the NumPy twin).

    Decided by the exact class (:func:`bregnet.kernels.dispatch.lookup_exact`), like :func:`bregnet.kernels.kernel_for`:
    a subclass, even one keeping its parent's name, gets ``None``.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> activation_code(get("relu")), activation_code(get("soft_threshold", alpha=0.5)), activation_code(get("sparsemax"))
    ((1, 0.0), (2, 0.5), None)
    """
    return lookup_exact(activation, LIFTED_CODES)


def activation_params(activation):
    """``(code, beta, gamma)`` of an activation the kernels support (``gamma`` 0 unless it has two parameters), or ``None``.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> activation_params(get("hard_tanh", lo=-2.0, hi=0.5)), activation_params(get("elu", alpha=0.5))
    ((5, -2.0, 0.5), (10, 0.5, 0.0))
    """
    found = activation_code(activation)
    if found is None:
        return None
    code, beta = found
    beta, gamma = beta if isinstance(beta, tuple) else (beta, 0.0)
    return code, float(beta), float(gamma)


def kernel_supports(problem) -> bool:
    """True if the fused kernels cover every layer of ``problem`` (a :class:`bregnet.lifted.LiftedProblem`).

    Every activation needs a code (:func:`activation_code`); the hidden layers' codes must be elementwise (the
    x-update (17b) needs their prox_(t Psi), t < 1; a row-wise code such as softmax serves the output layer only),
    and the l1 regulariser's layer one of :data:`L1_CODES`.

    Examples
    --------
    >>> from bregnet.lifted import LiftedProblem
    >>> from bregnet.network import glorot_init
    >>> ok = glorot_init([3, 4, 2], ["tanh", "softmax"], seed=0)
    >>> bad = glorot_init([3, 4, 2], ["softmax", "identity"], seed=0)
    >>> kernel_supports(LiftedProblem.from_network(ok)), kernel_supports(LiftedProblem.from_network(bad))
    (True, False)
    """
    codes = [activation_code(a) for a in problem.activations]
    if any(c is None for c in codes):
        return False
    if any(c[0] in ROW_WISE_CODES for c in codes[:-1]):
        return False
    reg = problem.regulariser
    if reg is not None and reg.alpha > 0 and codes[reg.layer - 1][0] not in L1_CODES:
        return False
    return True


def kernel_names(hidden: bool = False) -> list:
    """Registry names of the activations with a kernel code (``hidden=True``: those a hidden layer may use).

    >>> "tanh" in kernel_names(hidden=True), "softmax" in kernel_names(hidden=True), "softmax" in kernel_names()
    (True, False, True)
    """
    return sorted(cls.name for cls, (code, _) in LIFTED_CODES.items() if not (hidden and code in ROW_WISE_CODES))


@njit(cache=True, inline="always")
def _soft(v, thr):
    if v > thr:
        return v - thr
    if v < -thr:
        return v + thr
    return 0.0 * v


@njit(cache=True, inline="always")
def _prox_scalar(code, beta, v, t, a):
    # prox_{t(Psi + a|.|)}(v) of the codes 0..2;  t = 1, a = 0 gives sigma
    if code == 1:
        u = v - t * a
        return u if u > 0 else 0.0 * u
    if code == 2:
        return _soft(v, t * (beta + a))
    return _soft(v, t * a) if a != 0 else v


@njit(cache=True, inline="always")
def _prox_any(code, beta, gamma, v, t, a):
    # prox_{t(Psi + a|.|)}(v) of every elementwise code (a != 0 only for L1_CODES, t <= 1 for the smooth codes)
    if code < 3:
        return _prox_scalar(code, beta, v, t, a)
    return _prox_scalar_more(code, beta, gamma, v, t, a)


@njit(cache=True, inline="always")
def _prox_closed(code, beta, gamma, v, t, a):
    # the closed forms of the codes 3..6 (twins: each class's _prox_step)
    if code == 3:                                   # nonneg soft-thresholding at t (alpha + a)
        u = v - t * (beta + a)
        return u if u > 0 else 0.0 * u
    if code == 4:                                   # leaky relu, slope beta
        return v if v >= 0 else (beta / (beta + t * (1.0 - beta))) * v
    if code == 5:                                   # hard tanh: clip to [beta, gamma]
        return min(max(v, beta), gamma)
    if t == 1.0:                                    # hard sigmoid, slope beta: kappa = 1/beta - 1
        return min(max(beta * v + 0.5, 0.0), 1.0)
    w = 1.0 / (1.0 + t * (1.0 / beta - 1.0))
    return min(max(0.5 + w * (v - 0.5 * (1.0 - t)), 0.0), 1.0)


#: the largest code with a closed-form prox (:func:`_prox_closed`); the codes above are smooth (smooth_prox)
_CLOSED_MAX = 6


@njit(cache=True)
def _prox_scalar_more(code, beta, gamma, v, t, a):
    # the codes >= 3: closed forms, or the smooth prox of smooth_prox
    if code <= _CLOSED_MAX:
        return _prox_closed(code, beta, gamma, v, t, a)
    return _sp.prox_scalar(code, beta, np.float64(v), t)


@njit(cache=True)
def prox_l1_codes(code, beta, V, t, a, gamma=0.0):
    r""":math:`\operatorname{prox}_{t(\Psi + a\|\cdot\|_1)}(V)` elementwise for kernel ``code`` (twin: ``lifted.prox_psi_l1``).

    ``beta``, ``gamma``: the parameters of :func:`activation_params`; ``a != 0`` only for the codes of
    :data:`L1_CODES`, ``t <= 1`` for the smooth codes (:mod:`bregnet.kernels.smooth_prox`).
    """
    out = np.empty_like(V)
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            out[i, k] = _prox_any(code, beta, gamma, V[i, k], t, a)
    return out


@njit(cache=True)
def power_sq(A, v, tol, max_iter):
    r""":math:`\|A\|_2^2` by power iteration on :math:`A^\top A` from ``v`` (updated in place; twin: ``spectral_norm_sq``).

    Allocates its scratch and calls the allocation-free iteration the kernels use (same start, iteration and
    stopping rule: relative change of the Rayleigh quotient below ``tol``, at most ``max_iter`` steps).
    """
    if v.shape[0] != A.shape[1]:
        raise ValueError("power_sq: v must have length A.shape[1]")
    return _power_sq_buf(A.astype(np.float64), v, np.empty(A.shape[0]), np.empty(A.shape[1]), tol, max_iter)


# ----------------------------------------------------------------------------- allocation-free helpers
#: reassociation (vectorised reductions) and fused multiply-add; no finite-math assumptions
_FM = {"reassoc", "contract"}
#: :data:`bregnet.solvers.sweep.X_LIPSCHITZ_FLOOR` (a compile-time constant here; the kernels do not import solvers)
_X_LIPSCHITZ_FLOOR = float(np.finfo(np.float64).eps)


@njit(cache=True, fastmath=_FM)
def _ata_into(A, v, u, w):
    # u = A v ; w = A^T u  (float64 accumulation; row-major friendly)
    m, n = A.shape
    for i in range(m):
        s = 0.0
        for k in range(n):
            s += A[i, k] * v[k]
        u[i] = s
    for k in range(n):
        w[k] = 0.0
    for i in range(m):
        ui = u[i]
        for k in range(n):
            w[k] += A[i, k] * ui


@njit(cache=True, fastmath=_FM)
def _sym_into(K, v, w):
    # w = K v
    n = K.shape[0]
    for i in range(n):
        s = 0.0
        for k in range(n):
            s += K[i, k] * v[k]
        w[i] = s


@njit(cache=True, fastmath=_FM)
def _dot1(a, b):
    s = 0.0
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@njit(cache=True)
def _start(v):
    # normalise the warm start in place (a zero vector becomes the fixed positive ramp of spectral_norm_sq)
    n = v.shape[0]
    nv = np.sqrt(_dot1(v, v))
    if nv == 0.0:
        for k in range(n):
            v[k] = 1.0 + k / max(n, 1)
        nv = np.sqrt(_dot1(v, v))
    for k in range(n):
        v[k] /= nv


@njit(cache=True)
def _power_sq_buf(A, v, u, w, tol, max_iter):
    # power_sq without allocations: u (m,), w (n,) are scratch; same iteration and stopping rule
    _start(v)
    n = v.shape[0]
    lam = 0.0
    for _ in range(max_iter):
        _ata_into(A, v, u, w)
        new = _dot1(v, w)
        nw = np.sqrt(_dot1(w, w))
        if nw == 0.0:
            lam = 0.0
            break
        for k in range(n):
            v[k] = w[k] / nw
        if abs(new - lam) <= tol * max(new, 1e-300):
            lam = new
            break
        lam = new
    _ata_into(A, v, u, w)
    return max(lam, _dot1(v, w))


@njit(cache=True)
def _power_sym_buf(K, v, w, tol, max_iter):
    # power_sym without allocations
    _start(v)
    n = v.shape[0]
    lam = 0.0
    for _ in range(max_iter):
        _sym_into(K, v, w)
        new = _dot1(v, w)
        nw = np.sqrt(_dot1(w, w))
        if nw == 0.0:
            return 0.0
        for k in range(n):
            v[k] = w[k] / nw
        if abs(new - lam) <= tol * max(new, 1e-300):
            lam = new
            break
        lam = new
    _sym_into(K, v, w)
    return max(lam, _dot1(v, w))


@njit(cache=True)
def _affine_residual(Z, b, code, beta, gamma, X, D):
    # Z += b (row-wise); D = sigma(Z) - X   (one pass)
    if code >= 3:
        _add_bias(Z, b)
        _residual_more(code, beta, gamma, Z, X, D)
        return
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            z = Z[i, k] + b[k]
            Z[i, k] = z
            D[i, k] = _prox_scalar(code, beta, z, 1.0, 0.0) - X[i, k]


@njit(cache=True)
def _add_bias(Z, b):
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            Z[i, k] += b[k]


@njit(cache=True)
def _residual(code, beta, gamma, Z, X, D):
    # D = sigma(Z) - X
    if code >= 3:
        _residual_more(code, beta, gamma, Z, X, D)
        return
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            D[i, k] = _prox_scalar(code, beta, Z[i, k], 1.0, 0.0) - X[i, k]


@njit(cache=True)
def _residual_more(code, beta, gamma, Z, X, D):
    # D = sigma(Z) - X for the codes >= 3
    if code == _ROW_WISE:
        _residual_rows(code, beta, Z, X, D)
        return
    _sigma_into(code, beta, gamma, Z, D)
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            D[i, k] -= X[i, k]


@njit(cache=True)
def _sigma_into(code, beta, gamma, Z, out):
    # out = sigma(Z) elementwise for the codes >= 3 (the smooth ones by the vectorisable kernels of smooth_prox)
    if code == _sp.TANH:
        _sp.tanh_into(Z, out)
        return
    if code == _sp.SIGMOID:
        _sp.sigmoid_into(Z, out)
        return
    if code == _sp.ELU:
        _sp.elu_into(Z, out, beta)
        return
    if code == _sp.SOFTPLUS:
        _sp.softplus_into(Z, out, beta)
        return
    if code == _sp.CELU:
        _sp.celu_into(Z, out, beta)
        return
    if code == _sp.LOG_SIGMOID:
        _sp.log_sigmoid_into(Z, out, beta)
        return
    if code <= _CLOSED_MAX:
        _closed_into(code, beta, gamma, Z, out, 1.0, 0.0)
        return
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            out[i, k] = _prox_scalar_more(code, beta, gamma, Z[i, k], 1.0, 0.0)


@njit(cache=True)
def _residual_rows(code, beta, Z, X, D):
    # D = sigma(Z) - X for a row-wise sigma (softmax with temperature beta: the kernel of kernels.activations)
    T = Z.dtype.type(beta)
    e = np.empty(Z.shape[1])
    for i in range(Z.shape[0]):
        total = _softmax_row(Z, i, T, e)
        for k in range(Z.shape[1]):
            D[i, k] = Z.dtype.type(e[k] / total) - X[i, k]


@njit(cache=True)
def _theta_update(W, b, Xp, D, Wk, bk, eta, scale, rho, G, s):
    # W -= eta (scale Xp^T D + rho (W - Wk)); b -= eta (scale 1^T D + rho (b - bk)); G, s: scratch
    np.dot(Xp.T, D, G)
    for p in range(W.shape[0]):
        for q in range(W.shape[1]):
            W[p, q] -= eta * (scale * G[p, q] + rho * (W[p, q] - Wk[p, q]))
    for q in range(W.shape[1]):
        s[q] = 0.0
    for i in range(D.shape[0]):
        for q in range(D.shape[1]):
            s[q] += D[i, q]
    for q in range(W.shape[1]):
        b[q] -= eta * (scale * s[q] + rho * (b[q] - bk[q]))


@njit(cache=True)
def _x_update(code, beta, gamma, Xj, Zj, Dn, Wn, t, lam_j, lam_n, alpha, G):
    # x_j <- prox_layer(x_j - t(lam_n Dn Wn^T - lam_j Zj))   (17b), in place; G: scratch (B, n_j)
    np.dot(Dn, Wn.T, G)
    tl = t * lam_j
    inv = 1.0 / (1.0 + tl)
    st = tl / (1.0 + tl)
    a = alpha / lam_j
    if code >= 3:
        for i in range(Xj.shape[0]):
            for k in range(Xj.shape[1]):
                v = Xj[i, k] - t * (lam_n * G[i, k] - lam_j * Zj[i, k])
                Xj[i, k] = v * inv
        _prox_into(code, beta, gamma, Xj, st, a)
        return
    for i in range(Xj.shape[0]):
        for k in range(Xj.shape[1]):
            v = Xj[i, k] - t * (lam_n * G[i, k] - lam_j * Zj[i, k])
            Xj[i, k] = _prox_scalar(code, beta, v * inv, st, a)


@njit(cache=True)
def _prox_into(code, beta, gamma, V, t, a):
    # V <- prox_{t(Psi + a|.|)}(V) in place for the elementwise codes >= 3 (t < 1: the x-update's step)
    if code == _sp.TANH:
        _sp.tanh_prox_into(V, t)
        return
    if code == _sp.SIGMOID:
        _sp.sigmoid_prox_into(V, t)
        return
    if code == _sp.ELU:
        _sp.elu_prox_into(V, t, beta)
        return
    if code == _sp.SOFTPLUS:
        _sp.softplus_prox_into(V, t, beta)
        return
    if code == _sp.CELU:
        _sp.celu_prox_into(V, t, beta)
        return
    if code == _sp.LOG_SIGMOID:
        _sp.log_sigmoid_prox_into(V, t, beta)
        return
    if code == _sp.SOFTSIGN:
        _sp.softsign_prox_into(V, t)
        return
    if code == _sp.BENT_IDENTITY:
        _sp.bent_identity_prox_into(V, t)
        return
    if code <= _CLOSED_MAX:
        _closed_into(code, beta, gamma, V, V, t, a)
        return
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            V[i, k] = _prox_scalar_more(code, beta, gamma, V[i, k], t, a)


@njit(cache=True)
def _closed_into(code, beta, gamma, Z, out, t, a):
    # out <- prox_{t(Psi + a|.|)}(Z) for the closed-form codes 3..6, one loop per code (each vectorisable)
    m, n = Z.shape
    if code == 3:
        for i in range(m):
            for k in range(n):
                out[i, k] = _prox_closed(3, beta, gamma, Z[i, k], t, a)
    elif code == 4:
        for i in range(m):
            for k in range(n):
                out[i, k] = _prox_closed(4, beta, gamma, Z[i, k], t, a)
    elif code == 5:
        for i in range(m):
            for k in range(n):
                out[i, k] = _prox_closed(5, beta, gamma, Z[i, k], t, a)
    else:
        for i in range(m):
            for k in range(n):
                out[i, k] = _prox_closed(6, beta, gamma, Z[i, k], t, a)


@njit(cache=True)
def _all_finite(Ws, bs):
    for l in range(len(Ws)):
        W = Ws[l]
        for p in range(W.shape[0]):
            for q in range(W.shape[1]):
                if not np.isfinite(W[p, q]):
                    return False
        b = bs[l]
        for q in range(b.shape[0]):
            if not np.isfinite(b[q]):
                return False
    return True


# ----------------------------------------------------------------------------- Algorithm 1, one batch
@njit(cache=True)
def _batch_buffers(Ws, X0):
    """Work arrays of one batch, per layer: pre-activations, residuals, ``D W^T``, ``X^T D``, bias sums."""
    L = len(Ws)
    B = X0.shape[0]
    dt = X0.dtype
    Zc = [np.empty((B, Ws[l].shape[1]), dtype=dt) for l in range(L)]
    D = [np.empty((B, Ws[l].shape[1]), dtype=dt) for l in range(L)]
    Gx = [np.empty((B, Ws[l].shape[0]), dtype=dt) for l in range(L)]     # D_l W_l^T  (B, n_{l-1})
    GW = [np.empty(Ws[l].shape, dtype=dt) for l in range(L)]            # X_{l-1}^T D_l
    sb = [np.empty(Ws[l].shape[1], dtype=dt) for l in range(L)]
    return Zc, D, Gx, GW, sb


@njit(cache=True)
def _forward_pass(Ws, bs, X0, Y, codes, betas, Zc):
    r"""Forward pass with :math:`\Theta^k`, pre-activations cached in ``Zc``; returns ``[X_0, ..., X_{L-1}, Y]``."""
    L = len(Ws)
    B = X0.shape[0]
    xs = [X0]
    for l in range(L):
        np.dot(xs[l], Ws[l], Zc[l])
        _add_bias(Zc[l], bs[l])
        if l < L - 1:
            h = np.empty((B, Ws[l].shape[1]), dtype=X0.dtype)
            if codes[l] >= 3:
                _sigma_into(codes[l], betas[l, 0], betas[l, 1], Zc[l], h)
            else:
                for i in range(B):
                    for k in range(h.shape[1]):
                        h[i, k] = _prox_scalar(codes[l], betas[l, 0], Zc[l][i, k], 1.0, 0.0)
            xs.append(h)
    xs.append(Y)
    return xs


@njit(cache=True)
def _initial_norms(Ws, xs, K, vx, tol, max_iter):
    r"""Power-iteration scratch ``pu``, ``pw`` and the start values ``nx[l]`` of :math:`\|X_l\|_2^2` (l = 0..L-1)."""
    L = len(Ws)
    B = xs[0].shape[0]
    nmax = 1
    for l in range(L):
        nmax = max(nmax, Ws[l].shape[0], Ws[l].shape[1])
    pu = np.empty(max(nmax, B))
    pw = np.empty(max(nmax, B))
    v0 = np.zeros(B)
    nx = np.zeros(L)
    nx[0] = _power_sym_buf(K, v0, pw[:B], tol, max_iter)
    for l in range(1, L):
        nx[l] = _power_sq_buf(xs[l], vx[l], pu, pw[:xs[l].shape[1]], tol, max_iter)
    return pu, pw, nx


@njit(cache=True)
def _ensure_z1(Zvalid, K, A, KA, Z1k, beta1, Z1):
    r"""Refresh the layer-1 pre-activation :math:`Z_1 = Z_1^k - KA - \beta` unless cached; ``KA``: scratch."""
    if not Zvalid[0]:
        np.dot(K, A, KA)
        for i in range(Z1.shape[0]):
            for q in range(Z1.shape[1]):
                Z1[i, q] = Z1k[i, q] - KA[i, q] - beta1[q]
        Zvalid[0] = True


@njit(cache=True)
def _layer1_update(A, beta1, D1, sb1, eta, s, rho):
    """Theta-step of layer 1 in the affine form: ``A += eta (s D - rho A)``, ``beta += eta (s 1^T D - rho beta)``."""
    n1 = A.shape[1]
    for q in range(n1):
        sb1[q] = 0.0
    for i in range(A.shape[0]):
        for q in range(n1):
            d = D1[i, q]
            A[i, q] += eta * (s * d - rho * A[i, q])
            sb1[q] += d
    for q in range(n1):
        beta1[q] += eta * (s * sb1[q] - rho * beta1[q])


@njit(cache=True)
def _theta_step(l, Ws, bs, Wk, bk, xs, Zc, D, GW, sb, Zvalid, codes, betas, eta, s, rho):
    """Theta-step of layer ``l >= 2`` (residual from the cached pre-activation where valid)."""
    if Zvalid[l - 1]:
        _residual(codes[l - 1], betas[l - 1, 0], betas[l - 1, 1], Zc[l - 1], xs[l], D[l - 1])
    else:
        np.dot(xs[l - 1], Ws[l - 1], Zc[l - 1])
        _affine_residual(Zc[l - 1], bs[l - 1], codes[l - 1], betas[l - 1, 0], betas[l - 1, 1], xs[l], D[l - 1])
    _theta_update(Ws[l - 1], bs[l - 1], xs[l - 1], D[l - 1], Wk[l - 1], bk[l - 1], eta, s, rho,
                  GW[l - 1], sb[l - 1])


@njit(cache=True)
def _x_step(l, Ws, bs, xs, Zc, D, Gx, Zvalid, K, A, KA, Z1k, beta1, vw, pu, pw, codes, betas, lambdas,
            l1_layer, l1_alpha, c, tol, max_iter):
    r"""x-step (17b) on ``x_j``, j = l - 1, with the new :math:`\Theta_l`: D_l = sigma_l(X_j W_l + b_l) - X_l."""
    j = l - 1
    lam = lambdas[l - 1]
    np.dot(xs[j], Ws[l - 1], Zc[l - 1])
    _affine_residual(Zc[l - 1], bs[l - 1], codes[l - 1], betas[l - 1, 0], betas[l - 1, 1], xs[l], D[l - 1])
    if j == 1:
        _ensure_z1(Zvalid, K, A, KA, Z1k, beta1, Zc[0])
    else:
        np.dot(xs[j - 1], Ws[j - 1], Zc[j - 1])
        _add_bias(Zc[j - 1], bs[j - 1])
        Zvalid[j - 1] = True
    W = Ws[l - 1]
    lip = lam * _power_sq_buf(W, vw[l - 1], pu[:W.shape[0]], pw[:W.shape[1]], tol, max_iter)
    t = c / lip if lip > lambdas[j - 1] * _X_LIPSCHITZ_FLOOR else c / lambdas[j - 1]     # as sweep.x_step_size
    alpha = l1_alpha if l1_layer == j else 0.0
    _x_update(codes[j - 1], betas[j - 1, 0], betas[j - 1, 1], xs[j], Zc[j - 1], D[l - 1], W, t,
              lambdas[j - 1], lam, alpha, Gx[l - 1])
    Zvalid[l - 1] = False


@njit(cache=True)
def _finish_layer1(X0, A, beta1, W1, b1):
    r""":math:`W_1 = W_1^k - X_0^\top A`, :math:`b_1 = b_1^k - \beta`, in place."""
    G1 = np.dot(X0.T, A)
    for p in range(W1.shape[0]):
        for q in range(W1.shape[1]):
            W1[p, q] -= G1[p, q]
    for q in range(W1.shape[1]):
        b1[q] -= beta1[q]


@njit(cache=True)
def lbn_inner_loop(Ws, bs, X0, Y, vx, vw, codes, betas, lambdas, l1_layer, l1_alpha,
                   n_inner, c, rho, tol, max_iter, K):
    r"""One batch step of Algorithm 1, in place on ``Ws``, ``bs`` (twin: ``implicit_stochastic.lbn_batch_numpy``).

    ``Ws``, ``bs``: typed lists of the parameters :math:`\Theta^k` (overwritten by :math:`\Theta^{k+1}`);
    ``X0``, ``Y``: the batch (C-contiguous, the parameters' dtype); ``vx[l]`` (length :math:`n_l`, l = 1..L-1)
    and ``vw[l-1]`` (length :math:`n_l`): float64 warm-start vectors of the power iterations for
    :math:`\|X_l\|_2^2` and :math:`\|W_l\|_2^2`, updated in place (zeros: the default start).
    ``codes``, ``betas``: per layer the kernel code and the ``(L, 2)`` float64 parameters ``(beta, gamma)`` of
    :func:`activation_params`.
    ``K``: :math:`X_0X_0^\top` if the caller has it (e.g. from NumPy's ``syrk``, half the work of a general
    product), or any array of another shape to compute it here.
    Returns the final auxiliary variables ``[X_1, ..., X_{L-1}]``.

    Initialisation by a forward pass (its pre-activations are cached), :math:`K = X_0X_0^\top` and
    :math:`\|X_0\|_2^2 = \lambda_{\max}(K)`; then ``n_inner`` sweeps; every product writes into a buffer
    allocated once per batch.  :math:`W_1` is kept as :math:`W_1^k - X_0^\top A` (module docstring).
    """
    L = len(Ws)
    B = X0.shape[0]
    n1 = Ws[0].shape[1]
    # anchors Theta^k of layers 2..L (layer 1 is never modified before the end)
    Wk = [Ws[l].copy() for l in range(L)]
    bk = [bs[l].copy() for l in range(L)]
    Zc, D, Gx, GW, sb = _batch_buffers(Ws, X0)
    xs = _forward_pass(Ws, bs, X0, Y, codes, betas, Zc)
    Z1k = Zc[0].copy()
    Zvalid = np.ones(L, dtype=np.bool_)
    if K.shape[0] != B or K.shape[1] != B:
        K = np.dot(X0, X0.T)
    A = np.zeros((B, n1), dtype=X0.dtype)
    KA = np.empty((B, n1), dtype=X0.dtype)
    beta1 = np.zeros(n1, dtype=X0.dtype)
    pu, pw, nx = _initial_norms(Ws, xs, K, vx, tol, max_iter)
    for n in range(n_inner):
        for l in range(L, 0, -1):
            lam = lambdas[l - 1]
            eta = c / (lam * (nx[l - 1] / B + 1.0) + rho)
            if l == 1:
                _ensure_z1(Zvalid, K, A, KA, Z1k, beta1, Zc[0])
                _residual(codes[0], betas[0, 0], betas[0, 1], Zc[0], xs[1], D[0])
                _layer1_update(A, beta1, D[0], sb[0], eta, lam / B, rho)
                Zvalid[0] = False
                continue
            _theta_step(l, Ws, bs, Wk, bk, xs, Zc, D, GW, sb, Zvalid, codes, betas, eta, lam / B, rho)
            _x_step(l, Ws, bs, xs, Zc, D, Gx, Zvalid, K, A, KA, Z1k, beta1, vw, pu, pw, codes, betas, lambdas,
                    l1_layer, l1_alpha, c, tol, max_iter)
            j = l - 1
            if n < n_inner - 1:          # ||X_j|| is next used by Theta_{j+1} in the next sweep
                nx[j] = _power_sq_buf(xs[j], vx[j], pu, pw[:xs[j].shape[1]], tol, max_iter)
    _finish_layer1(X0, A, beta1, Ws[0], bs[0])
    return xs[1:L]


@njit(cache=True)
def lbn_epoch(Ws, bs, X, Y, batch_size, Ks, vx, vw, codes, betas, lambdas, l1_layer, l1_alpha,
              n_inner, c, rho, tol, max_iter):
    r"""Consecutive mini-batches ``X[p:p + batch_size]`` of Algorithm 1, in place on ``Ws``, ``bs``.

    ``X``, ``Y``: the samples already in batch order (C-contiguous); ``Ks[i]`` = :math:`X_0X_0^\top` of batch
    ``i`` where available (``Ks.shape[0]`` may be smaller than the number of batches; the rest are computed
    here).  Equal to calling :func:`lbn_inner_loop` batch by batch with the same warm-start vectors ``vx``,
    ``vw`` (carried from batch to batch).  Returns ``-1``, or the index of the first batch after which a
    parameter is not finite (the loop stops there).
    """
    s = X.shape[0]
    none = np.empty((0, 0), dtype=X.dtype)
    nb = 0
    for p in range(0, s, batch_size):
        q = min(p + batch_size, s)
        K = Ks[nb] if nb < Ks.shape[0] else none
        lbn_inner_loop(Ws, bs, X[p:q], Y[p:q], vx, vw, codes, betas, lambdas, l1_layer, l1_alpha,
                       n_inner, c, rho, tol, max_iter, K)
        if not _all_finite(Ws, bs):
            return nb
        nb += 1
    return -1


@njit(cache=True)
def power_sym(K, v, tol, max_iter):
    r""":math:`\lambda_{\max}(K)` of a symmetric PSD ``K`` by power iteration from ``v`` (in place).

    Used with :math:`K = X_0X_0^\top` for :math:`\|X_0\|_2^2` (twin: ``spectral_norm_sq(X_0)``); allocates its
    scratch and calls the allocation-free iteration the kernels use.
    """
    if v.shape[0] != K.shape[0] or K.shape[0] != K.shape[1]:
        raise ValueError("power_sym: K must be square and v of length K.shape[0]")
    return _power_sym_buf(K.astype(np.float64), v, np.empty(K.shape[0]), tol, max_iter)
