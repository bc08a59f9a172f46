r"""Lipschitz constants of the lifted energy's gradient blocks, and spectral norms by power iteration (Section 4.1.1, 6.1).

The step sizes of every lifted solver come from these bounds (written once, used by all):

* :math:`\Theta_l = (W_l, b_l)`: the gradient of :math:`\frac{\lambda_l}{s}\sum_i B_{\Psi_l}(x_l^i, W_l^\top x_{l-1}^i + b_l)`
  is Lipschitz with constant :math:`\frac{\lambda_l}{s}\|[X_{l-1}, \mathbf 1]\|_2^2 \le \lambda_l(\|X_{l-1}\|_2^2/s + 1)`
  (:math:`\sigma_l` is firmly non-expansive, Theorem 10), plus :math:`\rho` for a proximal term
  :math:`\tfrac\rho2\|\Theta - \Theta^k\|^2` (eq. (24));
* :math:`x_j` (per sample): the smooth part is Lipschitz with constant :math:`\lambda_{j+1}\|W_{j+1}\|_2^2`.

For an operator layer :math:`A_{W}(x) + b` (:mod:`bregnet.operators`) the same bounds read
:math:`\lambda_l(\|K \mapsto A_K(X_{l-1})\|_2^2/s + P) + \rho` (``positions`` :math:`P`: the bias is
broadcast over :math:`P` output positions, so :math:`\|b \mapsto \mathbf 1 \otimes b\|^2 = sP`) and
:math:`\lambda_{j+1}\|A_{W_{j+1}}\|_2^2`; the operators compute both norms by power iteration.  The sweeps use the
exact joint norm :math:`\|(K, b) \mapsto A_K(X) + \mathbf 1\otimes b\|_2^2/s` instead of the first bound (``positions``
0, :meth:`bregnet.operators.LinearOperator.affine_map_norm_sq`): for a convolution on images the bias direction is
nearly the top singular direction of the patches, so the sum :math:`\|P(X)\|^2 + sP` nearly doubles the constant.

A step :math:`c/L` with :math:`0 < c < 2` then decreases the block objective (descent lemma); the paper
uses :math:`c = 1.99` (Section 6.1).
"""
from __future__ import annotations

import numpy as np

__all__ = ["spectral_norm_sq", "theta_lipschitz", "x_lipschitz"]


def spectral_norm_sq(A, *, method: str = "power", v0=None, tol: float = 1e-10, max_iter: int = 500,
                     return_vector: bool = False):
    r""":math:`\|A\|_2^2 = \lambda_{\max}(A^\top A)`, by power iteration on :math:`A^\top A` (default) or exactly.

    Parameters
    ----------
    A : ndarray, shape (m, n)
    method : ``"power"`` or ``"exact"`` (SVD)
    v0 : ndarray of shape (n,), optional
        Warm start (e.g. the vector returned for the previous, slightly different, matrix).
    tol : float
        Stop when the Rayleigh quotient changes by less than ``tol`` relative.
    return_vector : bool
        Also return the final iterate (for warm starts).

    Notes
    -----
    Power iteration converges to :math:`\lambda_{\max}` from below; with a start vector that is not
    orthogonal to the top singular vector (the default start is a positive vector plus a fixed ramp) and
    ``tol`` small this is accurate to about ``tol``.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [0.0, 1.0]])
    >>> round(spectral_norm_sq(A), 10), float(spectral_norm_sq(A, method="exact"))
    (9.0, 9.0)
    """
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"A must be 2-D; got shape {A.shape}")
    m, n = A.shape
    if A.size == 0:
        return (0.0, np.zeros(n)) if return_vector else 0.0
    if method == "exact":
        val = float(np.linalg.norm(A.astype(np.float64), 2) ** 2)
        return (val, None) if return_vector else val
    if method != "power":
        raise ValueError(f"method must be 'power' or 'exact'; got {method!r}")
    from ..operators import power_norm_sq
    A64 = A.astype(np.float64, copy=False)
    return power_norm_sq(lambda v: A64.T @ (A64 @ v), n, v0=v0, tol=tol, max_iter=max_iter,
                         return_vector=return_vector)


def theta_lipschitz(X_prev_norm_sq: float, n_samples: int, lam: float, prox_weight: float = 0.0,
                    positions: int = 1) -> float:
    r"""Upper bound :math:`\lambda_l(\|X_{l-1}\|_2^2/s + P) + \rho` for the :math:`(W_l, b_l)` block (see module doc).

    Uses :math:`\|[X, \mathbf 1]\|_2^2 \le \|X\|_2^2 + \|\mathbf 1\|^2 = \|X\|_2^2 + s` (:math:`P = 1`, dense); for
    an operator layer ``X_prev_norm_sq`` is :math:`\|K \mapsto A_K(X_{l-1})\|_2^2` and :math:`P` its ``positions``.

    Examples
    --------
    >>> theta_lipschitz(50.0, 100, 1.0, prox_weight=2.0)
    3.5
    """
    return lam * (X_prev_norm_sq / n_samples + positions) + prox_weight


def x_lipschitz(W_next_norm_sq: float, lam_next: float) -> float:
    r"""Per-sample Lipschitz constant :math:`\lambda_{j+1}\|W_{j+1}\|_2^2` of the smooth part in :math:`x_j`.

    Examples
    --------
    >>> x_lipschitz(4.0, 0.5)
    2.0
    """
    return lam_next * W_next_norm_sq
