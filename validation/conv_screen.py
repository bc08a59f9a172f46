"""Screening of Algorithm 1's settings for the CNN of ``validation/conv.py`` (issue 15), on a subset.

Each setting trains LBN-S (``bregnet.solvers.LBNS``) on the first 6,000 Fashion-MNIST training images (float32,
centred, the CNN and Glorot draw of conv.py) for a few epochs and reports training accuracy, accuracy on 5,000
test images and wall time.  It chose ``lbn-b10-n1`` of conv.py.  Usage::

    python validation/conv_screen.py --out screen.json            # all settings (about 4 min on one core)
    python validation/conv_screen.py --out screen.json --update-results   # also into validation/results/conv

Nothing is written without ``--out``; ``--update-results`` copies the table to
``validation/results/conv/fashion-mnist/screen.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

#: (batch size, N sweeps per batch, proximal weight, epochs): the settings screened
SETTINGS = [(100, 3, 1.0, 2), (100, 3, 0.1, 2), (100, 3, 0.01, 2), (100, 8, 1.0, 2), (20, 3, 1.0, 2),
            (20, 3, 0.1, 2), (20, 1, 1.0, 2), (10, 3, 1.0, 2), (10, 1, 1.0, 2), (100, 3, 1.0, 6), (20, 1, 1.0, 6),
            (10, 3, 1.0, 5), (10, 1, 1.0, 6)]
N_TRAIN, N_TEST = 6000, 5000


def screen(settings=SETTINGS, seed: int = 0) -> list:
    from bregnet.datasets import load
    from bregnet.operators import operator_network
    from bregnet.solvers import LBNS
    from bregnet.solvers.engine import run

    from validation.conv import DTYPE, SPEC
    ds = load("fashion-mnist", seed=seed, centre=True, dtype=DTYPE, n_train=N_TRAIN)
    net = operator_network(SPEC, ["relu", "relu", "identity"], input_shape=(28, 28, 1), seed=seed, dtype=DTYPE)
    Xt, Yt = ds.X_test[:N_TEST], ds.Y_test[:N_TEST]
    rows = []
    for batch, n_inner, rho, epochs in settings:
        t0 = time.perf_counter()
        res = run(LBNS(batch_size=batch, n_inner=n_inner, prox_weight=rho), net, ds.X_train, ds.Y_train,
                  epochs=epochs, rng=np.random.default_rng([seed, 7]))
        seconds = time.perf_counter() - t0

        def acc(X, Y):
            return float(np.mean(np.argmax(res.network.forward(X), 1) == np.argmax(Y, 1)))
        rows.append({"batch_size": batch, "n_inner": n_inner, "prox_weight": rho, "epochs": epochs,
                     "train_accuracy": acc(ds.X_train, ds.Y_train), "test_accuracy": acc(Xt, Yt),
                     "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="validation/conv_screen.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="JSON file for the table")
    p.add_argument("--update-results", action="store_true", help="also write validation/results/conv/...")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"--out {out} exists; choose another file")
    rows = screen()
    meta = {"n_train": N_TRAIN, "n_test": N_TEST, "dataset": "fashion-mnist", "rows": rows,
            "command": "python validation/conv_screen.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    out.write_text(json.dumps(meta, indent=1))
    if args.update_results:
        dest = Path(__file__).resolve().parent / "results" / "conv" / "fashion-mnist" / "screen.json"
        dest.write_text(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
