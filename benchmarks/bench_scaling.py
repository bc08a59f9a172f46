"""How the LBN-S epoch grows with width and batch size, against PyTorch SGD-BP (issue 13, target 6).

Network 784-w-w-10 (ReLU, ReLU, identity; MSE = identity Bregman loss), widths ``--widths`` (default 64 256
1024), batch sizes ``--batches`` (default 20 100 1000), Glorot seed 0, float64 (``--dtype``), N = ``--n-inner``
(default the paper's 15), rho = 1.  Data: Fashion-MNIST (centred) if installed, else synthetic data of its shape.

For each (width, batch) the script times, interleaved and in one process (the order alternates from repeat to
repeat), ``--repeats`` epochs over ``--samples`` training samples of

* LBN-S (``bregnet.solvers.lbn_s``, Numba kernel) on its training clock (the time inside
  ``implicit_stochastic._kernel_epoch``, as in ``bench_lbn_epoch.py``), and
* SGD-BP in PyTorch (``torch.nn.Linear``/``ReLU`` in the same dtype, ``torch.optim.SGD``, lr 0.1, the same
  batch size),

scales the medians to a 60000-sample epoch and prints seconds per epoch and the ratio LBN-S / PyTorch.  Threads:
``--threads`` (default 1) for NumPy's and SciPy's BLAS and ``torch.set_num_threads``.  Run by hand, not a test:

    python benchmarks/bench_scaling.py [--samples 3000] [--repeats 3] [--threads 1] [--widths 64 256 1024]
        [--batches 20 100 1000] [--n-inner 15] [--dtype float64]
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
sys.path.insert(0, os.path.dirname(HERE))          # benchmark this checkout
sys.path.insert(1, HERE)

from bench_lbn_epoch import epoch_clock, load_data, torch_epoch  # noqa: E402


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=3000, help="samples per timed epoch (scaled to 60000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--widths", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--batches", type=int, nargs="+", default=[20, 100, 1000])
    ap.add_argument("--n-inner", type=int, default=15)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = ap.parse_args(argv)
    if min([args.samples, args.repeats, args.threads, args.n_inner, *args.widths, *args.batches]) < 1:
        ap.error("every count must be >= 1")
    if max(args.batches) > args.samples:
        ap.error("--samples must be at least the largest batch size")
    return args


def torch_model(net, torch):
    layers = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = torch.nn.Linear(W.shape[0], W.shape[1]).to(torch.from_numpy(W).dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers += [lin] + ([torch.nn.ReLU()] if l < len(net.weights) - 1 else [])
    return torch.nn.Sequential(*layers)


def time_pair(args, width, batch, X, Y, torch, clock):
    """Median seconds per 60000-sample epoch of LBN-S (training clock) and of PyTorch SGD-BP."""
    from bregnet.network import glorot_init
    from bregnet.solvers import lbn_s
    net = glorot_init([784, width, width, 10], ["relu", "relu", "identity"], seed=0, dtype=args.dtype)
    model = torch_model(net, torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    kw = dict(batch_size=batch, n_inner=args.n_inner, prox_weight=1.0, record="end", epochs=1)
    lbn_s(net, X[:2 * batch], Y[:2 * batch], seed=0, **kw)            # compile / load the kernel for this dtype
    lbn, tor = [], []
    for r in range(args.repeats):
        for which in (("lbn", "torch") if r % 2 == 0 else ("torch", "lbn")):
            if which == "lbn":
                before = clock[0]
                net = lbn_s(net, X, Y, seed=r, **kw).network
                lbn.append(clock[0] - before)
            else:
                t = time.perf_counter()
                torch_epoch(Xt, Yt, 0.1, batch, model, opt, torch)
                tor.append(time.perf_counter() - t)
    scale = 60000 / X.shape[0]
    return scale * float(np.median(lbn)), scale * float(np.median(tor))


def main(argv=None):
    args = parse(argv)
    import threadpoolctl
    import torch
    X, Y, src = load_data()
    X, Y = np.array(X[:args.samples], dtype=args.dtype), np.array(Y[:args.samples], dtype=args.dtype)   # writeable
    clock = epoch_clock()
    if clock is None:
        sys.exit("bench_scaling: implicit_stochastic._kernel_epoch is gone; update the script")
    threadpoolctl.threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  {os.cpu_count()} CPUs  "
          f"load average at start {os.getloadavg()}")
    print(f"# command: python {' '.join(sys.argv)}")
    print(f"data: {src}, {args.samples} samples per timed epoch (scaled to 60000); N={args.n_inner}, rho=1, "
          f"{args.dtype}, {args.threads} thread(s); PyTorch {torch.__version__.split('+')[0]} SGD lr 0.1\n")
    print(f"{'width':>5s} {'batch':>5s} {'LBN-S s/epoch':>13s} {'PyTorch s/epoch':>15s} {'ratio':>6s}")
    for width in args.widths:
        for batch in args.batches:
            lbn, tor = time_pair(args, width, batch, X, Y, torch, clock)
            print(f"{width:5d} {batch:5d} {lbn:13.2f} {tor:15.2f} {lbn / tor:6.2f}", flush=True)
    print(f"# load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
