r"""The constrained formulation of lifted Bregman training (Appendix B.3, eq. (40)-(41)).

Instead of fixed weights :math:`\lambda_l` in (13), the hidden Bregman losses become constraints,

.. math::  \min_{\Theta, \mathbf X}\; \ell(\Theta, \mathbf X) \quad\text{s.t.}\quad
           c_l(\Theta, \mathbf X) := \frac1s\sum_{i=1}^s B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l)) \le 0,
           \quad l = 1, \dots, L-1, \qquad (40)

with the data term :math:`\ell = \frac1s\sum_i B_{\Psi_L}(y^i, f(x_{L-1}^i, \Theta_L))` (the loss is a Bregman
loss, as in Section 4.1).  With multipliers :math:`\lambda_l \ge 0` (the Lagrangian (41)) the alternating
minimisation and proximal maximisation reads

.. math::  (\Theta^{k+1}, \mathbf X^{k+1}) \approx \arg\min_{\Theta, \mathbf X}\; \ell + \sum_{l=1}^{L-1}\lambda_l^k c_l,
           \qquad
           \lambda_l^{k+1} = \arg\max_{\lambda\ge 0}\; \lambda c_l(\Theta^{k+1}, \mathbf X^{k+1})
           - \frac{1}{2\tau}(\lambda - \lambda_l^k)^2 = \max\big(0, \lambda_l^k + \tau c_l(\Theta^{k+1}, \mathbf X^{k+1})\big).

The inner minimisation is the lifted energy with :math:`\lambda = (\lambda_1^k, \dots, \lambda_{L-1}^k, 1)`,
solved approximately (warm-started) by an existing solver: ``inner="proximal_gradient"`` (16)-(17) or
``"coordinate_descent"`` (35)-(37).

Remarks (reported with the errata):

* the printed multiplier update evaluates :math:`B_\Psi` at :math:`\Theta_l^k` with :math:`\mathbf X^{k+1}`; the
  proximal maximisation step of (41) at the new primal point uses :math:`(\Theta^{k+1}, \mathbf X^{k+1})`,
  as implemented;
* since :math:`B_\Psi \ge 0` (Theorem 10), :math:`c_l \ge 0`: the projection :math:`\max(0, \cdot)` is never
  active, the multipliers never decrease, and (40) is the equality constraint :math:`x_l = \sigma_l(f(x_{l-1},
  \Theta_l))` (network consistency) — the method is a penalty continuation that raises :math:`\lambda_l` by
  :math:`\tau` times the remaining inconsistency.  The multipliers must start positive (with
  :math:`\lambda_l = 0`, :math:`x_l` would not enter the objective at all).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, layer_energies
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .coordinate_descent import check_hidden, coordinate_descent
from .proximal_gradient import proximal_gradient

__all__ = ["ConstrainedResult", "constrained", "constraint_values"]

_WHAT = "constrained"


@dataclass
class ConstrainedResult(TrainResult):
    """:class:`TrainResult` plus, per outer iteration k = 0..K, the multipliers :math:`\\lambda^k` and the
    constraint values :math:`c_l(\\Theta^k, \\mathbf X^k)`, and the inner solvers' histories."""

    multipliers: list = field(default_factory=list)
    constraints: list = field(default_factory=list)
    inner_histories: list = field(default_factory=list)


def constraint_values(problem: LiftedProblem, network: Network, xs) -> np.ndarray:
    r""":math:`c_l = \frac1s\sum_i B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l))`, l = 1..L-1 (the constraints of (40)).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> from bregnet.lifted import forward_hidden
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> X = np.ones((2, 3)); prob = LiftedProblem.from_network(net)
    >>> constraint_values(prob, net, [X, *forward_hidden(net, X), np.zeros((2, 2))]).tolist()   # consistent
    [0.0]
    """
    e = layer_energies(problem, network, xs)[:-1]
    return e / np.asarray(problem.lambdas[:-1])


def constrained(network: Network, X, Y, *, outer: int = 10, inner_epochs: int = 50, multipliers=1.0,
                tau: float = 10.0, inner: str = "proximal_gradient", step_scale: float = 1.99, l1=None, hidden=None,
                seed=None, rng=None, checkpoint=None, checkpoint_every: int = 1,
                resume: bool = False) -> ConstrainedResult:
    r"""Train the constrained problem (40) by alternating minimisation and multiplier updates (41).

    Parameters
    ----------
    network : Network
        Initial parameters and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
    outer : int
        Number of multiplier updates :math:`K`.
    inner_epochs : int
        Iterations of the inner solver per outer iteration (warm-started from the previous primal point).
    multipliers : float or sequence of L-1 floats > 0
        :math:`\lambda^0`.
    tau : float > 0
        Step :math:`\tau` of the proximal maximisation.
    inner : ``"proximal_gradient"`` or ``"coordinate_descent"``.
    step_scale : float in (0, 2)
        :math:`c` of the inner solver.
    l1 : ``(layer, alpha)`` or None, an :math:`\ell_1` regulariser on an auxiliary layer (added to :math:`\ell`).
    hidden : list of arrays, optional
        Initial :math:`X_1..X_{L-1}` (default: forward pass).
    checkpoint, checkpoint_every, resume : atomic checkpoints every ``checkpoint_every`` outer iterations.

    Returns
    -------
    ConstrainedResult
        ``history`` holds per outer iteration the Lagrangian value (energy with the current multipliers),
        residuals and forward loss; ``multipliers`` and ``constraints`` per outer iteration.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 3)); Y = rng.normal(size=(20, 2))
    >>> res = constrained(net, X, Y, outer=4, inner_epochs=20)
    >>> bool(np.all(np.diff(np.array(res.multipliers), axis=0) >= 0))
    True
    """
    L = network.n_layers
    if L < 2:
        raise BregnetInputError("the constrained formulation (40) needs at least one hidden layer")
    lam = np.broadcast_to(np.asarray(multipliers, dtype=np.float64), (L - 1,)).copy() if np.ndim(multipliers) == 0 \
        else np.asarray(multipliers, dtype=np.float64)
    if lam.shape != (L - 1,):
        raise BregnetInputError(f"multipliers must be a number or give one value per hidden layer ({L - 1}); "
                                f"got shape {lam.shape}")
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise BregnetInputError(f"multipliers must be finite and > 0 (a zero multiplier removes x_l from the "
                                f"objective); got {lam.tolist()}")
    problem = LiftedProblem.from_network(network, [*lam, 1.0], l1)
    X, Y = validate_data(network, X, Y, problem)
    outer = check_positive_option("outer", outer, allow_zero=True, integer=True)
    inner_epochs = check_positive_option("inner_epochs", inner_epochs, integer=True)
    tau = check_positive_option("tau", tau)
    step_scale = check_positive_option("step_scale", step_scale)
    if inner not in ("proximal_gradient", "coordinate_descent"):
        raise BregnetInputError(f"inner must be 'proximal_gradient' or 'coordinate_descent'; got {inner!r}")
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    gen = make_rng(seed, rng)
    hidden = check_hidden(problem, network, X, hidden)
    opts = {"inner_epochs": inner_epochs, "tau": tau, "inner": inner, "step_scale": step_scale,
            "multipliers0": lam.tolist()}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen)
    result = ConstrainedResult(network=net, history=history)
    if arrays is not None:
        hidden = [arrays[f"hidden{j}"] for j in range(L - 1)]
        result.multipliers = [m for m in arrays["multipliers"]]
        result.constraints = [c for c in arrays["constraints"]]
        lam = result.multipliers[-1].copy()
    else:
        record_epoch(history, problem, net, X, Y, hidden, 0, t0, _WHAT)
        result.multipliers.append(lam.copy())
        result.constraints.append(constraint_values(problem, net, [X, *hidden, Y]))
    l1_arg = None if problem.regulariser is None else (problem.regulariser.layer, problem.regulariser.alpha)
    for k in range(start + 1, outer + 1):
        lam_k = [*lam.tolist(), 1.0]
        if inner == "proximal_gradient":
            res = proximal_gradient(net, X, Y, epochs=inner_epochs, lambdas=lam_k, l1=l1_arg, hidden=hidden,
                                    step_scale=step_scale)
        else:
            res = coordinate_descent(net, X, Y, epochs=inner_epochs, lambdas=lam_k, l1=l1_arg, hidden=hidden,
                                     step_scale=step_scale)
        net, hidden = res.network, res.hidden
        result.inner_histories.append(res.history)
        prob_k = LiftedProblem(problem.activations, tuple(lam_k), problem.regulariser)
        c = constraint_values(prob_k, net, [X, *hidden, Y])
        record_epoch(history, prob_k, net, X, Y, hidden, k, t0, _WHAT, time_offset)
        lam = np.maximum(0.0, lam + tau * c)                          # proximal maximisation step of (41)
        check_finite_state(net, _WHAT, k, extra=[("multipliers", lam)])
        result.multipliers.append(lam.copy())
        result.constraints.append(c)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == outer):
            arrays = {f"hidden{j}": h for j, h in enumerate(hidden)}
            arrays["multipliers"] = np.array(result.multipliers)
            arrays["constraints"] = np.array(result.constraints)
            save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=k, network=net, history=history,
                            rng=gen, arrays=arrays)
    result.network, result.hidden = net, hidden
    return result
