r"""Stochastic lifted proximal gradient descent (Section 4.2.1, eq. (19)).

The lifted energy is a mean of per-sample terms, :math:`E(\Theta, \mathbf X) = \frac1s\sum_i G(\mathbf X_i) +
H(\Theta, \mathbf X_i)` (19), where :math:`\mathbf X_i = (x_1^i, \dots, x_{L-1}^i)` belongs to sample :math:`i`
only.  Each iteration draws a mini-batch :math:`B` and takes

.. math::  \Theta^{k+1} = \Theta^k - \tau_\Theta^k\,\frac{1}{|B|}\sum_{i\in B}\nabla_\Theta H(\Theta^k, \mathbf X_i^k),
           \qquad
           \mathbf X_i^{k+1} = \operatorname{prox}_{\tau_{\mathbf X}G}\big(\mathbf X_i^k
           - \tau_{\mathbf X}\nabla_{\mathbf X_i}H(\Theta^{\cdot}, \mathbf X_i^k)\big), \quad i\in B,

the auxiliary variables of the other samples staying unchanged (they are stored for the whole data set
and persist across epochs).  The updates are (17a) and (17b) of :mod:`bregnet.lifted`
(:func:`~bregnet.lifted.theta_step`, :func:`~bregnet.lifted.x_step`) on the batch.  Steps:

* :math:`\tau_{\Theta_l}^k = \gamma_k\,c/(\lambda_l(\|X_{l-1}^B\|_2^2/|B| + 1))` (the batch Lipschitz bound of
  :mod:`~bregnet.solvers.lipschitz`) with the decay :math:`\gamma_k = (1 + k)^{-p}`, ``step_decay`` = :math:`p`
  (:math:`p = 0`: constant steps; :math:`p\in(1/2, 1]`: the Robbins-Monro conditions);
* per sample :math:`\tau_{x_j} = c/(\lambda_{j+1}\|W_{j+1}\|_2^2)`: the :math:`\mathbf X_i` update is a deterministic
  proximal gradient step on sample :math:`i`'s own terms.

``scheme="gauss_seidel"`` (default) takes the :math:`\mathbf X`-step at :math:`\Theta^{k+1}` and with the newest
:math:`x_{j-1}` (an "alternating variant" of Section 4.2.1); ``"jacobi"`` takes all steps at :math:`(\Theta^k, \mathbf X^k)`
as printed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lifted import LiftedProblem
from ..network import Network
from ._common import check_hidden, lifted_diagnostics, run_solver
from .engine import Result, Solver, Task, params_state, run  # noqa: F401  (run: doctests)
from .params import BOOLEAN, Interval, OneOf
from .sweep import forward_sweep

__all__ = ["StochasticProximalGradient", "stochastic_proximal_gradient", "stochastic_proximal_gradient_step"]


def stochastic_proximal_gradient_step(problem: LiftedProblem, network: Network, xs_batch, *, theta_factor: float = 1.0,
                                      step_scale: float = 1.99, scheme: str = "gauss_seidel") -> tuple[Network, list]:
    r"""One iteration of Section 4.2.1 on a batch ``xs_batch = [X_0^B, X_1^B, ..., X_{L-1}^B, Y^B]``.

    The block sweep (17) on the batch (:func:`bregnet.solvers.sweep.forward_sweep`) with the parameter steps
    scaled by ``theta_factor`` = :math:`\gamma_k`.  Returns the new network and the batch's new
    ``[X_1^B, ..., X_{L-1}^B]``.

    Examples
    --------
    With :math:`\gamma_k = 0` the parameters stay and only the auxiliary variables move:

    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import forward_hidden
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); Xb = rng.normal(size=(4, 3)); Yb = rng.normal(size=(4, 2))
    >>> same, hb = stochastic_proximal_gradient_step(LiftedProblem.from_network(net), net,
    ...                                              [Xb, *forward_hidden(net, Xb), Yb], theta_factor=0.0)
    >>> all(np.array_equal(W, V) for W, V in zip(same.weights, net.weights)), hb[0].shape
    (True, (4, 4))
    """
    return forward_sweep(problem, network, xs_batch, scheme=scheme, step_scale=step_scale, theta_factor=theta_factor)


@dataclass(frozen=True)
class StochasticProximalGradient(Solver):
    r"""Stochastic lifted proximal gradient descent (Section 4.2.1, eq. (19)); see the module docstring.

    Parameters
    ----------
    batch_size : int
        :math:`|B|` (the last batch of an epoch may be smaller).
    step_scale : float > 0
        :math:`c` (default 0.5: the batch gradient is noisy, so steps below the deterministic bound work better;
        the block steps are descent steps for :math:`c < 2` only).
    step_decay : float >= 0
        :math:`p` in :math:`\gamma_k = (1 + k)^{-p}`, :math:`k` = iterations (batches) so far.
    scheme : ``"gauss_seidel"`` or ``"jacobi"``
    shuffle : bool
        Random batches (from the run's generator) every epoch, or in order.

    Notes
    -----
    The state holds the parameters, the auxiliary variables of *all* samples (``hidden``) and the iteration
    counter :math:`k` (``iteration``).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=40)
    >>> res = run(StochasticProximalGradient(batch_size=8), net, X, Y, epochs=3, seed=1)
    >>> res.state["iteration"], [h.shape for h in res.hidden]          # 5 batches per epoch
    (15, [(40, 5)])
    """

    batch_size: int = 32
    step_scale: float = 0.5
    step_decay: float = 0.0
    scheme: str = "gauss_seidel"
    shuffle: bool = True

    name = "stochastic_proximal_gradient"
    stochastic = True
    supports_operators = True                  # forward_sweep goes through operator layers (convolutions)
    constraints = {"batch_size": Interval(1, None, integer=True), "step_scale": Interval(0, None, closed="neither"),
                   "step_decay": Interval(0, None), "scheme": OneOf(("gauss_seidel", "jacobi")), "shuffle": BOOLEAN}

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        hidden = check_hidden(task.problem, network, task.X, hidden)
        return {**params_state(network), "hidden": [h.copy() for h in hidden], "iteration": 0}

    def update(self, task: Task, state: dict, rng) -> dict:
        X, Y, s = task.X, task.Y, task.n_samples
        net, it = self.network(task, state), state["iteration"]
        hidden = [h.copy() for h in state["hidden"]]          # the batch rows are replaced in place
        order = rng.permutation(s) if self.shuffle else np.arange(s)
        for p in range(0, s, self.batch_size):
            idx = order[p:p + self.batch_size]
            net, hb = stochastic_proximal_gradient_step(task.problem, net, [X[idx], *(h[idx] for h in hidden), Y[idx]],
                                                        theta_factor=(1.0 + it) ** (-self.step_decay),
                                                        step_scale=self.step_scale, scheme=self.scheme)
            for h, new in zip(hidden, hb):
                h[idx] = new
            it += 1
        return {**params_state(net), "hidden": hidden, "iteration": it}

    def diagnostics(self, task: Task, state: dict) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])


def stochastic_proximal_gradient(network: Network, X, Y, *, epochs: int = 10, checkpoint_every: int = 1,
                                 **options) -> Result:
    r"""Stochastic lifted proximal gradient descent (Section 4.2.1): ``run(StochasticProximalGradient(...), ...)``.

    ``options`` are the hyperparameters of :class:`StochasticProximalGradient` (``batch_size=32``,
    ``step_scale=0.5``, ``step_decay=0.0``, ``scheme="gauss_seidel"``, ``shuffle=True``) and the options of
    :func:`bregnet.solvers.engine.run` (``lambdas``, ``l1``, ``hidden`` (initial :math:`X_1..X_{L-1}` for all
    samples; default a forward pass), ``seed``, ``rng``, ``callback``, ``checkpoint``, ``resume``, ...).

    Returns
    -------
    Result
        ``network``, ``hidden`` (all samples) and per-epoch ``history`` (lifted energy, consistency residuals,
        forward loss, wall time; entry 0 is the initial state).

    Raises
    ------
    BregnetInputError, DivergenceError
        As :func:`~bregnet.solvers.engine.run` (bad data or options; non-finite parameters, auxiliary
        variables or energy: reduce ``step_scale``).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=40)
    >>> res = stochastic_proximal_gradient(net, X, Y, epochs=5, batch_size=8, seed=1)
    >>> bool(res.history.energy[-1] < res.history.energy[0])
    True
    """
    return run_solver(StochasticProximalGradient, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)
