r"""The constrained formulation of lifted Bregman training (Appendix B.3, eq. (40)-(41)).

Instead of fixed weights :math:`\lambda_l` in (13), the hidden Bregman losses become constraints,

.. math::  \min_{\Theta, \mathbf X}\; \ell(\Theta, \mathbf X) \quad\text{s.t.}\quad
           c_l(\Theta, \mathbf X) := \frac1s\sum_{i=1}^s B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l)) \le 0,
           \quad l = 1, \dots, L-1, \qquad (40)

with the data term :math:`\ell = \frac1s\sum_i B_{\Psi_L}(y^i, f(x_{L-1}^i, \Theta_L))` (the loss is a Bregman
loss, as in Section 4.1).  With multipliers :math:`\lambda_l \ge 0` (the Lagrangian (41)) the alternating
minimisation and proximal maximisation reads

.. math::  (\Theta^{k+1}, \mathbf X^{k+1}) \approx \arg\min_{\Theta, \mathbf X}\; \ell + \sum_{l=1}^{L-1}\lambda_l^k c_l,
           \qquad
           \lambda_l^{k+1} = \arg\max_{\lambda\ge 0}\; \lambda c_l(\Theta^{k+1}, \mathbf X^{k+1})
           - \frac{1}{2\tau}(\lambda - \lambda_l^k)^2 = \max\big(0, \lambda_l^k + \tau c_l(\Theta^{k+1}, \mathbf X^{k+1})\big).

One epoch of :func:`bregnet.solvers.engine.run` is one outer iteration :math:`k`.  The inner minimisation is
the lifted energy with :math:`\lambda = (\lambda_1^k, \dots, \lambda_{L-1}^k, 1)`, solved approximately
(warm-started) by ``inner_epochs`` iterations of proximal gradient (16)-(17) or of the odd/even coordinate
descent (36)-(37) (:func:`inner_minimisation`).

Remarks (reported with the errata):

* the printed multiplier update evaluates :math:`B_\Psi` at :math:`\Theta_l^k` with :math:`\mathbf X^{k+1}`; the
  proximal maximisation step of (41) at the new primal point uses :math:`(\Theta^{k+1}, \mathbf X^{k+1})`,
  as implemented;
* since :math:`B_\Psi \ge 0` (Theorem 10), :math:`c_l \ge 0`: the projection :math:`\max(0, \cdot)` is never
  active, the multipliers never decrease, and (40) is the equality constraint :math:`x_l = \sigma_l(f(x_{l-1},
  \Theta_l))` (network consistency) — the method is a penalty continuation that raises :math:`\lambda_l` by
  :math:`\tau` times the remaining inconsistency.  The multipliers must start positive (with
  :math:`\lambda_l = 0`, :math:`x_l` would not enter the objective at all).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, layer_energies, lifted_energy
from ..network import Network
from ._common import check_hidden, lifted_diagnostics, split_run_options
from .coordinate_descent import CoordinateDescent
from .engine import History, Result, Solver, Task, params_state, run
from .params import Interval, OneOf, PositiveOrSequence
from .proximal_gradient import ProximalGradient

__all__ = ["Constrained", "ConstrainedResult", "constrained", "constraint_values", "inner_minimisation"]

INNER_METHODS = ("proximal_gradient", "coordinate_descent")


def constraint_values(problem: LiftedProblem, network: Network, xs) -> np.ndarray:
    r""":math:`c_l = \frac1s\sum_i B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l))`, l = 1..L-1 (the constraints of (40)).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import forward_hidden
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> X = np.ones((2, 3)); prob = LiftedProblem.from_network(net)
    >>> constraint_values(prob, net, [X, *forward_hidden(net, X), np.zeros((2, 2))]).tolist()   # consistent
    [0.0]
    """
    e = layer_energies(problem, network, xs)[:-1]
    return e / np.asarray(problem.lambdas[:-1])


def inner_minimisation(problem: LiftedProblem, network: Network, X, Y, hidden=None, *,
                       method: str = "proximal_gradient", epochs: int = 1, step_scale: float = 1.99,
                       n_inner: int = 5) -> tuple[Network, list, list]:
    r"""``epochs`` iterations of a lifted solver on the energy (18)/(25) of ``problem`` from ``(network, hidden)``.

    ``method="proximal_gradient"``: the Gauss-Seidel steps (16)-(17) (:class:`ProximalGradient`);
    ``"coordinate_descent"``: odd/even sweeps (36)-(37) with ``n_inner`` proximal gradient iterations per block
    (:class:`~bregnet.solvers.coordinate_descent.CoordinateDescent`).  Their ``update`` is called directly (no
    run of its own).  ``hidden=None`` starts from the forward pass.  Returns the network, the auxiliary variables
    and the energies (at the start and after each iteration).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=8)
    >>> _, _, e = inner_minimisation(LiftedProblem.from_network(net), net, X, Y, epochs=3)
    >>> len(e), bool(np.all(np.diff(e) < 0))
    (4, True)
    """
    solver = (ProximalGradient(step_scale=step_scale) if method == "proximal_gradient" else
              CoordinateDescent(n_inner=n_inner, step_scale=step_scale))
    task = Task(problem, X, Y)
    with np.errstate(over="ignore", invalid="ignore"):
        state = solver.init(task, network, hidden, None)
        energies = [lifted_energy(problem, solver.network(task, state), [X, *state["hidden"], Y])]
        for _ in range(epochs):
            state = solver.update(task, state, None)
            energies.append(lifted_energy(problem, solver.network(task, state), [X, *state["hidden"], Y]))
    return solver.network(task, state), state["hidden"], energies


@dataclass(frozen=True)
class Constrained(Solver):
    r"""Alternating minimisation and multiplier updates (41) for the constrained problem (40) (Appendix B.3).

    Parameters
    ----------
    inner_epochs : int
        Iterations of the inner solver per outer iteration (warm-started from the previous primal point).
    multipliers : float or sequence of L-1 floats > 0
        :math:`\lambda^0` (the weights :math:`\lambda_1..\lambda_{L-1}` of the energy; :math:`\lambda_L = 1`;
        the ``lambdas`` of :func:`~bregnet.solvers.engine.run` stay at their default).
    multiplier_step : float > 0
        The step :math:`\tau` of the proximal maximisation (41) in the multipliers (earlier name ``tau``).
    inner : ``"proximal_gradient"`` or ``"coordinate_descent"`` (:func:`inner_minimisation`).
    step_scale : float > 0
        :math:`c` of the inner solver (its steps decrease the energy for :math:`c < 2`).

    Notes
    -----
    The state holds :math:`\Theta^k, \mathbf X^k`, the multipliers :math:`\lambda^k` (``"multipliers"``), those of
    the last inner minimisation (``"inner_multipliers"``: the :math:`\lambda` of its energy), the constraint
    values :math:`c(\Theta^k, \mathbf X^k)` and the inner energies.  The history row adds ``multipliers``,
    ``constraints`` and ``inner_energy`` to the lifted diagnostics; its ``energy`` is the Lagrangian of the last
    inner minimisation.
    """

    inner_epochs: int = 50
    multipliers: object = 1.0
    multiplier_step: float = 10.0
    inner: str = "proximal_gradient"
    step_scale: float = 1.99

    name = "constrained"
    renamed = {"tau": "multiplier_step"}
    constraints = {"inner_epochs": Interval(1, None, integer=True),
                   "multipliers": PositiveOrSequence("a zero multiplier removes x_l from the objective"),
                   "multiplier_step": Interval(0, None, closed="neither"), "inner": OneOf(INNER_METHODS),
                   "step_scale": Interval(0, None, closed="neither")}

    def check_task(self, task: Task) -> None:
        super().check_task(task)
        L = task.problem.n_layers
        if L < 2:
            raise BregnetInputError("the constrained formulation (40) needs at least one hidden layer")
        if isinstance(self.multipliers, tuple) and len(self.multipliers) != L - 1:
            raise BregnetInputError(f"multipliers must be a number or give one value per hidden layer ({L - 1}); "
                                    f"got {len(self.multipliers)} values")
        if task.problem.lambdas != (1.0,) * L:
            raise BregnetInputError(f"{self.name}: the weights lambda_l of (41) are the multipliers; set "
                                    f"multipliers=..., not lambdas")

    def _problem(self, task: Task, lam) -> LiftedProblem:
        return LiftedProblem(task.problem.activations, (*(float(v) for v in lam), 1.0), task.problem.regulariser)

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        lam = np.broadcast_to(np.asarray(self.multipliers, dtype=np.float64), (task.problem.n_layers - 1,)).copy()
        prob = self._problem(task, lam)
        hidden = check_hidden(prob, network, task.X, hidden)
        c = constraint_values(prob, network, [task.X, *hidden, task.Y])
        return {**params_state(network), "hidden": list(hidden), "multipliers": lam, "inner_multipliers": lam,
                "constraints": c, "inner_energy": None}

    def update(self, task: Task, state: dict, rng) -> dict:
        lam = state["multipliers"]
        prob = self._problem(task, lam)
        net, hidden, energies = inner_minimisation(prob, self.network(task, state), task.X, task.Y, state["hidden"],
                                                   method=self.inner, epochs=self.inner_epochs,
                                                   step_scale=self.step_scale)
        c = constraint_values(prob, net, [task.X, *hidden, task.Y])
        return {**params_state(net), "hidden": list(hidden), "inner_multipliers": lam, "constraints": c,
                "multipliers": np.maximum(0.0, lam + self.multiplier_step * c),        # proximal maximisation step of (41)
                "inner_energy": np.array(energies)}

    def diagnostics(self, task: Task, state: dict) -> dict:
        lagrangian = replace(task, problem=self._problem(task, state["inner_multipliers"]))
        row = lifted_diagnostics(lagrangian, self.network(task, state), state["hidden"])
        row.update(multipliers=state["multipliers"].copy(), constraints=state["constraints"].copy())
        if state["inner_energy"] is not None:
            row["inner_energy"] = state["inner_energy"].copy()
        return row


@dataclass
class ConstrainedResult(Result):
    r""":class:`~bregnet.solvers.engine.Result` with, per recorded outer iteration k = 0..K (the history's rows),
    the multipliers :math:`\lambda^k`, the constraint values :math:`c_l(\Theta^k, \mathbf X^k)` and the inner
    minimisations' energies (k = 1..K, as histories)."""

    @property
    def multipliers(self) -> list:
        return list(self.history.multipliers)

    @property
    def constraints(self) -> list:
        return list(self.history.constraints)

    @property
    def inner_histories(self) -> list:
        return [History("inner", {"epoch": list(range(len(e))), "wall_time": [None] * len(e),
                                  "energy": [float(v) for v in e]})
                for e in self.history.columns.get("inner_energy", []) if e is not None]


def constrained(network: Network, X, Y, *, outer: int | None = None, epochs: int | None = None,
                checkpoint_every: int = 1, **options) -> ConstrainedResult:
    r"""Train the constrained problem (40) by alternating minimisation and multiplier updates (41).

    ``run(Constrained(...), ...)``: ``outer`` is the old name of ``epochs`` (the number :math:`K` of multiplier
    updates, default 10); ``options`` are the hyperparameters of :class:`Constrained` (``inner_epochs=50``,
    ``multipliers=1.0``, ``multiplier_step=10.0`` (earlier name ``tau``), ``inner="proximal_gradient"``, ``step_scale=1.99``) and the options of
    :func:`bregnet.solvers.engine.run` (``l1``, ``hidden`` (default: forward pass), ``seed``, ``checkpoint``,
    ``resume``, ...).

    Returns
    -------
    ConstrainedResult
        ``history`` holds per outer iteration the Lagrangian value (energy with the multipliers of that
        iteration's minimisation), residuals and forward loss; ``multipliers`` and ``constraints`` per outer
        iteration, ``inner_histories`` the inner energies.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=20)
    >>> res = constrained(net, X, Y, outer=4, inner_epochs=20)
    >>> bool(np.all(np.diff(np.array(res.multipliers), axis=0) >= 0))
    True
    """
    if outer is not None:                                     # the name before the engine
        if epochs is not None:
            raise BregnetInputError("constrained: give epochs or its old name outer, not both")
        epochs = outer
    hyper, run_opts = split_run_options(Constrained, options)
    res = run(Constrained.from_options(hyper), network, X, Y, epochs=10 if epochs is None else epochs,
              checkpoint_every=checkpoint_every, **run_opts)
    return ConstrainedResult(**vars(res))
