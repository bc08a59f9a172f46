r"""Numba kernels for the inner loops of the lifted solvers (Algorithm 1; eq. (17), (24)).

Each kernel has a readable NumPy twin in the module it speeds up, and a test holds them equal
(float64 and float32):

* :func:`lbn_inner_loop` -- the N inner iterations of Algorithm 1 on one mini-batch; twin:
  :func:`bregnet.solvers.implicit_stochastic.lbn_batch_numpy`.
* :func:`power_sq` -- :math:`\|A\|_2^2` by warm-started power iteration; twin:
  :func:`bregnet.solvers.lipschitz.spectral_norm_sq`.
* :func:`prox_l1_codes` -- :math:`\operatorname{prox}_{t(\Psi + a\|\cdot\|_1)}` for the piecewise-linear
  activations; twin: :func:`bregnet.lifted.prox_psi_l1`.

The kernels cover the activations whose proximal maps are piecewise linear (``KERNEL_CODES``:
identity, relu, soft_threshold); the solvers fall back to the NumPy twins for every other activation.

What the fused loop exploits (everything else is the twin's arithmetic in the same order):

* The input batch :math:`X_0` is fixed during the inner loop, so :math:`W_1` stays in
  :math:`W_1^k - X_0^\top A` (both its gradient :math:`\tfrac{\lambda_1}{B}X_0^\top D` and the proximal
  term keep it in that affine set).  With the Gram matrix :math:`K = X_0X_0^\top` (computed once per
  batch) the pre-activation is :math:`Z_1 = Z_1^k - KA - \beta`, an :math:`B\times B` times
  :math:`B\times n_1` product instead of :math:`B\times n_0` times :math:`n_0\times n_1`
  (:math:`n_0 = 784 \gg B = 100`); :math:`W_1` is formed once at the end.
* Pre-activations are cached between the x-step of layer j and the :math:`\Theta`-step of layer j.
* Elementwise parts (residual :math:`\sigma(Z) - X`, the prox of the x-update, the parameter update
  with its proximal term) are fused into single passes.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["KERNEL_CODES", "activation_code", "prox_l1_codes", "power_sq", "lbn_inner_loop"]

#: activation name -> kernel code
KERNEL_CODES = {"identity": 0, "relu": 1, "soft_threshold": 2}


def activation_code(activation):
    """``(code, parameter)`` of an activation the kernels support, or ``None``."""
    code = KERNEL_CODES.get(getattr(activation, "name", None))
    if code is None:
        return None
    return code, float(getattr(activation, "alpha", 0.0)) if code == 2 else 0.0


@njit(cache=True, inline="always")
def _soft(v, thr):
    if v > thr:
        return v - thr
    if v < -thr:
        return v + thr
    return 0.0 * v


@njit(cache=True, inline="always")
def _prox_scalar(code, beta, v, t, a):
    # prox_{t(Psi + a|.|)}(v);  t = 1, a = 0 gives sigma
    if code == 1:
        u = v - t * a
        return u if u > 0 else 0.0 * u
    if code == 2:
        return _soft(v, t * (beta + a))
    return _soft(v, t * a) if a != 0 else v


@njit(cache=True)
def prox_l1_codes(code, beta, V, t, a):
    r""":math:`\operatorname{prox}_{t(\Psi + a\|\cdot\|_1)}(V)` elementwise for kernel ``code`` (twin: ``lifted.prox_psi_l1``)."""
    out = np.empty_like(V)
    for i in range(V.shape[0]):
        for k in range(V.shape[1]):
            out[i, k] = _prox_scalar(code, beta, V[i, k], t, a)
    return out


@njit(cache=True)
def power_sq(A, v, tol, max_iter):
    r""":math:`\|A\|_2^2` by power iteration on :math:`A^\top A` from ``v`` (updated in place; twin: ``spectral_norm_sq``)."""
    n = A.shape[1]
    A64 = A.astype(np.float64)
    nv = np.sqrt(np.sum(v * v))
    if nv == 0.0:
        for k in range(n):
            v[k] = 1.0 + k / max(n, 1)
        nv = np.sqrt(np.sum(v * v))
    for k in range(n):
        v[k] /= nv
    lam = 0.0
    for _ in range(max_iter):
        w = A64.T @ (A64 @ v)
        new = np.sum(v * w)
        nw = np.sqrt(np.sum(w * w))
        if nw == 0.0:
            lam = 0.0
            break
        for k in range(n):
            v[k] = w[k] / nw
        if abs(new - lam) <= tol * max(new, 1e-300):
            lam = new
            break
        lam = new
    w = A64.T @ (A64 @ v)
    last = np.sum(v * w)
    return max(lam, last)


@njit(cache=True)
def _residual(code, beta, Z, X, D):
    # D = sigma(Z) - X ; returns nothing
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            D[i, k] = _prox_scalar(code, beta, Z[i, k], 1.0, 0.0) - X[i, k]


@njit(cache=True)
def _theta_update(W, b, Xp, D, Wk, bk, eta, scale, rho):
    # W -= eta (scale Xp^T D + rho (W - Wk)); b -= eta (scale 1^T D + rho (b - bk))
    G = Xp.T @ D
    for p in range(W.shape[0]):
        for q in range(W.shape[1]):
            W[p, q] -= eta * (scale * G[p, q] + rho * (W[p, q] - Wk[p, q]))
    for q in range(W.shape[1]):
        s = 0.0
        for i in range(D.shape[0]):
            s += D[i, q]
        b[q] -= eta * (scale * s + rho * (b[q] - bk[q]))


@njit(cache=True)
def _x_update(code, beta, Xj, Zj, Dn, Wn, t, lam_j, lam_n, alpha):
    # x_j <- prox_layer(x_j - t(lam_n Dn Wn^T - lam_j Zj))   (17b), in place
    G = Dn @ Wn.T
    tl = t * lam_j
    inv = 1.0 / (1.0 + tl)
    st = tl / (1.0 + tl)
    a = alpha / lam_j
    for i in range(Xj.shape[0]):
        for k in range(Xj.shape[1]):
            v = Xj[i, k] - t * (lam_n * G[i, k] - lam_j * Zj[i, k])
            Xj[i, k] = _prox_scalar(code, beta, v * inv, st, a)


@njit(cache=True)
def lbn_inner_loop(Ws, bs, Wk, bk, xs, Z1k, K, nx0, codes, betas, lambdas, l1_layer, l1_alpha,
                   n_inner, c, rho, tol, max_iter, vx, vw):
    r"""The inner loop of Algorithm 1 on one batch, in place (twin: ``implicit_stochastic.lbn_batch_numpy``).

    ``Ws``, ``bs``: typed lists of the current parameters (start = anchor ``Wk``, ``bk``); ``xs``: typed list
    ``[X_0, X_1, ..., X_{L-1}, Y]`` with the hidden layers initialised by a forward pass; ``Z1k`` =
    :math:`X_0W_1^k + b_1^k`; ``K`` = :math:`X_0X_0^\top`; ``nx0`` = :math:`\|X_0\|_2^2`; ``vx``, ``vw``:
    warm-start vectors of the power iterations for :math:`\|X_l\|` and :math:`\|W_l\|`.
    ``Ws[0]`` is returned as :math:`W_1^k - X_0^\top A` at the end.
    """
    L = len(Ws)
    B = xs[0].shape[0]
    n1 = Ws[0].shape[1]
    X0 = xs[0]
    A = np.zeros((B, n1), dtype=Z1k.dtype)
    beta1 = np.zeros(n1, dtype=Z1k.dtype)
    nx = np.zeros(L)
    nx[0] = nx0
    for l in range(1, L):
        nx[l] = power_sq(xs[l], vx[l], tol, max_iter)
    # cached pre-activations Z_l (index l-1); valid flags
    Zc = [np.empty((B, Ws[l].shape[1]), dtype=Z1k.dtype) for l in range(L)]
    Zvalid = np.zeros(L, dtype=np.bool_)
    Zc[0][:, :] = Z1k
    Zvalid[0] = True
    D = [np.empty((B, Ws[l].shape[1]), dtype=Z1k.dtype) for l in range(L)]
    for n in range(n_inner):
        for l in range(L, 0, -1):
            lam = lambdas[l - 1]
            eta = c / (lam * (nx[l - 1] / B + 1.0) + rho)
            if l == 1:
                if not Zvalid[0]:
                    Zc[0][:, :] = Z1k - K @ A - beta1
                    Zvalid[0] = True
                _residual(codes[0], betas[0], Zc[0], xs[1], D[0])
                s = lam / B
                for i in range(B):
                    for q in range(n1):
                        A[i, q] += eta * (s * D[0][i, q] - rho * A[i, q])
                for q in range(n1):
                    acc = 0.0
                    for i in range(B):
                        acc += D[0][i, q]
                    beta1[q] += eta * (s * acc - rho * beta1[q])
                Zvalid[0] = False
                continue
            if not Zvalid[l - 1]:
                Zc[l - 1][:, :] = xs[l - 1] @ Ws[l - 1] + bs[l - 1]
            _residual(codes[l - 1], betas[l - 1], Zc[l - 1], xs[l], D[l - 1])
            _theta_update(Ws[l - 1], bs[l - 1], xs[l - 1], D[l - 1], Wk[l - 1], bk[l - 1], eta, lam / B, rho)
            # x-step on x_j, j = l - 1, with the new Theta_l
            j = l - 1
            Zn = xs[j] @ Ws[l - 1] + bs[l - 1]
            _residual(codes[l - 1], betas[l - 1], Zn, xs[l], D[l - 1])
            if j == 1:
                if not Zvalid[0]:
                    Zc[0][:, :] = Z1k - K @ A - beta1
                    Zvalid[0] = True
            else:
                Zc[j - 1][:, :] = xs[j - 1] @ Ws[j - 1] + bs[j - 1]
                Zvalid[j - 1] = True
            t = c / (lambdas[l - 1] * power_sq(Ws[l - 1], vw[l - 1], tol, max_iter))
            alpha = l1_alpha if l1_layer == j else 0.0
            _x_update(codes[j - 1], betas[j - 1], xs[j], Zc[j - 1], D[l - 1], Ws[l - 1], t,
                      lambdas[j - 1], lam, alpha)
            nx[j] = power_sq(xs[j], vx[j], tol, max_iter)
            Zvalid[l - 1] = False
    W1 = Wk[0] - X0.T @ A
    Ws[0][:, :] = W1
    for q in range(n1):
        bs[0][q] = bk[0][q] - beta1[q]


@njit(cache=True)
def power_sym(K, v, tol, max_iter):
    r""":math:`\lambda_{\max}(K)` of a symmetric PSD ``K`` by power iteration from ``v`` (in place).

    Used with :math:`K = X_0X_0^\top` for :math:`\|X_0\|_2^2` (twin: ``spectral_norm_sq(X_0)``).
    """
    n = K.shape[0]
    K64 = K.astype(np.float64)
    nv = np.sqrt(np.sum(v * v))
    if nv == 0.0:
        for k in range(n):
            v[k] = 1.0 + k / max(n, 1)
        nv = np.sqrt(np.sum(v * v))
    for k in range(n):
        v[k] /= nv
    lam = 0.0
    for _ in range(max_iter):
        w = K64 @ v
        new = np.sum(v * w)
        nw = np.sqrt(np.sum(w * w))
        if nw == 0.0:
            return 0.0
        for k in range(n):
            v[k] = w[k] / nw
        if abs(new - lam) <= tol * max(new, 1e-300):
            lam = new
            break
        lam = new
    return max(lam, np.sum(v * (K64 @ v)))
