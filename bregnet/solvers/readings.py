r"""Readings of the printed Algorithm 1 (Section 4.2.3, Section 6.1), for the reproduction study of Section 6.

bregnet's Algorithm 1 (:func:`bregnet.solvers.sweep.backward_sweeps`) implements the corrected algorithm of
``docs/errata.md`` (h)-(n).  Where the print can be read otherwise, :class:`AlgorithmReading` names the reading
and :func:`reading_sweeps` runs the batch step (24) under it, with the same update formulas
(:func:`bregnet.lifted.theta_step` (17a) and :func:`bregnet.lifted.x_step` (17b)); only the step sizes, the point
at which :math:`f(x_{j-1}, \Theta_j)` is evaluated and the order of the blocks change:

* ``step_rule``: ``"corrected"`` (:math:`\eta_l = c/(\lambda_l(\|X_{l-1}\|^2/|B| + 1) + \rho)`,
  :math:`t_j = c/(\lambda_{j+1}\|W_{j+1}\|^2)`, errata (m), (n)); ``"printed-mean"``, the printed
  :math:`\tau_{W_l} = c/(\|X_l\|^2 + \tau_k/2)` and :math:`\tau_x = c/\|W_l\|^2` applied to Algorithm 1's
  batch-averaged objective, with its per-sample x-step :math:`t = \tau_x/|B|`:

  .. math::  \eta_l = \frac{c}{\|X_l\|_2^2 + \rho/2}, \qquad t_j = \frac{c}{|B|\,\|W_{j+1}\|_2^2};

  ``"printed-sum"``, the same rules for an objective *summed* over the batch (the reading under which
  :math:`\tau_k = 100` is our :math:`\rho = 1`: :math:`\tau_k = |B|\rho`), written for our averaged objective
  (its gradient is :math:`1/|B|` of the summed one, so every step is :math:`|B|` times larger):

  .. math::  \eta_l = \frac{c}{\|X_l\|_2^2/|B| + \rho/2}, \qquad t_j = \frac{c}{\|W_{j+1}\|_2^2}.

  :math:`X_l` is the layer's *output* (the target :math:`Y` for :math:`l = L`), as printed; the print's
  :math:`W_l` in :math:`\tau_x` is read as the weight of the layer after :math:`x_j` (:math:`l = j + 1` in the
  paired loop).  Neither printed rule bounds the Lipschitz constants, so a step may raise (24).
* ``x_anchor``: ``"current"`` (:math:`f(x_{j-1}, \Theta_j)` at the newest :math:`\Theta_j`, erratum (j)) or
  ``"batch_start"`` (at the anchor :math:`\Theta_j^k`, as printed).
* ``loops``: ``"sweeps"`` (N sweeps, each :math:`\Theta_L, x_{L-1}, \dots, x_1, \Theta_1`, erratum (k)) or
  ``"layerwise"`` (the printed nesting "for l, j: for n = 0..N-1": each pair :math:`(\Theta_l, x_{l-1})` is
  iterated N times, from l = L down to 1, before the next).

The proximal anchor :math:`\Theta^k` is the ``anchor`` argument (the batch's start in bregnet's reading; the
epoch's start is the other reading, chosen by :class:`bregnet.solvers.implicit_stochastic.LBNS`'s
``prox_anchor``).  Dense networks only.

Examples
--------
>>> from bregnet.testing import toy_problem
>>> from bregnet.lifted import LiftedProblem
>>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=10)
>>> prob = LiftedProblem.from_network(net)
>>> a, _ = reading_sweeps(prob, net, X, Y, n_sweeps=3, prox_weight=1.0, step_scale=1.99,
...                       reading=AlgorithmReading())
>>> from bregnet.solvers.sweep import backward_sweeps, warm_start_vectors
>>> b, _ = backward_sweeps(prob, net, X, Y, n_sweeps=3, prox_weight=1.0, step_scale=1.99,
...                        warm=warm_start_vectors(net))
>>> bool(np.allclose(a.weights[0], b.weights[0], rtol=1e-6))       # the corrected reading is Algorithm 1
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, forward_hidden, theta_step, x_step
from ..network import Network
from .lipschitz import spectral_norm_sq
from .sweep import POWER_MAX_ITER, POWER_TOL, X_LIPSCHITZ_FLOOR, theta_step_size, x_step_size

__all__ = ["AlgorithmReading", "reading_sweeps", "STEP_RULES", "X_ANCHORS", "LOOPS"]

STEP_RULES = ("corrected", "printed-mean", "printed-sum")
X_ANCHORS = ("current", "batch_start")
LOOPS = ("sweeps", "layerwise")


@dataclass(frozen=True)
class AlgorithmReading:
    """A reading of the printed Algorithm 1 (see the module docstring); the defaults are bregnet's."""

    step_rule: str = "corrected"
    x_anchor: str = "current"
    loops: str = "sweeps"

    def __post_init__(self):
        for name, allowed in (("step_rule", STEP_RULES), ("x_anchor", X_ANCHORS), ("loops", LOOPS)):
            if getattr(self, name) not in allowed:
                raise BregnetInputError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")

    @property
    def is_corrected(self) -> bool:
        return self == AlgorithmReading()

    def theta_step(self, problem: LiftedProblem, l: int, xs, B: int, c: float, rho: float, tol, max_iter) -> float:
        """The step :math:`\\eta_l` of the :math:`\\Theta_l` block."""
        if self.step_rule == "corrected":
            return theta_step_size(problem, l, spectral_norm_sq(xs[l - 1], tol=tol, max_iter=max_iter), B, c, rho)
        out = spectral_norm_sq(xs[l], tol=tol, max_iter=max_iter)            # ||X_l||^2, as printed
        lip = out + rho / 2 if self.step_rule == "printed-mean" else out / B + rho / 2
        return _step(c, lip, problem.lambdas[l - 1])

    def x_step(self, problem: LiftedProblem, j: int, W_next, B: int, c: float, tol, max_iter) -> float:
        """The per-sample step :math:`t_j` of the :math:`x_j` block."""
        nw = spectral_norm_sq(W_next, tol=tol, max_iter=max_iter)
        if self.step_rule == "corrected":
            return x_step_size(problem, j, nw, c)
        return _step(c, B * nw if self.step_rule == "printed-mean" else nw, problem.lambdas[j - 1])


def _step(c: float, lip: float, lam: float) -> float:
    """``c / lip``; ``c / lam`` where ``lip`` is (numerically) zero, as :func:`bregnet.solvers.sweep.x_step_size`;
    NaN where ``lip`` is (the iterates diverged under a printed rule: the engine then stops the run with a message)."""
    if math.isnan(lip):
        return math.nan
    return c / lip if lip > lam * X_LIPSCHITZ_FLOOR else c / lam


def _pair_step(problem, reading, l, xs, Ws, bs, anchor, c, rho, tol, max_iter):
    """The Theta_l step, then (l > 1) the x_{l-1} step with the new Theta_l; updates Ws, bs, xs in place.  False
    (nothing updated further) where a step size is not a finite positive number: the iterates diverged."""
    B = xs[0].shape[0]
    act, lam = problem.activations[l - 1], problem.lambdas[l - 1]
    eta = reading.theta_step(problem, l, xs, B, c, rho, tol, max_iter)
    if not 0 < eta < math.inf:
        return False
    Ws[l - 1], bs[l - 1], _ = theta_step(act, lam, Ws[l - 1], bs[l - 1], xs[l - 1], xs[l], eta,
                                         anchor=(anchor.weights[l - 1], anchor.biases[l - 1]), prox_weight=rho)
    if l == 1:
        return True
    j = l - 1
    D_next = act.prox(xs[j] @ Ws[l - 1] + bs[l - 1]) - xs[l]
    at_W, at_b = (Ws[j - 1], bs[j - 1]) if reading.x_anchor == "current" else \
        (anchor.weights[j - 1], anchor.biases[j - 1])
    Zj = xs[j - 1] @ at_W + at_b
    t = reading.x_step(problem, j, Ws[l - 1], B, c, tol, max_iter)
    if not 0 < t < math.inf:
        return False
    xs[j] = x_step(problem, j, xs[j], Zj, D_next, Ws[l - 1], t)
    return True


def reading_sweeps(problem: LiftedProblem, network: Network, X0, Y, *, n_sweeps: int, prox_weight: float,
                   step_scale: float, reading: AlgorithmReading, anchor: Network | None = None,
                   tol: float = POWER_TOL, max_iter: int = POWER_MAX_ITER) -> tuple[Network, list]:
    r"""Algorithm 1's batch step under ``reading``, from the forward pass at ``network``.

    The proximal term is :math:`\tfrac\rho2\|\Theta - \Theta^k\|^2` with :math:`\Theta^k` = ``anchor``
    (default ``network``), :math:`\rho` = ``prox_weight``; the auxiliary variables start at the forward pass
    of ``network`` (the print's "Initialise :math:`x_j^i = \sigma_j(f(x_{j-1}^i, \Theta_j^k))`").  The spectral
    norms are computed afresh by power iteration (tolerance ``tol``).  Returns the new network and the final
    ``[X_1, ..., X_{L-1}]``; where a printed step rule's step is not finite (the iterates diverged), the
    weights are NaN, which :func:`bregnet.solvers.engine.run` reports as a divergence.
    """
    if network.layers is not None:
        raise BregnetInputError("reading_sweeps: the printed readings of Algorithm 1 are for dense networks")
    anchor = network if anchor is None else anchor
    L = problem.n_layers
    xs = [X0, *forward_hidden(network, X0), Y]
    Ws, bs = [W.copy() for W in network.weights], [b.copy() for b in network.biases]
    args = (anchor, step_scale, prox_weight, tol, max_iter)
    order = [l for _ in range(n_sweeps) for l in range(L, 0, -1)] if reading.loops == "sweeps" else \
        [l for l in range(L, 0, -1) for _ in range(n_sweeps)]
    for l in order:
        if not _pair_step(problem, reading, l, xs, Ws, bs, *args):     # diverged: a non-finite network, which
            Ws = [np.full_like(W, np.nan) for W in Ws]                 # the engine reports (DivergenceError)
            break
    return Network(tuple(Ws), tuple(bs), network.activations), xs[1:L]
