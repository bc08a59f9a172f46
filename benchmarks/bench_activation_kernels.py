"""Benchmark: compiled activation kernels (bregnet.kernels) against their NumPy twins.

Run by hand (not a test)::

    python benchmarks/bench_activation_kernels.py            # first calls load the on-disk cache
    python benchmarks/bench_activation_kernels.py --cold     # fresh NUMBA_CACHE_DIR: first calls compile

For every kernel (ReLU, soft-thresholding, identity, tanh, softmax x sigma, prox_{tPsi},
Bregman loss, gradient, fused loss-and-gradient, affine sigma(XW + b)) and dtype, it prints

* ``first call``: the time of the first call in this process, which compiles the signature or
  loads it from numba's cache (``compile`` / ``cache`` as reported by the dispatcher's stats);
* ``numpy twin``, ``kernel_for`` and ``raw njit``: best-of-``--repeat`` wall time of the NumPy twin,
  of the :func:`bregnet.kernels.kernel_for` wrapper (outputs preallocated; for tanh's elementwise
  roles this is NumPy's ``np.tanh`` ufunc) and of the compiled kernel called directly, and the
  speed-up twin / wrapper.

A second table compares two ways of computing the affine layer sigma(XW + b): ``np.matmul`` outside
followed by the compiled elementwise kernel (what :meth:`ActivationKernels.affine_prox` does) and
``np.dot`` called inside one compiled function.  Timings depend on the machine; compare rows
within one run.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=4096, help="rows n_samples (default 4096)")
    p.add_argument("--features", type=int, default=256, help="columns n (default 256)")
    p.add_argument("--small", type=int, default=20, help="rows of the small-batch table (Algorithm 1 uses 20)")
    p.add_argument("--repeat", type=int, default=7, help="timing repeats, best taken (default 7)")
    p.add_argument("--cold", action="store_true", help="use an empty numba cache dir so first calls compile")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (default 1: reproducible on a shared machine; kernels are serial)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


ARGS = _parse()
if ARGS.cold:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bregnet-numba-cold-")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

# benchmark this checkout (not whatever bregnet an editable install points to)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is set)
import numpy as np  # noqa: E402

from bregnet.activations import get  # noqa: E402
from bregnet.bregman import bregman_grad, bregman_loss  # noqa: E402
from bregnet.kernels import kernel_for  # noqa: E402

ACTIVATIONS = [("relu", {}), ("soft_threshold", {"alpha": 0.5}), ("identity", {}), ("tanh", {}),
               ("softmax", {"temperature": 1.0})]
STEP = 0.5  # prox_{t Psi} step, e.g. tau / (1 + tau) with tau = 1 in (17b)


def best_time(fn, repeat):
    """Best of ``repeat`` timings of ``fn()``, each over enough calls to last about 20 ms."""
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(0.02 / once))
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def first_call(dispatcher, fn):
    """Time the first call; report whether numba compiled or loaded it from its cache."""
    hits = sum(dispatcher.stats.cache_hits.values())
    n_sigs = len(dispatcher.signatures)
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    if len(dispatcher.signatures) == n_sigs:
        how = "ready"      # already compiled in this process (shared by an earlier row)
    elif sum(dispatcher.stats.cache_hits.values()) > hits:
        how = "cache"
    else:
        how = "compile"
    return dt, how


def inputs(act, n0, n1, dtype, rng):
    z = (3.0 * rng.normal(size=(n0, n1))).astype(dtype)
    # x in dom Psi (on and off the graph), so that losses are finite
    x = act.prox(rng.normal(size=(n0, n1))).astype(dtype)
    return np.ascontiguousarray(x), np.ascontiguousarray(z)


def cases(act, kern, x, z, X, W, b):
    """(label, dispatcher, raw compiled call, kernel_for wrapper call, twin call) for every kernel."""
    n0, n1 = z.shape
    p = kern.param
    raw = kern.raw
    out = np.empty_like(z)
    out_raw = np.empty_like(z)
    loss_out = np.empty(n0, dtype=z.dtype)
    aff_out = np.empty((X.shape[0], W.shape[1]), dtype=z.dtype)
    aff_raw = np.empty((X.shape[0], W.shape[1]), dtype=z.dtype)

    def raw_affine():
        np.matmul(X, W, out=aff_raw)
        return raw.bias_sigma(aff_raw, b, p, aff_raw)

    rows = [("sigma", raw.sigma, lambda: raw.sigma(z, p, out_raw), lambda: kern.sigma(z, out=out),
             lambda: act.prox(z))]
    if kern.supports_prox_step:
        rows.append((f"prox t={STEP}", raw.prox_step, lambda: raw.prox_step(z, STEP, p, out_raw),
                     lambda: kern.prox(z, STEP, out=out), lambda: act.prox(z, step=STEP)))
    rows += [
        ("bregman_loss", raw.bregman_loss, lambda: raw.bregman_loss(x, z, p, loss_out),
         lambda: kern.bregman_loss(x, z, out=loss_out), lambda: bregman_loss(act, x, z)),
        ("bregman_grad", raw.bregman_grad, lambda: raw.bregman_grad(x, z, p, out_raw),
         lambda: kern.bregman_grad(x, z, out=out), lambda: bregman_grad(act, x, z, check_domain=False)),
        ("loss_and_grad", raw.bregman_loss_and_grad, lambda: raw.bregman_loss_and_grad(x, z, p, loss_out, out_raw),
         lambda: kern.bregman_loss_and_grad(x, z, loss_out, out),
         lambda: (bregman_loss(act, x, z), bregman_grad(act, x, z, check_domain=False))),
        ("affine_prox", raw.bias_sigma, raw_affine, lambda: kern.affine_prox(X, W, b, out=aff_out),
         lambda: act.prox(X @ W + b)),
    ]
    return rows


def fmt_t(s):
    if s < 1e-3:
        return f"{s * 1e6:8.1f} us"
    if s < 1.0:
        return f"{s * 1e3:8.2f} ms"
    return f"{s:8.2f} s "


def main_table(n0, n1, dtypes, rng, with_first_call):
    head = f"{'activation':<22}{'kernel':<15}{'dtype':<9}"
    if with_first_call:
        head += f"{'first call':>13} {'how':<8}"
    head += f"{'numpy twin':>12}{'kernel_for':>12}{'raw njit':>12}{'speed-up':>10}"
    print(head)
    print("-" * len(head))
    n_in = n1
    for name, params in ACTIVATIONS:
        act = get(name, **params)
        kern = kernel_for(act)
        label = name + (f"({', '.join(f'{v}' for v in params.values())})" if params else "")
        for dtype in dtypes:
            x, z = inputs(act, n0, n1, dtype, rng)
            X = rng.normal(size=(n0, n_in)).astype(dtype)
            W = (rng.normal(size=(n_in, n1)) / np.sqrt(n_in)).astype(dtype)
            b = rng.normal(size=n1).astype(dtype)
            for kname, disp, rcall, kcall, tcall in cases(act, kern, x, z, X, W, b):
                line = f"{label:<22}{kname:<15}{np.dtype(dtype).name:<9}"
                if with_first_call:
                    dt, how = first_call(disp, rcall)
                    line += f"{fmt_t(dt):>13} {how:<8}"
                else:
                    rcall()
                tt = best_time(tcall, ARGS.repeat)
                tk = best_time(kcall, ARGS.repeat)
                tr = best_time(rcall, ARGS.repeat)
                line += f"{fmt_t(tt):>12}{fmt_t(tk):>12}{fmt_t(tr):>12}{tt / tk:>9.1f}x"
                print(line, flush=True)


# ---------------------------------------------------------------------- affine: where to multiply
@numba.njit(cache=False)
def _affine_dot_inside(X, W, b, param, out, bias_sigma):
    np.dot(X, W, out)
    return bias_sigma(out, b, param, out)


def affine_table(dtypes, rng):
    shapes = [(20, 784, 256), (4096, 784, 256), (4096, 256, 10)]
    head = (f"{'activation':<16}{'dtype':<9}{'X W shape':<22}{'numpy twin':>12}{'matmul+fused':>14}"
            f"{'dot in njit':>13}")
    print(head)
    print("-" * len(head))
    for name, params in [("relu", {}), ("tanh", {}), ("softmax", {"temperature": 1.0})]:
        act = get(name, **params)
        kern = kernel_for(act)
        for dtype in dtypes:
            for s, n_in, n_out in shapes:
                X = rng.normal(size=(s, n_in)).astype(dtype)
                W = (rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
                b = rng.normal(size=n_out).astype(dtype)
                out = np.empty((s, n_out), dtype=dtype)
                out2 = np.empty((s, n_out), dtype=dtype)
                outside = lambda: kern.affine_prox(X, W, b, out=out)  # noqa: E731
                inside = lambda: _affine_dot_inside(X, W, b, kern.param, out2, kern.raw.bias_sigma)  # noqa: E731
                twin = lambda: act.prox(X @ W + b)  # noqa: E731
                inside()  # compile outside the timing
                np.testing.assert_allclose(out2, outside(), rtol=1e-5 if dtype == np.float32 else 1e-12,
                                           atol=1e-6 if dtype == np.float32 else 1e-12)
                t_twin = best_time(twin, ARGS.repeat)
                t_out = best_time(outside, ARGS.repeat)
                t_in = best_time(inside, ARGS.repeat)
                shape = f"({s},{n_in})x({n_in},{n_out})"
                print(f"{name:<16}{np.dtype(dtype).name:<9}{shape:<22}{fmt_t(t_twin):>12}{fmt_t(t_out):>14}"
                      f"{fmt_t(t_in):>13}", flush=True)


def main():
    rng = np.random.default_rng(ARGS.seed)
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
          f"load average at start {os.getloadavg()}")
    print(f"# command: python {' '.join(sys.argv)}")
    print(f"bregnet activation kernels vs NumPy twins | python {platform.python_version()}, "
          f"numpy {np.__version__}, numba {numba.__version__}, {os.cpu_count()} CPU(s), "
          f"BLAS threads {ARGS.threads}, load average {os.getloadavg()[0]:.1f}, "
          f"cache dir: {os.environ.get('NUMBA_CACHE_DIR', 'default (__pycache__ next to the module)')}")
    dtypes = [np.float64, np.float32]
    print(f"\n[1] batch ({ARGS.samples}, {ARGS.features}); affine_prox: X ({ARGS.samples}, {ARGS.features}) "
          f"W ({ARGS.features}, {ARGS.features}); best of {ARGS.repeat}")
    main_table(ARGS.samples, ARGS.features, dtypes, rng, with_first_call=True)
    print(f"\n[2] small batch ({ARGS.small}, {ARGS.features}), float64 (per-call overhead dominates)")
    main_table(ARGS.small, ARGS.features, [np.float64], rng, with_first_call=False)
    print("\n[3] affine layer sigma(X W + b): np.matmul outside + fused elementwise kernel vs np.dot inside njit")
    affine_table(dtypes, rng)
    print(f"# load average at end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
