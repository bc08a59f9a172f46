r"""PyTorch adapter: :math:`\sigma`, :math:`\Psi`, :math:`\Phi^*` and the Bregman loss with its Lemma 8 gradient (Section 3.1).

For every registered activation (:func:`bregnet.activations.names`) this module gives, on torch
tensors of shape ``(..., n)`` (float32 or float64, any device; dtype and device are kept):

* :func:`sigma` (:math:`\sigma = \operatorname{prox}_\Psi`, eq. (9)), :func:`psi` (:math:`\Psi`,
  ``+inf`` outside :math:`\operatorname{dom}\Psi`), :func:`phi_star`
  (:math:`\Phi^* = (\tfrac12\|\cdot\|^2+\Psi)^*`, Lemma 4, eq. (15));
* :func:`bregman_loss` and the module :class:`BregmanLoss`: eq. (12),

  .. math:: B_\Psi(x, z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle ,

  per row, with the gradient built in as a ``torch.autograd.Function``:
  :math:`\nabla_z B = \sigma(z) - x` (Lemma 8, for every :math:`z`: :math:`B` is differentiable in
  :math:`z` everywhere, Theorem 10 item 5) and
  :math:`\nabla_x B = \nabla\Phi(x) - z = \sigma^{-1}(x) - z` (:math:`\Phi = \tfrac12\|\cdot\|^2+\Psi`,
  so :math:`\nabla\Phi(x) = x + \nabla\Psi(x)`; see *x-gradient* below).

Why a custom gradient: autograd of a printed closed form differentiates its pieces, not :math:`B`.
Example 2's ReLU loss :math:`\tfrac12\|x-\max(z,0)\|^2+\langle x,\max(-z,0)\rangle` has the true
gradient :math:`\sigma(0)-x=-x` at :math:`z=0`, but autograd uses :math:`\max'(0)=0` in both terms
and returns 0.  :func:`bregman_loss` returns :math:`-x` there.

Native and host-evaluated functions.  Where the formula is short, it is written in torch and runs
on the tensor's device (``NATIVE`` lists them per activation); everything else is evaluated by
bregnet's NumPy implementation through a host call (``tensor.detach().cpu().numpy()``, the result
moved back to the input's device and dtype).  Host calls are exact copies of bregnet's values but
synchronise with the device and are not traceable (``torch.compile``/``torch.jit`` see a graph break).

=========================  ==========================================================
activation                 native (torch)                 (the rest: host call)
=========================  ==========================================================
identity, relu,            sigma, psi, phi_star, loss, x-gradient
leaky_relu, hard_tanh,
soft_threshold,
nonneg_soft_threshold,
tanh, sigmoid
softplus                   sigma, x-gradient
softmax                    sigma, psi, phi_star, loss, x-gradient
every other activation     none (all host; x-gradient where bregnet has :math:`\psi'`)
=========================  ==========================================================

A user-made activation (any :class:`bregnet.activations.Activation`, also a subclass of a
registered one) is always evaluated on the host.

x-gradient.  :math:`\nabla_x B(x, z) = \sigma^{-1}(x) - z` where :math:`\Psi` is differentiable at
:math:`x` (the interior of :math:`\operatorname{dom}\Psi`).  At the boundary of the domain the
one-sided limit from the interior is returned (ReLU at :math:`x_j=0`: :math:`-z_j`, i.e.
:math:`\psi'(0^+)=0`, an element of :math:`\partial\psi(0)=(-\infty,0]`; tanh at :math:`x_j=\pm1`:
:math:`\pm\infty`; soft-thresholding at :math:`x_j = 0`: :math:`\psi'=0`, the least-norm element of
:math:`\alpha[-1,1]`); outside :math:`\operatorname{dom}\Psi`, where :math:`B=+\infty`, NaN.
Softmax: :math:`\Psi` is finite only on the simplex, so the least-norm element of
:math:`\partial_x B` is returned, the projection of :math:`T\log x - z` onto
:math:`\{v:\sum_j v_j = 0\}` (NaN on the relative boundary, where :math:`\partial_xB` is empty).
Activations without a closed :math:`\psi'` in bregnet (bent_identity, hard_sigmoid, softsign,
celu, log_sigmoid, sparsemax, entmax15, squash, block_soft_threshold) raise
``NotImplementedError`` when the x-gradient is requested (detach ``x``, or use the activation's
``prox`` for the x-update as the lifted solvers do).  :math:`\nabla_z B=\sigma(z)-x` is returned
also for :math:`x\notin\operatorname{dom}\Psi` (as :func:`bregnet.bregman_grad` with
``check_domain=False``), where Lemma 8 does not apply.

``sigma`` is differentiable by autograd: the native ones through their formula (the subgradient
conventions of :mod:`torch`, e.g. :math:`\operatorname{relu}'(0)=0`), the host ones through the
activation's ``vjp``; ``phi_star`` has the gradient :math:`\sigma` (eq. (15)), ``psi`` the gradient
:math:`\sigma^{-1}(x)-x` (same domain rules as the x-gradient).

Examples
--------
>>> import torch
>>> import bregnet.torch as bt
>>> x = torch.tensor([[0.5, 2.0]], dtype=torch.float64)
>>> z = torch.tensor([[0.0, 1.0]], dtype=torch.float64, requires_grad=True)
>>> loss = bt.bregman_loss("relu", x, z)
>>> loss.sum().backward()
>>> z.grad.tolist()                # sigma(z) - x, = -x at the kink z = 0
[[-0.5, -1.0]]
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np


def _missing_framework(module: str, framework: str, extra: str, exc: Exception) -> ImportError:
    """The ImportError for a missing optional framework, naming the extra that installs it."""
    return ImportError(f"{module} needs {framework}, which is not installed ({exc}); install it with "
                       f"pip install 'bregnet[{extra}]'")


try:
    import torch
except ImportError as _exc:  # pragma: no cover - exercised only without torch
    raise _missing_framework("bregnet.torch", "PyTorch", "torch", _exc) from _exc

from .activations import get as _get_activation  # noqa: E402
from .activations.base import Activation, SeparableActivation  # noqa: E402
from .bregman import bregman_loss as _np_bregman_loss  # noqa: E402

__all__ = ["NATIVE", "sigma", "psi", "phi_star", "bregman_loss", "BregmanLoss", "as_numpy_callable",
           "law_callables", "resolve"]

_LOG2 = math.log(2.0)
_EPS32 = float(np.finfo(np.float32).eps)


# ----------------------------------------------------------------------------- native formulas
def _sq_rows(a):
    return 0.5 * torch.sum(a * a, dim=-1)


def _inside(mask, value):
    return torch.where(mask, value, torch.full_like(value, math.inf))


def _nan_outside(mask, value):
    return torch.where(mask, value, torch.full_like(value, math.nan))


def _relu(p):
    return dict(
        sigma=lambda z: torch.clamp(z, min=0),
        psi=lambda x: _inside(x >= 0, torch.zeros_like(x)),
        phi_star=lambda z: 0.5 * torch.clamp(z, min=0) ** 2,
        sigma_inverse=lambda x: _nan_outside(x >= 0, x))


def _identity(p):
    return dict(sigma=lambda z: z, psi=lambda x: torch.zeros_like(x), phi_star=lambda z: 0.5 * z * z,
                sigma_inverse=lambda x: x)


def _leaky_relu(p):
    a = p["slope"]
    c = 0.5 * (1.0 / a - 1.0)
    return dict(
        sigma=lambda z: torch.where(z >= 0, z, a * z),
        psi=lambda x: c * torch.clamp(x, max=0) * torch.clamp(x, max=0),
        phi_star=lambda z: torch.where(z >= 0, 0.5 * z * z, (0.5 * a) * z * z),
        sigma_inverse=lambda x: torch.where(x >= 0, x, x / a))


def _hard_tanh(p):
    lo, hi = p["lo"], p["hi"]

    def sig(z):
        return torch.clamp(z, lo, hi)

    return dict(
        sigma=sig,
        psi=lambda x: _inside((x >= lo) & (x <= hi), torch.zeros_like(x)),
        phi_star=lambda z: sig(z) * (z - 0.5 * sig(z)),
        sigma_inverse=lambda x: _nan_outside((x >= lo) & (x <= hi), x))


def _soft_threshold(p):
    a = p["alpha"]
    return dict(
        sigma=lambda z: torch.sign(z) * torch.clamp(torch.abs(z) - a, min=0),
        psi=lambda x: a * torch.abs(x),
        phi_star=lambda z: 0.5 * torch.clamp(torch.abs(z) - a, min=0) ** 2,
        sigma_inverse=lambda x: x + a * torch.sign(x))


def _nonneg_soft_threshold(p):
    a = p["alpha"]
    return dict(
        sigma=lambda z: torch.clamp(z - a, min=0),
        psi=lambda x: _inside(x >= 0, a * torch.clamp(x, min=0)),
        phi_star=lambda z: 0.5 * torch.clamp(z - a, min=0) ** 2,
        sigma_inverse=lambda x: _nan_outside(x >= 0, x + a))


def _tanh(p):
    def psi_el(x):
        xc = torch.clamp(x, -1, 1)
        xlog1py = torch.special.xlog1py
        return _inside(torch.abs(x) <= 1, 0.5 * (xlog1py(1 + xc, xc) + xlog1py(1 - xc, -xc) - xc * xc))

    def log_cosh(z):
        a = torch.abs(z)
        return a + torch.log1p(torch.exp(-2 * a)) - _LOG2

    return dict(sigma=torch.tanh, psi=psi_el, phi_star=log_cosh,
                sigma_inverse=lambda x: _nan_outside(torch.abs(x) <= 1, torch.atanh(torch.clamp(x, -1, 1))))


def _sigmoid(p):
    def psi_el(x):
        xc = torch.clamp(x, 0, 1)
        val = torch.special.xlogy(xc, xc) + torch.special.xlog1py(1 - xc, -xc) - 0.5 * xc * xc
        return _inside((x >= 0) & (x <= 1), val)

    def logit(x):
        xc = torch.clamp(x, 0, 1)
        return _nan_outside((x >= 0) & (x <= 1), torch.log(xc) - torch.log1p(-xc))

    return dict(sigma=torch.sigmoid, psi=psi_el, phi_star=lambda z: torch.logaddexp(torch.zeros_like(z), z),
                sigma_inverse=logit)


def _softplus(p):
    b = p["beta"]

    def inverse(x):                       # log(expm1(b x)) / b without overflow
        v = b * torch.clamp(x, min=0)
        near = v <= 1
        val = torch.where(near, torch.log(torch.expm1(torch.where(near, v, torch.ones_like(v)))),
                          v + torch.log1p(-torch.exp(-torch.where(near, torch.ones_like(v), v))))
        return _nan_outside(x >= 0, val / b)

    return dict(sigma=lambda z: torch.logaddexp(torch.zeros_like(z), b * z) / b, sigma_inverse=inverse)


def _softmax(p):
    T = p["temperature"]

    def sig(z):
        w = z / T
        m = torch.amax(w, dim=-1, keepdim=True)
        inf_max = torch.isinf(m)
        limit = torch.where(w == m, torch.zeros_like(w), torch.full_like(w, -math.inf))
        e = torch.exp(torch.where(inf_max, limit, w - torch.where(inf_max, torch.zeros_like(m), m)))
        return e / torch.sum(e, dim=-1, keepdim=True)

    def on_simplex(x):                    # bregnet.activations.simplex.on_simplex: 16 n eps_32
        tol = 16 * max(x.shape[-1], 1) * _EPS32
        total = torch.sum(x.to(torch.float64), dim=-1)
        return torch.all(x >= 0, dim=-1) & (torch.abs(total - 1) <= tol)

    def psi_rows(x):
        xc = torch.clamp(x, min=0)
        return _inside(on_simplex(x), torch.sum(T * torch.special.xlogy(xc, xc) - 0.5 * xc * xc, dim=-1))

    def log_x(x):                         # T log x; the loss subtracts z and centres (least-norm element)
        return _nan_outside(on_simplex(x)[..., None], T * torch.log(torch.clamp(x, min=0)))

    return dict(sigma=sig, psi_rows=psi_rows, phi_star_rows=lambda z: T * torch.logsumexp(z / T, dim=-1),
                sigma_inverse_rows=log_x, centre_x_gradient=True)


_NATIVE_BUILDERS = {
    "identity": _identity, "relu": _relu, "leaky_relu": _leaky_relu, "hard_tanh": _hard_tanh,
    "soft_threshold": _soft_threshold, "nonneg_soft_threshold": _nonneg_soft_threshold,
    "tanh": _tanh, "sigmoid": _sigmoid, "softplus": _softplus, "softmax": _softmax,
}

#: per activation name, the functions evaluated natively in torch (the rest are host calls)
NATIVE = {
    **{n: ("sigma", "psi", "phi_star", "loss", "x-gradient")
       for n in ("identity", "relu", "leaky_relu", "hard_tanh", "soft_threshold", "nonneg_soft_threshold",
                 "tanh", "sigmoid")},
    "softplus": ("sigma", "x-gradient"),
    "softmax": ("sigma", "psi", "phi_star", "loss", "x-gradient"),
}


# ----------------------------------------------------------------------------- resolving an activation
def resolve(activation, **params) -> Activation:
    """A bregnet :class:`~bregnet.activations.Activation` from a registered name (with ``params``) or as given.

    Examples
    --------
    >>> resolve("softplus", beta=2.0)
    softplus(beta=2.0)
    """
    if isinstance(activation, str):
        return _get_activation(activation, **params)
    if isinstance(activation, Activation):
        if params:
            raise TypeError(f"params {sorted(params)} are only accepted with an activation name; "
                            f"got the activation object {activation!r}")
        return activation
    raise TypeError(f"activation must be a registered name (bregnet.activations.names()) or a bregnet "
                    f"Activation; got {type(activation).__name__}")


def _check_tensor(t, name):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__} (bregnet's NumPy functions "
                        f"take arrays)")
    if t.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be a float32 or float64 tensor; got {t.dtype}")
    if t.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the feature axis, last); got a 0-d tensor")
    return t


def _to_host(t):
    return t.detach().cpu().numpy()


def _from_host(a, like):
    return torch.from_numpy(np.ascontiguousarray(a)).to(device=like.device, dtype=like.dtype)


class _Implementation:
    """The native pieces of one activation (``NATIVE``), with host calls for the rest."""

    def __init__(self, act: Activation):
        self.act = act
        name = getattr(act, "name", None)
        native = {}
        if name in _NATIVE_BUILDERS and type(act) is type(_get_activation(name)):
            native = _NATIVE_BUILDERS[name](act.params())
        self.native = native

    # values, no autograd --------------------------------------------------------------
    def sigma_value(self, z):
        if "sigma" in self.native:
            return self.native["sigma"](z)
        return _from_host(self.act.prox(_to_host(z)), z)

    def psi_value(self, x):
        if "psi" in self.native:
            return torch.sum(self.native["psi"](x), dim=-1)
        if "psi_rows" in self.native:
            return self.native["psi_rows"](x)
        return _from_host(self.act.psi(_to_host(x)), x)

    def phi_star_value(self, z):
        if "phi_star" in self.native:
            return torch.sum(self.native["phi_star"](z), dim=-1)
        if "phi_star_rows" in self.native:
            return self.native["phi_star_rows"](z)
        return _from_host(self.act.phi_star(_to_host(z)), z)

    def has_native_loss(self):
        return "sigma" in self.native and ("psi" in self.native or "psi_rows" in self.native)

    def bregman_value(self, x, z):
        """Theorem 10, item 4, clipped at 0 and +inf outside dom Psi (as :func:`bregnet.bregman_loss`)."""
        if not self.has_native_loss():
            return _from_host(_np_bregman_loss(self.act, _to_host(x), _to_host(z)), z)
        s = self.sigma_value(z)
        px = self.psi_value(x)
        val = _sq_rows(x - s) + px - self.psi_value(s) - torch.sum((z - s) * (x - s), dim=-1)
        val = torch.clamp(val, min=0)
        inside = torch.isfinite(px) & torch.all(torch.isfinite(x), dim=-1)
        return _inside(inside, val)

    def sigma_inverse(self, x):
        r""":math:`\nabla\Phi(x) = x + \nabla\Psi(x)` (module docstring: boundary and outside rules)."""
        if "sigma_inverse" in self.native:
            return self.native["sigma_inverse"](x)
        if "sigma_inverse_rows" in self.native:
            return self.native["sigma_inverse_rows"](x)
        act = self.act
        if isinstance(act, SeparableActivation) and act._psi_prime is not None:
            xh = _to_host(x).astype(np.float64)
            with np.errstate(all="ignore"):
                inside = np.isfinite(act.psi_elementwise(xh))
                inside |= (xh == act._psi_domain()[0]) | (xh == act._psi_domain()[1])
                val = np.where(inside, xh + act._psi_prime(np.where(inside, xh, 0.0)), np.nan)
            return _from_host(val, x)
        raise NotImplementedError(
            f"no x-gradient of the Bregman loss for {act!r}: bregnet has no closed-form psi' for it; "
            f"detach x (the lifted x-update uses the activation's prox, not this gradient)")

    def centre(self, v):
        if self.native.get("centre_x_gradient"):
            return v - torch.mean(v, dim=-1, keepdim=True)
        return v


def _implementation(activation) -> _Implementation:
    return activation if isinstance(activation, _Implementation) else _Implementation(resolve(activation))


# ----------------------------------------------------------------------------- autograd functions
class _HostSigma(torch.autograd.Function):
    """sigma by a host call; backward by the activation's vjp (its documented subderivative)."""

    @staticmethod
    def forward(ctx, z, impl):
        ctx.save_for_backward(z)
        ctx.impl = impl
        return impl.sigma_value(z)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return _from_host(ctx.impl.act.vjp(_to_host(z), _to_host(g)), z), None


class _Psi(torch.autograd.Function):
    r""":math:`\Psi(x)`; gradient :math:`\nabla\Phi(x) - x` (least-norm element for the simplex)."""

    @staticmethod
    def forward(ctx, x, impl):
        ctx.save_for_backward(x)
        ctx.impl = impl
        return impl.psi_value(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g[..., None] * ctx.impl.centre(ctx.impl.sigma_inverse(x) - x), None


class _PhiStar(torch.autograd.Function):
    r""":math:`\Phi^*(z)`; gradient :math:`\sigma(z)` (eq. (15))."""

    @staticmethod
    def forward(ctx, z, impl):
        ctx.save_for_backward(z)
        ctx.impl = impl
        return impl.phi_star_value(z)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g[..., None] * _sigma(ctx.impl, z), None


class _Bregman(torch.autograd.Function):
    r""":math:`B_\Psi(x, z)`; gradients :math:`\sigma^{-1}(x) - z` and :math:`\sigma(z) - x` (Lemma 8)."""

    @staticmethod
    def forward(ctx, x, z, impl):
        ctx.save_for_backward(x, z)
        ctx.impl = impl
        return impl.bregman_value(x, z)

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        impl = ctx.impl
        gx = gz = None
        if ctx.needs_input_grad[1]:
            gz = g[..., None] * (_sigma(impl, z) - x)
        if ctx.needs_input_grad[0]:
            gx = g[..., None] * impl.centre(impl.sigma_inverse(x) - z)
        return gx, gz, None


def _sigma(impl, z):
    if "sigma" in impl.native:
        return impl.native["sigma"](z)
    return _HostSigma.apply(z, impl)


# ----------------------------------------------------------------------------- public functions
def sigma(activation, z):
    r""":math:`\sigma(z) = \operatorname{prox}_\Psi(z)` (eq. (9)) of ``activation`` (a name or an Activation) on a tensor.

    Examples
    --------
    >>> import torch
    >>> sigma("relu", torch.tensor([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """
    return _sigma(_implementation(activation), _check_tensor(z, "z"))


def psi(activation, x):
    r""":math:`\Psi(x)` per row (``+inf`` outside :math:`\operatorname{dom}\Psi`).

    Examples
    --------
    >>> import torch
    >>> psi("relu", torch.tensor([[-1.0, 2.0], [0.0, 1.0]])).tolist()
    [inf, 0.0]
    """
    return _Psi.apply(_check_tensor(x, "x"), _implementation(activation))


def phi_star(activation, z):
    r""":math:`\Phi^*(z) = (\tfrac12\|\cdot\|^2+\Psi)^*(z)` per row (Lemma 4); its gradient is :math:`\sigma(z)` (eq. (15)).

    Examples
    --------
    >>> import torch
    >>> phi_star("relu", torch.tensor([[-1.0, 2.0]])).tolist()
    [2.0]
    """
    return _PhiStar.apply(_check_tensor(z, "z"), _implementation(activation))


def bregman_loss(activation, x, z):
    r""":math:`B_\Psi(x, z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle` per row (eq. (12)).

    ``x`` and ``z`` broadcast against each other; the result has their leading shape.  Gradients:
    :math:`\nabla_z B = \sigma(z) - x` (Lemma 8) and :math:`\nabla_x B = \sigma^{-1}(x) - z` (see the
    module docstring for the boundary of :math:`\operatorname{dom}\Psi`).  ``+inf`` where
    :math:`x\notin\operatorname{dom}\Psi`, as :func:`bregnet.bregman_loss` (whose value it equals to
    a few ulps).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.5]], dtype=torch.float64)
    >>> z = torch.tensor([[-1.0]], dtype=torch.float64)
    >>> bregman_loss("relu", x, z).tolist()           # 1/2 (0.5)^2 + 0.5 * 1
    [0.625]
    """
    x, z = _check_tensor(x, "x"), _check_tensor(z, "z")
    if x.shape[-1] != z.shape[-1]:
        raise ValueError(f"x and z must have the same last (feature) dimension; got {x.shape[-1]} and {z.shape[-1]}")
    if x.dtype != z.dtype or x.device != z.device:
        raise TypeError(f"x and z must have the same dtype and device; got {x.dtype} on {x.device} and "
                        f"{z.dtype} on {z.device}")
    x, z = torch.broadcast_tensors(x, z)
    return _Bregman.apply(x, z, _implementation(activation))


class BregmanLoss(torch.nn.Module):
    r"""The Bregman loss :math:`B_\Psi(x, z)` of eq. (12) as a module, with the Lemma 8 gradient.

    Parameters
    ----------
    activation : str or Activation
        A registered name (with ``params``) or a bregnet activation.
    reduction : {"none", "sum", "mean"}, default "mean"
        Reduction over the rows (``"none"``: one value per row).

    Examples
    --------
    >>> import torch
    >>> loss = BregmanLoss("tanh", reduction="sum")
    >>> x = torch.zeros(2, 3, dtype=torch.float64)
    >>> z = torch.zeros(2, 3, dtype=torch.float64)
    >>> float(loss(x, z))
    0.0
    """

    def __init__(self, activation, reduction: str = "mean", **params):
        super().__init__()
        if reduction not in ("none", "sum", "mean"):
            raise ValueError(f"reduction must be 'none', 'sum' or 'mean'; got {reduction!r}")
        self.activation = resolve(activation, **params)
        self.reduction = reduction
        self._impl = _Implementation(self.activation)

    def forward(self, x, z):
        value = bregman_loss(self._impl, x, z)
        if self.reduction == "sum":
            return value.sum()
        if self.reduction == "mean":
            return value.mean()
        return value

    def extra_repr(self):
        return f"{self.activation!r}, reduction={self.reduction!r}"


# ----------------------------------------------------------------------------- the laws of bregnet.testing
def as_numpy_callable(fn, *, dtype=None, device=None):
    r"""``fn`` on torch tensors as a NumPy-in/NumPy-out callable, for the laws of :mod:`bregnet.testing.laws`.

    NumPy array arguments become C-contiguous tensors (torch refuses negative strides) of their
    own dtype (or ``dtype``) on ``device``; other arguments pass unchanged; the result comes back
    detached, on the CPU, as a NumPy array.  See :func:`bregnet.testing.laws.numpy_callable`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> f = as_numpy_callable(torch.relu)
    >>> f(np.array([[-1.0, 2.0]])[:, ::-1]).tolist()
    [[2.0, 0.0]]
    """
    from .testing.laws import numpy_callable

    def to_tensor(a):
        t = torch.from_numpy(a)
        return t.to(device=device if device is not None else t.device, dtype=dtype if dtype is not None else t.dtype)

    return numpy_callable(fn, to_tensor)


def law_callables(activation, *, dtype=None, device=None) -> SimpleNamespace:
    r"""This adapter's functions as the callables of the laws (as :func:`bregnet.testing.laws.activation_callables`).

    ``sigma``, ``prox`` (:math:`t = 1`), ``psi``, ``phi_star``, ``bregman`` and ``grad``
    (:math:`\nabla_z B` by **autograd of** :func:`bregman_loss`, i.e. the custom gradient), ``grad_x``
    (:math:`\nabla_x B` by autograd) and ``prox_conjugate`` (:math:`z - \sigma(z)`, Theorem 7).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.testing import laws
    >>> c = law_callables("relu")
    >>> laws.check_theorem10_item6(c.bregman, c.sigma, np.array([[0.5]]), np.array([[0.0]]), grad=c.grad)
    0.0
    """
    impl = _implementation(activation)

    def grad_of(which):
        def g(x, z):
            x = x.detach().clone().requires_grad_(which == 0)
            z = z.detach().clone().requires_grad_(which == 1)
            (out,) = torch.autograd.grad(bregman_loss(impl, x, z).sum(), (x, z)[which])
            return out
        return g

    wrap = lambda f: as_numpy_callable(f, dtype=dtype, device=device)  # noqa: E731
    return SimpleNamespace(
        sigma=wrap(lambda z: sigma(impl, z)), prox=wrap(lambda z: sigma(impl, z)),
        psi=wrap(lambda x: psi(impl, x)), phi_star=wrap(lambda z: phi_star(impl, z)),
        bregman=wrap(lambda x, z: bregman_loss(impl, x, z)), grad=wrap(grad_of(1)), grad_x=wrap(grad_of(0)),
        prox_conjugate=wrap(lambda z: z - sigma(impl, z)))
