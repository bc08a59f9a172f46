r"""The Bregman loss :math:`B_\Psi` and its gradient (Section 3.1: eq. (12), (14), Corollary 6, Lemma 8, Theorem 10, Example 2).

.. math::  B_\Psi(x, z) = \tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle, \qquad
           \Phi = \tfrac12\|\cdot\|^2 + \Psi \qquad (12)

with :math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8).  The equivalent forms of Theorem 10
(items 1-4), eq. (14) and the closed forms of Example 2 are separate functions below so that they
can be read and compared; :func:`bregman_loss` evaluates the form that is most accurate in floating
point (Theorem 10, item 4), which never subtracts two quantities of size :math:`\|z\|^2`.

All functions take arrays of shape ``(..., n)`` and return shape ``(...)``; ``x`` outside
:math:`\operatorname{dom}\Psi` gives ``+inf``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, xlogy

from .activations.base import Activation, _two_prod, as_float_array

__all__ = [
    "bregman_loss",
    "bregman_grad",
    "bregman_loss_definition",
    "bregman_loss_envelope_form",
    "bregman_loss_bregman_distance_form",
    "bregman_loss_split_form",
    "bregman_loss_expanded_form",
    "bregman_loss_conjugate_form",
    "generalised_bregman_distance",
    "piecewise_linear_knots",
    "piecewise_linear_bregman",
    "relu_bregman_loss",
    "soft_threshold_bregman_loss",
    "tanh_bregman_loss",
    "softmax_bregman_loss",
]


def _pair(activation, x, z):
    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be a bregnet Activation (see bregnet.activations.get); got {type(activation).__name__}")
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    if x.ndim == 0 or z.ndim == 0:
        raise ValueError("x and z must have at least one axis (the feature axis, last)")
    try:
        shape = np.broadcast_shapes(x.shape, z.shape)
    except ValueError:
        raise ValueError(f"x and z must have broadcastable shapes (..., n); got x {x.shape} and z {z.shape}") from None
    if x.shape[-1] != z.shape[-1]:
        raise ValueError(f"x and z must have the same last (feature) dimension; got {x.shape[-1]} and {z.shape[-1]}")
    if not np.all(np.isfinite(z)):
        raise ValueError("z contains NaN or Inf; B_Psi(x, z) needs a finite second argument")
    if np.any(np.isnan(x)):
        raise ValueError("x contains NaN")
    dtype = np.result_type(x.dtype, z.dtype)
    return np.broadcast_to(x, shape).astype(dtype, copy=False), np.broadcast_to(z, shape).astype(dtype, copy=False)


def _dot(a, b):
    return np.sum(a * b, axis=-1)


def _sq(a):
    return 0.5 * np.sum(a * a, axis=-1)


def _mask_domain(activation, x, value):
    """+inf where x is outside dom Psi (and no NaN from inf - inf there)."""
    inside = activation.in_domain(x)
    return np.where(inside, value, np.inf).astype(value.dtype if hasattr(value, "dtype") else x.dtype)


def generalised_bregman_distance(psi, x, v, q):
    r"""Definition 5: :math:`D_\Psi^{q}(x, v) = \Psi(x) - \Psi(v) - \langle q, x - v\rangle`, :math:`q\in\partial\Psi(v)`.

    ``psi`` is any callable reducing over the last axis.
    """
    x = as_float_array(x, "x")
    v = as_float_array(v, "v")
    q = as_float_array(q, "q")
    with np.errstate(invalid="ignore"):
        return psi(x) - psi(v) - _dot(q, x - v)


def bregman_loss(activation: Activation, x, z) -> np.ndarray:
    r"""The Bregman loss :math:`B_\Psi(x, z)` of eq. (12), evaluated without cancellation.

    Eq. (12) and the forms of Theorem 10 add terms of size :math:`|\Psi(x)|`, :math:`|\Phi^*(z)|`,
    :math:`|\langle x, z\rangle|` that cancel near the graph, :math:`x \approx \sigma(z)`, at large
    :math:`|z|` (e.g. leaky ReLU, :math:`a = 0.3`, :math:`x = -49491.796858723814`,
    :math:`z = -164972.656197967`: the expanded form of item 4 gives :math:`1.8\cdot10^{-7}`,
    :math:`B = 7.4\cdot10^{-13}`).  With :math:`s = \sigma(z)` and :math:`u \in \sigma^{-1}(x)`,
    :math:`\partial_x B = \sigma^{-1}(x) - z` and :math:`B(s, z) = 0` give, per entry of a separable
    activation (Theorem 10, items 3, 6; substitute :math:`\tau = \sigma(v)`),

    .. math:: b(x, z) = \int_{s}^{x} (\sigma^{-1}(\tau) - z)\,d\tau = \int_z^{u} (v - z)\,\sigma'(v)\,dv,

    an integral of a function of one sign with no large terms.  It is evaluated

    * in closed form for the piecewise-linear :math:`\sigma` (identity, relu, leaky_relu,
      soft_threshold, nonneg_soft_threshold, hard_tanh, hard_sigmoid; :func:`piecewise_linear_bregman`),
      or by the activation's own ``_bregman`` where its class defines one;
    * for the other separable activations with a cancellation-free :math:`\psi'` (``_psi_prime``),
      by Gauss-Legendre quadrature in :math:`v` (:func:`_quadrature_form`) where the expanded form
      of Theorem 10, item 4, :math:`\tfrac12\|x-s\|^2 + \Psi(x) - \Psi(s) - \langle z-s, x-s\rangle`,
      may have lost more digits than the data allow, and where the quadrature's own error estimate
      is the smaller of the two; by that expanded form everywhere else (and for vector activations).

    The result is accurate to the rounding of the inputs, :math:`\varepsilon(|x - s|\,|z| + |u - z|\,|x|)`
    per entry, plus a few ulps of :math:`B` (see :func:`bregnet.testing.compare_to_reference`).
    Returns ``+inf`` where :math:`x\notin\operatorname{dom}\Psi`; the result is clipped at 0 from
    below (it is a Bregman distance, Corollary 6).

    Parameters
    ----------
    activation : Activation
        The activation (see :func:`bregnet.activations.get`).
    x : array_like, shape (..., n)
        First argument (a point of :math:`\operatorname{dom}\Psi`, e.g. an auxiliary variable).
    z : array_like, shape (..., n)
        Second argument (a pre-activation); must be finite.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import bregnet
    >>> relu = bregnet.activations.get("relu")
    >>> float(bregnet.bregman_loss(relu, [[0.5]], [[-1.0]])[0])   # 1/2 (0.5)^2 + 0.5 * 1
    0.625
    >>> float(bregnet.bregman_loss(relu, [[-0.5]], [[1.0]])[0])
    inf
    >>> leaky = bregnet.activations.get("leaky_relu", slope=0.3)
    >>> b = float(bregnet.bregman_loss(leaky, [[-49491.796858723814]], [[-164972.656197967]])[0])
    >>> f"{b:.3g}"                         # (x - a z)^2 / (2a); the expanded form gives 1.76e-07
    '7.4e-13'
    """
    x, z = _pair(activation, x, z)
    own = type(activation).__dict__.get("_bregman")
    knots = piecewise_linear_knots(activation)
    with np.errstate(invalid="ignore", over="ignore"):
        if own is not None:
            val = np.asarray(own(activation, x, z), dtype=x.dtype)
        elif knots is not None:
            s = activation.prox(z)
            val = np.sum(piecewise_linear_bregman(x, z, *knots, s=s), axis=-1).astype(x.dtype, copy=False)
        elif activation.separable and (getattr(activation, "_psi_prime", None) is not None
                                       or getattr(activation, "_bregman_inverse", None) is not None):
            val = np.sum(_separable_bregman(activation, x, z), axis=-1).astype(x.dtype, copy=False)
        else:
            s = activation.prox(z)
            val = _sq(x - s) + activation.psi(x) - activation.psi(s) - _dot(z - s, x - s)
    val = np.maximum(val, 0)
    return _mask_domain(activation, x, val)


def bregman_grad(activation: Activation, x, z, *, check_domain: bool = True) -> np.ndarray:
    r""":math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8; Theorem 10, item 6).

    No derivative of the activation is needed.  Lemma 8 holds for :math:`x\in\operatorname{dom}\Psi`;
    with ``check_domain=True`` (default) an ``x`` outside the domain raises ``ValueError``.

    Examples
    --------
    >>> import bregnet
    >>> tanh = bregnet.activations.get("tanh")
    >>> g = bregnet.bregman_grad(tanh, [[0.0]], [[0.0]])
    >>> g.tolist()
    [[0.0]]
    """
    x, z = _pair(activation, x, z)
    if check_domain:
        inside = activation.in_domain(x)
        if not np.all(inside):
            raise ValueError(f"x has {int(np.size(inside) - np.count_nonzero(inside))} row(s) outside dom Psi of "
                             f"{activation!r}; Lemma 8 needs x in dom Psi")
    return activation.prox(z) - x


def bregman_loss_definition(activation: Activation, x, z) -> np.ndarray:
    r"""Eq. (12) literally: :math:`\tfrac12\|x\|^2 + \Psi(x) + \Phi^*(z) - \langle x, z\rangle`.

    Loses accuracy when :math:`\|z\|` is large (two terms of size :math:`\tfrac12\|z\|^2` cancel).
    """
    x, z = _pair(activation, x, z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = activation.phi(x) + activation.conjugate(z) - _dot(x, z)
    return _mask_domain(activation, x, val)


def bregman_loss_envelope_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 1: :math:`E_z(x) - E_z(\sigma(z))`, :math:`E_z(u) = \tfrac12\|u - z\|^2 + \Psi(u)`."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = (_sq(x - z) + activation.psi(x)) - (_sq(s - z) + activation.psi(s))
    return _mask_domain(activation, x, val)


def bregman_loss_bregman_distance_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 2: :math:`D^{z}_{\Phi}(x, \sigma(z)) = \Phi(x) - \Phi(\sigma(z)) - \langle z, x - \sigma(z)\rangle`."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = generalised_bregman_distance(activation.phi, x, s, z)
    return _mask_domain(activation, x, val)


def bregman_loss_split_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 3: :math:`\tfrac12\|x-\sigma(z)\|^2 + D_\Psi^{z-\sigma(z)}(x, \sigma(z))` (Corollary 6)."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + generalised_bregman_distance(activation.psi, x, s, z - s)
    return _mask_domain(activation, x, val)


def bregman_loss_expanded_form(activation: Activation, x, z) -> np.ndarray:
    r"""Theorem 10, item 4: :math:`\tfrac12\|x-\sigma(z)\|^2 + \Psi(x) - \Psi(\sigma(z)) - \langle z-\sigma(z), x-\sigma(z)\rangle` (unclipped)."""
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + activation.psi(x) - activation.psi(s) - _dot(z - s, x - s)
    return _mask_domain(activation, x, val)


def bregman_loss_conjugate_form(activation: Activation, x, z) -> np.ndarray:
    r"""Eq. (14) with Theorem 7: :math:`\tfrac12\|x-\sigma(z)\|^2 + \Psi(x) + \Psi^*(\sigma^*(z)) - \langle x, \sigma^*(z)\rangle`.

    :math:`\sigma^*(z) = z - \sigma(z) = \operatorname{prox}_{\Psi^*}(z)`.  Needs a closed-form
    :math:`\Psi^*` (``activation.has_psi_conjugate``).
    """
    x, z = _pair(activation, x, z)
    s = activation.prox(z)
    s_dual = activation.prox_conjugate(z)
    with np.errstate(invalid="ignore", over="ignore"):
        val = _sq(x - s) + activation.psi(x) + activation.psi_conjugate(s_dual) - _dot(x, s_dual)
    return _mask_domain(activation, x, val)


# ---------------------------------------------------------------- cancellation-free evaluation
_EPS64 = float(np.finfo(np.float64).eps)
_GAUSS_LO = np.polynomial.legendre.leggauss(8)
_GAUSS_HI = np.polynomial.legendre.leggauss(16)


def piecewise_linear_knots(activation: Activation):
    r"""``(knots, values, slopes)`` of a piecewise-linear :math:`\sigma`, for the exact classes that have one, else ``None``.

    ``knots`` :math:`u_1 < \dots < u_K` (finite), ``values`` :math:`\sigma(u_k)`, ``slopes``
    :math:`m_0, \dots, m_K \in [0, 1]` on :math:`(-\infty, u_1), \dots, (u_K, \infty)`.  Asked of the
    exact class (a subclass may change :math:`\Psi`).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> piecewise_linear_knots(get("soft_threshold", alpha=0.5))
    ((-0.5, 0.5), (0.0, 0.0), (1.0, 0.0, 1.0))
    >>> piecewise_linear_knots(get("tanh")) is None
    True
    """
    from .activations import clipping, identity, rectifiers, thresholding

    cls, a = type(activation), activation
    if cls is identity.Identity:
        return (), (), (1.0,)
    if cls is rectifiers.ReLU:
        return (0.0,), (0.0,), (0.0, 1.0)
    if cls is rectifiers.LeakyReLU:
        return (0.0,), (0.0,), (float(a.slope), 1.0)
    if cls is thresholding.SoftThreshold:
        return (-float(a.alpha), float(a.alpha)), (0.0, 0.0), (1.0, 0.0, 1.0)
    if cls is thresholding.NonnegSoftThreshold:
        return (float(a.alpha),), (0.0,), (0.0, 1.0)
    if cls is clipping.HardSigmoid:
        h = 0.5 / float(a.slope)
        return (-h, h), (0.0, 1.0), (0.0, float(a.slope), 0.0)
    if cls is clipping.HardTanh:
        lo, hi = float(a.lo), float(a.hi)
        if lo == hi:
            return (lo,), (lo,), (0.0, 0.0)
        knots = tuple(v for v in (lo, hi) if np.isfinite(v))
        slopes = ((0.0,) if np.isfinite(lo) else ()) + (1.0,) + ((0.0,) if np.isfinite(hi) else ())
        return knots, knots, slopes
    return None


def _piece_sigma(z, knots, values, slopes):
    r""":math:`\sigma(z)` of a piecewise-linear :math:`\sigma` from its table (used where the caller gives no ``s``)."""
    if not knots:
        return slopes[0] * z
    s = np.where(z < knots[0], values[0] - slopes[0] * (knots[0] - z), values[-1] + slopes[-1] * (z - knots[-1]))
    for k in range(1, len(knots)):
        inside = (z >= knots[k - 1]) & (z < knots[k])
        s = np.where(inside, values[k - 1] + slopes[k] * (z - knots[k - 1]), s)
    return s


def _piece_term(up, x, z, d, m, e_lo, e_hi, v_lo, v_hi):
    r"""One piece's :math:`m\,w\,(D_p + w/2)` of :func:`piecewise_linear_bregman`, for :math:`x > s` (``up``) or :math:`x < s`.

    The piece is :math:`[e_{lo}, e_{hi}]` in :math:`v` with values :math:`[v_{lo}, v_{hi}]`, slope
    :math:`m > 0`.  Going from :math:`z` towards :math:`u = \sigma^{-1}(x)`, :math:`p` is where the
    path enters the piece (:math:`z` itself, or the knot on :math:`z`'s side) and :math:`q` where it
    leaves (:math:`u`, or the far knot); :math:`D_p = |p - z|` and the width :math:`w = |q - p|` are
    each formed by one subtraction of given numbers: :math:`|d|/m` (:math:`d = x - \sigma(z)`),
    :math:`|x - v|/m` for a knot value :math:`v`, or a difference of knots and :math:`z`.
    """
    if up:
        active = (z < e_hi) & (x > v_lo)
        p_is_z, q_is_u = z >= e_lo, x < v_hi
        w = np.where(p_is_z, np.where(q_is_u, d / m, e_hi - z),
                     np.where(q_is_u, (x - v_lo) / m, e_hi - e_lo))
        dp = np.where(p_is_z, 0.0, e_lo - z)
    else:
        active = (z > e_lo) & (x < v_hi)
        p_is_z, q_is_u = z <= e_hi, x > v_lo
        w = np.where(p_is_z, np.where(q_is_u, -d / m, z - e_lo),
                     np.where(q_is_u, (v_hi - x) / m, e_hi - e_lo))
        dp = np.where(p_is_z, 0.0, z - e_hi)
    return np.where(active, m * w * (dp + 0.5 * w), 0.0)


def _sigma_residual(z, s, knots, values, slopes):
    r""":math:`\sigma(z) - s` exactly where ``s`` is the rounded value of a slope-1 piece (:math:`z + (v_k - u_k)`, a two-sum) or of :math:`m z` (a piece through the origin, a two-product); 0 elsewhere."""
    edges = (-np.inf,) + tuple(knots) + (np.inf,)
    refs = [((knots[0], values[0]) if k == 0 else (knots[k - 1], values[k - 1])) if knots else (0.0, 0.0)
            for k in range(len(slopes))]
    err = np.zeros(z.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        for k, m in enumerate(slopes):
            e, v = refs[k]
            inside = (z > edges[k]) & (z < edges[k + 1])
            if m == 1.0 and np.isfinite(v - e):
                c = v - e
                back = s - z
                r = (z - (s - back)) + (c - back)
                err = np.where(inside & (s == z + c), r, err)
            elif m != 0 and e == 0.0 and v == 0.0:
                err = np.where(inside & (s == m * z), _two_prod(m, z)[1], err)
    return np.where(np.isfinite(err), err, 0.0)


def piecewise_linear_bregman(x, z, knots, values, slopes, s=None, s_err=None) -> np.ndarray:
    r"""Elementwise :math:`b(x, z) = \int_z^{u}(v - z)\,\sigma'(v)\,dv` for a piecewise-linear :math:`\sigma`, without cancellation.

    :math:`u` is the point of :math:`\sigma^{-1}(x)` nearest to :math:`z` (any point gives the same
    :math:`b`: :math:`\sigma' = 0` between them).  On each piece of slope :math:`m > 0` that the path
    from :math:`z` to :math:`u` crosses, entering at :math:`p` and leaving at :math:`q`,
    :math:`|v - z|` is linear, so the piece adds

    .. math:: m\int_p^q |v - z|\,dv = m\,w\,(D_p + \tfrac12 w), \qquad w = |q - p|,\ D_p = |p - z|,

    a sum of non-negative terms.  :math:`u` is never formed: :math:`w` is :math:`|x - s|/m` where
    :math:`z` and :math:`u` share the piece (:math:`s = \sigma(z)`), :math:`|x - v_k|/m` from a knot
    value :math:`v_k` to :math:`u`, else a difference of knots and :math:`z`, so every term is exact
    to the rounding of its inputs (e.g. leaky ReLU on :math:`x, z < 0`:
    :math:`(x - a z)^2/(2a)`; soft-thresholding at :math:`x = 8\cdot10^{-9}`, :math:`z = 10^{-8}`:
    :math:`x(\alpha - z) + x^2/2`, where :math:`u = \alpha + x` would round :math:`x` away; Example 2
    for ReLU and the corrected soft-thresholding form of ``docs/errata.md`` (b)).  :math:`b = 0`
    exactly where :math:`x = \sigma(z)`.  ``s`` (optional) is :math:`\sigma(z)` as the activation
    computes it (default: from the table), ``s_err`` :math:`\sigma(z) - s` (default: exact where
    ``s`` is the rounded :math:`z + c` or :math:`m z` of a piece, else 0), so that
    :math:`d = (x - s) - s_{err}` keeps the digits of :math:`x - \sigma(z)` (leaky ReLU at
    :math:`x = \operatorname{fl}(a z)`, :math:`z = -10^{300}`: :math:`B = d^2/(2a) = \infty`, not 0).
    Entries outside the range of :math:`\sigma` give a meaningless finite value (the caller masks them).

    Examples
    --------
    >>> import numpy as np
    >>> knots = piecewise_linear_knots(__import__("bregnet").activations.get("relu"))
    >>> piecewise_linear_bregman(np.array([0.5, 0.0]), np.array([-1.0, 2.0]), *knots).tolist()   # 0.625 = 1/8 + 1/2
    [0.625, 2.0]
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    x, z = np.broadcast_arrays(x, z)
    s = _piece_sigma(z, knots, values, slopes) if s is None else np.broadcast_to(np.asarray(s, dtype=np.float64), z.shape)
    if s_err is None:
        s_err = _sigma_residual(z, s, knots, values, slopes)
    edges = (-np.inf,) + tuple(knots) + (np.inf,)
    vals = (-np.inf,) + tuple(values) + (np.inf,)
    up, down = np.zeros(z.shape), np.zeros(z.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        d = (x - s) - s_err
        for k, m in enumerate(slopes):
            if m == 0:
                continue
            piece = (m, edges[k], edges[k + 1], vals[k], vals[k + 1])
            up = up + _piece_term(True, x, z, d, *piece)
            down = down + _piece_term(False, x, z, d, *piece)
    return np.where(d > 0, up, np.where(d < 0, down, 0.0))


def _gauss(act, z, p, q, rule):
    r"""``(int_p^q (v - z) sigma'(v) dv, int_p^q sigma'(v) dv)`` by a Gauss-Legendre ``rule``, with :math:`v - z` formed without rounding :math:`v` first."""
    t, w = rule
    half = 0.5 * (q - p)
    d = (p - z)[:, None] + half[:, None] * (t + 1.0)
    sp = np.asarray(act._sigma_prime(z[:, None] + d), dtype=np.float64)
    return half * np.sum(w * d * sp, axis=-1), half * np.sum(w * sp, axis=-1)


def _quadrature_form(act, x, z, s, u):
    r""":math:`b = \int_z^{u}(v - z)\sigma'(v)\,dv`, :math:`u = x + \psi'(x)`, and an error estimate (1-D inputs).

    16-point Gauss-Legendre on each side of 0 (where several activations have a kink of
    :math:`\sigma'`).  The estimate adds (i) the difference to the 8-point rule, (ii) how far the
    same rule misses :math:`\int_z^u\sigma' = x - s`, times :math:`|u - z|` (this catches a
    :math:`\sigma'` whose mass the nodes do not see, e.g. ELU at :math:`z = -10^6`,
    :math:`x = -1 + 10^{-12}`), and (iii) the rounding of :math:`u - z`
    (:math:`\varepsilon(|u|+|z|)`, which moves :math:`b` by :math:`|u - z|\sigma'(u)` times it).
    """
    ok = np.isfinite(u)
    u = np.where(ok, u, z)
    mid = np.clip(0.0, np.minimum(z, u), np.maximum(z, u))
    val = np.zeros(x.shape)
    mass = np.zeros(x.shape)
    est = np.zeros(x.shape)
    for p, q in ((z, mid), (mid, u)):           # oriented: int_z^mid + int_mid^u
        fine, fine_mass = _gauss(act, z, p, q, _GAUSS_HI)
        val += fine
        mass += fine_mass
        est += np.abs(fine - _gauss(act, z, p, q, _GAUSS_LO)[0])
    spu = np.asarray(act._sigma_prime(u), dtype=np.float64)
    est += np.abs(mass - (x - s)) * np.abs(u - z)
    est += 2 * _EPS64 * (np.abs(val) + np.abs(u - z) * spu * (np.abs(u) + np.abs(z)))
    return val, np.where(ok, est, np.inf)


#: relative accuracy below which the expanded form is always kept (2^-50: it is then right to a few ulps of b)
_KEEP_RELATIVE = 2.0 ** -50
#: entries per block of the quadrature (bounds the (block, 16) temporaries)
_BLOCK = 1 << 15


def _preimage(act, x):
    r""":math:`u = \sigma^{-1}(x) = x + \psi'(x)` from ``_psi_prime``, or from the B-only hook ``_bregman_inverse``."""
    inv = getattr(act, "_bregman_inverse", None)
    if inv is not None:
        return np.asarray(inv(x), dtype=np.float64)
    return x + np.asarray(act._psi_prime(x), dtype=np.float64)


# ---------------------------------------------------------------- double-double residuals near the graph
# Error-free transformations (Knuth's two-sum, Dekker's FMA-free two-product by splitting) and a
# double-double exp, accurate to about 2^-95 relative; used only where x is within a few ulps of
# sigma(z), where the rounding of sigma(z) itself decides B (see _near_graph_residual).
_LN2_HI, _LN2_LO = 0.6931471805599453, 2.3190468138462996e-17


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _dd_add(a, b):
    s, e = _two_sum(a[0], b[0])
    return _two_sum(s, e + a[1] + b[1])


def _dd_mul(a, b):
    p, e = _two_prod(a[0], b[0])
    return _two_sum(p, e + a[0] * b[1] + a[1] * b[0])


def _dd_div(a, b):
    q1 = a[0] / b[0]
    r = _dd_add(a, _dd_mul((-q1, np.zeros_like(q1)), b))
    return _two_sum(q1, (r[0] + r[1]) / b[0])


def _inv_factorials(n):
    from fractions import Fraction
    out, f = [], Fraction(1)
    for k in range(n + 1):
        f = Fraction(1) if k == 0 else f / k
        hi = float(f)
        out.append((hi, float(f - Fraction(hi))))
    return out


_INV_FACT = _inv_factorials(24)


def _dd_exp(y_hi, y_lo=None):
    r""":math:`e^{y}` as a double-double for :math:`|y| \le 650` (:math:`y = k\log2 + r`, :math:`|r| \le 0.35`, Taylor to degree 24)."""
    y_hi = np.asarray(y_hi, dtype=np.float64)
    y_lo = np.zeros_like(y_hi) if y_lo is None else np.asarray(y_lo, dtype=np.float64)
    k = np.rint(y_hi / _LN2_HI)
    p, e = _two_prod(k, np.full_like(k, _LN2_HI))
    r = _dd_add(_two_sum(y_hi, -p), (-(e + k * _LN2_LO) + y_lo, np.zeros_like(k)))
    acc = (np.full_like(k, _INV_FACT[-1][0]), np.full_like(k, _INV_FACT[-1][1]))
    for hi, lo in reversed(_INV_FACT[:-1]):
        acc = _dd_add(_dd_mul(acc, r), (np.full_like(k, hi), np.full_like(k, lo)))
    return np.ldexp(acc[0], k.astype(np.int64)), np.ldexp(acc[1], k.astype(np.int64))


def _near_graph_residual(act, x, z):
    r"""``(d, ok)``: :math:`d = x - \sigma(z)` to about :math:`2^{-95}(|\sigma(z)| + |z|)` (double-double), for sigmoid, softplus, tanhshrink.

    * sigmoid: :math:`d = (x - 1 + xE)/(1 + E)`, :math:`E = e^{-z}`;
    * softplus (:math:`\beta`): :math:`\sigma^{-1}(x) - z = \delta = \beta^{-1}\log\bigl(1 + (P - Q)/Q\bigr)`,
      :math:`P = e^{\beta x} - 1`, :math:`Q = e^{\beta z}` (:math:`\beta x`, :math:`\beta z` exact
      by two-products), returned as :math:`d = \sigma'(z)\delta`;
    * tanhshrink: :math:`d = (x - z) + \tanh z`, :math:`\tanh z = (E - 1)/(E + 1)`, :math:`E = e^{2z}`,
      for :math:`10^{-3} \le |z|` (below, :math:`\sigma(z) \approx z^3/3` needs more than double-double).

    ``ok`` is False where the class or the range is not covered (those entries keep their value).
    """
    name = getattr(act, "name", "")
    zero = np.zeros_like(z)
    if name == "sigmoid" and type(act).__name__ == "Sigmoid":
        ok = np.abs(z) <= 650.0             # Dekker splitting of e^{-z} overflows beyond ~ e^690
        E = _dd_exp(np.where(ok, -z, 0.0))
        num = _dd_add(_dd_add(_two_prod(x, E[0]), (x * E[1], zero)), _two_sum(x, -np.ones_like(x)))
        den = _dd_add(E, (np.ones_like(x), zero))
        return num[0] / den[0], ok
    if name == "softplus" and type(act).__name__ == "Softplus":
        b = float(act.beta)
        bx, bz = _two_prod(np.full_like(x, b), x), _two_prod(np.full_like(z, b), z)
        ok = (np.abs(bx[0]) <= 650.0) & (np.abs(bz[0]) <= 650.0) & (x > 0)
        P = _dd_add(_dd_exp(np.where(ok, bx[0], 0.0), np.where(ok, bx[1], 0.0)), (-np.ones_like(x), zero))
        Q = _dd_exp(np.where(ok, bz[0], 0.0), np.where(ok, bz[1], 0.0))
        diff = _dd_add(P, (-Q[0], -Q[1]))
        delta = np.log1p(np.where(ok, diff[0] / Q[0], 0.0)) / b
        spz = 1.0 / (1.0 + np.exp(-b * np.where(ok, z, 0.0)))
        return spz * delta, ok
    if name == "tanhshrink" and type(act).__name__ == "TanhShrink":
        ok = (np.abs(z) >= 1e-3) & (np.abs(z) <= 325.0)
        E = _dd_exp(np.where(ok, 2.0 * z, 0.0))
        th = _dd_div(_dd_add(E, (-np.ones_like(z), zero)), _dd_add(E, (np.ones_like(z), zero)))
        d = _dd_add(_two_sum(x, -z), th)
        return d[0], ok
    return None, None


def _separable_bregman(act, x, z) -> np.ndarray:
    r"""Elementwise :math:`b(x, z)` for a separable activation with ``_psi_prime`` (or ``_bregman_inverse``): expanded form or quadrature.

    The expanded form's rounding is bounded by

    .. math:: E = 4\varepsilon\bigl(|\psi(x)| + |x\psi'(x)| + |\psi(s)| + |s\psi'(s)| + |(z - s)(x - s)|
              + (x - s)^2 + |b|\bigr) + (4\varepsilon s)^2/\sigma'(z)

    (:math:`\psi` is accurate to its condition :math:`|\psi| + |x\psi'|`, not to :math:`|\psi|`; the
    last term, taken where :math:`|x - s| \le 8\varepsilon|s|`, is what the rounding :math:`\delta` of
    :math:`s = \sigma(z)` costs, :math:`\delta^2/(2\sigma')`, which decides :math:`b` where :math:`x` is
    :math:`\sigma(z)` rounded; further from the graph it is below :math:`C`).  Where :math:`E` exceeds
    both :math:`4C`, :math:`C = \varepsilon(|x - s|\,|z| + |u - z|\,|x| + |b|)` the error that
    rounding the inputs causes (:math:`u = \sigma^{-1}(x)`, :func:`_preimage`), and
    :math:`2^{-50}|b|`, the quadrature of :func:`_quadrature_form` (which needs :math:`u` and
    :math:`z`, not :math:`s`) is computed and taken if its own estimate is smaller than :math:`E`.
    (The relative floor keeps the quadrature off entries where the expanded form is already right
    to a few ulps of :math:`b`; the old floor :math:`2^{-33}` kept a relative error of
    :math:`4.7\cdot10^{-12}` at softplus :math:`x = 0.7`, :math:`z = 5\cdot10^{-10}`, 106 times the condition.)
    """
    xd = np.asarray(x, dtype=np.float64)
    zd = np.asarray(z, dtype=np.float64)
    s = np.asarray(act.prox(zd), dtype=np.float64)
    px = np.asarray(act.psi_elementwise(xd), dtype=np.float64)
    ps = np.asarray(act.psi_elementwise(s), dtype=np.float64)
    d = xd - s
    val = 0.5 * d * d + px - ps - (zd - s) * d
    inside = np.isfinite(px)
    val = np.where(inside & (d == 0), 0.0, val)
    u = np.where(inside, _preimage(act, np.where(inside, xd, 0.0)), np.nan)
    spz = np.asarray(act._sigma_prime(zd), dtype=np.float64)
    with np.errstate(divide="ignore"):
        near = np.abs(d) <= 8 * _EPS64 * np.abs(s)
        round_s = np.where(near & (s != 0), (4 * _EPS64 * s) ** 2 / spz, 0.0)
    bound = 4 * _EPS64 * (np.abs(px) + np.abs(xd * (u - xd)) + np.abs(ps) + np.abs(s * (zd - s))
                          + np.abs((zd - s) * d) + d * d + np.abs(val)) + round_s
    cond = _EPS64 * (np.abs(d * zd) + np.abs((u - zd) * xd) + np.abs(val))
    look = inside & (bound > 4 * cond) & (bound > _KEEP_RELATIVE * np.abs(val))
    if np.any(near & inside & (spz > 0)):
        # x within 8 ulps of sigma(z): b = r^2/(2 sigma'(z)) (1 + O(r sigma''/sigma'^2)) with the residual
        # r = x - sigma(z) in double-double (the rounding of s would decide b here); b <= 4 eps times its
        # condition there (b ~ r (u - z)/2, C >= |u - z| |x|), so the relative O(...) term is far inside it
        sel = np.nonzero(near & inside & (spz > 0))
        r, ok = _near_graph_residual(act, xd[sel], zd[sel])
        if r is not None:
            v = val[sel]
            v = np.where(ok, 0.5 * r * r / spz[sel], v)
            val[sel] = v
            lk = look[sel]
            look[sel] = lk & ~ok
    if not np.any(look):
        return val
    idx = np.nonzero(look)
    xi, zi, ui, bi = xd[idx], zd[idx], u[idx], bound[idx]
    out = val[idx]
    for k in range(0, xi.size, _BLOCK):
        j = slice(k, k + _BLOCK)
        q, est = _quadrature_form(act, xi[j], zi[j], s[idx][j], ui[j])
        out[j] = np.where(est < bi[j], q, out[j])
    val[idx] = out
    return val


# ---------------------------------------------------------------- Example 2 closed forms
def relu_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, ReLU: :math:`\tfrac12\|x-\max(z,0)\|^2 + \langle x, \max(-z, 0)\rangle` on :math:`x \ge 0`, else :math:`\infty`.

    Examples
    --------
    >>> float(relu_bregman_loss([[0.5]], [[-1.0]])[0])
    0.625
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    val = _sq(x - np.maximum(z, 0)) + _dot(x, np.maximum(-z, 0))
    return np.where(np.all(x >= 0, axis=-1), val, np.inf)


def soft_threshold_bregman_loss(x, z, alpha: float = 1.0) -> np.ndarray:
    r"""Example 2, soft-thresholding, **corrected** (see ``docs/errata.md``), summed over entries.

    .. math::
       B(x, z) = \tfrac12 x^2 + \alpha|x| + \begin{cases}
          \tfrac12 z^2 - z(\alpha + x) + \tfrac12\alpha^2 & z > \alpha\\
          -xz & |z|\le\alpha\\
          \tfrac12 z^2 + z(\alpha - x) + \tfrac12\alpha^2 & z < -\alpha\end{cases}

    The paper prints only the :math:`z`-dependent part; the terms
    :math:`\tfrac12x^2 + \alpha|x|` (and :math:`\tfrac12\alpha^2` outside :math:`[-\alpha,\alpha]`)
    are missing, so the printed expression can be negative.

    Examples
    --------
    >>> float(soft_threshold_bregman_loss([[1.0]], [[0.5]], alpha=1.0)[0])   # printed form gives -0.5
    1.0
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    a = alpha
    body = np.where(z > a, 0.5 * z * z - z * (a + x) + 0.5 * a * a,
                    np.where(z < -a, 0.5 * z * z + z * (a - x) + 0.5 * a * a, -x * z))
    return np.sum(0.5 * x * x + a * np.abs(x) + body, axis=-1)


def tanh_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, tanh: :math:`\sum_j \tfrac12\log\frac{1-x_j^2}{1-\tanh^2 z_j} + x_j(\tanh^{-1}x_j - z_j)`.

    Evaluated as :math:`\tfrac12[(1+x)\log(1+x) + (1-x)\log(1-x)] + \log\cosh z - xz` (the same
    expression on :math:`|x|<1`, since :math:`x\tanh^{-1}x + \tfrac12\log(1-x^2)` equals the first
    bracket and :math:`-\tfrac12\log(1-\tanh^2 z) = \log\cosh z`), which is accurate near
    :math:`|x| = 1`.  The paper prints :math:`\infty` for :math:`|x| \ge 1`; with the lower
    semi-continuous :math:`\Psi` that Definition 1 requires, :math:`B` is finite at :math:`|x| = 1`,
    :math:`B(\pm1, z) = \log(1 + e^{\mp 2z})`, and that is what is returned there (``docs/errata.md``).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(tanh_bregman_loss([[1.0]], [[0.5]])[0], np.log1p(np.exp(-1.0))))
    True
    """
    from scipy.special import xlog1py

    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    inside = np.all(np.abs(x) <= 1, axis=-1)
    xc = np.clip(x, -1, 1)
    a = np.abs(z)
    logcosh = a + np.log1p(np.exp(-2 * a)) - np.log(2.0)
    phi = 0.5 * (xlog1py(1 + xc, xc) + xlog1py(1 - xc, -xc))
    val = np.sum(phi + logcosh - xc * z, axis=-1)
    return np.where(inside, val, np.inf)


def softmax_bregman_loss(x, z) -> np.ndarray:
    r"""Example 2, softmax: :math:`\sum_j x_j(\log x_j - z_j) + \log\sum_j e^{z_j}` on the simplex, else :math:`\infty`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(softmax_bregman_loss([[0.5, 0.5]], [[0.0, 0.0]])[0], 0.0))
    True
    """
    x = as_float_array(x, "x")
    z = as_float_array(z, "z")
    from .activations.simplex import on_simplex

    xc = np.maximum(x, 0)
    val = np.sum(xlogy(xc, xc) - xc * z, axis=-1) + logsumexp(z, axis=-1)
    return np.where(on_simplex(x), val, np.inf)
