r"""The residual extension of lifted Bregman training (Section 7).

For a layer :math:`l` whose input and output have the same width, the lifted term
:math:`B_{\Psi_l}(x_l, f(x_{l-1}, \Theta_l))` of (13) is replaced by

.. math::  B_{\Psi_l}\big(x_l - x_{l-1}, f(x_{l-1}, \Theta_l)\big),

whose minimiser in :math:`x_l` is :math:`x_l = x_{l-1} + \sigma_l(f(x_{l-1}, \Theta_l))` (Theorem 10, item 7):
the lifted energy of the residual network :math:`x_l = x_{l-1} + \sigma_l(W_l^\top x_{l-1} + b_l)`.  (The
outlook prints the network as :math:`x_{l+1} = x_l - \sigma(f(x_l, \Theta_l))`; the minus sign does not match
the energy, whose zero set is :math:`x_l - x_{l-1} = \sigma_l(\cdot)`.)  The output layer keeps the data term
:math:`B_{\Psi_L}(y, f(x_{L-1}, \Theta_L))`.

**Variables.**  :math:`\Psi_l(x_l - x_{l-1})` couples neighbouring auxiliary variables, so the prox of
:math:`G` is no longer separable in :math:`\mathbf X`.  In the increments :math:`u_l = x_l - x_{l-1}` (residual
layers) and :math:`u_l = x_l` (other layers) the energy splits again as in Section 4.1,

.. math::  E = \underbrace{\frac1s\sum_i\sum_l\lambda_l\Phi_l(u_l^i) + R}_{G(\mathbf U)}
           + \underbrace{\frac1s\sum_i\sum_l\lambda_l\big[\Phi_l^*(z_l^i) - \langle u_l^i, z_l^i\rangle\big]}_{H(\Theta, \mathbf U)},
           \qquad z_l = f(x_{l-1}(\mathbf U), \Theta_l),

with :math:`G` separable (its prox is :func:`bregnet.lifted.prox_layer`) and :math:`H` smooth:

.. math::  \nabla_{W_l}H = \frac{\lambda_l}{s}X_{l-1}^\top(\sigma_l(Z_l) - U_l), \qquad
           \nabla_{U_j}H = -\frac{\lambda_j}{s}Z_j + a_j, \quad
           a_j = g_j + [j+1\ \text{residual}]\,a_{j+1}, \quad
           g_j = \frac{\lambda_{j+1}}{s}(\sigma_{j+1}(Z_{j+1}) - U_{j+1})W_{j+1}^\top

(:math:`a_j` collects :math:`\partial H/\partial x_m` over the layers :math:`m \ge j` that :math:`u_j` reaches through
the skip connections).  :func:`residual_proximal_gradient` alternates a step (17a) on :math:`\Theta` and a
proximal gradient step on :math:`\mathbf U` with backtracking, so the energy decreases monotonically.

**Operator layers** (:mod:`bregnet.operators`: :class:`~bregnet.operators.Dense`,
:class:`~bregnet.operators.Conv2d` by im2col, :func:`~bregnet.operators.Flatten`).  For a network with ``layers``,
:math:`f(x, \Theta_l) = A_{W_l}(x) + b_l` (:meth:`Network.pre_activation <bregnet.network.Network.pre_activation>`),
:math:`X_{l-1}^\top D` and :math:`\mathbf 1^\top D` become the operator's ``weight_gradient`` and ``bias_gradient``
(:func:`bregnet.lifted.theta_gradient`), :math:`D W_{j+1}^\top` its adjoint :math:`A_{W_{j+1}}^\top(D)` and
:math:`\|W_{j+1}\|_2^2` the power-iteration norm :math:`\|A_{W_{j+1}}\|_2^2`
(:func:`bregnet.solvers.sweep.layer_norm_sq`).
A layer can be residual when its operator's output shape equals its input shape (``out_shape == in_shape``; a dense
layer: equal widths), so that :math:`x_{l-1} + \sigma_l(\cdot)` adds the entries of the same pixel and channel: e.g. a
stride-1 convolution with 'same' padding (:math:`k = 2p + 1`) and as many output as input channels.  A convolution with
as many features but another shape (stride 2 and four times the channels) is refused.  A dense network (``layers``
None) takes exactly the expressions it always took.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bregman import bregman_loss
from ..exceptions import BregnetInputError, DivergenceError
from ..lifted import LiftedProblem, prox_layer, theta_gradient
from ..network import Network
from ._common import run_solver
from .engine import Result, Solver, Task, params_state, run  # noqa: F401  (run: doctests)
from .params import ANY, Interval
from .sweep import layer_norm_sq, theta_block, x_step_size

__all__ = ["ResidualProximalGradient", "residual_layers", "residual_forward", "increments", "states_from_increments",
           "residual_energy", "residual_energy_H", "residual_grad_theta", "residual_grad_u", "residual_consistency",
           "residual_proximal_gradient"]


def _not_residual(network: Network, l: int) -> str | None:
    """Why layer ``l`` cannot be residual (None if it can): unequal widths (dense) or in/out shapes (operator)."""
    op = network.operator(l)
    if op is None:
        n = network.layer_sizes
        return None if n[l - 1] == n[l] else (f"residual layer {l} needs equal widths n_{l - 1} = n_{l}; got "
                                              f"{n[l - 1]} and {n[l]}")
    if tuple(op.in_shape) == tuple(op.out_shape):
        return None
    shown = ["x".join(map(str, shape)) for shape in (op.in_shape, op.out_shape)]
    return (f"residual layer {l} ({op!r}) needs its output shape equal to its input shape (x_{l} = x_{l - 1} + "
            f"sigma_{l}(...)); got input {shown[0]} and output {shown[1]}")


def residual_layers(network: Network, layers=None) -> tuple:
    """Validated residual layers: by default every hidden layer l (1..L-1) whose output shape is its input shape
    (n_{l-1} = n_l for a dense layer; an operator layer's ``out_shape == in_shape``).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> residual_layers(glorot_init([3, 3, 3, 2], "relu", seed=0))
    (1, 2)
    >>> from bregnet.operators import operator_network
    >>> residual_layers(operator_network("conv3x3x2p1,conv3x3x2p1,flatten,dense3", "relu", input_shape="4x4x2",
    ...                                  seed=0))
    (1, 2)
    """
    L = network.n_layers
    if layers is None:
        return tuple(l for l in range(1, L) if _not_residual(network, l) is None)
    out = []
    for l in layers:
        if not isinstance(l, (int, np.integer)) or not 1 <= l <= L - 1:
            raise BregnetInputError(f"residual layers must be hidden layers 1..{L - 1}; got {l!r}")
        why = _not_residual(network, int(l))
        if why is not None:
            raise BregnetInputError(why)
        out.append(int(l))
    return tuple(sorted(set(out)))


def _adjoint(network: Network, l: int, D) -> np.ndarray:
    r""":math:`D W_l^\top` (dense) or the adjoint :math:`A_{W_l}^\top(D)` of layer ``l``'s operator."""
    op = network.operator(l)
    return D @ network.weights[l - 1].T if op is None else op.adjoint(D, network.weights[l - 1])


def residual_forward(network: Network, X, residual) -> list:
    r"""``[X_0, X_1, ..., X_L]`` of the residual network :math:`x_l = x_{l-1} + \sigma_l(f(x_{l-1}, \Theta_l))`
    (residual layers) or :math:`x_l = \sigma_l(f(x_{l-1}, \Theta_l))`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([2, 2, 1], ["relu", "identity"], seed=0)
    >>> xs = residual_forward(net, np.ones((1, 2)), (1,))
    >>> bool(np.allclose(xs[1], 1 + np.maximum(xs[0] @ net.weights[0], 0)))
    True
    """
    xs = [np.asarray(X)]
    for l in range(1, network.n_layers + 1):
        s = network.activations[l - 1].prox(network.pre_activation(l, xs[-1]))
        xs.append(xs[-1] + s if l in residual else s)
    return xs


def increments(xs, residual) -> list:
    r""":math:`U = [u_1, \dots, u_L]`: :math:`u_l = x_l - x_{l-1}` for residual layers, else :math:`x_l`."""
    return [xs[l] - xs[l - 1] if l in residual else xs[l] for l in range(1, len(xs))]


def states_from_increments(X0, us, residual) -> list:
    r"""Inverse of :func:`increments`: ``[X_0, X_1, ..., X_L]`` with :math:`x_l = x_{l-1} + u_l` on residual layers."""
    xs = [X0]
    for l, u in enumerate(us, start=1):
        xs.append(xs[-1] + u if l in residual else u)
    return xs


def _reg(problem, us, s):
    reg = problem.regulariser
    if reg is None or reg.alpha == 0:
        return 0.0
    return reg.alpha * float(np.sum(np.abs(us[reg.layer - 1]))) / s


def residual_energy(problem: LiftedProblem, network: Network, xs, residual) -> float:
    r""":math:`E = \frac1s\sum_i\sum_l\lambda_l B_{\Psi_l}(x_l^i - [l\ \text{residual}]x_{l-1}^i, f(x_{l-1}^i, \Theta_l)) + R`
    (Section 7), ``xs = [X_0, X_1, ..., X_{L-1}, Y]``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([2, 2, 1], ["relu", "identity"], seed=0)
    >>> X = np.ones((3, 2)); xs = residual_forward(net, X, (1,))
    >>> prob = LiftedProblem.from_network(net)
    >>> residual_energy(prob, net, xs, (1,))          # the residual forward pass is consistent
    0.0
    """
    s = xs[0].shape[0]
    us = increments(xs, residual)
    e = 0.0
    for l in range(1, problem.n_layers + 1):
        z = network.pre_activation(l, xs[l - 1])
        e += problem.lambdas[l - 1] * float(np.sum(bregman_loss(problem.activations[l - 1], us[l - 1], z))) / s
    return e + _reg(problem, us, s)


def residual_energy_H(problem: LiftedProblem, network: Network, X0, us, residual) -> float:
    r"""The smooth part :math:`H(\Theta, \mathbf U)` (module docstring); ``us = [u_1, ..., u_{L-1}, Y]``."""
    xs = states_from_increments(X0, us, residual)
    s = X0.shape[0]
    h = 0.0
    for l in range(1, problem.n_layers + 1):
        z = network.pre_activation(l, xs[l - 1])
        h += problem.lambdas[l - 1] * (float(np.sum(problem.activations[l - 1].conjugate(z)))
                                       - float(np.sum(us[l - 1] * z))) / s
    return h


def residual_grad_theta(problem: LiftedProblem, network: Network, xs, residual) -> tuple[list, list]:
    r""":math:`\nabla_{W_l}E = \frac{\lambda_l}{s}X_{l-1}^\top(\sigma_l(Z_l) - U_l)`, :math:`\nabla_{b_l}E` (Lemma 8); ``(gW, gb)``."""
    us = increments(xs, residual)
    gW, gb = [], []
    for l in range(1, problem.n_layers + 1):
        w, b, _ = theta_gradient(problem.activations[l - 1], problem.lambdas[l - 1], xs[l - 1], us[l - 1],
                                 network.pre_activation(l, xs[l - 1]), network.operator(l))
        gW.append(w)
        gb.append(b)
    return gW, gb


def residual_grad_u(problem: LiftedProblem, network: Network, X0, us, residual) -> list:
    r""":math:`\nabla_{U_j}H`, j = 1..L-1 (module docstring); ``us = [u_1, ..., u_{L-1}, Y]``."""
    L = problem.n_layers
    s = X0.shape[0]
    xs = states_from_increments(X0, us, residual)
    Z = [None] + [network.pre_activation(l, xs[l - 1]) for l in range(1, L + 1)]
    g = [None] * (L + 1)
    for m in range(1, L):
        D = problem.activations[m].prox(Z[m + 1]) - us[m]
        g[m] = problem.lambdas[m] / s * _adjoint(network, m + 1, D)
    a = [None] * (L + 1)
    for m in range(L - 1, 0, -1):
        a[m] = g[m] + (a[m + 1] if (m + 1 <= L - 1 and (m + 1) in residual) else 0)
    return [-problem.lambdas[j - 1] / s * Z[j] + a[j] for j in range(1, L)]


def residual_consistency(network: Network, xs, residual) -> np.ndarray:
    r"""Per hidden layer: :math:`(\frac1s\sum_i\|u_l^i - \sigma_l(f(x_{l-1}^i, \Theta_l))\|^2)^{1/2}` (0 iff consistent)."""
    s = xs[0].shape[0]
    us = increments(xs, residual)
    out = np.empty(network.n_layers - 1)
    for l in range(1, network.n_layers):
        r = us[l - 1] - network.activations[l - 1].prox(network.pre_activation(l, xs[l - 1]))
        out[l - 1] = np.sqrt(float(np.sum(r * r)) / s)
    return out


def _u_step(problem, net, X, us, residual, t, max_backtracks=40):
    # proximal gradient step on U (per-sample step t) with backtracking on H; returns (us_new, t_used)
    L = problem.n_layers
    s = X.shape[0]
    h0 = residual_energy_H(problem, net, X, us, residual)
    grads = residual_grad_u(problem, net, X, us, residual)
    for _ in range(max_backtracks):
        new = [prox_layer(problem, j, us[j - 1] - (t * s) * grads[j - 1], t) for j in range(1, L)] + [us[-1]]
        d = [n - o for n, o in zip(new[:-1], us[:-1])]
        with np.errstate(over="ignore", invalid="ignore"):
            h1 = residual_energy_H(problem, net, X, new, residual)
        lin = sum(float(np.sum(g * dd)) for g, dd in zip(grads, d))
        sq = sum(float(np.sum(dd * dd)) for dd in d)
        if h1 <= h0 + lin + sq / (2.0 * t * s) + 1e-13 * max(1.0, abs(h0)):
            return new, t
        t *= 0.5
    raise DivergenceError(f"residual_proximal_gradient: no sufficient decrease in the U-step after {max_backtracks} "
                          f"halvings")


def _residual_forward_loss(problem: LiftedProblem, network: Network, X, Y, residual) -> float:
    r""":math:`\frac{\lambda_L}{s}\sum_i B_{\Psi_L}(y^i, f(x_{L-1}^i, \Theta_L))` along the residual forward pass."""
    L = problem.n_layers
    z = network.pre_activation(L, residual_forward(network, X, residual)[L - 1])
    return problem.lambdas[L - 1] * float(np.sum(bregman_loss(problem.activations[L - 1], Y, z))) / X.shape[0]


@dataclass(frozen=True)
class ResidualProximalGradient(Solver):
    r"""Proximal gradient with backtracking on the residual lifted energy (Section 7); see the module docstring.

    Each epoch: the step (17a) on :math:`\Theta` (targets :math:`u_l`), then a proximal gradient step on the
    increments :math:`\mathbf U` with backtracking on :math:`H` from
    :math:`\max(c/\max_j\lambda_{j+1}\|W_{j+1}\|_2^2, 2t_{\mathbf U})`, :math:`t_{\mathbf U}` the previous
    accepted step; so the energy decreases monotonically.  Trains operator layers (convolutions) too, with
    :math:`\|A_{W_{j+1}}\|_2^2` for :math:`\|W_{j+1}\|_2^2` (module docstring).

    Parameters
    ----------
    residual : sequence of int or None
        Residual layers (hidden, output shape = input shape: equal widths :math:`n_{l-1} = n_l` for a dense
        layer); default all such layers.
    step_scale : float > 0
        :math:`c` of the :math:`\Theta` steps and of the first :math:`\mathbf U` step.

    Notes
    -----
    The state holds the parameters, the increments :math:`u_1, \dots, u_{L-1}` (``increments``), the states
    :math:`X_1, \dots, X_{L-1}` they give (``hidden``) and the last accepted :math:`\mathbf U` step ``t_u``
    (None before the first).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 3, 3, 2], ["tanh", "relu", "identity"], n_samples=10)
    >>> res = run(ResidualProximalGradient(residual=[2]), net, X, Y, epochs=3)
    >>> res.state["t_u"] > 0, bool(np.array_equal(res.hidden[1], res.hidden[0] + res.state["increments"][1]))
    (True, True)
    """

    residual: tuple | None = None
    step_scale: float = 1.99

    name = "residual_proximal_gradient"
    supports_operators = True                  # through the operators' affine maps, adjoints and gradients
    constraints = {"residual": ANY, "step_scale": Interval(0, None, closed="neither")}

    def check(self):
        if self.residual is not None:
            if isinstance(self.residual, (str, bytes)) or not hasattr(self.residual, "__iter__"):
                raise BregnetInputError(f"{type(self).__name__}: residual must be None or a sequence of layer "
                                        f"indices; got {self.residual!r}")
            # a tuple of Python ints (JSON in checkpoints); range and widths are checked by residual_layers in init
            layers = tuple(int(l) if isinstance(l, np.integer) else l for l in self.residual)
            object.__setattr__(self, "residual", layers)

    def _layers(self, network: Network) -> tuple:
        return residual_layers(network, self.residual)

    def _start(self, task: Task, network: Network, hidden, layers) -> list:
        """``[X_0, X_1, ..., X_{L-1}, Y]`` from ``hidden`` (validated) or the residual forward pass."""
        X, L = task.X, network.n_layers
        if hidden is None:
            return residual_forward(network, X, layers)[:-1] + [task.Y]
        hidden = [np.ascontiguousarray(h, dtype=network.dtype) for h in hidden]
        if len(hidden) != L - 1 or any(h.shape != (X.shape[0], network.layer_sizes[j])
                                       for j, h in enumerate(hidden, start=1)):
            raise BregnetInputError(f"hidden must give X_1..X_{L - 1} with shapes (s, n_j)")
        if not all(np.all(np.isfinite(h)) for h in hidden):
            raise BregnetInputError("hidden contains NaN or Inf")
        return [X, *hidden, task.Y]

    def _state(self, task: Task, network: Network, us: list, layers, t_u) -> dict:
        hidden = states_from_increments(task.X, us, layers)[1:network.n_layers]
        return {**params_state(network), "increments": list(us[:-1]), "hidden": hidden, "t_u": t_u}

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        layers = self._layers(network)
        us = increments(self._start(task, network, hidden, layers), layers)
        for j in range(1, network.n_layers):
            if not np.all(task.problem.activations[j - 1].in_domain(us[j - 1])):
                raise BregnetInputError(f"the increment u_{j} lies outside dom Psi_{j}; the energy is infinite there")
        return self._state(task, network, us, layers, None)

    def update(self, task: Task, state: dict, rng) -> dict:
        problem, L, t_u = task.problem, task.problem.n_layers, state["t_u"]
        net = self.network(task, state)
        layers = self._layers(net)
        us = [*state["increments"], task.Y]
        net = theta_block(problem, net, [task.X, *state["hidden"]], us, step_scale=self.step_scale)
        if L > 1:
            t_start = min(x_step_size(problem, j, layer_norm_sq(net.operator(j + 1), net.weights[j]),
                                      self.step_scale) for j in range(1, L))   # = c / max_j L_j (W = 0: no 1/0)
            us, t_u = _u_step(problem, net, task.X, us, layers, t_start if t_u is None else max(t_start, 2.0 * t_u))
        return self._state(task, net, us, layers, t_u)

    def diagnostics(self, task: Task, state: dict) -> dict:
        net = self.network(task, state)
        layers = self._layers(net)
        xs = [task.X, *state["hidden"], task.Y]
        return {"energy": residual_energy(task.problem, net, xs, layers),
                "residuals": residual_consistency(net, xs, layers),
                "forward_loss": _residual_forward_loss(task.problem, net, task.X, task.Y, layers)}


def residual_proximal_gradient(network: Network, X, Y, *, epochs: int = 100, checkpoint_every: int = 10,
                               **options) -> Result:
    r"""Train the residual lifted network of Section 7: ``run(ResidualProximalGradient(...), ...)``.

    ``options`` are the hyperparameters of :class:`ResidualProximalGradient` (``residual=None``: all hidden
    layers of equal widths; ``step_scale=1.99``) and the options of :func:`bregnet.solvers.engine.run`
    (``lambdas``, ``l1`` (the :math:`\ell_1` term acts on :math:`u_c`, = :math:`x_c` unless layer :math:`c` is
    residual), ``hidden`` (initial :math:`X_1..X_{L-1}`; default the residual forward pass), ``callback``,
    ``checkpoint``, ``resume``, ...).

    Returns
    -------
    Result
        ``network``, ``hidden`` (:math:`X_1..X_{L-1}`) and per-epoch ``history`` (residual energy, consistency
        :math:`\|u_l - \sigma_l(z_l)\|`, loss of the residual forward network).

    Raises
    ------
    BregnetInputError
        Bad shapes, non-finite data, targets outside :math:`\operatorname{dom}\Psi_L`, bad residual layers or
        options, increments outside :math:`\operatorname{dom}\Psi_j`.
    DivergenceError
        Non-finite parameters or energy, or no sufficient decrease in the :math:`\mathbf U` step.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 3, 3, 2], ["tanh", "relu", "identity"], n_samples=10)
    >>> res = residual_proximal_gradient(net, X, Y, epochs=20)
    >>> e, loss = res.history.energy, res.history.forward_loss
    >>> bool(np.all(np.diff(e) <= 1e-12)), bool(loss[-1] < loss[0])
    (True, True)
    """
    return run_solver(ResidualProximalGradient, network, X, Y, options, epochs=epochs, checkpoint_every=checkpoint_every)
