r"""JAX adapter: :math:`\sigma`, :math:`\Psi`, :math:`\Phi^*` and the Bregman loss with its Lemma 8 gradient (Section 3.1).

The JAX twin of :mod:`bregnet.torch` (same functions, same native/host split, same gradient
rules): on JAX arrays of shape ``(..., n)``, float32 or float64 (float64 needs
``jax.config.update("jax_enable_x64", True)``, which this module does not set for you), on any
device, dtype kept:

* :func:`sigma`, :func:`psi`, :func:`phi_star` and :func:`bregman_loss`, eq. (12),

  .. math:: B_\Psi(x, z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle ,

  whose gradient is a ``jax.custom_vjp``: :math:`\nabla_z B = \sigma(z) - x` (Lemma 8) and
  :math:`\nabla_x B = \sigma^{-1}(x) - z` (:math:`\nabla\Phi(x) = x + \nabla\Psi(x)`), with the
  boundary rules of :mod:`bregnet.torch` (one-sided limit from the interior at the boundary of
  :math:`\operatorname{dom}\Psi`, NaN outside; the least-norm element for softmax).  Activations
  without a closed-form :math:`\psi'` in bregnet get a **NaN** x-gradient (a VJP computes both
  cotangents, so it cannot refuse only the one nobody asked for).

Native in ``jax.numpy`` (traceable, jit-able, on the array's device): the functions listed in
:data:`NATIVE` (identity, relu, leaky_relu, hard_tanh, soft_threshold, nonneg_soft_threshold,
tanh, sigmoid: everything; softplus: sigma and the x-gradient; softmax: everything).  The rest
are bregnet's NumPy functions through ``jax.pure_callback`` (they work under ``jit`` and ``vmap``
but run on the host, and they are not differentiable by ``jax.jvp``: forward-mode needs a native
function).

Examples
--------
>>> import jax.numpy as jnp
>>> import bregnet.jax as bj
>>> x = jnp.array([[0.5, 2.0]])
>>> z = jnp.array([[0.0, 1.0]])
>>> import jax
>>> jax.grad(lambda z: bj.bregman_loss("relu", x, z).sum())(z).tolist()   # sigma(z) - x: -x at z = 0
[[-0.5, -1.0]]
"""
from __future__ import annotations

import math
from functools import partial
from types import SimpleNamespace

import numpy as np

try:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import xlogy
except ImportError as _exc:  # pragma: no cover - exercised only without jax
    raise ImportError(f"bregnet.jax needs JAX, which is not installed ({_exc}); install it with "
                      f"pip install 'bregnet[jax]'") from _exc

from .activations import get as _get_activation  # noqa: E402
from .activations.base import Activation, SeparableActivation  # noqa: E402
from .bregman import bregman_loss as _np_bregman_loss  # noqa: E402

__all__ = ["NATIVE", "sigma", "psi", "phi_star", "bregman_loss", "as_numpy_callable", "law_callables", "resolve"]

_LOG2 = math.log(2.0)
_EPS32 = float(np.finfo(np.float32).eps)
_INF, _NAN = math.inf, math.nan


# ----------------------------------------------------------------------------- native formulas
def _log1p(x):
    r""":math:`\log(1+x)` to a few ulps: :math:`\log(u)\,x/(u-1)`, :math:`u = 1 + x` (Goldberg 1991).

    ``jnp.log1p`` (XLA, CPU, jax 0.10) is off by up to 120 ulps in float64 (measured on
    :math:`[-1, 1]`), and ``jnp.arctanh`` by 73; this form is within 1.4 ulps there.
    """
    u = 1 + x
    return jnp.where((u == 1) | jnp.isinf(x), x, jnp.log(u) * (x / jnp.where(u == 1, 1, u - 1)))


def _xlog1py(a, b):
    return jnp.where(a == 0, jnp.zeros_like(a), a * _log1p(b))


def _arctanh(x):
    return 0.5 * (_log1p(x) - _log1p(-x))


def _inside(mask, value):
    return jnp.where(mask, value, _INF)


def _nan_outside(mask, value):
    return jnp.where(mask, value, _NAN)


def _relu(p):
    return dict(sigma=lambda z: jnp.maximum(z, 0), psi=lambda x: _inside(x >= 0, jnp.zeros_like(x)),
                phi_star=lambda z: 0.5 * jnp.maximum(z, 0) ** 2, sigma_inverse=lambda x: _nan_outside(x >= 0, x))


def _identity(p):
    return dict(sigma=lambda z: z, psi=jnp.zeros_like, phi_star=lambda z: 0.5 * z * z, sigma_inverse=lambda x: x)


def _leaky_relu(p):
    a = p["slope"]
    c = 0.5 * (1.0 / a - 1.0)
    return dict(sigma=lambda z: jnp.where(z >= 0, z, a * z),
                psi=lambda x: c * jnp.minimum(x, 0) * jnp.minimum(x, 0),
                phi_star=lambda z: jnp.where(z >= 0, 0.5 * z * z, (0.5 * a) * z * z),
                sigma_inverse=lambda x: jnp.where(x >= 0, x, x / a))


def _hard_tanh(p):
    lo, hi = p["lo"], p["hi"]

    def sig(z):
        return jnp.clip(z, lo, hi)

    return dict(sigma=sig, psi=lambda x: _inside((x >= lo) & (x <= hi), jnp.zeros_like(x)),
                phi_star=lambda z: sig(z) * (z - 0.5 * sig(z)),
                sigma_inverse=lambda x: _nan_outside((x >= lo) & (x <= hi), x))


def _soft_threshold(p):
    a = p["alpha"]
    return dict(sigma=lambda z: jnp.sign(z) * jnp.maximum(jnp.abs(z) - a, 0), psi=lambda x: a * jnp.abs(x),
                phi_star=lambda z: 0.5 * jnp.maximum(jnp.abs(z) - a, 0) ** 2,
                sigma_inverse=lambda x: x + a * jnp.sign(x))


def _nonneg_soft_threshold(p):
    a = p["alpha"]
    return dict(sigma=lambda z: jnp.maximum(z - a, 0), psi=lambda x: _inside(x >= 0, a * jnp.maximum(x, 0)),
                phi_star=lambda z: 0.5 * jnp.maximum(z - a, 0) ** 2,
                sigma_inverse=lambda x: _nan_outside(x >= 0, x + a))


def _tanh(p):
    def psi_el(x):
        xc = jnp.clip(x, -1, 1)
        return _inside(jnp.abs(x) <= 1, 0.5 * (_xlog1py(1 + xc, xc) + _xlog1py(1 - xc, -xc) - xc * xc))

    def log_cosh(z):
        a = jnp.abs(z)
        return a + _log1p(jnp.exp(-2 * a)) - _LOG2

    return dict(sigma=jnp.tanh, psi=psi_el, phi_star=log_cosh,
                sigma_inverse=lambda x: _nan_outside(jnp.abs(x) <= 1, _arctanh(jnp.clip(x, -1, 1))))


def _sigmoid(p):
    def psi_el(x):
        xc = jnp.clip(x, 0, 1)
        return _inside((x >= 0) & (x <= 1), xlogy(xc, xc) + _xlog1py(1 - xc, -xc) - 0.5 * xc * xc)

    def logit(x):
        xc = jnp.clip(x, 0, 1)
        return _nan_outside((x >= 0) & (x <= 1), jnp.log(xc) - _log1p(-xc))

    return dict(sigma=jax.nn.sigmoid, psi=psi_el, phi_star=lambda z: jnp.logaddexp(0.0, z).astype(z.dtype),
                sigma_inverse=logit)


def _softplus(p):
    b = p["beta"]

    def inverse(x):                       # log(expm1(b x)) / b without overflow
        v = b * jnp.maximum(x, 0)
        near = v <= 1
        val = jnp.where(near, jnp.log(jnp.expm1(jnp.where(near, v, 1.0))),
                        v + _log1p(-jnp.exp(-jnp.where(near, 1.0, v))))
        return _nan_outside(x >= 0, val / b)

    return dict(sigma=lambda z: (jnp.logaddexp(0.0, b * z) / b).astype(z.dtype), sigma_inverse=inverse)


def _softmax(p):
    T = p["temperature"]

    def sig(z):
        w = z / T
        m = jnp.max(w, axis=-1, keepdims=True)
        inf_max = jnp.isinf(m)
        limit = jnp.where(w == m, 0.0, -_INF).astype(w.dtype)
        e = jnp.exp(jnp.where(inf_max, limit, w - jnp.where(inf_max, 0.0, m)))
        return e / jnp.sum(e, axis=-1, keepdims=True)

    def on_simplex(x):                    # bregnet.activations.simplex.on_simplex: 16 n eps_32
        tol = 16 * max(x.shape[-1], 1) * _EPS32
        return jnp.all(x >= 0, axis=-1) & (jnp.abs(jnp.sum(x, axis=-1) - 1) <= tol)

    def psi_rows(x):
        xc = jnp.maximum(x, 0)
        return _inside(on_simplex(x), jnp.sum(T * xlogy(xc, xc) - 0.5 * xc * xc, axis=-1))

    def log_x(x):
        return _nan_outside(on_simplex(x)[..., None], T * jnp.log(jnp.maximum(x, 0)))

    return dict(sigma=sig, psi_rows=psi_rows,
                phi_star_rows=lambda z: T * jax.scipy.special.logsumexp(z / T, axis=-1),
                sigma_inverse_rows=log_x, centre_x_gradient=True)


_NATIVE_BUILDERS = {
    "identity": _identity, "relu": _relu, "leaky_relu": _leaky_relu, "hard_tanh": _hard_tanh,
    "soft_threshold": _soft_threshold, "nonneg_soft_threshold": _nonneg_soft_threshold,
    "tanh": _tanh, "sigmoid": _sigmoid, "softplus": _softplus, "softmax": _softmax,
}

#: per activation name, the functions evaluated natively in jax.numpy (the rest are host calls)
NATIVE = {
    **{n: ("sigma", "psi", "phi_star", "loss", "x-gradient")
       for n in ("identity", "relu", "leaky_relu", "hard_tanh", "soft_threshold", "nonneg_soft_threshold",
                 "tanh", "sigmoid", "softmax")},
    "softplus": ("sigma", "x-gradient"),
}


# ----------------------------------------------------------------------------- resolving, host calls
def resolve(activation, **params) -> Activation:
    """A bregnet Activation from a registered name (with ``params``) or as given (see :func:`bregnet.torch.resolve`).

    Examples
    --------
    >>> resolve("tanh")
    tanh()
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


def _check_array(a, name):
    if isinstance(a, np.ndarray) or not hasattr(a, "dtype") or not hasattr(a, "shape"):
        a = jnp.asarray(a)
    if a.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"{name} must be a float32 or float64 array; got {a.dtype}")
    if a.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the feature axis, last); got a 0-d array")
    return a


def _host(fn, like, *args):
    """``fn`` on NumPy copies of ``args`` through ``jax.pure_callback``; the result has ``like``'s shape and dtype."""
    def call(*arrays):
        return np.asarray(fn(*(np.asarray(a) for a in arrays)), dtype=like.dtype)

    return jax.pure_callback(call, jax.ShapeDtypeStruct(like.shape, like.dtype), *args,
                             vmap_method="broadcast_all")


class _Implementation:
    """The native pieces of one activation (``NATIVE``), with host calls for the rest."""

    def __init__(self, act: Activation):
        self.act = act
        name = getattr(act, "name", None)
        self.native = {}
        if name in _NATIVE_BUILDERS and type(act) is type(_get_activation(name)):
            self.native = _NATIVE_BUILDERS[name](act.params())

    def _key(self):
        try:
            return (type(self.act), hash(self.act), self.act)
        except TypeError:                  # an unhashable user activation: identity
            return (type(self.act), id(self.act), None)

    def __hash__(self):                    # JAX caches traces by the (static) implementation
        return hash(self._key()[:2])

    def __eq__(self, other):
        return isinstance(other, _Implementation) and (
            self.act is other.act or (self._key()[2] is not None and self._key() == other._key()))

    def sigma_value(self, z):
        if "sigma" in self.native:
            return self.native["sigma"](z)
        return _host(self.act.prox, z, z)

    def psi_value(self, x):
        if "psi" in self.native:
            return jnp.sum(self.native["psi"](x), axis=-1)
        if "psi_rows" in self.native:
            return self.native["psi_rows"](x)
        return _host(self.act.psi, x[..., 0], x)

    def phi_star_value(self, z):
        if "phi_star" in self.native:
            return jnp.sum(self.native["phi_star"](z), axis=-1)
        if "phi_star_rows" in self.native:
            return self.native["phi_star_rows"](z)
        return _host(self.act.phi_star, z[..., 0], z)

    def bregman_value(self, x, z):
        """Theorem 10, item 4, clipped at 0 and +inf outside dom Psi (as :func:`bregnet.bregman_loss`)."""
        if not ("sigma" in self.native and ("psi" in self.native or "psi_rows" in self.native)):
            return _host(lambda a, b: _np_bregman_loss(self.act, a, b), z[..., 0], x, z)
        s = self.sigma_value(z)
        px = self.psi_value(x)
        d = x - s
        val = 0.5 * jnp.sum(d * d, axis=-1) + px - self.psi_value(s) - jnp.sum((z - s) * d, axis=-1)
        inside = jnp.isfinite(px) & jnp.all(jnp.isfinite(x), axis=-1)
        return _inside(inside, jnp.maximum(val, 0))

    def sigma_inverse(self, x):
        r""":math:`\nabla\Phi(x)` (NaN where bregnet has no closed-form :math:`\psi'`)."""
        if "sigma_inverse" in self.native:
            return self.native["sigma_inverse"](x)
        if "sigma_inverse_rows" in self.native:
            return self.native["sigma_inverse_rows"](x)
        act = self.act
        if isinstance(act, SeparableActivation) and act._psi_prime is not None:
            def host(xh):
                xh = xh.astype(np.float64)
                lo, hi = act._psi_domain()
                with np.errstate(all="ignore"):
                    inside = np.isfinite(act.psi_elementwise(xh)) | (xh == lo) | (xh == hi)
                    return np.where(inside, xh + act._psi_prime(np.where(inside, xh, 0.0)), np.nan)
            return _host(host, x, x)
        return jnp.full_like(x, _NAN)

    def centre(self, v):
        return v - jnp.mean(v, axis=-1, keepdims=True) if self.native.get("centre_x_gradient") else v


def _implementation(activation):
    return activation if isinstance(activation, _Implementation) else _Implementation(resolve(activation))


# ----------------------------------------------------------------------------- custom VJPs
@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _sigma(impl, z):
    return impl.sigma_value(z)


def _sigma_fwd(impl, z):
    return impl.sigma_value(z), z


def _sigma_bwd(impl, z, g):
    if "sigma" in impl.native:
        return (jax.vjp(impl.native["sigma"], z)[1](g)[0],)
    return (_host(impl.act.vjp, z, z, g),)


_sigma.defvjp(_sigma_fwd, _sigma_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _psi(impl, x):
    return impl.psi_value(x)


_psi.defvjp(lambda impl, x: (impl.psi_value(x), x),
            lambda impl, x, g: (g[..., None] * impl.centre(impl.sigma_inverse(x) - x),))


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _phi_star(impl, z):
    return impl.phi_star_value(z)


_phi_star.defvjp(lambda impl, z: (impl.phi_star_value(z), z), lambda impl, z, g: (g[..., None] * _sigma(impl, z),))


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _bregman(impl, x, z):
    return impl.bregman_value(x, z)


def _bregman_bwd(impl, res, g):
    x, z = res
    return (g[..., None] * impl.centre(impl.sigma_inverse(x) - z), g[..., None] * (_sigma(impl, z) - x))


_bregman.defvjp(lambda impl, x, z: (impl.bregman_value(x, z), (x, z)), _bregman_bwd)


# ----------------------------------------------------------------------------- public functions
def sigma(activation, z):
    r""":math:`\sigma(z)=\operatorname{prox}_\Psi(z)` (eq. (9)).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> sigma("relu", jnp.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """
    return _sigma(_implementation(activation), _check_array(z, "z"))


def psi(activation, x):
    r""":math:`\Psi(x)` per row, ``+inf`` outside :math:`\operatorname{dom}\Psi`.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> psi("relu", jnp.array([[-1.0, 2.0], [0.0, 1.0]])).tolist()
    [inf, 0.0]
    """
    return _psi(_implementation(activation), _check_array(x, "x"))


def phi_star(activation, z):
    r""":math:`\Phi^*(z)` per row (Lemma 4); gradient :math:`\sigma(z)` (eq. (15)).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> phi_star("relu", jnp.array([[-1.0, 2.0]])).tolist()
    [2.0]
    """
    return _phi_star(_implementation(activation), _check_array(z, "z"))


def bregman_loss(activation, x, z):
    r""":math:`B_\Psi(x, z)` per row (eq. (12)) with the Lemma 8 gradient (a ``jax.custom_vjp``).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> bregman_loss("relu", jnp.array([[0.5]]), jnp.array([[-1.0]])).tolist()
    [0.625]
    """
    x, z = _check_array(x, "x"), _check_array(z, "z")
    if x.shape[-1] != z.shape[-1]:
        raise ValueError(f"x and z must have the same last (feature) dimension; got {x.shape[-1]} and {z.shape[-1]}")
    if x.dtype != z.dtype:
        raise TypeError(f"x and z must have the same dtype; got {x.dtype} and {z.dtype}")
    x, z = jnp.broadcast_arrays(x, z)
    return _bregman(_implementation(activation), x, z)


# ----------------------------------------------------------------------------- the laws of bregnet.testing
def as_numpy_callable(fn):
    r"""``fn`` on JAX arrays as a NumPy-in/NumPy-out callable for :mod:`bregnet.testing.laws`.

    Examples
    --------
    >>> import numpy as np, jax.numpy as jnp
    >>> as_numpy_callable(jnp.tanh)(np.zeros((1, 2))[:, ::-1]).tolist()
    [[0.0, 0.0]]
    """
    from .testing.laws import numpy_callable

    return numpy_callable(fn, jnp.asarray)


def law_callables(activation) -> SimpleNamespace:
    r"""This adapter's functions, jit-compiled, as the callables of the laws; ``grad``/``grad_x`` by ``jax.grad`` (the custom VJP).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.testing import laws
    >>> c = law_callables("relu")
    >>> laws.check_theorem10_item6(c.bregman, c.sigma, np.array([[0.5]]), np.array([[0.0]]), grad=c.grad)
    0.0
    """
    impl = _implementation(activation)

    def wrap(f):                           # jit: one compilation per shape instead of one per operation
        return as_numpy_callable(jax.jit(f))

    total = lambda x, z: jnp.sum(bregman_loss(impl, x, z))  # noqa: E731
    return SimpleNamespace(
        sigma=wrap(lambda z: sigma(impl, z)), prox=wrap(lambda z: sigma(impl, z)),
        psi=wrap(lambda x: psi(impl, x)), phi_star=wrap(lambda z: phi_star(impl, z)),
        bregman=wrap(lambda x, z: bregman_loss(impl, x, z)), grad=wrap(jax.grad(total, argnums=1)),
        grad_x=wrap(jax.grad(total, argnums=0)), prox_conjugate=wrap(lambda z: z - sigma(impl, z)))
