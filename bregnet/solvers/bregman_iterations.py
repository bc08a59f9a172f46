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

import time

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, theta_gradient, x_step
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .coordinate_descent import check_hidden
from .lipschitz import spectral_norm_sq, theta_lipschitz, x_lipschitz

__all__ = ["shrink", "singular_value_shrink", "bregman_iterations", "bregman_iteration_step", "REGULARISERS"]

_WHAT = "bregman_iterations"
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
    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import forward_hidden
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(6, 3)); Y = rng.normal(size=(6, 2))
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
        lam, act = problem.lambdas[l - 1], problem.activations[l - 1]
        W, b = network.weights[l - 1], network.biases[l - 1]
        eta = step_scale / theta_lipschitz(spectral_norm_sq(xs[l - 1]), s, lam)
        gW, gb, _ = theta_gradient(act, lam, xs[l - 1], xs[l], xs[l - 1] @ W + b)
        dt = W.dtype.type
        v = duals[l - 1] - dt(eta) * gW
        vs.append(v)
        Ws.append(_prox_R(regulariser, v, alpha).astype(W.dtype, copy=False))
        bs.append(b - dt(eta) * gb)
    net = Network(tuple(Ws), tuple(bs), network.activations)
    new = list(xs)
    for j in range(1, L):
        Wn, bn = net.weights[j], net.biases[j]
        Zj = new[j - 1] @ net.weights[j - 1] + net.biases[j - 1]
        Dn = problem.activations[j].prox(new[j] @ Wn + bn) - new[j + 1]
        nw = spectral_norm_sq(Wn)
        if nw == 0.0:
            t = step_scale / problem.lambdas[j - 1]         # smooth part is linear in x_j: any step is admissible
        else:
            t = step_scale / x_lipschitz(nw, problem.lambdas[j])
        new[j] = x_step(problem, j, new[j], Zj, Dn, Wn, t)
    return net, vs, new[1:L]


def bregman_iterations(network: Network, X, Y, *, epochs: int = 100, regulariser: str = "l1", alpha: float = 0.1,
                       init: str = "dual", step_scale: float = 1.99, lambdas=None, l1=None, hidden=None, seed=None,
                       rng=None, checkpoint=None, checkpoint_every: int = 10, resume: bool = False) -> TrainResult:
    r"""Train by linearised Bregman iterations on the parameters (Section 4.1.2); see the module docstring.

    Parameters
    ----------
    network : Network
        Activations and biases; the weights too if ``init="network"`` (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
    epochs : int
        Number of iterations (full batch).
    regulariser : ``"l1"`` (sparse weights) or ``"nuclear"`` (low-rank weights).
    alpha : float >= 0
        Weight :math:`\alpha` of :math:`R`; larger means sparser / lower rank at a given iteration.
    init : ``"dual"`` (default: :math:`v^0` = the weights of ``network``, :math:`W^0 = \operatorname{prox}_R(v^0)`,
        a sparse / low-rank random start that breaks the symmetry of the hidden units), ``"zero"``
        (:math:`W^0 = v^0 = 0`; all hidden units of a layer then stay identical, use for one-layer models) or
        ``"network"`` (:math:`W^0` of ``network``, :math:`v^0 = W^0 + \alpha p`, :math:`p \in \partial R(W^0)/\alpha`).
    step_scale : float in (0, 2)
        :math:`c` of :math:`\eta_l = c/L_{\Theta_l}`, :math:`t_j = c/L_{x_j}`.
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network` (``l1`` regularises an auxiliary layer).
    hidden : list of arrays, optional
        Initial :math:`X_1..X_{L-1}` (default: forward pass of the initial parameters).
    checkpoint, checkpoint_every, resume : atomic checkpoints and bit-identical resume.

    Returns
    -------
    TrainResult
        ``network``, ``hidden``, per-epoch ``history``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([4, 6, 3], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 4)); Y = rng.normal(size=(20, 3))
    >>> res = bregman_iterations(net, X, Y, epochs=30, alpha=0.05)
    >>> bool(np.all(np.diff(res.history.energy) <= 1e-12))
    True
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    epochs = check_positive_option("epochs", epochs, allow_zero=True, integer=True)
    if regulariser not in REGULARISERS:
        raise BregnetInputError(f"regulariser must be one of {REGULARISERS}; got {regulariser!r}")
    alpha = check_positive_option("alpha", alpha, allow_zero=True)
    if init not in ("dual", "zero", "network"):
        raise BregnetInputError(f"init must be 'dual', 'zero' or 'network'; got {init!r}")
    step_scale = check_positive_option("step_scale", step_scale)
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    gen = make_rng(seed, rng)
    L = network.n_layers
    if init == "dual":
        duals = [W.copy() for W in network.weights]
        net = Network(tuple(_prox_R(regulariser, v, alpha).astype(v.dtype, copy=False) for v in duals),
                      tuple(b.copy() for b in network.biases), network.activations)
    elif init == "zero":
        net = Network(tuple(np.zeros_like(W) for W in network.weights), tuple(b.copy() for b in network.biases),
                      network.activations)
        duals = [np.zeros_like(W) for W in network.weights]
    else:
        net = network.copy()
        duals = [_dual_from_weights(regulariser, W, alpha) for W in network.weights]
    hidden = check_hidden(problem, net, X, hidden)
    opts = {"regulariser": regulariser, "alpha": alpha, "init": init, "step_scale": step_scale}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen, initial=net)
    if arrays is not None:
        hidden = [arrays[f"hidden{j}"] for j in range(L - 1)]
        duals = [arrays[f"dual{l}"] for l in range(L)]
    else:
        record_epoch(history, problem, net, X, Y, hidden, 0, t0, _WHAT)
    for k in range(start + 1, epochs + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            net, duals, hidden = bregman_iteration_step(problem, net, duals, [X, *hidden, Y], regulariser=regulariser,
                                                        alpha=alpha, step_scale=step_scale)
        check_finite_state(net, _WHAT, k, extra=[(f"X_{j}", h) for j, h in enumerate(hidden, start=1)])
        record_epoch(history, problem, net, X, Y, hidden, k, t0, _WHAT, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs):
            arrays = {f"hidden{j}": h for j, h in enumerate(hidden)}
            arrays.update({f"dual{l}": v for l, v in enumerate(duals)})
            save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=k, network=net, history=history,
                            rng=gen, arrays=arrays)
    return TrainResult(network=net, history=history, hidden=hidden)
