r"""Regularisers :math:`J` of the inversion problem and their proximal maps (issue 16).

The inversion energies of :mod:`bregnet.inversion.energy` and :mod:`bregnet.inversion.baseline` add
:math:`\alpha J(u)` to a data term.  Every regulariser acts on each row :math:`u^i` of a batch ``U`` of shape
``(s, n_0)`` separately and offers

* ``value(U)``: :math:`J(u^i)` for every row, shape ``(s,)``;
* ``prox(V, gamma, dual=None)``: :math:`\operatorname{prox}_{\gamma J}(v^i) = \arg\min_u \tfrac12\|u - v^i\|^2
  + \gamma J(u)` for every row, returned as ``(U, dual)`` (``dual`` is the warm start of an iterative prox,
  None for the closed forms);
* ``gradient(U)`` where :math:`J` is differentiable (``smooth = True``).

The four regularisers:

====================  =================================================================  ======================
name                  :math:`J(u)`                                                       prox
====================  =================================================================  ======================
``"none"``            :math:`0`                                                          :math:`v`
``"l1"``              :math:`\|u\|_1`                                                    soft-thresholding
``"tikhonov"``        :math:`\tfrac12\|u\|^2`                                            :math:`v/(1+\gamma)`
``"tv"``              :math:`\sum_p \|(\nabla u)_p\|_2` (isotropic total variation)      dual iteration (below)
``"tv-aniso"``        :math:`\sum_p \|(\nabla u)_p\|_1` (anisotropic total variation)    dual iteration (below)
====================  =================================================================  ======================

**Total variation.**  :math:`u` is an image of a given shape ``(n_1, ..., n_k)`` (``k = 1``: a signal,
``k = 2``: an image) with :math:`\prod n_a = n_0`; :math:`\nabla = (D_1, \dots, D_k)` are the forward differences
:math:`(D_a u)_p = u_{p + e_a} - u_p`, zero on the last slice of axis :math:`a` (Neumann boundary), so
:math:`\|\nabla\|^2 \le 4k`.  Its prox has no closed form; with :math:`P` the set of dual fields with
:math:`\|p_p\|_2 \le 1` (isotropic) or :math:`|p_{a,p}| \le 1` (anisotropic), the dual problem (Chambolle 2004;
Beck & Teboulle 2009, "fast gradient projection")

.. math::  \min_{p \in P}\ \tfrac12\|v - \gamma\nabla^\top p\|^2, \qquad u = v - \gamma\nabla^\top p,

is solved by FISTA on the dual (projected gradient steps of size :math:`1/(4k\gamma^2)`, Nesterov momentum),
warm-started from the previous dual field where one is given.  It stops when the duality gap of every row,

.. math::  \mathrm{gap} = \Big[\tfrac12\|u - v\|^2 + \gamma J(u)\Big] - \Big[\tfrac12\|v\|^2
           - \tfrac12\|v - \gamma\nabla^\top p\|^2\Big] \ \ge 0,

is at most ``tol`` times the primal value (checked every 10 iterations), or after ``max_iter`` iterations.  The
primal objective is 1-strongly convex, so :math:`\tfrac12\|u - u^\star\|^2 \le \mathrm{gap}`: the gap bounds the
error of the returned :math:`u`.  ``TotalVariation.last_gap`` / ``last_iterations`` hold the largest final gap
and the iterations of the last call.

Examples
--------
>>> import numpy as np
>>> J = get_regulariser("tv", image_shape=(4,))
>>> J.value(np.array([[0.0, 1.0, 1.0, 3.0]])).tolist()
[3.0]
>>> U, _ = get_regulariser("l1").prox(np.array([[-2.0, 0.5, 3.0]]), 1.0)
>>> U.tolist()
[[-1.0, 0.0, 2.0]]
"""
from __future__ import annotations

import math

import numpy as np

from ..exceptions import BregnetInputError

__all__ = ["Regulariser", "NoRegulariser", "L1", "Tikhonov", "TotalVariation", "get_regulariser",
           "REGULARISERS", "tv_gradient", "tv_adjoint", "parse_image_shape"]

#: the names :func:`get_regulariser` accepts
REGULARISERS = ("none", "l1", "tikhonov", "tv", "tv-aniso")


def _check_gamma(gamma) -> float:
    if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, (int, float, np.integer, np.floating)) \
            or not math.isfinite(gamma) or gamma < 0:
        raise BregnetInputError(f"gamma (the prox step) must be a finite number >= 0; got {gamma!r}")
    return float(gamma)


def _check_batch(name: str, U, n: int | None = None) -> np.ndarray:
    U = np.asarray(U)
    if U.dtype.kind not in "biuf":
        raise BregnetInputError(f"{name} must be a real array; got dtype {U.dtype}")
    if U.dtype.kind != "f":
        U = U.astype(np.float64)
    if U.ndim != 2 or (n is not None and U.shape[1] != n):
        raise BregnetInputError(f"{name} must have shape (n_samples, {n if n is not None else 'n_0'}); got {U.shape}")
    return U


class Regulariser:
    """Interface of :math:`J` (see the module docstring).  ``smooth``: has a gradient (used by the baseline)."""

    name = "regulariser"
    smooth = False
    #: the size of an input this regulariser needs (None: any)
    size: int | None = None

    def value(self, U) -> np.ndarray:
        raise NotImplementedError

    def prox(self, V, gamma, dual=None):
        raise NotImplementedError

    def gradient(self, U) -> np.ndarray:
        raise BregnetInputError(f"the {self.name} regulariser is not differentiable; use its prox")

    def init_dual(self, n_samples: int, dtype):
        """The initial warm start of :meth:`prox` for a batch (None: the prox needs none)."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoRegulariser(Regulariser):
    r""":math:`J = 0`.

    >>> NoRegulariser().value(np.ones((2, 3))).tolist()
    [0.0, 0.0]
    """

    name = "none"
    smooth = True

    def value(self, U):
        U = _check_batch("U", U)
        return np.zeros(U.shape[0])

    def prox(self, V, gamma, dual=None):
        _check_gamma(gamma)
        return _check_batch("V", V).copy(), None

    def gradient(self, U):
        return np.zeros_like(_check_batch("U", U))


class L1(Regulariser):
    r""":math:`J(u) = \|u\|_1`; :math:`\operatorname{prox}_{\gamma J}(v) = \operatorname{sign}(v)\max(|v| - \gamma, 0)`.

    >>> L1().prox(np.array([[1.5, -0.2]]), 0.5)[0].tolist()
    [[1.0, -0.0]]
    """

    name = "l1"

    def value(self, U):
        return np.sum(np.abs(_check_batch("U", U)), axis=1, dtype=np.float64)

    def prox(self, V, gamma, dual=None):
        g = _check_gamma(gamma)
        V = _check_batch("V", V)
        return np.sign(V) * np.maximum(np.abs(V) - V.dtype.type(g), 0), None


class Tikhonov(Regulariser):
    r""":math:`J(u) = \tfrac12\|u\|^2`; :math:`\operatorname{prox}_{\gamma J}(v) = v/(1 + \gamma)`, :math:`\nabla J(u) = u`.

    >>> Tikhonov().prox(np.array([[3.0]]), 2.0)[0].tolist()
    [[1.0]]
    """

    name = "tikhonov"
    smooth = True

    def value(self, U):
        U = _check_batch("U", U)
        return 0.5 * np.sum(U * U, axis=1, dtype=np.float64)

    def prox(self, V, gamma, dual=None):
        g = _check_gamma(gamma)
        V = _check_batch("V", V)
        return V / V.dtype.type(1.0 + g), None

    def gradient(self, U):
        return _check_batch("U", U).copy()


def parse_image_shape(image_shape, n: int | None = None, name: str = "image_shape") -> tuple:
    """``image_shape`` as a tuple of positive ints (a sequence, or text ``"H,W"``); BregnetInputError naming ``name``
    if it is not one, or if its product is not ``n`` (when given).

    >>> parse_image_shape("8,8", 64)
    (8, 8)
    """
    if isinstance(image_shape, str):
        try:
            image_shape = tuple(int(t) for t in image_shape.strip().replace("x", ",").split(","))
        except ValueError:
            raise BregnetInputError(f"{name} must be comma-separated positive integers such as 64,64; "
                                    f"got {image_shape!r}") from None
    try:
        shape = tuple(image_shape)
    except TypeError:
        raise BregnetInputError(f"{name} must be a sequence of positive integers; got {image_shape!r}") from None
    if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 1
                            for d in shape):
        raise BregnetInputError(f"{name} must be a non-empty sequence of positive integers; got {image_shape!r}")
    shape = tuple(int(d) for d in shape)
    if n is not None and math.prod(shape) != n:
        raise BregnetInputError(f"{name} {shape} has {math.prod(shape)} pixels, but the input has {n} entries")
    return shape


def tv_gradient(U, shape) -> np.ndarray:
    r"""Forward differences :math:`\nabla u` of every row: shape ``(s, k, *shape)`` (zero on each axis' last slice).

    >>> tv_gradient(np.array([[0.0, 1.0, 3.0]]), (3,)).tolist()
    [[[1.0, 2.0, 0.0]]]
    """
    s = U.shape[0]
    X = U.reshape((s,) + tuple(shape))
    G = np.zeros((s, len(shape)) + tuple(shape), dtype=U.dtype)
    for a in range(len(shape)):
        lo = [slice(None)] * (len(shape) + 1)
        hi = [slice(None)] * (len(shape) + 1)
        lo[a + 1], hi[a + 1] = slice(0, -1), slice(1, None)
        G[(slice(None), a) + tuple(lo[1:])] = X[(slice(None),) + tuple(hi[1:])] - X[(slice(None),) + tuple(lo[1:])]
    return G


def tv_adjoint(P, shape) -> np.ndarray:
    r""":math:`\nabla^\top p` (minus the discrete divergence) of fields ``P`` of shape ``(s, k, *shape)``; rows of
    shape ``(s, prod(shape))``.  The adjoint of :func:`tv_gradient`: :math:`\langle\nabla u, p\rangle =
    \langle u, \nabla^\top p\rangle`.

    >>> p = np.array([[[1.0, 2.0, 0.0]]]); u = np.array([[0.5, -1.0, 2.0]])
    >>> float(np.sum(tv_gradient(u, (3,)) * p)) == float(np.sum(u * tv_adjoint(p, (3,))))
    True
    """
    s, k = P.shape[0], len(shape)
    Q = np.zeros((s,) + tuple(shape), dtype=P.dtype)
    for a in range(k):
        lo = [slice(None)] * k
        hi = [slice(None)] * k
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        pa = P[:, a][(slice(None),) + tuple(lo)]
        Q[(slice(None),) + tuple(lo)] -= pa
        Q[(slice(None),) + tuple(hi)] += pa
    return Q.reshape(s, -1)


class TotalVariation(Regulariser):
    r"""Isotropic (``isotropic=True``) or anisotropic total variation on images of ``shape`` (module docstring).

    Parameters
    ----------
    shape : tuple of int
        The image shape; rows of ``U`` have ``prod(shape)`` entries (C order).
    isotropic : bool
    tol : float
        Relative duality-gap tolerance of the prox (default 1e-8).
    max_iter : int
        Iteration cap of the dual FISTA (default 2000).

    Examples
    --------
    >>> tv = TotalVariation((2, 2))
    >>> round(float(tv.value(np.array([[0.0, 1.0, 0.0, 1.0]]))[0]), 12)      # two unit jumps
    2.0
    >>> U, p = tv.prox(np.array([[0.0, 1.0, 0.0, 1.0]]), 0.1)
    >>> np.round(U, 6).tolist()                              # each jump of 1 shrunk by 2 * 0.1
    [[0.1, 0.9, 0.1, 0.9]]
    """

    smooth = False

    def __init__(self, shape, isotropic: bool = True, tol: float = 1e-8, max_iter: int = 2000):
        self.shape = parse_image_shape(shape)
        self.size = math.prod(self.shape)
        if not isinstance(isotropic, (bool, np.bool_)):
            raise BregnetInputError(f"isotropic must be True or False; got {isotropic!r}")
        self.isotropic = bool(isotropic)
        if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.floating)) or not 0 < tol < 1:
            raise BregnetInputError(f"tol must be a number in (0, 1); got {tol!r}")
        if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise BregnetInputError(f"max_iter must be an integer >= 1; got {max_iter!r}")
        self.tol, self.max_iter = float(tol), int(max_iter)
        self.name = "tv" if self.isotropic else "tv-aniso"
        self.last_gap, self.last_iterations = 0.0, 0

    def __repr__(self) -> str:
        return (f"TotalVariation(shape={self.shape}, isotropic={self.isotropic}, tol={self.tol}, "
                f"max_iter={self.max_iter})")

    def _rows(self, name, U):
        return _check_batch(name, U, self.size)

    def _norms(self, G):
        return np.sqrt(np.sum(G * G, axis=1)) if self.isotropic else np.abs(G)

    def value(self, U):
        G = tv_gradient(self._rows("U", U), self.shape)
        return np.sum(self._norms(G).reshape(G.shape[0], -1), axis=1, dtype=np.float64)

    def init_dual(self, n_samples, dtype):
        return np.zeros((n_samples, len(self.shape)) + self.shape, dtype=dtype)

    def _project(self, P):
        if self.isotropic:
            n = np.sqrt(np.sum(P * P, axis=1, keepdims=True))
            return P / np.maximum(n, P.dtype.type(1))
        return np.clip(P, -1, 1)

    def _gap(self, V, U, P, gamma):
        s = V.shape[0]
        W = V - U                                        # = gamma * grad^T p
        primal = 0.5 * np.sum((U - V) ** 2, axis=1) + gamma * self.value(U)
        dual = 0.5 * np.sum(V * V, axis=1) - 0.5 * np.sum((V - W) ** 2, axis=1)
        return (primal - dual).reshape(s), primal

    def prox(self, V, gamma, dual=None):
        r"""``(U, P)``: :math:`\operatorname{prox}_{\gamma J}` of every row of ``V`` and the final dual fields ``P``
        (pass them back as ``dual`` to warm-start the next call)."""
        g = _check_gamma(gamma)
        V = self._rows("V", V)
        s = V.shape[0]
        P = self.init_dual(s, V.dtype) if dual is None else np.array(dual, dtype=V.dtype)
        if P.shape != (s, len(self.shape)) + self.shape:
            raise BregnetInputError(f"dual must have shape {(s, len(self.shape)) + self.shape}; got {P.shape}")
        if g == 0 or s == 0:
            self.last_gap, self.last_iterations = 0.0, 0
            return V.copy(), P
        step = V.dtype.type(1.0 / (4.0 * len(self.shape) * g))
        gd = V.dtype.type(g)
        Q, t = P.copy(), 1.0
        U = V - gd * tv_adjoint(P, self.shape)
        it = 0
        for it in range(1, self.max_iter + 1):
            Uq = V - gd * tv_adjoint(Q, self.shape)
            P_new = self._project(Q + step * tv_gradient(Uq, self.shape))
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            Q = P_new + V.dtype.type((t - 1.0) / t_new) * (P_new - P)
            P, t = P_new, t_new
            if it % 10 == 0 or it == self.max_iter:
                U = V - gd * tv_adjoint(P, self.shape)
                gap, primal = self._gap(V, U, P, g)
                if np.all(gap <= self.tol * np.maximum(primal, 0.0)):
                    break
        U = V - gd * tv_adjoint(P, self.shape)
        gap, _ = self._gap(V, U, P, g)
        self.last_gap, self.last_iterations = float(np.max(gap, initial=0.0)), it
        return U, P


def get_regulariser(name: str, *, image_shape=None, n: int | None = None, tol: float = 1e-8,
                    max_iter: int = 2000) -> Regulariser:
    """The regulariser ``name`` (one of :data:`REGULARISERS`); the TV ones need ``image_shape`` (its product ``n``,
    the input size, when given).

    >>> get_regulariser("tv-aniso", image_shape=(3, 4))
    TotalVariation(shape=(3, 4), isotropic=False, tol=1e-08, max_iter=2000)
    >>> get_regulariser("tv")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: regulariser 'tv' needs image_shape (the shape of the input image, e.g. (64, 64))
    """
    if name not in REGULARISERS:
        raise BregnetInputError(f"regulariser must be one of {', '.join(REGULARISERS)}; got {name!r}")
    if name in ("tv", "tv-aniso"):
        if image_shape is None:
            raise BregnetInputError(f"regulariser {name!r} needs image_shape (the shape of the input image, "
                                    f"e.g. (64, 64))")
        shape = parse_image_shape(image_shape, n)
        return TotalVariation(shape, isotropic=name == "tv", tol=tol, max_iter=max_iter)
    return {"none": NoRegulariser, "l1": L1, "tikhonov": Tikhonov}[name]()
