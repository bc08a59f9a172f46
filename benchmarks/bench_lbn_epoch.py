"""Seconds per LBN-S epoch (Algorithm 1) against an SGD-BP epoch, side by side (issue 3; Section 6.1 setting).

Setting of Table 1: 784-64-64-10, ReLU hidden, identity output with MSE (identity Bregman loss),
|B| = 100, N = 15, float64.  Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist if present
(centred, one-hot targets), otherwise synthetic data of the same shape.  Baselines in the same run:
a NumPy SGD-BP epoch (plain forward/backward, lr 1e-3, written here) and a PyTorch SGD epoch if
``import torch`` works.  Run by hand, not a test:

    python benchmarks/bench_lbn_epoch.py [--samples 60000] [--repeats 1] [--threads N]
"""
from __future__ import annotations

import argparse
import gzip
import os
import time

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def _read_idx(path):
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_data(n):
    if os.path.isdir(DATA):
        X = _read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float64) / 255.0
        y = _read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).astype(np.int64)
        src = "Fashion-MNIST"
    else:
        rng = np.random.default_rng(0)
        X = rng.uniform(size=(60000, 784))
        y = rng.integers(0, 10, size=60000)
        src = "synthetic"
    X = X[:n]
    y = y[:n]
    X = X - X.mean(axis=0)
    return np.ascontiguousarray(X), np.eye(10)[y], src


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
    perm = torch.randperm(X.shape[0])
    for p in range(0, X.shape[0], batch):
        idx = perm[p:p + batch]
        opt.zero_grad()
        out = model(X[idx])
        loss = 0.5 * ((out - Y[idx]) ** 2).sum(dim=1).mean()
        loss.backward()
        opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    from bregnet.network import glorot_init
    from bregnet.solvers.implicit_stochastic import lbn_s

    X, Y, src = load_data(args.samples)
    print(f"data: {src}, {X.shape[0]} x {X.shape[1]}, float64; 784-64-64-10, relu/relu/identity, B=100, N=15")
    net = glorot_init([784, 64, 64, 10], ["relu", "relu", "identity"], seed=0)
    # warm-up (Numba compilation / cache load) on a small slice
    lbn_s(net, X[:300], Y[:300], epochs=1, batch_size=100, n_inner=15, prox_weight=100.0, record="none", seed=0)
    results = {}
    t_lbn = []
    for r in range(args.repeats):
        t = time.perf_counter()
        res = lbn_s(net, X, Y, epochs=1, batch_size=100, n_inner=15, prox_weight=100.0, record="none", seed=r)
        t_lbn.append(time.perf_counter() - t)
    results["LBN-S (bregnet, kernel)"] = min(t_lbn)
    t = time.perf_counter()
    lbn_s(net, X[:max(100, X.shape[0] // 10)], Y[:max(100, X.shape[0] // 10)], epochs=1, batch_size=100,
          n_inner=15, prox_weight=100.0, record="none", seed=0, use_kernel=False)
    results["LBN-S (bregnet, NumPy twin; timed on 1/10 of the data, x10)"] = 10 * (time.perf_counter() - t)
    t_sgd = []
    for r in range(args.repeats):
        Ws = [W.copy() for W in net.weights]
        bs = [b.copy() for b in net.biases]
        t = time.perf_counter()
        sgd_numpy_epoch(Ws, bs, X, Y, 1e-3, 100, np.random.default_rng(r))
        t_sgd.append(time.perf_counter() - t)
    results["SGD-BP (NumPy)"] = min(t_sgd)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                    torch.nn.ReLU(), torch.nn.Linear(64, 10)).double()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
        t_t = []
        for r in range(args.repeats):
            t = time.perf_counter()
            torch_epoch(Xt, Yt, 1e-3, 100, model, opt, torch)
            t_t.append(time.perf_counter() - t)
        results[f"SGD-BP (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)"] = min(t_t)
    else:
        print("PyTorch: not installed (import torch failed); comparing with the NumPy SGD-BP epoch only")
    for k, v in results.items():
        print(f"{k:62s} {v:8.3f} s/epoch")
    lbn = results["LBN-S (bregnet, kernel)"]
    for k, v in results.items():
        if k.startswith("SGD"):
            print(f"ratio LBN-S / {k}: {lbn / v:.2f}")


if __name__ == "__main__":
    main()
