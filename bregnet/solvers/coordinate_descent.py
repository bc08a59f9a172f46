r"""Block coordinate descent on the lifted energy (Appendix B.1, eq. (35)-(38)).

The lifted energy :math:`E(\Theta, \mathbf X)` of (18)/(25) is convex in each block when the others are
fixed.  Two orders are implemented:

* ``scheme="sequential"`` (35): :math:`\Theta_1, \dots, \Theta_L` (35a), then
  :math:`x_1, x_2, \dots, x_{L-1}` in turn (35b), each with the newest values of the others;
* ``scheme="odd_even"`` (36)-(37): the :math:`\Theta` block (37a), then all odd :math:`x_i` (37b), then all even
  :math:`x_j` (37c).  Within each of the three blocks the subproblems do not interact
  (:math:`\Theta_l` couples only :math:`x_{l-1}, x_l`; :math:`x_i` only its neighbours, which lie in the other
  parity), so they are solved from the same state, in parallel on any
  :class:`concurrent.futures.Executor` (``executor``), and each one is vectorised over the samples.

  This parallelism is over *layers*: every task holds all samples of its layers (:math:`X_{l-1}, X_l`), so on a
  cluster each sweep moves the data and auxiliary variables to the tasks.  A data-parallel form (rows of
  :math:`X_0, \dots, X_{L-1}, Y` resident on the workers: the :math:`x_j` blocks are separable over samples and
  need only :math:`\Theta`; the :math:`\Theta_l` block needs the sum over the workers of its gradient
  (17a) in every inner step and of :math:`X_{l-1}^\top X_{l-1}` for its step size) is not implemented; the
  data-resident solver is model averaging (:mod:`~bregnet.solvers.model_averaging`, ``split="fixed"``).

The block subproblems are solved inexactly:

* ``inner="prox_grad"``: ``n_inner`` proximal gradient steps (17a)/(17b) on the block with steps
  :math:`c/L` from the block's Lipschitz bound (:mod:`~bregnet.solvers.lipschitz`); with ``n_inner=1`` this
  is the explicit (linearised) variant (38);
* ``inner="admm"``: ``n_inner`` iterations of the ADMM of Appendix B.2 (:mod:`~bregnet.solvers.admm`),
  started from the current block value.

With ``monotone=True`` (default) an ADMM result that does not lower its block objective (possible after
few iterations: ADMM iterates are not feasible descent steps) is rejected, per layer for :math:`\Theta_l`
and per sample for :math:`x_j`, so the energy never increases.  Proximal gradient steps with
:math:`c < 2` always decrease the block objective.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bregman import bregman_loss
from ..lifted import LiftedProblem, forward_hidden, theta_step, x_step  # noqa: F401  (forward_hidden: doctests)
from ..network import Network
from ._common import check_hidden, lifted_diagnostics, run_solver
from .admm import admm_theta, admm_x, x_block_objective
from .engine import Result, Solver, Task, params_state, run  # noqa: F401  (run: doctests)
from .executors import check_executor, map_ordered
from .lipschitz import spectral_norm_sq
from .params import ANY, BOOLEAN, Interval, OneOf
from .sweep import theta_step_size, x_step_size

__all__ = ["CoordinateDescent", "coordinate_descent", "coordinate_descent_sweep", "solve_theta_block",
           "solve_x_block", "check_hidden"]

_INNER = ("prox_grad", "admm")


def _theta_objective(act, X_prev, X_cur, W, b) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(bregman_loss(act, X_cur, X_prev @ W + b)))


def solve_theta_block(problem: LiftedProblem, l: int, W, b, X_prev, X_cur, *, inner: str = "prox_grad",
                      n_inner: int = 5, step_scale: float = 1.99, delta: float = 1.0, tau: float = 1e-8,
                      monotone: bool = True) -> tuple:
    r"""Approximate (37a) for layer ``l``: ``n_inner`` steps (17a) or ADMM (39) iterations from ``(W, b)``.

    Returns ``(W, b)``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> prob = LiftedProblem.from_network(net)
    >>> rng = np.random.default_rng(0); X0 = rng.normal(size=(6, 3)); X1 = np.abs(rng.normal(size=(6, 4)))
    >>> W, b = solve_theta_block(prob, 1, net.weights[0], net.biases[0], X0, X1, inner="admm", n_inner=20)
    >>> bool(_theta_objective(prob.activations[0], X0, X1, W, b)
    ...      <= _theta_objective(prob.activations[0], X0, X1, net.weights[0], net.biases[0]))
    True
    """
    act, lam = problem.activations[l - 1], problem.lambdas[l - 1]
    if inner == "prox_grad":
        eta = theta_step_size(problem, l, spectral_norm_sq(X_prev), X_prev.shape[0], step_scale)
        Wn, bn = W, b
        for _ in range(n_inner):
            Wn, bn, _ = theta_step(act, lam, Wn, bn, X_prev, X_cur, eta)
        return Wn, bn
    st = admm_theta(act, X_prev, X_cur, W, b, delta=delta, tau=tau, n_iter=n_inner)
    if monotone and not (_theta_objective(act, X_prev, X_cur, st.W, st.b) <= _theta_objective(act, X_prev, X_cur, W, b)):
        return W, b
    return st.W, st.b


def solve_x_block(problem: LiftedProblem, j: int, X_j, X_prev, X_next, W_j, b_j, W_next, b_next, *,
                  inner: str = "prox_grad", n_inner: int = 5, step_scale: float = 1.99, delta: float = 1.0,
                  monotone: bool = True) -> np.ndarray:
    r"""Approximate (37b)/(37c) for hidden layer ``j``: ``n_inner`` steps (17b) or ADMM iterations (Appendix B.2).

    ``(W_j, b_j)`` = :math:`\Theta_j`, ``(W_next, b_next)`` = :math:`\Theta_{j+1}`.  Returns the new :math:`X_j`.
    """
    A = X_prev @ W_j + b_j
    if inner == "prox_grad":
        act_n = problem.activations[j]
        t = x_step_size(problem, j, spectral_norm_sq(W_next), step_scale)
        X = X_j
        for _ in range(n_inner):
            D = act_n.prox(X @ W_next + b_next) - X_next
            X = x_step(problem, j, X, A, D, W_next, t)
        return X
    st = admm_x(problem, j, X_j, A, X_next, W_next, b_next, delta=delta, n_iter=n_inner)
    if not monotone:
        return st.X
    with np.errstate(over="ignore", invalid="ignore"):
        new = x_block_objective(problem, j, st.X, A, X_next, W_next, b_next)
        old = x_block_objective(problem, j, X_j, A, X_next, W_next, b_next)
    keep = ~(new <= old)
    return np.where(keep[:, None], X_j, st.X)


def coordinate_descent_sweep(problem: LiftedProblem, network: Network, xs, *, scheme: str = "odd_even",
                             inner: str = "prox_grad", n_inner: int = 5, step_scale: float = 1.99,
                             delta: float = 1.0, tau: float = 1e-8, monotone: bool = True, executor=None,
                             callback=None) -> tuple[Network, list]:
    r"""One sweep of (35) or (36)-(37) from ``xs = [X_0, X_1, ..., X_{L-1}, Y]``; returns ``(network, hidden)``.

    ``callback(block, network, hidden)`` is called after each block (``"theta"``, ``"x_odd"``, ``"x_even"``
    for the odd/even scheme; ``"theta"``, ``"x_1"``, ... for the sequential one).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> from bregnet.lifted import lifted_energy
    >>> net, X, Y = toy_problem([3, 4, 4, 2], ["relu", "relu", "identity"], n_samples=8)
    >>> prob = LiftedProblem.from_network(net)
    >>> xs = [X, *forward_hidden(net, X), Y]
    >>> net2, hidden = coordinate_descent_sweep(prob, net, xs, inner="admm")
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < lifted_energy(prob, net, xs))
    True
    """
    ex = check_executor(executor)
    L = problem.n_layers
    opts = dict(inner=inner, n_inner=n_inner, step_scale=step_scale, delta=delta, monotone=monotone)
    # Theta block (35a)/(36a)/(37a): the layers are independent for fixed X
    tasks = [(problem, l, network.weights[l - 1], network.biases[l - 1], xs[l - 1], xs[l]) for l in range(1, L + 1)]
    res = map_ordered(ex, _theta_task, [(t, dict(opts, tau=tau)) for t in tasks])
    net = Network(tuple(r[0] for r in res), tuple(r[1] for r in res), network.activations)
    if callback is not None:
        callback("theta", net, list(xs[1:L]))
    xs = list(xs)
    W, b = net.weights, net.biases

    def x_task(j):
        return (problem, j, xs[j], xs[j - 1], xs[j + 1], W[j - 1], b[j - 1], W[j], b[j])

    if scheme == "sequential":                                   # (35b)
        for j in range(1, L):
            xs[j] = solve_x_block(*x_task(j), **opts)
            if callback is not None:
                callback(f"x_{j}", net, list(xs[1:L]))
    else:                                                        # (36b), (36c) = (37b), (37c)
        for parity, name in ((1, "x_odd"), (0, "x_even")):
            js = [j for j in range(1, L) if j % 2 == parity]
            if not js:
                continue
            new = map_ordered(ex, _x_task, [(x_task(j), opts) for j in js])
            for j, Xj in zip(js, new):
                xs[j] = Xj
            if callback is not None:
                callback(name, net, list(xs[1:L]))
    return net, xs[1:L]


def _theta_task(args, opts):
    return solve_theta_block(*args, **opts)


def _x_task(args, opts):
    return solve_x_block(*args, **opts)


@dataclass(frozen=True)
class CoordinateDescent(Solver):
    r"""Block coordinate descent (35) or the odd/even scheme (36)-(37) on the lifted energy; see the module docstring.

    Parameters
    ----------
    scheme : ``"odd_even"`` (36)-(37) or ``"sequential"`` (35)
    inner : ``"prox_grad"`` (17) or ``"admm"`` (39), Appendix B.2
    n_inner : int
        Inner iterations per block subproblem.
    step_scale : float > 0
        :math:`c` of the proximal gradient steps :math:`c/L` (a decrease is guaranteed for :math:`c < 2` only).
    delta : float > 0
        The ADMM penalty :math:`\delta` of (39).
    admm_prox_weight : float >= 0
        The weight :math:`\tau` of :math:`\tfrac\tau2\|W - W^j\|^2` added to the ADMM's Lagrangian (Appendix B.2;
        earlier name ``tau``).
    monotone : bool
        Reject ADMM block results that do not decrease their block objective.
    executor : concurrent.futures.Executor or None
        Runs the independent subproblems of a block (default: in the calling thread).  The iterates never
        depend on it, so it is no part of :meth:`params` (nor of a checkpoint's fingerprint): a run may be
        resumed with another executor.

    The state holds the parameters and the auxiliary variables ``hidden``.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 4, 2], ["relu", "tanh", "identity"], n_samples=10)
    >>> solver = CoordinateDescent(inner="admm", n_inner=3)
    >>> sorted(solver.params())
    ['admm_prox_weight', 'delta', 'inner', 'monotone', 'n_inner', 'scheme', 'step_scale']
    >>> bool(np.all(np.diff(run(solver, net, X, Y, epochs=3).history.energy) <= 0))
    True
    """

    scheme: str = "odd_even"
    inner: str = "prox_grad"
    n_inner: int = 5
    step_scale: float = 1.99
    delta: float = 1.0
    admm_prox_weight: float = 1e-8
    monotone: bool = True
    executor: object = None

    name = "coordinate_descent"
    runtime_fields = ("executor",)          # the iterates do not depend on it (executors.py)
    renamed = {"tau": "admm_prox_weight"}
    constraints = {"scheme": OneOf(("odd_even", "sequential")), "inner": OneOf(_INNER),
                   "n_inner": Interval(1, None, integer=True), "step_scale": Interval(0, None, closed="neither"),
                   "delta": Interval(0, None, closed="neither"), "admm_prox_weight": Interval(0, None),
                   "monotone": BOOLEAN,
                   "executor": ANY}

    def check(self):
        check_executor(self.executor)

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        return {**params_state(network), "hidden": list(check_hidden(task.problem, network, task.X, hidden))}

    def update(self, task: Task, state: dict, rng) -> dict:
        opts = self.params()
        opts["tau"] = opts.pop("admm_prox_weight")             # the tau of the ADMM (39)
        net, hidden = coordinate_descent_sweep(task.problem, self.network(task, state),
                                               [task.X, *state["hidden"], task.Y], executor=self.executor, **opts)
        return {**params_state(net), "hidden": list(hidden)}

    def diagnostics(self, task: Task, state: dict) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])


def coordinate_descent(network: Network, X, Y, *, epochs: int = 50, checkpoint_every: int = 10,
                       **options) -> Result:
    r"""Train by block coordinate descent (35) or the odd/even scheme (36)-(37): ``run(CoordinateDescent(...), ...)``.

    ``options`` are the hyperparameters of :class:`CoordinateDescent` (``scheme="odd_even"``,
    ``inner="prox_grad"``, ``n_inner=5``, ``step_scale=1.99``, ``delta=1.0``, ``admm_prox_weight=1e-8`` (earlier name ``tau``), ``monotone=True``,
    ``executor=None``) and the options of :func:`bregnet.solvers.engine.run` (``lambdas``, ``l1``, ``hidden``
    (initial :math:`X_1..X_{L-1}`; default a forward pass), ``seed``/``rng`` (unused by the deterministic
    iteration), ``callback``, ``checkpoint``, ``resume``, ...).  ``epochs`` is the number of sweeps.

    Returns
    -------
    Result
        ``network``, ``hidden`` and per-epoch ``history`` (entry 0 = initial state).

    Raises
    ------
    BregnetInputError, DivergenceError
        As :func:`~bregnet.solvers.engine.run` (bad data or options; non-finite parameters, auxiliary
        variables or energy).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 4, 2], ["relu", "tanh", "identity"], n_samples=10)
    >>> res = coordinate_descent(net, X, Y, epochs=5)
    >>> bool(np.all(np.diff(res.history.energy) <= 0))
    True
    """
    return run_solver(CoordinateDescent, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)
