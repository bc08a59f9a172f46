r"""Inertial block coordinate descent on the lifted energy: heavy-ball or Nesterov momentum per block (iPALM).

The accelerated block methods of the lifted family (Section 4.1.1; Pock & Sabach's iPALM) take each block step
of the Gauss-Seidel sweep (17) from an extrapolated value of that block,

.. math::  \tilde u_i^k = u_i^k + \beta_k(u_i^k - u_i^{k-1}), \qquad
           u_i^{k+1} = \operatorname{prox}_{\tau_i G_i}\big(\tilde u_i^k - \tau_i\nabla_{u_i}H(\dots, \tilde u_i^k, \dots)\big),

the blocks :math:`u_i` being :math:`\Theta` (all layers at once) and :math:`x_1, \dots, x_{L-1}` in turn, the
other blocks at their newest values.  ``momentum="heavy_ball"`` takes a constant :math:`\beta_k = \beta`;
``"nesterov"`` takes :math:`\beta_k = (t_{k-1} - 1)/t_k`, :math:`t_k = (1 + \sqrt{1 + 4t_{k-1}^2})/2`.
With ``restart=True`` (default) a sweep that raises the energy is replaced by a plain sweep and the momentum
restarted (O'Donoghue and Candes' adaptive restart), so the energy never increases.  Everything else (history,
checkpoints, resume, callbacks, progress) comes from :func:`bregnet.solvers.engine.run`.

Examples
--------
>>> import numpy as np
>>> from bregnet.testing import toy_problem
>>> from bregnet.solvers.engine import run
>>> net, X, Y = toy_problem([3, 6, 2], ["relu", "identity"], n_samples=30)
>>> e = run(InertialBCD(momentum="nesterov"), net, X, Y, epochs=20).history.energy
>>> bool(np.all(np.diff(e) <= 0))
True
"""
from __future__ import annotations

from dataclasses import dataclass


from ..lifted import PENALTIES, lifted_energy
from ._common import check_hidden, lifted_diagnostics
from .engine import Solver, params_state
from .params import BOOLEAN, Interval, OneOf
from .sweep import forward_sweep, momentum_weight

__all__ = ["InertialBCD"]


@dataclass(frozen=True)
class InertialBCD(Solver):
    r"""Block coordinate descent with per-block heavy-ball or Nesterov extrapolation (see the module docstring).

    Parameters
    ----------
    momentum : ``"heavy_ball"`` or ``"nesterov"``
    beta : float in [0, 1)
        :math:`\beta` of heavy-ball (unused by Nesterov).
    step_scale : float in (0, 2)
        :math:`c` in the block steps :math:`c/L` (:mod:`bregnet.solvers.sweep`).
    restart : bool
        Replace a sweep that raises the energy by a plain one and restart the momentum.
    """

    momentum: str = "nesterov"
    beta: float = 0.5
    step_scale: float = 1.0
    restart: bool = True

    name = "inertial_bcd"
    supports_operators = True                  # forward_sweep goes through operator layers (convolutions)
    penalties = PENALTIES  # the lifted family
    constraints = {"momentum": OneOf(("heavy_ball", "nesterov")), "beta": Interval(0, 1, closed="left"),
                   "step_scale": Interval(0, 2, closed="neither"), "restart": BOOLEAN}

    def init(self, task, network, hidden, rng) -> dict:
        hidden = list(check_hidden(task.problem, network, task.X, hidden))
        return {**params_state(network), "hidden": hidden, "previous": None, "t": 1.0,
                "energy": self._energy(task, network, hidden)}

    def _energy(self, task, net, hidden) -> float:
        return lifted_energy(task.problem, net, [task.X, *hidden, task.Y])

    def _sweep(self, task, state, beta):
        inertia = None if state["previous"] is None or beta == 0 else (state["previous"], beta)
        net, hidden = forward_sweep(task.problem, self.network(task, state), [task.X, *state["hidden"], task.Y],
                                    step_scale=self.step_scale, inertia=inertia)
        return net, hidden, self._energy(task, net, hidden)

    def update(self, task, state, rng) -> dict:
        t_next, beta = momentum_weight(self.momentum, state["t"], self.beta)
        net, hidden, energy = self._sweep(task, state, beta)
        if self.restart and not energy <= state["energy"]:
            net, hidden, energy = self._sweep(task, state, 0.0)
            t_next = 1.0
        previous = {"weights": state["weights"], "biases": state["biases"], "hidden": state["hidden"]}
        return {**params_state(net), "hidden": list(hidden), "previous": previous, "t": t_next, "energy": energy}

    def diagnostics(self, task, state) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])
