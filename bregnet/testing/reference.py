r"""Reference values of every registered activation, for cross-checking other implementations (Section 3).

The file ``bregnet/testing/data/reference_values_v1.json`` (written by
``scripts/make_reference_values.py``, versioned, with a header naming the bregnet and NumPy
versions that produced it) holds, for every activation of :func:`bregnet.activations.names`
with its default parameters and with a few other parameter values, float64 values of

===================  ==============================================================================
``sigma``            :math:`\sigma(z)=\operatorname{prox}_\Psi(z)` (Definition 1, eq. (9)), per row of ``z``
``prox``             :math:`\operatorname{prox}_{t\Psi}(z)` for :math:`t\in\{0.5, 2\}` (keys ``"0.5"``, ``"2.0"``)
``phi_star``         :math:`\Phi^*(z)=(\tfrac12\|\cdot\|^2+\Psi)^*(z)` (Lemma 4, eq. (15)), per row of ``z``
``psi``              :math:`\Psi(x)` per row of ``x`` (points of :math:`\operatorname{dom}\Psi`)
``psi_outside``      :math:`\Psi = +\infty` per row of ``x_outside`` (points outside the domain, if any)
``psi_star``         :math:`\Psi^*(y)` per row of ``y`` (Definition 3), only where a closed form exists
``bregman``          :math:`B_\Psi(x_i, z_j)` (eq. (12)) as a matrix, rows ``x``, columns ``z``
``bregman_outside``  :math:`B_\Psi = +\infty` for the rows of ``x_outside``
``grad``             :math:`\nabla_z B_\Psi(x_i, z_j) = \sigma(z_j) - x_i` (Lemma 8), shape (rows x, rows z, n)
===================  ==============================================================================

Inputs include :math:`z = 0`, ties at the thresholds of :math:`\sigma` (kinks such as
:math:`\pm\alpha`), :math:`\pm10^8`, and domain points on the boundary of
:math:`\operatorname{dom}\Psi` (:math:`|x| = 1` for tanh, simplex vertices for softmax).  Separable
activations are stored with ``n = 1``, vector ones (softmax, sparsemax, ...) with ``n = 3``.
Floats are written with full precision (``repr``); :math:`\pm\infty` as the strings
``"inf"``/``"-inf"``, which :func:`reference_values` turns back into floats.

:func:`compare_to_reference` runs plain callables (a PyTorch or JAX implementation wrapped to take
and return NumPy arrays, say) against the file and reports every mismatch: which quantity, which
input, the expected and the obtained value.

Examples
--------
>>> import numpy as np
>>> from bregnet.testing import compare_to_reference
>>> relu = lambda z: np.maximum(z, 0)
>>> report = compare_to_reference("relu", sigma=relu, grad=lambda x, z: relu(z) - x)
>>> report.ok
True
>>> try:
...     compare_to_reference("relu", sigma=lambda z: np.abs(z))
... except AssertionError as e:
...     print(str(e).splitlines()[1])
  sigma(z) at z = [-100000000.0]: expected [0.0], got [100000000.0] (|error| 1e+08 > tol 8.88e-08)
"""
from __future__ import annotations

import dataclasses
import json
import math
from functools import lru_cache
from importlib import resources
from typing import Callable

import numpy as np

__all__ = [
    "REFERENCE_FILE",
    "reference_values",
    "reference_case",
    "compare_to_reference",
    "ReferenceReport",
    "ReferenceMismatch",
    "Mismatch",
]

#: name of the packaged reference file (inside ``bregnet/testing/data``)
REFERENCE_FILE = "reference_values_v1.json"

#: number of mismatches spelled out in a report's message
_SHOWN = 20
#: float64 machine epsilon, the unit of the condition scales
_EPS = float(np.finfo(np.float64).eps)


# ----------------------------------------------------------------------------- loading
@lru_cache(maxsize=1)
def _raw_text() -> str:
    return resources.files("bregnet.testing").joinpath("data", REFERENCE_FILE).read_text(encoding="utf-8")


def decode(obj):
    """Turn the file's ``"inf"``/``"-inf"`` strings into floats, recursively (everything else as is)."""
    if isinstance(obj, dict):
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if obj == "inf":
        return math.inf
    if obj == "-inf":
        return -math.inf
    return obj


def reference_values() -> dict:
    """The packaged reference values, as a fresh dict (loaded with :mod:`importlib.resources`).

    Returns ``{"header": {...}, "activations": {name: [case, ...]}}``; each case is a dict with
    ``params``, ``default`` (True for the default parameters), ``n``, the inputs ``z``, ``x``,
    ``x_outside`` (and ``y`` where :math:`\\Psi^*` has a closed form) as lists of rows, and the
    quantities described in the module docstring.  Infinite values are floats again.

    Examples
    --------
    >>> data = reference_values()
    >>> data["header"]["format_version"]
    1
    >>> case = reference_case("soft_threshold", {"alpha": 0.5})
    >>> case["z"][:3], case["sigma"][:3]
    ([[-100000000.0], [-3.0], [-1.0]], [[-99999999.5], [-2.5], [-0.5]])
    """
    return decode(json.loads(_raw_text()))


def _match_case(name: str, cases: list, params) -> dict:
    default = next(c for c in cases if c.get("default"))
    if params is None:
        return default
    wanted = {**default["params"], **{k: float(v) for k, v in dict(params).items()}}
    for c in cases:
        if {k: float(v) for k, v in c["params"].items()} == wanted:
            return c
    available = ", ".join(repr(c["params"]) for c in cases)
    raise KeyError(f"no reference values for {name!r} with params {dict(params)!r}; available: {available}")


def reference_case(name: str, params: dict | None = None, *, data: dict | None = None) -> dict:
    """The reference case of activation ``name`` with ``params`` (default parameters if ``None``).

    ``params`` may give only the parameters that differ from the defaults.

    Raises
    ------
    KeyError
        If the file has no values for ``name`` or for these parameters (the message lists what it has).
    """
    data = reference_values() if data is None else data
    acts = data["activations"]
    if name not in acts:
        raise KeyError(f"no reference values for activation {name!r}; the file has: {', '.join(sorted(acts))}")
    return _match_case(name, acts[name], params)


# ----------------------------------------------------------------------------- reports
@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One value (or row of values) that differs from the reference."""

    quantity: str
    inputs: dict
    expected: object
    got: object
    error: float
    tolerance: float

    def __str__(self) -> str:
        where = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.inputs.items())
        if isinstance(self.got, str):          # the callable failed or returned a wrong shape
            return f"{self.quantity} at {where}: expected {_fmt(self.expected)}, {self.got}"
        return (f"{self.quantity} at {where}: expected {_fmt(self.expected)}, got {_fmt(self.got)} "
                f"(|error| {self.error:.3g} > tol {self.tolerance:.3g})")


@dataclasses.dataclass
class ReferenceReport:
    """Outcome of :func:`compare_to_reference`.

    Attributes
    ----------
    name, params : the activation and parameters compared
    checked : dict mapping each quantity compared to the number of values compared
    mismatches : list of :class:`Mismatch`
    rtol, atol, ulps : the tolerances used
    """

    name: str
    params: dict
    checked: dict
    mismatches: list
    rtol: float
    atol: float
    ulps: float = 4.0

    @property
    def ok(self) -> bool:
        """True if nothing differs."""
        return not self.mismatches

    def __str__(self) -> str:
        total = sum(self.checked.values())
        head = (f"compare_to_reference({self.name!r}, params={self.params!r}): "
                f"{len(self.mismatches)} mismatch(es) among {total} values "
                f"[{', '.join(f'{k}: {v}' for k, v in self.checked.items())}] "
                f"(rtol={self.rtol:g}, atol={self.atol:g}, ulps={self.ulps:g})")
        lines = [head] + [f"  {m}" for m in self.mismatches[:_SHOWN]]
        if len(self.mismatches) > _SHOWN:
            lines.append(f"  ... and {len(self.mismatches) - _SHOWN} more")
        return "\n".join(lines)


class ReferenceMismatch(AssertionError):
    """Raised by :func:`compare_to_reference` when a callable differs from the reference values.

    The full :class:`ReferenceReport` is the attribute ``report``.
    """

    def __init__(self, report: ReferenceReport):
        self.report = report
        super().__init__(str(report))


def _fmt(v):
    a = np.asarray(v, dtype=object if isinstance(v, str) else None)
    if a.dtype == object:
        return repr(v)
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        return repr(float(a))
    return "[" + ", ".join(repr(float(t)) for t in a.reshape(-1)) + "]"


# ----------------------------------------------------------------------------- comparison
def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float, cond=None, ulps: float = 0.0):
    """Elementwise (ok, error, tolerance); infinities must match exactly, NaN never does.

    The tolerance is ``atol + rtol * |expected| + ulps * eps * cond`` (``cond`` defaults to 0; see
    :func:`compare_to_reference` for the condition scale ``cond`` of each quantity).
    """
    size = np.where(np.isfinite(expected), np.abs(expected), 0.0)
    tol = atol + rtol * size
    if cond is not None:
        tol = tol + ulps * _EPS * np.where(np.isfinite(cond), cond, 0.0)
    with np.errstate(invalid="ignore"):
        err = np.abs(got - expected)
        same_inf = np.isinf(expected) & (got == expected)
        err = np.where(same_inf, 0.0, err)
        err = np.where(np.isnan(err), np.inf, err)
    return err <= tol, err, tol


class _Comparer:
    def __init__(self, rtol, atol, ulps=0.0):
        self.rtol, self.atol, self.ulps = float(rtol), float(atol), float(ulps)
        self.checked: dict = {}
        self.mismatches: list = []

    def call(self, key, quantity, fn, args, out_shape, inputs_of):
        """Call ``fn(*args)``; on an exception or a wrong shape record one mismatch and return None."""
        try:
            got = np.asarray(fn(*args), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - any failure of the user's callable is reported
            self.mismatches.append(Mismatch(quantity, inputs_of(None), "values", f"raised {type(exc).__name__}: {exc}",
                                            math.inf, 0.0))
            self.checked[key] = self.checked.get(key, 0) + int(np.prod(out_shape))
            return None
        if got.shape != tuple(out_shape):
            try:
                got = got.reshape(out_shape)     # e.g. (k, 1) for (k,): accept a squeezable result
            except ValueError:
                self.mismatches.append(Mismatch(quantity, inputs_of(None), f"shape {tuple(out_shape)}",
                                                f"got shape {got.shape}", math.inf, 0.0))
                self.checked[key] = self.checked.get(key, 0) + int(np.prod(out_shape))
                return None
        return got

    def compare(self, key, quantity, got, expected, inputs_of, row_axes, cond=None):
        """Compare arrays; one :class:`Mismatch` per input row (the leading ``row_axes`` axes)."""
        expected = np.asarray(expected, dtype=np.float64)
        if got is None:  # the call failed; already counted and reported by call()
            return
        self.checked[key] = self.checked.get(key, 0) + expected.size
        ok, err, tol = _close(got, expected, self.rtol, self.atol, cond, self.ulps)
        lead = expected.shape[:row_axes]
        ok_r = ok.reshape(lead + (-1,)).all(axis=-1) if expected.ndim > row_axes else ok
        for idx in zip(*np.nonzero(~ok_r)):
            e = err[idx].reshape(-1)
            t = np.broadcast_to(tol[idx], err[idx].shape).reshape(-1)
            k = int(np.argmax(np.where(e > t, e / np.maximum(t, 1e-300), -1)))
            self.mismatches.append(Mismatch(quantity, inputs_of(idx), expected[idx].tolist(), got[idx].tolist(),
                                            float(e[k]), float(t[k])))


def _validated_case(name: str, pieces: dict, params, data) -> dict:
    """The reference case for :func:`compare_to_reference`, after checking the callables passed to it."""
    if all(v is None for v in pieces.values()):
        raise ValueError("compare_to_reference needs at least one callable "
                         "(sigma, psi, phi_star, psi_star, bregman, grad or prox)")
    for k, v in pieces.items():
        if v is not None and not callable(v):
            raise TypeError(f"{k} must be callable; got {type(v).__name__}")
    case = reference_case(name, params, data=data)
    if pieces["psi_star"] is not None and "psi_star" not in case:
        raise ValueError(f"the reference file has no Psi* values for {name!r} (no closed form); do not pass psi_star")
    return case


def _rows(case: dict, key: str) -> np.ndarray:
    """The input ``case[key]`` as float64 rows of length ``n`` (no rows if the case has none)."""
    a = np.asarray(case.get(key, []), dtype=np.float64)
    return a.reshape(-1, case["n"])


def _by_row(label: str, arr: np.ndarray) -> Callable:
    """``inputs_of`` for per-row quantities: the row of ``arr`` at ``idx[0]`` (``"all rows"`` for None)."""
    return lambda idx: {label: "all rows" if idx is None else arr[idx[0]]}


def _pairs(xs: np.ndarray, z: np.ndarray):
    """All pairs (rows of ``xs``) x (rows of ``z``) as stacked ``X``, ``Z``, and their ``inputs_of``."""
    X = np.repeat(xs, len(z), axis=0)
    Z = np.tile(z, (len(xs), 1))
    return X, Z, (lambda idx: {"x": "all pairs", "z": "all pairs"} if idx is None
                  else {"x": xs[idx[0]], "z": z[idx[1]]})


def _compare_pointwise(c: _Comparer, case: dict, pieces: dict) -> None:
    """Compare the quantities of one input row each: sigma, prox, Phi*, Psi (inside and outside), Psi*."""
    z, x, xo = _rows(case, "z"), _rows(case, "x"), _rows(case, "x_outside")
    zmax = np.broadcast_to(np.max(np.abs(z), axis=-1, keepdims=True), z.shape)   # sigma, prox: 1-Lipschitz
    if pieces["sigma"] is not None:
        got = c.call("sigma", "sigma(z)", pieces["sigma"], (z.copy(),), z.shape, _by_row("z", z))
        c.compare("sigma", "sigma(z)", got, case["sigma"], _by_row("z", z), 1, zmax)
    if pieces["prox"] is not None:
        for key, expected in case["prox"].items():
            t = float(key)
            q = f"prox_(t Psi)(z), t = {t:g}"
            got = c.call("prox", q, pieces["prox"], (z.copy(), t), z.shape, _by_row("z", z))
            c.compare("prox", q, got, expected, _by_row("z", z), 1, zmax)
    if pieces["phi_star"] is not None:
        got = c.call("phi_star", "Phi*(z)", pieces["phi_star"], (z.copy(),), (len(z),), _by_row("z", z))
        sz = np.sum(np.abs(_rows(case, "sigma") * z), axis=-1)                   # grad Phi* = sigma
        c.compare("phi_star", "Phi*(z)", got, case["phi_star"], _by_row("z", z), 1, sz)
    if pieces["psi"] is not None:
        got = c.call("psi", "Psi(x)", pieces["psi"], (x.copy(),), (len(x),), _by_row("x", x))
        c.compare("psi", "Psi(x)", got, case["psi"], _by_row("x", x), 1)
        if len(xo):
            q = "Psi(x), x outside dom Psi"
            got = c.call("psi", q, pieces["psi"], (xo.copy(),), (len(xo),), _by_row("x", xo))
            c.compare("psi", q, got, case["psi_outside"], _by_row("x", xo), 1)
    if pieces["psi_star"] is not None:
        y = _rows(case, "y")
        got = c.call("psi_star", "Psi*(y)", pieces["psi_star"], (y.copy(),), (len(y),), _by_row("y", y))
        c.compare("psi_star", "Psi*(y)", got, case["psi_star"], _by_row("y", y), 1)


def _compare_pairs(c: _Comparer, case: dict, bregman: Callable | None, grad: Callable | None) -> None:
    r"""Compare the quantities of pairs of input rows: :math:`B_\Psi(x, z)` (inside and outside) and its gradient."""
    z, x, xo = _rows(case, "z"), _rows(case, "x"), _rows(case, "x_outside")
    if bregman is not None:
        sz = _rows(case, "sigma")
        # sum_j |x_j - sigma(z)_j| (|x_j| + |z_j|): what rounding x and z moves B by, in units of eps
        cond = np.sum(np.abs(x[:, None, :] - sz[None, :, :]) * (np.abs(x)[:, None, :] + np.abs(z)[None, :, :]),
                      axis=-1)
        for q, xs, key, scale in (("B(x, z)", x, "bregman", cond),
                                  ("B(x, z), x outside dom Psi", xo, "bregman_outside", None)):
            if not len(xs):
                continue
            X, Z, where = _pairs(xs, z)
            got = c.call("bregman", q, bregman, (X.copy(), Z.copy()), (len(xs) * len(z),), where)
            got = None if got is None else got.reshape(len(xs), len(z))
            c.compare("bregman", q, got, case[key], where, 2, scale)
    if grad is not None:
        X, Z, where = _pairs(x, z)
        q = "grad_z B(x, z)"
        got = c.call("grad", q, grad, (X.copy(), Z.copy()), X.shape, where)
        got = None if got is None else got.reshape(len(x), len(z), -1)
        zmax = np.max(np.abs(z), axis=-1)
        cond = zmax[None, :, None] + np.abs(x)[:, None, :]                       # sigma(z) - x, 1-Lipschitz in z
        c.compare("grad", q, got, case["grad"], where, 2, cond)


def compare_to_reference(name: str, *, sigma: Callable | None = None, psi: Callable | None = None,
                         phi_star: Callable | None = None, psi_star: Callable | None = None,
                         bregman: Callable | None = None, grad: Callable | None = None,
                         prox: Callable | None = None, params: dict | None = None,
                         rtol: float = 1e-10, atol: float = 1e-12, ulps: float = 4.0,
                         raise_on_mismatch: bool = True, data: dict | None = None) -> ReferenceReport:
    r"""Compare an implementation, given as plain callables, with bregnet's reference values.

    Every callable receives float64 NumPy arrays whose last axis is the feature axis (``n = 1``
    for separable activations, ``n = 3`` for vector ones) and must return array-likes:

    =====================  =================================================================
    ``sigma(z)``           :math:`\sigma(z)`, shape ``(k, n)`` for ``z`` of shape ``(k, n)``
    ``prox(z, step)``      :math:`\operatorname{prox}_{t\Psi}(z)` for ``step`` :math:`t\in\{0.5, 2\}`
    ``psi(x)``             :math:`\Psi(x)`, shape ``(k,)``, ``inf`` outside :math:`\operatorname{dom}\Psi`
    ``phi_star(z)``        :math:`\Phi^*(z)`, shape ``(k,)``
    ``psi_star(y)``        :math:`\Psi^*(y)`, shape ``(k,)`` (only for activations with a closed form)
    ``bregman(x, z)``      :math:`B_\Psi(x, z)` row by row, shape ``(k,)`` for ``x``, ``z`` of shape ``(k, n)``
    ``grad(x, z)``         :math:`\nabla_z B_\Psi(x, z)`, shape ``(k, n)`` (``x`` in :math:`\operatorname{dom}\Psi` only)
    =====================  =================================================================

    A value matches when

    .. math:: |\text{got} - \text{expected}| \le \text{atol} + \text{rtol}\,|\text{expected}|
              + \text{ulps}\cdot\varepsilon\cdot C,

    :math:`\varepsilon = 2^{-52}`, where :math:`C` is the *condition scale* of the quantity at that
    input: a bound on how far rounding each input entry :math:`w` to :math:`w(1\pm\varepsilon)` moves
    the exact value.  No implementation in float64 can do better than that (the inputs it is given
    are such roundings), and a tolerance relative to :math:`|\text{expected}|` alone demands the
    impossible where the value is small but sensitive, while one relative to the size of the terms
    some formula adds up would excuse cancellation that a better formula avoids.  The scales:

    * ``sigma``, ``prox``: :math:`C = \max_j |z_j|` (both maps are 1-Lipschitz, Theorem 10);
      e.g. logsumexp's gradient :math:`e^{z - \operatorname{lse}(z)}` at :math:`|z| = 10^8`, off
      by less than one ulp of :math:`z`, is correct;
    * ``phi_star``: :math:`C = \sum_j |\sigma(z)_j z_j|` (:math:`\nabla\Phi^* = \sigma`, eq. (15));
    * ``bregman``: :math:`C = \sum_j |x_j - \sigma(z)_j|\,(|x_j| + |z_j|)`; the :math:`z` part is
      exact (:math:`\nabla_z B = \sigma(z) - x`, Lemma 8), the :math:`x` part takes
      :math:`|\nabla_x B| = |\sigma^{-1}(x) - z|` as :math:`|x - \sigma(z)|` (equal for slope-1
      pieces, larger by :math:`1/\sigma'` elsewhere, which the file does not hold).  :math:`C`
      vanishes on the graph :math:`x = \sigma(z)`, where :math:`B = 0` to first order, so a form of
      eq. (12) whose terms of size :math:`\|z\|^2` cancel there is reported;
    * ``grad``: :math:`C = \max_j |z_j| + |x_i|` per entry (:math:`\sigma(z) - x`);
    * ``psi``, ``psi_star``: :math:`C = 0` (their gradients :math:`\sigma^{-1} - \mathrm{id}` and
      :math:`\operatorname{prox}_{\Psi^*}`-related maps are not in the file): relative to the value only.

    Infinities must be returned as the same infinity; NaN never matches.  A callable that raises or
    returns the wrong shape counts as one mismatch.  For a float32 implementation raise ``rtol`` to
    about ``1e-5`` and ``ulps`` to about ``2e9`` (4 ulps of float32: :math:`\varepsilon_{32}/\varepsilon_{64} = 2^{29}`).

    Parameters
    ----------
    name : str
        Registry name (see :func:`bregnet.activations.names`).
    sigma, psi, phi_star, psi_star, bregman, grad, prox : callable, optional
        The pieces to check; at least one.  Omitted ones are not checked.
    params : dict, optional
        The activation's parameters (only those that differ from the defaults are needed);
        default parameters if not given.
    rtol, atol : float
        Tolerances, see above.
    ulps : float, default 4
        Multiple of :math:`\varepsilon` times the condition scale :math:`C` allowed on top of them.
    raise_on_mismatch : bool, default True
        Raise :class:`ReferenceMismatch` (an ``AssertionError`` carrying the report) if anything
        differs; with ``False`` the report is returned either way.
    data : dict, optional
        Reference values to use instead of the packaged file (as returned by :func:`reference_values`).

    Returns
    -------
    ReferenceReport
        With ``ok``, ``checked`` (values compared per quantity) and ``mismatches``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import logsumexp, softmax
    >>> r = compare_to_reference("softmax", sigma=lambda z: softmax(z, axis=-1),
    ...                          phi_star=lambda z: logsumexp(z, axis=-1))
    >>> r.ok, r.checked
    (True, {'sigma': 24, 'phi_star': 8})
    """
    pieces = dict(sigma=sigma, psi=psi, phi_star=phi_star, psi_star=psi_star, bregman=bregman, grad=grad, prox=prox)
    case = _validated_case(name, pieces, params, data)
    c = _Comparer(rtol, atol, ulps)
    _compare_pointwise(c, case, pieces)
    _compare_pairs(c, case, bregman, grad)
    report = ReferenceReport(name, dict(case["params"]), c.checked, c.mismatches, c.rtol, c.atol, c.ulps)
    if raise_on_mismatch and not report.ok:
        raise ReferenceMismatch(report)
    return report
