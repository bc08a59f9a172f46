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

import time

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, theta_step, x_step
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .coordinate_descent import check_hidden
from .lipschitz import spectral_norm_sq, theta_lipschitz, x_lipschitz

__all__ = ["stochastic_proximal_gradient", "stochastic_proximal_gradient_step"]

_WHAT = "stochastic_proximal_gradient"


def stochastic_proximal_gradient_step(problem: LiftedProblem, network: Network, xs_batch, *, theta_factor: float = 1.0,
                                      step_scale: float = 1.99, scheme: str = "gauss_seidel") -> tuple[Network, list]:
    r"""One iteration of Section 4.2.1 on a batch ``xs_batch = [X_0^B, X_1^B, ..., X_{L-1}^B, Y^B]``.

    ``theta_factor`` is :math:`\gamma_k`.  Returns the new network and the batch's new ``[X_1^B, ..., X_{L-1}^B]``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import forward_hidden, lifted_energy
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(8, 3)); Y = rng.normal(size=(8, 2))
    >>> prob = LiftedProblem.from_network(net)
    >>> xs = [X, *forward_hidden(net, X), Y]
    >>> net2, h = stochastic_proximal_gradient_step(prob, net, xs)
    >>> bool(lifted_energy(prob, net2, [X, *h, Y]) < lifted_energy(prob, net, xs))
    True
    """
    L = problem.n_layers
    B = xs_batch[0].shape[0]
    c = step_scale
    Ws, bs = [], []
    for l in range(1, L + 1):
        lam = problem.lambdas[l - 1]
        eta = theta_factor * c / theta_lipschitz(spectral_norm_sq(xs_batch[l - 1]), B, lam)
        W, b, _ = theta_step(problem.activations[l - 1], lam, network.weights[l - 1], network.biases[l - 1],
                             xs_batch[l - 1], xs_batch[l], eta)
        Ws.append(W)
        bs.append(b)
    new_net = Network(tuple(Ws), tuple(bs), network.activations)
    gs = scheme == "gauss_seidel"
    gnet = new_net if gs else network
    new = list(xs_batch)
    src = new if gs else xs_batch
    for j in range(1, L):
        Wj, bj, Wn, bn = gnet.weights[j - 1], gnet.biases[j - 1], gnet.weights[j], gnet.biases[j]
        Zj = src[j - 1] @ Wj + bj
        Dn = problem.activations[j].prox(src[j] @ Wn + bn) - src[j + 1]
        t = c / x_lipschitz(spectral_norm_sq(Wn), problem.lambdas[j])
        new[j] = x_step(problem, j, src[j], Zj, Dn, Wn, t)
    return new_net, new[1:L]


def stochastic_proximal_gradient(network: Network, X, Y, *, epochs: int = 10, batch_size: int = 32,
                                 step_scale: float = 0.5, step_decay: float = 0.0, scheme: str = "gauss_seidel",
                                 lambdas=None, l1=None, hidden=None, shuffle: bool = True, seed=None, rng=None,
                                 checkpoint=None, checkpoint_every: int = 1, resume: bool = False) -> TrainResult:
    r"""Train by stochastic lifted proximal gradient descent (Section 4.2.1); see the module docstring.

    Parameters
    ----------
    network : Network
        Initial parameters and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
        Inputs and targets (targets in :math:`\operatorname{dom}\Psi_L`).
    epochs : int
        Passes over the data.
    batch_size : int
        :math:`|B|` (the last batch of an epoch may be smaller).
    step_scale : float in (0, 2)
        :math:`c` (default 0.5: the batch gradient is noisy, so steps below the deterministic bound work better).
    step_decay : float >= 0
        :math:`p` in :math:`\gamma_k = (1 + k)^{-p}`, :math:`k` = iterations so far.
    scheme : ``"gauss_seidel"`` or ``"jacobi"``.
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network`.
    hidden : list of arrays, optional
        Initial :math:`X_1..X_{L-1}` for all samples (default: forward pass).
    shuffle : bool
        Random batches from ``seed``/``rng`` each epoch, or in order.
    checkpoint, checkpoint_every, resume : atomic checkpoints and bit-identical resume.

    Returns
    -------
    TrainResult
        ``network``, ``hidden`` (all samples) and per-epoch ``history``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = rng.normal(size=(40, 2))
    >>> res = stochastic_proximal_gradient(net, X, Y, epochs=5, batch_size=8, seed=1)
    >>> bool(res.history.energy[-1] < res.history.energy[0])
    True
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    epochs = check_positive_option("epochs", epochs, allow_zero=True, integer=True)
    batch_size = check_positive_option("batch_size", batch_size, integer=True)
    step_scale = check_positive_option("step_scale", step_scale)
    step_decay = check_positive_option("step_decay", step_decay, allow_zero=True)
    if scheme not in ("gauss_seidel", "jacobi"):
        raise BregnetInputError(f"scheme must be 'gauss_seidel' or 'jacobi'; got {scheme!r}")
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    gen = make_rng(seed, rng)
    L = network.n_layers
    s = X.shape[0]
    hidden = [h.copy() for h in check_hidden(problem, network, X, hidden)]
    opts = {"batch_size": batch_size, "step_scale": step_scale, "step_decay": step_decay, "scheme": scheme,
            "shuffle": bool(shuffle)}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen)
    it = 0
    if arrays is not None:
        hidden = [arrays[f"hidden{j}"].copy() for j in range(L - 1)]
        it = int(arrays["iteration"])
    else:
        record_epoch(history, problem, net, X, Y, hidden, 0, t0, _WHAT)
    for k in range(start + 1, epochs + 1):
        order = gen.permutation(s) if shuffle else np.arange(s)
        for p in range(0, s, batch_size):
            idx = order[p:p + batch_size]
            xs_b = [X[idx], *(h[idx] for h in hidden), Y[idx]]
            gamma = (1.0 + it) ** (-step_decay)
            with np.errstate(over="ignore", invalid="ignore"):
                net, hb = stochastic_proximal_gradient_step(problem, net, xs_b, theta_factor=gamma,
                                                            step_scale=step_scale, scheme=scheme)
            for h, new in zip(hidden, hb):
                h[idx] = new
            it += 1
        check_finite_state(net, _WHAT, k, extra=[(f"X_{j}", h) for j, h in enumerate(hidden, start=1)])
        record_epoch(history, problem, net, X, Y, hidden, k, t0, _WHAT, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs):
            arrays = {f"hidden{j}": h for j, h in enumerate(hidden)}
            arrays["iteration"] = it
            save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=k, network=net, history=history,
                            rng=gen, arrays=arrays)
    return TrainResult(network=net, history=history, hidden=hidden)
