r"""High-precision reference values of every activation, and a comparison with a float64 implementation (Section 3).

The file ``bregnet/testing/data/hp_reference_v1.json.gz`` (written by
``scripts/make_hp_reference.py`` with mpmath, from the mathematics and never from bregnet's
floating-point code; see ``docs/reference-set.md``) holds, for every activation of
:func:`bregnet.activations.names` (28) with its default parameters (and one other parameter value where
it has parameters), exact values to 25 significant digits of

==================  ===========================================================================
``sigma``           :math:`\sigma(z) = \operatorname{prox}_\Psi(z)` (Definition 1, eq. (9))
``derivative``      :math:`\sigma'(z)` (separable activations; kinks left out), inputs ``derivative["z"]``
``prox[t]``         :math:`\operatorname{prox}_{t\Psi}(z)` for :math:`t\in\{0.25, 0.5, 2, 10\}` (keys ``"0.25"``, ...)
``phi_star``        :math:`\Phi^*(z)` (Lemma 4, eq. (15))
``psi``             :math:`\Psi(x)`, ``inf`` outside :math:`\operatorname{dom}\Psi`, inputs ``x``
``psi_star``        :math:`\Psi^*(y)` (Definition 3), inputs ``y`` (absent for softmax, entmax15 and entmax)
``bregman``         :math:`B_\Psi(x, z)` (eq. (12)) at the pairs ``pairs["x"]``, ``pairs["z"]``
``grad``            :math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8) at ``grad_pairs`` (:math:`x\in\operatorname{dom}\Psi`)
==================  ===========================================================================

Each value comes with its *condition scale* :math:`c = |f| + \sum_j |\partial f/\partial v_j|\,|v_j|`
(:math:`v` the inputs; for the vector prox maps the Lipschitz bound :math:`|x_i| + \sum_j|z_j|`),
what rounding the inputs to float64 costs.  A float64 result :math:`g` is accepted when

.. math::  |g - f| \le k\,\varepsilon\,c + k\cdot 2^{-1074}, \qquad \varepsilon = 2^{-52},

or :math:`g` is :math:`f` rounded to float64 (so also ``inf`` where :math:`f` overflows); an
infinite :math:`f` must be returned as that infinity.  :math:`k` is ``ulps``.  Values the
generator could not certify are ``NaN`` here (``null`` in the file) and are skipped.

Examples
--------
>>> import numpy as np
>>> from bregnet.testing.hp_reference import hp_reference, compare_to_hp_reference
>>> case = hp_reference("tanh")
>>> case["z"].shape[1], case["sigma"]["value"].shape == case["z"].shape[:1]   # one value per row of z
(1, True)
>>> report = compare_to_hp_reference("relu", sigma=lambda z: np.maximum(z, 0))
>>> report.ok, report.checked["sigma"] >= 200
(True, True)
>>> report = compare_to_hp_reference("relu", sigma=lambda z: np.maximum(z, 0) * (1 + 1e-13),
...                                  raise_on_mismatch=False)
>>> report.ok
False
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import math
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Callable

import numpy as np

__all__ = ["HP_REFERENCE_FILE", "hp_reference", "hp_reference_header", "hp_reference_names",
           "compare_to_hp_reference", "HPReport", "HPMismatch", "HPReferenceMismatch"]

#: name of the packaged file (inside ``bregnet/testing/data``)
HP_REFERENCE_FILE = "hp_reference_v1.json.gz"
_EPS = 2.0 ** -52
_TINY = 2.0 ** -1074
_SHOWN = 20
#: the quantities with the inputs they are evaluated at
_INPUTS = {"sigma": ("z",), "derivative": ("derivative.z",), "phi_star": ("z",), "psi": ("x",),
           "psi_star": ("y",), "bregman": ("pairs.x", "pairs.z"), "grad": ("grad_pairs.x", "grad_pairs.z")}


@lru_cache(maxsize=1)
def _raw() -> dict:
    blob = resources.files("bregnet.testing").joinpath("data", HP_REFERENCE_FILE).read_bytes()
    return json.loads(gzip.decompress(blob).decode("utf-8"))


def hp_reference_header() -> dict:
    """The file's header (schema and mpmath versions, working precisions, date, the tolerance rule)."""
    return dict(_raw()["header"])


def hp_reference_names() -> list[str]:
    """The activations in the file."""
    return sorted(_raw()["activations"])


def _float(s) -> float:
    return math.nan if s is None else float(s)


def _residual(s, hi: float) -> float:
    """``value - fl(value)`` as a float (0 for infinities and nulls)."""
    if s is None or not math.isfinite(hi):
        return 0.0
    return float(Decimal(s) - Decimal(hi))


def _quantity(q: dict, n: int) -> dict:
    vals = q["value"]
    flat = [v for row in vals for v in (row if isinstance(row, list) else [row])]
    shape = (len(vals), n) if vals and isinstance(vals[0], list) else (len(vals),)
    hi = np.array([_float(v) for v in flat], dtype=np.float64)
    lo = np.array([_residual(v, h) for v, h in zip(flat, hi)], dtype=np.float64)
    cflat = [c for row in q["cond"] for c in (row if isinstance(row, list) else [row])]
    cond = np.array([_float(c) for c in cflat], dtype=np.float64)
    return {"value": hi.reshape(shape), "value_lo": lo.reshape(shape), "cond": cond.reshape(shape),
            "value_str": vals}


def _inputs(a, n: int) -> np.ndarray:
    return np.array([float(v) for row in a for v in (row if isinstance(row, list) else [row])],
                    dtype=np.float64).reshape(-1, n)


def _match(name: str, cases: list, params) -> dict:
    if params is None:
        return next(c for c in cases if c["default"])
    want = {k: float(v) for k, v in dict(params).items()}
    for c in cases:
        have = {k: float(v) for k, v in c["params"].items()}
        if all(have.get(k) == v for k, v in want.items()):
            return c
    raise KeyError(f"no high-precision reference for {name!r} with params {dict(params)!r}; "
                   f"available: {', '.join(repr(c['params']) for c in cases)}")


def hp_reference(name: str, params: dict | None = None) -> dict:
    r"""The reference case of activation ``name`` (default parameters, or those matching ``params``).

    Returns a dict with ``params``, ``default``, ``n``; the inputs ``z``, ``x``, ``y`` as float64
    arrays of shape ``(k, n)`` and ``pairs`` / ``grad_pairs`` / ``derivative_z`` likewise; values
    of shape ``(k,)`` (separable activations, and the scalar quantities of vector ones) or ``(k, n)``; and
    for each quantity (``sigma``, ``derivative``, ``prox`` (a dict by step), ``phi_star``,
    ``psi``, ``psi_star``, ``bregman``, ``grad``) a dict with ``value`` (float64, the nearest
    double; ``NaN`` where not certified), ``value_lo`` (``value_exact - value`` as a double),
    ``cond`` (the condition scale) and ``value_str`` (the 25-digit decimals of the file).

    Raises
    ------
    KeyError
        If the file has no such activation or parameters (the message lists what it has).
    """
    acts = _raw()["activations"]
    if name not in acts:
        raise KeyError(f"no high-precision reference for activation {name!r}; the file has: {', '.join(sorted(acts))}")
    c = _match(name, acts[name], params)
    n = c["n"]
    out = {"params": dict(c["params"]), "default": c["default"], "n": n}
    for key in ("z", "x", "y"):
        if key in c:
            out[key] = _inputs(c[key], n)
    for key in ("pairs", "grad_pairs"):
        out[key] = {"x": _inputs(c[key]["x"], n), "z": _inputs(c[key]["z"], n)}
    for key in ("sigma", "phi_star", "psi", "psi_star", "bregman", "grad"):
        if key in c:
            out[key] = _quantity(c[key], n)
    if "derivative" in c:
        out["derivative_z"] = _inputs(c["derivative"]["z"], n)
        out["derivative"] = _quantity(c["derivative"], n)
    out["prox"] = {float(t): _quantity(q, n) for t, q in c["prox"].items()}
    return out


# ----------------------------------------------------------------------------- comparison
@dataclasses.dataclass(frozen=True)
class HPMismatch:
    """One value outside the tolerance: the quantity, its inputs, the exact value and what was got."""

    quantity: str
    inputs: tuple
    expected: str
    got: float
    ulps: float

    def __str__(self) -> str:
        where = ", ".join(repr(v) for v in self.inputs)
        return f"{self.quantity} at ({where}): exact {self.expected}, got {self.got!r} ({self.ulps:.3g} eps*cond)"


@dataclasses.dataclass
class HPReport:
    r"""Outcome of :func:`compare_to_hp_reference`.

    ``checked`` (values compared per quantity), ``worst`` (per quantity, the largest
    :math:`|g - f| / (\varepsilon c)`; 0 where every value was the correctly rounded one),
    ``mismatches`` (list of :class:`HPMismatch`), ``ulps`` (the :math:`k` used).
    """

    name: str
    params: dict
    ulps: float
    checked: dict
    worst: dict
    mismatches: list

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        head = (f"compare_to_hp_reference({self.name!r}, params={self.params!r}, ulps={self.ulps:g}): "
                f"{len(self.mismatches)} mismatch(es); worst in eps*cond: "
                + ", ".join(f"{k} {v:.3g}" for k, v in self.worst.items()))
        lines = [head] + [f"  {m}" for m in self.mismatches[:_SHOWN]]
        if len(self.mismatches) > _SHOWN:
            lines.append(f"  ... and {len(self.mismatches) - _SHOWN} more")
        return "\n".join(lines)


class HPReferenceMismatch(AssertionError):
    """Raised by :func:`compare_to_hp_reference` on a mismatch; the :class:`HPReport` is ``report``."""

    def __init__(self, report: HPReport):
        self.report = report
        super().__init__(str(report))


def score(got, q: dict) -> np.ndarray:
    r"""Per value, :math:`|g - f| / (\varepsilon c + 2^{-1074})`; 0 where :math:`g` is :math:`f` rounded (or the same infinity), ``inf`` for a wrong infinity or NaN, NaN where the reference is not certified."""
    got = np.asarray(got, dtype=np.float64).reshape(q["value"].shape)
    hi, lo, cond = q["value"], q["value_lo"], q["cond"]
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs((got - hi) - lo)
        s = err / (_EPS * np.where(np.isfinite(cond), cond, 0.0) + _TINY)
        s = np.where(got == hi, 0.0, s)
        s = np.where(np.isnan(got) | (np.isinf(hi) & (got != hi)), np.inf, s)
    return np.where(np.isnan(hi), np.nan, s)


def _rows(a: np.ndarray, n: int) -> np.ndarray:
    return a.reshape(-1, n)


def _run(fn, args, shape):
    got = np.asarray(fn(*[a.copy() for a in args]), dtype=np.float64)
    return got.reshape(shape)


def compare_to_hp_reference(name: str, params: dict | None = None, *, ulps: float = 4.0,
                            sigma: Callable | None = None, derivative: Callable | None = None,
                            prox: Callable | None = None, phi_star: Callable | None = None,
                            psi: Callable | None = None, psi_star: Callable | None = None,
                            bregman: Callable | None = None, grad: Callable | None = None,
                            raise_on_mismatch: bool = True) -> HPReport:
    r"""Compare float64 callables with the high-precision reference of ``name`` (rule in the module docstring).

    The callables take float64 arrays of shape ``(k, n)`` (``n = 1`` for separable activations,
    3 for vector ones) and return ``(k, n)`` (``sigma``, ``derivative``, ``prox(z, step)``,
    ``grad(x, z)``) or ``(k,)`` (``phi_star``, ``psi``, ``psi_star``, ``bregman(x, z)``).

    Raises
    ------
    HPReferenceMismatch
        If a value is outside the tolerance and ``raise_on_mismatch`` (the report is attached).
    ValueError
        If no callable is given, or ``psi_star`` for an activation without :math:`\Psi^*` values.
    """
    pieces = {"sigma": sigma, "derivative": derivative, "phi_star": phi_star, "psi": psi,
              "psi_star": psi_star, "bregman": bregman, "grad": grad}
    if prox is None and all(v is None for v in pieces.values()):
        raise ValueError("compare_to_hp_reference needs at least one callable "
                         "(sigma, derivative, prox, phi_star, psi, psi_star, bregman or grad)")
    for k, v in {**pieces, "prox": prox}.items():
        if v is not None and not callable(v):
            raise TypeError(f"{k} must be callable; got {type(v).__name__}")
    case = hp_reference(name, params)
    n = case["n"]
    if psi_star is not None and "psi_star" not in case:
        raise ValueError(f"the reference has no Psi* values for {name!r}; do not pass psi_star")
    if derivative is not None and "derivative" not in case:
        raise ValueError(f"the reference has no derivative values for {name!r} (a vector activation)")
    inputs = {"sigma": (case["z"],), "phi_star": (case["z"],), "psi": (case["x"],),
              "psi_star": (case.get("y"),), "derivative": (case.get("derivative_z"),),
              "bregman": (case["pairs"]["x"], case["pairs"]["z"]),
              "grad": (case["grad_pairs"]["x"], case["grad_pairs"]["z"])}
    checked, worst, bad = {}, {}, []
    jobs = [(k, fn, inputs[k], case[k]) for k, fn in pieces.items() if fn is not None]
    if prox is not None:
        jobs += [(f"prox[t={t:g}]", (lambda z, t=t: prox(z, t)), (case["z"],), q) for t, q in case["prox"].items()]
    for label, fn, args, q in jobs:
        s = score(_run(fn, args, q["value"].shape), q)
        got = _run(fn, args, q["value"].shape)
        valid = ~np.isnan(s)
        checked[label] = int(np.count_nonzero(valid))
        worst[label] = float(np.max(s[valid])) if np.any(valid) else 0.0
        rows = s.reshape(len(args[0]), -1)
        for i in np.flatnonzero(np.nanmax(np.where(np.isnan(rows), -1, rows), axis=1) > ulps):
            j = int(np.nanargmax(rows[i]))
            flat_str = q["value_str"][i] if not isinstance(q["value_str"][i], list) else q["value_str"][i][j]
            bad.append(HPMismatch(label, tuple(a[i].tolist() for a in args), str(flat_str),
                                  float(got.reshape(len(args[0]), -1)[i, j]), float(rows[i, j])))
    report = HPReport(name, case["params"], float(ulps), checked, worst, bad)
    if bad and raise_on_mismatch:
        raise HPReferenceMismatch(report)
    return report
