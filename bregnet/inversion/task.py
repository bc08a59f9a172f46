r"""An inversion as a task of the training engine, and :func:`invert`, the one call that runs it.

:func:`bregnet.solvers.engine.run` trains a network on ``(X, Y)``.  An inversion fits the *input* of a fixed
network to outputs, so it is posed to the engine without changing it:

* ``X`` is the initial guess :math:`u^0` (rows, shape ``(s, n_0)``; default zeros), ``Y`` the outputs :math:`f`
  (shape ``(s, n_L)``), validated by the engine (shapes, finiteness, the network's dtype) like training data;
* the network is the trained one; the inversion solvers (:class:`~bregnet.inversion.solver.LiftedInversion`,
  :class:`~bregnet.inversion.baseline.BackpropInversion`) hold it (``target_network``, a runtime field: not in
  the checkpoints, which the engine's fingerprint ties to the network all the same) and never update it, and keep
  the reconstruction in ``state["u"]`` (and the lifted solver the auxiliary variables in ``state["hidden"]``);
* everything else is the engine's, unchanged: the history (one column per diagnostic, ``epoch``,
  ``wall_time``), callbacks ``callback(epoch, network, row)`` (the network is the fixed one; the row has the
  energy), progress bars, divergence, atomic checkpoints whose fingerprint holds the solver's options, ``u0``,
  ``f`` and the network, and resumes that repeat the uninterrupted run bit for bit.

Examples
--------
>>> import numpy as np
>>> from bregnet.network import glorot_init
>>> net = glorot_init([3, 8, 4], ["relu", "identity"], seed=0)
>>> u = np.array([[0.3, -0.2, 0.5]])
>>> res = invert(net, net.forward(u), method="lifted", epochs=200)
>>> res.u.shape, bool(res.history.energy[-1] < res.history.energy[0])
((1, 3), True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._arrays import as_real_2d
from ..exceptions import BregnetInputError
from ..network import Network
from ..solvers.engine import History, Result, run
from .baseline import BackpropInversion
from .solver import InversionSolver, LiftedInversion

__all__ = ["invert", "InversionResult", "METHODS", "make_solver"]

#: the methods of :func:`invert` and their solver classes
METHODS = {"lifted": LiftedInversion, "backprop": BackpropInversion}


@dataclass
class InversionResult:
    """What :func:`invert` returns: the reconstruction ``u`` (rows), the lifted auxiliary variables (None for the
    baseline), the engine's history and :class:`~bregnet.solvers.engine.Result`."""

    u: np.ndarray
    hidden: list | None
    history: History
    result: Result

    @property
    def resumed_from(self):
        return self.result.resumed_from


def make_solver(method: str = "lifted", **hyperparameters) -> InversionSolver:
    """The solver of ``method`` (``"lifted"`` or ``"backprop"``) with its hyperparameters (validated).

    >>> make_solver("backprop", regulariser="tikhonov", alpha=0.1).name
    'backprop-inversion'
    >>> make_solver("newton")
    Traceback (most recent call last):
    ...
    bregnet.exceptions.BregnetInputError: method must be one of 'lifted', 'backprop'; got 'newton'
    """
    if method not in METHODS:
        raise BregnetInputError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    return METHODS[method].from_options(hyperparameters)


def invert(network: Network, F, *, method: str = "lifted", solver: InversionSolver | None = None, u0=None,
           epochs: int = 100, lambdas=None, **options) -> InversionResult:
    r"""Invert ``network`` at the outputs ``F``: one engine run of an inversion solver.

    Parameters
    ----------
    network : Network
        The trained network (not modified).
    F : array_like, shape (s, n_L)
        Outputs to invert, one per row (for the lifted method in dom :math:`\Psi_L`: e.g. :math:`f \ge 0` for a
        ReLU output).
    method : ``"lifted"`` or ``"backprop"``
        :class:`~bregnet.inversion.solver.LiftedInversion` or
        :class:`~bregnet.inversion.baseline.BackpropInversion` (ignored when ``solver`` is given).
    solver : InversionSolver, optional
        A solver object (then ``options`` holds run options only).
    u0 : array_like, shape (s, n_0), optional
        Initial guess (default zeros).
    epochs : int
        Sweeps (total, also on a resume).
    lambdas : sequence of float, optional
        :math:`\lambda_1..\lambda_L` of the lifted energy (default 1).
    **options
        The solver's hyperparameters (``regulariser``, ``alpha``, ``image_shape``, ``step_scale``, ...) and the
        options of :func:`~bregnet.solvers.engine.run` (``checkpoint``, ``resume``, ``callback``, ``progress``,
        ``record``, ``hidden``, ``divergence``, ...).

    Returns
    -------
    InversionResult

    Raises
    ------
    BregnetInputError
        Bad outputs, initial guess or options (named), a checkpoint of another inversion.
    """
    from ..solvers._common import RUN_OPTIONS
    run_opts = {k: options.pop(k) for k in list(options) if k in RUN_OPTIONS}
    for k in ("l1", "validation_data", "diagnostics_rows"):
        if k in run_opts:
            raise BregnetInputError(f"invert: {k} does not apply to an inversion")
    if solver is None:
        solver = make_solver(method, **options)
    elif not isinstance(solver, InversionSolver):
        raise BregnetInputError(f"solver must be an inversion solver (LiftedInversion, BackpropInversion); got "
                                f"{type(solver).__name__}")
    elif options:
        raise BregnetInputError(f"invert: give the hyperparameters {sorted(options)} to the solver object, not here")
    if solver.target_network is None:                      # the solver holds the fixed network: the
        solver = solver.replace(target_network=network)      # checkpoints then hold the variables, not the weights
    if not isinstance(network, Network):
        raise BregnetInputError(f"network must be a bregnet Network; got {type(network).__name__}")
    if isinstance(F, np.ndarray) and F.ndim == 1 and F.shape[0] == network.layer_sizes[-1]:
        F = F[None, :]
    F = as_real_2d("F", F, network.layer_sizes[-1], network.dtype)
    if u0 is None:
        u0 = np.zeros((F.shape[0], network.layer_sizes[0]), dtype=network.dtype)
    u0 = as_real_2d("u0", u0, network.layer_sizes[0], network.dtype)
    if u0.shape[0] != F.shape[0]:
        raise BregnetInputError(f"u0 and F must have the same number of rows; got {u0.shape[0]} and {F.shape[0]}")
    res = run(solver, network, u0, F, epochs=epochs, lambdas=lambdas, **run_opts)
    return InversionResult(res.state["u"], res.state.get("hidden"), res.history, res)
