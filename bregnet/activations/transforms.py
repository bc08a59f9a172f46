r"""New proximal activations from old ones: reflection and dilation (Definition 1, eq. (9)).

For an activation :math:`\sigma = \operatorname{prox}_\Psi`, a sign :math:`s\in\{-1, 1\}` and a
scale :math:`a > 0`, the map :math:`\tilde\sigma(z) = s\,a\,\sigma(s z/a)` is again a proximal map:
substituting :math:`u = s a v` in (9) gives

.. math::
   \tilde\Psi(x) = a^2\,\Psi(s x/a), \qquad
   \operatorname{prox}_{t\tilde\Psi}(z) = s\,a\,\operatorname{prox}_{t\Psi}(s z/a),

   \tilde\Phi^*(z) = a^2\,\Phi^*(s z/a), \qquad \tilde\Psi^*(y) = a^2\,\Psi^*(s y/a), \qquad
   J_{\tilde\sigma}(z) = J_\sigma(s z/a).

Two registered activations are built this way:

* ``celu``: :math:`\operatorname{CELU}_\alpha(z) = \max(z,0) + \min(0, \alpha(e^{z/\alpha}-1))
  = \alpha\,\operatorname{ELU}_1(z/\alpha)` (dilation of ELU with scale 1; proximal for every
  :math:`\alpha > 0`, unlike ELU whose scale must be at most 1);
* ``log_sigmoid``: :math:`\log\frac{1}{1+e^{-\beta z}}/\beta = -\operatorname{softplus}_\beta(-z)`
  (reflection of softplus).

:func:`reflect` and :func:`dilate` apply the same construction to any activation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._params import check_positive
from .base import Activation, as_float_array, check_step
from .registry import register

__all__ = ["Transformed", "reflect", "dilate", "CELU", "LogSigmoid"]


class _TransformedMixin(Activation):
    """The formulas of the module docstring, given ``self._parts() = (base, s, a)``."""

    def _parts(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _arg(self, z):
        base, s, a = self._parts()
        return (s / a) * z if (s, a) != (1, 1.0) else z

    @property
    def separable(self):
        return self._parts()[0].separable

    @property
    def has_psi_conjugate(self):
        return self._parts()[0].has_psi_conjugate

    def psi(self, x):
        x = as_float_array(x, "x")
        base, s, a = self._parts()
        return (a * a) * base.psi(self._arg(x))

    def in_domain(self, x):
        x = as_float_array(x, "x")
        return self._parts()[0].in_domain(self._arg(x))

    def prox(self, z, step: float = 1.0):
        z = as_float_array(z)
        t = check_step(step)
        base, s, a = self._parts()
        return (s * a) * base.prox(self._arg(z), step=t)

    def conjugate(self, z):
        z = as_float_array(z)
        base, s, a = self._parts()
        return (a * a) * base.conjugate(self._arg(z))

    def prox_psi_star(self, z, step: float = 1.0):
        r""":math:`\operatorname{prox}_{t\tilde\Psi^*}(z) = s\,a\,\operatorname{prox}_{t\Psi^*}(s z/a)` (from :math:`\tilde\Psi^*(y) = a^2\Psi^*(sy/a)`).

        Delegating to the base keeps its care for :math:`\operatorname{dom}\Psi^*` (e.g. ELU's
        :math:`\le 0`), which :math:`z - \tilde\sigma(z)` would lose to rounding.
        """
        z = as_float_array(z)
        t = check_step(step)
        base, s, a = self._parts()
        return (s * a) * base.prox_psi_star(self._arg(z), step=t)

    def psi_conjugate(self, y):
        y = as_float_array(y, "y")
        base, s, a = self._parts()
        arg = self._arg(y)
        # s y / a may underflow to 0 for subnormal y; keep its sign (Psi* of ELU is 0 at 0, inf above)
        tiny = np.array(np.finfo(arg.dtype).smallest_subnormal, dtype=arg.dtype)
        arg = np.where((arg == 0) & (y != 0), np.sign(s * y) * tiny, arg)
        return (a * a) * base.psi_conjugate(arg)

    def _bregman_by_base(self, x, z):
        r""":math:`\tilde B(x, z) = a^2 B_\Psi(s x/a, s z/a)`: every term of eq. (12) scales so (module docstring), and the base's B is cancellation-free.

        Bound as ``_bregman`` in the body of each exact class that keeps this :math:`\tilde\Psi`
        (:func:`bregnet.bregman.bregman_loss` asks the exact class).
        """
        from ..bregman import bregman_loss

        base, s, a = self._parts()
        return (a * a) * bregman_loss(base, self._arg(x), self._arg(z))

    def derivative(self, z):
        z = as_float_array(z)
        return self._parts()[0].derivative(self._arg(z))

    def vjp(self, z, v):
        z = as_float_array(z)
        return self._parts()[0].vjp(self._arg(z), v)

    def jacobian(self, z):
        z = as_float_array(z)
        return self._parts()[0].jacobian(self._arg(z))


def _check_sign(sign):
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1; got {sign!r}")
    return int(sign)


@dataclass(frozen=True, repr=False)
class Transformed(_TransformedMixin):
    r""":math:`\tilde\sigma(z) = s\,a\,\sigma(s z / a)` for a base activation :math:`\sigma` (see the module docstring).

    Parameters
    ----------
    base : Activation
    sign : {1, -1}, default 1
    scale : float, default 1.0
        :math:`a > 0`.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> neg = Transformed(get("relu"), sign=-1)      # z -> min(z, 0)
    >>> neg.prox([[-2.0, 3.0]]).tolist()
    [[-2.0, 0.0]]
    """

    base: Activation
    sign: int = 1
    scale: float = 1.0
    name = "transformed"

    def __post_init__(self):
        if not isinstance(self.base, Activation):
            raise TypeError(f"base must be a bregnet Activation; got {type(self.base).__name__}")
        object.__setattr__(self, "sign", _check_sign(self.sign))
        object.__setattr__(self, "scale", check_positive("scale", self.scale, "(a dilation factor)"))

    def _parts(self):
        return self.base, self.sign, self.scale

    _bregman = _TransformedMixin._bregman_by_base


def reflect(activation: Activation) -> Transformed:
    r"""The reflected activation :math:`z \mapsto -\sigma(-z)`, with :math:`\tilde\Psi(x) = \Psi(-x)`."""
    return Transformed(activation, sign=-1, scale=1.0)


def dilate(activation: Activation, scale: float) -> Transformed:
    r"""The dilated activation :math:`z \mapsto a\,\sigma(z/a)`, with :math:`\tilde\Psi(x) = a^2\Psi(x/a)`."""
    return Transformed(activation, sign=1, scale=scale)


@register("celu")
@dataclass(frozen=True, repr=False)
class CELU(_TransformedMixin):
    r"""Continuously differentiable ELU, :math:`\sigma(z) = \max(z,0) + \min(0, \alpha(e^{z/\alpha}-1))`.

    :math:`\operatorname{CELU}_\alpha(z) = \alpha\,\operatorname{ELU}_1(z/\alpha)`, so by the dilation rule
    :math:`\Psi(x) = \alpha^2\psi_{\mathrm{ELU}_1}(x/\alpha)`, i.e.
    :math:`\psi(x) = (x+\alpha)\alpha\log(1+x/\alpha) - \alpha x - \tfrac12x^2` on :math:`[-\alpha, 0]`,
    0 for :math:`x>0`; :math:`\phi^*(z) = \alpha^2(e^{z/\alpha} - 1 - z/\alpha)` for :math:`z\le0`,
    :math:`z^2/2` for :math:`z>0`.  Proximal for every :math:`\alpha>0` (its slope
    :math:`e^{z/\alpha}` on :math:`z<0` never exceeds 1).  :math:`\sigma'(0) = 1`.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\alpha > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> act = get("celu", alpha=2.0)
    >>> bool(np.isclose(act.prox([[-1.0]])[0, 0], 2.0 * (np.exp(-0.5) - 1)))
    True
    """

    alpha: float = 1.0
    formula = "sigma(z) = alpha * ELU_1(z / alpha)"
    family = "piecewise-smooth"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_positive("alpha", self.alpha))
        from .rectifiers import ELU

        object.__setattr__(self, "_base", ELU(alpha=1.0))

    def _parts(self):
        return self._base, 1, self.alpha

    _bregman = _TransformedMixin._bregman_by_base


@register("log_sigmoid")
@dataclass(frozen=True, repr=False)
class LogSigmoid(_TransformedMixin):
    r"""Log-sigmoid, :math:`\sigma(z) = \tfrac1\beta\log\frac{1}{1+e^{-\beta z}} = -\operatorname{softplus}_\beta(-z)`.

    The reflection of softplus: :math:`\Psi(x) = \Psi_{\mathrm{softplus}}(-x)` on :math:`(-\infty, 0]`,
    :math:`\Phi^*(z) = \Phi^*_{\mathrm{softplus}}(-z) = -\operatorname{Li}_2(-e^{-\beta z})/\beta^2`,
    :math:`\Psi^*(y) = \operatorname{Li}_2(e^{-\beta y})/\beta^2` for :math:`y \ge 0`,
    :math:`\sigma'(z) = 1/(1+e^{\beta z})`.

    Parameters
    ----------
    beta : float, default 1.0
        Sharpness :math:`\beta > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> bool(np.isclose(get("log_sigmoid").prox([[0.0]])[0, 0], -np.log(2.0)))
    True
    """

    beta: float = 1.0
    formula = "sigma(z) = -softplus_beta(-z)"
    family = "sigmoid"

    def __post_init__(self):
        object.__setattr__(self, "beta", check_positive("beta", self.beta))
        from .softplus import Softplus

        object.__setattr__(self, "_base", Softplus(beta=self.beta))

    def _parts(self):
        return self._base, -1, 1.0

    _bregman = _TransformedMixin._bregman_by_base
