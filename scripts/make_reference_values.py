r"""Write ``bregnet/testing/data/reference_values_v1.json``: reference values of every activation (Section 3).

For every activation in :func:`bregnet.activations.names` (default parameters, plus the parameter
values in :data:`EXTRA_PARAMS`) and a handful of float64 inputs (:math:`z = 0`, ties at the
thresholds of :math:`\sigma`, :math:`\pm10^8`; domain points including boundary points of
:math:`\operatorname{dom}\Psi`), the file records :math:`\Psi(x)`, :math:`\sigma(z)`,
:math:`\operatorname{prox}_{t\Psi}(z)` for :math:`t\in\{0.5, 2\}`, :math:`\Phi^*(z)`,
:math:`\Psi^*(y)` (closed forms only), :math:`B_\Psi(x, z)` (eq. (12)) and
:math:`\nabla_z B_\Psi(x, z)` (Lemma 8), computed by bregnet itself.  The layout is described in
:mod:`bregnet.testing.reference`, which loads the file and compares other implementations with it.

Usage::

    python scripts/make_reference_values.py            # (re)write the packaged file
    python scripts/make_reference_values.py --check    # exit 1 if the packaged file is stale

The file is deterministic (no randomness); ``tests/test_reference_values.py`` checks that the
committed file equals what :func:`build` computes now.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

import bregnet
from bregnet import bregman_grad, bregman_loss
from bregnet.activations import get, names

FORMAT_VERSION = 1
GENERATION_COMMAND = "python scripts/make_reference_values.py"
OUTPUT = Path(__file__).resolve().parents[1] / "bregnet" / "testing" / "data" / "reference_values_v1.json"

#: proximal step sizes t of prox_{t Psi}
STEPS = (0.5, 2.0)
#: feature dimension of the vector (non-separable) activations
VECTOR_N = 3

#: parameter values recorded in addition to the defaults
EXTRA_PARAMS: dict[str, list[dict]] = {
    "soft_threshold": [{"alpha": 0.5}],                 # the paper's Figure 1
    "nonneg_soft_threshold": [{"alpha": 0.5}],
    "block_soft_threshold": [{"alpha": 0.5}],
    "leaky_relu": [{"slope": 0.5}, {"slope": 1.0}],
    "elu": [{"alpha": 0.5}],
    "isrlu": [{"a": 4.0}],
    "isru": [{"alpha": 0.25}],
    "arctan": [{"scale": 1.0}],
    "hard_tanh": [{"lo": -0.5, "hi": 2.0}, {"lo": 0.0, "hi": math.inf}],
    "hard_sigmoid": [{"slope": 1.0}, {"slope": 0.2}],
    "softplus": [{"beta": 2.0}],
    "softmax": [{"temperature": 0.5}, {"temperature": 2.0}],
    "celu": [{"alpha": 2.0}],
    "log_sigmoid": [{"beta": 2.0}],
}

#: scalar pre-activations of every separable activation (thresholds are added per activation)
SCALAR_Z = (0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 1e8, -1e8)
#: scalar candidates for x (kept in "x" if Psi(x) is finite, else in "x_outside")
SCALAR_X = (-2.0, -0.25, 0.25, 2.0)
#: pre-activations u whose sigma(u) are added to the domain points
SCALAR_U = (-2.0, 1.5)

VECTOR_Z = ((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, -3.0), (2.0, -1.0, 0.5), (0.3, -0.4, 0.0),
            (-3.0, 0.5, 2.5), (-1e8, 1e8, 0.0), (1e8, 1e8, -1e8))
VECTOR_X = ((0.2, 0.3, 0.5), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (-0.5, 1.0, 0.5), (2.0, 0.0, 0.0))
VECTOR_U = ((0.5, -0.2, 1.0), (-2.0, 3.0, 0.0))


def _simplex_rows(a):
    return ((1.0, 0.0, 0.0), (0.0, 0.5, 0.5), (1 / 3, 1 / 3, 1 / 3), (1 - 1e-12, 1e-12, 0.0))


def _sphere_rows(a):
    return ((1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0.6, 0.0, 0.8), (1 - 1e-12, 0.0, 0.0))


#: Per activation: ``thresholds`` (kinks of sigma; for vector activations the rows t*e_1 are
#: used), ``boundary`` (scalar boundary points of dom Psi) or ``rows`` (vector boundary rows),
#: each a function of the activation (so that they follow its parameters).
SPECIAL = {
    "relu": {"boundary": lambda a: (0.0,)},
    "soft_threshold": {"thresholds": lambda a: (-a.alpha, a.alpha)},
    "nonneg_soft_threshold": {"thresholds": lambda a: (a.alpha,), "boundary": lambda a: (0.0,)},
    "hard_tanh": {"thresholds": lambda a: (a.lo, a.hi), "boundary": lambda a: (a.lo, a.hi)},
    "hard_sigmoid": {"thresholds": lambda a: (-0.5 / a.slope, 0.5 / a.slope), "boundary": lambda a: (0.0, 1.0)},
    "tanh": {"boundary": lambda a: (-1.0, 1.0, 1.0 - 1e-12)},
    "sigmoid": {"boundary": lambda a: (0.0, 1.0, 1e-12)},
    "unimodal_sigmoid": {"boundary": lambda a: (-0.5, 0.5)},
    "elu": {"boundary": lambda a: (-a.alpha, 0.0)},
    "celu": {"boundary": lambda a: (-a.alpha, 0.0)},
    "log_sigmoid": {"boundary": lambda a: (0.0, -1e-12)},
    "isrlu": {"boundary": lambda a: (-1 / math.sqrt(a.a), 0.0)},
    "isru": {"boundary": lambda a: (-1 / math.sqrt(a.alpha), 1 / math.sqrt(a.alpha))},
    "softplus": {"boundary": lambda a: (0.0, 1e-12)},
    "softsign": {"boundary": lambda a: (1.0 - 1e-12, -(1.0 - 1e-12))},
    "arctan": {"boundary": lambda a: (a.scale * math.pi / 2 * (1 - 1e-12),)},
    "bent_identity": {"boundary": lambda a: (-0.5 + 1e-12,)},
    "block_soft_threshold": {"thresholds": lambda a: (-a.alpha, a.alpha)},
    "softmax": {"rows": _simplex_rows},
    "sparsemax": {"rows": _simplex_rows},
    "entmax15": {"rows": _simplex_rows},
    "squash": {"rows": _sphere_rows},
}


def _unique_rows(rows):
    out = []
    for r in rows:
        t = tuple(float(v) for v in r)
        if t not in out:
            out.append(t)
    return out


def inputs(act) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float64 inputs ``(z, x, x_outside)`` of an activation, as arrays of rows."""
    spec = SPECIAL.get(act.name, {})
    thresholds = [float(t) for t in spec.get("thresholds", lambda a: ())(act) if math.isfinite(t)]
    if act.separable:
        z = np.array(sorted(set(SCALAR_Z) | set(thresholds)))[:, None]
        u = np.array(SCALAR_U)[:, None]
        cand = [(v,) for v in SCALAR_X] + [(float(b),) for b in spec.get("boundary", lambda a: ())(act)
                                            if math.isfinite(b)]
    else:
        e1 = np.eye(VECTOR_N)[0]
        z = np.array(_unique_rows(list(VECTOR_Z) + [t * e1 for t in thresholds]))
        u = np.array(VECTOR_U)
        cand = list(VECTOR_X) + list(spec.get("rows", lambda a: ())(act))
    cand = _unique_rows(cand + [tuple(r) for r in act.prox(u)])
    cand = np.array(cand)
    inside = np.isfinite(act.psi(cand))
    return z, cand[inside], cand[~inside]


def _case(act, default: bool) -> dict:
    z, x, xo = inputs(act)
    n = z.shape[-1]
    case = {"params": act.params(), "default": default, "n": n,
            "z": z, "x": x, "x_outside": xo}
    case["sigma"] = act.prox(z)
    case["prox"] = {repr(float(t)): act.prox(z, step=t) for t in STEPS}
    case["phi_star"] = act.conjugate(z)
    case["psi"] = act.psi(x)
    case["psi_outside"] = act.psi(xo)
    if act.has_psi_conjugate:
        y = np.concatenate([z, act.prox_conjugate(z)])
        case["y"] = y
        case["psi_star"] = act.psi_conjugate(y)

    def pair_values(xs, f):
        X = np.repeat(xs, len(z), axis=0)
        Z = np.tile(z, (len(xs), 1))
        return f(X, Z).reshape((len(xs), len(z)) + f(X, Z).shape[1:])

    case["bregman"] = pair_values(x, lambda X, Z: bregman_loss(act, X, Z))
    case["bregman_outside"] = pair_values(xo, lambda X, Z: bregman_loss(act, X, Z)) if len(xo) else np.zeros((0, len(z)))
    case["grad"] = pair_values(x, lambda X, Z: bregman_grad(act, X, Z))
    return case


def build() -> dict:
    """The reference values, as a dict of NumPy arrays and floats (not yet encoded for JSON)."""
    acts = {}
    for name in names():
        default = get(name)
        cases = [_case(default, True)]
        for params in EXTRA_PARAMS.get(name, []):
            cases.append(_case(get(name, **params), False))
        acts[name] = cases
    return {
        "header": {
            "format": "bregnet reference values",
            "format_version": FORMAT_VERSION,
            "bregnet_version": bregnet.__version__,
            "numpy_version": np.__version__,
            "generated_by": GENERATION_COMMAND,
            "dtype": "float64",
            "description": "Reference values of every registered bregnet activation (Wang & Benning, "
                           "Lifted Bregman Training, Section 3); layout and use: bregnet.testing.reference.",
            "infinity": "+-infinity is written as the strings \"inf\" / \"-inf\"",
        },
        "activations": acts,
    }


# ----------------------------------------------------------------------------- encoding
def encode(obj):
    """Plain JSON types: arrays to nested lists, floats kept exact, infinities as strings."""
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return encode(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            raise ValueError("NaN in the reference values: fix the activation before writing the file")
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return obj


def dumps(data: dict) -> str:
    """JSON text: objects indented, each innermost list on one line, floats as ``repr``."""

    def inline(v):
        return json.dumps(v, allow_nan=False, separators=(", ", ": "))

    def depth(v):
        if isinstance(v, dict):
            return 99
        if isinstance(v, list):
            return 1 + max((depth(e) for e in v), default=0)
        return 0

    def rec(v, ind):
        pad = " " * ind
        if isinstance(v, dict) and v:
            items = [f"{pad} {json.dumps(k)}: {rec(val, ind + 1)}" for k, val in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and depth(v) > 2:
            items = [f"{pad} {rec(e, ind + 1)}" for e in v]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        return inline(v)

    return rec(encode(data), 0) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"file to write (default {OUTPUT})")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the existing file differs from freshly computed values")
    args = parser.parse_args(argv)
    text = dumps(build())
    if args.check:
        old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if old != text:
            print(f"{args.output} is stale: run {GENERATION_COMMAND}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    n_cases = sum(len(c) for c in json.loads(text)["activations"].values())
    print(f"wrote {args.output} ({len(text)} bytes, {n_cases} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
