r"""Hypothesis strategies that reach the hard places of Section 3 (Definition 1, Example 1).

* :func:`pre_activations`: arrays :math:`z` mixing moderate values, huge magnitudes up to
  ``magnitude`` (default :math:`10^8`), exact ties at thresholds (kinks such as :math:`0` and
  :math:`\pm\alpha`) and their floating-point neighbours, tiny values, in float64 or float32;
* :func:`domain_points`: points :math:`x\in\operatorname{dom}\Psi`, as :math:`x=\sigma(u)`, with
  boundary points given by the caller (:math:`|x|=1` for tanh, simplex vertices and faces for
  softmax) and convex combinations;
* :func:`step_sizes`: proximal step sizes :math:`t>0` (the x-updates of (17b) need
  :math:`\operatorname{prox}_{t\Psi}` for :math:`t\ne1`).

:data:`HINTS` is a small table, keyed by registry name, of thresholds and boundary points of the
shipped activations; :func:`hints_for` returns an activation's hints (empty by default).

``hypothesis`` is needed only here, and is imported when a strategy is built:
``import bregnet.testing`` works without it.

Examples
--------
>>> import numpy as np
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, derandomize=True)
... @given(pre_activations(n=2, batch=3))
... def check(z):
...     assert z.shape == (3, 2) and z.dtype == np.float64 and np.all(np.isfinite(z))
>>> check()
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Iterable

import numpy as np

__all__ = [
    "pre_activations",
    "domain_points",
    "step_sizes",
    "simplex_boundary_rows",
    "sphere_boundary_rows",
    "HINTS",
    "hints_for",
    "DEFAULT_THRESHOLDS",
]

#: thresholds every pre-activation strategy includes (common kinks)
DEFAULT_THRESHOLDS = (0.0, -1.0, 1.0)


def _hypothesis():
    try:
        import hypothesis.strategies as st
        from hypothesis.extra import numpy as hnp
    except ImportError as exc:  # pragma: no cover - hypothesis is a test extra
        raise ImportError("bregnet.testing.strategies needs the 'hypothesis' package "
                          "(pip install 'bregnet[test]' or pip install hypothesis); "
                          "the laws in bregnet.testing.laws do not") from exc
    return st, hnp


def _dtype(dtype):
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64; got {dt}")
    return dt


def simplex_boundary_rows(n: int) -> np.ndarray:
    r"""Boundary points of the probability simplex :math:`\Delta_n`: vertices, edge midpoints, face centroids, near-vertices.

    Examples
    --------
    >>> simplex_boundary_rows(2).tolist()[:3]
    [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    """
    eye = np.eye(n)
    rows = list(eye)
    for i in range(n):
        for j in range(i + 1, n):
            rows.append(0.5 * (eye[i] + eye[j]))
    for k in range(3, n):
        rows.append(np.concatenate([np.full(k, 1.0 / k), np.zeros(n - k)]))
    if n >= 2:
        near = np.zeros(n)
        near[0], near[1] = 1.0 - 1e-12, 1e-12
        rows.append(near)
        rows.append(np.full(n, 1.0 / n))
    return np.array(rows)


def sphere_boundary_rows(n: int) -> np.ndarray:
    r"""Points of the unit sphere :math:`\|x\|_2 = 1` (the boundary of the unit ball), and just inside it.

    Examples
    --------
    >>> np.linalg.norm(sphere_boundary_rows(3), axis=1).round(12).tolist()[:4]
    [1.0, 1.0, 1.0, 1.0]
    """
    eye = np.eye(n)
    rows = list(eye) + list(-eye) + [np.full(n, 1.0 / np.sqrt(n)), (1 - 1e-12) * eye[0]]
    return np.array(rows)


def _near(v, eps=1e-12):
    """``v`` and a point ``eps`` (relative) inside the domain from it, towards 0."""
    return (v, v - eps * np.sign(v) * max(abs(v), 1.0))


#: Per-activation hints keyed by registry name: ``thresholds`` (kinks of sigma, where ties are
#: interesting), ``boundary_values`` (entries that may replace entries of a domain point: only
#: for product domains), ``boundary_rows`` (``n -> array (k, n)`` of whole boundary rows).
#: ``thresholds`` and ``boundary_values`` may be callables of the activation (for parameters).
#: Activations not listed get no hints; domain points then still reach the boundary through
#: sigma of huge pre-activations.
HINTS: dict[str, dict] = {
    "relu": {"boundary_values": (0.0,)},
    "leaky_relu": {},
    "soft_threshold": {"thresholds": lambda a: (-a.alpha, a.alpha)},
    "nonneg_soft_threshold": {"thresholds": lambda a: (a.alpha,), "boundary_values": (0.0,)},
    "block_soft_threshold": {"thresholds": lambda a: (-a.alpha, a.alpha)},
    "tanh": {"boundary_values": (-1.0, 1.0, 1.0 - 1e-12, -1.0 + 1e-12)},
    "sigmoid": {"boundary_values": (0.0, 1.0, 1e-12, 1.0 - 1e-12)},
    "unimodal_sigmoid": {"boundary_values": (-0.5, 0.5, 0.5 - 1e-12)},
    "hard_tanh": {"thresholds": lambda a: (a.lo, a.hi), "boundary_values": lambda a: (a.lo, a.hi)},
    "hard_sigmoid": {"thresholds": lambda a: (-0.5 / a.slope, 0.5 / a.slope), "boundary_values": (0.0, 1.0)},
    "elu": {"boundary_values": lambda a: (-a.alpha, 0.0, -a.alpha * (1 - 1e-12))},
    "celu": {"boundary_values": lambda a: (-a.alpha, 0.0, -a.alpha * (1 - 1e-12))},
    "log_sigmoid": {"boundary_values": (0.0, -1e-12)},
    "isrlu": {"boundary_values": lambda a: (-1 / np.sqrt(a.a), 0.0)},
    "isru": {"boundary_values": lambda a: (-1 / np.sqrt(a.alpha), 1 / np.sqrt(a.alpha))},
    "softplus": {"boundary_values": (0.0, 1e-12)},
    "softsign": {"boundary_values": _near(1.0)[1:] + _near(-1.0)[1:]},
    "arctan": {"boundary_values": lambda a: (a.scale * np.pi / 2 * (1 - 1e-12), -a.scale * np.pi / 2 * (1 - 1e-12))},
    "bent_identity": {"boundary_values": (-0.5 + 1e-12,)},
    "softmax": {"boundary_rows": simplex_boundary_rows},
    "sparsemax": {"boundary_rows": simplex_boundary_rows},
    "entmax15": {"boundary_rows": simplex_boundary_rows},
    "squash": {"boundary_rows": sphere_boundary_rows},
}


def hints_for(activation) -> dict:
    """The hints of :data:`HINTS` for an activation (or a registry name), with defaults filled in.

    Returns a dict with ``thresholds`` (tuple of floats), ``boundary_values`` (tuple of floats) and
    ``boundary_rows`` (callable ``n -> array`` or ``None``).  Parameter-dependent hints need the
    activation itself (a bare name gives the parameter-free hints only).

    Examples
    --------
    >>> from bregnet.activations import get
    >>> hints_for(get("soft_threshold", alpha=0.3))["thresholds"]
    (-0.3, 0.3)
    >>> hints_for("nonexistent")["boundary_values"]
    ()
    """
    name = activation if isinstance(activation, str) else getattr(activation, "name", "")
    h = HINTS.get(name, {})

    def resolve(key):
        v = h.get(key, ())
        if callable(v):
            v = () if isinstance(activation, str) else v(activation)
        return tuple(float(t) for t in v)

    return {"thresholds": resolve("thresholds"), "boundary_values": resolve("boundary_values"),
            "boundary_rows": h.get("boundary_rows")}


def _ties(values: Iterable[float], dt) -> list:
    """The values, exactly representable in ``dt``, and their floating-point neighbours."""
    out = set()
    for v in values:
        c = dt.type(v)
        if not np.isfinite(c):
            continue
        out.update({float(c), float(np.nextafter(c, dt.type(np.inf))), float(np.nextafter(c, dt.type(-np.inf)))})
    return sorted(out)


def _shape(n, batch, max_n):
    st, _ = _hypothesis()
    ns = st.just(int(n)) if n is not None else st.integers(1, max_n)
    bs = st.just(int(batch)) if batch is not None else st.integers(1, 4)
    return st.tuples(bs, ns)


def pre_activations(n: int | None = None, *, magnitude: float = 1e8, dtype=np.float64,
                    thresholds: Iterable[float] = (), batch: int | None = None, max_n: int = 4):
    r"""Strategy for pre-activation arrays :math:`z` of shape ``(batch, n)``.

    Entries mix: moderate values in :math:`[-10, 10]`; values of any size up to ``magnitude``;
    and special values: exactly :math:`\pm` ``magnitude`` and the powers of ten below it, exact
    ties at ``thresholds`` and :data:`DEFAULT_THRESHOLDS` and their floating-point neighbours in
    ``dtype``, and tiny values (:math:`\pm10^{-6}`, :math:`\pm10^{-20}`, the smallest normal).

    Parameters
    ----------
    n : int, optional
        Feature dimension; drawn from ``1..max_n`` if not given.
    magnitude : float
        Largest absolute value (default :math:`10^8`).
    dtype : float32 or float64
    thresholds : iterable of float
        Kinks of :math:`\sigma` where ties matter (e.g. :math:`\pm\alpha` for soft-thresholding).
    batch : int, optional
        Number of rows; drawn from ``1..4`` if not given.
    """
    return _pre_activations(None if n is None else int(n), float(magnitude), _dtype(dtype).str,
                            tuple(float(t) for t in thresholds), None if batch is None else int(batch), int(max_n))


@lru_cache(maxsize=512)
def _elements(magnitude, dtype_str, thresholds):
    st, _ = _hypothesis()
    dt = np.dtype(dtype_str)
    width = 32 if dt == np.float32 else 64
    M = float(dt.type(magnitude))
    ties = _ties(list(thresholds) + list(DEFAULT_THRESHOLDS), dt)
    ties = [t for t in ties if abs(t) <= M]
    powers = sorted({float(dt.type(s * 10.0 ** k)) for k in range(0, int(np.log10(max(M, 1.0))) + 1)
                     for s in (-1, 1) if 10.0 ** k <= M} | {M, -M})
    tiny = [float(dt.type(v)) for v in (1e-6, 1e-20, float(np.finfo(dt).tiny))]
    specials = sorted(set(ties) | set(powers) | set(tiny) | {-v for v in tiny})
    return st.one_of(
        st.floats(-10, 10, width=width),
        st.floats(-M, M, width=width),
        st.sampled_from(specials),
    )


@lru_cache(maxsize=2048)
def _array_strategy(dtype_str, shape, elements):
    _, hnp = _hypothesis()
    return hnp.arrays(np.dtype(dtype_str), shape, elements=elements)


@lru_cache(maxsize=2048)
def _pre_activations(n, magnitude, dtype_str, thresholds, batch, max_n):
    elements = _elements(magnitude, dtype_str, thresholds)
    return _shape(n, batch, max_n).flatmap(lambda shp: _array_strategy(dtype_str, shp, elements))


def domain_points(sigma: Callable, n: int | None = None, *, boundary_values: Iterable[float] = (),
                  boundary_rows: Callable | None = None, magnitude: float = 1e8, dtype=np.float64,
                  thresholds: Iterable[float] = (), batch: int | None = None, max_n: int = 4):
    r"""Strategy for points :math:`x\in\operatorname{dom}\Psi` of shape ``(batch, n)``.

    Rows are :math:`\sigma(u)` for ``u`` from :func:`pre_activations` (which already reaches the
    boundary: :math:`\tanh(10^8)=1`, softmax of :math:`\pm10^8` is a vertex), then possibly

    * entries replaced by ``boundary_values`` (only for product domains such as
      :math:`[-1,1]^n`: the caller decides; values not exactly representable in ``dtype`` are
      dropped, so that e.g. :math:`1-10^{-12}` cannot round onto an open boundary in float32);
    * whole rows replaced by rows of ``boundary_rows(n)`` (e.g. :func:`simplex_boundary_rows`);
    * rows replaced by a convex combination of two rows (the domain is convex).

    ``sigma`` is called on float64 or float32 arrays and must return arrays of shape ``(..., n)``.
    """
    key = (sigma, None if n is None else int(n), tuple(float(v) for v in boundary_values), boundary_rows,
           float(magnitude), _dtype(dtype).str, tuple(float(t) for t in thresholds),
           None if batch is None else int(batch), int(max_n))
    try:
        hash(key)
    except TypeError:
        return _domain_points.__wrapped__(*key)
    return _domain_points(*key)


@lru_cache(maxsize=2048)
def _domain_points(sigma, n, boundary_values, boundary_rows, magnitude, dtype_str, thresholds, batch, max_n):
    st, hnp = _hypothesis()
    dt = np.dtype(dtype_str)
    # values that do not survive rounding to dtype are dropped (1 - 1e-12 would round onto an open
    # boundary in float32)
    bvals = sorted({float(v) for v in boundary_values if float(dt.type(v)) == float(v)})
    pre = pre_activations(n, magnitude=magnitude, dtype=dt, thresholds=thresholds, batch=batch, max_n=max_n)
    bval_elements = st.sampled_from(bvals) if bvals else None
    lams = st.sampled_from([0.5, 0.25, 0.9, 1e-3])

    @st.composite
    def strat(draw):
        u = draw(pre)
        B, m = u.shape
        x = np.array(sigma(u), dtype=dt).reshape(B, m)
        if bvals and draw(st.booleans()):
            bits = draw(st.integers(0, 2 ** (B * m) - 1))
            mask = ((bits >> np.arange(B * m)) & 1).astype(bool).reshape(B, m)
            vals = np.array(draw(st.lists(bval_elements, min_size=B * m, max_size=B * m)), dtype=dt).reshape(B, m)
            x = np.where(mask, vals, x).astype(dt)
        if boundary_rows is not None and draw(st.booleans()):
            rows = np.asarray(boundary_rows(m), dtype=dt)
            idx = draw(st.lists(st.integers(-1, len(rows) - 1), min_size=B, max_size=B))
            x = np.array([x[i] if k < 0 else rows[k] for i, k in enumerate(idx)], dtype=dt).reshape(B, m)
        if B > 1 and draw(st.booleans()):
            lam = draw(lams)
            x = (lam * x.astype(np.float64) + (1 - lam) * np.roll(x, 1, axis=0).astype(np.float64)).astype(dt)
        return x

    return strat()


def step_sizes(min_value: float = 1e-3, max_value: float = 1e3):
    r"""Strategy for proximal step sizes :math:`t\in[\text{min\_value}, \text{max\_value}]`.

    Log-uniform, plus the exact values 1, 0.5, 2, 0.1, 10 (where they lie in the range).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True)
    ... @given(step_sizes())
    ... def check(t):
    ...     assert 1e-3 <= t <= 1e3
    >>> check()
    """
    st, _ = _hypothesis()
    exact = [v for v in (1.0, 0.5, 2.0, 0.1, 10.0) if min_value <= v <= max_value]
    lo, hi = np.log10(min_value), np.log10(max_value)
    logu = st.floats(lo, hi).map(lambda e: float(min(max(10.0 ** e, min_value), max_value)))
    return st.one_of(st.sampled_from(exact), logu) if exact else logu
