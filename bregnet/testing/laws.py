r"""The laws of Section 3 as public, implementation-agnostic checks (Definition 1 to Example 2).

Every law is a function that takes **plain callables** and arrays, so that it can be run against
any implementation of an activation or of a Bregman loss (a PyTorch or JAX one wrapped to return
NumPy arrays, say).  A law raises :class:`LawViolation` (an ``AssertionError``) whose message names
the law, the item/equation of the paper, the worst input row and the size of the violation, and
otherwise returns the worst violation it saw (a float :math:`\ge 0`; for equalities the largest
absolute discrepancy, for inequalities the largest amount by which the inequality failed, clipped
at 0).

Callable conventions (arrays have shape ``(..., n)``; the last axis is the feature axis):

========================  =================================================================
``sigma(z)``              :math:`\sigma(z)=\operatorname{prox}_\Psi(z)`, shape ``(..., n)``
``prox(z)``               :math:`\operatorname{prox}_{t\Psi}(z)` for the ``step`` :math:`t` given
``psi(x)``                :math:`\Psi(x)`, shape ``(...)``, ``+inf`` outside :math:`\operatorname{dom}\Psi`
``phi_star(z)``           :math:`\Phi^*(z)=(\tfrac12\|\cdot\|^2+\Psi)^*(z)`, shape ``(...)``
``psi_star(y)``           :math:`\Psi^*(y)`, shape ``(...)``
``prox_conjugate(z)``     :math:`\sigma^*(z)=\operatorname{prox}_{\Psi^*}(z)`, shape ``(..., n)``
``bregman(x, z)``         :math:`B_\Psi(x,z)`, shape ``(...)``
``grad(x, z)``            :math:`G_x(z)=\nabla_z B_\Psi(x,z)`, shape ``(..., n)``
========================  =================================================================

Framework tensors.  A callable may return a PyTorch tensor (also one on a GPU or one that requires
grad), a JAX array or anything else with ``__array__``: every returned value goes through
:func:`to_numpy`.  Callables that *take* framework tensors are wrapped by :func:`numpy_callable`
(or ``bregnet.torch.as_numpy_callable`` / ``bregnet.jax.as_numpy_callable``), which hands them
C-contiguous copies (the laws pass views such as ``z[::-1]``, with negative strides, which
``torch.from_numpy`` refuses).

Domain checks.  The laws that compare a Bregman loss with eq. (12) (:func:`check_bregman_definition`,
:func:`check_example2_closed_form`, the ``form`` of :func:`check_theorem10_item1` to
:func:`check_theorem10_item4`) require ``+inf`` exactly outside :math:`\operatorname{dom}\Psi`, as
the paper defines :math:`B_\Psi`.  An implementation that does not model the domain (a loss meant
only for :math:`x` inside it) passes ``check_domain=False``: rows where the reference
:math:`\Psi(x)` (the ``psi`` callable) is ``+inf`` are then not compared; everywhere else the law is
unchanged.

The callables always receive arrays of the caller's dtype (a law that builds new points, such as a
midpoint or a finite-difference neighbour, casts them to the dtype of the input it perturbs); the
law's own arithmetic on the returned values is done in float64, so only the implementation's
rounding is judged.  The one exception is :func:`check_prox_optimality`, whose direct minimisation
evaluates ``psi`` on float64 points.

Tolerances
----------
Every comparison allows ``rtol * scale`` where ``rtol = RTOL_FACTOR * eps`` (``eps`` the machine
epsilon of the lowest-precision floating array among the inputs and outputs, ``RTOL_FACTOR = 64``)
and ``scale`` is, row by row, ``1 +`` the sum of the absolute values of the terms the law combines
(for the Bregman loss these include :math:`\tfrac12\|x\|^2`, :math:`|\Psi(x)|`,
:math:`\tfrac12\|z\|^2` and :math:`|\langle x,z\rangle|`, because the definition (12) cancels terms
of that size).  This is the size of the rounding error a correct implementation can make; a
deliberately wrong implementation violates the laws by far more (see ``tests/test_laws_can_fail.py``).
Strict inequalities (Lemma 4 off the graph; Theorem 10 item 7) are tested only where the true gap,
bounded below by :math:`\tfrac12\|x-\sigma(z)\|^2` (Corollary 6), exceeds twice the tolerance, and
there the computed gap must exceed the tolerance.  Finite-difference laws use the exact bounds of a
convex function with 1-Lipschitz gradient instead of asymptotic ones (see :func:`check_theorem10_item6`).

Examples
--------
>>> import numpy as np
>>> from bregnet.testing import laws
>>> relu = lambda z: np.maximum(z, 0)
>>> psi = lambda x: np.where(np.all(x >= 0, axis=-1), 0.0, np.inf)
>>> z = np.array([[-1.0, 2.0], [0.0, 3.0]])
>>> laws.check_three_point_inequality(relu, psi, z, z[::-1]) == 0.0
True
>>> try:
...     laws.check_theorem10_item10(lambda x, z: 1.1 * relu(z) - x, np.zeros((1, 1)), [[1.0]], [[2.0]])
... except laws.LawViolation as e:
...     print(str(e).splitlines()[0])
Theorem 10, item 10 (1-Lipschitz): ||G_x(z1) - G_x(z2)|| <= ||z1 - z2|| violated
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import numpy as np

__all__ = [
    "LawViolation",
    "RTOL_FACTOR",
    "activation_callables",
    "numpy_callable",
    "to_numpy",
    "check_prox_optimality",
    "check_three_point_inequality",
    "check_remark2_inclusion",
    "check_moreau_identity",
    "check_psi_fenchel_young",
    "check_lemma4_fenchel_young",
    "check_bregman_definition",
    "check_theorem10_item1",
    "check_theorem10_item2",
    "check_theorem10_item3",
    "check_theorem10_item4",
    "check_theorem10_item5",
    "check_theorem10_item6",
    "check_theorem10_item7",
    "check_theorem10_item8",
    "check_theorem10_item9",
    "check_theorem10_item10",
    "check_theorem10_item11",
    "check_conjugate_gradient",
    "check_corollary6",
    "check_example2_closed_form",
]

#: multiple of the machine epsilon used as the relative tolerance of every law
RTOL_FACTOR = 64


class LawViolation(AssertionError):
    """A law of the paper fails for the given implementation.

    Attributes
    ----------
    law : str
        The law and the paper's item/equation.
    row : int
        Index (into the flattened leading axes) of the worst input row.
    inputs : dict
        The worst input row, by argument name.
    violation : float
        The amount by which the law fails there.
    tolerance : float
        The tolerance allowed there.
    """

    def __init__(self, law, row, inputs, violation, tolerance, details=None):
        self.law = law
        self.row = row
        self.inputs = inputs
        self.violation = violation
        self.tolerance = tolerance
        lines = [f"{law} violated",
                 f"  worst input (row {row}):"]
        for k, v in inputs.items():
            lines.append(f"    {k} = {_fmt(v)}")
        for k, v in (details or {}).items():
            lines.append(f"    {k} = {_fmt(v)}")
        lines.append(f"  violation {violation:.6g} > tolerance {tolerance:.3g}")
        super().__init__("\n".join(lines))


# ----------------------------------------------------------------------------- helpers
def _fmt(v):
    a = np.asarray(v)
    if a.ndim == 0:
        return repr(a.item())
    return np.array2string(a, precision=17, max_line_width=200, separator=", ")


def to_numpy(a) -> np.ndarray:
    """A NumPy array from a NumPy array, a PyTorch tensor (detached, moved to the CPU), a JAX array or a sequence.

    Examples
    --------
    >>> to_numpy([[1.0, 2.0]]).tolist()
    [[1.0, 2.0]]
    """
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach") and hasattr(a, "cpu") and hasattr(a, "numpy"):    # torch.Tensor
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _contiguous_copy(a: np.ndarray) -> np.ndarray:
    """``a`` C-contiguous and writable (the laws pass read-only broadcast views; torch warns on those)."""
    a = np.ascontiguousarray(a)
    return a if a.flags.writeable else a.copy()


def numpy_callable(fn: Callable, to_framework: Callable) -> Callable:
    """``fn`` on framework tensors as a NumPy-in/NumPy-out callable, for the laws.

    Every NumPy array argument is made C-contiguous and writable (a copy only where needed) and converted by
    ``to_framework`` (e.g. ``torch.from_numpy``, ``jax.numpy.asarray``); other arguments pass
    unchanged; the result goes through :func:`to_numpy`.

    Examples
    --------
    >>> import numpy as np
    >>> def refuse_negative_strides(a):
    ...     assert all(s > 0 for s in a.strides), "negative stride"
    ...     return a
    >>> f = numpy_callable(lambda z: np.maximum(z, 0), refuse_negative_strides)
    >>> f(np.array([[-1.0, 2.0]])[:, ::-1]).tolist()
    [[2.0, 0.0]]
    """
    if not callable(fn) or not callable(to_framework):
        raise TypeError("fn and to_framework must be callables")

    def wrapped(*args):
        conv = [to_framework(_contiguous_copy(a)) if isinstance(a, np.ndarray) else a for a in args]
        return to_numpy(fn(*conv))

    wrapped.__wrapped__ = fn
    return wrapped


def _arr(a, name):
    """The caller's array, as given (float32 stays float32; everything else float64)."""
    a = to_numpy(a)
    if a.dtype == np.float32 or a.dtype == np.float64:
        return a
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array; got dtype {a.dtype}")
    return a.astype(np.float64)


def _out(a):
    """A callable's output as float64 (for the law's own arithmetic)."""
    return np.asarray(to_numpy(a), dtype=np.float64)


def _eps(*arrays):
    eps = float(np.finfo(np.float64).eps)
    for a in arrays:
        dt = np.asarray(a).dtype
        if dt.kind == "f":
            eps = max(eps, float(np.finfo(dt).eps))
    return eps


def _rtol(rtol, *arrays):
    return RTOL_FACTOR * _eps(*arrays) if rtol is None else float(rtol)


def _like(a, ref):
    """``a`` cast to the dtype of ``ref`` (the caller's precision)."""
    return np.asarray(a, dtype=np.float64).astype(np.asarray(ref).dtype)


def _broadcast(*arrays):
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if len(shape) == 0:
        raise ValueError("inputs must have at least one axis (the feature axis, last)")
    return [np.broadcast_to(a, shape) for a in arrays]


def _rows(a, n):
    return np.asarray(a).reshape(-1, n)


def _flat(a):
    return np.asarray(to_numpy(a), dtype=np.float64).reshape(-1)


def _sq(a):
    return 0.5 * np.sum(np.asarray(a, dtype=np.float64) ** 2, axis=-1)


def _dot(a, b):
    return np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64), axis=-1)


def _norm(a):
    return np.sqrt(np.sum(np.asarray(a, dtype=np.float64) ** 2, axis=-1))


def _abs(*terms):
    """Sum of absolute values of the finite terms (the magnitude a tolerance is relative to)."""
    total = 0.0
    for t in terms:
        t = np.abs(np.asarray(t, dtype=np.float64))
        total = total + np.where(np.isfinite(t), t, 0.0)
    return total


def _judge(law, violation, tol, inputs, n, details=None):
    """Raise :class:`LawViolation` at the worst row if any ``violation > tol``; else return max violation.

    ``violation`` and ``tol`` have the leading shape of the inputs; NaN counts as an infinite
    violation.  ``inputs``/``details`` map names to arrays of shape ``(..., n)`` or ``(...)``.
    """
    v = _flat(violation)
    t = np.broadcast_to(_flat(tol), v.shape)
    v = np.where(np.isnan(v), np.inf, v)
    bad = v > t
    if np.any(bad):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bad, v / np.maximum(t, np.finfo(float).tiny), -np.inf)
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        i = int(np.argmax(ratio))
        R = v.size

        def pick(a):
            a = np.asarray(a)
            if a.size == R * n and a.ndim >= 1 and a.shape[-1] == n and n != 1:
                return a.reshape(R, n)[i]
            if a.size == R * n and n == 1 and a.ndim >= 1 and a.shape[-1] == 1:
                return a.reshape(R, n)[i]
            if a.size == R:
                return a.reshape(R)[i]
            if a.size == 1:
                return a.reshape(())
            return a.reshape(R, -1)[i]

        raise LawViolation(law, i, {k: pick(a) for k, a in inputs.items()}, float(v[i]), float(t[i]),
                           {k: pick(a) for k, a in (details or {}).items()})
    if v.size == 0:
        return 0.0
    return float(np.max(np.maximum(v, 0.0)))


def _equality(law, value, reference, scale, rtol, inputs, n, details=None):
    """``value == reference`` (both infinite of the same sign counts as equal)."""
    value = _out(value)
    reference = _out(reference)
    with np.errstate(invalid="ignore"):
        both_inf = np.isinf(value) & np.isinf(reference) & (np.sign(value) == np.sign(reference))
        diff = np.where(both_inf, 0.0, np.abs(value - reference))
    d = dict(details or {})
    d.setdefault("value", value)
    d.setdefault("reference", reference)
    return _judge(law, diff, rtol * (1.0 + scale), inputs, n, d)


def _direction(direction, shape, seed):
    if direction is None:
        d = np.random.default_rng(seed).standard_normal(shape)
    else:
        d = np.broadcast_to(np.asarray(direction, dtype=np.float64), shape)
    nrm = _norm(d)[..., None]
    return np.where(nrm > 0, d / np.where(nrm > 0, nrm, 1.0), 0.0)


# ----------------------------------------------------------------------------- convenience
def activation_callables(activation, step: float = 1.0) -> SimpleNamespace:
    """The callables the laws take, built from a :class:`bregnet.activations.Activation`.

    Returns a namespace with ``sigma``, ``prox`` (:math:`\\operatorname{prox}_{t\\Psi}` for ``step``),
    ``psi``, ``phi_star``, ``psi_star`` (``None`` without a closed form), ``prox_conjugate``,
    ``bregman`` (:func:`bregnet.bregman_loss`) and ``grad`` (:func:`bregnet.bregman_grad`).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> c = activation_callables(get("relu"))
    >>> c.sigma([[-1.0, 2.0]]).tolist()
    [[0.0, 2.0]]
    """
    from ..activations.base import Activation
    from ..bregman import bregman_grad, bregman_loss

    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be a bregnet Activation (see bregnet.activations.get); got "
                        f"{type(activation).__name__}")
    return SimpleNamespace(
        sigma=activation.prox,
        prox=lambda z: activation.prox(z, step=step),
        psi=activation.psi,
        phi_star=activation.conjugate,
        psi_star=activation.psi_conjugate if activation.has_psi_conjugate else None,
        prox_conjugate=activation.prox_conjugate,
        bregman=lambda x, z: bregman_loss(activation, x, z),
        grad=lambda x, z: bregman_grad(activation, x, z, check_domain=False),
    )


# ----------------------------------------------------------------------------- Definition 1 / Remark 2
def _affine_hull(prox, psi, n, dtype, seed):
    r"""Estimate :math:`\operatorname{aff}(\operatorname{dom}\Psi)` as ``(x0, V)`` (columns of V a basis).

    The range of :math:`\sigma` is :math:`\operatorname{dom}\partial\Psi`, whose affine hull is that of
    :math:`\operatorname{dom}\Psi`; it is estimated from :math:`\sigma` at random points and then
    *verified* with :math:`\Psi`: if :math:`\Psi` is finite at a point off the estimated hull, the
    whole space is used instead.
    """
    rng = np.random.default_rng(seed)
    Z = np.concatenate([s * rng.standard_normal((4 * n + 4, n)) for s in (0.3, 1.0, 3.0, 10.0)])
    S = _out(prox(Z.astype(dtype)))
    if not np.all(np.isfinite(S)):
        return np.zeros(n), np.eye(n)
    x0 = S.mean(axis=0)
    _, sv, Vt = np.linalg.svd(S - x0)
    rank = int(np.sum(sv > 1e-6 * max(float(sv.max(initial=0.0)), 1.0)))
    if rank == n:
        return x0, np.eye(n)
    V, W = Vt[:rank].T, Vt[rank:].T
    probes = []
    for delta in (1e-3, 1e-1, 1.0):
        for k in range(W.shape[1]):
            probes += [x0 + delta * W[:, k], x0 - delta * W[:, k]]
        for _ in range(4):
            w = W @ rng.standard_normal(W.shape[1])
            probes += [x0 + delta * w / max(np.linalg.norm(w), 1e-300)]
        for s in S[:: max(1, len(S) // 8)]:
            probes += [s + delta * W[:, 0], s - delta * W[:, 0]]
    if np.any(np.isfinite(_out(psi(np.array(probes))))):
        return np.zeros(n), np.eye(n)
    return x0, V


def check_prox_optimality(prox: Callable, psi: Callable, z, *, step: float = 1.0, affine_hull="auto",
                          rtol: float | None = None, maxiter: int | None = None, seed: int = 0) -> float:
    r"""Definition 1, eq. (9): :math:`\operatorname{prox}_{t\Psi}(z)` minimises :math:`E(u)=\tfrac12\|u-z\|^2+t\Psi(u)`.

    Law: :math:`E(\operatorname{prox}(z)) \le \min_u E(u) + \text{tol}`, where the minimum is found
    by a direct SciPy minimisation (Nelder-Mead, restarted once, from :math:`\operatorname{prox}(z)`
    and from the centre of the domain's affine hull).  Because :math:`E` is 1-strongly convex this also
    bounds :math:`\tfrac12\|\operatorname{prox}(z)-u^*\|^2`.  Intended for small ``n`` (at most 6).

    ``affine_hull``: the minimisation runs over :math:`x_0 + \operatorname{span} V`; ``None`` means
    :math:`\mathbb{R}^n`, a pair ``(x0, V)`` is used as given, and ``"auto"`` estimates the affine hull
    of :math:`\operatorname{dom}\Psi` (the simplex's hyperplane for softmax) from ``prox`` and verifies
    it with ``psi`` (a black-box ``psi`` that is finite only on a hyperplane cannot be minimised by
    a search in :math:`\mathbb{R}^n`).  ``psi`` is evaluated on float64 points during the search.

    Tolerance: ``rtol * (1 + ||z||^2 + ||prox(z)||^2 + t|Psi(prox(z))| + |E(prox(z))|)``.
    """
    from scipy.optimize import minimize

    z = _arr(z, "z")
    t = float(step)
    n = z.shape[-1]
    if n > 6:
        raise ValueError(f"check_prox_optimality is meant for small n (<= 6); got n = {n}")
    s = _arr(prox(z), "prox(z)")
    rtol = _rtol(rtol, z, s)
    zr, sr = _rows(z, n), _rows(s, n)
    ps = _flat(psi(sr))
    if affine_hull == "auto":
        x0, V = _affine_hull(prox, psi, n, z.dtype, seed)
    elif affine_hull is None:
        x0, V = np.zeros(n), np.eye(n)
    else:
        x0, V = (np.asarray(a, dtype=np.float64) for a in affine_hull)
    m = V.shape[1]
    maxiter = maxiter or 200 * max(m, 1)
    E_s = np.empty(len(zr))
    E_best = np.empty(len(zr))
    u_best = np.empty((len(zr), n))
    with np.errstate(all="ignore"):
        for i, (zi, si) in enumerate(zip(zr.astype(np.float64), sr.astype(np.float64))):
            E_s[i] = 0.5 * np.sum((si - zi) ** 2) + t * ps[i]

            def E(w, zi=zi):
                u = x0 + V @ w
                val = 0.5 * np.sum((u - zi) ** 2) + t * float(_out(psi(u[None, :]))[0])
                return val if np.isfinite(val) else np.inf

            if m == 0:
                E_best[i], u_best[i] = E(np.zeros(0)), x0
                continue
            # starting at prox(z) itself: any descent the search finds from there is a violation;
            # the domain's centre is a second, independent start
            starts = [V.T @ (si - x0) if np.all(np.isfinite(si)) else np.zeros(m), np.zeros(m)]
            best_w, best_E = None, np.inf
            for w0 in starts:
                r = 0.1 * max(1.0, float(np.max(np.abs(zi))))
                w = w0
                for _ in range(2):  # a restart with a smaller simplex
                    simplex = np.vstack([w] + [w + r * e for e in np.eye(m)])
                    res = minimize(E, w, method="Nelder-Mead",
                                   options=dict(initial_simplex=simplex, maxiter=maxiter, xatol=1e-10 * r,
                                                fatol=1e-15))
                    if res.fun < best_E:
                        best_w, best_E = res.x, float(res.fun)
                    w = res.x
                    r *= 1e-3
            E_best[i] = best_E
            u_best[i] = x0 + V @ best_w if best_w is not None else np.nan
        violation = np.where(np.isfinite(E_s), E_s - E_best, np.inf)
    scale = _abs(2 * _sq(zr), 2 * _sq(sr), t * ps, E_s)
    return _judge(f"Definition 1, eq. (9) (prox optimality, step t = {t:g}): E(prox(z)) <= min_u E(u), "
                  "E(u) = 1/2||u - z||^2 + t Psi(u)",
                  violation, rtol * (1 + scale), {"z": zr}, n,
                  {"prox(z)": sr, "scipy argmin": u_best, "E(prox(z))": E_s, "min E (scipy)": E_best})


def check_three_point_inequality(prox: Callable, psi: Callable, z, u, *, step: float = 1.0,
                                 rtol: float | None = None) -> float:
    r"""Three-point inequality of the prox (Definition 1, eq. (9)); needs no closed form.

    With :math:`s = \operatorname{prox}_{t\Psi}(z)`, for every :math:`u`

    .. math:: \tfrac12\|u-z\|^2 + t\Psi(u) \;\ge\; \tfrac12\|s-z\|^2 + t\Psi(s) + \tfrac12\|u-s\|^2,

    which holds because :math:`E(u)=\tfrac12\|u-z\|^2+t\Psi(u)` is 1-strongly convex and minimised
    by :math:`s`; conversely it characterises :math:`s` (put :math:`u` = the true prox).  It is
    algebraically the same statement as Remark 2 (:func:`check_remark2_inclusion`), evaluated here
    in the squared-norm form.  Rows with :math:`\Psi(u)=\infty` hold trivially; :math:`\Psi(s)=\infty`
    is a violation.

    Tolerance: ``rtol * (1 + sum of |terms| + ||s|| ||u - s||)``.
    """
    z = _arr(z, "z")
    u = _arr(u, "u")
    t = float(step)
    z, u = _broadcast(z, u)
    n = z.shape[-1]
    s = _arr(prox(z), "prox(z)")
    rtol = _rtol(rtol, z, u, s)
    pu, ps = _out(psi(u)), _out(psi(s))
    a, b, c = _sq(u - _out(z)), _sq(_out(s) - _out(z)), _sq(_out(u) - _out(s))
    with np.errstate(invalid="ignore"):
        lhs = a + t * pu
        rhs = b + t * ps + c
        violation = np.where(~np.isfinite(ps) | np.isnan(ps), np.inf,
                             np.where(np.isfinite(pu), rhs - lhs, 0.0))
    scale = _abs(a, t * pu, b, t * ps, c, _norm(s) * _norm(_out(u) - _out(s)))
    return _judge(f"Three-point inequality of prox (Definition 1, eq. (9), step t = {t:g}): "
                  "1/2||u-z||^2 + tPsi(u) >= 1/2||s-z||^2 + tPsi(s) + 1/2||u-s||^2, s = prox(z)",
                  violation, rtol * (1 + scale), {"z": z, "u": u}, n,
                  {"s": s, "lhs": lhs, "rhs": rhs})


def check_remark2_inclusion(sigma: Callable, psi: Callable, z, u, *, rtol: float | None = None) -> float:
    r"""Remark 2: :math:`z-\sigma(z)\in\partial\Psi(\sigma(z))`, as the subgradient inequality.

    .. math:: \Psi(u) \;\ge\; \Psi(s) + \langle z-s,\, u-s\rangle \quad\text{for all } u,\qquad s=\sigma(z).

    Also :math:`\Psi(s)<\infty` (:math:`\sigma` maps into :math:`\operatorname{dom}\Psi`).  Rows with
    :math:`\Psi(u)=\infty` hold trivially.

    Tolerance: ``rtol * (1 + |Psi(u)| + |Psi(s)| + (||z - s|| + ||s||) (||u - s|| + ||s||))``.
    """
    z = _arr(z, "z")
    u = _arr(u, "u")
    z, u = _broadcast(z, u)
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, z, u, s)
    pu, ps = _out(psi(u)), _out(psi(s))
    q = _out(z) - _out(s)
    lin = _dot(q, _out(u) - _out(s))
    with np.errstate(invalid="ignore"):
        violation = np.where(~np.isfinite(ps) | np.isnan(ps), np.inf,
                             np.where(np.isfinite(pu), ps + lin - pu, 0.0))
    scale = _abs(pu, ps, (_norm(q) + _norm(s)) * (_norm(_out(u) - _out(s)) + _norm(s)))
    return _judge("Remark 2 (z - sigma(z) in dPsi(sigma(z))): Psi(u) >= Psi(s) + <z - s, u - s>, s = sigma(z)",
                  violation, rtol * (1 + scale), {"z": z, "u": u}, n,
                  {"s": s, "Psi(u)": pu, "Psi(s) + <z-s, u-s>": ps + lin})


# ----------------------------------------------------------------------------- Theorem 7, Definition 3, Lemma 4
def check_moreau_identity(sigma: Callable, prox_conjugate: Callable, z, *, psi_star: Callable | None = None,
                          w=None, rtol: float | None = None) -> float:
    r"""Theorem 7 (Moreau identity): :math:`z = \sigma(z) + \sigma^*(z)`, :math:`\sigma^* = \operatorname{prox}_{\Psi^*}`.

    If ``psi_star`` is given, the law also checks that :math:`y=\sigma^*(z)` really is
    :math:`\operatorname{prox}_{\Psi^*}(z)` (without which the identity is a tautology for an
    implementation that *defines* :math:`\sigma^*(z) = z-\sigma(z)`): :math:`\Psi^*(y)<\infty` and the
    optimality (three-point) inequality of the prox of :math:`\Psi^*`,

    .. math:: \Psi^*(w) \;\ge\; \Psi^*(y) + \langle z - y,\, w - y\rangle,

    at the test points ``w`` (default: the other rows' :math:`\sigma^*`, :math:`y/2`, :math:`2y`, 0).

    Tolerance: ``rtol * (1 + ||z|| + ||sigma(z)|| + ||sigma*(z)||)`` for the identity, and as in
    :func:`check_remark2_inclusion` for the inequality.
    """
    z = _arr(z, "z")
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    y = _arr(prox_conjugate(z), "prox_conjugate(z)")
    rtol = _rtol(rtol, z, s, y)
    resid = _norm(_out(z) - _out(s) - _out(y))
    scale = _abs(_norm(z), _norm(s), _norm(y))
    worst = _judge("Theorem 7 (Moreau identity): z = sigma(z) + prox_{Psi*}(z)",
                   resid, rtol * (1 + scale), {"z": z}, n, {"sigma(z)": s, "prox_{Psi*}(z)": y})
    if psi_star is None:
        return worst
    if w is None:
        yr = _rows(y, n)
        cands = [np.roll(yr, 1, axis=0), 0.5 * _out(yr), 2.0 * _out(yr), np.zeros_like(_out(yr))]
        zz = np.concatenate([_rows(z, n)] * len(cands))
        ww = np.concatenate([_like(c, z) for c in cands])
    else:
        zz, ww = _broadcast(z, _arr(w, "w"))
    yy = _arr(prox_conjugate(zz), "prox_conjugate(z)")
    pw, py = _out(psi_star(ww)), _out(psi_star(yy))
    q = _out(zz) - _out(yy)
    lin = _dot(q, _out(ww) - _out(yy))
    with np.errstate(invalid="ignore"):
        violation = np.where(~np.isfinite(py) | np.isnan(py), np.inf, np.where(np.isfinite(pw), py + lin - pw, 0.0))
    scale = _abs(pw, py, (_norm(q) + _norm(yy)) * (_norm(_out(ww) - _out(yy)) + _norm(yy)))
    worst2 = _judge("Theorem 7 (Moreau identity): y = prox_{Psi*}(z) must satisfy "
                    "Psi*(w) >= Psi*(y) + <z - y, w - y>",
                    violation, rtol * (1 + scale), {"z": zz, "w": ww}, n,
                    {"y": yy, "Psi*(w)": pw, "Psi*(y) + <z-y, w-y>": py + lin})
    return max(worst, worst2)


def check_psi_fenchel_young(sigma: Callable, psi: Callable, psi_star: Callable, z, x=None, y=None, *,
                            prox_conjugate: Callable | None = None, rtol: float | None = None) -> float:
    r"""Definition 3 for :math:`\Psi`: Fenchel-Young for a closed-form :math:`\Psi^*` (eq. (14)).

    Equality on the graph of :math:`\partial\Psi` given by Remark 2,

    .. math:: \Psi(s) + \Psi^*(z-s) = \langle s, z-s\rangle,\qquad s=\sigma(z),

    and, if ``x`` and ``y`` are given, the inequality :math:`\Psi(x)+\Psi^*(y)\ge\langle x,y\rangle`
    (so :math:`\Psi^*` is the supremum of Definition 3 and not merely some function).

    The dual point :math:`z-s` is ``prox_conjugate(z)`` if that is given (:math:`\sigma^*(z)`, the
    implementation's own, Theorem 7), else computed here as ``z - sigma(z)``; with an open
    :math:`\operatorname{dom}\Psi^*` the latter can round onto the boundary for huge :math:`|z|`,
    so pass the implementation's ``prox_conjugate`` when it has one.

    Tolerance: ``rtol * (1 + |Psi(s)| + |Psi*(z - s)| + ||s|| ||z - s|| + ||s||^2)``.
    """
    z = _arr(z, "z")
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, z, s)
    q = _arr(prox_conjugate(z), "prox_conjugate(z)") if prox_conjugate is not None else _like(_out(z) - _out(s), z)
    ps, pq = _out(psi(s)), _out(psi_star(q))
    inner = _dot(s, q)
    with np.errstate(invalid="ignore"):
        gap = ps + pq - inner
    scale = _abs(ps, pq, inner, _norm(s) * (_norm(q) + _norm(s)))
    worst = _judge("Definition 3 / eq. (14) (Fenchel-Young for Psi, equality on the graph): "
                   "Psi(s) + Psi*(z - s) = <s, z - s>, s = sigma(z)",
                   np.abs(gap), rtol * (1 + scale), {"z": z}, n, {"s": s, "z - s": q, "Psi(s)": ps, "Psi*(z-s)": pq})
    if x is None or y is None:
        return worst
    x, y = _broadcast(_arr(x, "x"), _arr(y, "y"))
    px, py = _out(psi(x)), _out(psi_star(y))
    inner = _dot(x, y)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(px) & np.isfinite(py)
        violation = np.where(finite, inner - px - py, np.where(np.isnan(px) | np.isnan(py), np.inf, 0.0))
    scale = _abs(px, py, inner)
    worst2 = _judge("Definition 3 (Fenchel-Young inequality for Psi): Psi(x) + Psi*(y) >= <x, y>",
                    violation, _rtol(None, x, y) * (1 + scale) if rtol is None else rtol * (1 + scale),
                    {"x": x, "y": y}, x.shape[-1], {"Psi(x)": px, "Psi*(y)": py})
    return max(worst, worst2)


def check_lemma4_fenchel_young(sigma: Callable, psi: Callable, phi_star: Callable, z, x, *,
                               rtol: float | None = None) -> float:
    r"""Lemma 4, eq. (11): Fenchel-Young for :math:`\Phi=\tfrac12\|\cdot\|^2+\Psi`, equality exactly on the graph.

    .. math:: \Phi(x) + \Phi^*(z) - \langle x, z\rangle \;\begin{cases} = 0 & x = \sigma(z)\\
              > 0 & x \ne \sigma(z)\end{cases}

    (:math:`z\in\partial\Phi(x)` iff :math:`x=\sigma(z)`, Remark 2 and (10)).  The equality is
    checked at :math:`x=\sigma(z)`; for the given ``x`` the gap must be :math:`\ge 0`, and strictly
    positive (greater than the tolerance) wherever :math:`\tfrac12\|x-\sigma(z)\|^2` exceeds twice the
    tolerance, i.e. where strictness is distinguishable from rounding.

    Tolerance: ``rtol * (1 + |Phi(x)| + |Phi*(z)| + |<x, z>|)``.
    """
    z = _arr(z, "z")
    x = _arr(x, "x")
    z, x = _broadcast(z, x)
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, z, x, s)
    fz = _out(phi_star(z))
    phi_s = _sq(s) + _out(psi(s))
    inner_s = _dot(s, z)
    with np.errstate(invalid="ignore"):
        gap_s = phi_s + fz - inner_s
    tol_s = rtol * (1 + _abs(phi_s, fz, inner_s))
    worst = _judge("Lemma 4, eq. (11) (Fenchel-Young equality on the graph): "
                   "Phi(sigma(z)) + Phi*(z) = <sigma(z), z>, Phi = 1/2||.||^2 + Psi",
                   np.abs(gap_s), tol_s, {"z": z}, n, {"sigma(z)": s, "Phi(sigma(z))": phi_s, "Phi*(z)": fz})
    phi_x = _sq(x) + _out(psi(x))
    inner = _dot(x, z)
    with np.errstate(invalid="ignore"):
        gap = phi_x + fz - inner
        tol = rtol * (1 + _abs(phi_x, fz, inner))
        finite = np.isfinite(phi_x)
        dist = _sq(_out(x) - _out(s))
        distinguishable = finite & (dist > 2 * tol)
        violation = np.where(np.isnan(gap), np.inf, np.where(finite, -gap, 0.0))
        short = np.where(distinguishable, tol - gap, -np.inf)
    details = {"sigma(z)": s, "gap Phi(x) + Phi*(z) - <x,z>": gap, "1/2||x - sigma(z)||^2": dist, "tol": tol}
    worst = max(worst, _judge("Lemma 4, eq. (11) (Fenchel-Young inequality): Phi(x) + Phi*(z) - <x, z> >= 0",
                              violation, tol, {"x": x, "z": z}, n, details))
    _judge("Lemma 4, eq. (11) (strict off the graph): Phi(x) + Phi*(z) - <x, z> > 0 for x != sigma(z); "
           "where 1/2||x - sigma(z)||^2 > 2 tol the gap must exceed tol (violation = tol - gap)",
           short, 0.0, {"x": x, "z": z}, n, details)
    return worst


# ----------------------------------------------------------------------------- eq. (12), Theorem 10 items 1-4
def _definition12(psi, phi_star, x, z):
    px = _out(psi(x))
    fz = _out(phi_star(z))
    inner = _dot(x, z)
    with np.errstate(invalid="ignore"):
        val = np.where(np.isfinite(px), _sq(x) + px + fz - inner, np.inf)
    return val, _abs(_sq(x), px, fz, inner)


def _outside_domain_ignored(value, reference, check_domain):
    """With ``check_domain=False``: the implementation's value replaced by the reference where that is ``+inf``."""
    if check_domain:
        return value
    return np.where(np.isposinf(reference), reference, value)


def check_bregman_definition(bregman: Callable, psi: Callable, phi_star: Callable, x, z, *,
                             rtol: float | None = None, law: str | None = None, check_domain: bool = True) -> float:
    r"""Any implementation of :math:`B_\Psi` against its definition, eq. (12).

    .. math:: B_\Psi(x,z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x,z\rangle,

    ``+inf`` exactly where :math:`\Psi(x)=\infty`; with ``check_domain=False`` the rows where
    ``psi(x)`` is ``+inf`` are not compared (for a ``bregman`` that does not model the domain).

    Tolerance: ``rtol * (1 + 1/2||x||^2 + |Psi(x)| + |Phi*(z)| + |<x, z>|)``.

    Examples
    --------
    >>> import numpy as np
    >>> psi = lambda x: np.where(np.all(x >= 0, axis=-1), 0.0, np.inf)
    >>> phi_star = lambda z: 0.5 * np.sum(np.maximum(z, 0) ** 2, axis=-1)
    >>> no_domain = lambda x, z: 0.5 * np.sum((x - np.maximum(z, 0)) ** 2 + 2 * x * np.maximum(-z, 0), axis=-1)
    >>> x, z = np.array([[0.5], [-1.0]]), np.array([[-1.0], [2.0]])
    >>> check_bregman_definition(no_domain, psi, phi_star, x, z, check_domain=False)
    0.0
    >>> check_bregman_definition(no_domain, psi, phi_star, x, z)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bregnet.testing.laws.LawViolation: eq. (12) (definition of the Bregman loss): ...
    """
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    ref, scale = _definition12(psi, phi_star, x, z)
    val = _outside_domain_ignored(_out(bregman(x, z)), ref, check_domain)
    rtol = _rtol(rtol, x, z, val)
    return _equality(law or "eq. (12) (definition of the Bregman loss): "
                     "B(x, z) = 1/2||x||^2 + Psi(x) + Phi*(z) - <x, z>",
                     val, ref, scale, rtol, {"x": x, "z": z}, n)


def _item_forms(k, statement, rhs_fn, sigma, psi, phi_star, x, z, form, rtol, check_domain=True):
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, x, z, s)
    ref, scale = _definition12(psi, phi_star, x, z)
    px, ps = _out(psi(x)), _out(psi(s))
    with np.errstate(invalid="ignore"):
        rhs, terms = rhs_fn(_out(x), _out(z), _out(s), px, ps)
    scale = scale + terms
    law = f"Theorem 10, item {k} ({statement}) vs eq. (12)"
    worst = _equality(law, rhs, ref, scale, rtol, {"x": x, "z": z}, n, {"sigma(z)": s})
    if form is not None:
        value = _outside_domain_ignored(_out(form(x, z)), ref, check_domain)
        worst = max(worst, _equality(law + " [form callable]", value, ref, scale, rtol,
                                     {"x": x, "z": z}, n, {"sigma(z)": s}))
    return worst, ref, x, z, s, rtol, scale


def check_theorem10_item1(sigma: Callable, psi: Callable, phi_star: Callable, x, z, *, form: Callable | None = None,
                          rtol: float | None = None, check_domain: bool = True) -> float:
    r"""Theorem 10, item 1: :math:`B_\Psi(x,z) = E_z(x) - E_z(\sigma(z))`, :math:`E_z(u)=\tfrac12\|u-z\|^2+\Psi(u)`.

    The right-hand side (computed from ``sigma`` and ``psi``) must equal the definition (12)
    (computed from ``psi`` and ``phi_star``); if ``form`` is given (an implementation of the item-1
    form, e.g. :func:`bregnet.bregman.bregman_loss_envelope_form`), it must equal (12) too, ``+inf``
    outside :math:`\operatorname{dom}\Psi` included unless ``check_domain=False`` (items 1 to 4 alike).
    Tolerance as in :func:`check_bregman_definition`, plus the item's own terms.
    """
    def rhs(x, z, s, px, ps):
        a, b = _sq(x - z), _sq(s - z)
        return np.where(np.isfinite(px), (a + px) - (b + ps), np.inf), _abs(a, px, b, ps)

    return _item_forms(1, "B = E_z(x) - E_z(sigma(z))", rhs, sigma, psi, phi_star, x, z, form, rtol, check_domain)[0]


def check_theorem10_item2(sigma: Callable, psi: Callable, phi_star: Callable, x, z, *, form: Callable | None = None,
                          rtol: float | None = None, check_domain: bool = True) -> float:
    r"""Theorem 10, item 2: :math:`B_\Psi(x,z) = D^{z}_{\Phi}(x,\sigma(z)) = \Phi(x)-\Phi(\sigma(z))-\langle z, x-\sigma(z)\rangle`.

    :math:`\Phi=\tfrac12\|\cdot\|^2+\Psi` (Definition 5).  Checked against (12) as in
    :func:`check_theorem10_item1`.
    """
    def rhs(x, z, s, px, ps):
        fx, fs, lin = _sq(x) + px, _sq(s) + ps, _dot(z, x - s)
        return np.where(np.isfinite(px), fx - fs - lin, np.inf), _abs(fx, fs, lin, _sq(x), _sq(s))

    return _item_forms(2, "B = D^z_Phi(x, sigma(z))", rhs, sigma, psi, phi_star, x, z, form, rtol, check_domain)[0]


def check_theorem10_item3(sigma: Callable, psi: Callable, phi_star: Callable, x, z, *, form: Callable | None = None,
                          rtol: float | None = None, check_domain: bool = True) -> float:
    r"""Theorem 10, item 3: :math:`B_\Psi(x,z) = \tfrac12\|x-\sigma(z)\|^2 + D_\Psi^{z-\sigma(z)}(x,\sigma(z)) \ge \tfrac12\|x-\sigma(z)\|^2`.

    The equality is checked against (12) as in :func:`check_theorem10_item1`; the inequality as
    :math:`D_\Psi^{z-\sigma(z)}(x,\sigma(z))\ge 0` for the computed pieces and as
    (12) :math:`\ge\tfrac12\|x-\sigma(z)\|^2`.
    """
    def rhs(x, z, s, px, ps):
        q, lin = _sq(x - s), _dot(z - s, x - s)
        D = px - ps - lin
        return np.where(np.isfinite(px), q + D, np.inf), _abs(q, px, ps, lin, _norm(s) * _norm(z - s))

    worst, ref, x, z, s, rtol, scale = _item_forms(3, "B = 1/2||x - sigma(z)||^2 + D_Psi^{z - sigma(z)}(x, sigma(z))",
                                                    rhs, sigma, psi, phi_star, x, z, form, rtol, check_domain)
    q = _sq(_out(x) - _out(s))
    with np.errstate(invalid="ignore"):
        violation = np.where(np.isnan(ref), np.inf, np.where(np.isfinite(ref), q - ref, 0.0))
    return max(worst, _judge("Theorem 10, item 3 (inequality): B(x, z) >= 1/2||x - sigma(z)||^2",
                             violation, rtol * (1 + scale), {"x": x, "z": z}, z.shape[-1],
                             {"sigma(z)": s, "B (12)": ref, "1/2||x - sigma(z)||^2": q}))


def check_theorem10_item4(sigma: Callable, psi: Callable, phi_star: Callable, x, z, *, form: Callable | None = None,
                          rtol: float | None = None, check_domain: bool = True) -> float:
    r"""Theorem 10, item 4: :math:`B_\Psi(x,z) = \tfrac12\|x-\sigma(z)\|^2+\Psi(x)-\Psi(\sigma(z))-\langle z-\sigma(z),x-\sigma(z)\rangle`.

    Checked against (12) as in :func:`check_theorem10_item1`.
    """
    def rhs(x, z, s, px, ps):
        q, lin = _sq(x - s), _dot(z - s, x - s)
        return np.where(np.isfinite(px), q + px - ps - lin, np.inf), _abs(q, px, ps, lin, _norm(s) * _norm(z - s))

    return _item_forms(4, "B = 1/2||x - sigma(z)||^2 + Psi(x) - Psi(sigma(z)) - <z - sigma(z), x - sigma(z)>",
                       rhs, sigma, psi, phi_star, x, z, form, rtol, check_domain)[0]


# ----------------------------------------------------------------------------- finite differences (items 5, 6, (15))
def _fd_points(z, x, direction, h, seed, rtol):
    """Neighbours z + a, z + b (b ~ -a) in the caller's dtype, and the actual displacements a, b."""
    d = _direction(direction, z.shape, seed)
    zz = _out(z)
    scale = 1.0 + 2 * _sq(zz) + (0.0 if x is None else 2 * _sq(x))
    if h is None:
        hh = np.sqrt(rtol * scale)
    else:
        hh = np.broadcast_to(np.asarray(h, dtype=np.float64), scale.shape)
    zp = _like(zz + hh[..., None] * d, z)
    zm = _like(zz - hh[..., None] * d, z)
    return zp, zm, _out(zp) - zz, _out(zm) - zz, scale


def _fd_gradient_law(law, f, g, z, x, direction, h, seed, rtol, n, extra_inputs):
    r"""For convex f with 1-Lipschitz gradient g: 0 <= f(z+a) - f(z) - <g,a> <= 1/2||a||^2 (both sides)."""
    fz = _out(f(z))
    zp, zm, a, b, scale = _fd_points(z, x, direction, h, seed, rtol)
    fp, fm = _out(f(zp)), _out(f(zm))
    gz = _out(g)
    ga, gb = _dot(gz, a), _dot(gz, b)
    with np.errstate(invalid="ignore"):
        central = (fp - fm) - (ga - gb)                 # central difference minus <g, a - b>
        bound = 0.5 * np.maximum(2 * _sq(a), 2 * _sq(b))   # exact error bound of the central difference
        ep, em = fp - fz - ga, fm - fz - gb                  # one-sided remainders, in [0, 1/2||.||^2]
        finite = np.isfinite(fz) & np.isfinite(fp) & np.isfinite(fm)
        violation = np.where(finite, np.maximum.reduce([np.abs(central) - bound, -ep, -em,
                                                        ep - _sq(a), em - _sq(b)]), np.inf)
    tol = rtol * (1 + _abs(fz, fp, fm, scale) + _norm(gz) * (_norm(a) + _norm(b)))
    return _judge(law, violation, tol, extra_inputs, n,
                  {"z + a": zp, "f(z)": fz, "f(z + a)": fp, "f(z - a)": fm, "claimed gradient": gz,
                   "central difference": fp - fm, "<g, 2a>": ga - gb, "error bound 1/2||a||^2": bound})


def check_theorem10_item6(bregman: Callable, sigma: Callable, x, z, *, grad: Callable | None = None,
                          direction=None, h=None, seed: int = 0, rtol: float | None = None) -> float:
    r"""Theorem 10, item 6 = Lemma 8: :math:`\nabla_z B_\Psi(x,z) = \sigma(z) - x` (``x`` in :math:`\operatorname{dom}\Psi`).

    Checked against central finite differences of ``bregman`` along a unit ``direction`` (random,
    seeded, if not given) with step :math:`h` (default :math:`\sqrt{\text{rtol}\cdot(1+\|x\|^2+\|z\|^2)}`,
    which balances rounding against curvature).  Because :math:`B_\Psi(x,\cdot)` is convex with a
    1-Lipschitz gradient (items 8 and 10), the remainders obey the exact, non-asymptotic bounds

    .. math:: 0 \le B(x,z+a) - B(x,z) - \langle g, a\rangle \le \tfrac12\|a\|^2, \qquad
              \bigl|B(x,z+a)-B(x,z-a) - 2\langle g,a\rangle\bigr| \le \tfrac12\|a\|^2,

    for :math:`g=\sigma(z)-x` (the central difference bound is :math:`\tfrac12\max(\|a\|^2,\|b\|^2)`
    with the actually realised displacements :math:`a\approx-b` after rounding to the caller's dtype).
    If ``grad`` is given it must also equal :math:`\sigma(z)-x`.  ``x`` must lie in
    :math:`\operatorname{dom}\Psi` (a non-finite :math:`B` is a violation).

    Tolerance: ``rtol * (1 + |B| values + 1 + ||x||^2 + ||z||^2 + ||g|| (||a|| + ||b||))``.
    """
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, x, z, s)
    g = _out(s) - _out(x)
    worst = 0.0
    if grad is not None:
        gg = _out(grad(x, z))
        worst = _judge("Theorem 10, item 6 / Lemma 8: grad(x, z) = sigma(z) - x",
                       _norm(gg - g), rtol * (1 + _norm(s) + _norm(x)), {"x": x, "z": z}, n,
                       {"grad(x, z)": gg, "sigma(z) - x": g})
    return max(worst, _fd_gradient_law(
        "Theorem 10, item 6 / Lemma 8 (gradient vs central finite differences): grad_z B(x, z) = sigma(z) - x",
        lambda zz: bregman(x, zz), g, z, _out(x), direction, h, seed, rtol, n, {"x": x, "z": z}))


def check_conjugate_gradient(phi_star: Callable, sigma: Callable, z, *, direction=None, h=None, seed: int = 0,
                             rtol: float | None = None) -> float:
    r"""Eq. (15): :math:`\nabla\Phi^* = \sigma`, :math:`\Phi^*=(\tfrac12\|\cdot\|^2+\Psi)^*`, by central finite differences.

    :math:`\Phi^*` is convex with a 1-Lipschitz gradient, so the same exact remainder bounds as in
    :func:`check_theorem10_item6` apply with :math:`g=\sigma(z)`.
    """
    z = _arr(z, "z")
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, z, s)
    return _fd_gradient_law("eq. (15) (gradient of the conjugate vs central finite differences): "
                            "grad Phi*(z) = sigma(z)",
                            phi_star, _out(s), z, None, direction, h, seed, rtol, n, {"z": z})


def check_theorem10_item5(bregman: Callable, x, z, *, direction=None, h=None, seed: int = 0,
                          rtol: float | None = None) -> float:
    r"""Theorem 10, item 5: :math:`z\mapsto B_\Psi(x,z)` is continuously differentiable for :math:`x\in\operatorname{dom}\Psi`.

    Tested through the stronger, quantitative property the proof gives: :math:`B_\Psi(x,\cdot)` is
    finite everywhere and :math:`\tfrac12\|\cdot\|^2 - B_\Psi(x,\cdot)` is convex (the gradient is
    1-Lipschitz), i.e. the second difference obeys

    .. math:: B(x,z+a) + B(x,z-a) - 2B(x,z) \le \|a\|^2,

    which fails at a kink (a jump :math:`c` of the directional derivative gives :math:`\approx c\|a\|`)
    as soon as :math:`\|a\|<c`.  No derivative is needed.  Step :math:`h` as in
    :func:`check_theorem10_item6`; ``x`` must be in :math:`\operatorname{dom}\Psi`.

    Tolerance: ``rtol * (1 + |B| values + 1 + ||x||^2 + ||z||^2) + slope * ||a + b||`` (the slope
    estimated from the two neighbours; :math:`a+b` is the rounding asymmetry of the neighbours).
    """
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    rtol = _rtol(rtol, x, z)
    zp, zm, a, b, scale = _fd_points(z, _out(x), direction, h, seed, rtol)
    B0, Bp, Bm = _out(bregman(x, z)), _out(bregman(x, zp)), _out(bregman(x, zm))
    with np.errstate(invalid="ignore", divide="ignore"):
        second = Bp + Bm - 2 * B0
        finite = np.isfinite(B0) & np.isfinite(Bp) & np.isfinite(Bm)
        violation = np.where(finite, second - 0.5 * (2 * _sq(a) + 2 * _sq(b)), np.inf)
        slope = np.abs(Bp - Bm) / np.maximum(_norm(a - b), 1e-300)
        tol = rtol * (1 + _abs(B0, Bp, Bm, scale)) + np.where(finite, slope, 0.0) * _norm(a + b)
    return _judge("Theorem 10, item 5 (continuous differentiability in z, via 1-Lipschitz gradient): "
                  "B(x, z+a) + B(x, z-a) - 2B(x, z) <= ||a||^2, B(x, .) finite",
                  violation, tol, {"x": x, "z": z}, n,
                  {"a": a, "B(x,z)": B0, "B(x,z+a)": Bp, "B(x,z-a)": Bm, "second difference": second})


# ----------------------------------------------------------------------------- items 7, 8, Corollary 6
def _bregman_scale(x, z, *vals):
    return _abs(_sq(x), _sq(z), _norm(x) * _norm(z), *vals)


def check_theorem10_item7(bregman: Callable, sigma: Callable, x, z, *, rtol: float | None = None) -> float:
    r"""Theorem 10, item 7: :math:`B_\Psi(x,z)=0` iff :math:`x=\sigma(z)`, and :math:`B_\Psi>0` otherwise.

    (The global minimum of :math:`B_\Psi(\cdot,z)` is attained exactly at :math:`\sigma(z)`.)
    Checked: :math:`B(\sigma(z),z)=0` within tolerance; :math:`B(x,z)\ge 0`; and :math:`B(x,z)>`
    tolerance wherever :math:`\tfrac12\|x-\sigma(z)\|^2` exceeds twice the tolerance (Corollary 6 makes
    the gap at least that large, so strictness is distinguishable from rounding there).

    Tolerance: ``rtol * (1 + 1/2||x||^2 + 1/2||z||^2 + ||x|| ||z|| + |B|)`` (the size of the terms
    that the definition (12) cancels).
    """
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, x, z, s)
    Bs = _out(bregman(s, z))
    tol_s = rtol * (1 + _bregman_scale(_out(s), _out(z), Bs))
    worst = _judge("Theorem 10, item 7 (minimum on the graph): B(sigma(z), z) = 0",
                   np.where(np.isnan(Bs), np.inf, np.abs(Bs)), tol_s, {"z": z}, n,
                   {"sigma(z)": s, "B(sigma(z), z)": Bs})
    B = _out(bregman(x, z))
    tol = rtol * (1 + _bregman_scale(_out(x), _out(z), B))
    dist = _sq(_out(x) - _out(s))
    with np.errstate(invalid="ignore"):
        strict = np.isfinite(B) & (dist > 2 * tol)
        violation = np.where(np.isnan(B), np.inf, -B)
        short = np.where(strict, tol - B, -np.inf)
    details = {"sigma(z)": s, "B(x, z)": B, "1/2||x - sigma(z)||^2": dist, "tol": tol}
    worst = max(worst, _judge("Theorem 10, item 7 (non-negative): B(x, z) >= 0",
                              violation, tol, {"x": x, "z": z}, n, details))
    _judge("Theorem 10, item 7 (strictly positive off the graph): B(x, z) > 0 for x != sigma(z); "
           "where 1/2||x - sigma(z)||^2 > 2 tol, B must exceed tol (violation = tol - B)",
           short, 0.0, {"x": x, "z": z}, n, details)
    return worst


def check_corollary6(bregman: Callable, sigma: Callable, x, z, *, rtol: float | None = None) -> float:
    r"""Corollary 6: :math:`B_\Psi(x,z)\ge\tfrac12\|x-\sigma(z)\|^2`, with equality at :math:`x=\sigma(z)`.

    Equality holds at :math:`x=\sigma(z)` (both sides vanish), but **not only there**: the gap is
    :math:`D_\Psi^{z-\sigma(z)}(x,\sigma(z))`, which vanishes iff :math:`z-\sigma(z)\in\partial\Psi(x)`
    (e.g. :math:`\Psi=0`, or ReLU with :math:`z>0` and :math:`x\ge0`).  So the law checks the bound
    everywhere and the equality on the graph (see ``docs/errata.md`` for the "iff" claim).

    Tolerance as in :func:`check_theorem10_item7`.
    """
    x, z = _broadcast(_arr(x, "x"), _arr(z, "z"))
    n = z.shape[-1]
    s = _arr(sigma(z), "sigma(z)")
    rtol = _rtol(rtol, x, z, s)
    Bs = _out(bregman(s, z))
    worst = _judge("Corollary 6 (equality on the graph): B(sigma(z), z) = 1/2||sigma(z) - sigma(z)||^2 = 0",
                   np.where(np.isnan(Bs), np.inf, np.abs(Bs)),
                   rtol * (1 + _bregman_scale(_out(s), _out(z), Bs)), {"z": z}, n, {"sigma(z)": s, "B": Bs})
    B = _out(bregman(x, z))
    q = _sq(_out(x) - _out(s))
    with np.errstate(invalid="ignore"):
        violation = np.where(np.isnan(B), np.inf, q - B)
    return max(worst, _judge("Corollary 6 (lower bound): B(x, z) >= 1/2||x - sigma(z)||^2",
                             violation, rtol * (1 + _bregman_scale(_out(x), _out(z), B, q)), {"x": x, "z": z}, n,
                             {"sigma(z)": s, "B(x, z)": B, "1/2||x - sigma(z)||^2": q}))


def check_theorem10_item8(bregman: Callable, x1, x2, z1, z2, *, rtol: float | None = None) -> float:
    r"""Theorem 10, item 8: :math:`B_\Psi` is bi-convex, by midpoint convexity in each argument.

    .. math:: B(\tfrac{x_1+x_2}2, z_1) \le \tfrac12[B(x_1,z_1)+B(x_2,z_1)],\qquad
              B(x_1, \tfrac{z_1+z_2}2) \le \tfrac12[B(x_1,z_1)+B(x_1,z_2)].

    Midpoints are rounded to the caller's dtype.  Infinite endpoint values hold trivially; an
    infinite value at the midpoint of two finite ones is a violation (the domain must be convex).

    Tolerance: ``rtol * (1 + |B| values + 1/2||x||^2 + 1/2||z||^2 + ||x|| ||z||)`` over all points
    involved, plus, for the midpoint in x, how much :math:`B` moves when the rounded midpoint moves by
    one ulp towards either endpoint (``numpy.nextafter``).  The exact midpoint is within half an ulp of
    the rounded one; where :math:`\Psi` has an infinite slope (e.g. ISRU or tanh at the boundary of their
    domain, :math:`\Psi(x) \approx \Psi(1) - \sqrt{2(1-x)}`) one ulp of x moves :math:`B` by about
    :math:`\sqrt{\text{ulp}}`, far more than ``rtol`` (found by the ``thorough`` profile: ISRU,
    :math:`x_1 = 1 - 2^{-53}`, :math:`x_2 = 1`, :math:`z = 0`; the rounded midpoint is 1).  In z no such
    term is needed: :math:`\nabla_z B = \sigma(z) - x` is bounded.
    """
    x1, x2, z1, z2 = _broadcast(_arr(x1, "x1"), _arr(x2, "x2"), _arr(z1, "z1"), _arr(z2, "z2"))
    n = x1.shape[-1]
    rtol = _rtol(rtol, x1, x2, z1, z2)
    xm = _like(0.5 * (_out(x1) + _out(x2)), x1)
    zm = _like(0.5 * (_out(z1) + _out(z2)), z1)
    B11, B21, Bm1 = _out(bregman(x1, z1)), _out(bregman(x2, z1)), _out(bregman(xm, z1))
    B12, B1m = _out(bregman(x1, z2)), _out(bregman(x1, zm))
    with np.errstate(invalid="ignore"):                        # rounding sensitivity of B at the x-midpoint
        sens = np.zeros_like(Bm1)
        for other in (x1, x2):
            Bn = _out(bregman(np.nextafter(xm, other), z1))
            d = np.abs(Bn - Bm1)
            sens = np.maximum(sens, np.where(np.isfinite(d), d, 0.0))
    xmax = np.maximum(_norm(x1), _norm(x2))
    zmax = np.maximum(_norm(z1), _norm(z2))
    scale_x = _abs(B11, B21, Bm1, 0.5 * xmax ** 2, 0.5 * _norm(z1) ** 2, xmax * _norm(z1))
    scale_z = _abs(B11, B12, B1m, 0.5 * _norm(x1) ** 2, 0.5 * zmax ** 2, _norm(x1) * zmax)

    def viol(mid, e1, e2):
        with np.errstate(invalid="ignore"):
            ends_finite = np.isfinite(e1) & np.isfinite(e2)
            return np.where(np.isnan(mid) | np.isnan(e1) | np.isnan(e2), np.inf,
                            np.where(ends_finite, mid - 0.5 * (e1 + e2), 0.0))

    w1 = _judge("Theorem 10, item 8 (convex in x): B((x1 + x2)/2, z) <= (B(x1, z) + B(x2, z))/2",
                viol(Bm1, B11, B21), rtol * (1 + scale_x) + sens, {"x1": x1, "x2": x2, "z": z1}, n,
                {"B(x1,z)": B11, "B(x2,z)": B21, "B(mid,z)": Bm1})
    w2 = _judge("Theorem 10, item 8 (convex in z): B(x, (z1 + z2)/2) <= (B(x, z1) + B(x, z2))/2",
                viol(B1m, B11, B12), rtol * (1 + scale_z), {"x": x1, "z1": z1, "z2": z2}, n,
                {"B(x,z1)": B11, "B(x,z2)": B12, "B(x,mid)": B1m})
    return max(w1, w2)


# ----------------------------------------------------------------------------- items 9-11 (operator G_x)
def _operator_pair(grad, x, z1, z2, rtol):
    x, z1, z2 = _broadcast(_arr(x, "x"), _arr(z1, "z1"), _arr(z2, "z2"))
    G1, G2 = _arr(grad(x, z1), "grad(x, z1)"), _arr(grad(x, z2), "grad(x, z2)")
    rtol = _rtol(rtol, x, z1, z2, G1, G2)
    dG = _out(G1) - _out(G2)
    dz = _out(z1) - _out(z2)
    e = rtol * (1 + _abs(_norm(G1), _norm(G2), _norm(x), _norm(z1), _norm(z2)))
    return x, z1, z2, G1, G2, dG, dz, e, rtol


def check_theorem10_item9(grad: Callable, x, z1, z2, *, rtol: float | None = None) -> float:
    r"""Theorem 10, item 9: :math:`G_x(z)=\nabla_zB_\Psi(x,z)=\sigma(z)-x` is monotone.

    .. math:: \langle G_x(z_1)-G_x(z_2),\, z_1-z_2\rangle \ge 0.

    Tolerance: ``e * ||z1 - z2||`` with ``e = rtol * (1 + ||G1|| + ||G2|| + ||x|| + ||z1|| + ||z2||)``
    (the rounding of the two operator values).
    """
    x, z1, z2, G1, G2, dG, dz, e, rtol = _operator_pair(grad, x, z1, z2, rtol)
    inner = _dot(dG, dz)
    return _judge("Theorem 10, item 9 (monotone): <G_x(z1) - G_x(z2), z1 - z2> >= 0",
                  np.where(np.isnan(inner), np.inf, -inner), e * _norm(dz), {"x": x, "z1": z1, "z2": z2},
                  x.shape[-1], {"G_x(z1)": G1, "G_x(z2)": G2, "<dG, dz>": inner})


def check_theorem10_item10(grad: Callable, x, z1, z2, *, rtol: float | None = None) -> float:
    r"""Theorem 10, item 10: :math:`G_x` is 1-Lipschitz, :math:`\|G_x(z_1)-G_x(z_2)\|\le\|z_1-z_2\|`.

    Tolerance: ``e + rtol * ||z1 - z2||`` with ``e`` as in :func:`check_theorem10_item9`.
    """
    x, z1, z2, G1, G2, dG, dz, e, rtol = _operator_pair(grad, x, z1, z2, rtol)
    ndG, ndz = _norm(dG), _norm(dz)
    return _judge("Theorem 10, item 10 (1-Lipschitz): ||G_x(z1) - G_x(z2)|| <= ||z1 - z2||",
                  np.where(np.isnan(ndG), np.inf, ndG - ndz), e + rtol * ndz, {"x": x, "z1": z1, "z2": z2},
                  x.shape[-1], {"G_x(z1)": G1, "G_x(z2)": G2, "||dG||": ndG, "||dz||": ndz})


def check_theorem10_item11(grad: Callable, x, z1, z2, *, rtol: float | None = None) -> float:
    r"""Theorem 10, item 11, **corrected**: :math:`G_x` is firmly non-expansive,

    .. math:: \langle G_x(z_1)-G_x(z_2),\, z_1-z_2\rangle \;\ge\; \|G_x(z_1)-G_x(z_2)\|^2 .

    The paper prints :math:`\ge\|z_1-z_2\|^2` (and :math:`G_y`), which is false: for ReLU,
    :math:`z_1=-1`, :math:`z_2=-2` the left side is 0 and the right side 1 (``docs/errata.md``).
    Firm non-expansiveness implies items 9 and 10 but not conversely (a rotation by 60 degrees is
    monotone and 1-Lipschitz but not firmly non-expansive).

    Tolerance: ``e * (||z1 - z2|| + 2||dG||) + e^2`` with ``e`` as in :func:`check_theorem10_item9`.
    """
    x, z1, z2, G1, G2, dG, dz, e, rtol = _operator_pair(grad, x, z1, z2, rtol)
    inner, ndG2 = _dot(dG, dz), 2 * _sq(dG)
    return _judge("Theorem 10, item 11 (firmly non-expansive, corrected form): "
                  "<G_x(z1) - G_x(z2), z1 - z2> >= ||G_x(z1) - G_x(z2)||^2",
                  np.where(np.isnan(inner) | np.isnan(ndG2), np.inf, ndG2 - inner),
                  e * (_norm(dz) + 2 * _norm(dG)) + e * e, {"x": x, "z1": z1, "z2": z2}, x.shape[-1],
                  {"G_x(z1)": G1, "G_x(z2)": G2, "<dG, dz>": inner, "||dG||^2": ndG2})


# ----------------------------------------------------------------------------- Example 2
def check_example2_closed_form(closed_form: Callable, psi: Callable, phi_star: Callable, x, z, *,
                               rtol: float | None = None, check_domain: bool = True) -> float:
    r"""Example 2: a closed-form Bregman loss (ReLU, soft-thresholding, tanh, softmax) equals the definition (12).

    ``closed_form(x, z)`` is compared with :math:`\tfrac12\|x\|^2+\Psi(x)+\Phi^*(z)-\langle x,z\rangle`
    computed from ``psi`` and ``phi_star``, including ``+inf`` exactly outside
    :math:`\operatorname{dom}\Psi`.  (The printed soft-thresholding form fails this law; see
    ``docs/errata.md``.)  Tolerance and ``check_domain`` as in :func:`check_bregman_definition`.
    """
    return check_bregman_definition(closed_form, psi, phi_star, x, z, rtol=rtol, check_domain=check_domain,
                                    law="Example 2 (closed-form Bregman loss) vs eq. (12)")
