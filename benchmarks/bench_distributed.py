"""Seconds and bytes per round of data-parallel model averaging (Section 4.2.2, eq. (23)) against samples and workers.

One run, interleaved: for each number of samples s (sklearn's 8x8 digits, standardised, repeated to s rows) and
each executor, ``ModelAveraging(split="fixed", n_batches=m, method="proximal_gradient", n_inner=3)`` on a
64-32-10 ReLU network for ``--rounds`` rounds (``record="end"``: the rounds' time is the solver's ``wall_time``),
with the bytes each round sends and receives counted by :class:`bregnet.solvers.partitions.TransferMeter`
(pickled sizes of the tasks' arguments and results).  The batch solver is the lifted proximal gradient
(16)-(17), linear in the block size; Algorithm 1's inner loop (``method="lbn"``) forms the block's kernel
matrix :math:`X_0X_0^\top` (quadratic in the block size: 7 GB for a block of 30000 rows), so it suits blocks of
hundreds of rows, not the large blocks of a cluster:

* ``sync``: the blocks solved in turn in this process (the reference; bytes are what the tasks would carry);
* ``pool w``: :class:`~bregnet.solvers.partitions.ResidentProcessPool` of w processes (blocks installed once);
* ``dask w``: :class:`~bregnet.solvers.partitions.DaskResident` on a LocalCluster of w worker processes, one
  thread each (blocks scattered once);
* ``dask-reshuffle w``: ``split="reshuffle"`` on ``Client.get_executor()``: a new split every round, so every
  task carries its batch (what bregnet did before issue 18).

Every result is checked bit-identical to ``sync`` for the fixed split.  Placement (scatter / pool start) is
reported apart from the rounds.  Threads: one BLAS thread everywhere (``OMP_NUM_THREADS=1`` is set before NumPy
loads).  Run by hand:

    python benchmarks/bench_distributed.py [--samples 6000 60000 600000] [--workers 1 2] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, nargs="+", default=[6000, 60000, 600000])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--blocks", type=int, default=2, help="m, the number of blocks (default 2)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-reshuffle", action="store_true", help="skip the dask-reshuffle rows")
    args = p.parse_args(argv)
    if min(args.samples) < args.blocks or min(args.workers) < 1 or args.rounds < 1 or args.blocks < 1:
        p.error("--samples >= --blocks >= 1, --workers >= 1 and --rounds >= 1")
    return args


def digits_repeated(s: int):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / np.maximum(X.std(0), 1e-8)
    Y = np.eye(10)[y]
    reps = -(-s // X.shape[0])
    return np.ascontiguousarray(np.tile(X, (reps, 1))[:s]), np.ascontiguousarray(np.tile(Y, (reps, 1))[:s])


def one(solver, net, X, Y, rounds, executor):
    from bregnet.solvers.engine import run
    t0 = time.perf_counter()
    res = run(solver.replace(executor=executor), net, X, Y, epochs=rounds, seed=0, record="end")
    total = time.perf_counter() - t0
    per_round = res.history.wall_time[-1] / rounds
    return res, per_round, total


def main(argv=None):
    args = parse_args(argv)
    import distributed

    from bregnet.network import glorot_init
    from bregnet.solvers.model_averaging import ModelAveraging
    from bregnet.solvers.partitions import DaskResident, ResidentProcessPool, TransferMeter

    net = glorot_init([64, 32, 10], ["relu", "identity"], seed=0)
    theta_bytes = sum(a.nbytes for a in net.weights + net.biases)
    solver = ModelAveraging(n_batches=args.blocks, method="proximal_gradient", n_inner=3, split="fixed")
    clusters = {w: distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=40) for w in args.workers}
    clients = {w: distributed.Client(c) for w, c in clusters.items()}
    print(f"Theta: {theta_bytes} bytes; blocks m = {args.blocks}; rounds {args.rounds}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print("| samples | executor | s / round | placement + epoch-0 diagnostics s | sent B / round | "
          "received B / round | vs sync |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    warm = digits_repeated(200)
    one(solver, net, *warm, 1, None)                         # compile the kernels here
    for w, c in clients.items():
        one(solver, net, *warm, 1, DaskResident(c))           # and on the workers
    for s in args.samples:
        X, Y = digits_repeated(s)
        runs = [("sync", None, None)]
        runs += [(f"pool {w}", "pool", w) for w in args.workers]
        runs += [(f"dask {w}", "dask", w) for w in args.workers]
        if not args.no_reshuffle:
            runs += [(f"dask-reshuffle {w}", "reshuffle", w) for w in args.workers]
        ref_round, ref = None, None
        for name, kind, w in runs:
            meter = TransferMeter()
            sv = solver
            if kind is None:
                ex = meter.wrap(None)
            elif kind == "pool":
                ex = ResidentProcessPool(w, meter=meter)
            elif kind == "dask":
                ex = DaskResident(clients[w], meter=meter)
            else:
                ex, sv = meter.wrap(clients[w].get_executor()), solver.replace(split="reshuffle")
            res, per_round, total = one(sv, net, X, Y, args.rounds, ex)
            if hasattr(ex, "shutdown"):
                ex.shutdown()
            first = 1 if kind in ("pool", "dask") else 0         # resident: round 0 is the epoch-0 diagnostics
            upd = meter.rounds[first:first + args.rounds]
            sent = np.median([r[0] for r in upd])
            recv = np.median([r[1] for r in upd])
            if kind is None:
                ref_round, ref = per_round, res
            elif kind != "reshuffle":
                same = all(np.array_equal(p, q) for p, q in zip(ref.network.weights + ref.network.biases,
                                                                res.network.weights + res.network.biases))
                assert same, f"{name} at s={s} is not bit-identical to sync"
            print(f"| {s} | {name} | {per_round:.3f} | {total - per_round * args.rounds:.2f} | {sent:.0f} | "
                  f"{recv:.0f} | {ref_round / per_round:.2f}x |", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    for c in clients.values():
        c.close()
    for c in clusters.values():
        c.close()


if __name__ == "__main__":
    main()
