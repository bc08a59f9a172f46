"""Time LBN-S needs to reach SGD-BP's final training objective, sparse autoencoder (Fig. 3 setting; issue 13, target 3).

The paper's claim (Section 6.2) is that lifted training reaches a low training objective much sooner than
back-propagation.  Setting of ``bench_sparse_ae_epoch.py`` (784-784-784-784-784, 1,000 images, alpha = 0.09,
batch 20; LBN-S N = 15, proximal weight 1; SGD-BP lr 3e-2), one process, one BLAS thread:

1. SGD-BP (``bregnet.backprop.sgd_bp``, epoch by epoch with one shared generator) for ``--sgd-epochs``
   epochs (default 50, Fig. 7's length); its final training objective F* and the training time it took
   (the steps, ``history.wall_time``);
2. LBN-S (``bregnet.solvers.lbn_s``, epoch by epoch with its state carried) until its training objective
   (1/s) sum 1/2 |x_hat - x|^2 + alpha (1/s) sum |x_2|_1 of the forward network is <= F*, or ``--max-epochs``;
   its training time (the whole ``lbn_s`` calls, so its end-of-call energy evaluation is included);
3. the ratio of the two times, and the first SGD-BP epoch whose objective is below LBN-S's at each LBN-S epoch.

Objectives are evaluated outside the clocks.  Run by hand, not a test::

    python benchmarks/bench_sparse_ae_time_to_objective.py [--sgd-epochs 50] [--max-epochs 40]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(1, HERE)

from bench_sparse_ae_epoch import ALPHA, B, CODE, LR, N_INNER, RHO, ae_net, load_data  # noqa: E402


def objective(net, X) -> float:
    """The training objective of the forward network (the one both methods report)."""
    zs, xs = net.forward_all(X)
    d = xs[-1] - X
    return float(0.5 * np.sum(d * d) / X.shape[0] + ALPHA * np.sum(np.abs(xs[CODE])) / X.shape[0])


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sgd-epochs", type=int, default=50, help="SGD-BP epochs whose final objective is the target")
    ap.add_argument("--max-epochs", type=int, default=40, help="LBN-S epochs at most")
    args = ap.parse_args(argv)
    if args.sgd_epochs < 1 or args.max_epochs < 1:
        ap.error("--sgd-epochs and --max-epochs must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse(argv)
    import threadpoolctl

    from bregnet.backprop import sgd_bp
    from bregnet.solvers import lbn_s
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
          f"{os.cpu_count()} CPUs  load average at start {os.getloadavg()}")
    print(f"# command: python {' '.join(sys.argv)}")
    X, src = load_data()
    net = ae_net()
    print(f"data: {src}; 784-784-784-784-784; B={B}; LBN-S N={N_INNER} rho={RHO}; SGD-BP lr {LR}; 1 BLAS thread")
    lbn_s(net, X[:40], X[:40], seed=0, epochs=1, batch_size=B, n_inner=N_INNER, l1=(CODE, ALPHA), record="none")
    threadpoolctl.threadpool_limits(1)
    gen, sgd, sgd_t, sgd_obj = np.random.default_rng(0), net, 0.0, []
    for _ in range(args.sgd_epochs):
        sgd, hist = sgd_bp(sgd, X, X, epochs=1, batch_size=B, lr=LR, l1_alpha=ALPHA, l1_layer=CODE, rng=gen)
        sgd_t += hist.wall_time[-1]
        sgd_obj.append(objective(sgd, X))
    target = sgd_obj[-1]
    print(f"SGD-BP: {args.sgd_epochs} epochs, {sgd_t:.1f} s training, final objective {target:.4f}")
    gen, lbn, state, lbn_t, reached = np.random.default_rng(0), net, None, 0.0, None
    for e in range(1, args.max_epochs + 1):
        t = time.perf_counter()
        res = lbn_s(lbn, X, X, epochs=1, batch_size=B, n_inner=N_INNER, prox_weight=RHO, l1=(CODE, ALPHA),
                    rng=gen, record="none", state=state)
        lbn_t += time.perf_counter() - t
        lbn, state = res.network, res.state
        f = objective(lbn, X)
        sgd_match = next((i + 1 for i, v in enumerate(sgd_obj) if v <= f), None)
        print(f"LBN-S epoch {e:3d}: {lbn_t:7.1f} s, objective {f:.4f} (SGD-BP first below it at epoch "
              f"{sgd_match if sgd_match else '> ' + str(args.sgd_epochs)})", flush=True)
        if f <= target:
            reached = (e, lbn_t)
            break
    if reached is None:
        print(f"LBN-S did not reach {target:.4f} in {args.max_epochs} epochs ({lbn_t:.1f} s)")
    else:
        print(f"LBN-S reached SGD-BP's {args.sgd_epochs}-epoch objective after {reached[0]} epochs, {reached[1]:.1f} s: "
              f"ratio of times LBN-S / SGD-BP = {reached[1] / sgd_t:.2f}")
    print(f"# load average at end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
