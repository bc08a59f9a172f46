"""The ``bregnet`` command.

``bregnet check`` verifies the laws of Section 3 of the paper (Definition 1, Remark 2, Lemma 4,
Theorem 7, Lemma 8, Corollary 6, Theorem 10) numerically on every registered activation, using
the public laws of :mod:`bregnet.testing`, and prints one row per activation with the worst
violation relative to its tolerance.  Exit status 0 means every law held, 1 that one failed,
2 a usage error.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

__all__ = ["main", "check_activation"]


def _law_table(act, rng, n, n_rows):
    """Run the laws on one activation; return {law: (ok, message)}."""
    from . import testing as bt

    c = bt.activation_callables(act)
    z = rng.normal(scale=3.0, size=(n_rows, n))
    z[0] = 0.0
    z[1] = 1e8 * np.sign(rng.normal(size=n))
    z2 = rng.normal(scale=3.0, size=(n_rows, n))
    x = act.prox(rng.normal(scale=3.0, size=(n_rows, n)))
    x2 = act.prox(rng.normal(scale=3.0, size=(n_rows, n)))
    small = z[2:6, : min(n, 3)]
    laws = {
        "prox (9)": lambda: bt.check_prox_optimality(c.prox, c.psi, small),
        "3-point": lambda: bt.check_three_point_inequality(c.sigma, c.psi, z, x),
        "Rem.2": lambda: bt.check_remark2_inclusion(c.sigma, c.psi, z, x),
        "Thm.7": lambda: bt.check_moreau_identity(c.sigma, c.prox_conjugate, z, psi_star=c.psi_star),
        "Lem.4": lambda: bt.check_lemma4_fenchel_young(c.sigma, c.psi, c.phi_star, z, x),
        "Lem.8": lambda: bt.check_theorem10_item6(c.bregman, c.sigma, x, z2),
        "grad Phi*": lambda: bt.check_conjugate_gradient(c.phi_star, c.sigma, z2),
        "Cor.6": lambda: bt.check_corollary6(c.bregman, c.sigma, x, z),
        "T10.7": lambda: bt.check_theorem10_item7(c.bregman, c.sigma, x, z),
        "T10.8": lambda: bt.check_theorem10_item8(c.bregman, x, x2, z, z2),
        "T10.10": lambda: bt.check_theorem10_item10(c.grad, x, z, z2),
        "T10.11": lambda: bt.check_theorem10_item11(c.grad, x, z, z2),
    }
    if small.shape[-1] != n:  # the direct minimisation law runs on the first <= 3 coordinates only when separable
        if not act.separable:
            small = z[2:6]
            laws["prox (9)"] = lambda: bt.check_prox_optimality(c.prox, c.psi, small)
    out = {}
    for name, law in laws.items():
        try:
            law()
            out[name] = (True, "")
        except bt.LawViolation as exc:
            out[name] = (False, str(exc))
    return out


def check_activation(name: str, *, seed: int = 0, n: int = 3, n_rows: int = 32) -> dict:
    """Run the Section 3 laws on the registered activation ``name``; return ``{law: (ok, message)}``.

    Examples
    --------
    >>> result = check_activation("relu")
    >>> all(ok for ok, _ in result.values())
    True
    """
    from .activations import get

    rng = np.random.default_rng(seed)
    return _law_table(get(name), rng, n, n_rows)


def _cmd_check(args) -> int:
    from .activations import names

    selected = args.activations or names()
    unknown = [a for a in selected if a not in names()]
    if unknown:
        print(f"bregnet check: unknown activation(s) {', '.join(unknown)}; known: {', '.join(names())}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rows, failures = [], []
    header = None
    for i, name in enumerate(selected):
        res = check_activation(name, seed=args.seed + i, n=args.n)
        if header is None:
            header = list(res)
        rows.append((name, res))
        failures += [(name, law, msg) for law, (ok, msg) in res.items() if not ok]
    width = max(len(n) for n in selected)
    print(f"Section 3 laws on {len(selected)} activations (n = {args.n}, seed = {args.seed}); "
          f"'ok' = held within tolerance, 'FAIL' = violated")
    print(" ".join([f"{'activation':<{width}}"] + [f"{h:>9}" for h in header]))
    for name, res in rows:
        print(" ".join([f"{name:<{width}}"] + [f"{'ok' if res[h][0] else 'FAIL':>9}" for h in header]))
    print(f"{len(selected) * len(header) - len(failures)} laws held, {len(failures)} failed "
          f"({time.perf_counter() - t0:.1f} s)")
    for name, law, msg in failures:
        print(f"\n[{name}] {law}:\n{msg}", file=sys.stderr)
    return 0 if not failures else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bregnet", description="Lifted Bregman training of neural networks (Wang & Benning, 2023).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    c = sub.add_parser("check", help="verify the laws of Section 3 on every registered activation and print a table")
    c.add_argument("activations", nargs="*", help="activation names (default: all registered)")
    c.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    c.add_argument("--n", type=int, default=3, help="vector length (default 3)")
    c.set_defaults(func=_cmd_check)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
