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

import math
import time

import numpy as np

from ..exceptions import BregnetInputError, DivergenceError
from ..lifted import LiftedProblem, forward_hidden, lifted_energy, theta_step, x_step  # noqa: F401  (forward_hidden: doctests)
from ..network import Network
from ._common import (check_hidden, TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .lipschitz import spectral_norm_sq, theta_lipschitz, x_lipschitz

__all__ = ["proximal_gradient", "proximal_gradient_step"]

_WHAT = "proximal_gradient"


def _pre(net: Network, xs, l):
    return xs[l - 1] @ net.weights[l - 1] + net.biases[l - 1]


def proximal_gradient_step(problem: LiftedProblem, network: Network, xs, *, scheme: str = "gauss_seidel",
                           step_scale: float = 1.99, norm_method: str = "power") -> tuple[Network, list]:
    r"""One lifted proximal gradient step (17) from ``xs = [X_0, X_1, ..., X_{L-1}, Y]``.

    Returns the new network and the new hidden variables ``[X_1, ..., X_{L-1}]``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(8, 3)); Y = rng.normal(size=(8, 2))
    >>> prob = LiftedProblem.from_network(net)
    >>> xs = [X, *forward_hidden(net, X), Y]
    >>> net2, hidden = proximal_gradient_step(prob, net, xs)
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < lifted_energy(prob, net, xs))
    True
    """
    L = problem.n_layers
    s = xs[0].shape[0]
    c = step_scale
    # Theta block (17a): the layers are independent for fixed X
    Ws, bs = [], []
    for l in range(1, L + 1):
        eta = c / theta_lipschitz(spectral_norm_sq(xs[l - 1], method=norm_method), s, problem.lambdas[l - 1])
        W, b, _ = theta_step(problem.activations[l - 1], problem.lambdas[l - 1], network.weights[l - 1],
                             network.biases[l - 1], xs[l - 1], xs[l], eta)
        Ws.append(W)
        bs.append(b)
    new_net = Network(tuple(Ws), tuple(bs), network.activations)
    # X block (17b)
    grad_net = new_net if scheme == "gauss_seidel" else network
    new_xs = list(xs)
    src = new_xs if scheme == "gauss_seidel" else xs
    for j in range(1, L):
        Zj = _pre(grad_net, src, j)
        Dn = problem.activations[j].prox(_pre(grad_net, src, j + 1)) - src[j + 1]
        Wn = grad_net.weights[j]
        t = c / x_lipschitz(spectral_norm_sq(Wn, method=norm_method), problem.lambdas[j])
        new_xs[j] = x_step(problem, j, src[j], Zj, Dn, Wn, t)
    return new_net, new_xs[1:L]


def proximal_gradient(network: Network, X, Y, *, epochs: int = 100, lambdas=None, l1=None,
                      scheme: str = "gauss_seidel", step_scale: float | None = None, acceleration: str | None = None,
                      momentum: float = 0.5, monotone: bool = True, max_backtracks: int = 30,
                      norm_method: str = "power", hidden=None, seed=None, rng=None,
                      checkpoint=None, checkpoint_every: int = 10, resume: bool = False) -> TrainResult:
    r"""Train by full-batch lifted proximal gradient descent (16)-(17); see the module docstring.

    Parameters
    ----------
    network : Network
        Initial parameters and activations (not modified).
    X, Y : array_like, shapes (s, n_0) and (s, n_L)
        Inputs :math:`x_0^i` and targets :math:`y^i` (targets must lie in :math:`\operatorname{dom}\Psi_L`).
    epochs : int
        Number of iterations (each uses all samples).
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network` (``l1 = (layer, alpha)``).
    scheme : ``"gauss_seidel"`` or ``"jacobi"``
    step_scale : float in (0, 2)
        :math:`c` in the steps :math:`c/L`; default 1.99 (plain) or 1.0 (accelerated).
    acceleration : None, ``"nesterov"`` or ``"heavy_ball"``
    momentum : float in [0, 1)
        :math:`\beta` of heavy-ball.
    monotone : bool
        Safeguards (restart / backtracking) that keep the energy monotone.
    norm_method : ``"power"`` or ``"exact"`` (see :func:`~bregnet.solvers.lipschitz.spectral_norm_sq`).
    hidden : list of arrays, optional
        Initial auxiliary variables :math:`X_1..X_{L-1}`; default: a forward pass.
    seed, rng : randomness (unused by the deterministic iteration; kept in checkpoints).
    checkpoint : path, optional
        Write an atomic checkpoint every ``checkpoint_every`` epochs and at the end.
    resume : bool
        Continue from ``checkpoint`` if it exists (bit-identical to an uninterrupted run).

    Returns
    -------
    TrainResult
        ``network``, ``hidden`` (the final auxiliary variables) and ``history`` (per epoch: lifted
        energy, consistency residuals, forward loss, wall time; entry 0 is the initial state).

    Raises
    ------
    BregnetInputError
        Bad shapes, non-finite data, targets outside :math:`\operatorname{dom}\Psi_L`, bad options.
    DivergenceError
        Non-finite parameters or energy (step sizes too large).
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    epochs = check_positive_option("epochs", epochs, allow_zero=True, integer=True)
    if scheme not in ("gauss_seidel", "jacobi"):
        raise BregnetInputError(f"scheme must be 'gauss_seidel' or 'jacobi'; got {scheme!r}")
    if acceleration not in (None, "nesterov", "heavy_ball"):
        raise BregnetInputError(f"acceleration must be None, 'nesterov' or 'heavy_ball'; got {acceleration!r}")
    if step_scale is None:
        step_scale = 1.99 if acceleration is None else 1.0
    step_scale = check_positive_option("step_scale", step_scale)
    momentum = check_positive_option("momentum", momentum, allow_zero=True)
    if momentum >= 1:
        raise BregnetInputError(f"momentum must be in [0, 1); got {momentum}")
    if norm_method not in ("power", "exact"):
        raise BregnetInputError(f"norm_method must be 'power' or 'exact'; got {norm_method!r}")
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    gen = make_rng(seed, rng)
    L = network.n_layers
    hidden = check_hidden(problem, network, X, hidden)

    opts = {"scheme": scheme, "step_scale": step_scale, "acceleration": acceleration, "momentum": momentum,
            "monotone": bool(monotone), "norm_method": norm_method}
    fp = solver_fingerprint(X, Y, problem, opts)
    prev = None          # (net, hidden) of the previous iterate, for acceleration
    tk = 1.0
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen)
    if arrays is not None:
        hidden = [arrays[f"hidden{j}"] for j in range(L - 1)]
        tk = float(arrays["tk"])
        if int(arrays["has_prev"]):
            pW = tuple(arrays[f"prevW{l}"] for l in range(L))
            pb = tuple(arrays[f"prevb{l}"] for l in range(L))
            prev = (Network(pW, pb, network.activations), [arrays[f"prevhidden{j}"] for j in range(L - 1)])
    else:
        record_epoch(history, problem, net, X, Y, hidden, 0, t0, _WHAT)

    def energy(n, h):
        with np.errstate(over="ignore", invalid="ignore"):
            return lifted_energy(problem, n, [X, *h, Y])

    def step(n, h, c):
        with np.errstate(over="ignore", invalid="ignore"):
            return proximal_gradient_step(problem, n, [X, *h, Y], scheme=scheme, step_scale=c,
                                          norm_method=norm_method)

    def save(epoch):
        arrays = {f"hidden{j}": h for j, h in enumerate(hidden)}
        arrays["tk"] = tk
        arrays["has_prev"] = int(prev is not None)
        if prev is not None:
            arrays.update({f"prevW{l}": W for l, W in enumerate(prev[0].weights)})
            arrays.update({f"prevb{l}": b for l, b in enumerate(prev[0].biases)})
            arrays.update({f"prevhidden{j}": h for j, h in enumerate(prev[1])})
        save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=epoch, network=net, history=history,
                        rng=gen, arrays=arrays)

    e_cur = energy(net, hidden)
    for k in range(start + 1, epochs + 1):
        if acceleration is not None and prev is not None:
            if acceleration == "nesterov":
                tn = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * tk * tk))
                beta = (tk - 1.0) / tn
            else:
                tn, beta = tk, momentum
            dt = net.dtype.type(beta)
            yW = tuple(W + dt * (W - pW) for W, pW in zip(net.weights, prev[0].weights))
            yb = tuple(b + dt * (b - pb) for b, pb in zip(net.biases, prev[0].biases))
            yh = [h + dt * (h - ph) for h, ph in zip(hidden, prev[1])]
            # extrapolated auxiliary variables only enter H, whose gradients are defined everywhere
            cand_net, cand_h = step(Network(yW, yb, net.activations), yh, step_scale)
            e_new = energy(cand_net, cand_h)
            if monotone and not e_new <= e_cur:
                tn = 1.0                                         # adaptive restart
                cand_net, cand_h = step(net, hidden, step_scale)
                e_new = energy(cand_net, cand_h)
            tk = tn
        else:
            cand_net, cand_h = step(net, hidden, step_scale)
            e_new = energy(cand_net, cand_h)
        if monotone and scheme == "jacobi":
            c = step_scale
            n_bt = 0
            while not e_new <= e_cur:
                n_bt += 1
                if n_bt > max_backtracks:
                    raise DivergenceError(f"{_WHAT}: no decrease after {max_backtracks} step halvings in epoch {k}")
                c *= 0.5
                cand_net, cand_h = step(net, hidden, c)
                e_new = energy(cand_net, cand_h)
        check_finite_state(cand_net, _WHAT, k, extra=[(f"X_{j}", h) for j, h in enumerate(cand_h, start=1)])
        if not np.isfinite(e_new):
            raise DivergenceError(f"{_WHAT}: the lifted energy became non-finite in epoch {k}; reduce step_scale")
        prev = (net, hidden)
        net, hidden, e_cur = cand_net, cand_h, e_new
        record_epoch(history, problem, net, X, Y, hidden, k, t0, _WHAT, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == epochs):
            save(k)
    return TrainResult(network=net, history=history, hidden=hidden)
