r"""Smooth saturating activations: the hyperbolic tangent (Example 1) and its relatives.

For tanh, Example 1 gives :math:`\psi(u) = u\tanh^{-1}(u) + \tfrac12(\log(1-u^2) - u^2)` on
:math:`|u| < 1`.  Written as :math:`\psi(u) = \tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u)] - \tfrac12u^2`
it extends continuously to :math:`\psi(\pm1) = \log 2 - \tfrac12`; that closure is the lower
semi-continuous function Definition 1 asks for (see ``docs/errata.md``), and it is what we
implement, so that :math:`\Psi(\sigma(z))` stays finite when :math:`\tanh z` rounds to :math:`\pm1`.
:math:`\Phi^*(z) = \log\cosh z`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlog1py

from .base import SeparableActivation
from .registry import register

_LOG2 = float(np.log(2.0))


def log_cosh(z):
    r""":math:`\log\cosh z = |z| + \log(1 + e^{-2|z|}) - \log 2`, exact to rounding for all :math:`z`."""
    a = np.abs(z)
    return a + np.log1p(np.exp(-2 * a)) - z.dtype.type(_LOG2)


@register("tanh")
@dataclass(frozen=True, repr=False)
class Tanh(SeparableActivation):
    r"""Hyperbolic tangent, :math:`\sigma(z) = \tanh z`.

    :math:`\psi(u) = \tfrac12[(1+u)\log(1+u) + (1-u)\log(1-u) - u^2]` on :math:`[-1, 1]`
    (Example 1, closed), :math:`\phi^*(z) = \log\cosh z`, :math:`\sigma'(z) = 1-\tanh^2 z`.
    :math:`\Psi^*` has no closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("tanh")
    >>> bool(np.isclose(act.prox([[0.5]])[0, 0], np.tanh(0.5)))
    True
    >>> float(act.psi([[1.5]])[0])
    inf
    """

    formula = "psi(u) = u artanh(u) + (log(1-u^2) - u^2)/2 on [-1, 1]"
    family = "sigmoid"

    def _psi(self, x):
        inside = np.abs(x) <= 1
        xc = np.clip(x, -1, 1)
        val = 0.5 * (xlog1py(1 + xc, xc) + xlog1py(1 - xc, -xc) - xc * xc)
        return np.where(inside, val, np.inf).astype(x.dtype)

    def _sigma(self, z):
        return np.tanh(z)

    def _sigma_prime(self, z):
        th = np.tanh(z)
        return 1 - th * th

    def _phi_star(self, z):
        return log_cosh(z)
