"""What the solver modules share besides the engine: their history row, the auxiliary-variable check, the legacy call.

Not an algorithm (those are :mod:`bregnet.solvers.sweep` and the solver modules) and not the run's machinery
(that is :mod:`bregnet.solvers.engine`).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import (LiftedProblem, consistency_residuals, forward_energy, forward_hidden, forward_loss,
                      lifted_energy)
from ..network import Network

__all__ = ["check_hidden", "lifted_diagnostics", "split_run_options", "run_solver", "RUN_OPTIONS"]

#: the keyword options of :func:`bregnet.solvers.engine.run` (everything else a solver function takes is a
#: hyperparameter of its solver)
RUN_OPTIONS = ("lambdas", "l1", "hidden", "validation_data", "seed", "rng", "callback", "progress", "checkpoint",
               "checkpoint_every", "resume", "record", "divergence", "evaluate", "state", "diagnostics_rows",
               "penalty")


def run_solver(solver_class, network, X, Y, options: dict, **run_defaults):
    """What every legacy solver function does: ``run(solver_class(**hyperparameters), network, X, Y, **run_options)``.

    ``options`` are split by :func:`split_run_options`; ``run_defaults`` (e.g. ``epochs=100``) apply where the
    caller did not set them.
    """
    from .engine import run
    hyper, run_opts = split_run_options(solver_class, options)
    return run(solver_class.from_options(hyper), network, X, Y, **{**run_defaults, **run_opts})


def split_run_options(solver_class, options: dict) -> tuple[dict, dict]:
    """Split a solver function's keyword options into ``(hyperparameters, run options)``; reject unknown names."""
    fields = {f.name for f in dataclasses.fields(solver_class)} | set(solver_class.renamed)
    unknown = sorted(set(options) - fields - set(RUN_OPTIONS) - {"epochs"})
    if unknown:
        raise BregnetInputError(f"{solver_class.name}: unknown option(s) {unknown}; hyperparameters are "
                                f"{sorted(fields)}, run options {list(RUN_OPTIONS)}")
    hyper = {k: v for k, v in options.items() if k in fields}
    return hyper, {k: v for k, v in options.items() if k not in fields}


def lifted_diagnostics(task, network: Network, hidden) -> dict:
    """The history row of a lifted solver: lifted energy (18)/(25), consistency residuals, forward loss.

    ``hidden=None`` evaluates the energy at the forward-pass auxiliary variables (where Algorithm 1 starts
    every batch) from one forward pass: there the hidden terms and the residuals are zero exactly
    (:func:`bregnet.lifted.forward_energy`), so the energy is the forward loss plus the code regulariser.
    """
    X, Y, problem = task.X, task.Y, task.problem
    with np.errstate(over="ignore", invalid="ignore"):
        if hidden is None:                 # one forward pass: its x_j = sigma_j(z_j) have zero residuals exactly
            zs, fwd = network.forward_all(X)
            loss = forward_loss(problem, network, X, Y, zs)
            return {"energy": forward_energy(problem, network, X, Y, zs, fwd[1:-1], loss),
                    "residuals": np.zeros(network.n_layers - 1), "forward_loss": loss}
        xs = [X, *hidden, Y]
        return {"energy": lifted_energy(problem, network, xs), "residuals": consistency_residuals(network, xs),
                "forward_loss": forward_loss(problem, network, X, Y)}


def check_hidden(problem: LiftedProblem, network: Network, X, hidden) -> list:
    """Validate user-given auxiliary variables X_1..X_{L-1} (shapes, finite, in dom Psi_j); default a forward pass."""
    L = network.n_layers
    if hidden is None:
        return forward_hidden(network, X)
    if not isinstance(hidden, (list, tuple)):
        raise BregnetInputError(f"hidden must be a list of arrays X_1..X_{L - 1}; got {type(hidden).__name__}")
    for j, h in enumerate(hidden):
        a = None if isinstance(h, (str, bytes)) else np.asarray(h)
        if a is None or a.dtype.kind not in "biuf":
            got = type(h).__name__ if a is None else f"dtype {a.dtype}"
            raise BregnetInputError(f"hidden[{j}] must be a real array; got {got}")
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
