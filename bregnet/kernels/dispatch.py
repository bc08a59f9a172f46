r"""Choosing the compiled kernels for an activation: :func:`kernel_for` (Section 3: eq. (1), (9), (12), Lemma 8).

A solver asks ``kernel_for(activation)``; it gets an :class:`ActivationKernels` whose methods are the
compiled twins of ``activation.prox``, :func:`bregnet.bregman.bregman_loss` and
:func:`bregnet.bregman.bregman_grad`, with the activation's parameters (:math:`\alpha`, :math:`T`)
passed to the kernels as arguments, or ``None`` when no kernel exists, in which case the solver
uses the NumPy twins directly:

>>> import numpy as np
>>> from bregnet.activations import get
>>> from bregnet.kernels import kernel_for
>>> act = get("soft_threshold", alpha=0.5)
>>> kern = kernel_for(act)
>>> z = np.array([[-1.0, 0.2, 2.0]])
>>> kern.sigma(z).tolist() == act.prox(z).tolist()
True

Dispatch is on the exact class, so a user subclass that changes :math:`\sigma` never silently
receives the kernel of its parent, whatever its ``name``; :func:`lookup_exact` is that one rule, shared
with the fused solver kernels (:func:`bregnet.kernels.lifted.activation_code`).  Arrays must be 2-D ``(n_samples, n)``, C-contiguous, float64 or
float32, all of one dtype; the wrappers raise ``TypeError``/``ValueError`` otherwise (they never
copy or convert, so a float32 solver stays float32).

The affine layer :math:`\sigma(XW + b)` of eq. (1) is computed as ``np.matmul(X, W, out=out)``
(BLAS) followed by the compiled elementwise kernel ``<name>_bias_sigma`` in place; calling
``np.dot`` inside the compiled function instead was measured no faster (see
``benchmarks/bench_activation_kernels.py``), and this way one compiled elementwise kernel per dtype
suffices.  For tanh, the purely elementwise roles (``sigma``, ``bregman_grad``, ``affine_prox``) use
NumPy's vectorised ``np.tanh`` ufunc (with ``out=``), measured an order of magnitude faster than a
compiled loop calling libm's scalar ``tanh``; the compiled versions remain in :attr:`ActivationKernels.raw`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..activations.base import Activation, check_step
from ..activations.identity import Identity
from ..activations.rectifiers import ReLU
from ..activations.sigmoids import Tanh
from ..activations.simplex import Softmax
from ..activations.thresholding import SoftThreshold
from . import activations as _k

__all__ = ["KernelSet", "ActivationKernels", "kernel_for", "kernel_names", "lookup_exact"]


@dataclass(frozen=True)
class KernelSet:
    r"""The compiled kernels of one activation family, with the uniform signatures of :mod:`bregnet.kernels.activations`.

    ``prox_step`` is ``None`` where no closed-form or scalar kernel for
    :math:`\operatorname{prox}_{t\Psi}`, :math:`t \ne 1`, exists (softmax).
    ``ufunc``, if set, is a NumPy ufunc equal to :math:`\sigma` that the wrappers of
    :class:`ActivationKernels` use for the purely elementwise roles (``sigma``, ``bregman_grad``,
    ``affine_prox``) because it was measured faster than the compiled scalar loop (tanh: NumPy's
    SIMD ``tanh`` against one libm call per entry); the compiled kernels stay in the set for
    compiled callers.

    >>> from bregnet.kernels.dispatch import KERNEL_SETS
    >>> KERNEL_SETS["relu"].sigma.__name__
    'relu_sigma'
    """

    name: str
    sigma: Callable
    prox_step: Optional[Callable]
    bregman_loss: Callable
    bregman_grad: Callable
    bregman_loss_and_grad: Callable
    bias_sigma: Callable
    ufunc: Optional[np.ufunc] = None

    def dispatchers(self) -> dict:
        """The compiled functions by role (``None`` entries left out).

        >>> from bregnet.kernels.dispatch import KERNEL_SETS
        >>> sorted(KERNEL_SETS["softmax"].dispatchers())
        ['bias_sigma', 'bregman_grad', 'bregman_loss', 'bregman_loss_and_grad', 'sigma']
        """
        roles = ("sigma", "prox_step", "bregman_loss", "bregman_grad", "bregman_loss_and_grad", "bias_sigma")
        return {r: getattr(self, r) for r in roles if getattr(self, r) is not None}


def _set(name, *, prox_step=True, ufunc=None):
    return KernelSet(
        name=name,
        sigma=getattr(_k, f"{name}_sigma"),
        prox_step=getattr(_k, f"{name}_prox_step") if prox_step else None,
        bregman_loss=getattr(_k, f"{name}_bregman_loss"),
        bregman_grad=getattr(_k, f"{name}_bregman_grad"),
        bregman_loss_and_grad=getattr(_k, f"{name}_bregman_loss_and_grad"),
        bias_sigma=getattr(_k, f"{name}_bias_sigma"),
        ufunc=ufunc,
    )


#: kernel sets by activation name
KERNEL_SETS: dict[str, KernelSet] = {
    "relu": _set("relu"),
    "soft_threshold": _set("soft_threshold"),
    "identity": _set("identity"),
    # no compiled prox_(t Psi), t != 1, for tanh: the NumPy twin (within 3 ulps of mpmath for every t > 0, issue 12)
    # replaced the bracketed Newton that the compiled version still follows (wrong at t = 1e15 or t <= 1e-17)
    "tanh": _set("tanh", prox_step=False, ufunc=np.tanh),
    "softmax": _set("softmax", prox_step=False),
}

# exact activation class -> (kernel set name, the kernels' ``param`` from the instance)
_DISPATCH: dict[type, tuple[str, Callable[[Activation], float]]] = {
    ReLU: ("relu", lambda a: 0.0),
    SoftThreshold: ("soft_threshold", lambda a: float(a.alpha)),
    Identity: ("identity", lambda a: 0.0),
    Tanh: ("tanh", lambda a: 0.0),
    Softmax: ("softmax", lambda a: float(a.temperature)),
}


def lookup_exact(activation, table: dict) -> Optional[tuple]:
    r"""``(key, param)`` for the exact class of ``activation`` in ``table``, or ``None``: the rule for compiled kernels.

    ``table`` maps an activation class to ``(key, param_of)``; the result is
    ``(key, param_of(activation))``.  Only ``type(activation)`` is looked up, never the registry name
    and never a base class: a compiled kernel hard-codes :math:`\sigma`, and a subclass (even one
    registered under its parent's name) may change it.  A subclass that keeps :math:`\sigma` gets a
    kernel only by its own entry in the table.

    Examples
    --------
    >>> from bregnet.activations import get
    >>> from bregnet.activations.rectifiers import ReLU
    >>> class Shifted(ReLU):
    ...     pass
    >>> lookup_exact(get("relu"), _DISPATCH), lookup_exact(Shifted(), _DISPATCH)
    (('relu', 0.0), None)
    """
    entry = table.get(type(activation))
    if entry is None:
        return None
    key, param_of = entry
    return key, param_of(activation)


def kernel_names() -> list[str]:
    """Names of the activations that have compiled kernels.

    >>> kernel_names()
    ['identity', 'relu', 'soft_threshold', 'softmax', 'tanh']
    """
    return sorted(KERNEL_SETS)


def kernel_for(activation: Activation) -> Optional["ActivationKernels"]:
    """The compiled kernels for ``activation``, or ``None`` if there are none (use the NumPy twins).

    Parameters
    ----------
    activation : Activation
        An activation instance (see :func:`bregnet.activations.get`).  Only the exact classes
        ReLU, SoftThreshold, Identity, Tanh and Softmax have kernels; subclasses get ``None``.

    Returns
    -------
    ActivationKernels or None

    Examples
    --------
    >>> from bregnet.activations import get
    >>> kernel_for(get("tanh")).name
    'tanh'
    >>> kernel_for(get("softmax", temperature=2.0)).param
    2.0
    """
    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be a bregnet Activation (see bregnet.activations.get); "
                        f"got {type(activation).__name__}")
    found = lookup_exact(activation, _DISPATCH)
    if found is None:
        return None
    name, param = found
    return ActivationKernels(activation=activation, raw=KERNEL_SETS[name], param=param)


# ---------------------------------------------------------------------- validation
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _check_2d(name, a, dtype=None):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(a).__name__}")
    if a.dtype not in _FLOATS:
        raise TypeError(f"{name} must have dtype float32 or float64; got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{name} has dtype {a.dtype} but the other arrays are {dtype}; kernels never convert")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n); got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (np.ascontiguousarray)")
    return a


def _check_out(name, out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or None; got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"{name} must have shape {shape} and dtype {dtype}; got {out.shape}, {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be C-contiguous and writeable")
    return out


@dataclass(frozen=True)
class ActivationKernels:
    r"""The compiled kernels of one activation instance, with its parameter bound.

    Attributes
    ----------
    activation : Activation
        The activation the kernels were chosen for (its methods are the NumPy twins).
    raw : KernelSet
        The compiled functions with the uniform signatures of :mod:`bregnet.kernels.activations`,
        for callers that are themselves compiled.
    param : float
        The value passed as ``param`` (:math:`\alpha`, :math:`T`, or 0).

    Examples
    --------
    >>> import numpy as np
    >>> from bregnet.activations import get
    >>> kern = kernel_for(get("relu"))
    >>> loss, grad = kern.bregman_loss_and_grad(np.array([[0.5]]), np.array([[-1.0]]))
    >>> loss.tolist(), grad.tolist()
    ([0.625], [[-0.5]])
    """

    activation: Activation
    raw: KernelSet
    param: float

    @property
    def name(self) -> str:
        """The activation's registry name."""
        return self.raw.name

    @property
    def supports_prox_step(self) -> bool:
        r"""True if :meth:`prox` works for every step :math:`t \ne 1` (False for softmax)."""
        return self.raw.prox_step is not None

    def _pair(self, x, z):
        _check_2d("z", z)
        _check_2d("x", x, z.dtype)
        if x.shape != z.shape:
            raise ValueError(f"x and z must have the same shape; got {x.shape} and {z.shape}")
        self._check_width(z.shape[1])
        return x, z

    def _check_width(self, n):
        if self.raw.name == "softmax" and n == 0:
            raise ValueError("softmax needs at least one feature (n >= 1)")

    def sigma(self, z, out=None):
        r""":math:`\sigma(z) = \operatorname{prox}_\Psi(z)` (eq. (9)); twin ``activation.prox(z)``. ``out`` may be ``z``.

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> kernel_for(get("relu")).sigma(np.array([[-1.0, 1.0]], dtype=np.float32)).dtype
        dtype('float32')
        """
        _check_2d("z", z)
        self._check_width(z.shape[1])
        out = _check_out("out", out, z.shape, z.dtype)
        if self.raw.ufunc is not None:
            return self.raw.ufunc(z, out=out)
        return self.raw.sigma(z, self.param, out)

    def prox(self, z, step=1.0, out=None):
        r""":math:`\operatorname{prox}_{t\Psi}(z)` (eq. (9), the x-update (17b)); twin ``activation.prox(z, step)``.

        ``step == 1`` is :meth:`sigma`.  Raises ``NotImplementedError`` for ``step != 1`` when
        :attr:`supports_prox_step` is False (use ``activation.prox`` then).  ``out`` may be ``z``.

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> kernel_for(get("soft_threshold")).prox(np.array([[-3.0, 0.5, 2.0]]), step=0.5).tolist()
        [[-2.5, 0.0, 1.5]]
        """
        t = check_step(step)
        if t == 1.0:
            return self.sigma(z, out)
        if self.raw.prox_step is None:
            raise NotImplementedError(f"no compiled prox_(t Psi) for {self.activation!r} with t != 1; "
                                      "use activation.prox(z, step)")
        _check_2d("z", z)
        out = _check_out("out", out, z.shape, z.dtype)
        return self.raw.prox_step(z, t, self.param, out)

    def bregman_loss(self, x, z, out=None):
        r""":math:`B_\Psi(x, z)` per row (eq. (12); Theorem 10 item 4), ``+inf`` off :math:`\operatorname{dom}\Psi`.

        Twin: :func:`bregnet.bregman.bregman_loss`.  Returns shape ``(n_samples,)``.

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> kernel_for(get("identity")).bregman_loss(np.array([[1.0, 2.0]]), np.zeros((1, 2))).tolist()
        [2.5]
        """
        x, z = self._pair(x, z)
        out = _check_out("out", out, z.shape[:1], z.dtype)
        return self.raw.bregman_loss(x, z, self.param, out)

    def bregman_grad(self, x, z, out=None):
        r""":math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8).

        Twin: :func:`bregnet.bregman.bregman_grad` with ``check_domain=False`` (Lemma 8 holds for
        :math:`x\in\operatorname{dom}\Psi`; the kernel does not check).

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> kernel_for(get("tanh")).bregman_grad(np.array([[0.5]]), np.array([[0.0]])).tolist()
        [[-0.5]]
        """
        x, z = self._pair(x, z)
        out = _check_out("out", out, z.shape, z.dtype)
        if out is x or out is z:
            raise ValueError("out must not be x or z")
        if self.raw.ufunc is not None:
            self.raw.ufunc(z, out=out)
            return np.subtract(out, x, out=out)
        return self.raw.bregman_grad(x, z, self.param, out)

    def bregman_loss_and_grad(self, x, z, loss_out=None, grad_out=None):
        r"""``(bregman_loss(x, z), bregman_grad(x, z))`` in one pass over the data.

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> loss, grad = kernel_for(get("softmax")).bregman_loss_and_grad(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
        >>> grad.tolist()
        [[-0.5, 0.5]]
        """
        x, z = self._pair(x, z)
        loss_out = _check_out("loss_out", loss_out, z.shape[:1], z.dtype)
        grad_out = _check_out("grad_out", grad_out, z.shape, z.dtype)
        if grad_out is x or grad_out is z:
            raise ValueError("grad_out must not be x or z")
        return self.raw.bregman_loss_and_grad(x, z, self.param, loss_out, grad_out)

    def affine_prox(self, X, W, b, out=None):
        r""":math:`\sigma(XW + b)`, the layer map of eq. (1): ``np.matmul(X, W, out=out)`` then the fused elementwise kernel.

        Twin: ``activation.prox(X @ W + b)``.  ``X`` is ``(s, n_in)``, ``W`` is ``(n_in, n_out)``,
        ``b`` is ``(n_out,)``; all one dtype.

        >>> import numpy as np
        >>> from bregnet.activations import get
        >>> X = np.array([[1.0, 2.0]]); W = np.array([[1.0, -1.0], [0.0, 1.0]]); b = np.array([0.0, -5.0])
        >>> kernel_for(get("relu")).affine_prox(X, W, b).tolist()
        [[1.0, 0.0]]
        """
        _check_2d("X", X)
        _check_2d("W", W, X.dtype)
        if not isinstance(b, np.ndarray) or b.dtype != X.dtype or b.ndim != 1 or not b.flags.c_contiguous:
            raise TypeError(f"b must be a C-contiguous 1-D array of dtype {X.dtype}")
        if X.shape[1] != W.shape[0] or b.shape[0] != W.shape[1]:
            raise ValueError(f"shapes do not match for X W + b: X {X.shape}, W {W.shape}, b {b.shape}")
        shape = (X.shape[0], W.shape[1])
        self._check_width(shape[1])
        out = _check_out("out", out, shape, X.dtype)
        if np.shares_memory(out, X) or np.shares_memory(out, W):
            raise ValueError("out must not overlap X or W")
        np.matmul(X, W, out=out)
        if self.raw.ufunc is not None:
            np.add(out, b, out=out)
            return self.raw.ufunc(out, out=out)
        return self.raw.bias_sigma(out, b, self.param, out)
