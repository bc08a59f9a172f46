r"""Numba kernels for the activations the solvers use most (Section 3: Example 1, eq. (9), (12), Lemma 8, Theorem 10, Example 2).

For ReLU, soft-thresholding, identity, tanh and softmax (with temperature) this module compiles

* ``<name>_sigma``                 :math:`\sigma(z) = \operatorname{prox}_\Psi(z)` (eq. (9), Example 1);
* ``<name>_prox_step``             :math:`\operatorname{prox}_{t\Psi}(z)` (the x-update (17b)); not for softmax;
* ``<name>_bregman_loss``          :math:`B_\Psi(x, z)` per row (eq. (12), evaluated as Theorem 10, item 4);
* ``<name>_bregman_grad``          :math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8);
* ``<name>_bregman_loss_and_grad`` both in one pass over the data;
* ``<name>_bias_sigma``            :math:`\sigma(Y + b)`, the elementwise half of the affine layer
  :math:`\sigma(XW + b)` of eq. (1) (the matrix product is left to BLAS, see
  :mod:`bregnet.kernels.dispatch`).

Each Bregman loss formula is written once, in a row helper
``_<name>_loss_row(x, z, i, [param,] grad_out, with_grad)`` that returns :math:`B_\Psi(x_i, z_i)`
(``+inf`` outside :math:`\operatorname{dom}\Psi`, clipped at 0) and, if ``with_grad``, writes
:math:`\sigma(z_i) - x_i` into ``grad_out[i]`` in the same pass; ``<name>_bregman_loss`` (which passes
``x`` as the unused ``grad_out``) and ``<name>_bregman_loss_and_grad`` are loops over the rows that
call it.  ``<name>_bregman_grad`` keeps its own one-line loop over :math:`\sigma(z) - x`, so that
it does not pay for the loss.

Every kernel is the compiled twin of a readable NumPy function that stays the reference: the
activation's own methods (``prox``) in :mod:`bregnet.activations` and :func:`bregnet.bregman.bregman_loss`
/ :func:`bregnet.bregman.bregman_grad`.  The docstring of each kernel names its twin; the tests in
``tests/kernels/test_activation_kernels.py`` check every kernel against it.

Calling convention (uniform, so that a caller can dispatch on the activation alone):

* ``x``, ``z``, ``y``: 2-D C-contiguous arrays ``(n_samples, n)`` of float64 or float32, same dtype;
* ``param``: the activation's parameter as a Python float (:math:`\alpha` for soft-thresholding,
  the temperature :math:`T` for softmax, ignored by the others).  It is an argument, not a
  compile-time constant, so one compilation per dtype serves every parameter value; inside, it is
  rounded to the array dtype exactly as the NumPy twin does;
* ``out``: a preallocated output of the same dtype (``(n_samples, n)``, or ``(n_samples,)`` for
  losses), which is also returned.  ``sigma``, ``prox_step`` and ``bias_sigma`` may write in place
  (``out`` may be the input); the loss/gradient kernels need ``out`` distinct from ``x`` and ``z``.

Inputs are assumed finite (no NaN, no inf); the kernels do not validate, the wrappers of
:mod:`bregnet.kernels.dispatch` check shapes, dtypes and contiguity.  Row sums are accumulated in
float64 also for float32 data, and the result is rounded to the array dtype.  ``fastmath`` is off:
the kernels keep IEEE semantics (``inf`` outside the domain, signed zeros, no reassociation).

Examples
--------
>>> import numpy as np
>>> z = np.array([[-1.0, 0.5, 3.0]])
>>> relu_sigma(z, 0.0, np.empty_like(z)).tolist()
[[0.0, 0.5, 3.0]]
"""
from __future__ import annotations

import math

import numba
import numpy as np


#: float32's machine epsilon: the unit of the simplex tolerance for every dtype (activations.simplex)
_EPS32 = float(np.finfo(np.float32).eps)

__all__ = [
    "relu_sigma", "relu_prox_step", "relu_bregman_loss", "relu_bregman_grad",
    "relu_bregman_loss_and_grad", "relu_bias_sigma",
    "soft_threshold_sigma", "soft_threshold_prox_step", "soft_threshold_bregman_loss",
    "soft_threshold_bregman_grad", "soft_threshold_bregman_loss_and_grad", "soft_threshold_bias_sigma",
    "identity_sigma", "identity_prox_step", "identity_bregman_loss", "identity_bregman_grad",
    "identity_bregman_loss_and_grad", "identity_bias_sigma",
    "tanh_sigma", "tanh_prox_step", "tanh_prox_scalar", "tanh_bregman_loss", "tanh_bregman_grad",
    "tanh_bregman_loss_and_grad", "tanh_bias_sigma",
    "softmax_sigma", "softmax_bregman_loss", "softmax_bregman_grad",
    "softmax_bregman_loss_and_grad", "softmax_bias_sigma",
]

_INF = np.inf


# ====================================================================== ReLU
@numba.njit(cache=True)
def _relu(v):
    # max(v, 0); NaN propagates like np.maximum
    return 0.0 if v < 0.0 else v


@numba.njit(cache=True)
def relu_sigma(z, param, out):
    r"""ReLU :math:`\sigma(z)_j = \max(z_j, 0)` (Example 1, eq. (9)).

    Twin: :meth:`bregnet.activations.rectifiers.ReLU.prox` with ``step=1``.

    >>> import numpy as np
    >>> relu_sigma(np.array([[-2.0, 0.0, 2.0]]), 0.0, np.empty((1, 3))).tolist()
    [[0.0, 0.0, 2.0]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _relu(z[i, j])
    return out


@numba.njit(cache=True)
def relu_prox_step(z, t, param, out):
    r""":math:`\operatorname{prox}_{t\chi_{\ge0}}(z) = \max(z, 0)` for every :math:`t > 0` (eq. (9); (17b)).

    Twin: :meth:`bregnet.activations.rectifiers.ReLU.prox` with ``step=t``.

    >>> import numpy as np
    >>> relu_prox_step(np.array([[-2.0, 2.0]]), 0.3, 0.0, np.empty((1, 2))).tolist()
    [[0.0, 2.0]]
    """
    return relu_sigma(z, param, out)


@numba.njit(cache=True)
def _relu_loss_row(x, z, i, grad_out, with_grad):
    # B(x_i, z_i) of Theorem 10 item 4 for row i, s = max(z, 0), Psi = chi_{>=0} (0 on its domain):
    #   sum_j 1/2 (x_j - s_j)^2 - (z_j - s_j)(x_j - s_j),  +inf if some x_j < 0,  clipped at 0.
    # With with_grad, also grad_out[i] = s - x (Lemma 8).
    n1 = z.shape[1]
    acc = 0.0
    inside = True
    for j in range(n1):
        xv = x[i, j]
        zv = z[i, j]
        if xv < 0.0:
            inside = False
        s = _relu(zv)
        d = xv - s
        acc += 0.5 * d * d - (zv - s) * d
        if with_grad:
            grad_out[i, j] = s - xv
    return max(acc, 0.0) if inside else _INF


@numba.njit(cache=True)
def relu_bregman_loss(x, z, param, out):
    r"""ReLU Bregman loss per row, Theorem 10 item 4 / Example 2:

    .. math:: B(x, z) = \sum_j \tfrac12 (x_j - s_j)^2 - (z_j - s_j)(x_j - s_j), \quad s = \max(z, 0),

    which is :math:`\tfrac12\|x-\max(z,0)\|^2 + \langle x, \max(-z,0)\rangle` on :math:`x \ge 0`,
    ``+inf`` if some :math:`x_j < 0`; clipped at 0 from below.

    Twin: :func:`bregnet.bregman.bregman_loss` with ``get("relu")``.

    >>> import numpy as np
    >>> relu_bregman_loss(np.array([[0.5], [-0.5]]), np.array([[-1.0], [1.0]]), 0.0, np.empty(2)).tolist()
    [0.625, inf]
    """
    for i in range(z.shape[0]):
        out[i] = _relu_loss_row(x, z, i, x, False)
    return out


@numba.njit(cache=True)
def relu_bregman_grad(x, z, param, out):
    r""":math:`\nabla_z B(x, z) = \max(z, 0) - x` (Lemma 8).

    Twin: :func:`bregnet.bregman.bregman_grad` with ``get("relu")`` (the kernel does not check
    :math:`x \in \operatorname{dom}\Psi`).

    >>> import numpy as np
    >>> relu_bregman_grad(np.array([[1.0, 1.0]]), np.array([[-1.0, 3.0]]), 0.0, np.empty((1, 2))).tolist()
    [[-1.0, 2.0]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _relu(z[i, j]) - x[i, j]
    return out


@numba.njit(cache=True)
def relu_bregman_loss_and_grad(x, z, param, loss_out, grad_out):
    r""":func:`relu_bregman_loss` and :func:`relu_bregman_grad` in one pass; returns ``(loss_out, grad_out)``.

    Twins: :func:`bregnet.bregman.bregman_loss`, :func:`bregnet.bregman.bregman_grad` (eq. (12), Lemma 8).

    >>> import numpy as np
    >>> loss, grad = relu_bregman_loss_and_grad(np.array([[0.5]]), np.array([[-1.0]]), 0.0,
    ...                                         np.empty(1), np.empty((1, 1)))
    >>> loss.tolist(), grad.tolist()
    ([0.625], [[-0.5]])
    """
    for i in range(z.shape[0]):
        loss_out[i] = _relu_loss_row(x, z, i, grad_out, True)
    return loss_out, grad_out


@numba.njit(cache=True)
def relu_bias_sigma(y, b, param, out):
    r""":math:`\max(y_{ij} + b_j, 0)`: the elementwise part of :math:`\sigma(XW + b)` (eq. (1)).

    Twin: ``get("relu").prox(y + b)``.

    >>> import numpy as np
    >>> relu_bias_sigma(np.array([[1.0, -1.0]]), np.array([-2.0, 2.0]), 0.0, np.empty((1, 2))).tolist()
    [[0.0, 1.0]]
    """
    n0, n1 = y.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _relu(y[i, j] + b[j])
    return out


# ====================================================================== soft-thresholding
@numba.njit(cache=True)
def _shrink(v, a):
    # sign(v) max(|v| - a, 0), with the same floating-point operations as the twin
    if v > a:
        return v - a
    if v < -a:
        return v + a
    return 0.0 * v


@numba.njit(cache=True)
def soft_threshold_sigma(z, param, out):
    r"""Soft-thresholding :math:`\sigma(z)_j = \operatorname{sign}(z_j)\max(|z_j| - \alpha, 0)` (Example 1, eq. (9)), ``param`` = :math:`\alpha`.

    Twin: :meth:`bregnet.activations.thresholding.SoftThreshold.prox` with ``step=1``.

    >>> import numpy as np
    >>> soft_threshold_sigma(np.array([[-3.0, 0.5, 2.0]]), 1.0, np.empty((1, 3))).tolist()
    [[-2.0, 0.0, 1.0]]
    """
    a = z.dtype.type(param)
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _shrink(z[i, j], a)
    return out


@numba.njit(cache=True)
def soft_threshold_prox_step(z, t, param, out):
    r""":math:`\operatorname{prox}_{t\alpha\|\cdot\|_1}(z)`: soft-thresholding at :math:`t\alpha` (eq. (9); (17b)).

    Twin: :meth:`bregnet.activations.thresholding.SoftThreshold.prox` with ``step=t``.

    >>> import numpy as np
    >>> soft_threshold_prox_step(np.array([[-3.0, 0.5, 2.0]]), 0.5, 1.0, np.empty((1, 3))).tolist()
    [[-2.5, 0.0, 1.5]]
    """
    return soft_threshold_sigma(z, t * param, out)


@numba.njit(cache=True)
def _soft_threshold_loss_row(x, z, i, a, grad_out, with_grad):
    # B(x_i, z_i) of Theorem 10 item 4 for row i, s = sigma(z), Psi = a ||.||_1:
    #   sum_j 1/2 (x_j - s_j)^2 + a|x_j| - a|s_j| - (z_j - s_j)(x_j - s_j),  clipped at 0.
    # With with_grad, also grad_out[i] = s - x (Lemma 8).
    n1 = z.shape[1]
    acc = 0.0
    inside = True
    for j in range(n1):
        xv = x[i, j]
        zv = z[i, j]
        psix = a * abs(xv)
        if not math.isfinite(psix):
            inside = False
        s = _shrink(zv, a)
        d = xv - s
        acc += 0.5 * d * d + psix - a * abs(s) - (zv - s) * d
        if with_grad:
            grad_out[i, j] = s - xv
    return max(acc, 0.0) if inside else _INF


@numba.njit(cache=True)
def soft_threshold_bregman_loss(x, z, param, out):
    r"""Soft-thresholding Bregman loss per row, Theorem 10 item 4:

    .. math:: B(x, z) = \sum_j \tfrac12 (x_j - s_j)^2 + \alpha|x_j| - \alpha|s_j| - (z_j - s_j)(x_j - s_j),

    :math:`s = \sigma(z)`; equal to the corrected Example 2 closed form
    (:func:`bregnet.bregman.soft_threshold_bregman_loss`).  Clipped at 0 from below.

    Twin: :func:`bregnet.bregman.bregman_loss` with ``get("soft_threshold", alpha=param)``.

    >>> import numpy as np
    >>> soft_threshold_bregman_loss(np.array([[1.0]]), np.array([[0.5]]), 1.0, np.empty(1)).tolist()
    [1.0]
    """
    a = z.dtype.type(param)
    for i in range(z.shape[0]):
        out[i] = _soft_threshold_loss_row(x, z, i, a, x, False)
    return out


@numba.njit(cache=True)
def soft_threshold_bregman_grad(x, z, param, out):
    r""":math:`\nabla_z B(x, z) = \sigma(z) - x` for soft-thresholding (Lemma 8).

    Twin: :func:`bregnet.bregman.bregman_grad` with ``get("soft_threshold", alpha=param)``.

    >>> import numpy as np
    >>> soft_threshold_bregman_grad(np.array([[0.0, 1.0]]), np.array([[3.0, 0.5]]), 1.0, np.empty((1, 2))).tolist()
    [[2.0, -1.0]]
    """
    a = z.dtype.type(param)
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _shrink(z[i, j], a) - x[i, j]
    return out


@numba.njit(cache=True)
def soft_threshold_bregman_loss_and_grad(x, z, param, loss_out, grad_out):
    r""":func:`soft_threshold_bregman_loss` and :func:`soft_threshold_bregman_grad` in one pass.

    Twins: :func:`bregnet.bregman.bregman_loss`, :func:`bregnet.bregman.bregman_grad` (eq. (12), Lemma 8).

    >>> import numpy as np
    >>> loss, grad = soft_threshold_bregman_loss_and_grad(np.array([[1.0]]), np.array([[0.5]]), 1.0,
    ...                                                   np.empty(1), np.empty((1, 1)))
    >>> loss.tolist(), grad.tolist()
    ([1.0], [[-1.0]])
    """
    a = z.dtype.type(param)
    for i in range(z.shape[0]):
        loss_out[i] = _soft_threshold_loss_row(x, z, i, a, grad_out, True)
    return loss_out, grad_out


@numba.njit(cache=True)
def soft_threshold_bias_sigma(y, b, param, out):
    r""":math:`\operatorname{sign}(v)\max(|v|-\alpha, 0)`, :math:`v = y_{ij} + b_j` (elementwise part of :math:`\sigma(XW+b)`, eq. (1)).

    Twin: ``get("soft_threshold", alpha=param).prox(y + b)``.

    >>> import numpy as np
    >>> soft_threshold_bias_sigma(np.array([[1.0, -1.0]]), np.array([1.0, -1.0]), 1.0, np.empty((1, 2))).tolist()
    [[1.0, -1.0]]
    """
    a = y.dtype.type(param)
    n0, n1 = y.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = _shrink(y[i, j] + b[j], a)
    return out


# ====================================================================== identity
@numba.njit(cache=True)
def identity_sigma(z, param, out):
    r"""Identity :math:`\sigma(z) = z = \operatorname{prox}_0(z)` (eq. (9) with :math:`\Psi = 0`; a copy into ``out``).

    Twin: :meth:`bregnet.activations.identity.Identity.prox` with ``step=1``.

    >>> import numpy as np
    >>> identity_sigma(np.array([[-1.0, 2.0]]), 0.0, np.empty((1, 2))).tolist()
    [[-1.0, 2.0]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = z[i, j]
    return out


@numba.njit(cache=True)
def identity_prox_step(z, t, param, out):
    r""":math:`\operatorname{prox}_{t\cdot 0}(z) = z` for every :math:`t > 0` (eq. (9)).

    Twin: :meth:`bregnet.activations.identity.Identity.prox` with ``step=t``.

    >>> import numpy as np
    >>> identity_prox_step(np.array([[-1.0, 2.0]]), 0.5, 0.0, np.empty((1, 2))).tolist()
    [[-1.0, 2.0]]
    """
    return identity_sigma(z, param, out)


@numba.njit(cache=True)
def _identity_loss_row(x, z, i, grad_out, with_grad):
    # B(x_i, z_i) = 1/2 ||x_i - z_i||^2 (eq. (12) with Psi = 0, s = z); never negative, so no clipping.
    # With with_grad, also grad_out[i] = z - x (Lemma 8), written as -(x - z).
    n1 = z.shape[1]
    acc = 0.0
    for j in range(n1):
        d = x[i, j] - z[i, j]
        acc += 0.5 * d * d
        if with_grad:
            grad_out[i, j] = -d
    return acc


@numba.njit(cache=True)
def identity_bregman_loss(x, z, param, out):
    r"""Identity Bregman loss per row: :math:`B(x, z) = \tfrac12\|x - z\|^2` (eq. (12) with :math:`\Psi = 0`).

    Twin: :func:`bregnet.bregman.bregman_loss` with ``get("identity")``.

    >>> import numpy as np
    >>> identity_bregman_loss(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), 0.0, np.empty(1)).tolist()
    [2.5]
    """
    for i in range(z.shape[0]):
        out[i] = _identity_loss_row(x, z, i, x, False)
    return out


@numba.njit(cache=True)
def identity_bregman_grad(x, z, param, out):
    r""":math:`\nabla_z B(x, z) = z - x` (Lemma 8 with :math:`\sigma = \mathrm{id}`).

    Twin: :func:`bregnet.bregman.bregman_grad` with ``get("identity")``.

    >>> import numpy as np
    >>> identity_bregman_grad(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), 0.0, np.empty((1, 2))).tolist()
    [[-1.0, -2.0]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = z[i, j] - x[i, j]
    return out


@numba.njit(cache=True)
def identity_bregman_loss_and_grad(x, z, param, loss_out, grad_out):
    r""":func:`identity_bregman_loss` and :func:`identity_bregman_grad` in one pass.

    Twins: :func:`bregnet.bregman.bregman_loss`, :func:`bregnet.bregman.bregman_grad` (eq. (12), Lemma 8).

    >>> import numpy as np
    >>> loss, grad = identity_bregman_loss_and_grad(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), 0.0,
    ...                                             np.empty(1), np.empty((1, 2)))
    >>> loss.tolist(), grad.tolist()
    ([2.5], [[-1.0, -2.0]])
    """
    for i in range(z.shape[0]):
        loss_out[i] = _identity_loss_row(x, z, i, grad_out, True)
    return loss_out, grad_out


@numba.njit(cache=True)
def identity_bias_sigma(y, b, param, out):
    r""":math:`y_{ij} + b_j` (elementwise part of the linear layer :math:`XW + b`, eq. (1)).

    Twin: ``get("identity").prox(y + b)``.

    >>> import numpy as np
    >>> identity_bias_sigma(np.array([[1.0, -1.0]]), np.array([1.0, 1.0]), 0.0, np.empty((1, 2))).tolist()
    [[2.0, 0.0]]
    """
    n0, n1 = y.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = y[i, j] + b[j]
    return out


# ====================================================================== tanh
@numba.njit(cache=True)
def _tanh_psi(u):
    # psi(u) = 1/2 [(1+u) log(1+u) + (1-u) log(1-u) - u^2] on [-1, 1] (0 log 0 = 0), +inf outside
    if not abs(u) <= 1.0:
        return _INF
    p = 1.0 + u
    m = 1.0 - u
    tp = 0.0 if p == 0.0 else p * math.log1p(u)
    tm = 0.0 if m == 0.0 else m * math.log1p(-u)
    return 0.5 * (tp + tm - u * u)


@numba.njit(cache=True)
def tanh_prox_scalar(z, t):
    r""":math:`\operatorname{prox}_{t\Psi}(z)` for tanh's :math:`\Psi`, one float64 scalar.

    Solves :math:`g(u) = t\,u + (1-t)\tanh u = z` by safeguarded Newton and returns
    :math:`\tanh u^*` (see :func:`bregnet.activations.base.prox_step_from_sigma`).  :math:`g` is odd and
    increasing with slope in :math:`[\min(t,1), \max(t,1)]`, so for :math:`a = |z|` the root lies
    in :math:`[a, a/t]` (:math:`t<1`) or :math:`[a/t, a]` (:math:`t>1`); a Newton step that leaves the
    current bracket is replaced by bisection, so the iteration always converges.

    Twin: :meth:`bregnet.activations.sigmoids.Tanh.prox` with ``step=t`` (via
    :func:`~bregnet.activations.base.prox_step_from_sigma`).

    >>> import math
    >>> x = tanh_prox_scalar(0.8, 0.5)          # x = tanh(u), 0.5 u + 0.5 tanh(u) = 0.8
    >>> u = math.atanh(x)
    >>> abs(0.5 * u + 0.5 * x - 0.8) < 1e-15
    True
    """
    if t == 1.0 or z == 0.0 or z != z:
        return math.tanh(z)
    a = abs(z)
    if t < 1.0:
        lo = a
        hi = a / t
    else:
        lo = a / t
        hi = a
    u = a
    eps = 2.220446049250313e-16
    for _ in range(300):
        th = math.tanh(u)
        r = t * u + (1.0 - t) * th - a
        if r == 0.0:
            break
        if r > 0.0:
            hi = u
        else:
            lo = u
        d = t + (1.0 - t) * (1.0 - th * th)
        un = u - r / d
        if not (lo < un < hi):
            un = 0.5 * (lo + hi)
        if abs(un - u) <= 4.0 * eps * un or hi - lo <= 4.0 * eps * hi:
            u = un
            break
        u = un
    return math.copysign(math.tanh(u), z)


@numba.njit(cache=True)
def tanh_sigma(z, param, out):
    r""":math:`\sigma(z) = \tanh z = \operatorname{prox}_\Psi(z)` (Example 1, eq. (9)).

    Twin: :meth:`bregnet.activations.sigmoids.Tanh.prox` with ``step=1``.

    >>> import numpy as np
    >>> tanh_sigma(np.array([[0.0, 1e8, -1e8]]), 0.0, np.empty((1, 3))).tolist()
    [[0.0, 1.0, -1.0]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = math.tanh(z[i, j])
    return out


@numba.njit(cache=True)
def tanh_prox_step(z, t, param, out):
    r""":math:`\operatorname{prox}_{t\Psi}(z)` for tanh, elementwise by :func:`tanh_prox_scalar` (eq. (9); (17b)).

    Computed in float64 and rounded to the array dtype.
    Twin: :meth:`bregnet.activations.sigmoids.Tanh.prox` with ``step=t``.

    >>> import numpy as np
    >>> tanh_prox_step(np.array([[0.0, 1e8]]), 0.5, 0.0, np.empty((1, 2))).tolist()
    [[0.0, 1.0]]
    """
    if t == 1.0:
        return tanh_sigma(z, param, out)
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = tanh_prox_scalar(float(z[i, j]), t)
    return out


@numba.njit(cache=True)
def _tanh_loss_row(x, z, i, grad_out, with_grad):
    # B(x_i, z_i) of Theorem 10 item 4 for row i, s = tanh z, Psi = sum_j psi(u_j) (see _tanh_psi):
    #   sum_j 1/2 (x_j - s_j)^2 + psi(x_j) - psi(s_j) - (z_j - s_j)(x_j - s_j),
    #   +inf if some |x_j| > 1,  clipped at 0.
    # With with_grad, also grad_out[i] = s - x (Lemma 8).
    n1 = z.shape[1]
    acc = 0.0
    inside = True
    for j in range(n1):
        xv = x[i, j]
        zv = z[i, j]
        psix = _tanh_psi(xv)
        if not math.isfinite(psix):
            inside = False
        s = math.tanh(zv)
        d = xv - s
        acc += 0.5 * d * d + psix - _tanh_psi(s) - (zv - s) * d
        if with_grad:
            grad_out[i, j] = s - xv
    return max(acc, 0.0) if inside else _INF


@numba.njit(cache=True)
def tanh_bregman_loss(x, z, param, out):
    r"""tanh Bregman loss per row, Theorem 10 item 4:

    .. math:: B(x, z) = \sum_j \tfrac12 (x_j - s_j)^2 + \psi(x_j) - \psi(s_j) - (z_j - s_j)(x_j - s_j),
              \quad s = \tanh z,

    :math:`\psi(u) = \tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u) - u^2]` on :math:`[-1, 1]` (Example 1,
    closed; :math:`0\log 0 = 0`, so :math:`\psi(\pm1) = \log 2 - \tfrac12` and :math:`|z| = 10^8`,
    where :math:`\tanh z = \pm1`, gives no NaN), ``+inf`` if some :math:`|x_j| > 1`.  This equals the
    log-cosh form :math:`\phi(x) + \log\cosh z - \langle x, z\rangle` of eq. (12) and Example 2 but does
    not cancel two terms of size :math:`|z|`.  Clipped at 0 from below.

    Twin: :func:`bregnet.bregman.bregman_loss` with ``get("tanh")``.

    >>> import numpy as np
    >>> tanh_bregman_loss(np.array([[1.0], [1.5]]), np.array([[1e8], [0.0]]), 0.0, np.empty(2)).tolist()
    [0.0, inf]
    """
    for i in range(z.shape[0]):
        out[i] = _tanh_loss_row(x, z, i, x, False)
    return out


@numba.njit(cache=True)
def tanh_bregman_grad(x, z, param, out):
    r""":math:`\nabla_z B(x, z) = \tanh z - x` (Lemma 8).

    Twin: :func:`bregnet.bregman.bregman_grad` with ``get("tanh")``.

    >>> import numpy as np
    >>> tanh_bregman_grad(np.array([[0.5]]), np.array([[0.0]]), 0.0, np.empty((1, 1))).tolist()
    [[-0.5]]
    """
    n0, n1 = z.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = math.tanh(z[i, j]) - x[i, j]
    return out


@numba.njit(cache=True)
def tanh_bregman_loss_and_grad(x, z, param, loss_out, grad_out):
    r""":func:`tanh_bregman_loss` and :func:`tanh_bregman_grad` in one pass.

    Twins: :func:`bregnet.bregman.bregman_loss`, :func:`bregnet.bregman.bregman_grad` (eq. (12), Lemma 8).

    >>> import numpy as np
    >>> loss, grad = tanh_bregman_loss_and_grad(np.array([[0.0]]), np.array([[0.0]]), 0.0,
    ...                                         np.empty(1), np.empty((1, 1)))
    >>> loss.tolist(), grad.tolist()
    ([0.0], [[0.0]])
    """
    for i in range(z.shape[0]):
        loss_out[i] = _tanh_loss_row(x, z, i, grad_out, True)
    return loss_out, grad_out


@numba.njit(cache=True)
def tanh_bias_sigma(y, b, param, out):
    r""":math:`\tanh(y_{ij} + b_j)` (elementwise part of :math:`\sigma(XW + b)`, eq. (1)).

    Twin: ``get("tanh").prox(y + b)``.

    >>> import numpy as np
    >>> tanh_bias_sigma(np.array([[1.0]]), np.array([-1.0]), 0.0, np.empty((1, 1))).tolist()
    [[0.0]]
    """
    n0, n1 = y.shape
    for i in range(n0):
        for j in range(n1):
            out[i, j] = math.tanh(y[i, j] + b[j])
    return out


# ====================================================================== softmax (temperature T)
@numba.njit(cache=True)
def _softmax_row(z, i, T, e):
    # e_j = exp(w_j - max w), w = z_i / T (the shift of a stable log-sum-exp); returns sum_j e_j.
    # One exponential per entry; w and w - max w are rounded in the array dtype, as in the twin.
    n1 = z.shape[1]
    m = z[i, 0] / T
    for j in range(1, n1):
        w = z[i, j] / T
        if w > m:
            m = w
    total = 0.0
    for j in range(n1):
        ej = math.exp(z[i, j] / T - m)
        e[j] = ej
        total += ej
    return total


@numba.njit(cache=True)
def softmax_sigma(z, param, out):
    r""":math:`\sigma(z)_j = e^{z_j/T} / \sum_k e^{z_k/T}` computed as :math:`e^{w_j - \max w}/\sum_k e^{w_k - \max w}`, :math:`w = z/T` (Example 1, eq. (9)), ``param`` = :math:`T`.

    Twin: :meth:`bregnet.activations.simplex.Softmax.prox` with ``step=1``
    (:func:`bregnet.activations.simplex.softmax`).

    >>> import numpy as np
    >>> np.round(softmax_sigma(np.array([[0.0, np.log(3.0)], [1e8, -1e8]]), 1.0, np.empty((2, 2))), 12).tolist()
    [[0.25, 0.75], [1.0, 0.0]]
    """
    T = z.dtype.type(param)
    n0, n1 = z.shape
    e = np.empty(n1)
    for i in range(n0):
        total = _softmax_row(z, i, T, e)
        for j in range(n1):
            out[i, j] = e[j] / total
    return out


@numba.njit(cache=True)
def _xlogx(v):
    return 0.0 if v == 0.0 else v * math.log(v)


@numba.njit(cache=True)
def _softmax_loss_row(x, z, i, T, tol, e, grad_out, with_grad):
    # Theorem 10 item 4 for one row, s = softmax(z / T) by the shifted exponentials of log-sum-exp
    n1 = z.shape[1]
    total = _softmax_row(z, i, T, e)
    acc = 0.0
    xsum = 0.0
    nonneg = True
    for j in range(n1):
        xv = x[i, j]
        zv = z[i, j]
        if xv < 0.0:
            nonneg = False
        xsum += xv
        # sigma(z)_j rounded to the array dtype, as the forward pass stores it, so that B = 0
        # exactly at x = sigma(z) also in float32
        s = z.dtype.type(e[j] / total)
        xc = max(xv, 0.0)
        psix = T * _xlogx(xc) - 0.5 * xc * xc
        psis = T * _xlogx(s) - 0.5 * s * s
        d = xv - s
        acc += 0.5 * d * d + psix - psis - (zv - s) * d
        if with_grad:
            grad_out[i, j] = s - xv
    if nonneg and abs(xsum - 1.0) <= tol:
        return max(acc, 0.0)
    return _INF


@numba.njit(cache=True)
def softmax_bregman_loss(x, z, param, out):
    r"""Softmax Bregman loss per row, Theorem 10 item 4 with :math:`\Psi(u) = \sum_j (T u_j\log u_j - \tfrac12 u_j^2) + \chi_\Delta(u)`:

    .. math:: B(x, z) = \tfrac12\|x - s\|^2 + \Psi(x) - \Psi(s) - \langle z - s, x - s\rangle,
              \quad s = \operatorname{softmax}(z/T),

    where :math:`s_j = e^{w_j - \max w} / \sum_k e^{w_k - \max w}`, :math:`w = z/T` (the shift of a
    stable log-sum-exp: no overflow at :math:`|z| = 10^8`), rounded to the array dtype as the
    forward pass stores it (so :math:`B = 0` exactly at :math:`x = \sigma(z)`), and
    :math:`0\log 0 = 0` on the faces of the simplex.  Algebraically equal to the cross-entropy form
    :math:`T\sum_j x_j\log x_j + T\operatorname{lse}(z/T) - \langle x, z\rangle` of Example 2
    (:math:`T = 1`), without its cancellation of two terms of size :math:`|z|`.  ``+inf`` off the simplex (some :math:`x_j < 0` or
    :math:`|\sum_j x_j - 1| > 16\,n\,\varepsilon_{32}` for float32 and float64 alike, the tolerance of
    :func:`bregnet.activations.simplex.on_simplex`; the sum is accumulated in float64).  Clipped at 0.

    Twin: :func:`bregnet.bregman.bregman_loss` with ``get("softmax", temperature=param)``.

    >>> import numpy as np
    >>> x = np.array([[0.5, 0.5], [0.6, 0.6]])
    >>> softmax_bregman_loss(x, np.zeros((2, 2)), 1.0, np.empty(2)).tolist()
    [0.0, inf]
    """
    T = z.dtype.type(param)
    n0, n1 = z.shape
    tol = 16.0 * max(n1, 1) * _EPS32                       # = activations.simplex.simplex_tolerance
    e = np.empty(n1)
    for i in range(n0):
        out[i] = _softmax_loss_row(x, z, i, T, tol, e, x, False)
    return out


@numba.njit(cache=True)
def softmax_bregman_grad(x, z, param, out):
    r""":math:`\nabla_z B(x, z) = \operatorname{softmax}(z/T) - x` (Lemma 8).

    Twin: :func:`bregnet.bregman.bregman_grad` with ``get("softmax", temperature=param)``.

    >>> import numpy as np
    >>> softmax_bregman_grad(np.array([[1.0, 0.0]]), np.zeros((1, 2)), 1.0, np.empty((1, 2))).tolist()
    [[-0.5, 0.5]]
    """
    T = z.dtype.type(param)
    n0, n1 = z.shape
    e = np.empty(n1)
    for i in range(n0):
        total = _softmax_row(z, i, T, e)
        for j in range(n1):
            out[i, j] = e[j] / total - x[i, j]
    return out


@numba.njit(cache=True)
def softmax_bregman_loss_and_grad(x, z, param, loss_out, grad_out):
    r""":func:`softmax_bregman_loss` and :func:`softmax_bregman_grad` in one pass.

    Twins: :func:`bregnet.bregman.bregman_loss`, :func:`bregnet.bregman.bregman_grad` (eq. (12), Lemma 8).

    >>> import numpy as np
    >>> loss, grad = softmax_bregman_loss_and_grad(np.array([[1.0, 0.0]]), np.zeros((1, 2)), 1.0,
    ...                                            np.empty(1), np.empty((1, 2)))
    >>> bool(np.isclose(loss[0], np.log(2.0))), grad.tolist()
    (True, [[-0.5, 0.5]])
    """
    T = z.dtype.type(param)
    n0, n1 = z.shape
    tol = 16.0 * max(n1, 1) * _EPS32                       # = activations.simplex.simplex_tolerance
    e = np.empty(n1)
    for i in range(n0):
        loss_out[i] = _softmax_loss_row(x, z, i, T, tol, e, grad_out, True)
    return loss_out, grad_out


@numba.njit(cache=True)
def softmax_bias_sigma(y, b, param, out):
    r""":math:`\operatorname{softmax}((y_i + b)/T)` row by row (the non-separable part of :math:`\sigma(XW + b)`, eq. (1)).

    Twin: ``get("softmax", temperature=param).prox(y + b)``.

    >>> import numpy as np
    >>> softmax_bias_sigma(np.array([[1.0, 0.0]]), np.array([-1.0, 0.0]), 1.0, np.empty((1, 2))).tolist()
    [[0.5, 0.5]]
    """
    T = y.dtype.type(param)
    n0, n1 = y.shape
    e = np.empty(n1)
    for i in range(n0):
        # the shifted row y_i + b, rounded to the array dtype as in the twin, then its softmax
        for j in range(n1):
            out[i, j] = y[i, j] + b[j]
        total = _softmax_row(out, i, T, e)
        for j in range(n1):
            out[i, j] = e[j] / total
    return out
