"""Record every solver's iterates on a small problem, as the engine refactoring's reference (issue 11).

Writes ``tests/data/engine_reference_v1.npz``: for each configuration in :data:`CONFIGS`, the network after
every epoch (the lifted solvers: a run of ``k`` epochs for k = 1..3 is the same as the first k epochs of a
run of 3, so the run of 3 epochs and its per-epoch history are stored), and the per-epoch history.
``tests/solvers/test_engine_reference.py`` recomputes them and requires equality.

``python scripts/make_engine_reference.py --check`` says which configurations are still bit-identical.
Run from a checkout: ``python scripts/make_engine_reference.py --write`` (only when an algorithm changes on purpose;
say so in the commit).
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bregnet.network import glorot_init  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "engine_reference_v1.npz")
EPOCHS = 3


def problem(acts=("relu", "relu", "identity"), sizes=(6, 5, 4, 3), n=24, seed=0):
    net = glorot_init(list(sizes), list(acts), seed=seed, bias=0.05)
    rng = np.random.default_rng(seed + 7)
    X = rng.normal(size=(n, sizes[0]))
    Y = rng.normal(size=(n, sizes[-1]))
    return net, X, Y


def _lifted(name, **kw):
    def run():
        from bregnet import solvers
        net, X, Y = problem()
        fn = getattr(solvers, name)
        res = fn(net, X, Y, **kw)
        h = res.history
        return res.network, {"energy": np.array(h.energy), "forward_loss": np.array(h.forward_loss)}
    return run


def _baseline(name, **kw):
    def run():
        from bregnet import backprop
        net, X, Y = problem()
        nets = []
        out, hist = getattr(backprop, name)(net, X, Y, callback=lambda n, e: nets.append(n), **kw)
        keys = ("objective",) if not hasattr(hist, "energy") else ("energy",)
        extra = {k: np.array(getattr(hist, k)) for k in keys}
        for e, n in enumerate(nets):
            for l, (W, b) in enumerate(zip(n.weights, n.biases)):
                extra[f"epoch{e}_W{l}"] = W
                extra[f"epoch{e}_b{l}"] = b
        return out, extra
    return run


CONFIGS = {
    "lbn_s_kernel": _lifted("lbn_s", epochs=EPOCHS, batch_size=8, n_inner=4, prox_weight=1.0, seed=3,
                            use_kernel=True),
    "lbn_s_numpy": _lifted("lbn_s", epochs=EPOCHS, batch_size=8, n_inner=4, prox_weight=1.0, seed=3,
                           use_kernel=False),
    "lbn_s_l1": _lifted("lbn_s", epochs=EPOCHS, batch_size=8, n_inner=3, prox_weight=0.5, seed=4, l1=(1, 0.05)),
    "lbn_d": _lifted("lbn_d", epochs=EPOCHS, n_inner=3),
    "proximal_gradient": _lifted("proximal_gradient", epochs=EPOCHS),
    "proximal_gradient_nesterov": _lifted("proximal_gradient", epochs=EPOCHS + 2, acceleration="nesterov"),
    "proximal_gradient_jacobi": _lifted("proximal_gradient", epochs=EPOCHS, scheme="jacobi"),
    "stochastic_proximal_gradient": _lifted("stochastic_proximal_gradient", epochs=EPOCHS, batch_size=8, seed=5,
                                            step_decay=0.6),
    "coordinate_descent": _lifted("coordinate_descent", epochs=EPOCHS),
    "coordinate_descent_sequential": _lifted("coordinate_descent", epochs=EPOCHS, scheme="sequential"),
    "coordinate_descent_admm": _lifted("coordinate_descent", epochs=EPOCHS, inner="admm", n_inner=3),
    "bregman_iterations": _lifted("bregman_iterations", epochs=EPOCHS),
    "residual": _lifted("residual_proximal_gradient", epochs=EPOCHS),
    "model_averaging": _lifted("model_averaging", rounds=EPOCHS, n_batches=3, n_inner=3, seed=6),
    "parallel_implicit": _lifted("parallel_implicit", rounds=EPOCHS, n_batches=3, n_inner=3, seed=6),
    "gd_bp": _baseline("gd_bp", epochs=EPOCHS, lr=0.05),
    "sgd_bp": _baseline("sgd_bp", epochs=EPOCHS, batch_size=8, lr=0.05, seed=8),
    "isgd_bp": _baseline("isgd_bp", epochs=EPOCHS, batch_size=8, lr=0.05, inner_steps=3, seed=8),
    "adam_bp": _baseline("adam_bp", epochs=EPOCHS, batch_size=8, lr=0.01, seed=8),
    "classical_lifted": _baseline("classical_lifted", epochs=EPOCHS),
    "mac_qp": _baseline("mac_qp", epochs=EPOCHS),
}


def constrained_run():
    from bregnet.solvers import constrained
    net, X, Y = problem()
    res = constrained(net, X, Y, outer=2, inner_epochs=3)
    return res.network, {}


CONFIGS["constrained"] = constrained_run


def record(name) -> dict:
    net, extra = CONFIGS[name]()
    out = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        out[f"{name}/W{l}"] = W
        out[f"{name}/b{l}"] = b
    for k, v in extra.items():
        out[f"{name}/{k}"] = np.asarray(v)
    return out


def check() -> int:
    """Compare the solvers as they are now with the file; print which are bit-identical (exit 1 if any differs)."""
    with np.load(OUT) as z:
        ref = {k: z[k] for k in z.files}
    bad = 0
    for name in CONFIGS:
        fresh = record(name)
        worst = max(float(np.max(np.abs(fresh[k] - ref[k]), initial=0.0)) if fresh[k].shape == ref[k].shape
                    else np.inf for k in fresh)
        same = all(np.array_equal(fresh[k], ref[k]) for k in fresh) and sorted(fresh) == sorted(
            k for k in ref if k.split("/")[0] == name)
        bad += not same
        print(f"{name:32s} {'bit-identical' if same else f'DIFFERS (max abs {worst:.3g})'}")
    return int(bad > 0)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the file instead of rewriting it")
    ap.add_argument("--write", action="store_true", help="rewrite the reference file (an algorithm changed on purpose)")
    args = ap.parse_args(argv)
    if args.check:
        raise SystemExit(check())
    if not args.write:
        ap.error("say --check, or --write to rewrite the committed reference")
    payload = {}
    for name in CONFIGS:
        payload.update(record(name))
    np.savez_compressed(OUT, **payload)
    print(f"wrote {os.path.relpath(OUT)}: {len(CONFIGS)} configurations, {len(payload)} arrays")


if __name__ == "__main__":
    main()
