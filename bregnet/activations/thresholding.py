r"""Thresholding activations: soft-thresholding (Example 1) and its relatives.

Soft-thresholding is the proximal map of :math:`\Psi(u) = \alpha\|u\|_1`:
:math:`\sigma(z)_j = \operatorname{sign}(z_j)\max(|z_j|-\alpha, 0)` (Example 1),
:math:`\Phi^*(z) = \tfrac12\|\max(|z|-\alpha,0)\|^2`, :math:`\Psi^* = \chi_{[-\alpha,\alpha]^n}`.

Non-negative soft-thresholding (Combettes and Pesquet, 2020) is the proximal map of
:math:`\Psi(u) = \alpha\sum_j u_j + \chi_{[0,\infty)^n}(u)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import SeparableActivation, as_float_array
from ._params import check_positive
from .registry import register


@register("soft_threshold")
@dataclass(frozen=True, repr=False)
class SoftThreshold(SeparableActivation):
    r"""Soft-thresholding :math:`\sigma(z) = \operatorname{sign}(z)\max(|z|-\alpha,0) = \operatorname{prox}_{\alpha\|\cdot\|_1}(z)`.

    :math:`\operatorname{prox}_{t\Psi}` thresholds at :math:`t\alpha`.  Convention at the kinks:
    :math:`\sigma'(\pm\alpha) = 0`.

    Parameters
    ----------
    alpha : float, default 1.0
        Threshold :math:`\alpha > 0`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> get("soft_threshold", alpha=1.0).prox([[-3.0, 0.5, 2.0]], step=0.5).tolist()
    [[-2.5, 0.0, 1.5]]
    >>> get("soft_threshold", alpha=1.0).with_l1(0.5)
    soft_threshold(alpha=1.5)
    """

    alpha: float = 1.0
    has_psi_conjugate = True
    formula = "Psi(x) = alpha*|x|_1"
    family = "thresholding"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))

    def _shrink(self, z, a):
        return np.sign(z) * np.maximum(np.abs(z) - a, 0)

    def _psi(self, x):
        return self.alpha * np.abs(x)

    def _sigma(self, z):
        return self._shrink(z, z.dtype.type(self.alpha))

    def _sigma_prime(self, z):
        return (np.abs(z) > self.alpha).astype(z.dtype)

    def _phi_star(self, z):
        s = np.maximum(np.abs(z) - z.dtype.type(self.alpha), 0)
        return 0.5 * s * s

    def _psi_star(self, y):
        return np.where(np.abs(y) <= self.alpha, 0.0, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        return self._shrink(z, z.dtype.type(t * self.alpha))

    def _with_l1(self, alpha):
        r""":math:`\alpha_0\|\cdot\|_1 + \alpha\|\cdot\|_1 = (\alpha_0 + \alpha)\|\cdot\|_1` (Section 6.2; see :meth:`with_l1`)."""
        return SoftThreshold(self.alpha + alpha)

    def prox_conjugate(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = \operatorname{clip}(z, -\alpha, \alpha)`, the projection onto :math:`[-\alpha,\alpha]^n`.

        Equal to :math:`z - \sigma(z)` (Theorem 7) and the same for every :math:`t` (:math:`t\chi = \chi`);
        computed as a projection so that it never rounds outside the box where :math:`\Psi^* = \infty`
        (e.g. :math:`\alpha = 0.3`, :math:`z = 1`: ``1 - 0.7`` is ``0.30000000000000004``).

        Examples
        --------
        >>> from bregnet.activations import get
        >>> get("soft_threshold", alpha=0.3).prox_conjugate([[1.0, -0.1]]).tolist()
        [[0.3, -0.1]]
        """
        from .base import check_step

        check_step(step)
        z = as_float_array(z)
        a = z.dtype.type(self.alpha)
        return np.clip(z, -a, a)


@register("nonneg_soft_threshold")
@dataclass(frozen=True, repr=False)
class NonnegSoftThreshold(SeparableActivation):
    r"""Non-negative soft-thresholding, :math:`\sigma(z) = \max(z - \alpha, 0)`.

    The proximal map of :math:`\psi(x) = \alpha x + \chi_{[0,\infty)}(x)` (Combettes and Pesquet,
    2020): :math:`\psi'(x) = \sigma^{-1}(x) - x = \alpha` on :math:`x > 0` (Remark 2), normalised by
    :math:`\psi(0) = 0`, and :math:`\partial\psi(0) = (-\infty, \alpha]` takes every
    :math:`z \le \alpha` to 0.

    .. math::  \phi^*(z) = \tfrac12\max(z-\alpha, 0)^2, \qquad
               \Psi^*(y) = \chi_{(-\infty, \alpha]}(y), \qquad
               \operatorname{prox}_{t\Psi}(z) = \max(z - t\alpha, 0).

    Convention at the kink: :math:`\sigma'(\alpha) = 0`.

    Parameters
    ----------
    alpha : float, default 1.0
        Threshold :math:`\alpha > 0` (:math:`\Psi` is convex for every real :math:`\alpha`; a
        threshold is positive, and :math:`\alpha = 0` is ReLU).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> act = get("nonneg_soft_threshold", alpha=1.0)
    >>> act.prox([[-3.0, 0.5, 2.5]]).tolist()
    [[0.0, 0.0, 1.5]]
    >>> act.prox([[-3.0, 0.5, 2.5]], step=2.0).tolist()
    [[0.0, 0.0, 0.5]]
    >>> act.with_l1(0.5)
    nonneg_soft_threshold(alpha=1.5)
    """

    alpha: float = 1.0
    has_psi_conjugate = True
    formula = "psi(x) = alpha*x + indicator(x >= 0)"
    family = "thresholding"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))

    def _psi(self, x):
        return np.where(x >= 0, self.alpha * np.maximum(x, 0), np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.maximum(z - z.dtype.type(self.alpha), 0)

    def _sigma_prime(self, z):
        return (z > self.alpha).astype(z.dtype)

    def _phi_star(self, z):
        s = np.maximum(z - z.dtype.type(self.alpha), 0)
        return 0.5 * s * s

    def _psi_star(self, y):
        return np.where(y <= self.alpha, 0.0, np.inf).astype(y.dtype)

    def _prox_step(self, z, t):
        return np.maximum(z - z.dtype.type(t * self.alpha), 0)

    def _with_l1(self, alpha):
        r""":math:`\alpha_0\sum_j x_j + \chi_{\ge 0} + \alpha\|\cdot\|_1 = (\alpha_0 + \alpha)\sum_j x_j + \chi_{\ge 0}` (Section 6.2)."""
        return NonnegSoftThreshold(self.alpha + alpha)

    def prox_conjugate(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\Psi^*}(z) = \min(z, \alpha)`, the projection onto :math:`(-\infty, \alpha]^n`.

        Equal to :math:`z - \sigma(z)` (Theorem 7), for every :math:`t`; computed as a projection so
        that it never rounds above :math:`\alpha`, where :math:`\Psi^* = \infty`.

        Examples
        --------
        >>> from bregnet.activations import get
        >>> get("nonneg_soft_threshold", alpha=0.3).prox_conjugate([[1.0, -5.0]]).tolist()
        [[0.3, -5.0]]
        """
        from .base import check_step

        check_step(step)
        z = as_float_array(z)
        return np.minimum(z, z.dtype.type(self.alpha))
