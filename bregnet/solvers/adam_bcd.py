r"""Adam-preconditioned block coordinate descent on the lifted energy (issue 15).

The Gauss-Seidel sweep of (17) — the :math:`\Theta` block (every layer from the same :math:`\mathbf X`), then
:math:`x_1, \dots, x_{L-1}` in turn, each at the newest values of the others — with every block step taken from
Adam's moment estimates of that block's gradient (Kingma & Ba 2015).  For a block :math:`u` with gradient
:math:`g_k = \nabla_u H` of the smooth part at sweep :math:`k` (Lemma 8: no derivative of any activation),

.. math::  m_k = \beta_1 m_{k-1} + (1-\beta_1)g_k, \quad v_k = \beta_2 v_{k-1} + (1-\beta_2)g_k^2, \quad
           \hat m_k = \frac{m_k}{1-\beta_1^k}, \quad \hat v_k = \frac{v_k}{1-\beta_2^k},

* :math:`\Theta_l = (W_l, b_l)` (smooth, no prox): :math:`u^{+} = u - \eta\,\hat m_k/(\sqrt{\hat v_k} + \epsilon)`,
  element by element;
* :math:`x_j` (the nonsmooth part :math:`G_j = \frac1s\sum_i\lambda_j\Phi_j(x_j^i) + \alpha\|x_j^i\|_1` needs its prox,
  which bregnet's activations give for a scalar step only): the metric is scalar per block,
  :math:`\tau_k = \eta/(\sqrt{\overline{\hat v_k}} + \epsilon)` with :math:`\overline{\hat v_k}` the block mean of
  :math:`\hat v_k` (a layer-wise second moment, as NovoGrad's), and the step is the proximal gradient step
  :math:`x_j^{+} = \operatorname{prox}_{\tau_k G_j}(x_j - \tau_k\hat m_k)` (:func:`bregnet.lifted.prox_layer` with
  per-sample step :math:`\tau_k/s`).

One epoch is one sweep over all samples (full batch).  The state holds the parameters, the auxiliary variables,
both moments of every block and the step count, so a resumed run is exact.  Adam's steps are not bounded by the
blocks' Lipschitz constants: the energy is not guaranteed to decrease at every sweep (it does for small
:math:`\eta`); with the operator layers of :mod:`bregnet.operators` and every penalty of
:data:`bregnet.lifted.PENALTIES` the same formulas apply (the residuals of :func:`bregnet.lifted.layer_residual`).

Examples
--------
>>> import numpy as np
>>> from bregnet.testing import toy_problem
>>> from bregnet.solvers.engine import run
>>> net, X, Y = toy_problem([3, 6, 2], ["relu", "identity"], n_samples=30)
>>> e = run(AdamBCD(lr=0.01), net, X, Y, epochs=30).history.energy
>>> bool(e[-1] < 0.9 * e[0])
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lifted import (PENALTIES, layer_residual, penalty_target, prox_layer, quadratic_shrink, step_penalty,
                      theta_gradient, x_gradient)
from ..network import Network
from ._common import check_hidden, lifted_diagnostics
from .engine import Solver, params_state
from .params import Interval

__all__ = ["AdamBCD", "adam_direction"]


def adam_direction(g, m, v, t: int, beta1: float, beta2: float):
    r"""``(m, v, m_hat, v_hat)`` after gradient ``g`` at step ``t`` (1-based): Adam's moments and bias corrections.

    >>> m, v, mh, vh = adam_direction(np.array([2.0]), np.zeros(1), np.zeros(1), 1, 0.9, 0.999)
    >>> mh.tolist(), [round(float(vh[0]), 12)]
    ([2.0], [4.0])
    """
    dt = g.dtype.type
    m = dt(beta1) * m + dt(1.0 - beta1) * g
    v = dt(beta2) * v + dt(1.0 - beta2) * g * g
    return m, v, m / dt(1.0 - beta1 ** t), v / dt(1.0 - beta2 ** t)


@dataclass(frozen=True)
class AdamBCD(Solver):
    r"""Block coordinate descent on the lifted energy with Adam-preconditioned block steps (module docstring).

    Parameters
    ----------
    lr : float > 0
        Adam's step size (eta of the module docstring), for every block.
    beta1, beta2 : float in [0, 1)
        Adam's decay rates of the first and second moments.
    eps : float > 0
        Added to the square root of the second moment (Adam's epsilon).
    """

    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    name = "adam_bcd"
    step_option = "lr"
    supports_operators = True
    penalties = PENALTIES
    constraints = {"lr": Interval(0, None, closed="neither"), "beta1": Interval(0, 1, closed="left"),
                   "beta2": Interval(0, 1, closed="left"), "eps": Interval(0, None, closed="neither")}

    def init(self, task, network: Network, hidden, rng) -> dict:
        hidden = list(check_hidden(task.problem, network, task.X, hidden))
        blocks = list(network.weights) + list(network.biases) + hidden
        zeros = tuple(np.zeros_like(a) for a in blocks)
        return {**params_state(network), "hidden": hidden, "m": zeros, "v": zeros, "t": 0}

    def update(self, task, state, rng) -> dict:
        net, problem, t = self.network(task, state), task.problem, state["t"] + 1
        L, s = problem.n_layers, task.n_samples
        m, v = list(state["m"]), list(state["v"])
        xs = [task.X, *state["hidden"], task.Y]
        Ws, bs = list(net.weights), list(net.biases)
        for l in range(1, L + 1):                                   # the Theta block, all layers from the same X
            gW, gb, _ = theta_gradient(problem.activations[l - 1], problem.lambdas[l - 1], xs[l - 1], xs[l],
                                       net.pre_activation(l, xs[l - 1]), net.operator(l), step_penalty(problem, l))
            Ws[l - 1] = self._step(Ws[l - 1], gW, m, v, l - 1, t)
            bs[l - 1] = self._step(bs[l - 1], gb, m, v, L + l - 1, t)
        net = Network(tuple(Ws), tuple(bs), net.activations, net.layers)
        for j in range(1, L):                                       # x_1, ..., x_{L-1}, Gauss-Seidel
            xs[j] = self._x_step(task, net, xs, j, m, v, 2 * L + j - 1, t)
        return {**params_state(net), "hidden": xs[1:L], "m": tuple(m), "v": tuple(v), "t": t}

    def _step(self, u, g, m, v, k: int, t: int):
        """Adam's element-wise step on a smooth block ``u`` (moments ``m[k]``, ``v[k]`` replaced)."""
        m[k], v[k], mh, vh = adam_direction(g, m[k], v[k], t, self.beta1, self.beta2)
        dt = u.dtype.type
        return u - dt(self.lr) * mh / (np.sqrt(vh) + dt(self.eps))

    def _x_step(self, task, net, xs, j: int, m, v, k: int, t: int):
        r"""The proximal step on :math:`x_j` in the scalar metric :math:`\tau = \eta/(\sqrt{\mathrm{mean}\,\hat v} + \epsilon)`."""
        problem, s = task.problem, task.n_samples
        Zj, Zn = net.pre_activation(j, xs[j - 1]), net.pre_activation(j + 1, xs[j])
        Dn = layer_residual(problem, j + 1, Zn, xs[j + 1])
        if problem.quadratic_penalty:                                # MAC, classical: the own term is smooth, in H
            own = problem.lambdas[j - 1] * (xs[j] - penalty_target(problem, j, Zj))
            back = Dn @ net.weights[j].T if net.operator(j + 1) is None else net.operator(j + 1).adjoint(Dn, net.weights[j])
            g = (own + problem.lambdas[j] * back) / s
        else:
            g = x_gradient(problem.lambdas[j - 1], problem.lambdas[j], Zj, Dn, net.weights[j], net.operator(j + 1)) / s
        m[k], v[k], mh, vh = adam_direction(g, m[k], v[k], t, self.beta1, self.beta2)
        tau = self.lr / (float(np.sqrt(np.mean(vh, dtype=np.float64))) + self.eps)
        V = xs[j] - xs[j].dtype.type(tau) * mh
        if problem.quadratic_penalty:
            return quadratic_shrink(problem, j, V, tau * problem.l1_alpha(j) / s)
        return prox_layer(problem, j, V, tau / s)

    def diagnostics(self, task, state) -> dict:
        return lifted_diagnostics(task, self.network(task, state), state["hidden"])

