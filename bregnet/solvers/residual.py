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
"""
from __future__ import annotations

import time

import numpy as np

from ..bregman import bregman_loss
from ..exceptions import BregnetInputError, DivergenceError
from ..lifted import LiftedProblem, prox_layer, theta_step
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, save_checkpoint, validate_data)
from .lipschitz import spectral_norm_sq, theta_lipschitz

__all__ = ["residual_layers", "residual_forward", "increments", "states_from_increments", "residual_energy",
           "residual_energy_H", "residual_grad_theta", "residual_grad_u", "residual_consistency",
           "residual_proximal_gradient"]

_WHAT = "residual_proximal_gradient"


def residual_layers(network: Network, layers=None) -> tuple:
    """Validated residual layers: by default every hidden layer l (1..L-1) with n_{l-1} = n_l.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> residual_layers(glorot_init([3, 3, 3, 2], "relu", seed=0))
    (1, 2)
    """
    sizes = network.layer_sizes
    L = network.n_layers
    if layers is None:
        return tuple(l for l in range(1, L) if sizes[l - 1] == sizes[l])
    out = []
    for l in layers:
        if not isinstance(l, (int, np.integer)) or not 1 <= l <= L - 1:
            raise BregnetInputError(f"residual layers must be hidden layers 1..{L - 1}; got {l!r}")
        if sizes[l - 1] != sizes[l]:
            raise BregnetInputError(f"residual layer {l} needs equal widths n_{l - 1} = n_{l}; got "
                                    f"{sizes[l - 1]} and {sizes[l]}")
        out.append(int(l))
    return tuple(sorted(set(out)))


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
        s = network.activations[l - 1].prox(xs[-1] @ network.weights[l - 1] + network.biases[l - 1])
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
        z = xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1]
        e += problem.lambdas[l - 1] * float(np.sum(bregman_loss(problem.activations[l - 1], us[l - 1], z))) / s
    return e + _reg(problem, us, s)


def residual_energy_H(problem: LiftedProblem, network: Network, X0, us, residual) -> float:
    r"""The smooth part :math:`H(\Theta, \mathbf U)` (module docstring); ``us = [u_1, ..., u_{L-1}, Y]``."""
    xs = states_from_increments(X0, us, residual)
    s = X0.shape[0]
    h = 0.0
    for l in range(1, problem.n_layers + 1):
        z = xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1]
        h += problem.lambdas[l - 1] * (float(np.sum(problem.activations[l - 1].conjugate(z)))
                                       - float(np.sum(us[l - 1] * z))) / s
    return h


def residual_grad_theta(problem: LiftedProblem, network: Network, xs, residual) -> tuple[list, list]:
    r""":math:`\nabla_{W_l}E = \frac{\lambda_l}{s}X_{l-1}^\top(\sigma_l(Z_l) - U_l)`, :math:`\nabla_{b_l}E` (Lemma 8); ``(gW, gb)``."""
    s = xs[0].shape[0]
    us = increments(xs, residual)
    gW, gb = [], []
    for l in range(1, problem.n_layers + 1):
        D = problem.activations[l - 1].prox(xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1]) - us[l - 1]
        c = problem.lambdas[l - 1] / s
        gW.append(c * (xs[l - 1].T @ D))
        gb.append(c * D.sum(axis=0))
    return gW, gb


def residual_grad_u(problem: LiftedProblem, network: Network, X0, us, residual) -> list:
    r""":math:`\nabla_{U_j}H`, j = 1..L-1 (module docstring); ``us = [u_1, ..., u_{L-1}, Y]``."""
    L = problem.n_layers
    s = X0.shape[0]
    xs = states_from_increments(X0, us, residual)
    Z = [None] + [xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1] for l in range(1, L + 1)]
    g = [None] * (L + 1)
    for m in range(1, L):
        D = problem.activations[m].prox(Z[m + 1]) - us[m]
        g[m] = problem.lambdas[m] / s * (D @ network.weights[m].T)
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
        r = us[l - 1] - network.activations[l - 1].prox(xs[l - 1] @ network.weights[l - 1] + network.biases[l - 1])
        out[l - 1] = np.sqrt(float(np.sum(r * r)) / s)
    return out


def _record(history, problem, net, X, Y, us, residual, epoch, t0, offset):
    xs = states_from_increments(X, us, residual)
    with np.errstate(over="ignore", invalid="ignore"):
        e = residual_energy(problem, net, xs, residual)
        fwd = residual_forward(net, X, residual)
        L = problem.n_layers
        z = fwd[L - 1] @ net.weights[L - 1] + net.biases[L - 1]
        fl = problem.lambdas[L - 1] * float(np.sum(bregman_loss(problem.activations[L - 1], Y, z))) / X.shape[0]
    if not (np.isfinite(e) and np.isfinite(fl)):
        raise DivergenceError(f"{_WHAT}: the energy became non-finite in epoch {epoch}; reduce step_scale")
    history.epoch.append(epoch)
    history.energy.append(e)
    history.residuals.append(residual_consistency(net, xs, residual))
    history.forward_loss.append(fl)
    history.wall_time.append(offset + time.perf_counter() - t0)


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
    raise DivergenceError(f"{_WHAT}: no sufficient decrease in the U-step after {max_backtracks} halvings")


def residual_proximal_gradient(network: Network, X, Y, *, epochs: int = 100, residual=None, step_scale: float = 1.99,
                               lambdas=None, l1=None, hidden=None, seed=None, rng=None, checkpoint=None,
                               checkpoint_every: int = 10, resume: bool = False) -> TrainResult:
    r"""Train the residual lifted network of Section 7 by proximal gradient with backtracking.

    Parameters
    ----------
    network : Network
        Initial parameters and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
    epochs : int
    residual : sequence of int, optional
        Residual layers (hidden, equal widths); default all such layers.
    step_scale : float in (0, 2)
        :math:`c` of the :math:`\Theta` steps; also the initial :math:`\mathbf U` step :math:`c/\max_j\lambda_{j+1}\|W_{j+1}\|^2`.
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network`; the :math:`\ell_1` term acts on
        :math:`u_c` (= :math:`x_c` unless layer :math:`c` is residual).
    hidden : list of arrays, optional
        Initial :math:`X_1..X_{L-1}` (default: the residual forward pass).
    checkpoint, checkpoint_every, resume : atomic checkpoints and bit-identical resume.

    Returns
    -------
    TrainResult
        ``network``, ``hidden`` (:math:`X_1..X_{L-1}`) and per-epoch ``history`` (residual energy, consistency
        :math:`\|u_l - \sigma_l(z_l)\|`, loss of the residual forward network).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 3, 3, 2], ["tanh", "relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(10, 3)); Y = rng.normal(size=(10, 2))
    >>> res = residual_proximal_gradient(net, X, Y, epochs=20)
    >>> bool(np.all(np.diff(res.history.energy) <= 1e-12)), bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    (True, True)
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    residual = residual_layers(network, residual)
    epochs = check_positive_option("epochs", epochs, allow_zero=True, integer=True)
    step_scale = check_positive_option("step_scale", step_scale)
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    gen = make_rng(seed, rng)
    L = network.n_layers
    if hidden is None:
        xs = residual_forward(network, X, residual)[:-1] + [Y]
    else:
        hidden = [np.ascontiguousarray(h, dtype=network.dtype) for h in hidden]
        if len(hidden) != L - 1 or any(h.shape != (X.shape[0], network.layer_sizes[j])
                                       for j, h in enumerate(hidden, start=1)):
            raise BregnetInputError(f"hidden must give X_1..X_{L - 1} with shapes (s, n_j)")
        if not all(np.all(np.isfinite(h)) for h in hidden):
            raise BregnetInputError("hidden contains NaN or Inf")
        xs = [X, *hidden, Y]
    us = increments(xs, residual)
    for j in range(1, L):
        if not np.all(problem.activations[j - 1].in_domain(us[j - 1])):
            raise BregnetInputError(f"the increment u_{j} lies outside dom Psi_{j}; the energy is infinite there")
    opts = {"residual": list(residual), "step_scale": step_scale}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen)
    t_u = None
    if arrays is not None:
        us = [arrays[f"u{j}"] for j in range(L - 1)] + [Y]
        t_u = float(arrays["t_u"])
        t_u = None if t_u < 0 else t_u
    else:
        _record(history, problem, net, X, Y, us, residual, 0, t0, 0.0)
    s = X.shape[0]
    for k in range(start + 1, epochs + 1):
        xs = states_from_increments(X, us, residual)
        Ws, bs = [], []
        with np.errstate(over="ignore", invalid="ignore"):
            for l in range(1, L + 1):
                lam = problem.lambdas[l - 1]
                eta = step_scale / theta_lipschitz(spectral_norm_sq(xs[l - 1]), s, lam)
                W, b, _ = theta_step(problem.activations[l - 1], lam, net.weights[l - 1], net.biases[l - 1],
                                     xs[l - 1], us[l - 1], eta)
                Ws.append(W)
                bs.append(b)
            net = Network(tuple(Ws), tuple(bs), net.activations)
            t_start = step_scale / max(problem.lambdas[j] * spectral_norm_sq(net.weights[j]) for j in range(1, L)) \
                if L > 1 else 1.0
            t_try = t_start if t_u is None else max(t_start, 2.0 * t_u)
            if L > 1:
                us, t_u = _u_step(problem, net, X, us, residual, t_try)
        check_finite_state(net, _WHAT, k, extra=[(f"u_{j}", u) for j, u in enumerate(us[:-1], start=1)])
        _record(history, problem, net, X, Y, us, residual, k, t0, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs):
            arrays = {f"u{j}": u for j, u in enumerate(us[:-1])}
            arrays["t_u"] = -1.0 if t_u is None else t_u
            save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=k, network=net, history=history,
                            rng=gen, arrays=arrays)
    hidden = states_from_increments(X, us, residual)[1:L]
    return TrainResult(network=net, history=history, hidden=hidden)
