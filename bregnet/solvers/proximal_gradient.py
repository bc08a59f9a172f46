r"""Lifted proximal gradient descent, full batch (Section 4.1.1, eq. (16)-(17)), optionally accelerated.

Each iteration (one "epoch": all samples) is a forward-backward step on :math:`E = G + H`:

.. math::  \Theta_l^{k+1} = \Theta_l^k - \eta_l\nabla_{\Theta_l}H(\Theta^k, \mathbf X^k) \qquad (17a)

.. math::  x_j^{k+1} = \operatorname{prox}_{\frac{t_j\lambda_j}{1+t_j\lambda_j}(\Psi_j + \frac{\alpha_j}{\lambda_j}|\cdot|_1)}
           \Big(\tfrac{1}{1+t_j\lambda_j}\big(x_j^k + t_j(\lambda_j f(x_{j-1}, \Theta_j)
           - \lambda_{j+1}(\sigma_{j+1}(f(x_j^k, \Theta_{j+1})) - x_{j+1})W_{j+1}^\top)\big)\Big) \qquad (17b)

with the update formulas of :mod:`bregnet.lifted` and steps :math:`\eta_l = c/L_{\Theta_l}`,
:math:`t_j = c/L_{x_j}` from the Lipschitz bounds of :mod:`bregnet.solvers.lipschitz`
(:math:`L_{\Theta_l} = \lambda_l(\|X_{l-1}\|_2^2/s + 1)`, :math:`L_{x_j} = \lambda_{j+1}\|W_{j+1}\|_2^2`,
spectral norms by power iteration), :math:`0 < c < 2`.

Two schemes:

* ``"gauss_seidel"`` (default): the :math:`\Theta` block (all layers at once: they do not interact for
  fixed :math:`\mathbf X`), then :math:`x_1, \dots, x_{L-1}` in turn, each step using the newest values.
  Every block step is an admissible proximal gradient step on its block, so the lifted energy
  decreases monotonically for every :math:`c < 2` (descent lemma).
* ``"jacobi"``: (17) as printed, all blocks from :math:`(\Theta^k, \mathbf X^k)`.  The block steps do not
  bound the coupling between blocks, so monotone decrease is not guaranteed; with ``monotone=True`` an
  increase halves :math:`c` for that iteration (backtracking, at most ``max_backtracks`` times).

Acceleration (Section 4.1.1): ``"nesterov"`` (FISTA extrapolation :math:`\beta_k = (t_{k-1}-1)/t_k`) or
``"heavy_ball"`` (constant :math:`\beta` = ``momentum``): the step is taken from the extrapolated point
:math:`Y^k = U^k + \beta_k(U^k - U^{k-1})`, :math:`U = (\Theta, \mathbf X)`.  With ``monotone=True``
(default) an accelerated step that would increase :math:`E` is discarded, the momentum restarted
(O'Donoghue and Candes' adaptive restart) and a plain step taken, so the energy stays monotone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import DivergenceError
from ..lifted import LiftedProblem, forward_hidden, lifted_energy  # noqa: F401  (forward_hidden: doctests)
from ..network import Network
from ._common import check_hidden, lifted_diagnostics, run_solver
from .engine import Result, Solver, Task, params_state
from .params import BOOLEAN, Interval, NONE, OneOf
from .sweep import extrapolate, forward_sweep, momentum_weight

__all__ = ["ProximalGradient", "proximal_gradient", "proximal_gradient_step"]


def proximal_gradient_step(problem: LiftedProblem, network: Network, xs, *, scheme: str = "gauss_seidel",
                           step_scale: float = 1.99, norm_method: str = "power") -> tuple[Network, list]:
    r"""One lifted proximal gradient step (17) from ``xs = [X_0, X_1, ..., X_{L-1}, Y]``.

    Returns the new network and the new hidden variables ``[X_1, ..., X_{L-1}]``
    (:func:`bregnet.solvers.sweep.forward_sweep`).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=8)
    >>> prob = LiftedProblem.from_network(net)
    >>> xs = [X, *forward_hidden(net, X), Y]
    >>> net2, hidden = proximal_gradient_step(prob, net, xs)
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < lifted_energy(prob, net, xs))
    True
    """
    return forward_sweep(problem, network, xs, scheme=scheme, step_scale=step_scale, norm_method=norm_method)


@dataclass(frozen=True)
class ProximalGradient(Solver):
    r"""Full-batch lifted proximal gradient descent (16)-(17), optionally accelerated; see the module docstring.

    Parameters
    ----------
    scheme : ``"gauss_seidel"`` or ``"jacobi"``
    step_scale : float > 0, optional
        :math:`c` in the steps :math:`c/L`; default 1.99 (plain) or 1.0 (accelerated).  The descent lemma
        guarantees a decrease for :math:`c < 2` only; larger values are accepted for experiments.
    acceleration : None, ``"nesterov"`` or ``"heavy_ball"``
    momentum : float in [0, 1)
        :math:`\beta` of heavy-ball.
    monotone : bool
        Safeguards (restart / backtracking) that keep the energy monotone.
    max_backtracks : int
        Step halvings allowed per iteration (Jacobi with ``monotone``).
    norm_method : ``"power"`` or ``"exact"`` (see :func:`~bregnet.solvers.lipschitz.spectral_norm_sq`).
    """

    scheme: str = "gauss_seidel"
    step_scale: float | None = None
    acceleration: str | None = None
    momentum: float = 0.5
    monotone: bool = True
    max_backtracks: int = 30
    norm_method: str = "power"

    name = "proximal_gradient"
    supports_operators = True                  # forward_sweep goes through operator layers (convolutions)
    constraints = {"scheme": OneOf(("gauss_seidel", "jacobi")),
                   "step_scale": (NONE, Interval(0, None, closed="neither")),
                   "acceleration": OneOf((None, "nesterov", "heavy_ball")),
                   "momentum": Interval(0, 1, closed="left"), "monotone": BOOLEAN,
                   "max_backtracks": Interval(0, None, integer=True), "norm_method": OneOf(("power", "exact"))}

    def check(self):
        if self.step_scale is None:
            object.__setattr__(self, "step_scale", 1.99 if self.acceleration is None else 1.0)

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        hidden = check_hidden(task.problem, network, task.X, hidden)
        state = {**params_state(network), "hidden": list(hidden), "prev": None, "tk": 1.0}
        state["energy"] = self._energy(task, self.network(task, state), hidden)
        return state

    def _energy(self, task, net, hidden) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return lifted_energy(task.problem, net, [task.X, *hidden, task.Y])

    def _step(self, task, net, hidden, c):
        with np.errstate(over="ignore", invalid="ignore"):
            new_net, new_h = proximal_gradient_step(task.problem, net, [task.X, *hidden, task.Y], scheme=self.scheme,
                                                    step_scale=c, norm_method=self.norm_method)
        return new_net, new_h, self._energy(task, new_net, new_h)

    def _extrapolated(self, task, net, hidden, prev, beta):
        yW = tuple(extrapolate(W, pW, beta) for W, pW in zip(net.weights, prev["weights"]))
        yb = tuple(extrapolate(b, pb, beta) for b, pb in zip(net.biases, prev["biases"]))
        yh = [extrapolate(h, ph, beta) for h, ph in zip(hidden, prev["hidden"])]
        return Network(yW, yb, net.activations, net.layers), yh

    def update(self, task: Task, state: dict, rng) -> dict:
        net, hidden, e_cur, tk = self.network(task, state), state["hidden"], state["energy"], state["tk"]
        c = self.step_scale
        if self.acceleration is not None and state["prev"] is not None:
            tn, beta = momentum_weight(self.acceleration, tk, self.momentum)
            # extrapolated auxiliary variables only enter H, whose gradients are defined everywhere
            cand_net, cand_h, e_new = self._step(task, *self._extrapolated(task, net, hidden, state["prev"], beta), c)
            if self.monotone and not e_new <= e_cur:
                tn = 1.0                                         # adaptive restart
                cand_net, cand_h, e_new = self._step(task, net, hidden, c)
            tk = tn
        else:
            cand_net, cand_h, e_new = self._step(task, net, hidden, c)
        n_bt = 0
        while self.monotone and self.scheme == "jacobi" and not e_new <= e_cur:
            n_bt += 1
            if n_bt > self.max_backtracks:
                raise DivergenceError(f"{self.name}: no decrease after {self.max_backtracks} step halvings")
            c *= 0.5
            cand_net, cand_h, e_new = self._step(task, net, hidden, c)
        prev = {"weights": state["weights"], "biases": state["biases"], "hidden": hidden}
        return {**params_state(cand_net), "hidden": list(cand_h), "prev": prev, "tk": tk, "energy": e_new}

    def diagnostics(self, task: Task, state: dict) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])


def proximal_gradient(network: Network, X, Y, *, epochs: int = 100, checkpoint_every: int = 10, **options) -> Result:
    r"""Train by full-batch lifted proximal gradient descent (16)-(17): ``run(ProximalGradient(...), ...)``.

    ``options`` are the hyperparameters of :class:`ProximalGradient` and the options of
    :func:`bregnet.solvers.engine.run` (``lambdas``, ``l1``, ``hidden``, ``seed``, ``rng``, ``callback``,
    ``checkpoint``, ``resume``, ...).

    Returns
    -------
    Result
        ``network``, ``hidden`` (the final auxiliary variables) and ``history`` (per epoch: lifted
        energy, consistency residuals, forward loss, wall time; entry 0 is the initial state).

    Raises
    ------
    BregnetInputError
        Bad shapes, non-finite data, targets outside :math:`\operatorname{dom}\Psi_L`, bad options.
    DivergenceError
        Non-finite parameters or energy (step sizes too large).
    """
    return run_solver(ProximalGradient, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)
