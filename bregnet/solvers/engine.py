r"""The training engine: every solver as hyperparameters, an explicit state and one update (issue 11).

A solver (Sections 4, Appendix B and the baselines of Section 2) is a small frozen object of its hyperparameters
(:class:`Solver`, validated once by :mod:`bregnet.solvers.params`) with three methods:

* ``init(task, network, hidden, rng) -> state``: the state before the first epoch (a dict of arrays and
  scalars: parameters, auxiliary variables, warm starts, momentum, multipliers, ...);
* ``update(task, state, rng) -> state``: one epoch (one pass over the data, one outer iteration, one round);
* ``diagnostics(task, state) -> dict``: the numbers recorded after the epoch (lifted energy, losses, ...).

:func:`run` owns everything around it, the same for every solver: data validation, the history, callbacks and
progress, divergence detection, checkpoints (the checkpoint is the state itself, so a resumed run equals the
uninterrupted one bit for bit) and one result type, :class:`Result`.  This is the shape of jaxopt's
``init_state``/``update``/``run`` and optax's ``init``/``update``, written for NumPy solvers.

Examples
--------
>>> import numpy as np
>>> from bregnet.testing import toy_problem
>>> from bregnet.solvers.proximal_gradient import ProximalGradient
>>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=20)
>>> res = run(ProximalGradient(), net, X, Y, epochs=5)
>>> res.history.epoch, bool(res.history.energy[-1] < res.history.energy[0])
([0, 1, 2, 3, 4, 5], True)
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from .._arrays import as_real_2d
from ..exceptions import BregnetInputError, DivergenceError
from ..lifted import LiftedProblem
from ..network import Network
from ._common import check_hidden
from .checkpoint import load_checkpoint, save_checkpoint
from .params import Hyperparameters

__all__ = ["Solver", "Task", "History", "Result", "run", "DivergenceRule", "data_fingerprint", "make_task",
           "check_targets", "params_state", "check_state", "make_generator"]


# ---------------------------------------------------------------------------------------------- the task
@dataclass(frozen=True)
class Task:
    r"""What a solver trains on: the lifted problem (activations, :math:`\lambda_l`, l1 term) and validated data.

    Attributes
    ----------
    problem : LiftedProblem
    X, Y : ndarray
        Inputs and targets, C-contiguous, writeable, in the network's dtype.
    X_val, Y_val : ndarray or None
        Validation data (diagnostics only).
    """

    problem: LiftedProblem
    X: np.ndarray
    Y: np.ndarray
    X_val: np.ndarray | None = None
    Y_val: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def rows(self, m: int | None) -> "Task":
        r"""The task on ``m`` evenly spaced rows :math:`i_k = \lfloor k s / m\rfloor`, k = 0..m-1 (itself when
        ``m`` is None or at least the number of samples); validation data are kept whole.

        Deterministic (no random draw), so a run's generator and its resume are not touched.

        Examples
        --------
        >>> from bregnet.lifted import LiftedProblem
        >>> from bregnet.network import glorot_init
        >>> net = glorot_init([1, 1], ["identity"], seed=0)
        >>> task = make_task(net, np.arange(10.0)[:, None], np.zeros((10, 1)), LiftedProblem.from_network(net))
        >>> task.rows(4).X.ravel()
        array([0., 2., 5., 7.])
        """
        if m is None or m >= self.n_samples:
            return self
        idx = (np.arange(m) * self.n_samples) // m
        return Task(self.problem, self.X[idx], self.Y[idx], self.X_val, self.Y_val)


def check_targets(problem: LiftedProblem, name: str, Y) -> None:
    """Raise BregnetInputError if a row of ``Y`` lies outside dom Psi_L (the lifted data term is infinite there)."""
    out_act = problem.activations[-1]
    inside = out_act.in_domain(Y)
    if not np.all(inside):
        bad = int(np.size(inside) - np.count_nonzero(inside))
        raise BregnetInputError(f"{name} has {bad} row(s) outside the domain of Psi_L of the output activation "
                                f"{out_act!r}; the data term B_Psi_L(y, z) is infinite there (choose targets in "
                                f"dom Psi_L or another output activation)")


def make_task(network: Network, X, Y, problem: LiftedProblem, validation_data=None) -> Task:
    """Validate and cast the data (shapes, finiteness, targets in dom Psi_L) into a :class:`Task`."""
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
    if problem.n_layers != network.n_layers:
        raise BregnetInputError("problem and network have different numbers of layers")
    n0, nL = network.layer_sizes[0], network.layer_sizes[-1]
    X, Y = as_real_2d("X", X, n0, network.dtype), as_real_2d("Y", Y, nL, network.dtype)
    if X.shape[0] != Y.shape[0]:
        raise BregnetInputError(f"X and Y must have the same number of samples; got {X.shape[0]} and {Y.shape[0]}")
    Xv = Yv = None
    if validation_data is not None:
        try:
            Xv, Yv = validation_data
        except (TypeError, ValueError):
            raise BregnetInputError("validation_data must be a pair (X_val, Y_val)") from None
        Xv, Yv = as_real_2d("X_val", Xv, n0, network.dtype), as_real_2d("Y_val", Yv, nL, network.dtype)
        if Xv.shape[0] != Yv.shape[0]:
            raise BregnetInputError("X_val and Y_val must have the same number of samples")
    return Task(problem, X, Y, Xv, Yv)


def data_fingerprint(X, Y) -> dict:
    """A cheap identity check of the training data for resumes (shape, dtype, sums)."""
    return {"shape": list(X.shape) + [Y.shape[1]], "dtype": str(X.dtype),
            "sumX": float(np.sum(X, dtype=np.float64)), "sumY": float(np.sum(Y, dtype=np.float64))}


# ---------------------------------------------------------------------------------------------- solvers
@dataclass(frozen=True)
class Solver(Hyperparameters):
    r"""Base class of every solver: hyperparameters (validated when built) plus ``init``/``update``/``diagnostics``.

    Class attributes
    ----------------
    name : str
        The solver's name in checkpoints, histories and messages.
    objective : str
        The diagnostics key that :func:`run` watches for divergence (``"energy"`` or ``"objective"``).
    stochastic : bool
        Draws mini-batches (so has a ``batch_size``).
    supports_l1 : bool
        Handles the code regulariser of (26)/(27).
    step_option : str
        The hyperparameter to lower when a run diverges (named in the message).
    needs_l1_prox : bool
        Needs the closed-form prox of :math:`\Psi_c + \alpha\|\cdot\|_1` on the code layer (the lifted
        x-steps do; back-propagation does not).
    diagnostics_from_parameters : bool
        Its diagnostics depend on the data and :math:`\Theta` only (no per-sample state such as auxiliary
        variables), so :func:`run` may evaluate them on a subset of the rows (``diagnostics_rows``).
    supports_operators : bool
        Trains networks of operator layers (:mod:`bregnet.operators`: convolutions); the others refuse them.
    penalties : tuple of str
        The lifted energies' hidden penalties it minimises (:data:`bregnet.lifted.PENALTIES`; default Bregman only).
    """

    name: ClassVar[str] = "solver"
    objective: ClassVar[str] = "energy"
    stochastic: ClassVar[bool] = False
    supports_l1: ClassVar[bool] = True
    needs_l1_prox: ClassVar[bool] = True
    step_option: ClassVar[str] = "step_scale"
    diagnostics_from_parameters: ClassVar[bool] = False
    supports_operators: ClassVar[bool] = False
    penalties: ClassVar[tuple] = ("bregman",)

    def check_task(self, task: Task) -> None:
        """Raise BregnetInputError if this solver cannot train ``task`` (override where needed).

        The default checks that the targets lie in dom Psi_L (the data term of (25)) and the l1 term.
        """
        check_targets(task.problem, "Y", task.Y)
        if task.Y_val is not None:
            check_targets(task.problem, "Y_val", task.Y_val)
        if not self.supports_l1 and task.problem.regulariser is not None and task.problem.regulariser.alpha > 0:
            raise BregnetInputError(f"{self.name} has no l1 code regulariser; use a lifted solver")

    def init(self, task: Task, network: Network, hidden, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def update(self, task: Task, state: dict, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def diagnostics(self, task: Task, state: dict) -> dict:
        raise NotImplementedError

    def network(self, task: Task, state: dict) -> Network:
        """The network of a state (default: ``state["weights"]``, ``state["biases"]``)."""
        return Network(tuple(state["weights"]), tuple(state["biases"]), task.problem.activations, task.problem.layers)

    def hidden(self, state: dict):
        """The auxiliary variables of a state, if it keeps them (default ``state.get("hidden")``)."""
        return state.get("hidden")


def params_state(network: Network) -> dict:
    """``{"weights": (...), "biases": (...)}``: copies of a network's parameters, the start of most states."""
    return {"weights": tuple(W.copy() for W in network.weights), "biases": tuple(b.copy() for b in network.biases)}


# ---------------------------------------------------------------------------------------------- history
class History:
    """Per-epoch record of a run: ``epoch``, ``wall_time`` and one column per diagnostic; row 0 is the start.

    The one history type of bregnet (solvers, :func:`bregnet.training.train`, the estimators' ``history_``).
    A column is read as an attribute or by key (``history.energy``, ``history["energy"]``: lists, ``None`` where a
    row has no value); a row as a dict (``history.rows``, ``history.last``).  ``wall_time`` counts the seconds spent
    in the solver's updates, cumulative over resumes.

    ``History(name)`` starts an empty history of the solver ``name``; ``History(rows)`` builds one from a list of
    row dicts (each with ``epoch``).

    Examples
    --------
    >>> h = History("demo")
    >>> h.record(0, 0.0, {"energy": 2.0}); h.record(1, 0.5, {"energy": 1.0})
    >>> h.energy, h.epoch, len(h), h.last["energy"]
    ([2.0, 1.0], [0, 1], 2, 1.0)
    >>> History([{"epoch": 0, "objective": 2.0}, {"epoch": 1, "objective": 1.0}])["objective"]
    [2.0, 1.0]
    """

    def __init__(self, solver="", columns: dict | None = None, options: dict | None = None):
        rows = None
        if isinstance(solver, (list, tuple)):
            rows, solver = solver, ""
        self.solver = solver
        self.options = dict(options or {})
        self.columns = {"epoch": [], "wall_time": []}
        for k, v in (columns or {}).items():
            self.columns[k] = list(v)
        for r in rows or ():
            self.append(r)

    def record(self, epoch: int, wall_time: float, row: dict) -> None:
        """Append the row of ``epoch`` (``wall_time`` seconds of training so far)."""
        self.append({**row, "epoch": int(epoch), "wall_time": float(wall_time)})

    def append(self, row: dict) -> None:
        """Append a row dict (with ``epoch``; ``wall_time`` defaults to None)."""
        for k in row:
            if k not in self.columns:
                self.columns[k] = [None] * len(self)
        for k, col in self.columns.items():
            col.append(row.get(k))

    def __len__(self) -> int:
        return len(self.columns["epoch"])

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` rows."""
        for col in self.columns.values():
            del col[n:]

    def __getitem__(self, key):
        return self.columns[key] if key in self.columns else [None] * len(self)

    def __getattr__(self, key):
        cols = self.__dict__.get("columns")
        if cols is not None and key in cols:
            return cols[key]
        raise AttributeError(f"History has no column {key!r}")

    def keys(self) -> list:
        return list(self.columns)

    def row(self, i: int = -1) -> dict:
        return {k: v[i] for k, v in self.columns.items()}

    @property
    def rows(self) -> list:
        """Every row as a dict."""
        return [self.row(i) for i in range(len(self))]

    @property
    def last(self) -> dict:
        """The last row (``{}`` if empty), arrays as lists."""
        return _plain(self.row()) if len(self) else {}

    def to_dict(self) -> dict:
        """Columns as a dict of lists, arrays as lists (JSON-friendly)."""
        return {k: [_plain(v) for v in col] for k, col in self.columns.items()}

    def as_dict(self) -> dict:
        """:meth:`to_dict` with the solver's name and options."""
        return {"solver": self.solver, "options": dict(self.options), **self.to_dict()}

    def to_json(self) -> str:
        """The rows as JSON text (arrays as lists)."""
        return json.dumps([_plain(r) for r in self.rows])

    @classmethod
    def from_json(cls, text: str) -> "History":
        return cls(json.loads(text))

    def to_state(self) -> dict:
        """Everything, arrays with their dtype, for a checkpoint; :meth:`from_state` restores it exactly."""
        def enc(v):
            if isinstance(v, np.ndarray):
                return {"ndarray": v.tolist(), "dtype": str(v.dtype)}
            return v
        return {"solver": self.solver, "options": self.options,
                "columns": {k: [enc(v) for v in col] for k, col in self.columns.items()}}

    @classmethod
    def from_state(cls, d: dict) -> "History":
        def dec(v):
            if isinstance(v, dict) and "ndarray" in v:
                return np.array(v["ndarray"], dtype=v["dtype"])
            return v
        return cls(d["solver"], {k: [dec(v) for v in col] for k, col in d["columns"].items()}, d["options"])

    def __repr__(self) -> str:
        return f"History({self.solver!r}, {len(self)} rows, columns={self.keys()})"


def _plain(v):
    """Arrays (and dicts of them) as lists, for JSON."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


@dataclass
class Result:
    """What :func:`run` returns: the trained network, the history, the final state and how the run ended."""

    network: Network
    history: History
    state: dict = field(default_factory=dict)
    hidden: list | None = None
    resumed_from: int | None = None
    stopped_early: bool = False

    def __iter__(self):                 # ``network, history = result`` (as the baselines returned)
        return iter((self.network, self.history))


# ---------------------------------------------------------------------------------------------- divergence
@dataclass(frozen=True)
class DivergenceRule:
    r"""When :func:`run` stops a run as diverged.

    Always on a non-finite state or objective.  With ``growth`` set, also when the watched objective exceeds
    ``growth * max(|objective at epoch 0|, 1)`` (the objectives here are non-negative and start at O(1) for
    standardised data; a factor such as :math:`10^6` is no slow drift).  Off by default.
    """

    growth: float | None = None

    def __post_init__(self):
        g = self.growth
        if g is not None and (isinstance(g, (bool, np.bool_)) or not isinstance(g, (int, float, np.integer, np.floating))
                              or not math.isfinite(g) or g < 1):
            raise BregnetInputError(f"DivergenceRule: growth must be None or a finite factor >= 1; got {g!r}")

    def check(self, solver: Solver, history: History, epoch: int) -> None:
        for key, col in history.columns.items():
            if isinstance(col[-1], float) and not math.isfinite(col[-1]):
                raise DivergenceError(f"{solver.name}: the {key} became non-finite ({col[-1]}) in epoch {epoch}; "
                                      f"{_hint(solver, epoch)}")
        col = history.columns.get(solver.objective)
        if not col or col[-1] is None:
            return
        value = col[-1]
        if self.growth is not None and col[0] is not None and value > self.growth * max(abs(col[0]), 1.0):
            raise DivergenceError(f"{solver.name}: the {solver.objective} grew from {col[0]:.4g} to {value:.4g} "
                                  f"by epoch {epoch}; {_hint(solver)}")


def _hint(solver: Solver, epoch: int = 1) -> str:
    """What to lower after a divergence: the solver's step option with its value, where it has one; in epoch 0 (no
    step taken yet) the data."""
    if epoch == 0:
        return "this is the initial network, before any step: the data X, Y (or the initial weights) are too large"
    opt = solver.step_option
    if opt in solver.params():
        return f"lower {opt} (it is {solver.params()[opt]})"
    return "check the scaling of the data"


def _non_finite_entry(state: dict, path: str = "") -> str | None:
    """The name of the first non-finite float or floating array of a state (``weights[0]``, ``warm.vx[1]``), or None."""
    for k, v in state.items():
        name = f"{path}{k}"
        if (isinstance(v, float) and not math.isfinite(v)) or (isinstance(v, np.ndarray) and v.dtype.kind == "f"
                                                                and not np.all(np.isfinite(v))):
            return name
        found = None
        if isinstance(v, (list, tuple)):
            found = _non_finite_entry({f"[{i}]": a for i, a in enumerate(v)}, name)
        elif isinstance(v, dict):
            found = _non_finite_entry(v, f"{name}.")
        if found is not None:
            return found
    return None


def _check_finite_state(solver: Solver, state: dict, epoch: int) -> None:
    name = _non_finite_entry(state)
    if name is not None:
        raise DivergenceError(f"{solver.name}: {name} became non-finite in epoch {epoch}; the steps are too "
                              f"large ({_hint(solver)}) or the data are badly scaled")


# ---------------------------------------------------------------------------------------------- run
def network_fingerprint(network: Network) -> dict:
    """A cheap identity of a network for resumes: sizes, activations (with their parameters), parameter sums."""
    fp = {"layer_sizes": list(network.layer_sizes), "activations": [repr(a) for a in network.activations],
          "sum": float(sum(np.sum(A, dtype=np.float64) for A in network.weights + network.biases)),
          "sum_sq": float(sum(np.sum(np.square(A, dtype=np.float64)) for A in network.weights + network.biases))}
    if network.layers is not None:                 # dense networks: the fingerprint they always had
        fp["layers"] = [repr(op) for op in network.layers]
    return fp


def _fingerprint(solver: Solver, task: Task, network: Network) -> dict:
    """What a checkpoint must match to be resumed: the solver's options, the data, the energy, the initial network."""
    reg = task.problem.regulariser
    fp = {"solver": solver.params(), "data": data_fingerprint(task.X, task.Y),
          "lambdas": list(task.problem.lambdas), "l1": None if reg is None else [reg.layer, reg.alpha],
          "initial_network": network_fingerprint(network)}
    if task.problem.penalty != "bregman":          # Bregman runs: the fingerprint they always had
        fp["penalty"] = task.problem.penalty
    return json.loads(json.dumps(fp, default=repr))


def _make_rng(seed, rng) -> np.random.Generator:
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise BregnetInputError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        return rng
    return make_generator(seed)


def make_generator(seed, name: str = "seed") -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for None, an int >= 0, a sequence of them, a SeedSequence, a BitGenerator
    or a Generator (returned as it is); otherwise BregnetInputError naming ``name`` (numpy's own errors do not say
    which argument was wrong).

    Examples
    --------
    >>> make_generator(-1)
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: seed must be None, an integer >= 0, a sequence of them or a numpy Generator; got -1
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(seed)
    entries = seed if isinstance(seed, (list, tuple)) else [seed]
    ok = seed is None or (len(entries) > 0 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 0 for v in entries))
    if not ok:
        raise BregnetInputError(f"{name} must be None, an integer >= 0, a sequence of them or a numpy Generator; "
                                f"got {seed!r}")
    return np.random.default_rng(seed)


def _check_run_options(solver, epochs, checkpoint_every, callback, record):
    if not isinstance(solver, Solver):
        raise BregnetInputError(f"solver must be a bregnet Solver (e.g. bregnet.solvers.LBNS()); "
                                f"got {type(solver).__name__}")
    for name, v, low in (("epochs", epochs, 0), ("checkpoint_every", checkpoint_every, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise BregnetInputError(f"{name} must be an integer >= {low}; got {v!r}")
    if callback is not None and not callable(callback):
        raise BregnetInputError(f"callback must be callable(epoch, network, row); got {type(callback).__name__}")
    if record not in ("epoch", "end"):
        raise BregnetInputError(f"record must be 'epoch' or 'end'; got {record!r}")


def _check_diagnostics_rows(solver, rows) -> None:
    if rows is None:
        return
    if isinstance(rows, (bool, np.bool_)) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise BregnetInputError(f"diagnostics_rows must be None or an integer >= 1; got {rows!r}")
    if not solver.diagnostics_from_parameters:
        raise BregnetInputError(f"diagnostics_rows: the diagnostics of {solver.name} depend on its per-sample state "
                                f"(auxiliary variables), so they are evaluated on all rows; leave it None")


def _check_run_flags(network, progress, resume, divergence, evaluate, checkpoint) -> None:
    """The options of :func:`run` that are not the data: types (a string ``resume="no"`` would resume) and the
    checkpoint path (a directory, or a path under a file, failed only at the first save, after an epoch's work)."""
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
    for name, v in (("progress", progress), ("resume", resume)):
        if not isinstance(v, (bool, np.bool_)):
            raise BregnetInputError(f"{name} must be True or False; got {v!r}")
    if not isinstance(divergence, DivergenceRule):
        raise BregnetInputError(f"divergence must be a DivergenceRule; got {type(divergence).__name__}")
    if evaluate is not None and not callable(evaluate):
        raise BregnetInputError(f"evaluate must be callable(network) -> dict; got {type(evaluate).__name__}")
    if checkpoint is None:
        return
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise BregnetInputError(f"checkpoint must be a file path; got {type(checkpoint).__name__}")
    path = os.path.abspath(os.fspath(checkpoint))
    if os.path.isdir(path):
        raise BregnetInputError(f"checkpoint {os.fspath(checkpoint)!r} is a directory; give a file path")
    parent = os.path.dirname(path)
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise BregnetInputError(f"checkpoint {os.fspath(checkpoint)!r}: {parent!r} is a file, not a directory")


class _Progress:
    """A tqdm bar on stderr when asked for (the engine owns all output; solvers never print)."""

    def __init__(self, enabled, total, initial, name):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=initial, desc=name, unit="epoch", file=sys.stderr, leave=False)

    def step(self, row: dict, key: str):
        if self.bar is not None:
            v = row.get(key)
            if isinstance(v, float):
                self.bar.set_postfix({key: f"{v:.4g}"}, refresh=False)
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run(solver: Solver, network: Network, X, Y, *, epochs: int = 10, lambdas=None, l1=None, hidden=None,
        validation_data=None, seed=None, rng=None, callback: Callable | None = None, progress: bool = False,
        checkpoint=None, checkpoint_every: int = 1, resume: bool = False, record: str = "epoch",
        divergence: DivergenceRule = DivergenceRule(), evaluate: Callable | None = None,
        state: dict | None = None, diagnostics_rows: int | None = None, penalty: str = "bregman") -> Result:
    r"""Train ``network`` on ``(X, Y)`` with ``solver`` for ``epochs`` epochs.

    Parameters
    ----------
    solver : Solver
        The algorithm and its hyperparameters, e.g. ``LBNS(prox_weight=1.0)``.
    network : Network
        Initial parameters and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
        Inputs and targets (targets in :math:`\operatorname{dom}\Psi_L`).
    epochs : int
        Total epochs (on a resume: the total, not the remaining ones).
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network` (``l1 = (layer, alpha)``).
    penalty : ``"bregman"`` (default), ``"mac"``, ``"fenchel"`` or ``"classical"``
        The hidden layers' penalty of the lifted energy (:data:`bregnet.lifted.PENALTIES`); the solvers that
        minimise the others declare them (``Solver.penalties``).
    hidden : list of arrays, optional
        Initial auxiliary variables :math:`X_1, \dots, X_{L-1}` for the solvers that keep them.
    validation_data : (X_val, Y_val), optional
        Evaluated in the diagnostics of the solvers that report a validation loss.
    seed, rng : the run's random generator (``rng`` wins); its state is part of every checkpoint.
    callback : callable(epoch, network, row), optional
        Called after every recorded epoch (also epoch 0) with the history row; returning True stops the run.
    progress : bool
        Show a progress bar on stderr.
    checkpoint : path, optional
        File of atomic checkpoints (the state, history and generator) every ``checkpoint_every`` epochs and at
        the end.
    resume : bool
        Continue from ``checkpoint`` if it exists (the result equals the uninterrupted run bit for bit).
    record : ``"epoch"`` or ``"end"``
        Diagnostics after every epoch, or at the start and the end only.
    divergence : DivergenceRule
        When to stop as diverged (always on non-finite values).
    evaluate : callable(network) -> dict, optional
        Further metrics of the network (accuracy, validation losses, ...) added to every history row; its time is
        not counted in ``wall_time``.
    state : dict, optional
        Continue from this solver state (e.g. ``Result.state`` of an earlier run on the same data) instead of
        ``solver.init``; ``network`` then only supplies the activations.  A new history starts at epoch 0.  It must
        have the keys, array shapes and dtypes of ``solver.init``'s state and finite values (:func:`check_state`).
    diagnostics_rows : int, optional
        Evaluate the recorded diagnostics (energy, losses) on this many evenly spaced training rows
        (:meth:`Task.rows`) instead of all of them: the mean over the subset estimates the mean over the data,
        at a fraction of the cost (a forward pass over all rows costs about a tenth of an LBN-S epoch).  Only for
        solvers whose diagnostics need no per-sample state (``diagnostics_from_parameters``).  Training itself
        always uses every row.  Default: all rows.

    Returns
    -------
    Result

    Raises
    ------
    BregnetInputError
        Bad data or options, a solver that cannot train the problem, a checkpoint of another run, a checkpoint path
        that is a directory, a ``state`` (or a checkpoint's) that is not a state of ``solver``.
    DivergenceError
        Non-finite or exploding state or objective.
    """
    _check_run_options(solver, epochs, checkpoint_every, callback, record)
    _check_run_flags(network, progress, resume, divergence, evaluate, checkpoint)
    _check_diagnostics_rows(solver, diagnostics_rows)
    problem = LiftedProblem.from_network(network, lambdas, l1, require_prox=solver.needs_l1_prox, penalty=penalty)
    if problem.penalty not in solver.penalties:
        raise BregnetInputError(f"{solver.name} minimises the {'/'.join(solver.penalties)} energy; penalty "
                                f"{penalty!r} needs lbn_s, lbn_d, inertial_bcd or adam_bcd")
    task = make_task(network, X, Y, problem, validation_data)
    if task.problem.layers is not None and not solver.supports_operators:
        raise BregnetInputError(f"{solver.name} trains dense networks only; this network has operator layers "
                                f"(bregnet.operators: {', '.join(type(op).__name__ for op in task.problem.layers)}); "
                                f"use a solver of operator layers: lbn_s, lbn_d, proximal_gradient, stochastic_proximal_gradient, "
                                f"inertial_bcd, adam_bcd, model averaging, the residual solver or a back-propagation "
                                f"baseline")
    solver.check_task(task)
    if hidden is not None:
        hidden = check_hidden(problem, network, task.X, hidden)
    gen = _make_rng(seed, rng)
    fp = _fingerprint(solver, task, network)
    if state is not None:
        check_state(solver, task, network, hidden, state, "state")
    start, history = 0, None
    if checkpoint is not None and resume and os.path.exists(checkpoint):
        start, state, history = _resume(solver, task, network, hidden, gen, fp, checkpoint, epochs)
    hooks = _Hooks(callback, evaluate, divergence, progress, task.rows(diagnostics_rows))
    return _loop(solver, task, network, hidden, gen, fp, start, state, history, epochs, hooks, checkpoint,
                 checkpoint_every, record)


def _resume(solver, task, network, hidden, gen, fp, checkpoint, epochs) -> tuple[int, dict, History]:
    """``(epoch, state, history)`` of the checkpoint, checked against this run; the generator set to its state."""
    path = os.fspath(checkpoint)
    start, state, hist, rng_state = load_checkpoint(checkpoint, solver=solver.name, fingerprint=fp)
    if start > epochs:
        raise BregnetInputError(f"resume: checkpoint {path!r} is at epoch {start}, beyond epochs={epochs}; ask for at "
                                f"least {start} epochs (the total, not the remaining ones)")
    check_state(solver, task, network, hidden, state, f"resume: checkpoint {path!r}")
    try:
        history = History.from_state(hist)
        gen.bit_generator.state = rng_state
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise BregnetInputError(f"resume: checkpoint {path!r} holds no usable history or generator state "
                                f"({type(exc).__name__}: {exc}); start afresh without resume") from None
    return start, state, history


def _structure(value):
    """A comparable outline of a state: arrays by shape and dtype, containers by their items, scalars by kind."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, (list, tuple)):
        return ("sequence", tuple(_structure(v) for v in value))
    if isinstance(value, dict):
        return ("dict", {k: _structure(v) for k, v in value.items()})
    if isinstance(value, (bool, np.bool_)):
        return ("bool",)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return ("number",)
    return (type(value).__name__,)


def _first_difference(ref, got, path: str) -> str | None:
    """Where ``got`` departs from the outline ``ref`` (None: it does not); a None in ``ref`` matches anything
    (an entry filled in later, e.g. the previous iterate of an accelerated method)."""
    if ref == ("NoneType",) or ref == got:
        return None
    if ref[0] != got[0] or ref[0] not in ("sequence", "dict"):
        return f"{path or 'the state'}: expected {ref}, got {got}"
    if ref[0] == "dict" and set(ref[1]) != set(got[1]):
        return f"{path or 'the state'}: expected the keys {sorted(ref[1])}, got {sorted(got[1])}"
    if ref[0] == "sequence" and len(ref[1]) != len(got[1]):
        return f"{path or 'the state'}: expected {len(ref[1])} entries, got {len(got[1])}"
    keys = sorted(ref[1]) if ref[0] == "dict" else range(len(ref[1]))
    for k in keys:
        sub = (f"{path}.{k}" if path else str(k)) if ref[0] == "dict" else f"{path}[{k}]"
        diff = _first_difference(ref[1][k], got[1][k], sub)
        if diff is not None:
            return diff
    return None


def check_state(solver: Solver, task: Task, network: Network, hidden, state, what: str = "state") -> None:
    """Raise BregnetInputError (naming ``what``) unless ``state`` is a state of ``solver`` for this task and network:
    a dict with the keys, array shapes and dtypes of ``solver.init`` and finite floating values.

    The reference state is built with a generator of its own, so the run's draws are not touched.
    """
    if not isinstance(state, dict):
        raise BregnetInputError(f"{what} must be a dict (the state of a {solver.name} run); got {type(state).__name__}")
    ref = solver.init(task, network, hidden, np.random.default_rng(0))
    diff = _first_difference(_structure(ref), _structure(state), "")
    if diff is not None:
        raise BregnetInputError(f"{what} is not a state of {solver.name} for this network and data ({diff})")
    bad = _non_finite_entry(state)
    if bad is not None:
        raise BregnetInputError(f"{what} holds non-finite values (in {bad}); it is not the state of a finished epoch")


@dataclass(frozen=True)
class _Hooks:
    callback: Callable | None
    evaluate: Callable | None
    divergence: DivergenceRule
    progress: bool
    diagnostic_task: Task


def _loop(solver, task, network, hidden, gen, fp, start, state, history, epochs, hooks, checkpoint,
          checkpoint_every, record) -> Result:
    resumed_from = start if history is not None else None
    stopped = False
    if history is None:
        if state is None:
            state = solver.init(task, network, hidden, gen)
        history = History(solver.name, options=solver.params())
        stopped = _record(solver, task, state, history, 0, 0.0, hooks)
    elapsed = history.wall_time[-1] if len(history) else 0.0
    bar = _Progress(hooks.progress, epochs, start, solver.name)
    try:
        for k in range(start + 1, epochs + 1):
            if stopped:
                break
            t0 = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):
                state = solver.update(task, state, gen)
            elapsed += time.perf_counter() - t0
            _check_finite_state(solver, state, k)
            if record == "epoch" or k == epochs:
                stopped = _record(solver, task, state, history, k, elapsed, hooks)
                bar.step(history.row(), solver.objective)
            if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs or stopped):
                save_checkpoint(checkpoint, solver=solver.name, fingerprint=fp, epoch=k, state=state,
                                history=history.to_state(), rng_state=gen.bit_generator.state)
    except DivergenceError as exc:
        exc.history = history                                  # the epochs recorded before (for reports)
        raise
    finally:
        bar.close()
    return Result(network=solver.network(task, state), history=history, state=state, hidden=solver.hidden(state),
                  resumed_from=resumed_from, stopped_early=stopped)


def _record(solver, task, state, history, epoch, elapsed, hooks) -> bool:
    """Append the epoch's row (diagnostics, then ``evaluate``'s metrics), check divergence, call the callback."""
    with np.errstate(over="ignore", invalid="ignore"):
        row = solver.diagnostics(hooks.diagnostic_task, state)
    net = solver.network(task, state) if hooks.evaluate is not None or hooks.callback is not None else None
    if hooks.evaluate is not None:
        row.update(hooks.evaluate(net))
    history.record(epoch, elapsed, row)
    try:
        hooks.divergence.check(solver, history, epoch)
    except DivergenceError:
        history.truncate(len(history) - 1)                     # the history keeps the epochs before
        raise
    if hooks.callback is None:
        return False
    return bool(hooks.callback(epoch, net, history.row()))
