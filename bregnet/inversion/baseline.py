r"""Direct regularised inversion by back-propagation: (proximal) gradient descent on the output misfit.

The baseline the lifted inversion is compared with minimises, for every output :math:`f^i` (rows of ``F``),

.. math::  F(u) = \tfrac12\|\mathcal N(u) - f\|^2 + \alpha J(u)

by (accelerated) proximal gradient descent.  The gradient of the misfit in the *input* is back-propagated
through the network (the forward pass :func:`bregnet.backprop.backprop._forward` and the output loss
:class:`bregnet.backprop.MSELoss` of Algorithm 2, continued one layer further, to :math:`x_0 = u`):

.. math::  \delta_L = J_{\sigma_L}(z_L)^\top(x_L - f), \quad \mu_{l-1} = A_l^\top\delta_l, \quad
           \delta_{l-1} = J_{\sigma_{l-1}}(z_{l-1})^\top\mu_{l-1}, \qquad \nabla_u = \mu_0,

with the kink convention of :mod:`bregnet.backprop` (ReLU: :math:`\sigma'(0) = 0`).  A smooth :math:`J`
(Tikhonov) enters by its gradient, a non-smooth one (l1, TV) by its prox:

.. math::  u^{+} = \operatorname{prox}_{\tau\alpha J}\big(\tilde u - \tau\nabla\tfrac12\|\mathcal N(\tilde u) - f\|^2\big)
           \quad\text{or}\quad u^{+} = \tilde u - \tau\big(\nabla\tfrac12\|\mathcal N(\tilde u) - f\|^2
           + \alpha\nabla J(\tilde u)\big).

Step: ``step_size``, or :math:`\tau = c/(\prod_l\|W_l\|^2 + \alpha L_J)` (:math:`\prod_l\|W_l\|` bounds the
Lipschitz constant of :math:`\mathcal N` for 1-Lipschitz activations; the misfit's gradient is not globally
Lipschitz for non-smooth activations, so this is the usual heuristic, made safe by the restart below).
``momentum="nesterov"`` extrapolates (FISTA); with ``restart=True`` a step that raises :math:`F` is replaced by a
plain one from the current point and the momentum restarted.

Examples
--------
>>> import numpy as np
>>> from bregnet.network import glorot_init
>>> from bregnet.solvers.engine import run
>>> net = glorot_init([4, 6], ["identity"], seed=0)
>>> u_true = np.array([[1.0, -0.5, 0.25, 2.0]]); F = net.forward(u_true)
>>> res = run(BackpropInversion(), net, np.zeros((1, 4)), F, epochs=300)
>>> bool(np.allclose(res.state["u"], u_true, atol=1e-6))
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backprop.backprop import MSELoss, _forward
from ..exceptions import BregnetInputError
from ..solvers.engine import params_state
from ..solvers.params import BOOLEAN, NONE, Interval, OneOf
from ..solvers.sweep import extrapolate, momentum_weight
from .solver import InversionSolver

__all__ = ["BackpropInversion", "input_gradient"]

_MSE = MSELoss()


def input_gradient(network, U, F) -> tuple[np.ndarray, np.ndarray]:
    r"""``(misfit, grad)``: :math:`\tfrac12\|\mathcal N(u^i) - f^i\|^2` and its gradient in :math:`u^i`, per row.

    Examples
    --------
    >>> from bregnet.network import Network
    >>> net = Network((np.array([[2.0]]),), (np.array([0.0]),), ("identity",))
    >>> m, g = input_gradient(net, np.array([[1.0]]), np.array([[0.0]]))     # 1/2 (2u)^2 at u = 1
    >>> m.tolist(), g.tolist()
    ([2.0], [[4.0]])
    """
    ops = getattr(network, "layers", None)
    zs, xs = _forward(network.weights, network.biases, network.activations, U, layers=ops)
    acts = network.activations
    misfit = _MSE.per_sample(acts[-1], F, zs[-1], xs[-1])
    delta = _MSE.grad_z(acts[-1], F, zs[-1], xs[-1])
    for l in range(network.n_layers, 0, -1):
        W = network.weights[l - 1]
        mu = delta @ W.T if ops is None else ops[l - 1].adjoint(delta, W)
        if l == 1:
            return np.asarray(misfit, dtype=np.float64), mu
        delta = acts[l - 2].vjp(zs[l - 2], mu)


@dataclass(frozen=True)
class BackpropInversion(InversionSolver):
    r"""(Accelerated) proximal gradient descent on :math:`\tfrac12\|\mathcal N(u) - f\|^2 + \alpha J(u)` by
    back-propagation (see the module docstring).

    Parameters
    ----------
    regulariser, alpha, image_shape, tv_tol, tv_max_iter
        See :class:`~bregnet.inversion.solver.InversionSolver`.
    step_scale : float in (0, 2)
        :math:`c` of the default step :math:`c/(\prod_l\|W_l\|^2 + \alpha L_J)`.
    step_size : float > 0, optional
        A fixed step :math:`\tau` instead.
    momentum : ``"nesterov"`` or ``"none"``
    restart : bool
        Replace a step that raises the objective by a plain one and restart the momentum.
    """

    step_scale: float = 1.0
    step_size: float | None = None
    momentum: str = "nesterov"
    restart: bool = True

    name = "backprop-inversion"
    objective = "objective"
    step_option = "step_scale"
    constraints = {**InversionSolver.constraints, "step_scale": Interval(0, 2, closed="neither"),
                   "step_size": (NONE, Interval(0, None, closed="neither")),
                   "momentum": OneOf(("nesterov", "none")), "restart": BOOLEAN}

    def init(self, task, network, hidden, rng) -> dict:
        if hidden is not None:
            raise BregnetInputError(f"{self.name} keeps no hidden variables; leave hidden=None")
        kept = self.network_state(network)
        norms = [float(layer.map.norm_sq()) for layer in self.energy(task, params_state(network)).layers]
        reg = self.make_regulariser(task.X.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):      # an exploding start is divergence (epoch 0)
            obj = self._objective(task, network, task.X)
        return {**kept, "u": task.X.copy(), "previous": None, "t": 1.0,
                **obj, "norms_sq": norms,
                "dual": reg.init_dual(task.X.shape[0], task.X.dtype) if self.alpha > 0 and not reg.smooth else None,
                "tv_gap": 0.0}

    def _objective(self, task, network, U) -> dict:
        """``{"objective", "output_misfit", "regulariser"}`` at ``U`` (one forward pass)."""
        zs, xs = _forward(network.weights, network.biases, network.activations, U,
                          layers=getattr(network, "layers", None))
        misfit = float(np.mean(_MSE.per_sample(network.activations[-1], task.Y, zs[-1], xs[-1])))
        J = self.make_regulariser(U.shape[1])
        reg = self.alpha * float(np.mean(J.value(U))) if self.alpha > 0 else 0.0
        return {"objective": misfit + reg, "output_misfit": misfit, "regulariser": reg}

    def _tau(self, state, J) -> float:
        if self.step_size is not None:
            return self.step_size
        lip = float(np.prod(state["norms_sq"])) + (self.alpha if J.smooth and self.alpha > 0 else 0.0)
        return self.step_scale / lip if lip > 0 else self.step_scale

    def _step(self, task, state, beta):
        net = self.network(task, state)
        J = self.make_regulariser(task.X.shape[1])
        u, prev = state["u"], state["previous"]
        y = u if prev is None or beta == 0 else extrapolate(u, prev, beta)
        tau = self._tau(state, J)
        dt = y.dtype.type
        _, g = input_gradient(net, y, task.Y)
        dual, gap = state["dual"], 0.0
        if self.alpha == 0:
            u_new = y - dt(tau) * g
        elif J.smooth:
            u_new = y - dt(tau) * (g + dt(self.alpha) * J.gradient(y))
        else:
            u_new, dual = J.prox(y - dt(tau) * g, tau * self.alpha, dual)
            gap = float(getattr(J, "last_gap", 0.0))
        return u_new, dual, self._objective(task, net, u_new), gap

    def update(self, task, state, rng) -> dict:
        t_next, beta = (momentum_weight("nesterov", state["t"], 0.0) if self.momentum == "nesterov"
                        else (1.0, 0.0))
        u, dual, obj, gap = self._step(task, state, beta)
        if self.restart and beta > 0 and not obj["objective"] <= state["objective"]:
            u, dual, obj, gap = self._step(task, state, 0.0)
            t_next = 1.0
        return {**state, "u": u, "previous": state["u"], "t": t_next, **obj, "dual": dual, "tv_gap": gap}

    def diagnostics(self, task, state) -> dict:
        """The objective, misfit and regulariser the last update evaluated (kept in the state), and the TV gap."""
        return {k: float(state[k]) for k in ("objective", "output_misfit", "regulariser", "tv_gap")}
