"""Seconds per LBN-S epoch (Algorithm 1) against SGD-BP epochs, side by side in one run (issue 3; Table 1 setting).

Setting of Table 1 (Section 6.1): 784-64-64-10, ReLU hidden, identity output with MSE (identity Bregman
loss), |B| = 100, N = 15, rho = 100, float64.  Data: Fashion-MNIST (``bregnet.datasets.load("fashion-mnist",
centre=True)``, one-hot targets) if available, otherwise synthetic data of the same shape.  Timed in the
same process, interleaved (the order of the methods rotates from repeat to repeat), on disjoint subsets of
``--samples`` training samples, each timing scaled to a 60000-sample epoch; the medians over ``--repeats``
are compared:

* LBN-S (bregnet, Numba kernel: one kernel call per epoch), timed on its training clock: the time inside
  ``bregnet.solvers.implicit_stochastic._kernel_epoch`` (the epoch's batches: gather, K = X0 X0^T, kernel),
  by a timing wrapper installed for the run.  Each ``lbn_s`` call also validates the data and, even with
  ``record="none"``, evaluates the lifted energy, residuals and loss on all its data once at the end (about as
  long as an epoch of training on Fashion-MNIST); a multi-epoch call pays that once, so it is not part of the
  epoch.  The whole call is printed too ("whole lbn_s call"); it is what this script reported before
  (until commit a8e13a3),
* SGD-BP (NumPy): plain mini-batch SGD with back-propagation, lr 1e-3, batch 100, written here,
* SGD-BP (bregnet): :func:`bregnet.backprop.sgd_bp` with the same options, timed by its own clock
  (``history.wall_time``: the epoch's steps, not the evaluation of the objective it records before and after;
  no CPU time for it),
* SGD-BP (PyTorch): the same network and loss (``torch.nn.Linear`` / ``ReLU``, ``.double()``, MSE = ``0.5 |out -
  y|^2`` averaged over the batch, ``torch.optim.SGD(lr=1e-3)``), if ``import torch`` works,
* the NumPy twin of Algorithm 1 (``use_kernel=False``), once, for reference.

Threads: ``--threads`` (default 2) for both BLAS libraries (NumPy's, and SciPy's which Numba calls; set by
threadpoolctl after both are loaded) and ``torch.set_num_threads``.  Wall time is the measure; process CPU
time is printed too (on a loaded machine it is the steadier of the two).  Run by hand, not a test:

    python benchmarks/bench_lbn_epoch.py [--samples 6000] [--repeats 5] [--threads 2] [--full]

``--full`` adds full 60000-sample epochs of LBN-S and of PyTorch SGD-BP at the end (``--full-repeats`` of each,
interleaved; default one).

GEMM throughput (issue 5): the multiply-adds of the matrix products of one LBN-S batch step are counted by
:func:`macs_lbn_batch`, which follows the control flow of ``bregnet.kernels.lifted.lbn_inner_loop`` (which
products each sweep recomputes and which cached pre-activations it reuses) plus the ``syrk`` of
:math:`K = X_0X_0^\top` done by the driver; those of an SGD-BP forward/backward pass by :func:`macs_sgd_batch`.
The power iterations (matrix-vector products, a few per cent of the work) and the elementwise work are not
counted.  Multiply-adds per epoch divided by the median seconds per epoch give the achieved rate, printed
next to NumPy's matmul peak measured at the end of the same run (best of several ``np.matmul`` calls on
1024 x 1024 float64 and on the shapes of the products above, at ``--threads`` and, because the LBN-S driver
runs its BLAS on one thread, also at one thread), and PyTorch's ``torch.mm`` on 1024 x 1024.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import numpy as np

# benchmark this checkout (not whatever bregnet an editable install points to)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LR, BATCH, N_INNER, RHO = 1e-3, 100, 15, 100.0
SIZES, ACTS = [784, 64, 64, 10], ["relu", "relu", "identity"]


def load_data():
    from bregnet import datasets
    try:
        d = datasets.load("fashion-mnist", centre=True)
        X, y, src = d.X_train, d.y_train, "Fashion-MNIST (centred)"
    except Exception as exc:                                   # noqa: BLE001 - any failure: synthetic data
        rng = np.random.default_rng(0)
        X = rng.uniform(size=(60000, 784))
        X -= X.mean(axis=0)
        y = rng.integers(0, 10, size=60000)
        src = f"synthetic ({type(exc).__name__}: Fashion-MNIST not available)"
    X = np.ascontiguousarray(X, dtype=np.float64)
    return X, np.eye(10)[y], src


def sgd_numpy_epoch(Ws, bs, X, Y, lr, batch, rng):
    """One epoch of mini-batch SGD with back-propagation (relu hidden, identity output, MSE loss)."""
    order = rng.permutation(X.shape[0])
    L = len(Ws)
    for p in range(0, X.shape[0], batch):
        idx = order[p:p + batch]
        xs = [X[idx]]
        zs = []
        for l in range(L):
            z = xs[-1] @ Ws[l] + bs[l]
            zs.append(z)
            xs.append(np.maximum(z, 0) if l < L - 1 else z)
        g = (xs[-1] - Y[idx]) / len(idx)          # d(1/2B |out - y|^2)/d out
        for l in range(L - 1, -1, -1):
            gW = xs[l].T @ g
            gb = g.sum(axis=0)
            if l > 0:
                g = (g @ Ws[l].T) * (zs[l - 1] > 0)
            Ws[l] -= lr * gW
            bs[l] -= lr * gb


def torch_epoch(X, Y, lr, batch, model, opt, torch):
    """One epoch of PyTorch SGD-BP (same network, loss and batches as :func:`sgd_numpy_epoch`)."""
    perm = torch.randperm(X.shape[0])
    for p in range(0, X.shape[0], batch):
        idx = perm[p:p + batch]
        opt.zero_grad()
        out = model(X[idx])
        loss = 0.5 * ((out - Y[idx]) ** 2).sum(dim=1).mean()
        loss.backward()
        opt.step()


def macs_lbn_batch(sizes, B, N, gram=True):
    """Multiply-adds of the matrix products of one LBN-S batch step (``lbn_inner_loop`` + the driver's syrk).

    Mirrors the kernel's control flow: the forward pass (its pre-activations valid), K = X0 X0^T (syrk: half
    of a B x n0 x B product, when the driver passes K in, i.e. ``gram``), then per sweep l = L..1 the same
    ``Zvalid`` bookkeeping: layer l >= 2 recomputes Z_{l-1} only if invalid, forms X_{l-1}^T D (theta step),
    X_{l-1} W_l (x-step residual), the pre-activation of layer l-1 (K A for layer 1, else X_{j-1} W_j) if
    invalid, and D W^T (x-step); layer 1 only updates A.  At the end W_1 = W_1^k - X0^T A.
    Returns a dict of the parts and ``"total"``.
    """
    L = len(sizes) - 1
    n = list(sizes)
    parts = {"forward": sum(B * n[l] * n[l + 1] for l in range(L)),
             "K = X0 X0^T": B * B * n[0] // 2 if gram else B * B * n[0], "sweeps": 0, "X0^T A": n[0] * B * n[1]}
    valid = [True] * L                    # Zvalid[l]: pre-activation of layer l+1 cached
    for _ in range(N):
        for l in range(L, 0, -1):
            if l == 1:
                if not valid[0]:
                    parts["sweeps"] += B * B * n[1]                          # K A
                    valid[0] = True
                valid[0] = False
                continue
            if not valid[l - 1]:
                parts["sweeps"] += B * n[l - 1] * n[l]                       # X_{l-1} W_l
            parts["sweeps"] += n[l - 1] * B * n[l]                           # X_{l-1}^T D  (theta step)
            parts["sweeps"] += B * n[l - 1] * n[l]                           # X_{l-1} W_l  (new theta)
            j = l - 1
            if j == 1:
                if not valid[0]:
                    parts["sweeps"] += B * B * n[1]                          # K A
                    valid[0] = True
            else:
                parts["sweeps"] += B * n[j - 1] * n[j]                       # X_{j-1} W_j
                valid[j - 1] = True
            parts["sweeps"] += B * n[l] * n[l - 1]                           # D W^T  (x-step)
            valid[l - 1] = False
    parts["total"] = sum(parts.values())
    return parts


def macs_sgd_batch(sizes, B):
    """Multiply-adds of one SGD-BP step: forward X W, backward X^T delta for every layer, delta W^T for l >= 2."""
    L = len(sizes) - 1
    fwd = sum(B * sizes[l] * sizes[l + 1] for l in range(L))
    return fwd + fwd + sum(B * sizes[l + 1] * sizes[l] for l in range(1, L))


def matmul_rate(m, k, n, repeats=5, min_time=0.05, torch=None):
    """Best-of-``repeats`` multiply-adds per second of (m x k) @ (k x n) float64 (NumPy, or torch.mm)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = np.empty((m, n))
    if torch is not None:
        a, b, out = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
        f = lambda: torch.mm(a, b, out=out)                        # noqa: E731
    else:
        f = lambda: np.matmul(a, b, out=out)                       # noqa: E731
    f()
    calls = max(1, int(min_time / max(_timed(f)[0], 1e-7)))
    best = min(_timed(lambda: [f() for _ in range(calls)])[0] / calls for _ in range(repeats))
    return m * k * n / best


PEAK_SHAPES = [(1024, 1024, 1024), (100, 784, 64), (784, 100, 64), (100, 100, 64), (100, 64, 64), (100, 64, 10)]


def epoch_clock():
    """Install a timing wrapper around ``implicit_stochastic._kernel_epoch`` (LBN-S's epoch of batches).

    Returns a list ``[wall, cpu]`` the wrapper accumulates into, or ``None`` (with a note printed) if bregnet no
    longer has that function; callers then time whole ``lbn_s`` calls.
    """
    from bregnet.solvers import implicit_stochastic
    orig = getattr(implicit_stochastic, "_kernel_epoch", None)
    if orig is None:
        print("note: bregnet.solvers.implicit_stochastic._kernel_epoch not found; LBN-S timed by whole lbn_s calls")
        return None
    acc = [0.0, 0.0]

    def timed_kernel_epoch(*a, **kw):
        c, w = time.process_time(), time.perf_counter()
        try:
            return orig(*a, **kw)
        finally:
            acc[0] += time.perf_counter() - w
            acc[1] += time.process_time() - c
    implicit_stochastic._kernel_epoch = timed_kernel_epoch      # for this process only
    return acc


def _timed(f):
    c, w = time.process_time(), time.perf_counter()
    f()
    return time.perf_counter() - w, time.process_time() - c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=6000, help="samples per timed subset (scaled to 60000)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="also full 60000-sample epochs of LBN-S and PyTorch")
    ap.add_argument("--full-repeats", type=int, default=1,
                    help="with --full: this many full epochs of each, interleaved (medians compared)")
    args = ap.parse_args()
    import threadpoolctl

    from bregnet.network import glorot_init
    from bregnet.solvers.implicit_stochastic import lbn_s

    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
          f"{os.cpu_count()} CPUs  load average at start {os.getloadavg()}")
    print(f"# command: python {' '.join(sys.argv)}")
    X, Y, src = load_data()
    n = min(args.samples, X.shape[0])
    print(f"data: {src}, {X.shape[0]} x {X.shape[1]}, float64; 784-64-64-10, relu/relu/identity, B={BATCH}, "
          f"N={N_INNER}, rho={RHO}; subsets of {n} samples, {args.repeats} repeats, {args.threads} threads")
    net = glorot_init(SIZES, ACTS, seed=0)
    lbn_kw = dict(epochs=1, batch_size=BATCH, n_inner=N_INNER, prox_weight=RHO, record="none")
    lbn_s(net, X[:300], Y[:300], seed=0, **lbn_kw)            # Numba compilation / cache load
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch: not installed (import torch failed); comparing with the NumPy SGD-BP epoch only")
    threadpoolctl.threadpool_limits(args.threads)              # NumPy's and SciPy's (Numba's) BLAS
    methods = {}
    state = {"lbn": net}
    inside = epoch_clock() or [0.0, 0.0]
    whole = []

    def lbn(Xs, Ys, r):
        """LBN-S epoch; returns (wall, CPU) inside _kernel_epoch; the whole call's wall time goes to ``whole``."""
        w0, c0 = inside
        w, c = _timed(lambda: state.__setitem__("lbn", lbn_s(state["lbn"], Xs, Ys, seed=r, **lbn_kw).network))
        whole.append(w)
        if inside[0] == w0:                                     # no wrapper (or no kernel): the whole call
            return w, c
        return inside[0] - w0, inside[1] - c0
    methods["LBN-S (bregnet, Numba kernel)"] = lbn
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    methods["SGD-BP (NumPy)"] = lambda Xs, Ys, r: sgd_numpy_epoch(Ws, bs, Xs, Ys, LR, BATCH, np.random.default_rng(r))
    from bregnet.backprop import sgd_bp
    bname = "SGD-BP (bregnet.backprop.sgd_bp)"
    state["sgd"] = net

    def sgd_bregnet(Xs, Ys, r):
        state["sgd"], hist = sgd_bp(state["sgd"], Xs, Ys, epochs=1, batch_size=BATCH, lr=LR, seed=r)
        return hist.wall_time[-1], float("nan")                   # its own clock: the steps only
    methods[bname] = sgd_bregnet
    tname = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                    torch.nn.ReLU(), torch.nn.Linear(64, 10)).double()
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        Xt, Yt = torch.from_numpy(X.copy()), torch.from_numpy(Y.copy())
        torch_epoch(Xt[:1000], Yt[:1000], LR, BATCH, model, opt, torch)          # warm-up
        tname = f"SGD-BP (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)"
        methods[tname] = lambda Xs, Ys, r: torch_epoch(Xt[Xs], Yt[Xs], LR, BATCH, model, opt, torch)

    names = list(methods)
    wall = {k: [] for k in names}
    cpu = {k: [] for k in names}
    for r in range(args.repeats):
        lo = (r * n) % X.shape[0]
        sl = slice(lo, min(lo + n, X.shape[0]))
        scale = X.shape[0] / (sl.stop - sl.start)
        for k in names[r % len(names):] + names[:r % len(names)]:           # rotate the order
            if k == tname:
                w, c = _timed(lambda: methods[k](sl, sl, r))
            elif k in (bname, names[0]):                             # self-timed
                w, c = methods[k](X[sl], Y[sl], r)
            else:
                w, c = _timed(lambda: methods[k](X[sl], Y[sl], r))
            wall[k].append(w * scale)
            cpu[k].append(c * scale)
    whole_sub = np.array(whole) * (X.shape[0] / n)
    m = max(100, n // 10)
    w, c = _timed(lambda: lbn_s(net, X[:m], Y[:m], seed=0, use_kernel=False, **lbn_kw))
    twin = (w * X.shape[0] / m, c * X.shape[0] / m)

    print(f"\n{'method':52s} {'wall median':>12s} {'wall min':>9s} {'CPU median':>11s}   (s per 60000-sample epoch)")
    for k in names:
        print(f"{k:52s} {np.median(wall[k]):12.3f} {np.min(wall[k]):9.3f} {np.median(cpu[k]):11.3f}")
    print(f"{'LBN-S (bregnet, NumPy twin; once, ' + str(m) + ' samples)':52s} {twin[0]:12.3f} {'':9s} {twin[1]:11.3f}")
    print(f"{'  whole lbn_s call (incl. end-of-call diagnostics)':52s} {np.median(whole_sub):12.3f} "
          f"{np.min(whole_sub):9.3f}")
    lk = names[0]
    print()
    for k in names[1:]:
        print(f"ratio LBN-S / {k}: wall medians {np.median(wall[lk]) / np.median(wall[k]):.2f}, "
              f"per-repeat wall ratios {np.round(np.array(wall[lk]) / np.array(wall[k]), 2).tolist()}, "
              f"CPU medians {np.median(cpu[lk]) / np.median(cpu[k]):.2f}")
    if tname is not None:
        print(f"ratio whole lbn_s call / {tname}: wall medians {np.median(whole_sub) / np.median(wall[tname]):.2f}")
    if args.full:
        reps = max(1, args.full_repeats)
        full = {lk: []}
        if tname is not None:
            full[tname] = []
        whole.clear()
        for r in range(reps):                                   # interleaved, order alternating
            order = list(full) if r % 2 == 0 else list(full)[::-1]
            for k in order:
                if k == lk:
                    full[lk].append(lbn(X, Y, 99 + r))
                else:
                    full[k].append(_timed(lambda: torch_epoch(Xt, Yt, LR, BATCH, model, opt, torch)))
        print(f"\nfull 60000-sample epochs ({reps} each, interleaved; median wall, min wall, median CPU):")
        for k, v in full.items():
            w = np.array([x[0] for x in v]); c = np.array([x[1] for x in v])
            print(f"{k:52s} {np.median(w):12.3f} {np.min(w):9.3f} {np.median(c):11.3f}")
        print(f"{'  whole lbn_s call (incl. end-of-call diagnostics)':52s} {np.median(whole):12.3f}")
        if tname is not None:
            wl = np.array([x[0] for x in full[lk]]); wt = np.array([x[0] for x in full[tname]])
            print(f"ratio LBN-S / {tname} (full epochs): medians {np.median(wl) / np.median(wt):.2f}, "
                  f"per pair {np.round(wl / wt, 2).tolist()}")
    # GEMM throughput against NumPy's matmul peak, measured now, in the same process
    nb = X.shape[0] / BATCH
    lbn_parts = macs_lbn_batch(SIZES, BATCH, N_INNER)
    sgd_macs = macs_sgd_batch(SIZES, BATCH)
    print(f"\nmultiply-adds per batch step (products only): LBN-S {lbn_parts['total'] / 1e6:.2f} M ("
          + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in lbn_parts.items() if k != "total")
          + f"); SGD-BP forward/backward {sgd_macs / 1e6:.2f} M; ratio {lbn_parts['total'] / sgd_macs:.2f}")
    print(f"{'method':52s} {'G madd/epoch':>12s} {'G madd/s (wall median)':>23s} {'(wall min)':>11s}")
    for k in names:
        per = (lbn_parts["total"] if k == lk else sgd_macs) * nb
        print(f"{k:52s} {per / 1e9:12.2f} {per / np.median(wall[k]) / 1e9:23.2f} {per / np.min(wall[k]) / 1e9:11.2f}")
    thread_counts = [args.threads] + ([1] if args.threads != 1 else [])
    print("\nNumPy matmul peak (float64, best of 5, G multiply-adds/s); shape m x k x n:")
    print(f"{'threads':>8s} " + " ".join(f"{'x'.join(map(str, sh)):>14s}" for sh in PEAK_SHAPES))
    for th in thread_counts:
        with threadpoolctl.threadpool_limits(th):
            rates = [matmul_rate(*sh) / 1e9 for sh in PEAK_SHAPES]
        print(f"{th:8d} " + " ".join(f"{r:14.2f}" for r in rates))
    if torch is not None:
        for th in thread_counts:
            torch.set_num_threads(th)
            print(f"torch.mm 1024x1024x1024, {th} thread(s): {matmul_rate(1024, 1024, 1024, torch=torch) / 1e9:.2f} "
                  f"G multiply-adds/s")
        torch.set_num_threads(args.threads)
    print(f"# load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
