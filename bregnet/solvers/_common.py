"""Shared machinery of the lifted solvers: input validation, per-epoch history, divergence checks, checkpoints.

Not an algorithm; every solver module in :mod:`bregnet.solvers` uses these so that they validate,
report and checkpoint in the same way.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._atomic import atomic_savez
from ..exceptions import BregnetInputError, DivergenceError
from ..lifted import LiftedProblem, consistency_residuals, forward_hidden, forward_loss, lifted_energy
from ..network import Network

__all__ = ["History", "TrainResult", "validate_data", "check_positive_option", "check_finite_state",
           "make_rng", "save_checkpoint", "load_checkpoint", "record_epoch", "check_hidden",
           "solver_fingerprint", "RunStart", "start_or_resume", "lifted_diagnostics", "split_run_options",
           "run_solver",
           "RUN_OPTIONS"]

#: the keyword options of :func:`bregnet.solvers.engine.run` (everything else a solver function takes is a
#: hyperparameter of its solver)
RUN_OPTIONS = ("lambdas", "l1", "hidden", "validation_data", "seed", "rng", "callback", "progress", "checkpoint",
               "checkpoint_every", "resume", "record", "divergence", "evaluate", "state")


def run_solver(solver_class, network, X, Y, options: dict, **run_defaults):
    """What every legacy solver function does: ``run(solver_class(**hyperparameters), network, X, Y, **run_options)``.

    ``options`` are split by :func:`split_run_options`; ``run_defaults`` (e.g. ``epochs=100``) apply where the
    caller did not set them.
    """
    from .engine import run
    hyper, run_opts = split_run_options(solver_class, options)
    return run(solver_class(**hyper), network, X, Y, **{**run_defaults, **run_opts})


def split_run_options(solver_class, options: dict) -> tuple[dict, dict]:
    """Split a solver function's keyword options into ``(hyperparameters, run options)``; reject unknown names."""
    import dataclasses
    fields = {f.name for f in dataclasses.fields(solver_class)}
    unknown = sorted(set(options) - fields - set(RUN_OPTIONS) - {"epochs"})
    if unknown:
        raise BregnetInputError(f"{solver_class.name}: unknown option(s) {unknown}; hyperparameters are "
                                f"{sorted(fields)}, run options {list(RUN_OPTIONS)}")
    hyper = {k: v for k, v in options.items() if k in fields}
    return hyper, {k: v for k, v in options.items() if k not in fields}


def lifted_diagnostics(task, network: Network, hidden) -> dict:
    """The history row of a lifted solver: lifted energy (18)/(25), consistency residuals, forward loss.

    ``hidden=None`` evaluates the energy at the forward-pass auxiliary variables (where Algorithm 1 starts
    every batch).
    """
    X, Y, problem = task.X, task.Y, task.problem
    if hidden is None:
        hidden = forward_hidden(network, X)
    xs = [X, *hidden, Y]
    with np.errstate(over="ignore", invalid="ignore"):
        return {"energy": lifted_energy(problem, network, xs), "residuals": consistency_residuals(network, xs),
                "forward_loss": forward_loss(problem, network, X, Y)}


@dataclass
class History:
    """Per-epoch diagnostics of a lifted solver (Section 4; issue 3).

    Attributes
    ----------
    epoch : list of int
    energy : list of float            lifted energy E(Theta, X) (18)/(25) at the end of the epoch
    residuals : list of ndarray       consistency residual per hidden layer (see lifted.consistency_residuals)
    forward_loss : list of float      data term of the forward network
    wall_time : list of float         seconds since the start of the run (cumulative over resumes)
    """

    epoch: list = field(default_factory=list)
    energy: list = field(default_factory=list)
    residuals: list = field(default_factory=list)
    forward_loss: list = field(default_factory=list)
    wall_time: list = field(default_factory=list)

    def to_arrays(self) -> dict:
        return {"epoch": np.asarray(self.epoch, dtype=np.int64),
                "energy": np.asarray(self.energy, dtype=np.float64),
                "residuals": np.asarray(self.residuals, dtype=np.float64).reshape(len(self.epoch), -1),
                "forward_loss": np.asarray(self.forward_loss, dtype=np.float64),
                "wall_time": np.asarray(self.wall_time, dtype=np.float64)}

    @classmethod
    def from_arrays(cls, d) -> "History":
        return cls(epoch=[int(v) for v in d["epoch"]], energy=[float(v) for v in d["energy"]],
                   residuals=[np.array(r) for r in d["residuals"]],
                   forward_loss=[float(v) for v in d["forward_loss"]], wall_time=[float(v) for v in d["wall_time"]])


@dataclass
class TrainResult:
    """What a lifted solver returns: the trained network, the auxiliary variables (if kept) and the history."""

    network: Network
    history: History
    hidden: list | None = None


def check_positive_option(name: str, value, *, allow_zero: bool = False, integer: bool = False):
    """Validate a numeric option (finite, > 0 or >= 0); raise BregnetInputError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BregnetInputError(f"{name} must be a number; got {value!r}") from None
    ok = np.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        raise BregnetInputError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}; got {value!r}")
    if integer:
        if v != int(v):
            raise BregnetInputError(f"{name} must be an integer; got {value!r}")
        return int(v)
    return v


def validate_data(network: Network, X, Y, problem: LiftedProblem):
    """Check and cast training data: shapes, finiteness, targets in dom Psi_L; returns ``(X, Y)`` in the network dtype."""
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
    dtype = network.dtype
    sizes = network.layer_sizes
    arrs = []
    for name, A, n in (("X", X, sizes[0]), ("Y", Y, sizes[-1])):
        try:
            A = np.asarray(A)
        except Exception:
            raise BregnetInputError(f"{name} must be array-like") from None
        if A.dtype.kind not in "biuf":
            raise BregnetInputError(f"{name} must be a real array; got dtype {A.dtype}")
        if A.ndim != 2 or A.shape[1] != n:
            raise BregnetInputError(f"{name} must have shape (n_samples, {n}); got {A.shape}")
        if A.shape[0] == 0:
            raise BregnetInputError(f"{name} has no samples")
        A = np.ascontiguousarray(A, dtype=dtype)
        if not np.all(np.isfinite(A)):
            raise BregnetInputError(f"{name} contains NaN or Inf")
        arrs.append(A)
    X, Y = arrs
    if X.shape[0] != Y.shape[0]:
        raise BregnetInputError(f"X and Y must have the same number of samples; got {X.shape[0]} and {Y.shape[0]}")
    if problem.n_layers != network.n_layers:
        raise BregnetInputError("problem and network have different numbers of layers")
    out_act = problem.activations[-1]
    inside = out_act.in_domain(Y)
    if not np.all(inside):
        bad = int(np.size(inside) - np.count_nonzero(inside))
        raise BregnetInputError(f"Y has {bad} row(s) outside the domain of Psi_L of the output activation {out_act!r}; "
                                f"the data term B_Psi_L(y, z) is infinite there (choose targets in dom Psi_L or "
                                f"another output activation)")
    return X, Y


def make_rng(seed=None, rng=None) -> np.random.Generator:
    """The solver's random generator (``rng`` wins over ``seed``)."""
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise BregnetInputError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        return rng
    return np.random.default_rng(seed)


def check_finite_state(network: Network, what: str, epoch: int, extra=()):
    """Raise DivergenceError if any parameter (or extra array) is not finite."""
    for l, (W, b) in enumerate(zip(network.weights, network.biases), start=1):
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise DivergenceError(f"{what}: parameters of layer {l} became non-finite in epoch {epoch}; "
                                  f"the step sizes are too large (reduce step_scale) or the data are badly scaled")
    for name, A in extra:
        if not np.all(np.isfinite(A)):
            raise DivergenceError(f"{what}: {name} became non-finite in epoch {epoch}; reduce the step sizes")


def record_epoch(history: History, problem, network, X, Y, hidden, epoch: int, t0: float, what: str,
                 time_offset: float = 0.0):
    """Append the diagnostics of one epoch; raises DivergenceError on a non-finite energy."""
    if hidden is None:
        from ..lifted import forward_hidden
        hidden = forward_hidden(network, X)
    xs = [X, *hidden, Y]
    with np.errstate(over="ignore", invalid="ignore"):
        e = lifted_energy(problem, network, xs)
        res = consistency_residuals(network, xs)
        fl = forward_loss(problem, network, X, Y)
    if not np.isfinite(e) or not np.isfinite(fl):
        raise DivergenceError(f"{what}: the lifted energy became non-finite ({e}) in epoch {epoch}; "
                              f"reduce the step sizes")
    history.epoch.append(epoch)
    history.energy.append(e)
    history.residuals.append(res)
    history.forward_loss.append(fl)
    history.wall_time.append(time_offset + time.perf_counter() - t0)


# ------------------------------------------------------------------------------- checkpoints
def save_checkpoint(path, *, solver: str, fingerprint: dict, epoch: int, network: Network, history: History,
                    rng: np.random.Generator, arrays: dict | None = None):
    """Write a checkpoint atomically: a temporary file in the same directory, then ``os.replace``."""
    path = os.fspath(path)
    payload = {f"W{l}": W for l, W in enumerate(network.weights)}
    payload.update({f"b{l}": b for l, b in enumerate(network.biases)})
    for k, v in history.to_arrays().items():
        payload[f"history_{k}"] = v
    for k, v in (arrays or {}).items():
        payload[f"state_{k}"] = np.asarray(v)
    meta = {"solver": solver, "fingerprint": fingerprint, "epoch": int(epoch),
            "rng": rng.bit_generator.state, "n_layers": network.n_layers}
    payload["meta"] = np.array(json.dumps(meta))
    atomic_savez(path, payload)


def load_checkpoint(path, *, solver: str, fingerprint: dict, network: Network):
    """Read a checkpoint written by :func:`save_checkpoint`; check that it belongs to this solver and options.

    Returns ``(epoch, network, history, rng_state, arrays)``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise BregnetInputError(f"resume: checkpoint file {path!r} does not exist")
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta["solver"] != solver:
            raise BregnetInputError(f"resume: checkpoint {path!r} was written by {meta['solver']!r}, not {solver!r}")
        if meta["fingerprint"] != json.loads(json.dumps(fingerprint)):
            raise BregnetInputError(f"resume: checkpoint {path!r} was written with different options or data "
                                    f"({meta['fingerprint']} vs {fingerprint})")
        L = meta["n_layers"]
        W = tuple(z[f"W{l}"] for l in range(L))
        b = tuple(z[f"b{l}"] for l in range(L))
        hist = History.from_arrays({k: z[f"history_{k}"] for k in ("epoch", "energy", "residuals", "forward_loss",
                                                                   "wall_time")})
        arrays = {k[len("state_"):]: z[k] for k in z.files if k.startswith("state_")}
    net = Network(W, b, network.activations)
    return meta["epoch"], net, hist, meta["rng"], arrays


class RunStart(NamedTuple):
    """Where a solver run begins, as returned by :func:`start_or_resume`; unpacks as a tuple of five.

    Attributes
    ----------
    start : int
        The last epoch already done: 0 on a fresh start, the checkpoint's epoch on a resume.  The solver runs the
        epochs ``start + 1, ..., epochs``.
    network : Network
        The network to continue from: on a fresh start a copy of the given network (or ``initial``), on a resume
        the checkpoint's.
    history : History
        Empty on a fresh start; on a resume the checkpoint's history, to be appended to.
    arrays : dict or None
        ``None`` on a fresh start; on a resume the solver's own arrays saved with ``save_checkpoint(arrays=...)``
        (keyed without the ``state_`` prefix; empty if it saved none).  ``arrays is not None`` tells a resume.
    time_offset : float
        Seconds spent before this run: the last wall time of the resumed history, 0.0 on a fresh start (pass it
        to :func:`record_epoch`, so that wall times stay cumulative over resumes).
    """

    start: int
    network: Network
    history: History
    arrays: dict | None
    time_offset: float


def start_or_resume(checkpoint, resume, *, solver: str, fingerprint: dict, network: Network,
                    rng: np.random.Generator, initial: Network | None = None) -> RunStart:
    """Start a solver run at epoch 0, or resume it from its checkpoint.

    The run resumes when ``resume`` is true, ``checkpoint`` is given and the file exists; otherwise it starts
    afresh (a checkpoint file that does not exist yet is no error: the run starts and writes it).  On a resume
    the checkpoint is read with :func:`load_checkpoint`, which checks that it was written by ``solver`` with
    the same ``fingerprint``, and the generator state stored in it is restored into ``rng`` in place.
    The solver's own arrays (auxiliary variables, duals, momentum, ...) are returned for the solver to restore.

    Parameters
    ----------
    checkpoint : str, os.PathLike or None
        The checkpoint file of the run (see :func:`save_checkpoint`), or None for no checkpoint.
    resume : bool
        Whether to continue from ``checkpoint`` if it exists.
    solver : str
        The solver's name, as stored in its checkpoints.
    fingerprint : dict
        The run's :func:`solver_fingerprint`; a checkpoint with another one is rejected.
    network : Network
        The network the solver was given: a fresh start continues from a copy of it (unless ``initial`` is
        given); its activations rebuild the checkpoint's network.
    rng : numpy.random.Generator
        The solver's generator; on a resume its state is set to the checkpoint's.
    initial : Network, optional
        The network of a fresh start, used as it is (not copied), for a solver that derives its starting point
        from ``network`` (e.g. :func:`~bregnet.solvers.bregman_iterations` with ``init="zero"``).

    Returns
    -------
    RunStart
        ``(start, network, history, arrays, time_offset)``.

    Raises
    ------
    BregnetInputError
        If the checkpoint was written by another solver or with other options or data.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([2, 3, 1], ["relu", "identity"], seed=0)
    >>> run = start_or_resume(None, True, solver="demo", fingerprint={}, network=net, rng=np.random.default_rng(0))
    >>> run.start, run.arrays, run.time_offset, len(run.history.epoch), run.network is net
    (0, None, 0.0, 0, False)
    """
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        start, net, history, rng_state, arrays = load_checkpoint(checkpoint, solver=solver, fingerprint=fingerprint,
                                                                 network=network)
        rng.bit_generator.state = rng_state
        time_offset = history.wall_time[-1] if history.wall_time else 0.0
        return RunStart(start, net, history, arrays, time_offset)
    return RunStart(0, network.copy() if initial is None else initial, History(), None, 0.0)


def solver_fingerprint(X, Y, problem: LiftedProblem, opts: dict) -> dict:
    """What a checkpoint must match to be resumed: the data, the energy's weights and l1 term, the options."""
    reg = problem.regulariser
    return {"data": data_fingerprint(X, Y), "lambdas": list(problem.lambdas),
            "l1": None if reg is None else [reg.layer, reg.alpha], **opts}


def data_fingerprint(X, Y) -> dict:
    """A cheap identity check of the training data for resumes (shape, dtype, sums)."""
    return {"shape": list(X.shape) + [Y.shape[1]], "dtype": str(X.dtype),
            "sumX": float(np.sum(X, dtype=np.float64)), "sumY": float(np.sum(Y, dtype=np.float64))}


def check_hidden(problem: LiftedProblem, network: Network, X, hidden) -> list:
    """Validate user-given auxiliary variables X_1..X_{L-1} (shapes, finite, in dom Psi_j); default a forward pass."""
    L = network.n_layers
    if hidden is None:
        return forward_hidden(network, X)
    hidden = [np.ascontiguousarray(h, dtype=network.dtype) for h in hidden]
    if len(hidden) != L - 1:
        raise BregnetInputError(f"hidden must give X_1..X_{L - 1} ({L - 1} arrays); got {len(hidden)}")
    for j, h in enumerate(hidden, start=1):
        if h.shape != (X.shape[0], network.layer_sizes[j]):
            raise BregnetInputError(f"hidden[{j - 1}] must have shape {(X.shape[0], network.layer_sizes[j])}; "
                                    f"got {h.shape}")
        if not np.all(np.isfinite(h)):
            raise BregnetInputError(f"hidden[{j - 1}] contains NaN or Inf")
        if not np.all(problem.activations[j - 1].in_domain(h)):
            raise BregnetInputError(f"hidden[{j - 1}] lies outside dom Psi_{j}; the energy is infinite there")
    return hidden
