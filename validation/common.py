"""Shared machinery of the Section 6 reproductions: method runs, evaluation, checkpoints, result files.

Every experiment module (table1, fig3, fig6, fig7, fig8) describes its data, network and methods and
hands them to :func:`run_experiment`, which for every method

* trains it in one run of the training engine (``bregnet.solvers.engine.run``) with the solver object of
  ``bregnet.training.get_solver(method.solver).build(options)``, the same engine as ``bregnet train``,
* evaluates the forward network after every epoch (or every ``--eval-every`` epochs) through the engine's
  ``evaluate`` hook (training objective, validation loss, accuracy, Table 2's linear-activation rate, code
  sparsity),
* lets the engine write its atomic checkpoint (the solver's state, the history and the random-generator state)
  at every epoch boundary, so that ``--resume`` continues every solver exactly where the run stopped,
* and rewrites ``<out>/metrics.json`` (configuration, versions, seed, per-epoch history, final
  numbers, wall time per epoch) plus ``<out>/COMMAND`` (the command that made the files).

Loss convention (a choice: the paper does not state it): the MSE is
:math:`\\frac1s\\sum_i\\frac12\\|\\hat y^i-y^i\\|^2` (per-sample half squared error, summed over output
units, averaged over samples), the same normalisation as the lifted energy (18); the l1 term is
:math:`\\frac{\\alpha}{s}\\sum_i\\|x_c^i\\|_1`.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bregnet._atomic import atomic_write_bytes

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "validation" / "results"      # the committed results: written only with --update-results
#: default root of a run's result directory (``--out`` names one; ``--update-results`` writes into RESULTS), under
#: the current working directory; ``--quick`` runs go to its ``quick/`` subdirectory
DEFAULT_ROOT = "bregnet-reproduce"
PLOT_ONLY = False   # set by run.py --plot-only
EVAL_EVERY = 1      # set by run.py --eval-every


# ------------------------------------------------------------------------------- small utilities
def atomic_write_json(path, obj):
    atomic_write_bytes(path, (json.dumps(obj, indent=1, default=_json_default) + "\n").encode())


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def parse_grid(text, flag):
    """The positive finite numbers of a comma-separated sensitivity option such as ``--lbn-prox-grid``
    (empty without it); anything else ends the run with a message naming ``flag``."""
    if not text:
        return []
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"{flag} must be comma-separated numbers, got {text!r}") from None
    if not vals or any(not (v > 0 and v < float("inf")) for v in vals):
        raise SystemExit(f"{flag} must hold positive finite numbers, got {text!r}")
    return vals


def versions() -> dict:
    import numba
    import scipy

    import bregnet
    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
           "numba": numba.__version__, "bregnet": getattr(bregnet, "__version__", "unknown"),
           "platform": platform.platform(), "cpu_count": os.cpu_count()}
    try:
        out["git_commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                           text=True, timeout=10).stdout.strip()
    except Exception:  # pragma: no cover - git missing
        out["git_commit"] = "unknown"
    return out


def command_line(argv) -> str:
    import shlex
    env = os.environ.get("BREGNET_CKPT_DIR")
    prefix = f"BREGNET_CKPT_DIR={shlex.quote(env)} " if env and "--ckpt-dir" not in argv else ""
    return prefix + "python validation/run.py " + " ".join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------------------------- evaluation
@dataclass
class Scoring:
    """What a method is trained on and how it is scored (the data and the metrics; no training).

    kind : "classification" or "autoencoder"
    X_train, Y_train : training inputs and targets (one-hot labels, or clean images for autoencoders)
    X_val, Y_val : validation inputs and targets
    alpha, code_layer : l1 weight and the code layer c (autoencoders; alpha = 0 for none)
    """

    kind: str
    X_train: np.ndarray
    Y_train: np.ndarray
    X_val: np.ndarray
    Y_val: np.ndarray
    alpha: float = 0.0
    code_layer: int | None = None
    labels: dict = field(default_factory=dict)

    def evaluate(self, network) -> dict:
        """Metrics of the forward network (1) on training and validation data."""
        out = {}
        for split, X, Y in (("train", self.X_train, self.Y_train), ("val", self.X_val, self.Y_val)):
            with np.errstate(over="ignore", invalid="ignore"):
                zs, xs = network.forward_all(X)
            pred = xs[-1]
            d = pred - Y
            mse = float(0.5 * np.sum(d * d, dtype=np.float64) / X.shape[0])
            out[f"{split}_mse"] = mse
            if self.kind == "classification":
                out[f"{split}_accuracy"] = float(np.mean(np.argmax(pred, axis=1) == np.argmax(Y, axis=1)))
                out[f"{split}_linear_rate"] = [float(np.mean(z >= 0)) for z in zs[:-1]]
                out[f"{split}_objective"] = mse
            else:
                code = xs[self.code_layer] if self.code_layer is not None else None
                l1 = 0.0 if code is None else float(np.sum(np.abs(code), dtype=np.float64) / X.shape[0])
                out[f"{split}_objective"] = mse + self.alpha * l1
                if code is not None:
                    out[f"{split}_sparsity"] = float(np.mean(code == 0))
        return out


# ------------------------------------------------------------------------------- methods
#: options of a method that are the run's l1 term (``run(..., l1=(layer, alpha))``), not solver hyperparameters:
#: the lifted solvers' ``l1`` and the baselines' ``l1_alpha``/``l1_layer`` (the recorded configurations keep them)
L1_OPTIONS = ("l1", "l1_alpha", "l1_layer")

#: solver diagnostics recorded beside the metrics (LBNS(aux_accuracy=True), LBNS(aux_sparsity=True): the accuracy
#: and the code sparsity on the auxiliary variables)
KEPT_DIAGNOSTICS = ("aux_train_accuracy", "aux_train_sparsity")

#: prefix of the metrics of :meth:`Scoring.evaluate` in the engine's history (apart from the solver's diagnostics)
METRIC = "metric:"


@dataclass
class Method:
    """One training run: a solver name of ``bregnet.training.SOLVERS``, its options and the initial network.

    solver : "lbn-s", "lbn-d", "sgd-bp", "gd-bp", "isgd-bp" or "classical-lifted"
    options : the solver's hyperparameters plus the l1 term (:data:`L1_OPTIONS`); epochs excluded
    """

    name: str
    solver: str
    network: object
    options: dict
    epochs: int
    scoring: Scoring
    label: str = ""

    def config(self) -> dict:
        return {"solver": self.solver, "epochs": self.epochs, "options": self.options, "label": self.label or self.name,
                "layer_sizes": list(self.network.layer_sizes),
                "activations": [repr(a) for a in self.network.activations]}

    def engine_solver(self, *, quick: bool = False):
        """``(solver, l1)``: the engine's solver object built from the options, and the run's ``(layer, alpha)``
        l1 term (None without one).  ``quick``: the lifted solvers use their NumPy twin (same result, no Numba
        compilation in smoke runs)."""
        from bregnet.training import get_solver
        opts = {k: v for k, v in self.options.items() if k not in L1_OPTIONS}
        l1, alpha = self.options.get("l1"), float(self.options.get("l1_alpha", 0.0))
        if l1 is None and alpha > 0:
            l1 = (self.options["l1_layer"], alpha)
        if quick and self.solver in ("lbn-s", "lbn-d"):
            opts["use_kernel"] = False
        return get_solver(self.solver).build(opts), None if l1 is None else (int(l1[0]), float(l1[1]))


class _Evaluation:
    """The engine's ``evaluate`` hook: the metrics of :meth:`Scoring.evaluate` (prefixed :data:`METRIC`) on epochs
    0, K, 2K, ... and the last, nothing on the others.  The engine calls it once per recorded epoch, in order
    (``record="epoch"``), from epoch ``first`` (0, or the checkpoint's epoch + 1 on a resume)."""

    def __init__(self, scoring: Scoring, every: int, last: int, first: int):
        self.scoring, self.every, self.last, self.next = scoring, every, last, first

    def __call__(self, network) -> dict:
        epoch, self.next = self.next, self.next + 1
        if epoch % self.every and epoch < self.last:
            return {}
        return {METRIC + k: v for k, v in self.scoring.evaluate(network).items()}


def method_record(method: Method, rows: list, *, eval_every: int, command: str) -> dict:
    """The record of a method (``methods/<name>.json``) from the engine's history rows.

    ``history`` has the evaluated epochs; ``wall_time[i]`` is the training time (the engine's, evaluation
    excluded) since the previous entry, and ``unrecorded_wall_time`` that of the epochs after the last entry.
    """
    rec = {"config": dict(method.config(), eval_every=int(eval_every)),   # eval_every: not in the fingerprint
           "history": {"epoch": [], "wall_time": []}, "status": "running", "epochs_done": 0}
    h, last, pending = rec["history"], 0.0, None
    for row in rows:
        epoch, ev = int(row["epoch"]), {k[len(METRIC):]: v for k, v in row.items()
                                        if k.startswith(METRIC) and v is not None}
        if ev:                                  # solver diagnostics the study reads (validation/study.py)
            ev.update({k: row[k] for k in KEPT_DIAGNOSTICS if row.get(k) is not None})
        rec["epochs_done"], pending = epoch, float(row["wall_time"] - last)
        if ev:
            h["epoch"].append(epoch)
            h["wall_time"].append(pending)
            for k, v in ev.items():
                h.setdefault(k, []).append(v)
            rec["final"] = dict(ev, epoch=epoch)
            last, pending = row["wall_time"], None
    rec["status"] = "complete" if rec["epochs_done"] >= method.epochs else "running"
    rec["command"] = command
    if pending is not None:
        rec["unrecorded_wall_time"] = pending
    return rec


def _start(ckpt_path: Path, resume: bool) -> tuple[int | None, list]:
    """``(epoch, rows)`` of the engine checkpoint to continue, or ``(None, [])`` to start afresh.

    The engine checks on resume that the checkpoint belongs to this solver, options, data and initial network
    (activations included); a checkpoint of the earlier harness is refused here.
    """
    if not (resume and ckpt_path.exists()):
        return None, []
    from bregnet.exceptions import BregnetInputError
    from bregnet.solvers.checkpoint import checkpoint_info
    try:
        epoch, hist = checkpoint_info(ckpt_path)
    except BregnetInputError:
        raise SystemExit(f"resume: checkpoint {ckpt_path} was written with a different configuration (or by an "
                         f"older validation harness); delete it or run without --resume") from None
    cols = hist["columns"]
    return epoch, [{k: c[i] for k, c in cols.items()} for i in range(len(cols["epoch"]))]


def train_method(method: Method, *, ckpt_path: Path, record_path: Path, resume: bool, seed: int, on_epoch=None,
                 quick: bool = False, command: str = "", eval_every: int = 1):
    """Train one method to ``method.epochs`` in ONE engine run (``bregnet.solvers.engine.run``); returns the record.

    The engine writes its checkpoint (the solver's state, history and generator) at every epoch boundary, so
    ``resume`` continues every solver exactly.  The metrics are evaluated and recorded every ``eval_every``
    epochs and at the last one (evaluation is a forward pass over the training and validation sets, a large
    share of an SGD-BP epoch); ``wall_time[i]`` of the history is the training time since the previous entry, so
    seconds per epoch is ``sum(wall_time[1:]) / (epoch[-1] - epoch[0])`` whatever the spacing.
    """
    if not isinstance(eval_every, (int, np.integer)) or eval_every < 1:
        raise ValueError(f"eval_every must be an integer >= 1, got {eval_every!r}")
    from bregnet.solvers.engine import run
    done, rows = _start(ckpt_path, resume)
    if done is not None and done >= method.epochs:                 # nothing left to train
        prev = json.loads(record_path.read_text()) if record_path.exists() else {}
        rec = method_record(method, rows, eval_every=eval_every, command=prev.get("command", command))
        atomic_write_json(record_path, rec)
        return rec

    def callback(epoch, network, row):
        rows.append(row)
        if epoch > 0:                                              # a record from the first trained epoch on
            rec = method_record(method, rows, eval_every=eval_every, command=command)
            atomic_write_json(record_path, rec)
            if on_epoch is not None:
                on_epoch(method, rec)
        return False

    solver, l1 = method.engine_solver(quick=quick)
    S = method.scoring
    from bregnet.exceptions import BregnetInputError
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            run(solver, method.network, S.X_train, S.Y_train, epochs=method.epochs, l1=l1,
                rng=np.random.default_rng([seed, 7]), callback=callback, checkpoint=ckpt_path, checkpoint_every=1,
                resume=done is not None, record="epoch",
                evaluate=_Evaluation(S, int(eval_every), method.epochs, 0 if done is None else done + 1))
    except BregnetInputError as exc:
        if done is None or "resume" not in str(exc):
            raise
        raise SystemExit(f"resume: checkpoint {ckpt_path} was written with a different configuration; delete it "
                         f"or run without --resume ({exc})") from None
    return method_record(method, rows, eval_every=eval_every, command=command)


# ------------------------------------------------------------------------------- experiment driver
@dataclass
class Context:
    name: str
    out: Path
    ckpt: Path
    argv: list
    seed: int
    quick: bool
    resume: bool
    only: list | None = None
    plot_only: bool = False
    overwrite: bool = False         # replace existing records and checkpoints of the methods trained
    progress: object = None         # a text stream for one line per method and epoch (None: silent)


def results_root(args) -> Path:
    """Root of the default result directories: ``validation/results`` with ``--update-results``, else
    ``./bregnet-reproduce`` (``./bregnet-reproduce/quick`` for ``--quick``) under the current working directory."""
    if getattr(args, "update_results", False):
        return RESULTS
    root = Path.cwd() / DEFAULT_ROOT
    return root / "quick" if getattr(args, "quick", False) else root


def context(name: str, args, argv, *parts) -> Context:
    """The experiment's :class:`Context` from run.py's options.

    Results: ``--out``, else ``results_root(args)/name/parts`` (``parts``: the dataset of table1).  Checkpoints:
    ``--ckpt-dir/name/parts`` (default ``$BREGNET_CKPT_DIR``), else ``<out>/.ckpt``.  The result directory is also
    left in ``args.result_dir`` (run.py prints the table from it).
    """
    out = Path(args.out) if args.out else results_root(args).joinpath(name, *parts)
    ckpt = Path(args.ckpt_dir).joinpath(name, *parts) if args.ckpt_dir else out / ".ckpt"
    args.result_dir = out
    return Context(name, out, ckpt, argv, args.seed, args.quick, args.resume, args.methods,
                   overwrite=bool(getattr(args, "overwrite", False)),
                   progress=None if getattr(args, "quiet", True) else sys.stderr)


def check_targets(ctx: Context, methods: list) -> list:
    """The methods this run trains, after checking (before anything is written) that it overwrites nothing.

    Refused (``SystemExit`` with a one-line message): ``--methods`` naming a method the experiment lacks; an output
    path that is not a directory; a method to train that already has a record in ``<out>/methods/`` or a
    checkpoint in the checkpoint directory, unless ``--resume`` (continue it) or ``--overwrite`` (replace it);
    ``--resume`` of a method with a record of trained epochs but no checkpoint to continue it from (it would
    restart from epoch 0 over the record).
    """
    names = [m.name for m in methods]
    if ctx.only:
        unknown = [k for k in ctx.only if k not in names]
        if unknown:
            raise SystemExit(f"--methods: {', '.join(unknown)} not among the methods of {ctx.name} "
                             f"({', '.join(names)})")
    if ctx.out.exists() and not ctx.out.is_dir():
        raise SystemExit(f"--out: {ctx.out} exists and is not a directory")
    if ctx.plot_only:
        return []
    todo = [m for m in methods if not (ctx.only and m.name not in ctx.only)]
    if ctx.overwrite:
        return todo
    rec_dir = ctx.out / "methods"
    if not ctx.resume:
        held = [m.name for m in todo if (rec_dir / f"{m.name}.json").exists() or (ctx.ckpt / f"{m.name}.npz").exists()]
        if held:
            raise SystemExit(f"{ctx.out} already holds records or checkpoints of {', '.join(held)}: pass --resume to "
                             f"continue them or --overwrite to replace them")
        return todo
    lost = []
    for m in todo:
        p = rec_dir / f"{m.name}.json"
        if p.exists() and not (ctx.ckpt / f"{m.name}.npz").exists():
            try:
                done = int(json.loads(p.read_text()).get("epochs_done", 0))
            except (ValueError, TypeError, AttributeError):
                done = 1
            if done > 0:
                lost.append(m.name)
    if lost:
        raise SystemExit(f"--resume: no checkpoint of {', '.join(lost)} in {ctx.ckpt} to continue the records in "
                         f"{ctx.out} from: pass --ckpt-dir (or set BREGNET_CKPT_DIR) where the run wrote them, or "
                         f"--overwrite to retrain from scratch")
    return todo


def _progress_line(ctx: Context, method: Method, rec: dict, seconds: float) -> str:
    """``fig6 lbn: epoch 3/50  train_objective 0.0123  val_mse 0.0456  train_sparsity 81.0%  (2.1 s)``."""
    done = rec.get("epochs_done", 0)
    bits = [f"{ctx.name} {method.name}: epoch {done}/{method.epochs}"]
    f = rec.get("final", {})
    if f.get("epoch") == done:          # evaluated this epoch (--eval-every)
        for k in ("train_objective", "val_mse", "train_accuracy", "val_accuracy", "train_sparsity"):
            v = f.get(k)
            if isinstance(v, (int, float)):
                bits.append(f"{k} {100 * v:.1f}%" if k.endswith(("accuracy", "sparsity")) else f"{k} {v:.4g}")
    return "  ".join(bits) + f"  ({seconds:.1f} s)"


def _say(ctx: Context, line: str) -> None:
    if ctx.progress is not None:
        print(line, file=ctx.progress, flush=True)


def run_experiment(ctx: Context, *, config: dict, methods: list, plot=None, reduced_note: str | None = None,
                   extra=None):
    """Train every method (in order), rewriting metrics.json after every epoch; then plot.

    Nothing is written before :func:`check_targets` has passed.
    """
    ctx.plot_only = ctx.plot_only or PLOT_ONLY
    todo = {m.name for m in check_targets(ctx, methods)}
    ctx.out.mkdir(parents=True, exist_ok=True)
    if not ctx.plot_only:
        ctx.ckpt.mkdir(parents=True, exist_ok=True)
    elif not any(ctx.ckpt.glob("*.npz")):
        print(f"warning: no checkpoints in {ctx.ckpt}: the image figures are drawn without trained networks "
              "(pass --ckpt-dir or set BREGNET_CKPT_DIR to where the runs wrote them)", file=sys.stderr)
    cmd_file = ctx.out / "COMMAND"     # every command that wrote into this directory, in order (methods may run
    cmds = cmd_file.read_text().splitlines() if cmd_file.exists() else []   # in separate processes)
    if command_line(ctx.argv) not in cmds:
        cmds.append(command_line(ctx.argv))
    atomic_write_bytes(cmd_file, ("\n".join(cmds) + "\n").encode())
    rec_dir = ctx.out / "methods"
    rec_dir.mkdir(exist_ok=True)

    def assemble():
        recs = {}
        order = [m.name for m in methods]
        extra_names = sorted(p.stem for p in rec_dir.glob("*.json") if p.stem not in order)
        for name in order + extra_names:   # also records of other processes writing to the same directory
            p = rec_dir / f"{name}.json"
            if p.exists():
                recs[name] = json.loads(p.read_text())
        # methods of other processes (e.g. other values of a sensitivity grid) keep the paper epochs they recorded
        prev = ctx.out / "metrics.json"
        try:
            paper_ep = dict(json.loads(prev.read_text())["configuration"].get("paper_epochs", {})) if prev.exists() else {}
        except (ValueError, KeyError):
            paper_ep = {}
        paper_ep.update(config.get("paper_epochs", {}))
        config["paper_epochs"] = paper_ep
        short = {k: {"epochs_done": r.get("epochs_done", 0), "paper_epochs": paper_ep[k], "status": r.get("status")}
                 for k, r in recs.items() if k in paper_ep and r.get("epochs_done", 0) < paper_ep[k]}
        reduced = bool(short) or any(m.epochs < paper_ep.get(m.name, m.epochs) for m in methods)
        done = all(recs.get(m.name, {}).get("status") == "complete" for m in methods) and \
            all(r.get("status") == "complete" for r in recs.values())
        if short and not reduced_note:
            auto = "; ".join(f"{k}: {v['epochs_done']} of the paper's {v['paper_epochs']} epochs" for k, v in short.items())
            note = "reduced (fewer epochs than the paper; runs may be continuing): " + auto
        else:
            note = reduced_note
        meta = {"experiment": ctx.name, "quick": ctx.quick, "reduced": bool(reduced),
                "reduced_note": note if reduced else None, "reduced_methods": short, "seed": ctx.seed,
                "command": command_line(ctx.argv), "commands": cmds, "configuration": config, "versions": versions(),
                "status": "complete" if done else "partial",
                "methods": recs, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if extra is not None:
            meta.update(extra(recs))
        atomic_write_json(ctx.out / "metrics.json", meta)
        return meta

    for m in methods:
        if m.name not in todo:
            continue
        from bregnet.exceptions import DivergenceError
        ckpt_path = ctx.ckpt / f"{m.name}.npz"
        _say(ctx, f"{ctx.name} {m.name}: {'resuming' if ctx.resume and ckpt_path.exists() else 'training'} "
                  f"{m.epochs} epochs ({m.solver}) -> {ctx.out}")
        clock = [time.monotonic()]

        def on_epoch(method, rec, clock=clock):
            assemble()
            now = time.monotonic()
            _say(ctx, _progress_line(ctx, method, rec, now - clock[0]))
            clock[0] = now

        try:
            rec = train_method(m, ckpt_path=ckpt_path, record_path=rec_dir / f"{m.name}.json",
                               resume=ctx.resume, seed=ctx.seed, on_epoch=on_epoch,
                               quick=ctx.quick, command=command_line(ctx.argv), eval_every=EVAL_EVERY)
            _say(ctx, f"{ctx.name} {m.name}: {rec['status']}, {rec['epochs_done']}/{m.epochs} epochs")
        except DivergenceError as exc:     # recorded, not hidden: the report says so
            p = rec_dir / f"{m.name}.json"
            rec = json.loads(p.read_text()) if p.exists() else {"config": m.config(), "history": {}, "epochs_done": 0}
            rec["status"] = "diverged"
            rec["error"] = str(exc)
            atomic_write_json(p, rec)
            _say(ctx, f"{ctx.name} {m.name}: diverged ({exc})")
    meta = assemble()
    if plot is not None:
        import matplotlib
        matplotlib.use("Agg")
        plot(ctx, meta)
    return meta


def checkpointed_network(path: Path, template):
    """The network of the checkpoint ``path`` (activations of ``template``) and its epochs done.

    An engine checkpoint (its state), or one of the earlier validation harness (``W<l>``, ``b<l>`` and a record;
    still read for ``--plot-only``, never resumed).
    """
    from bregnet.network import Network
    from bregnet.solvers.checkpoint import decode_state
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if "state" not in meta:
            L = template.n_layers
            return (Network(tuple(z[f"W{l}"] for l in range(L)), tuple(z[f"b{l}"] for l in range(L)),
                            template.activations), int(meta["record"].get("epochs_done", 0)))
        state = decode_state(z, meta["state"])
    return Network(tuple(state["weights"]), tuple(state["biases"]), template.activations), int(meta["epoch"])


def final_networks(ctx: Context, methods: list) -> dict:
    """The last checkpointed network of every method that has a checkpoint."""
    out = {}
    for m in methods:
        p = ctx.ckpt / f"{m.name}.npz"
        if p.exists():
            out[m.name] = checkpointed_network(p, m.network)[0]
    return out


# ------------------------------------------------------------------------------- data
def load_classification(dataset: str, *, data_dir=None, seed=0, n_train=None, n_test=None):
    from bregnet.datasets import load
    ds = load(dataset, data_dir=data_dir, n_train=n_train, n_test=n_test, seed=seed, centre=True)
    return ds


def autoencoder_data(source: str, n_train: int, *, data_dir=None, seed=0, n_val=None, rest_as_val=False):
    """Training images (a random subset of ``n_train``) and validation images, centred by the training mean.

    ``rest_as_val``: validate on every image of the source not used for training (train and test split
    pooled; used for the 10,000-digit npm subset, whose split has only 2,000 test images); otherwise on the
    source's test split (``n_val`` of it, all by default).  Returns ``(X_train, X_val, label, image_shape)``.
    """
    from bregnet.datasets import load
    ds = load(source, data_dir=data_dir, seed=seed)
    rng = np.random.default_rng([seed, 11])
    if rest_as_val:
        X = np.concatenate([ds.X_train, ds.X_test])
        perm = rng.permutation(X.shape[0])
        Xtr, Xv = X[np.sort(perm[:n_train])], X[np.sort(perm[n_train:])]
    else:
        Xtr = ds.X_train[np.sort(rng.permutation(ds.X_train.shape[0])[:n_train])]
        Xv = ds.X_test
    if n_val is not None and n_val < Xv.shape[0]:
        Xv = Xv[np.sort(rng.permutation(Xv.shape[0])[:n_val])]
    mean = Xtr.mean(axis=0)
    return Xtr - mean, Xv - mean, ds.label, ds.image_shape, mean


# ------------------------------------------------------------------------------- plots
METHOD_COLOURS = {"lbn-s": "C0", "lbn": "C0", "lbn-d": "C1", "gd-bp": "C2", "sgd-bp": "C3", "isgd-bp": "C4",
                  "classical-lifted": "C5", "sgd-bp-1500": "C3", "uae-lbn": "C6", "uae-sgd-bp": "C7"}


def method_colours(names: list) -> dict:
    """One colour per method, the same in every panel: the fixed colour of a known method, else the next
    colour no method of ``names`` uses (sensitivity runs such as ``lbn-prox0.05``)."""
    used = {METHOD_COLOURS[n] for n in names if n in METHOD_COLOURS}
    spare = iter([c for c in [f"C{i}" for i in range(10)] + ["k", "olive", "navy", "teal", "maroon"] if c not in used])
    return {n: METHOD_COLOURS.get(n) or next(spare, None) for n in names}


def plot_curves(path, recs: dict, *, title: str, labels: dict | None = None, log=True, sparsity=True,
                train_key="train_objective", val_key="val_mse"):
    import matplotlib.pyplot as plt
    ncol = 2 if sparsity else 1
    fig, axes = plt.subplots(1, ncol, figsize=(5.5 * ncol, 4))
    axes = np.atleast_1d(axes)
    colours = method_colours(list(recs))
    for name, r in recs.items():
        h = r["history"]
        c = colours[name]
        lab = (labels or {}).get(name, name)
        axes[0].plot(h["epoch"], h[train_key], "-", color=c, label=f"{lab} train")
        if val_key in h:
            axes[0].plot(h["epoch"], h[val_key], "--", color=c, label=f"{lab} val")
        if sparsity and "train_sparsity" in h:
            axes[1].plot(h["epoch"], np.array(h["train_sparsity"]) * 100, "-", color=c, label=lab)
    if log:
        axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("objective (train: MSE + alpha l1; val: MSE)")
    if axes[0].get_legend_handles_labels()[0]:        # no records yet: no legend
        axes[0].legend(fontsize=7)
    axes[0].set_title(title, fontsize=9)
    if sparsity:
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("code sparsity (% zeros, training data)")
        if axes[1].get_legend_handles_labels()[0]:
            axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_images(path, rows: list, *, image_shape, mean, title: str):
    """rows: list of (label, images array (n, d)); one mosaic (a row per label), training mean added back."""
    import matplotlib.pyplot as plt
    h, w = image_shape
    n = rows[0][1].shape[0]
    pad = 2
    M = np.ones((len(rows) * (h + pad), n * (w + pad)))
    for i, (_, imgs) in enumerate(rows):
        for j in range(n):
            M[i * (h + pad):i * (h + pad) + h, j * (w + pad):j * (w + pad) + w] = np.clip(
                (imgs[j] + mean).reshape(image_shape), 0, 1)
    fig, ax = plt.subplots(figsize=(1.1 * n + 1.6, 1.1 * len(rows) + 0.5))
    ax.imshow(M, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([(h + pad) * i + h / 2 for i in range(len(rows))], [r[0] for r in rows], fontsize=7)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
