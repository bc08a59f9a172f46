r"""The Bregman loss :math:`B_\Psi` and its gradient (Section 3.1: eq. (12), (14), Corollary 6, Lemma 8, Theorem 10, Example 2).

.. math::  B_\Psi(x, z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle, \qquad
           \Phi = \tfrac12\|\cdot\|^2 + \Psi \qquad (12)

with :math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8).  The equivalent forms of Theorem 10
(items 1-4), eq. (14) and the closed forms of Example 2 are separate functions below so that they
can be read and compared; :func:`bregman_loss` evaluates the form that is most accurate in floating
point (Theorem 10, item 4), which never subtracts two quantities of size :math:`\|z\|^2`.

All functions take arrays of shape ``(..., n)`` and return shape ``(...)``; ``x`` outside
:math:`\operatorname{dom}\Psi` gives ``+inf``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, xlogy

from .activations.base import Activation, as_float_array

__all__ = [
    "bregman_loss",
    "bregman_grad",
    "bregman_loss_definition",
    "bregman_loss_envelope_form",
    "bregman_loss_bregman_distance_form",
    "bregman_loss_split_form",
    "bregman_loss_expanded_form",
    "bregman_loss_conjugate_form",
    "generalised_bregman_distance",
    "relu_bregman_loss",
    "soft_threshold_bregman_loss",
    "tanh_bregman_loss",
    "softmax_bregman_loss",
]


def _pair(activation, x, z):
    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be a bregnet Activation (see bregnet.activations.get); got {type(activation).__name__}")
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    if x.ndim == 0 or z.ndim == 0:
        raise ValueError("x and z must have at least one axis (the feature axis, last)")
    try:
        shape = np.broadcast_shapes(x.shape, z.shape)
    except ValueError:
        raise ValueError(f"x and z must have broadcastable shapes (..., n); got x {x.shape} and z {z.shape}") from None
    if x.shape[-1] != z.shape[-1]:
        raise ValueError(f"x and z must have the same last (feature) dimension; got {x.shape[-1]} and {z.shape[-1]}")
    if not np.all(np.isfinite(z)):
        raise ValueError("z contains NaN or Inf; B_Psi(x, z) needs a finite second argument")
    if np.any(np.isnan(x)):
        raise ValueError("x contains NaN")
    dtype = np.result_type(x.dtype, z.dtype)
    return np.broadcast_to(x, shape).astype(dtype, copy=False), np.broadcast_to(z, shape).astype(dtype, copy=False)


def _dot(a, b):
    return np.sum(a * b, axis=-1)


def _sq(a):
    return 0.5 * np.sum(a * a, axis=-1)


def _mask_domain(activation, x, value):
    """+inf where x is outside dom Psi (and no NaN from inf - inf there)."""
    inside = activation.in_domain(x)
    return np.where(inside, value, np.inf).astype(value.dtype if hasattr(value, "dtype") else x.dtype)


def generalised_bregman_distance(psi, x, v, q):
    r"""Definition 5: :math:`D_\Psi^{q}(x, v) = \Psi(x) - \Psi(v) - \langle q, x - v\rangle`, :math:`q\in\partial\Psi(v)`.

    ``psi`` is any callable reducing over the last axis.
    """
    x = as_float_array(x, "x")
    v = as_float_array(v, "v")
    q = as_float_array(q, "q")
    with np.errstate(invalid="ignore"):
        return psi(x) - psi(v) - _dot(q, x - v)


def bregman_loss(activation: Activation, x, z) -> np.ndarray:
    r"""The Bregman loss :math:`B_\Psi(x, z)` of eq. (12).

    Evaluated as Theorem 10, item 4,

    .. math:: B_\Psi(x,z) = \tfrac12\|x-\sigma(z)\|^2 + \Psi(x) - \Psi(\sigma(z)) - \langle z-\sigma(z), x-\sigma(z)\rangle,

    which equals (12) and is accurate for :math:`|z|` up to :math:`10^8`.  Returns ``+inf`` where
    :math:`x\notin\operatorname{dom}\Psi`; the result is clipped at 0 from below (it is a Bregman
    distance, Corollary 6) to remove rounding noise of order eps.

    Parameters
    ----------
    activation : Activation
        The activation (see :func:`bregnet.activations.get`).
    x : array_like, shape (..., n)
        First argument (a point of :math:`\operatorname{dom}\Psi`, e.g. an auxiliary variable).
    z : array_like, shape (..., n)
        Second argument (a pre-activation); must be finite.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import bregnet
    >>> relu = bregnet.activations.get("relu")
    >>> float(bregnet.bregman_loss(relu, [[0.5]], [[-1.0]])[0])   # 1/2 (0.5)^2 + 0.5 * 1
    0.625
    >>> float(bregnet.bregman_loss(relu, [[-0.5]], [[1.0]])[0])
    inf
    """
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + activation.psi(x) - activation.psi(s) - _dot(z - s, x - s)
    val = np.maximum(val, 0)
    return _mask_domain(activation, x, val)


def bregman_grad(activation: Activation, x, z, *, check_domain: bool = True) -> np.ndarray:
    r""":math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8; Theorem 10, item 6).

    No derivative of the activation is needed.  Lemma 8 holds for :math:`x\in\operatorname{dom}\Psi`;
    with ``check_domain=True`` (default) an ``x`` outside the domain raises ``ValueError``.

    Examples
    --------
    >>> import bregnet
    >>> tanh = bregnet.activations.get("tanh")
    >>> g = bregnet.bregman_grad(tanh, [[0.0]], [[0.0]])
    >>> g.tolist()
    [[0.0]]
    """
    x, z = _pair(activation, x, z)
    if check_domain:
        inside = activation.in_domain(x)
        if not np.all(inside):
            raise ValueError(f"x has {int(np.size(inside) - np.count_nonzero(inside))} row(s) outside dom Psi of "
                             f"{activation!r}; Lemma 8 needs x in dom Psi")
    return activation.prox(z) - x


def bregman_loss_definition(activation: Activation, x, z) -> np.ndarray:
    r"""Eq. (12) literally: :math:`\tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle`.

    Loses accuracy when :math:`\|z\|` is large (two terms of size :math:`\tfrac12\|z\|^2` cancel).
    """
    x, z = _pair(activation, x, z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = activation.phi(x) + activation.conjugate(z) - _dot(x, z)
    return _mask_domain(activation, x, val)


def bregman_loss_envelope_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 1: :math:`E_z(x) - E_z(\sigma(z))`, :math:`E_z(u) = \tfrac12\|u - z\|^2 + \Psi(u)`."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = (_sq(x - z) + activation.psi(x)) - (_sq(s - z) + activation.psi(s))
    return _mask_domain(activation, x, val)


def bregman_loss_bregman_distance_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 2: :math:`D^{z}_{\Phi}(x, \sigma(z)) = \Phi(x) - \Phi(\sigma(z)) - \langle z, x - \sigma(z)\rangle`."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = generalised_bregman_distance(activation.phi, x, s, z)
    return _mask_domain(activation, x, val)


def bregman_loss_split_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 3: :math:`\tfrac12\|x-\sigma(z)\|^2 + D_\Psi^{z-\sigma(z)}(x, \sigma(z))` (Corollary 6)."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + generalised_bregman_distance(activation.psi, x, s, z - s)
    return _mask_domain(activation, x, val)


def bregman_loss_expanded_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 4: :math:`\tfrac12\|x-\sigma(z)\|^2 + \Psi(x) - \Psi(\sigma(z)) - \langle z-\sigma(z), x-\sigma(z)\rangle` (unclipped)."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + activation.psi(x) - activation.psi(s) - _dot(z - s, x - s)
    return _mask_domain(activation, x, val)


def bregman_loss_conjugate_form(activation: Activation, x, z) -> np.ndarray:
    r"""Eq. (14) with Theorem 7: :math:`\tfrac12\|x-\sigma(z)\|^2 + \Psi(x) + \Psi^*(\sigma^*(z)) - \langle x, \sigma^*(z)\rangle`.

    :math:`\sigma^*(z) = z - \sigma(z) = \operatorname{prox}_{\Psi^*}(z)`.  Needs a closed-form
    :math:`\Psi^*` (``activation.has_psi_conjugate``).
    """
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    s_dual = activation.prox_conjugate(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + activation.psi(x) + activation.psi_conjugate(s_dual) - _dot(x, s_dual)
    return _mask_domain(activation, x, val)


# ---------------------------------------------------------------- Example 2 closed forms
def relu_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, ReLU: :math:`\tfrac12\|x-\max(z,0)\|^2 + \langle x, \max(-z, 0)\rangle` on :math:`x \ge 0`, else :math:`\infty`.

    Examples
    --------
    >>> float(relu_bregman_loss([[0.5]], [[-1.0]])[0])
    0.625
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    val = _sq(x - np.maximum(z, 0)) + _dot(x, np.maximum(-z, 0))
    return np.where(np.all(x >= 0, axis=-1), val, np.inf)


def soft_threshold_bregman_loss(x, z, alpha: float = 1.0) -> np.ndarray:
    r"""Example 2, soft-thresholding, **corrected** (see ``docs/errata.md``), summed over entries.

    .. math::
       B(x, z) = \tfrac12 x^2 + \alpha|x| + \begin{cases}
          \tfrac12 z^2 - z(\alpha + x) + \tfrac12\alpha^2 & z > \alpha\\
          -xz & |z|\le\alpha\\
          \tfrac12 z^2 + z(\alpha - x) + \tfrac12\alpha^2 & z < -\alpha\end{cases}

    The paper prints only the :math:`z`-dependent part; the terms
    :math:`\tfrac12x^2 + \alpha|x|` (and :math:`\tfrac12\alpha^2` outside :math:`[-\alpha,\alpha]`)
    are missing, so the printed expression can be negative.

    Examples
    --------
    >>> float(soft_threshold_bregman_loss([[1.0]], [[0.5]], alpha=1.0)[0])   # printed form gives -0.5
    1.0
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    a = alpha
    body = np.where(z > a, 0.5 * z * z - z * (a + x) + 0.5 * a * a,
                    np.where(z < -a, 0.5 * z * z + z * (a - x) + 0.5 * a * a, -x * z))
    return np.sum(0.5 * x * x + a * np.abs(x) + body, axis=-1)


def tanh_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, tanh: :math:`\sum_j \tfrac12\log\frac{1-x_j^2}{1-\tanh^2 z_j} + x_j(\tanh^{-1}x_j - z_j)`.

    Evaluated as :math:`\tfrac12[(1+x)\log(1+x) + (1-x)\log(1-x)] + \log\cosh z - xz` (the same
    expression on :math:`|x|<1`, since :math:`x\tanh^{-1}x + \tfrac12\log(1-x^2)` equals the first
    bracket and :math:`-\tfrac12\log(1-\tanh^2 z) = \log\cosh z`), which is accurate near
    :math:`|x| = 1`.  The paper prints :math:`\infty` for :math:`|x| \ge 1`; with the lower
    semi-continuous :math:`\Psi` that Definition 1 requires, :math:`B` is finite at :math:`|x| = 1`,
    :math:`B(\pm1, z) = \log(1 + e^{\mp 2z})`, and that is what is returned there (``docs/errata.md``).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(tanh_bregman_loss([[1.0]], [[0.5]])[0], np.log1p(np.exp(-1.0))))
    True
    """
    from scipy.special import xlog1py

    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    inside = np.all(np.abs(x) <= 1, axis=-1)
    xc = np.clip(x, -1, 1)
    a = np.abs(z)
    logcosh = a + np.log1p(np.exp(-2 * a)) - np.log(2.0)
    phi = 0.5 * (xlog1py(1 + xc, xc) + xlog1py(1 - xc, -xc))
    val = np.sum(phi + logcosh - xc * z, axis=-1)
    return np.where(inside, val, np.inf)


def softmax_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, softmax: :math:`\sum_j x_j(\log x_j - z_j) + \log\sum_j e^{z_j}` on the simplex, else :math:`\infty`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(softmax_bregman_loss([[0.5, 0.5]], [[0.0, 0.0]])[0], 0.0))
    True
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    from .activations.simplex import on_simplex

    xc = np.maximum(x, 0)
    val = np.sum(xlogy(xc, xc) - xc * z, axis=-1) + logsumexp(z, axis=-1)
    return np.where(on_simplex(x), val, np.inf)
