r"""Linear operators as layers: :math:`f(x_{l-1}, \Theta_l) = A_{W_l}(x_{l-1}) + b_l` (issue 15; eq. (1) generalised).

The lifted energy (18) and its update formulas (17) need of a layer only a linear map :math:`A_W` with its
adjoint and the derivative of :math:`\langle G, A_W(X)\rangle` in :math:`W`; nothing else of the dense
:math:`W^\top x` is used.  By Lemma 8 the gradients of the energy are then

.. math::  \nabla_{W_l} E = \frac{\lambda_l}{s}\,\partial_W\langle D_l, A_W(X_{l-1})\rangle, \qquad
           \nabla_{b_l} E = \frac{\lambda_l}{s}\sum_{i,p} D_{l,ip}, \qquad
           \nabla_{X_j} E \ni \frac1s\big[-\lambda_j Z_j + \lambda_{j+1}A_{W_{j+1}}^\top(D_{j+1})\big],

:math:`D_l = \sigma_l(Z_l) - X_l`, and the Lipschitz bounds of the block steps are

.. math::  L_{\Theta_l} = \frac{\lambda_l}{s}\big(\|K \mapsto A_K(X_{l-1})\|_2^2 + sP\big) + \rho, \qquad
           L_{x_j} = \lambda_{j+1}\|A_{W_{j+1}}\|_2^2

(:math:`P` = the number of positions a bias entry is broadcast over: 1 for a dense layer, the output pixels
of a convolution).  Both norms are computed by power iteration (warm-startable), as the dense norms are.

Operators (parameter-free descriptions of a layer's shape; the parameters are passed to every method):

* :class:`Dense`: :math:`A_W(X) = XW`, ``W`` of shape ``(n_in, n_out)``, exactly today's dense layer;
* :class:`Conv2d`: a 2-D cross-correlation (as ``torch.nn.functional.conv2d``) with stride and zero padding,
  by im2col + matmul, its adjoint by col2im;
* :class:`Flatten`, :class:`Reshape`: the identity on the flattened arrays (shape bookkeeping only; they hold no
  parameters and are not layers of a :class:`~bregnet.network.Network`: :func:`parse_layers` consumes them).

**Flattening order.**  bregnet's arrays are 2-D, ``(s, n)``.  An image sample of shape ``(H, W, C)``
(channels-last) is the row ``x.reshape(H * W * C)`` in C order: entry ``(h, w, c)`` is column
``(h * W + w) * C + c``.  A convolution's output ``(H_o, W_o, C_o)`` is flattened the same way, so a
:class:`Dense` layer after it sees the channels-last flattening.  A kernel has shape ``(k_h, k_w, C, C_o)``
(torch's ``(C_o, C, k_h, k_w)`` transposed by ``(2, 3, 1, 0)``), a bias shape ``(C_o,)``.

Examples
--------
>>> conv = Conv2d((4, 4, 1), 2, (3, 3), stride=1, padding=1)
>>> conv.out_shape, conv.weight_shape, conv.bias_shape
((4, 4, 2), (3, 3, 1, 2), (2,))
>>> rng = np.random.default_rng(0)
>>> X, K = rng.normal(size=(2, 16)), rng.normal(size=conv.weight_shape)
>>> Y = rng.normal(size=(2, conv.out_size))
>>> bool(np.isclose(np.sum(conv.forward(X, K) * Y), np.sum(X * conv.adjoint(Y, K))))   # <A x, y> = <x, A^T y>
True
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._arrays import float_dtype
from .exceptions import BregnetInputError

#: the most entries of a patch matrix built at once (im2col works on row chunks above it): 4M, 32 MB in float64
PATCH_ENTRIES = 1 << 22

__all__ = ["LinearOperator", "Dense", "Conv2d", "Flatten", "Reshape", "power_norm_sq", "check_adjoint",
           "parse_layers", "parse_shape", "init_parameters", "operator_network"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise BregnetInputError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _shape(name: str, value) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not np.iterable(value) or len(value) == 0:
        raise BregnetInputError(f"{name} must be a tuple of positive integers; got {value!r}")
    return tuple(_positive_int(name, v) for v in value)


def power_norm_sq(apply, n: int, *, v0=None, tol: float = 1e-10, max_iter: int = 500,
                  return_vector: bool = False):
    r""":math:`\lambda_{\max}(M)` of a symmetric positive semi-definite ``apply`` :math:`= M` on :math:`\mathbb R^n`
    by power iteration, e.g. :math:`M = A^\top A`, so :math:`\|A\|_2^2`.

    The iteration of :func:`bregnet.solvers.lipschitz.spectral_norm_sq` (same default start, stopping rule and
    final Rayleigh quotient) for an operator given as a function; ``v0`` is a warm start.

    Examples
    --------
    >>> M = np.diag([4.0, 1.0])
    >>> round(power_norm_sq(lambda v: M @ v, 2), 8)
    4.0
    """
    if v0 is None or np.shape(v0) != (n,) or not np.any(v0):
        v = 1.0 + np.arange(n, dtype=np.float64) / max(n, 1)
    else:
        v = np.asarray(v0, dtype=np.float64).copy()
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(max_iter):
        w = np.asarray(apply(v), dtype=np.float64)
        new = float(v @ w)
        nw = np.linalg.norm(w)
        if nw == 0.0:
            lam = 0.0
            break
        v = w / nw
        if abs(new - lam) <= tol * max(new, 1e-300):
            lam = new
            break
        lam = new
    lam = max(lam, float(v @ np.asarray(apply(v), dtype=np.float64)))
    return (lam, v) if return_vector else lam


class LinearOperator:
    r"""Interface of a layer's linear map :math:`X \mapsto A_W(X)` (rows = samples), with its adjoint.

    Subclasses are frozen dataclasses of shapes and define ``in_shape``, ``out_shape``, ``weight_shape``,
    ``bias_shape``, ``positions`` and :meth:`forward`, :meth:`adjoint`, :meth:`weight_gradient`,
    :meth:`weight_map_norm_sq`, :meth:`fans`.  Everything else is derived here.

    Examples
    --------
    >>> d = Dense(3, 2)
    >>> d.affine(np.ones((1, 3)), np.ones((3, 2)), np.zeros(2)).tolist()
    [[3.0, 3.0]]
    """

    positions: int = 1

    @property
    def in_size(self) -> int:
        """Columns of an input array (``prod(in_shape)``)."""
        return int(np.prod(self.in_shape))

    @property
    def out_size(self) -> int:
        """Columns of an output array (``prod(out_shape)``)."""
        return int(np.prod(self.out_shape))

    def forward(self, X, W) -> np.ndarray:
        r""":math:`A_W(X)`, shape ``(s, out_size)``."""
        raise NotImplementedError

    def adjoint(self, Y, W) -> np.ndarray:
        r""":math:`A_W^\top(Y)`, shape ``(s, in_size)``: :math:`\langle A_W X, Y\rangle = \langle X, A_W^\top Y\rangle`."""
        raise NotImplementedError

    def weight_gradient(self, X, G) -> np.ndarray:
        r""":math:`\partial_W\langle G, A_W(X)\rangle` (the adjoint of :math:`W \mapsto A_W(X)` at ``G``), shape ``weight_shape``."""
        raise NotImplementedError

    def bias_forward(self, b, s: int) -> np.ndarray:
        """The bias broadcast over the positions of every sample, ``(1, out_size)`` (broadcasts over ``s`` rows)."""
        return np.tile(b, self.positions)[None, :]

    def bias_gradient(self, G) -> np.ndarray:
        r""":math:`\partial_b\langle G, \mathbf 1 \otimes b\rangle`: ``G`` summed over samples and positions."""
        return G.reshape(-1, self.bias_shape[0]).sum(axis=0)

    def affine(self, X, W, b) -> np.ndarray:
        r"""The pre-activation :math:`Z = A_W(X) + b` of eq. (1)."""
        Z = self.forward(X, W)
        Z += self.bias_forward(b, X.shape[0]).astype(Z.dtype, copy=False)
        return Z

    def norm_sq(self, W, *, v0=None, tol: float = 1e-10, max_iter: int = 500, return_vector: bool = False):
        r""":math:`\|A_W\|_2^2` (per sample) by power iteration on :math:`A_W^\top A_W` (:func:`power_norm_sq`)."""
        dt = np.asarray(W).dtype

        def apply(v):
            return self.adjoint(self.forward(v[None, :].astype(dt), W), W)[0]
        return power_norm_sq(apply, self.in_size, v0=v0, tol=tol, max_iter=max_iter, return_vector=return_vector)

    @property
    def norm_vector_size(self) -> int:
        """Length of the warm-start vector of :meth:`norm_sq`."""
        return self.in_size

    def weight_map_norm_sq(self, X, *, v0=None, tol: float = 1e-10, max_iter: int = 500,
                           return_vector: bool = False):
        r""":math:`\|K \mapsto A_K(X)\|_2^2` (all samples), the data part of the :math:`\Theta_l`-step's Lipschitz bound."""
        raise NotImplementedError

    def affine_map_norm_sq(self, X, *, v0=None, tol: float = 1e-10, max_iter: int = 500,
                           return_vector: bool = False):
        r""":math:`\|(K, b) \mapsto A_K(X) + \mathbf 1 \otimes b\|_2^2` (all samples), exactly by power iteration: the
        :math:`\Theta_l`-step's Lipschitz constant is :math:`\lambda_l` times this over :math:`s` (plus :math:`\rho`),
        tighter than :math:`\lambda_l(\|K \mapsto A_K(X)\|_2^2/s + P)`.  Warm-start vector of length
        ``weight_map_vector_size + 1``.

        >>> c = Conv2d((3, 3, 1), 1, 3)
        >>> round(c.affine_map_norm_sq(np.zeros((2, 9))), 8)                # the bias alone: s P = 2
        2.0
        """
        from .solvers.lipschitz import spectral_norm_sq
        M = self.patches(X) if isinstance(self, Conv2d) else np.asarray(X)
        M = np.hstack([M, np.ones((M.shape[0], 1), dtype=M.dtype)])
        return spectral_norm_sq(M, v0=v0, tol=tol, max_iter=max_iter, return_vector=return_vector)

    def check_parameters(self, W, b, l: int) -> None:
        """ValueError naming ``W_l``/``b_l`` unless their shapes are ``weight_shape``/``bias_shape``."""
        if np.shape(W) != self.weight_shape:
            raise ValueError(f"W_{l} must have shape {self.weight_shape} for {self!r}; got {np.shape(W)}")
        if np.shape(b) != self.bias_shape:
            raise ValueError(f"b_{l} must have shape {self.bias_shape} for {self!r}; got {np.shape(b)}")

    def fans(self) -> tuple[int, int]:
        """``(fan_in, fan_out)`` of Glorot's initialisation."""
        raise NotImplementedError

    def dense_matrix(self, W) -> np.ndarray:
        r"""The matrix :math:`M` with :math:`A_W(x) = xM` (rows), shape ``(in_size, out_size)`` (for tests, small sizes)."""
        return self.forward(np.eye(self.in_size, dtype=np.asarray(W).dtype), W)


@dataclass(frozen=True)
class Dense(LinearOperator):
    r"""The dense layer :math:`A_W(X) = XW` (batch-first :math:`W^\top x` of eq. (1)), ``W`` of shape ``(n_in, n_out)``.

    Examples
    --------
    >>> d = Dense(2, 3)
    >>> W = np.arange(6.0).reshape(2, 3)
    >>> d.forward(np.array([[1.0, 1.0]]), W).tolist(), bool(np.isclose(d.norm_sq(W), np.linalg.norm(W, 2) ** 2))
    ([[3.0, 5.0, 7.0]], True)
    """

    n_in: int
    n_out: int

    def __post_init__(self):
        object.__setattr__(self, "n_in", _positive_int("n_in", self.n_in))
        object.__setattr__(self, "n_out", _positive_int("n_out", self.n_out))

    in_shape = property(lambda self: (self.n_in,))
    out_shape = property(lambda self: (self.n_out,))
    weight_shape = property(lambda self: (self.n_in, self.n_out))
    bias_shape = property(lambda self: (self.n_out,))

    def forward(self, X, W):
        return X @ W

    def adjoint(self, Y, W):
        return Y @ W.T

    def weight_gradient(self, X, G):
        return X.T @ G

    def bias_forward(self, b, s):
        return b[None, :]

    def bias_gradient(self, G):
        return G.sum(axis=0)

    def norm_sq(self, W, *, v0=None, tol=1e-10, max_iter=500, return_vector=False):
        from .solvers.lipschitz import spectral_norm_sq
        return spectral_norm_sq(W, v0=v0, tol=tol, max_iter=max_iter, return_vector=return_vector)

    @property
    def norm_vector_size(self) -> int:
        return self.n_out

    def weight_map_norm_sq(self, X, *, v0=None, tol=1e-10, max_iter=500, return_vector=False):
        from .solvers.lipschitz import spectral_norm_sq
        return spectral_norm_sq(X, v0=v0, tol=tol, max_iter=max_iter, return_vector=return_vector)

    @property
    def weight_map_vector_size(self) -> int:
        return self.n_in

    def fans(self):
        return self.n_in, self.n_out


@dataclass(frozen=True)
class Conv2d(LinearOperator):
    r"""2-D convolution (cross-correlation) of channels-last images, stride and zero padding.

    .. math::  A_K(x)_{h w o} = \sum_{i<k_h,\, j<k_w,\, c<C} K_{i j c o}\; \bar x_{s h + i,\; s w + j,\; c},
               \qquad H_o = \lfloor (H + 2p - k_h)/s\rfloor + 1

    (:math:`\bar x` the input padded by :math:`p` zeros; the same map as ``torch.nn.functional.conv2d`` with
    the kernel transposed, see the module docstring for the flattening order).  Implemented by im2col: the
    patches form a matrix :math:`P(X)` of shape :math:`(sH_oW_o, k_hk_wC)`, :math:`A_K(X) = P(X)K`; the adjoint
    scatters :math:`YK^\top` back (col2im); :math:`\partial_K\langle G, A_K(X)\rangle = P(X)^\top G`; and
    :math:`\|K \mapsto A_K(X)\|_2 = \|P(X)\|_2` exactly.

    Parameters
    ----------
    in_shape : (H, W, C)
    out_channels : int
    kernel_size : (k_h, k_w) or int
    stride, padding : int

    Examples
    --------
    >>> c = Conv2d((28, 28, 1), 16, 5, stride=2, padding=2)
    >>> c.out_shape, c.out_size, c.positions
    ((14, 14, 16), 3136, 196)
    """

    in_shape: tuple
    out_channels: int
    kernel_size: tuple = (3, 3)
    stride: int = 1
    padding: int = 0

    def __post_init__(self):
        in_shape = _shape("in_shape", self.in_shape)
        if len(in_shape) != 3:
            raise BregnetInputError(f"in_shape must be (H, W, C); got {self.in_shape!r}")
        k = _shape("kernel_size", self.kernel_size)
        k = k * 2 if len(k) == 1 else k
        if len(k) != 2:
            raise BregnetInputError(f"kernel_size must be (k_h, k_w); got {self.kernel_size!r}")
        pad = self.padding
        if isinstance(pad, (bool, np.bool_)) or not isinstance(pad, (int, np.integer)) or pad < 0:
            raise BregnetInputError(f"padding must be an integer >= 0; got {pad!r}")
        object.__setattr__(self, "in_shape", in_shape)
        object.__setattr__(self, "kernel_size", k)
        object.__setattr__(self, "out_channels", _positive_int("out_channels", self.out_channels))
        object.__setattr__(self, "stride", _positive_int("stride", self.stride))
        object.__setattr__(self, "padding", int(pad))
        H, W, _ = in_shape
        if H + 2 * pad < k[0] or W + 2 * pad < k[1]:
            raise BregnetInputError(f"kernel_size {k} is larger than the padded input {H + 2 * pad}x{W + 2 * pad}")

    @property
    def out_shape(self) -> tuple:
        (H, W, _), (kh, kw), s, p = self.in_shape, self.kernel_size, self.stride, self.padding
        return ((H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1, self.out_channels)

    weight_shape = property(lambda self: (*self.kernel_size, self.in_shape[2], self.out_channels))
    bias_shape = property(lambda self: (self.out_channels,))
    positions = property(lambda self: self.out_shape[0] * self.out_shape[1])
    weight_map_vector_size = property(lambda self: int(np.prod(self.weight_shape[:3])))

    def patches(self, X) -> np.ndarray:
        r"""im2col: :math:`P(X)`, shape ``(s * H_o * W_o, k_h * k_w * C)``, columns in the kernel's order ``(i, j, c)``."""
        s = X.shape[0]
        H, W, C = self.in_shape
        (kh, kw), st, p = self.kernel_size, self.stride, self.padding
        Ho, Wo, _ = self.out_shape
        x = X.reshape(s, H, W, C)
        if p:
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, :st * (Ho - 1) + 1:st, :st * (Wo - 1) + 1:st]
        return win.transpose(0, 1, 2, 4, 5, 3).reshape(s * Ho * Wo, kh * kw * C)

    def _col2im(self, cols, s: int) -> np.ndarray:
        """The adjoint of :meth:`patches`: add every patch back at its place; ``(s, in_size)``."""
        H, W, C = self.in_shape
        (kh, kw), st, p = self.kernel_size, self.stride, self.padding
        Ho, Wo, _ = self.out_shape
        cols = cols.reshape(s, Ho, Wo, kh, kw, C)
        x = np.zeros((s, H + 2 * p, W + 2 * p, C), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                x[:, i:i + st * (Ho - 1) + 1:st, j:j + st * (Wo - 1) + 1:st, :] += cols[:, :, :, i, j, :]
        return np.ascontiguousarray(x[:, p:p + H, p:p + W, :]).reshape(s, H * W * C)

    def _kernel_matrix(self, K) -> np.ndarray:
        return K.reshape(-1, self.out_channels)

    def _chunks(self, s: int):
        """Row ranges whose patch matrix has at most :data:`PATCH_ENTRIES` entries (a forward pass over a whole data
        set would otherwise build a patch matrix of gigabytes)."""
        rows = max(1, PATCH_ENTRIES // (self.positions * self.weight_map_vector_size))
        return [(a, min(a + rows, s)) for a in range(0, s, rows)]

    def forward(self, X, W):
        Km, s = self._kernel_matrix(W), X.shape[0]
        chunks = self._chunks(s)
        if len(chunks) == 1:
            return (self.patches(X) @ Km).reshape(s, self.out_size)
        out = np.empty((s, self.out_size), dtype=np.result_type(X, W))
        for a, e in chunks:
            out[a:e] = (self.patches(X[a:e]) @ Km).reshape(e - a, self.out_size)
        return out

    def adjoint(self, Y, W):
        Km, s = self._kernel_matrix(W).T, Y.shape[0]
        chunks = self._chunks(s)
        if len(chunks) == 1:
            return self._col2im(Y.reshape(-1, self.out_channels) @ Km, s)
        out = np.empty((s, self.in_size), dtype=np.result_type(Y, W))
        for a, e in chunks:
            out[a:e] = self._col2im(Y[a:e].reshape(-1, self.out_channels) @ Km, e - a)
        return out

    def weight_gradient(self, X, G):
        g = 0
        for a, e in self._chunks(X.shape[0]):
            g = g + self.patches(X[a:e]).T @ G[a:e].reshape(-1, self.out_channels)
        return g.reshape(self.weight_shape)

    def weight_map_norm_sq(self, X, *, v0=None, tol=1e-10, max_iter=500, return_vector=False):
        from .solvers.lipschitz import spectral_norm_sq
        return spectral_norm_sq(self.patches(X), v0=v0, tol=tol, max_iter=max_iter, return_vector=return_vector)

    def fans(self):
        kh, kw, C, O = self.weight_shape
        return kh * kw * C, kh * kw * O


@dataclass(frozen=True)
class Reshape(LinearOperator):
    r"""The identity on the flattened arrays, reading a sample of ``in_shape`` as one of ``out_shape`` (same size).

    It has no parameters and is no layer of a network: it only carries the shape (see :func:`parse_layers`).

    Examples
    --------
    >>> r = Reshape((2, 2, 1), (4,))
    >>> r.forward(np.ones((1, 4)), None).shape, round(r.norm_sq(None), 12)
    ((1, 4), 1.0)
    """

    in_shape: tuple
    out_shape: tuple

    def __post_init__(self):
        a, b = _shape("in_shape", self.in_shape), _shape("out_shape", self.out_shape)
        if math.prod(a) != math.prod(b):
            raise BregnetInputError(f"Reshape: in_shape {a} and out_shape {b} have different sizes")
        object.__setattr__(self, "in_shape", a)
        object.__setattr__(self, "out_shape", b)

    weight_shape = property(lambda self: None)
    bias_shape = property(lambda self: None)

    def forward(self, X, W=None):
        return np.array(X, copy=True)

    def adjoint(self, Y, W=None):
        return np.array(Y, copy=True)

    def norm_sq(self, W=None, *, v0=None, tol=1e-10, max_iter=500, return_vector=False):
        return power_norm_sq(lambda v: v, self.in_size, v0=v0, tol=tol, max_iter=max_iter,
                             return_vector=return_vector)


def Flatten(in_shape) -> Reshape:
    r"""``Reshape(in_shape, (prod(in_shape),))``: an image read as a vector (identity on the flattened arrays).

    >>> Flatten((7, 7, 32)).out_shape
    (1568,)
    """
    in_shape = _shape("in_shape", in_shape)
    return Reshape(in_shape, (math.prod(in_shape),))


def check_adjoint(operator: LinearOperator, W, *, n_samples: int = 3, seed: int = 0, rtol: float = 1e-10,
                  adjoint=None) -> float:
    r"""Check :math:`\langle A x, y\rangle = \langle x, A^\top y\rangle` on random ``x``, ``y``; return the relative error.

    ``adjoint`` (default ``operator.adjoint``) is the map checked.  Raises AssertionError above ``rtol``.

    Examples
    --------
    >>> d = Dense(3, 2); W = np.arange(6.0).reshape(3, 2)
    >>> check_adjoint(d, W) < 1e-12
    True
    >>> check_adjoint(d, W, adjoint=lambda Y, W: Y @ W)      # a wrong adjoint (no transpose)
    Traceback (most recent call last):
    ...
    AssertionError: <A x, y> != <x, A^T y> for Dense(n_in=3, n_out=2): relative error 1.0e+00 > 1e-10 (or shapes differ)
    """
    rng = np.random.default_rng(seed)
    adj = operator.adjoint if adjoint is None else adjoint
    X = rng.normal(size=(n_samples, operator.in_size))
    Y = rng.normal(size=(n_samples, operator.out_size))
    try:
        AtY = np.asarray(adj(Y, W))
        ok_shape = AtY.shape == X.shape
    except ValueError:
        ok_shape = False
    if not ok_shape:
        err = 1.0
    else:
        lhs, rhs = float(np.sum(operator.forward(X, W) * Y)), float(np.sum(X * AtY))
        err = abs(lhs - rhs) / max(abs(lhs), abs(rhs), 1e-300)
    if not err <= rtol:
        raise AssertionError(f"<A x, y> != <x, A^T y> for {operator!r}: relative error {err:.1e} > {rtol:g} "
                             f"(or shapes differ)")
    return err


# ---------------------------------------------------------------------------------------------- layer specs
_CONV = re.compile(r"conv(\d+)x(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?")
_DENSE = re.compile(r"dense(\d+)")


def parse_shape(text, name: str = "input shape") -> tuple:
    """``"28x28x1"`` -> ``(28, 28, 1)``, ``"64"`` -> ``(64,)``; a tuple of positive ints is returned as it is.

    >>> parse_shape("8x8x1")
    (8, 8, 1)
    """
    if not isinstance(text, str):
        return _shape(name, text)
    parts = text.strip().lower().split("x")
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise BregnetInputError(f"{name} must be positive integers joined by 'x' (e.g. 28x28x1); got {text!r}")
    return tuple(int(p) for p in parts)


def _spec_error(i: int, tok: str, why: str) -> BregnetInputError:
    return BregnetInputError(f"layer spec token {i} {tok!r}: {why}")


def parse_layers(spec, input_shape) -> tuple:
    r"""The layers of a spec such as ``"conv5x5x16s2p2,conv5x5x32s2p2,flatten,dense10"`` on ``input_shape``.

    Grammar (comma-separated tokens, case-insensitive, no spaces needed):

    * ``conv<kh>x<kw>x<C_out>[s<stride>][p<padding>]``: :class:`Conv2d` (stride 1, padding 0 by default) on an
      image shape ``(H, W, C)``;
    * ``flatten``: the image shape read as a vector (:func:`Flatten`; no layer of its own);
    * ``dense<n>``: :class:`Dense` with ``n`` outputs on a vector shape (after ``flatten``, or on a vector input).

    Parameters
    ----------
    spec : str
    input_shape : str or tuple
        ``"28x28x1"`` or ``(28, 28, 1)`` (images, channels-last) or ``(n,)``.

    Returns
    -------
    tuple of LinearOperator
        One per layer of the network (``flatten`` consumed).

    Raises
    ------
    BregnetInputError
        Naming the first bad token (its position and text) and why.

    Examples
    --------
    >>> [op.out_shape for op in parse_layers("conv5x5x16s2p2,conv5x5x32s2p2,flatten,dense10", "28x28x1")]
    [(14, 14, 16), (7, 7, 32), (10,)]
    >>> parse_layers("conv5x5x16,dense10", "28x28x1")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: layer spec token 2 'dense10': a dense layer needs a vector input; put 'flatten' before it (the input is 24x24x16)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise BregnetInputError(f"layers must be a non-empty spec such as 'conv5x5x16s2p2,flatten,dense10'; got {spec!r}")
    shape = parse_shape(input_shape)
    layers = []
    tokens = [t.strip().lower() for t in spec.split(",")]
    for i, tok in enumerate(tokens, start=1):
        conv, dense = _CONV.fullmatch(tok), _DENSE.fullmatch(tok)
        shown = "x".join(map(str, shape))
        if conv:
            if len(shape) != 3:
                raise _spec_error(i, tok, f"a convolution needs an image input HxWxC; the input is {shown}")
            kh, kw, c, st, p = (int(g) if g is not None else d for g, d in zip(conv.groups(), (0, 0, 0, 1, 0)))
            try:
                op = Conv2d(shape, c, (kh, kw), stride=st, padding=p)
            except BregnetInputError as e:
                raise _spec_error(i, tok, str(e)) from None
        elif dense:
            if len(shape) != 1:
                raise _spec_error(i, tok, f"a dense layer needs a vector input; put 'flatten' before it (the input "
                                          f"is {shown})")
            if int(dense.group(1)) < 1:
                raise _spec_error(i, tok, "a dense layer needs at least one output")
            op = Dense(shape[0], int(dense.group(1)))
        elif tok == "flatten":
            shape = Flatten(shape).out_shape
            continue
        else:
            raise _spec_error(i, tok, "expected conv<kh>x<kw>x<channels>[s<stride>][p<padding>], flatten or "
                                      "dense<n>")
        layers.append(op)
        shape = op.out_shape
    if not layers:
        raise BregnetInputError(f"layers {spec!r} has no layer with parameters (conv or dense)")
    return tuple(layers)


def init_parameters(layers: Sequence, *, rng: np.random.Generator, dtype=np.float64, bias: float = 0.0):
    r"""Glorot uniform :math:`W_l \sim U[-a, a]`, :math:`a = \sqrt{6/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`; ``b_l = bias``.

    The fans of a convolution are :math:`k_hk_wC` and :math:`k_hk_wC_o` (as torch's ``xavier_uniform_``); for
    dense layers this draws exactly what :func:`bregnet.network.glorot_init` draws.  Returns ``(weights, biases)``.

    >>> W, b = init_parameters([Conv2d((4, 4, 1), 2, 3)], rng=np.random.default_rng(0))
    >>> W[0].shape, b[0].tolist()
    ((3, 3, 1, 2), [0.0, 0.0])
    """
    dtype = float_dtype(dtype)
    W, b = [], []
    for op in layers:
        fan_in, fan_out = op.fans()
        a = np.sqrt(6.0 / (fan_in + fan_out))
        W.append(rng.uniform(-a, a, size=op.weight_shape).astype(dtype))
        b.append(np.full(op.bias_shape, bias, dtype=dtype))
    return tuple(W), tuple(b)


def operator_network(layers, activations, *, input_shape=None, seed=None, rng=None, dtype=np.float64,
                     bias: float = 0.0):
    r"""A :class:`~bregnet.network.Network` of operator layers, Glorot-initialised (:func:`init_parameters`).

    Parameters
    ----------
    layers : str or sequence of LinearOperator
        A spec for :func:`parse_layers` (then ``input_shape`` is needed) or the operators.
    activations : str, Activation or one per layer

    Examples
    --------
    >>> net = operator_network("conv3x3x4s2p1,flatten,dense3", ["relu", "identity"], input_shape="8x8x1", seed=0)
    >>> net.layer_sizes, net.forward(np.zeros((2, 64))).shape
    ((64, 64, 3), (2, 3))
    """
    from .network import Network, resolve_activations
    if isinstance(layers, str):
        if input_shape is None:
            raise BregnetInputError("input_shape is needed with a layer spec (e.g. '28x28x1')")
        layers = parse_layers(layers, input_shape)
    layers = tuple(layers)
    if rng is None:
        rng = np.random.default_rng(seed)
    W, b = init_parameters(layers, rng=rng, dtype=dtype, bias=bias)
    return Network(W, b, resolve_activations(activations, len(layers)), layers)
