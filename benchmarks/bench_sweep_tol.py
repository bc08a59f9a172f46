"""Adaptive N (issue 13, target 2): LBN-S with a tolerance stop of the inner sweeps (``LBNS(sweep_tol=...)``) against
fixed N, on a Fashion-MNIST subset (784-64-64-10, batch 100, rho 1, Glorot seed 0, one BLAS thread).

Prints, per setting, the test accuracy after ``--epochs`` epochs, the mean sweeps per batch of the last epoch and
the process CPU time (the tolerance runs use the NumPy twin, the fixed-N runs the kernel: compare the sweeps, not
the seconds).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=12000, help="training samples (default 12000)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--tols", type=float, nargs="+", default=[1e-2, 3e-3], help="sweep_tol values (N <= 15)")
    args = ap.parse_args()
    if args.n_train < 100 or args.epochs < 1 or any(not t > 0 for t in args.tols):
        ap.error("--n-train must be >= 100, --epochs >= 1 and --tols positive")
    import threadpoolctl

    from bregnet import datasets
    from bregnet.network import glorot_init
    from bregnet.solvers import lbn_s
    threadpoolctl.threadpool_limits(1)
    d = datasets.load("fashion-mnist", centre=True)
    X, Y = d.X_train[:args.n_train], np.eye(10)[d.y_train[:args.n_train]]
    net = glorot_init([784, 64, 64, 10], ["relu", "relu", "identity"], seed=0)
    print(f"# load average at start {os.getloadavg()}")
    settings = [("N=15 fixed", dict(n_inner=15)), ("N=2 fixed", dict(n_inner=2))]
    settings += [(f"N<=15, sweep_tol={t:g}", dict(n_inner=15, sweep_tol=t)) for t in args.tols]
    for label, kw in settings:
        t = time.process_time()
        r = lbn_s(net, X, Y, epochs=args.epochs, batch_size=100, prox_weight=1.0, seed=0, record="none", **kw)
        acc = float(np.mean(np.argmax(r.network.forward(d.X_test), 1) == d.y_test))
        print(f"{label}: test accuracy {100 * acc:.2f}%  mean sweeps per batch (last epoch) "
              f"{float(r.state.get('mean_sweeps', kw['n_inner'])):.2f}  CPU {time.process_time() - t:.1f} s", flush=True)


if __name__ == "__main__":
    main()
