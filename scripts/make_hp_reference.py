r"""Write ``bregnet/testing/data/hp_reference_v1.json.gz``: high-precision reference values of every activation (Section 3).

For every activation of :func:`bregnet.activations.names` (default parameters, plus one other
parameter value where it has parameters) the file holds, at 25 significant digits, exact values
(computed with mpmath from the mathematics, never from bregnet's floating-point code) of

* :math:`\sigma(z) = \operatorname{prox}_\Psi(z)` (eq. (9)) and :math:`\sigma'(z)` where it exists,
* :math:`\operatorname{prox}_{t\Psi}(z)` for :math:`t \in` :data:`STEPS`,
* :math:`\Phi^*(z)` (Lemma 4, eq. (15)), :math:`\Psi(x)` (:math:`+\infty` outside the domain),
  :math:`\Psi^*(y)` (Definition 3),
* :math:`B_\Psi(x, z)` (eq. (12)) and :math:`\nabla_z B_\Psi(x, z) = \sigma(z) - x` (Lemma 8),

each with a condition scale :math:`c = |f| + \sum_j |\partial f/\partial v_j|\,|v_j|` (over the
inputs :math:`v`), so that a float64 implementation is judged by
:math:`|f_{64} - f| \le k\,\varepsilon\,c` (see ``docs/reference-set.md``).  The formulas are in
``scripts/hp_reference/`` (separable activations through a generic root-finding engine, vector
ones through their own formulas); every value is certified by agreement of two working precisions
to 30 digits.

Usage::

    python scripts/make_hp_reference.py --write           # regenerate the packaged file (minutes)
    python scripts/make_hp_reference.py --check           # regenerate a sample, compare with the file
    python scripts/make_hp_reference.py --check --full    # regenerate everything and compare
    python scripts/make_hp_reference.py --write --only tanh,relu   # (re)compute some activations

The points are deterministic (fixed seeds); the test suite only loads the file.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import json
import math
import sys
import time
import zlib
from pathlib import Path

import mpmath as mp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hp_reference import engine  # noqa: E402
from hp_reference.separable import SEPARABLE, EXTRA_PARAMS as SEP_EXTRA  # noqa: E402
from hp_reference.vector import VECTOR, EXTRA_PARAMS as VEC_EXTRA, norm as mp_norm  # noqa: E402

SCHEMA_VERSION = 1
OUTPUT = Path(__file__).resolve().parents[1] / "bregnet" / "testing" / "data" / "hp_reference_v1.json.gz"
DIGITS = 25
COND_DIGITS = 3
STEPS = (0.25, 0.5, 2.0, 10.0)
VECTOR_N = 3
SEED = 20240614
#: magnitudes beyond 10^+-EXP_CAP are written as inf / 0 (no float format reaches them)
EXP_CAP = 9999
NEAR_GRAPH = 1e-10

SPECIAL = (0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-100, 1e-20, 1e-8, 1e-4, 0.01, 0.1, 0.3,
           0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0, 50.0, 100.0, 700.0, 1e3, 1e4, 1e6, 1e8,
           1e16, 1e100, 1e300)


# ----------------------------------------------------------------------------- formatting
def fmt_value(v) -> str:
    if mp.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    e = int(mp.floor(mp.log10(abs(v))))
    if e > EXP_CAP:
        return "inf" if v > 0 else "-inf"
    if e < -EXP_CAP:
        return "0" if v > 0 else "-0"
    with mp.workdps(DIGITS + 10):       # a value certified at thousands of digits: round it first
        return mp.nstr(+v, DIGITS, min_fixed=1, max_fixed=0, strip_zeros=False)


def fmt_cond(c) -> str | None:
    if c is None:
        return None
    if c == 0:
        return "0"
    e = int(mp.floor(mp.log10(c)))
    if e > EXP_CAP:
        return "inf"
    if e < -EXP_CAP:
        return "0"
    with mp.workdps(COND_DIGITS + 10):
        return mp.nstr(+c, COND_DIGITS, min_fixed=1, max_fixed=0)


def fmt_input(x: float) -> str:
    return repr(float(x))


def to_float(v) -> float:
    """An mpf rounded to the nearest float64 (inf on overflow)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


# ----------------------------------------------------------------------------- point sets
def _rng(name: str, what: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(f"{name}/{what}".encode())])


def _unique(vals):
    out, seen = [], set()
    for v in vals:
        v = float(v)
        key = (v, math.copysign(1.0, v))
        if key not in seen and not math.isnan(v):
            seen.add(key)
            out.append(v)
    return out


def scalar_z(act, name) -> list[float]:
    pts = [s * v for v in SPECIAL for s in (1.0, -1.0)]
    for k in act.kink_points():
        for t in (1.0,) + STEPS:
            kt = float(k * mp.mpf(t))
            pts += [kt, float(np.nextafter(kt, np.inf)), float(np.nextafter(kt, -np.inf))]
    rng = _rng(name, "z")
    pts += list(rng.choice([-1.0, 1.0], 70) * 10.0 ** rng.uniform(-12, 4, 70))
    pts += list(rng.uniform(-8, 8, 70))
    return _unique(pts)


def _sigma_float(act, z: float) -> float:
    with mp.workdps(60):
        return to_float(act.sigma(mp.mpf(z)))


def scalar_x(act, name, zs) -> list[float]:
    lo, hi = act.dom()
    pts = [_sigma_float(act, z) for z in zs]
    for e in (lo, hi):
        if not mp.isinf(e):
            f = float(e)
            pts += [f, float(np.nextafter(f, 0.0 if f != 0 else 1.0)), float(np.nextafter(f, -f if f else -1.0)),
                    f - 1.0 if e == lo else f + 1.0, f * (1 + 1e-15) - (1e-300 if e == lo else -1e-300)]
    pts += [1e300, -1e300, 5e-324, -5e-324, 0.0]
    rng = _rng(name, "x")
    if not mp.isinf(lo) and not mp.isinf(hi):
        pts += list(rng.uniform(float(lo), float(hi), 80))
    else:
        base = float(lo) if not mp.isinf(lo) else (float(hi) if not mp.isinf(hi) else 0.0)
        sign = 1.0 if not mp.isinf(lo) else -1.0
        mags = 10.0 ** rng.uniform(-10, 3, 80)
        pts += list(base + sign * mags) if (not mp.isinf(lo) or not mp.isinf(hi)) else list(rng.choice([-1.0, 1.0], 80) * mags)
    pts = _unique(pts)
    extra = rng.uniform(-3, 3, 400)
    i = 0
    while len(pts) < 210:
        pts = _unique(pts + [float(extra[i])])
        i += 1
    return pts


def scalar_pairs(act, name, zs, xs) -> list[tuple[float, float]]:
    pairs = []
    for z in zs:
        s = _sigma_float(act, z)
        pairs.append((s, z))
        with mp.workdps(60):
            near = to_float(act.sigma(mp.mpf(z)) * (1 + mp.mpf(NEAR_GRAPH)))
        if near != s:
            pairs.append((near, z))
    rng = _rng(name, "pairs")
    inside = [x for x in xs if act.in_dom(mp.mpf(x))]
    for _ in range(60):
        pairs.append((float(rng.choice(inside)), float(rng.choice(zs))))
    outside = [x for x in xs if not act.in_dom(mp.mpf(x))]
    for x in outside[:10]:
        pairs.append((x, 0.5))
    return list(dict.fromkeys(pairs))


def vector_z(name, alpha=1.0) -> list[list[float]]:
    rows = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, -3.0], [2.0, -1.0, 0.5], [0.3, -0.4, 0.0],
            [-3.0, 0.5, 2.5], [1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, -5.0], [2.0, 0.0, -5.0],
            [1e-300, -1e-300, 0.0], [5e-324, 0.0, 0.0], [1e-8, -1e-8, 2e-8], [1e8, -1e8, 0.0],
            [1e8, 1e8, -1e8], [1e16, 0.0, -1e16], [1e300, -1e300, 0.0], [-1e300, 0.0, 5.0],
            [alpha, 0.0, 0.0], [0.6 * alpha, 0.8 * alpha, 0.0], [float(np.nextafter(alpha, 2 * alpha)), 0.0, 0.0],
            [float(np.nextafter(alpha, 0.0)), 0.0, 0.0], [-alpha, 0.0, 0.0], [0.0, 0.0, 1e-4], [30.0, -30.0, 29.0]]
    rng = _rng(name, "zrows")
    scales = 10.0 ** rng.uniform(-4, 2.5, 190)
    rows += [list(r) for r in rng.normal(size=(190, VECTOR_N)) * scales[:, None]]
    return [[float(v) for v in r] for r in rows]


def _vec_sigma_float(act, z):
    with mp.workdps(60):
        return [to_float(v) for v in act.sigma([mp.mpf(v) for v in z])]


def vector_x(act, name, zs) -> list[list[float]]:
    rows = [_vec_sigma_float(act, z) for z in zs]
    rng = _rng(name, "xrows")
    if name in ("softmax", "sparsemax", "entmax15", "entmax"):
        d = rng.dirichlet([0.5, 0.5, 0.5], 120)
        rows += [list(r) for r in d]
        rows += [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [1 - 1e-12, 1e-12, 0.0],
                 [-0.5, 1.0, 0.5], [2.0, 0.0, 0.0], [0.5, 0.5, 0.001], [-1e-3, 0.5, 0.501]]
    else:
        radius = 1.0 if name == "squash" else 3.0
        v = rng.normal(size=(120, VECTOR_N))
        v = v / np.linalg.norm(v, axis=1)[:, None] * (radius * rng.uniform(0, 1, 120) ** (1 / 3))[:, None]
        rows += [list(r) for r in v]
        rows += [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.6, 0.0, 0.8], [1 - 1e-12, 0.0, 0.0], [1.5, 0.0, 0.0],
                 [0.8, 0.8, 0.0], [1e300, 0.0, 0.0], [1e-300, 0.0, 0.0]]
    out, seen = [], set()
    for r in rows:
        t = tuple(float(v) for v in r)
        if t not in seen:
            seen.add(t)
            out.append(list(t))
    return out


def _near_graph_row(name, s_mp):
    """sigma(z) (1 + 1e-10) rounded; on the simplex, 1e-10 of the second largest entry moved to the largest instead."""
    if name in ("softmax", "sparsemax", "entmax15", "entmax"):
        order = sorted(range(len(s_mp)), key=lambda i: -s_mp[i])
        i, j = order[0], order[1]
        d = s_mp[j] * mp.mpf(NEAR_GRAPH)
        row = list(s_mp)
        row[i] += d
        row[j] -= d
        return [to_float(v) for v in row]
    return [to_float(v * (1 + mp.mpf(NEAR_GRAPH))) for v in s_mp]


def vector_pairs(act, name, zs, xs):
    pairs = []
    for z in zs[:150]:
        s = _vec_sigma_float(act, z)
        pairs.append((s, z))
        with mp.workdps(60):
            near = _near_graph_row(name, act.sigma([mp.mpf(v) for v in z]))
        if near != s:
            pairs.append((near, z))
    rng = _rng(name, "pairs")
    for _ in range(60):
        pairs.append((xs[int(rng.integers(len(xs)))], zs[int(rng.integers(len(zs)))]))
    out, seen = [], set()
    for x, z in pairs:
        key = (tuple(x), tuple(z))
        if key not in seen:
            seen.add(key)
            out.append((list(x), list(z)))
    return out


# ----------------------------------------------------------------------------- quantities
#: with --check: recompute only every SAMPLE_EVERY-th point of each quantity (None: all)
SAMPLE_EVERY = None


def _series(fn, inputs, size_fn=None, cond=True, cond_fn=None):
    """``{"value": [...], "cond": [...]}`` for ``fn`` at each flat input tuple.

    With :data:`SAMPLE_EVERY` set, only every k-th input is computed and ``"sampled": [indices]`` added.
    """
    values, conds = [], []
    idx = list(range(len(inputs)))
    if SAMPLE_EVERY:
        idx = idx[::SAMPLE_EVERY]
    for i in idx:
        args = inputs[i]
        try:
            v, d = engine.certified(fn, args, size_fn)
        except ArithmeticError:
            # not certifiable within DPS_MAX digits (e.g. sigmoid Psi*(-1e300) ~ exp(-1e300) after
            # cancelling 1e300 digits): left out, written as null
            values.append(None)
            conds.append(None)
            continue
        if cond_fn is not None:
            c = cond_fn(args, v)
        else:
            c = engine.cond_scale(fn, args, v, d) if cond else None
        if isinstance(v, (list, tuple)):
            values.append([fmt_value(x) for x in v])
            conds.append(None if c is None else [fmt_cond(x) for x in c])
        else:
            values.append(fmt_value(v))
            conds.append(fmt_cond(c))
    out = {"value": values, "cond": conds}
    if SAMPLE_EVERY:
        out["sampled"] = idx
    return out


def separable_case(act, name):
    zs = scalar_z(act, name)
    xs = scalar_x(act, name, zs)
    pairs = scalar_pairs(act, name, zs, xs)
    kinks = set(float(k) for k in act.kink_points())
    zd = [z for z in zs if z not in kinks]
    pin = [p for p in pairs if act.in_dom(mp.mpf(p[0]))]
    case = {"n": 1, "z": [fmt_input(z) for z in zs]}
    case["sigma"] = _series(act.sigma, [(z,) for z in zs])
    case["derivative"] = {"z": [fmt_input(z) for z in zd], **_series(act.dsigma, [(z,) for z in zd])}
    case["prox"] = {repr(t): _series(lambda z, t=t: engine.prox_sep(act, z, t), [(z,) for z in zs]) for t in STEPS}
    case["phi_star"] = _series(act.phi_star, [(z,) for z in zs])
    case["x"] = [fmt_input(x) for x in xs]
    case["psi"] = _series(act.psi, [(x,) for x in xs])
    case["y"] = case["z"]
    case["psi_star"] = _series(lambda y: engine.psi_star_sep(act, y), [(z,) for z in zs])

    def bregman(x, z):
        px = act.psi(x)
        if mp.isinf(px):
            return mp.inf
        return x * x / 2 + px + act.phi_star(z) - x * z

    def bregman_size(x, z):
        px = act.psi(x)
        return (abs(x * x) / 2 + abs(px) + abs(act.phi_star(z)) + abs(x * z)) if not mp.isinf(px) else mp.mpf(1)

    case["pairs"] = {"x": [fmt_input(p[0]) for p in pairs], "z": [fmt_input(p[1]) for p in pairs]}
    case["bregman"] = _series(bregman, pairs, bregman_size)
    case["grad_pairs"] = {"x": [fmt_input(p[0]) for p in pin], "z": [fmt_input(p[1]) for p in pin]}
    case["grad"] = _series(lambda x, z: act.sigma(z) - x, pin,
                           lambda x, z: abs(act.sigma(z)) + abs(x))
    return case


def _vec_fn(f, n, parts=1):
    """Wrap ``f(row)`` (or ``f(row1, row2)``) as a function of the flat components."""
    if parts == 1:
        return lambda *a: f(list(a))
    return lambda *a: f(list(a[:n]), list(a[n:]))


def vector_case(act, name):
    n = VECTOR_N
    alpha = act.params.get("alpha", 1.0)
    zs = vector_z(name, alpha)
    xs = vector_x(act, name, zs)
    pairs = vector_pairs(act, name, zs, xs)
    case = {"n": n, "z": [[fmt_input(v) for v in z] for z in zs]}
    zin = [tuple(z) for z in zs]
    case["sigma"] = _series(_vec_fn(act.sigma, n), zin)

    def lipschitz_cond(args, v):
        # prox maps are 1-Lipschitz, so |d x_i / d z_j| <= 1: c_i = |x_i| + sum_j |z_j|
        tot = mp.fsum(abs(mp.mpf(a)) for a in args)
        return tuple(abs(x) + tot for x in v)

    case["prox"] = {repr(t): _series(_vec_fn(lambda z, t=t: engine.prox_vec(act, z, t), n), zin,
                                     cond_fn=lipschitz_cond) for t in STEPS}
    case["phi_star"] = _series(_vec_fn(act.phi_star, n), zin)
    case["x"] = [[fmt_input(v) for v in x] for x in xs]
    case["psi"] = _series(_vec_fn(act.psi, n), [tuple(x) for x in xs])
    if act.psi_star is not None:
        case["y"] = case["z"]
        case["psi_star"] = _series(_vec_fn(act.psi_star, n), zin)

    def bregman(x, z):
        px = act.psi(x)
        if mp.isinf(px):
            return mp.inf
        return sum(v * v for v in x) / 2 + px + act.phi_star(z) - mp.fsum(p * q for p, q in zip(x, z))

    def bregman_size(x, z):
        px = act.psi(x)
        if mp.isinf(px):
            return mp.mpf(1)
        return (sum(v * v for v in x) / 2 + abs(px) + abs(act.phi_star(z))
                + mp.fsum(abs(p * q) for p, q in zip(x, z)))

    flat = [tuple(x) + tuple(z) for x, z in pairs]
    case["pairs"] = {"x": [[fmt_input(v) for v in p[0]] for p in pairs], "z": [[fmt_input(v) for v in p[1]] for p in pairs]}
    case["bregman"] = _series(_vec_fn(bregman, n, 2), flat, _vec_fn(bregman_size, n, 2))
    pin = [p for p in pairs if not mp.isinf(act.psi([mp.mpf(v) for v in p[0]]))]
    case["grad_pairs"] = {"x": [[fmt_input(v) for v in p[0]] for p in pin], "z": [[fmt_input(v) for v in p[1]] for p in pin]}
    case["grad"] = _series(_vec_fn(lambda x, z: [s - v for s, v in zip(act.sigma(z), x)], n, 2),
                           [tuple(x) + tuple(z) for x, z in pin],
                           _vec_fn(lambda x, z: [abs(s) + abs(v) for s, v in zip(act.sigma(z), x)], n, 2))
    return case


def activation_cases(name):
    """The cases (default parameters, then the extra value) of one activation."""
    if name in SEPARABLE:
        cls, extra, build = SEPARABLE[name], SEP_EXTRA.get(name), separable_case
    elif name in VECTOR:
        cls, extra, build = VECTOR[name], VEC_EXTRA.get(name), vector_case
    else:
        raise KeyError(f"no mpmath definition for activation {name!r}")
    cases = []
    for params, default in ((None, True), (extra, False)):
        if params is None and not default:
            continue
        act = cls(**(params or {}))
        case = build(act, name)
        cases.append({"params": dict(act.params), "default": default, **case})
    return cases


def header(elapsed: float | None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "description": "high-precision reference values of bregnet's activations (see docs/reference-set.md)",
        "generator": "python scripts/make_hp_reference.py --write",
        "mpmath_version": mp.__version__,
        "dps": {"start": list(engine.DPS_START), "max": engine.DPS_MAX, "agreement_digits": 30},
        "digits": DIGITS,
        "steps": list(STEPS),
        "seed": SEED,
        "date": datetime.date.today().isoformat(),
        "generation_seconds": None if elapsed is None else round(elapsed, 1),
        "tolerance_rule": "|got - value| <= k * 2**-52 * cond (+ k * 2**-1074); value 'inf'/'-inf' must be matched exactly",
    }


def _all_names():
    from bregnet.activations import names   # only the list of names is taken from bregnet
    return names()


def build(only=None, log=True):
    names = only or _all_names()
    acts, t0 = {}, time.time()
    for nm in names:
        t1 = time.time()
        acts[nm] = activation_cases(nm)
        if log:
            print(f"{nm}: {time.time() - t1:.1f} s", file=sys.stderr, flush=True)
    return acts, time.time() - t0


def load(path=OUTPUT) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def write(data: dict, path=OUTPUT) -> None:
    text = json.dumps(data, separators=(",", ":"), sort_keys=False)
    with open(path, "wb") as f:
        # mtime=0 and no file name: the bytes depend on the content only
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
            g.write(text.encode("utf-8"))


def _same_number(a: str, b: str, cond: bool) -> bool:
    if a == b:
        return True
    try:
        x, y = mp.mpf(a), mp.mpf(b)
    except (ValueError, TypeError):
        return False
    return abs(x - y) <= (mp.mpf("0.02") if cond else mp.mpf(10) ** -23) * abs(y)


def _compare(new, old, where, bad):
    """Compare a regenerated tree with the file's; decimal strings agree to 23 digits (conds to 2%).

    A ``{"value", "cond", "sampled"}`` node is compared at the sampled indices only.
    """
    if isinstance(new, dict) and "sampled" in new:
        for j, i in enumerate(new["sampled"]):
            for key in ("value", "cond"):
                a, b = new[key][j], old[key][i]
                a_l, b_l = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
                for u, v in zip(a_l, b_l):
                    if (u is None) != (v is None) or (u is not None and not _same_number(u, v, key == "cond")):
                        bad.append(f"{where}/{key}[{i}]: {a} regenerated, {b} in the file")
        return
    if isinstance(new, dict):
        for k in new:
            if k not in old:
                bad.append(f"{where}/{k}: missing in the file")
            else:
                _compare(new[k], old[k], f"{where}/{k}", bad)
    elif isinstance(new, list):
        if len(new) != len(old):
            bad.append(f"{where}: length {len(new)} != {len(old)} in the file")
            return
        for i, (a, b) in enumerate(zip(new, old)):
            _compare(a, b, f"{where}[{i}]", bad)
    elif isinstance(new, str) and isinstance(old, str):
        if not _same_number(new, old, False) and new != old:
            bad.append(f"{where}: {new!r} != {old!r}")
    elif new != old:
        bad.append(f"{where}: {new!r} != {old!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="regenerate and write the packaged file")
    g.add_argument("--check", action="store_true", help="regenerate (a sample) and compare with the file")
    g.add_argument("--merge", nargs="+", metavar="PART", help="merge files written with --write --out into the packaged file")
    ap.add_argument("--out", default=None, help="with --write: write here instead (parts for --merge)")
    ap.add_argument("--full", action="store_true", help="with --check: regenerate every point")
    ap.add_argument("--only", default=None, help="comma-separated activation names")
    ap.add_argument("--every", type=int, default=9, help="with --check: compare every k-th point (default 9)")
    args = ap.parse_args(argv)
    only = args.only.split(",") if args.only else None
    if args.merge:
        parts = [load(Path(p)) for p in args.merge]
        acts = {k: v for part in parts for k, v in part["activations"].items()}
        elapsed = sum(part["header"]["generation_seconds"] or 0 for part in parts)
        write({"header": header(elapsed), "activations": {k: acts[k] for k in sorted(acts)}})
        print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes) from {len(parts)} part(s), {len(acts)} activations")
        return 0
    if args.write:
        out = Path(args.out) if args.out else OUTPUT
        acts, elapsed = build(only)
        data = {"header": header(elapsed), "activations": {}}
        if only and out.exists():
            data["activations"] = load(out)["activations"]
        data["activations"].update(acts)
        data["activations"] = {k: data["activations"][k] for k in sorted(data["activations"])}
        write(data, out)
        print(f"wrote {out} ({out.stat().st_size} bytes, {elapsed:.0f} s)")
        return 0
    global SAMPLE_EVERY
    old = load()
    SAMPLE_EVERY = None if args.full else args.every
    acts, elapsed = build(only)
    bad = []
    for nm, cases in acts.items():
        if nm not in old["activations"]:
            bad.append(f"{nm}: not in the file")
            continue
        for c, oc in zip(cases, old["activations"][nm]):
            _compare(c, oc, nm, bad)
    k = SAMPLE_EVERY or 1
    for b in bad[:40]:
        print(b)
    print(f"{'OK' if not bad else 'MISMATCH'}: {len(bad)} difference(s); regenerated "
          f"{'all' if k == 1 else f'every {k}-th'} point(s) of {len(acts)} activation(s) in {elapsed:.0f} s")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
