r"""Iterative regularisation of the parameters by linearised Bregman iterations (Section 4.1.2).

Variational regularisation :math:`E + R(\Theta)` breaks network consistency (Section 4.1.2); instead the
regulariser enters the Bregman function of the proximal gradient iteration (16):

.. math::  J(\Theta, \mathbf X) = \frac{1}{\tau_\Theta}\Big(R(\Theta) + \frac12\sum_l\|\Theta_l\|^2\Big)
           + \frac{1}{2\tau_{\mathbf X}}\sum_l\|x_l\|^2 - H(\Theta, \mathbf X).

The optimality condition of (16) with this :math:`J` gives, with a dual variable
:math:`v_l \in \partial R(\Theta_l) + \Theta_l` (only the weights are regularised; the biases take plain steps),

.. math::  v_l^{k+1} = v_l^k - \eta_l\nabla_{W_l}H(\Theta^k, \mathbf X^k), \qquad
           W_l^{k+1} = \operatorname{prox}_R(v_l^{k+1}), \qquad
           b_l^{k+1} = b_l^k - \eta_l\nabla_{b_l}H(\Theta^k, \mathbf X^k),

followed by the auxiliary-variable step (17b) at :math:`\Theta^{k+1}` (:func:`bregnet.lifted.x_step`).  Here

* ``regulariser="l1"``: :math:`R = \alpha\|W\|_1`, :math:`\operatorname{prox}_R` = soft thresholding ("shrink")
  at :math:`\alpha` — sparse weights;
* ``regulariser="nuclear"``: :math:`R = \alpha\|W\|_*`, :math:`\operatorname{prox}_R` = singular value
  shrinkage :math:`U\max(S - \alpha, 0)V^\top` — low-rank weights.

Starting from :math:`W^0 = \operatorname{prox}_R(v^0)` with a small random :math:`v^0` (``init="dual"``; with
:math:`v^0 = 0` the inverse scale space start, but then the hidden units of a layer stay identical) the
weights stay sparse / low rank and gain entries / rank gradually.  The steps :math:`\eta_l = c/L_{\Theta_l}` with
:math:`c < 2` decrease the lifted energy monotonically: by the monotonicity of :math:`\partial R`,
:math:`H(\Theta^{k+1}) \le H(\Theta^k) - (1/\eta - L/2)\|\Theta^{k+1} - \Theta^k\|^2`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lifted import LiftedProblem, theta_gradient
from ..network import Network
from ._common import check_hidden, lifted_diagnostics, run_solver
from .engine import Result, Solver, Task, params_state, run  # noqa: F401  (run: doctests)
from .lipschitz import spectral_norm_sq
from .params import Interval, OneOf
from .sweep import theta_step_size, x_block_step, x_step_size

__all__ = ["BregmanIterations", "shrink", "singular_value_shrink", "bregman_iterations", "bregman_iteration_step",
           "REGULARISERS"]

REGULARISERS = ("l1", "nuclear")


def shrink(V, alpha: float) -> np.ndarray:
    r""":math:`\operatorname{prox}_{\alpha\|\cdot\|_1}(v) = \operatorname{sign}(v)\max(|v| - \alpha, 0)`.

    Examples
    --------
    >>> shrink(np.array([-2.0, 0.5, 1.5]), 1.0).tolist()
    [-1.0, 0.0, 0.5]
    """
    V = np.asarray(V)
    return np.sign(V) * np.maximum(np.abs(V) - V.dtype.type(alpha), 0)


def singular_value_shrink(V, alpha: float) -> np.ndarray:
    r""":math:`\operatorname{prox}_{\alpha\|\cdot\|_*}(V) = U\max(S - \alpha, 0)V^\top` (nuclear norm).

    Examples
    --------
    >>> [round(float(s), 12) for s in np.linalg.svd(singular_value_shrink(np.diag([3.0, 1.0]), 2.0), compute_uv=False)]
    [1.0, 0.0]
    """
    V = np.asarray(V)
    U, S, Vt = np.linalg.svd(V, full_matrices=False)
    return (U * np.maximum(S - V.dtype.type(alpha), 0)) @ Vt


def _prox_R(regulariser, V, alpha):
    return shrink(V, alpha) if regulariser == "l1" else singular_value_shrink(V, alpha)


def _dual_from_weights(regulariser, W, alpha):
    # a v with prox_R(v) = W: v = W + alpha p, p in dR(W)
    if regulariser == "l1":
        return W + W.dtype.type(alpha) * np.sign(W)
    U, S, Vt = np.linalg.svd(W, full_matrices=False)
    return (U * np.where(S > 0, S + alpha, S)) @ Vt


def bregman_iteration_step(problem: LiftedProblem, network: Network, duals, xs, *, regulariser: str = "l1",
                           alpha: float = 0.1, step_scale: float = 1.99) -> tuple[Network, list, list]:
    r"""One linearised Bregman iteration on :math:`\Theta` followed by the step (17b) on :math:`\mathbf X`.

    ``duals`` are the :math:`v_l` (one per layer, shapes of :math:`W_l`).  Returns ``(network, duals, hidden)``.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> from bregnet.lifted import forward_hidden
    >>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=6)
    >>> prob = LiftedProblem.from_network(net)
    >>> v = [np.zeros_like(W) for W in net.weights]
    >>> zero = Network(tuple(np.zeros_like(W) for W in net.weights), net.biases, net.activations)
    >>> net2, v2, h = bregman_iteration_step(prob, zero, v, [X, *forward_hidden(zero, X), Y], alpha=0.05)
    >>> [int(np.count_nonzero(W)) for W in net2.weights]   # zero start: the output layer is activated first
    [0, 0]
    """
    L = problem.n_layers
    s = xs[0].shape[0]
    Ws, bs, vs = [], [], []
    for l in range(1, L + 1):
        W, b = network.weights[l - 1], network.biases[l - 1]
        eta = W.dtype.type(theta_step_size(problem, l, spectral_norm_sq(xs[l - 1]), s, step_scale))
        gW, gb, _ = theta_gradient(problem.activations[l - 1], problem.lambdas[l - 1], xs[l - 1], xs[l],
                                   xs[l - 1] @ W + b)
        vs.append(duals[l - 1] - eta * gW)                     # v_l^{k+1} = v_l^k - eta_l grad_W H
        Ws.append(_prox_R(regulariser, vs[-1], alpha).astype(W.dtype, copy=False))
        bs.append(b - eta * gb)
    net = Network(tuple(Ws), tuple(bs), network.activations)
    new = list(xs)
    for j in range(1, L):                                      # (17b) at Theta^{k+1}, Gauss-Seidel
        nw = spectral_norm_sq(net.weights[j])
        # W_{j+1} = 0: the smooth part is linear in x_j, any step is admissible
        t = step_scale / problem.lambdas[j - 1] if nw == 0.0 else x_step_size(problem, j, nw, step_scale)
        new[j] = x_block_step(problem, net, new, j, t)
    return net, vs, new[1:L]


@dataclass(frozen=True)
class BregmanIterations(Solver):
    r"""Linearised Bregman iterations on the parameters (Section 4.1.2); see the module docstring.

    Parameters
    ----------
    regulariser : ``"l1"`` (sparse weights) or ``"nuclear"`` (low-rank weights)
    alpha : float >= 0
        Weight :math:`\alpha` of :math:`R`; larger means sparser / lower rank at a given iteration.
    init_from : ``"dual"``, ``"zero"`` or ``"network"``
        The start (the legacy function's ``init``): ``"dual"``: :math:`v^0` = the weights of the given network,
        :math:`W^0 = \operatorname{prox}_R(v^0)` (a sparse / low-rank random start that breaks the symmetry of
        the hidden units); ``"zero"``: :math:`W^0 = v^0 = 0` (all hidden units of a layer then stay identical:
        for one-layer models); ``"network"``: :math:`W^0` of the network, :math:`v^0 = W^0 + \alpha p`,
        :math:`p \in \partial R(W^0)/\alpha`.
    step_scale : float > 0
        :math:`c` of :math:`\eta_l = c/L_{\Theta_l}`, :math:`t_j = c/L_{x_j}` (monotone for :math:`c < 2`).

    Notes
    -----
    The state holds the parameters, the dual variables :math:`v_l \in \partial R(W_l) + W_l` (``duals``) and
    the auxiliary variables ``hidden``.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([4, 6, 3], ["relu", "identity"], n_samples=20)
    >>> res = run(BregmanIterations(alpha=0.05), net, X, Y, epochs=10)
    >>> all(np.array_equal(W, shrink(v, 0.05)) for W, v in zip(res.network.weights, res.state["duals"]))
    True
    """

    regulariser: str = "l1"
    alpha: float = 0.1
    init_from: str = "dual"
    step_scale: float = 1.99

    name = "bregman_iterations"
    constraints = {"regulariser": OneOf(REGULARISERS), "alpha": Interval(0, None),
                   "init_from": OneOf(("dual", "zero", "network")), "step_scale": Interval(0, None, closed="neither")}

    def _start(self, network: Network) -> tuple[tuple, list]:
        """:math:`(W^0, v^0)` for ``init_from``."""
        if self.init_from == "dual":
            duals = [W.copy() for W in network.weights]
            return tuple(_prox_R(self.regulariser, v, self.alpha).astype(v.dtype, copy=False) for v in duals), duals
        if self.init_from == "zero":
            return tuple(np.zeros_like(W) for W in network.weights), [np.zeros_like(W) for W in network.weights]
        return network.weights, [_dual_from_weights(self.regulariser, W, self.alpha) for W in network.weights]

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        weights, duals = self._start(network)
        net = Network(weights, network.biases, network.activations)
        return {**params_state(net), "duals": duals, "hidden": list(check_hidden(task.problem, net, task.X, hidden))}

    def update(self, task: Task, state: dict, rng) -> dict:
        net, duals, hidden = bregman_iteration_step(task.problem, self.network(task, state), state["duals"],
                                                    [task.X, *state["hidden"], task.Y], regulariser=self.regulariser,
                                                    alpha=self.alpha, step_scale=self.step_scale)
        return {**params_state(net), "duals": duals, "hidden": hidden}

    def diagnostics(self, task: Task, state: dict) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])


def bregman_iterations(network: Network, X, Y, *, epochs: int = 100, init: str = "dual", checkpoint_every: int = 10,
                       **options) -> Result:
    r"""Linearised Bregman iterations on the parameters (Section 4.1.2): ``run(BregmanIterations(...), ...)``.

    ``init`` is :class:`BregmanIterations`'s ``init_from`` (which wins if given): ``"dual"``, ``"zero"`` or
    ``"network"``; ``options`` are its other hyperparameters (``regulariser="l1"``, ``alpha=0.1``,
    ``step_scale=1.99``) and the options of :func:`bregnet.solvers.engine.run` (``lambdas``, ``l1`` (an l1 term
    on an auxiliary layer), ``hidden`` (initial :math:`X_1..X_{L-1}`; default the forward pass of the initial
    parameters), ``callback``, ``checkpoint``, ``resume``, ...).  ``network`` gives the activations and biases,
    and the weights as ``init`` says (it is not modified).

    Returns
    -------
    Result
        ``network``, ``hidden``, per-epoch ``history``; ``state["duals"]`` the dual variables.

    Raises
    ------
    BregnetInputError, DivergenceError
        As :func:`~bregnet.solvers.engine.run` (bad data or options; non-finite parameters, duals, auxiliary
        variables or energy).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([4, 6, 3], ["relu", "identity"], n_samples=20)
    >>> res = bregman_iterations(net, X, Y, epochs=30, alpha=0.05)
    >>> bool(np.all(np.diff(res.history.energy) <= 1e-12))
    True
    """
    options.setdefault("init_from", init)
    return run_solver(BregmanIterations, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)
