r"""``bregnet invert``: invert a trained network at given outputs (registered by :func:`bregnet.cli.build_parser`).

::

    bregnet invert --network NET --output F.npy --regulariser tv --alpha 0.015 --image-shape 64,64 \
                   [--method lifted|backprop] [--epochs 100] [--out DIR] [--resume | --overwrite] [--quiet]

* ``--network``: a network file of :func:`bregnet.inversion.save_network`, the checkpoint of a ``bregnet train``
  run (``OUT/checkpoint/training-state.npz``) or that run's ``OUT`` directory (:func:`bregnet.inversion.load_network`);
* ``--output``: the outputs to invert, ``.npy`` or ``.csv`` (comma-separated, no header), one output per row (a
  single vector is one output);
* ``--u0``: optional initial guess (same formats; default zeros).

Writes into ``--out`` (default ``./bregnet-invert``): ``reconstruction.npy`` (the inputs, one per row),
``metrics.json`` (configuration, per-epoch history, final row, versions, wall time), ``history.png``, and for 2-D
``--image-shape`` ``reconstruction.png``; the engine's checkpoint ``checkpoint/inversion-state.npz`` after every
epoch (``--resume`` continues it bit for bit).  Everything is checked before any file is written; a bad
argument is one line on stderr.  Exit status as ``bregnet train``: 0 ok, 1 malformed data file, 2 usage error
(bad options, a network file that cannot be read, outputs that do not fit the network, a checkpoint of another
inversion), 4 diverged (``metrics.json`` still written).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

__all__ = ["add_parser", "cmd_invert", "read_array", "INVERSION_STATE"]

#: the checkpoint file inside ``OUT/checkpoint/``
INVERSION_STATE = "inversion-state.npz"


class DataFileError(ValueError):
    """A data file that exists but cannot be parsed (exit status 1)."""


def read_array(path: str, name: str) -> np.ndarray:
    """A 2-D float array from ``.npy`` or ``.csv`` (a 1-D one becomes one row).

    Raises BregnetInputError (a missing file or another suffix, naming ``name``) or :class:`DataFileError`."""
    from ..exceptions import BregnetInputError
    p = Path(path)
    if p.suffix.lower() not in (".npy", ".csv"):
        raise BregnetInputError(f"{name} {path!r}: give a .npy or .csv file")
    if not p.is_file():
        raise BregnetInputError(f"{name} {path!r} does not exist")
    try:
        A = np.load(p, allow_pickle=False) if p.suffix.lower() == ".npy" else np.loadtxt(p, delimiter=",", ndmin=2)
    except (OSError, ValueError, EOFError) as exc:
        raise DataFileError(f"{name} {path!r} is malformed ({type(exc).__name__}: {exc})") from None
    A = np.asarray(A)
    if A.dtype.kind not in "biuf":
        raise DataFileError(f"{name} {path!r} holds {A.dtype} values, not real numbers")
    if A.ndim == 1:
        A = A[None, :]
    if A.ndim != 2:
        raise DataFileError(f"{name} {path!r} must hold a vector or a 2-D array (one row per output); got shape "
                            f"{A.shape}")
    return A.astype(np.float64, copy=False)


def add_parser(sub) -> None:
    """Add the ``invert`` subcommand to ``bregnet``'s subparsers."""
    from .regularisers import REGULARISERS
    v = sub.add_parser("invert", help="invert a trained network at given outputs (lifted Bregman or back-propagation)",
                       description=__doc__.splitlines()[0])
    v.add_argument("--network", required=True, metavar="NET_FILE",
                   help="network file (.npz of save_network), a bregnet train checkpoint, or a train --out directory")
    v.add_argument("--output", required=True, metavar="OUT_FILE", help="outputs to invert, one per row (.npy/.csv)")
    v.add_argument("--u0", default=None, metavar="FILE", help="initial guess, one row per output (default zeros)")
    v.add_argument("--method", default="lifted", choices=("lifted", "backprop"),
                   help="lifted Bregman block descent (default) or back-propagation gradient descent")
    v.add_argument("--regulariser", default="none", choices=REGULARISERS, help="J(u) (default none)")
    v.add_argument("--alpha", type=float, default=0.0, help="weight of J (default 0)")
    v.add_argument("--image-shape", default=None, metavar="H,W", help="shape of an input image (tv, tv-aniso)")
    v.add_argument("--epochs", type=int, default=100, help="sweeps, total also on --resume (default 100)")
    v.add_argument("--step-scale", type=float, default=1.0, help="c in the steps c/L, in (0, 2) (default 1)")
    v.add_argument("--out", default="bregnet-invert", help="output directory (default ./bregnet-invert)")
    v.add_argument("--resume", action="store_true", help="continue from the checkpoint in OUT/checkpoint")
    v.add_argument("--overwrite", action="store_true", help="replace an earlier inversion in OUT")
    v.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    v.set_defaults(func=cmd_invert)


def _setup(args):
    """Everything checked and loaded: ``(network, F, u0, solver)``, or an exit code after one line."""
    from ..cli import EXIT_FAILURE, EXIT_USAGE, _err
    from ..exceptions import BregnetInputError
    from .io import load_network
    from .regularisers import parse_image_shape
    from .task import make_solver

    try:
        if args.epochs < 0:
            raise BregnetInputError(f"--epochs must be >= 0; got {args.epochs}")
        if args.resume and args.overwrite:
            raise BregnetInputError("--resume continues the inversion in --out, --overwrite replaces it: give one")
        shape = parse_image_shape(args.image_shape, name="--image-shape") if args.image_shape else None
        if not np.isfinite(args.alpha) or args.alpha < 0:
            raise BregnetInputError(f"--alpha must be a finite number >= 0; got {args.alpha}")
        solver = make_solver(args.method, regulariser=args.regulariser, alpha=args.alpha, image_shape=shape,
                             step_scale=args.step_scale)
        network = load_network(args.network)
        F = read_array(args.output, "--output")
        u0 = read_array(args.u0, "--u0") if args.u0 else np.zeros((F.shape[0], network.layer_sizes[0]))
        if F.shape[1] != network.layer_sizes[-1]:
            raise BregnetInputError(f"--output has {F.shape[1]} columns; the network has {network.layer_sizes[-1]} "
                                    f"outputs")
        if u0.shape != (F.shape[0], network.layer_sizes[0]):
            raise BregnetInputError(f"--u0 must have shape {(F.shape[0], network.layer_sizes[0])}; got {u0.shape}")
        if not (np.all(np.isfinite(F)) and np.all(np.isfinite(u0))):
            raise BregnetInputError("--output and --u0 must hold finite numbers (no NaN or Inf)")
        from ..lifted import LiftedProblem
        from ..solvers.engine import make_task
        task = make_task(network, u0, F, LiftedProblem.from_network(network, require_prox=False))
        solver.check_task(task)                        # outputs in dom Psi_L (lifted), the image shape
    except DataFileError as exc:
        _err("invert", str(exc))
        return EXIT_FAILURE
    except BregnetInputError as exc:
        _err("invert", str(exc).replace("the output F", "--output"))
        return EXIT_USAGE
    return network, F, u0, solver


def cmd_invert(args) -> int:
    from ..cli import EXIT_DIVERGED, EXIT_OK, EXIT_USAGE, _err, check_out_dir, versions, write_json
    from ..exceptions import BregnetInputError, DivergenceError
    from .task import invert

    t0 = time.perf_counter()
    out = Path(args.out)
    ckpt = out / "checkpoint" / INVERSION_STATE
    bad = check_out_dir("invert", out, protect=("metrics.json", f"checkpoint/{INVERSION_STATE}"),
                        resume=args.resume, overwrite=args.overwrite)
    if bad is not None:
        return bad
    setup = _setup(args)
    if isinstance(setup, int):
        return setup
    network, F, u0, solver = setup
    if args.overwrite and ckpt.exists():
        ckpt.unlink()
    if args.resume and not ckpt.exists() and not args.quiet:
        _err("invert", f"--resume: no checkpoint in {ckpt.parent}; starting afresh")
    status, code, error, history, u, resumed = "ok", EXIT_OK, None, None, None, None
    try:
        res = invert(network, F, solver=solver, u0=u0, epochs=args.epochs, checkpoint=ckpt, resume=args.resume,
                     progress=not args.quiet)
        history, u, resumed = res.history, res.u, res.resumed_from
    except DivergenceError as exc:
        status, code, error, history = "diverged", EXIT_DIVERGED, str(exc), getattr(exc, "history", None)
    except BregnetInputError as exc:
        _err("invert", str(exc))
        return EXIT_USAGE
    out.mkdir(parents=True, exist_ok=True)
    files = []
    if u is not None:
        np.save(out / "reconstruction.npy", u)
        files.append(str(out / "reconstruction.npy"))
        files += _plots(args, solver, history, u, out)
    last = history.last if history is not None and len(history) else {}
    metrics = {"command": "invert", "status": status, "error": error,
               "config": {"network": str(args.network), "output": str(args.output), "u0": args.u0,
                          "method": args.method, "solver": solver.name, "options": solver.params(),
                          "epochs": args.epochs, "layer_sizes": list(network.layer_sizes),
                          "activations": [repr(a) for a in network.activations], "n_outputs": int(F.shape[0]),
                          "out": str(out), "checkpoint": str(ckpt), "resume": bool(args.resume)},
               "resumed_from_epoch": resumed,
               "history": history.to_dict() if history is not None else {}, "final": last,
               "versions": versions(),
               "wall_time": {"solver_s": float(last.get("wall_time", 0.0) or 0.0),
                             "this_invocation_s": time.perf_counter() - t0},
               "files": files + [str(out / "metrics.json")]}
    write_json(out / "metrics.json", metrics)
    if status == "diverged":
        _err("invert", f"{error}\nThe partial history is in {out / 'metrics.json'}.")
        return code
    if not args.quiet:
        key = solver.objective
        print(f"{solver.name}: epoch {last.get('epoch')}, {key} {last.get(key, float('nan')):.6g}, output misfit "
              f"{last.get('output_misfit', float('nan')):.6g}; {last.get('wall_time', 0.0):.2f} s")
        print(f"Wrote {', '.join(metrics['files'])}; checkpoint {ckpt}")
    return code


def _plots(args, solver, history, u, out) -> list:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    col = np.array([np.nan if v is None else v for v in history[solver.objective]], dtype=float)
    ax.semilogy(history.epoch, np.maximum(col, 1e-300))
    ax.set_xlabel("epoch")
    ax.set_ylabel(solver.objective)
    ax.set_title(f"bregnet invert: {solver.name}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "history.png", dpi=90)
    plt.close(fig)
    files.append(str(out / "history.png"))
    shape = solver.image_shape
    if shape is not None and len(shape) == 2:
        n = min(8, u.shape[0])
        fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 1.8), squeeze=False)
        for i in range(n):
            axes[0, i].imshow(u[i].reshape(shape), cmap="gray")
            axes[0, i].axis("off")
        fig.tight_layout()
        fig.savefig(out / "reconstruction.png", dpi=90)
        plt.close(fig)
        files.append(str(out / "reconstruction.png"))
    return files
