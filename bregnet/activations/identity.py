r"""The identity activation, :math:`\Psi = 0` (Section 5.1: MSE outputs).

:math:`\sigma(z) = z`, :math:`\Phi^*(z) = \tfrac12\|z\|^2`, :math:`\Psi^* = \chi_{\{0\}}`, and the Bregman
loss is the squared error :math:`B_\Psi(x, z) = \tfrac12\|x - z\|^2`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import SeparableActivation
from .registry import register
from .thresholding import SoftThreshold


@register("identity")
@dataclass(frozen=True, repr=False)
class Identity(SeparableActivation):
    r"""Identity :math:`\sigma(z) = z = \operatorname{prox}_0(z)`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("identity")
    >>> float(act.conjugate([[3.0, 4.0]])[0])
    12.5
    >>> act.with_l1(0.5)
    soft_threshold(alpha=0.5)
    """

    has_psi_conjugate = True
    formula = "Psi(x) = 0"
    family = "piecewise-linear"

    def _psi(self, x):
        return np.zeros_like(x)

    def _sigma(self, z):
        return z.copy()

    def _sigma_prime(self, z):
        return np.ones_like(z)

    def _phi_star(self, z):
        return 0.5 * z * z

    def _psi_star(self, y):
        return np.where(y == 0, 0.0, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        return z.copy()

    def _with_l1(self, alpha):
        r""":math:`0 + \alpha\|\cdot\|_1` is soft-thresholding at :math:`\alpha` (Section 6.2; see :meth:`with_l1`)."""
        return SoftThreshold(alpha)
