r"""One way to train any problem with any solver by name (the comparisons of Section 6).

The paper's claims compare optimisers on the same network, data and metrics: lifted Bregman training
(Algorithm 1, LBN-S/LBN-D, and the other solvers of Section 4) against back-propagation (GD-BP (3),
SGD-BP (20), ISGD-BP (22)) and the quadratic-penalty lifted networks (6), (7).  :func:`train` runs a
:class:`~bregnet.problems.Problem` with a solver named in :data:`SOLVERS` through the engine
(:func:`bregnet.solvers.engine.run`) and records, after every epoch, the solver's diagnostics and the metrics
of :meth:`Problem.evaluate <bregnet.problems.Problem.evaluate>` in a :class:`TrainingLog` (row 0 is the
initial network).  The engine runs every solver once, epoch by epoch; with ``checkpoint_dir`` it writes the
solver's state (its checkpoint is the state itself) after every epoch, so every solver resumes exactly.

Options: a solver's own defaults (on its class, chosen to learn), then a named preset (``preset="paper"``: the
settings printed in Section 6, :mod:`bregnet.presets`), then ``options``.  ``wall_time`` in the log is the
cumulative time spent in the solver's updates, excluding the evaluation of the metrics.

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

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from ._arrays import float_dtype
from .backprop.classical_lifted import MACQP, ClassicalLifted
from .backprop.optimisers import GDBP, ISGDBP, SGDBP, AdamBP
from .exceptions import BregnetInputError, DivergenceError
from .lifted import PENALTIES
from .network import Network
from .presets import PAPER_BATCH_SIZE, preset_options
from .problems import PROBLEM_NAMES, Problem, ProblemData
from .solvers.adam_bcd import AdamBCD
from .solvers.coordinate_descent import CoordinateDescent
from .solvers.engine import DivergenceRule, History, Result, Solver, make_generator, run
from .solvers.implicit_stochastic import LBND, LBNS
from .solvers.inertial_bcd import InertialBCD
from .solvers.model_averaging import ModelAveraging, ParallelImplicit
from .solvers.proximal_gradient import ProximalGradient
from .solvers.stochastic_proximal_gradient import StochasticProximalGradient

__all__ = ["SolverSpec", "SOLVERS", "ALIASES", "solver_names", "get_solver", "TrainingLog", "TrainOutcome",
           "TrainingDivergedError", "train", "default_batch_size", "TRAINING_STATE"]

#: the checkpoint file inside ``checkpoint_dir`` (the engine's checkpoint: state, history, generator)
TRAINING_STATE = "training-state.npz"


def default_batch_size(problem_name: str) -> int:
    """The paper's batch size for a problem: 100 (6.1), 20 (6.2, 6.3 1K), 200 (6.3 10K / undercomplete).

    Examples
    --------
    >>> default_batch_size("classification")
    100
    """
    if problem_name not in PAPER_BATCH_SIZE:
        raise BregnetInputError(f"unknown problem {problem_name!r}; choose one of {', '.join(PROBLEM_NAMES)}")
    return PAPER_BATCH_SIZE[problem_name]


@dataclass(frozen=True)
class SolverSpec:
    """A solver :func:`train` knows by name: its class (hyperparameters and algorithm) and a description.

    Attributes
    ----------
    name : str
    kind : ``"lifted"`` or ``"baseline"``
    solver : type of Solver
    description : str
    relu_hidden_only : bool
        Needs ReLU hidden layers (the classical lifted network (7)).
    """

    name: str
    kind: str
    solver: type
    description: str
    relu_hidden_only: bool = False

    @property
    def stochastic(self) -> bool:
        """Takes ``batch_size`` (mini-batches); full-batch solvers have none."""
        return self.solver.stochastic

    @property
    def supports_l1(self) -> bool:
        return self.solver.supports_l1

    @property
    def penalties(self) -> tuple:
        """The lifted family's hidden penalties (:data:`bregnet.lifted.PENALTIES`) it takes as ``penalty=``; a
        baseline takes none (the classical lifted network and MAC-QP minimise the fixed energies (7), (6), which
        are the ``"classical"`` and ``"mac"`` penalties: :attr:`energy_penalty`)."""
        return tuple(self.solver.penalties) if self.kind == "lifted" else ()

    @property
    def energy_penalty(self) -> str | None:
        """The penalty of the lifted family whose energy this baseline minimises (None: not a lifted energy)."""
        return getattr(self.solver, "energy_penalty", None)

    @property
    def resume_exact(self) -> bool:
        """Every solver resumes exactly: its checkpoint is its state."""
        return True

    def options_for(self, problem_name: str, preset: str | None = None) -> dict:
        """The options of this solver for a problem: its class defaults, then the preset's."""
        defaults = {f.name: f.default for f in dataclasses.fields(self.solver)}
        return {**defaults, **(preset_options(preset, self.name, problem_name) if preset else {})}

    def accepted_options(self) -> list:
        """Hyperparameters the user may set (``batch_size`` is :func:`train`'s own argument)."""
        return sorted(f.name for f in dataclasses.fields(self.solver) if f.name not in _RESERVED)

    def build(self, options: Mapping) -> Solver:
        """The solver object with these options (validated by its declared constraints; earlier names accepted)."""
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(self.solver)} - set(self.solver.renamed))
        if unknown:
            raise BregnetInputError(f"solver {self.name!r} has no option(s) {unknown}; it accepts "
                                    f"{', '.join(self.accepted_options())}")
        return self.solver.from_options(options)

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


#: arguments set by :func:`train` itself
_RESERVED = {"epochs", "rounds", "batch_size", "seed", "rng", "lambdas", "l1", "loss", "l1_alpha", "l1_layer",
             "callback", "validation_data", "checkpoint", "checkpoint_every", "resume", "record", "hidden"}

#: every solver :func:`train` knows, by name
SOLVERS: dict = {s.name: s for s in [
    SolverSpec("lbn-s", "lifted", LBNS, "Algorithm 1, implicit stochastic lifted Bregman (LBN-S, Section 4.2.3)"),
    SolverSpec("lbn-d", "lifted", LBND, "Algorithm 1 with tau^k = 0 and all samples per epoch (LBN-D, Section 6.2)"),
    SolverSpec("proximal-gradient", "lifted", ProximalGradient,
               "full-batch lifted proximal gradient (16)-(17), Section 4.1.1"),
    SolverSpec("stochastic-proximal-gradient", "lifted", StochasticProximalGradient,
               "stochastic lifted proximal gradient, Section 4.2.1"),
    SolverSpec("coordinate-descent", "lifted", CoordinateDescent, "block coordinate descent (35)-(37), Appendix B"),
    SolverSpec("adam-bcd", "lifted", AdamBCD,
               "block coordinate descent of (17) with Adam-preconditioned block steps (issue 15)"),
    SolverSpec("inertial-bcd", "lifted", InertialBCD,
               "block coordinate descent of (17) with heavy-ball or Nesterov extrapolation per block (iPALM)"),
    SolverSpec("model-averaging", "lifted", ModelAveraging,
               "model averaging over parallel batches, Section 4.2.2 (one round per epoch)"),
    SolverSpec("parallel-implicit", "lifted", ParallelImplicit,
               "parallel implicit stochastic iteration (23) (one round per epoch)"),
    SolverSpec("gd-bp", "baseline", GDBP, "full-batch (sub)gradient descent with back-propagation (3) (GD-BP)"),
    SolverSpec("sgd-bp", "baseline", SGDBP,
               "mini-batch stochastic (sub)gradient descent with back-propagation (20) (SGD-BP)"),
    SolverSpec("isgd-bp", "baseline", ISGDBP, "implicit SGD (22) with an inner GD-BP loop (ISGD-BP, Section 6.3)"),
    SolverSpec("adam-bp", "baseline", AdamBP, "Adam with back-propagation (extra reference, not in the paper)"),
    SolverSpec("classical-lifted", "baseline", ClassicalLifted,
               "classical lifted network (7) (quadratic penalty, x >= 0)", relu_hidden_only=True),
    SolverSpec("mac-qp", "baseline", MACQP, "method of auxiliary coordinates, quadratic penalty (6) (MAC-QP)"),
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
    bregnet.exceptions.BregnetInputError: unknown solver 'newton'; choose one of lbn-s, lbn-d, proximal-gradient, stochastic-proximal-gradient, coordinate-descent, adam-bcd, inertial-bcd, model-averaging, parallel-implicit, gd-bp, sgd-bp, isgd-bp, adam-bp, classical-lifted, mac-qp (aliases: adam, lbn, spg, pg)
    """
    if isinstance(name, SolverSpec):
        return name
    key = ALIASES.get(name, name)
    if key not in SOLVERS:
        raise BregnetInputError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)} "
                                f"(aliases: {', '.join(ALIASES)})")
    return SOLVERS[key]


# ---------------------------------------------------------------------------------------- the log
#: the training log is the engine's :class:`~bregnet.solvers.engine.History` (one history type)
TrainingLog = History


@dataclass
class TrainOutcome(Result):
    """What :func:`train` returns: the engine's :class:`~bregnet.solvers.engine.Result` with the log and settings."""

    solver: str = ""
    options: dict = field(default_factory=dict)
    batch_size: int | None = None
    epochs: int = 0
    resume_exact: bool = True

    @property
    def log(self) -> History:
        """The history: the solver's diagnostics and the problem's metrics, one row per epoch."""
        return self.history

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
        if A.shape[0] == 0:
            raise BregnetInputError(f"{name} has no samples (shape {A.shape})")
        conv.append(np.ascontiguousarray(A, dtype=dtype))
    return conv


def _options(spec: SolverSpec, problem: Problem, options, preset, batch_size, n_samples) -> dict:
    if options is not None and not isinstance(options, Mapping):
        raise BregnetInputError(f"options must be a mapping of solver options such as {{'lr': 0.01}}; got "
                                f"{type(options).__name__}")
    user = dict(options or {})
    bad = sorted(set(user) & _RESERVED)
    if bad:
        raise BregnetInputError(f"options {bad} are set by train() itself (use its arguments)")
    opts = {**(preset_options(preset, spec.name, problem.name) if preset else {}), **user}
    if spec.stochastic:
        if batch_size is None:
            batch_size = min(default_batch_size(problem.name), n_samples)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise BregnetInputError(f"batch_size must be a positive integer; got {batch_size!r}")
        opts["batch_size"] = int(batch_size)
    if spec.kind == "baseline" and "loss" in {f.name for f in dataclasses.fields(spec.solver)}:
        # the data term B_Psi_L(y, z_L) of (25); for the identity output it is the MSE, and "mse" is used then
        # (identical values and gradients; its evaluation reports a non-finite value as divergence)
        opts["loss"] = "mse" if problem.activations[-1].name == "identity" else "bregman"
    return opts


def _check_train_args(problem, epochs, dtype, callback, divergence):
    if not isinstance(problem, Problem):
        raise BregnetInputError(f"problem must be a bregnet.problems.Problem; got {type(problem).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise BregnetInputError(f"epochs must be an integer >= 0; got {epochs!r}")
    float_dtype(dtype)
    if callback is not None and not callable(callback):
        raise BregnetInputError("callback must be callable(epoch, network, row)")
    if divergence is not None and not isinstance(divergence, DivergenceRule):
        raise BregnetInputError(f"divergence must be a DivergenceRule; got {type(divergence).__name__}")


def _check_penalty(spec: SolverSpec, penalty) -> None:
    if penalty == "bregman":
        return
    if not isinstance(penalty, str) or penalty not in PENALTIES:
        raise BregnetInputError(f"penalty must be one of {', '.join(PENALTIES)}; got {penalty!r}")
    if penalty not in spec.penalties:
        takes = [s.name for s in SOLVERS.values() if penalty in s.penalties]
        raise BregnetInputError(f"solver {spec.name!r} does not take penalty {penalty!r} (it minimises "
                                f"{'its own objective' if not spec.penalties else 'the Bregman energy'}); "
                                f"use one of {', '.join(takes)}")


def train(problem: Problem, solver, data, *, epochs: int = 10, batch_size: int | None = None, seed=0,
          options: Mapping | None = None, preset: str | None = None, network: Network | None = None,
          dtype=np.float64, callback: Callable | None = None, checkpoint_dir=None, resume: bool = False,
          progress: bool = False, state: dict | None = None,
          divergence: DivergenceRule | None = None, penalty: str = "bregman") -> TrainOutcome:
    r"""Train ``problem`` with the solver named ``solver``, recording the metrics of every epoch.

    Parameters
    ----------
    problem : Problem
    solver : str or SolverSpec
        A name of :data:`SOLVERS` or :data:`ALIASES`.
    data : ProblemData or tuple
        ``(X, Y)`` or ``(X, Y, X_val, Y_val)`` (see :meth:`Problem.data <bregnet.problems.Problem.data>`).
    epochs : int
        Total epochs (on resume: the total, not the remaining ones).
    batch_size : int, optional
        Mini-batch size of the stochastic solvers (default: the paper's size for the problem, capped at the
        number of samples); ignored (recorded as None) for full-batch solvers.
    seed : int, None or numpy.random.Generator
        One generator: first the Glorot initialisation (unless ``network`` is given), then the solver's draws.
    options : mapping, optional
        Solver hyperparameters overriding the solver's defaults and the preset (e.g. ``{"lr": 0.1}``).
    preset : str, optional
        A named preset of :mod:`bregnet.presets` (``"paper"``: the settings printed in Section 6).
    network : Network, optional
        Initial network (warm start); default a Glorot initialisation of the problem's architecture.
    dtype : float64 or float32
        Of the network and the data (``network``'s dtype wins).
    callback : callable(epoch, network, row), optional
        Called after every epoch's evaluation (also epoch 0); returning True stops training.
    checkpoint_dir : path, optional
        Directory of the run's checkpoint (``training-state.npz``, written atomically after every epoch).
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` if it exists.
    progress : bool
        A progress bar on stderr.
    state : dict, optional
        Continue from a solver state (``TrainOutcome.state`` of an earlier run with the same solver, options and
        data), e.g. for ``partial_fit``; ``network`` must then be that run's network.
    divergence : DivergenceRule, optional
        When to stop as diverged (default: on non-finite values only; ``DivergenceRule(growth=1e6)`` also stops
        an exploding objective).
    penalty : str
        The hidden layers' penalty of the lifted energy, for the lifted solvers that take it
        (:attr:`SolverSpec.penalties`; :data:`bregnet.lifted.PENALTIES`: ``"bregman"``, ``"mac"``, ``"fenchel"``,
        ``"classical"``).

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
    _check_train_args(problem, epochs, dtype, callback, divergence)
    spec = get_solver(solver)
    spec.check_applicable(problem)
    _check_penalty(spec, penalty)
    if network is not None:
        problem.check_network(network)
        dtype = network.dtype
    X, Y, Xv, Yv = _as_data(data, np.dtype(dtype))
    opts = _options(spec, problem, options, preset, batch_size, X.shape[0])
    solver_obj = spec.build(opts)
    gen = make_generator(seed)
    net = network.copy() if network is not None else problem.network(rng=gen, dtype=dtype)
    ckpt = _checkpoint_path(checkpoint_dir)
    user_cb = None if callback is None else (lambda e, n, row: callback(e, n, History([row]).last))
    try:
        res = run(solver_obj, net, X, Y, epochs=int(epochs), lambdas=problem.lambdas, l1=problem.l1, rng=gen,
                  validation_data=None if Xv is None else (Xv, Yv), callback=user_cb, progress=progress,
                  checkpoint=ckpt, resume=resume, evaluate=lambda n: problem.evaluate(n, X, Y, Xv, Yv), state=state,
                  divergence=DivergenceRule() if divergence is None else divergence, penalty=penalty)
    except DivergenceError as exc:
        log = getattr(exc, "history", None) or History(spec.name)
        done = log.last.get("epoch", 0) if len(log) else 0
        raise TrainingDivergedError(f"{spec.name} diverged after epoch {done}: {exc}", log, done + 1) from exc
    return TrainOutcome(**{f.name: getattr(res, f.name) for f in dataclasses.fields(Result)}, solver=spec.name,
                        options=solver_obj.params(), batch_size=opts.get("batch_size"),
                        epochs=int(res.history.last.get("epoch", 0)))


def _checkpoint_path(checkpoint_dir):
    """``checkpoint_dir / training-state.npz`` (the directory is made by the first save), or None."""
    if checkpoint_dir is None:
        return None
    if not isinstance(checkpoint_dir, (str, os.PathLike)) or (Path(checkpoint_dir).exists()
                                                              and not Path(checkpoint_dir).is_dir()):
        raise BregnetInputError(f"checkpoint_dir must be a directory path; got {checkpoint_dir!r}")
    return Path(checkpoint_dir) / TRAINING_STATE
