"""Seconds per LBN-S epoch (Algorithm 1, Numba kernel) per hidden activation, and the ratio to ReLU (issue 13, item 4).

Setting of Table 1 (Section 6.1) with the hidden activation varied: 784-64-64-10, the activation on both hidden
layers, identity output with MSE (one extra row: tanh hidden with a softmax output), |B| = 100, N = 15,
rho = 100, c = 1.99, float64, one BLAS thread.  Data: Fashion-MNIST (centred, one-hot targets) if available,
otherwise synthetic data of the same shape.  Each timing is one call of
``bregnet.solvers.implicit_stochastic._kernel_epoch`` (the epoch's batches: gather, K = X0 X0^T, kernel) on
``--samples`` samples, scaled to a 60000-sample epoch.  All activations run in one process, interleaved (the
order rotates every repeat, each repeat on its own subset), so that the ratios to ReLU are measured under the
same load; the medians over ``--repeats`` are printed, of wall time and of the process's CPU time (less sensitive
to other processes on a shared machine), with the per-repeat CPU-time ratios.  Run by hand, not a test:

    python benchmarks/bench_lbn_activations.py [--samples 6000] [--repeats 5] [--acts tanh,sigmoid,...]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))

from bench_lbn_epoch import load_data  # noqa: E402  (Fashion-MNIST, centred, or synthetic data of its shape)

BATCH, N_INNER, RHO, C = 100, 15, 100.0, 1.99
SIZES = [784, 64, 64, 10]
DEFAULT = "relu,identity,leaky_relu,hard_tanh,hard_sigmoid,nonneg_soft_threshold,tanh,sigmoid,softplus,elu,tanh+softmax"


def setting(spec):
    """``(label, activations)`` from ``"tanh"`` (tanh, tanh, identity) or ``"tanh+softmax"`` (tanh, tanh, softmax)."""
    hidden, _, out = spec.partition("+")
    return spec, [hidden, hidden, out or "identity"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=6000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--acts", default=DEFAULT, help="comma-separated hidden activations (relu first is added)")
    args = ap.parse_args()
    import threadpoolctl

    from bregnet.lifted import LiftedProblem
    from bregnet.network import glorot_init
    from bregnet.solvers.implicit_stochastic import _kernel_epoch, kernel_supported, warm_start_vectors

    specs = [s for s in args.acts.split(",") if s]
    if "relu" not in specs:
        specs.insert(0, "relu")
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  {os.cpu_count()} CPUs  "
          f"load average at start {tuple(round(v, 2) for v in os.getloadavg())}")
    print(f"# command: python {' '.join(sys.argv)}")
    X, Y, src = load_data()
    n = min(args.samples, X.shape[0])
    threadpoolctl.threadpool_limits(1)
    runs = {}
    for spec in specs:
        label, acts = setting(spec)
        net = glorot_init(SIZES, acts, seed=0)
        prob = LiftedProblem.from_network(net)
        if not kernel_supported(prob):
            print(f"{label}: no compiled kernel (NumPy twin only); skipped")
            continue
        runs[label] = {"prob": prob, "net": net, "warm": warm_start_vectors(net)}
        _kernel_epoch(prob, net, X[:200], Y[:200], np.arange(200), BATCH, n_inner=N_INNER, prox_weight=RHO,
                      step_scale=C)                            # compile / load the cache
    print(f"data: {src}, {X.shape[0]} x {X.shape[1]}, float64; 784-64-64-10, B={BATCH}, N={N_INNER}, rho={RHO}; "
          f"subsets of {n} samples, {args.repeats} repeats, 1 thread")
    names = list(runs)
    wall = {k: [] for k in names}
    cpu = {k: [] for k in names}          # process CPU time: less sensitive to the other processes on the machine
    rng = np.random.default_rng(0)
    for r in range(args.repeats):
        lo = (r * n) % X.shape[0]
        idx = np.arange(lo, min(lo + n, X.shape[0]))
        order = rng.permutation(idx)
        scale = X.shape[0] / idx.size
        for k in names[r % len(names):] + names[:r % len(names)]:
            run = runs[k]
            t0, c0 = time.perf_counter(), time.process_time()
            run["net"], bad = _kernel_epoch(run["prob"], run["net"], X, Y, order, BATCH, n_inner=N_INNER,
                                            prox_weight=RHO, step_scale=C, warm=run["warm"])
            wall[k].append((time.perf_counter() - t0) * scale)
            cpu[k].append((time.process_time() - c0) * scale)
            if bad >= 0:
                print(f"note: {k} left non-finite parameters in repeat {r}")
    ref, cref = np.array(wall["relu"]), np.array(cpu["relu"])
    print(f"\n{'hidden activation (output)':28s} {'s/epoch median':>15s} {'min':>7s} {'ratio to relu':>14s} "
          f"{'CPU s median':>13s} {'CPU ratio':>10s}   per-repeat CPU ratios")
    for k in names:
        w, cw = np.array(wall[k]), np.array(cpu[k])
        print(f"{k:28s} {np.median(w):15.3f} {np.min(w):7.3f} {np.median(w) / np.median(ref):14.2f} "
              f"{np.median(cw):13.3f} {np.median(cw) / np.median(cref):10.2f}   {np.round(cw / cref, 2).tolist()}")
    print(f"# load average at end {tuple(round(v, 2) for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
