r"""One way to train any problem with any solver by name (the comparisons of Section 6).

The paper's claims compare optimisers on the same network, data and metrics: lifted Bregman training
(Algorithm 1, LBN-S/LBN-D, and the other solvers of Section 4) against back-propagation (GD-BP (3),
SGD-BP (20), ISGD-BP (22)) and the quadratic-penalty lifted networks (6), (7).  :func:`train` runs a
:class:`~bregnet.problems.Problem` with a solver named in :data:`SOLVERS` and records, after every
epoch, the metrics of :meth:`Problem.evaluate <bregnet.problems.Problem.evaluate>` in a
:class:`TrainingLog` (row 0 is the initial network).

How the epochs are driven (the solvers themselves never print and take the whole run at once):

* ``"rng"``: LBN-S and LBN-D keep no state between epochs but the parameters and the random
  generator, so :func:`train` calls them one epoch at a time with the same generator; this is exactly
  the run with all epochs at once (checked in the tests).
* ``"checkpoint"``: every lifted solver writes atomic checkpoints and resumes bit-identically
  (auxiliary variables, momentum, generator, ...); :func:`train` calls it with ``epochs = k`` and
  ``resume=True`` for ``k = 1, 2, ...``, so each call restores the state of epoch ``k - 1`` from the
  solver's own checkpoint and runs one epoch.  With ``checkpoint_dir`` every lifted solver runs in this
  mode (its checkpoint is ``solver-state.npz`` there); without, solvers other than LBN-S/LBN-D use a
  temporary directory.
* ``"callback"``: the baselines take a per-epoch ``callback``; :func:`train` runs them once and
  evaluates inside the callback.  Their checkpoints (``training-state.npz``: parameters, generator
  state, log) are written by :func:`train` at epoch boundaries, atomically.  Resuming is exact for
  GD-BP, SGD-BP and ISGD-BP (their state is the parameters and the generator); Adam restarts its
  moment estimates and the classical lifted network / MAC-QP restart their auxiliary variables from a
  forward pass (``resume_exact`` is False for them and is recorded).

``wall_time`` in the log is the cumulative time spent inside the solver calls (for the baselines,
between the callbacks), excluding the evaluation of the metrics by :func:`train`; solver-internal
bookkeeping (their own history, checkpoint writes) is included.

Examples
--------
>>> from bregnet.problems import classification, ProblemData
>>> rng = np.random.default_rng(0); X = rng.normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)
>>> data = ProblemData(X, np.eye(2)[y])
>>> out = train(classification((4, 8, 2)), "lbn-s", data, epochs=3, batch_size=20, seed=0,
...             options={"prox_weight": 1.0})
>>> out.log["epoch"], out.log["accuracy"][-1] > out.log["accuracy"][0]
([0, 1, 2, 3], True)
"""
from __future__ import annotations

import inspect
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from ._atomic import atomic_savez
from .backprop import adam_bp, classical_lifted, gd_bp, isgd_bp, mac_qp, sgd_bp
from .exceptions import BregnetInputError, DivergenceError
from .network import Network
from .problems import PROBLEM_NAMES, Problem, ProblemData
from .solvers import (coordinate_descent, lbn_d, lbn_s, model_averaging, parallel_implicit, proximal_gradient,
                      stochastic_proximal_gradient)

__all__ = ["SolverSpec", "SOLVERS", "ALIASES", "solver_names", "get_solver", "TrainingLog", "TrainOutcome",
           "TrainingDivergedError", "train", "default_batch_size", "TRAINING_STATE", "SOLVER_STATE"]

#: file names inside ``checkpoint_dir``
TRAINING_STATE = "training-state.npz"
SOLVER_STATE = "solver-state.npz"

#: the paper's mini-batch sizes (Sections 6.1-6.3) by problem
_PAPER_BATCH = {"classification": 100, "sparse-ae": 20, "denoising-ae": 20, "undercomplete-ae": 200,
                "regression": 100}


def default_batch_size(problem_name: str) -> int:
    """The paper's batch size for a problem: 100 (6.1), 20 (6.2, 6.3 1K), 200 (6.3 10K / undercomplete).

    Examples
    --------
    >>> default_batch_size("classification")
    100
    """
    if problem_name not in _PAPER_BATCH:
        raise BregnetInputError(f"unknown problem {problem_name!r}; choose one of {', '.join(PROBLEM_NAMES)}")
    return _PAPER_BATCH[problem_name]


@dataclass(frozen=True)
class SolverSpec:
    """How :func:`train` calls one solver.

    Attributes
    ----------
    name : str
    kind : ``"lifted"`` or ``"baseline"``
    function : callable
        The solver, ``function(network, X, Y, **options)``.
    mode : ``"rng"``, ``"checkpoint"`` or ``"callback"`` (see the module docstring)
    stochastic : bool
        Takes ``batch_size`` (mini-batches); full-batch solvers ignore the batch size.
    resume_exact : bool
        A resumed run equals an uninterrupted one.
    description : str
    defaults : mapping
        Options by problem name (key ``"*"``: every problem); the paper's values where it prints them.
    epochs_arg : str
        Name of the solver's epoch count (``"rounds"`` for model averaging).
    supports_l1 : bool
        Handles the code regulariser of (26)/(27).
    relu_hidden_only : bool
        Needs ReLU hidden layers (the classical lifted network (7)).
    """

    name: str
    kind: str
    function: Callable
    mode: str
    stochastic: bool
    resume_exact: bool
    description: str
    defaults: Mapping = field(default_factory=dict)
    epochs_arg: str = "epochs"
    supports_l1: bool = True
    relu_hidden_only: bool = False

    def options_for(self, problem_name: str) -> dict:
        """The default options of this solver for a problem."""
        return {**self.defaults.get("*", {}), **self.defaults.get(problem_name, {})}

    def check_applicable(self, problem: Problem) -> None:
        """Raise BregnetInputError if this solver cannot train ``problem`` as posed."""
        if not self.supports_l1 and problem.l1_layer is not None:
            raise BregnetInputError(
                f"solver {self.name!r} has no l1 code regulariser, so it cannot train {problem.name} (26)/(27) "
                f"with alpha = {problem.l1_alpha}; use a lifted solver or a back-propagation baseline")
        if self.relu_hidden_only:
            bad = [l for l, a in enumerate(problem.activations[:-1], start=1) if a.name != "relu"]
            if bad:
                raise BregnetInputError(f"solver {self.name!r} (the classical lifted network (7)) needs ReLU hidden "
                                        f"layers; layers {bad} are not ReLU (use 'mac-qp')")

    def accepted_options(self) -> list:
        """Keyword options of the solver function that the user may set."""
        sig = inspect.signature(self.function)
        return sorted(n for n, p in sig.parameters.items()
                      if p.kind == p.KEYWORD_ONLY and n not in _RESERVED and not n.startswith("_"))


#: arguments set by :func:`train` itself
_RESERVED = {"epochs", "rounds", "batch_size", "seed", "rng", "lambdas", "l1", "loss", "l1_alpha", "l1_layer",
             "callback", "validation_data", "checkpoint", "checkpoint_every", "resume", "record", "hidden"}

_LBN_S = {"classification": {"prox_weight": 100.0, "n_inner": 15},        # Section 6.1: tau^k = 100, N = 15
          "sparse-ae": {"prox_weight": 1.0, "n_inner": 15},               # 6.2: tau_k = 1
          "denoising-ae": {"prox_weight": 0.5, "n_inner": 15},            # 6.3 (1K): tau_k = 0.5
          "undercomplete-ae": {"prox_weight": 1.0, "n_inner": 30}}        # 6.3 (10K): tau_k = 1, N = 30
_SGD = {"classification": {"lr": 1e-3}, "sparse-ae": {"lr": 3e-2}, "denoising-ae": {"lr": 1e-3},
        "undercomplete-ae": {"lr": 4e-4}}
_ISGD = {"*": {"tau": 1.0, "inner_steps": 15, "lr": 1e-3}, "undercomplete-ae": {"lr": 4e-4, "inner_steps": 30}}

#: every solver :func:`train` knows, by name
SOLVERS: dict = {s.name: s for s in [
    SolverSpec("lbn-s", "lifted", lbn_s, "rng", True, True,
               "Algorithm 1, implicit stochastic lifted Bregman (LBN-S, Section 4.2.3)", _LBN_S),
    SolverSpec("lbn-d", "lifted", lbn_d, "rng", False, True,
               "Algorithm 1 with tau^k = 0 and all samples per epoch (LBN-D, Section 6.2)", {"*": {"n_inner": 15}}),
    SolverSpec("proximal-gradient", "lifted", proximal_gradient, "checkpoint", False, True,
               "full-batch lifted proximal gradient (16)-(17), Section 4.1.1"),
    SolverSpec("stochastic-proximal-gradient", "lifted", stochastic_proximal_gradient, "checkpoint", True, True,
               "stochastic lifted proximal gradient, Section 4.2.1"),
    SolverSpec("coordinate-descent", "lifted", coordinate_descent, "checkpoint", False, True,
               "block coordinate descent (35)-(37), Appendix B"),
    SolverSpec("model-averaging", "lifted", model_averaging, "checkpoint", False, True,
               "model averaging over parallel batches, Section 4.2.2 (one round per epoch)", epochs_arg="rounds"),
    SolverSpec("parallel-implicit", "lifted", parallel_implicit, "checkpoint", False, True,
               "parallel implicit stochastic iteration (23) (one round per epoch)", epochs_arg="rounds"),
    SolverSpec("gd-bp", "baseline", gd_bp, "callback", False, True,
               "full-batch (sub)gradient descent with back-propagation (3) (GD-BP)", {"*": {"lr": 4e-2}}),
    SolverSpec("sgd-bp", "baseline", sgd_bp, "callback", True, True,
               "mini-batch stochastic (sub)gradient descent with back-propagation (20) (SGD-BP)", _SGD),
    SolverSpec("isgd-bp", "baseline", isgd_bp, "callback", True, True,
               "implicit SGD (22) with an inner GD-BP loop (ISGD-BP, Section 6.3)", _ISGD),
    SolverSpec("adam-bp", "baseline", adam_bp, "callback", True, False,
               "Adam with back-propagation (extra reference, not in the paper)", {"*": {"lr": 1e-3}}),
    SolverSpec("classical-lifted", "baseline", classical_lifted, "callback", False, False,
               "classical lifted network (7) (quadratic penalty, x >= 0)", supports_l1=False, relu_hidden_only=True),
    SolverSpec("mac-qp", "baseline", mac_qp, "callback", False, False,
               "method of auxiliary coordinates, quadratic penalty (6) (MAC-QP)", supports_l1=False),
]}

#: other names accepted by :func:`get_solver`
ALIASES = {"adam": "adam-bp", "lbn": "lbn-s", "spg": "stochastic-proximal-gradient", "pg": "proximal-gradient"}


def solver_names() -> list:
    """Names of the registered solvers (lifted first).

    Examples
    --------
    >>> solver_names()[:2]
    ['lbn-s', 'lbn-d']
    """
    return list(SOLVERS)


def get_solver(name) -> SolverSpec:
    """The :class:`SolverSpec` of a solver name (or alias, e.g. ``"adam"``).

    Examples
    --------
    >>> get_solver("adam").name
    'adam-bp'
    >>> get_solver("newton")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: unknown solver 'newton'; choose one of lbn-s, lbn-d, proximal-gradient, stochastic-proximal-gradient, coordinate-descent, model-averaging, parallel-implicit, gd-bp, sgd-bp, isgd-bp, adam-bp, classical-lifted, mac-qp (aliases: adam, lbn, spg, pg)
    """
    if isinstance(name, SolverSpec):
        return name
    key = ALIASES.get(name, name)
    if key not in SOLVERS:
        raise BregnetInputError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)} "
                                f"(aliases: {', '.join(ALIASES)})")
    return SOLVERS[key]


# ---------------------------------------------------------------------------------------- the log
class TrainingLog:
    """Per-epoch metrics: a list of rows (dicts), row 0 the initial network; ``log[key]`` is a column.

    Keys: ``epoch``, ``wall_time`` and those of :meth:`Problem.evaluate <bregnet.problems.Problem.evaluate>`.

    Examples
    --------
    >>> log = TrainingLog([{"epoch": 0, "objective": 2.0}, {"epoch": 1, "objective": 1.0}])
    >>> log["objective"], len(log), log.last["epoch"]
    ([2.0, 1.0], 2, 1)
    """

    def __init__(self, rows=None):
        self.rows = [dict(r) for r in (rows or [])]

    def append(self, row: dict) -> None:
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        return [r.get(key) for r in self.rows]

    def keys(self) -> list:
        out = []
        for r in self.rows:
            out += [k for k in r if k not in out]
        return out

    @property
    def last(self) -> dict:
        return dict(self.rows[-1]) if self.rows else {}

    def to_dict(self) -> dict:
        """Columns as a dict of lists (JSON-friendly)."""
        return {k: self[k] for k in self.keys()}

    def to_json(self) -> str:
        return json.dumps(self.rows)

    @classmethod
    def from_json(cls, text: str) -> "TrainingLog":
        return cls(json.loads(text))

    def __repr__(self) -> str:
        return f"TrainingLog({len(self)} rows, keys={self.keys()})"


@dataclass
class TrainOutcome:
    """What :func:`train` returns."""

    network: Network
    log: TrainingLog
    solver: str
    options: dict
    batch_size: int | None
    epochs: int
    resumed_from: int | None = None
    resume_exact: bool = True
    stopped_early: bool = False

    @property
    def train_time(self) -> float:
        """Seconds spent in the solver (the last ``wall_time``)."""
        return float(self.log.last.get("wall_time", 0.0) or 0.0)


class TrainingDivergedError(DivergenceError):
    """A solver diverged; ``.log`` holds the epochs recorded before, ``.epoch`` the failing epoch."""

    def __init__(self, message, log: TrainingLog, epoch: int):
        super().__init__(message)
        self.log = log
        self.epoch = epoch


class _Stop(Exception):
    pass


# ---------------------------------------------------------------------------------------- checkpoints
def _fingerprint(problem, spec, options, batch_size, X, Y, dtype) -> dict:
    return json.loads(json.dumps({
        "problem": problem.describe(), "solver": spec.name, "options": options, "batch_size": batch_size,
        "dtype": str(np.dtype(dtype)), "data": {"shape": list(X.shape) + [Y.shape[1]],
                                                "sumX": float(np.sum(X, dtype=np.float64)),
                                                "sumY": float(np.sum(Y, dtype=np.float64))}}, default=repr))


def _save_state(path: Path, *, epoch, network, log, rng_state, fingerprint):
    payload = {f"W{l}": W for l, W in enumerate(network.weights)}
    payload.update({f"b{l}": b for l, b in enumerate(network.biases)})
    meta = {"epoch": int(epoch), "rng": rng_state, "fingerprint": fingerprint, "log": log.rows,
            "n_layers": network.n_layers}
    payload["meta"] = np.array(json.dumps(meta, default=float))
    atomic_savez(path, payload)


def _load_state(path: Path, fingerprint, activations):
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            L = meta["n_layers"]
            W = tuple(z[f"W{l}"] for l in range(L))
            b = tuple(z[f"b{l}"] for l in range(L))
    except (OSError, ValueError, KeyError) as exc:
        raise BregnetInputError(f"resume: cannot read checkpoint {str(path)!r} ({exc})") from None
    if meta["fingerprint"] != fingerprint:
        diff = sorted(k for k in fingerprint if meta["fingerprint"].get(k) != fingerprint[k])
        raise BregnetInputError(f"resume: checkpoint {str(path)!r} belongs to a run with a different {', '.join(diff)}; "
                                f"use the same problem, solver, options, batch size, dtype and data, or start afresh "
                                f"without resume")
    return meta["epoch"], Network(W, b, activations), TrainingLog(meta["log"]), meta["rng"]


# ---------------------------------------------------------------------------------------- train
def _as_data(data, dtype):
    if not isinstance(data, ProblemData):
        if isinstance(data, (tuple, list)) and len(data) in (2, 4):
            data = ProblemData(*data)
        else:
            raise BregnetInputError("data must be a ProblemData or a tuple (X, Y) / (X, Y, X_val, Y_val)")
    conv = []
    for name in ("X_train", "Y_train", "X_val", "Y_val"):
        A = getattr(data, name)
        if A is None:
            conv.append(None)
            continue
        A = np.asarray(A)
        if A.dtype.kind not in "biuf" or A.ndim != 2:
            raise BregnetInputError(f"{name} must be a 2-D real array; got dtype {A.dtype}, shape {A.shape}")
        A = np.ascontiguousarray(A, dtype=dtype)
        if not A.flags.writeable:          # datasets hand out read-only views; the Numba kernels need writable arrays
            A = A.copy()
        conv.append(A)
    return conv


def train(problem: Problem, solver, data, *, epochs: int = 10, batch_size: int | None = None, seed=0,
          options: Mapping | None = None, network: Network | None = None, dtype=np.float64,
          callback: Callable | None = None, checkpoint_dir=None, resume: bool = False) -> TrainOutcome:
    r"""Train ``problem`` with the solver named ``solver``, recording the metrics of every epoch.

    Parameters
    ----------
    problem : Problem
    solver : str or SolverSpec
        A name of :data:`SOLVERS` (or :data:`ALIASES`).
    data : ProblemData or tuple
        ``(X, Y)`` or ``(X, Y, X_val, Y_val)`` (see :meth:`Problem.data <bregnet.problems.Problem.data>`).
    epochs : int
        Total epochs (on resume: the total, not the remaining ones).
    batch_size : int, optional
        Mini-batch size of the stochastic solvers (default: the paper's size for the problem, capped at the
        number of samples); ignored (recorded as None) for full-batch solvers.
    seed : int, None or numpy.random.Generator
        One generator: first the Glorot initialisation (unless ``network`` is given), then the batches.
    options : mapping, optional
        Solver options overriding the defaults of :attr:`SolverSpec.defaults` (e.g. ``{"lr": 0.1}``).
    network : Network, optional
        Initial network (warm start); default a Glorot initialisation of the problem's architecture.
    dtype : float64 or float32
        Of the network and the data (ignored when ``network`` is given: its dtype wins).
    callback : callable(epoch, network, row), optional
        Called after the evaluation of every epoch (also epoch 0); returning True stops training.
    checkpoint_dir : path, optional
        Directory for atomic checkpoints after every epoch (created if missing).
    resume : bool
        Continue from the checkpoints in ``checkpoint_dir`` if they exist; without ``resume`` existing
        checkpoints there are replaced.

    Returns
    -------
    TrainOutcome

    Raises
    ------
    BregnetInputError
        Unknown solver or option, a solver that cannot train the problem, bad data, mismatched checkpoint.
    TrainingDivergedError
        The solver diverged (a :class:`~bregnet.exceptions.DivergenceError` with the log so far).
    """
    if not isinstance(problem, Problem):
        raise BregnetInputError(f"problem must be a bregnet.problems.Problem; got {type(problem).__name__}")
    spec = get_solver(solver)
    spec.check_applicable(problem)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise BregnetInputError(f"epochs must be an integer >= 0; got {epochs!r}")
    epochs = int(epochs)
    user = dict(options or {})
    bad = sorted(set(user) & _RESERVED)
    if bad:
        raise BregnetInputError(f"options {bad} are set by train() itself (use its arguments)")
    unknown = sorted(set(user) - set(spec.accepted_options()))
    if unknown:
        raise BregnetInputError(f"solver {spec.name!r} has no option(s) {unknown}; it accepts "
                                f"{', '.join(spec.accepted_options())}")
    opts = {**spec.options_for(problem.name), **user}
    if network is not None:
        problem.check_network(network)
        dtype = network.dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise BregnetInputError(f"dtype must be float32 or float64; got {dtype}")
    X, Y, Xv, Yv = _as_data(data, dtype)
    if X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise BregnetInputError(f"X and Y need the same positive number of samples; got {X.shape[0]} and {Y.shape[0]}")
    if spec.stochastic:
        if batch_size is None:
            batch_size = min(default_batch_size(problem.name), X.shape[0])
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise BregnetInputError(f"batch_size must be a positive integer; got {batch_size!r}")
        batch_size = int(batch_size)
    else:
        batch_size = None
    if callback is not None and not callable(callback):
        raise BregnetInputError("callback must be callable(epoch, network, row)")

    gen = np.random.default_rng(seed)
    net = network.copy() if network is not None else problem.network(rng=gen, dtype=dtype)
    fp = _fingerprint(problem, spec, opts, batch_size, X, Y, dtype)

    ckdir = None if checkpoint_dir is None else Path(checkpoint_dir)
    tmpdir = None
    mode = spec.mode
    if spec.kind == "lifted" and (ckdir is not None or mode == "checkpoint"):
        mode = "checkpoint"
    if ckdir is not None:
        ckdir.mkdir(parents=True, exist_ok=True)
    elif mode == "checkpoint":
        tmpdir = tempfile.TemporaryDirectory(prefix="bregnet-train-")
    state_path = None if ckdir is None else ckdir / TRAINING_STATE
    solver_path = (ckdir if ckdir is not None else Path(tmpdir.name) if tmpdir else None)
    solver_path = None if solver_path is None else solver_path / SOLVER_STATE

    log = TrainingLog()
    start, resumed_from = 0, None
    if state_path is not None and resume and state_path.exists():
        start, net, log, rng_state = _load_state(state_path, fp, problem.activations)
        if rng_state is not None:
            gen.bit_generator.state = rng_state
        resumed_from = start
        if mode == "checkpoint" and start > 0 and not solver_path.exists():
            raise BregnetInputError(f"resume: {str(state_path)!r} is at epoch {start} but the solver checkpoint "
                                    f"{str(solver_path)!r} is missing; start afresh without resume")
    else:
        for p in (state_path, solver_path):
            if p is not None and p.exists():
                p.unlink()
    net0 = net
    elapsed = float(log.last.get("wall_time", 0.0) or 0.0) if len(log) else 0.0
    stopped = False

    def save(epoch, network):
        if state_path is not None:
            _save_state(state_path, epoch=epoch, network=network, log=log,
                        rng_state=gen.bit_generator.state if mode != "checkpoint" else None, fingerprint=fp)

    def record(epoch, network) -> bool:
        row = {"epoch": int(epoch), "wall_time": elapsed}
        row.update(problem.evaluate(network, X, Y, Xv, Yv))
        log.append(row)
        save(epoch, network)
        return bool(callback(epoch, network, dict(row))) if callback is not None else False

    lifted_kw = {"lambdas": problem.lambdas, "l1": problem.l1}
    if spec.stochastic:
        lifted_kw["batch_size"] = batch_size
    try:
        if start == 0 and not len(log):
            stopped = record(0, net)
        if spec.kind == "lifted":
            for k in range(start + 1, epochs + 1):
                if stopped:
                    break
                t0 = time.perf_counter()
                with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                    if mode == "rng":
                        res = spec.function(net, X, Y, **{spec.epochs_arg: 1}, rng=gen, record="none",
                                            **lifted_kw, **opts)
                    else:
                        res = spec.function(net0, X, Y, **{spec.epochs_arg: k}, rng=gen, checkpoint=str(solver_path),
                                            checkpoint_every=1, resume=True, **lifted_kw, **opts)
                net = res.network
                elapsed += time.perf_counter() - t0
                stopped = record(k, net)
        elif start < epochs and not stopped:
            clock = {"t": None}

            def cb(network, e):
                nonlocal elapsed, net, stopped
                now = time.perf_counter()
                elapsed += now - clock["t"]
                if e > 0:
                    net = network
                    if record(start + e, network):
                        stopped = True
                        raise _Stop
                clock["t"] = time.perf_counter()

            kw = {"callback": cb}
            sig = inspect.signature(spec.function).parameters
            if "rng" in sig:
                kw["rng"] = gen
            if "loss" in sig:
                # the data term B_Psi_L(y, z_L) of (25); for the identity output it is the MSE, and "mse" is used
                # then (identical values and gradients; its evaluation reports a non-finite value as divergence)
                kw["loss"] = "mse" if problem.activations[-1].name == "identity" else "bregman"
            if "l1_alpha" in sig and problem.l1_layer is not None:
                kw.update(l1_alpha=problem.l1_alpha, l1_layer=problem.l1_layer)
            if spec.stochastic:
                kw["batch_size"] = batch_size
            clock["t"] = time.perf_counter()
            try:
                with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                    net, _ = spec.function(net, X, Y, epochs=epochs - start, **kw, **opts)
            except _Stop:
                pass
    except DivergenceError as exc:
        done = log.last.get("epoch", 0) if len(log) else 0
        raise TrainingDivergedError(f"{spec.name} diverged after epoch {done}: {exc}", log, done + 1) from exc
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    return TrainOutcome(network=net, log=log, solver=spec.name, options=opts, batch_size=batch_size,
                        epochs=int(log.last.get("epoch", 0)), resumed_from=resumed_from,
                        resume_exact=spec.resume_exact, stopped_early=stopped)
