r"""Rectifier-type activations: ReLU (Example 1) and its relatives.

ReLU is the proximal map of the indicator of the non-negative orthant,
:math:`\Psi = \chi_{[0,\infty)^n}`, so :math:`\sigma(z) = \max(z, 0)` (Example 1),
:math:`\Phi^*(z) = \tfrac12\|\max(z,0)\|^2`, :math:`\Psi^* = \chi_{(-\infty,0]^n}` and
:math:`B_\Psi(x,z) = \tfrac12\|x-\max(z,0)\|^2 + \langle x, \max(-z,0)\rangle` on
:math:`x\ge0` (Example 2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import SeparableActivation
from .registry import register


@register("relu")
@dataclass(frozen=True, repr=False)
class ReLU(SeparableActivation):
    r"""Rectified linear unit, :math:`\sigma(z) = \max(z, 0) = \operatorname{prox}_{\chi_{\ge 0}}(z)`.

    :math:`\operatorname{prox}_{t\Psi} = \sigma` for every :math:`t > 0` (an indicator is invariant
    under scaling).  Subgradient convention at the kink: :math:`\sigma'(0) = 0`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> relu = get("relu")
    >>> relu.prox([[-1.0, 2.0]]).tolist()
    [[0.0, 2.0]]
    >>> float(relu.psi([[-1.0, 2.0]])[0])
    inf
    """

    has_psi_conjugate = True
    formula = "Psi = indicator of [0, inf)^n"
    family = "piecewise-linear"

    def _psi(self, x):
        return np.where(x >= 0, 0.0, np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.maximum(z, 0)

    def _sigma_prime(self, z):
        return (z > 0).astype(z.dtype)

    def _phi_star(self, z):
        s = np.maximum(z, 0)
        return 0.5 * s * s

    def _psi_star(self, y):
        return np.where(y <= 0, 0.0, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        return np.maximum(z, 0)
