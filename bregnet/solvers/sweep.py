r"""The block sweep of (17), written once: step rules, block steps and the two orders the solvers use.

The lifted energy :math:`E = G + H` (Section 4.1) is minimised block by block.  A :math:`\Theta_l`-step is the
gradient step (17a) (with the proximal term of (24) where a solver anchors the parameters), an :math:`x_j`-step
the proximal gradient step (17b); both are :func:`bregnet.lifted.theta_step` and :func:`bregnet.lifted.x_step`.
Their step sizes are :math:`c` over the blocks' Lipschitz bounds (:mod:`bregnet.solvers.lipschitz`):

.. math::  \eta_l = \frac{\gamma\,c}{\lambda_l(\|X_{l-1}\|_2^2/s + 1) + \rho}, \qquad
           t_j = \frac{c}{\lambda_{j+1}\|W_{j+1}\|_2^2},

:math:`0 < c < 2`, :math:`\gamma` a decay factor of the stochastic solvers (1 otherwise).  Two orders:

* :func:`forward_sweep`: the :math:`\Theta` block (all layers from the same :math:`\mathbf X`), then
  :math:`x_1, \dots, x_{L-1}` in turn (Gauss-Seidel, the newest values) or all from the old point (Jacobi,
  (17) as printed): proximal gradient (16)-(17), its stochastic form (Section 4.2.1) and the solvers built on it;
* :func:`backward_sweeps`: Algorithm 1's order :math:`\Theta_L, x_{L-1}, \Theta_{L-1}, \dots, x_1, \Theta_1`,
  ``n_sweeps`` times, with the proximal anchor of (24) and warm-started power iterations (LBN-S/LBN-D, model
  averaging, the parallel implicit iteration).

Each solver module keeps only what is its own: its order's parameters, its anchor, its multipliers.

**Penalties** (``LiftedProblem.penalty``, :mod:`bregnet.lifted`): the same sweeps minimise the MAC and Fenchel
energies; a layer's residual is :func:`bregnet.lifted.layer_residual` and its steps take
:func:`bregnet.lifted.step_penalty` (MAC: gradient steps through :math:`\sigma'` with the same step sizes).

**Operator layers** (:mod:`bregnet.operators`: convolutions).  For a network with ``layers`` every step above
goes through the layer's operator: :math:`\|X_{l-1}\|_2^2` becomes :math:`\|K \mapsto A_K(X_{l-1})\|_2^2`
(:func:`input_norm_sq`: the exact joint norm of :math:`(K, b) \mapsto A_K(X) + \mathbf 1 \otimes b`, which for a
convolution's first layer is about half of the bound :math:`\|P(X)\|^2 + sP`),
:math:`\|W_{j+1}\|_2^2` becomes :math:`\|A_{W_{j+1}}\|_2^2` (:func:`layer_norm_sq`), and the steps use the
operator's forward map, adjoint and parameter gradient.  Both norms are power iterations, warm-started as the
dense ones.  A dense network (``layers`` None) takes exactly the expressions it always took.
"""
from __future__ import annotations

import math

import numpy as np

from ..lifted import LiftedProblem, forward_hidden, layer_residual, step_penalty, theta_step, x_step
from ..network import Network
from .lipschitz import spectral_norm_sq, theta_lipschitz, x_lipschitz

__all__ = ["theta_step_size", "x_step_size", "x_block_step", "theta_block", "forward_sweep", "backward_sweeps", "extrapolate",
           "momentum_weight", "input_norm_sq", "layer_norm_sq",
           "warm_start_vectors", "POWER_TOL", "POWER_MAX_ITER", "X_LIPSCHITZ_FLOOR"]

#: tolerance and iteration cap of Algorithm 1's warm-started power iterations
POWER_TOL, POWER_MAX_ITER = 1e-7, 100
#: below ``lambda_j`` times this, the x_j-step's Lipschitz constant counts as zero (:func:`x_step_size`)
X_LIPSCHITZ_FLOOR = float(np.finfo(np.float64).eps)


def theta_step_size(problem: LiftedProblem, l: int, X_prev_norm_sq: float, n_samples: int, step_scale: float,
                    prox_weight: float = 0.0, factor: float = 1.0, positions: int = 1) -> float:
    r""":math:`\eta_l = \gamma c/(\lambda_l(\|X_{l-1}\|_2^2/s + P) + \rho)` (``factor`` = :math:`\gamma`, ``positions``
    = :math:`P`, 1 for a dense layer).

    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0))
    >>> theta_step_size(prob, 1, 4.0, 2, 1.5)                # 1.5 / (1 * (4/2 + 1))
    0.5
    """
    return factor * step_scale / theta_lipschitz(X_prev_norm_sq, n_samples, problem.lambdas[l - 1], prox_weight,
                                                 positions)


def x_step_size(problem: LiftedProblem, j: int, W_next_norm_sq: float, step_scale: float) -> float:
    r"""Per-sample :math:`t_j = c/(\lambda_{j+1}\|W_{j+1}\|_2^2)`, or :math:`c/\lambda_j` where that Lipschitz constant
    is at most :math:`\lambda_j` times :data:`X_LIPSCHITZ_FLOOR`.

    There :math:`W_{j+1}` is numerically zero (a zero initialisation, or weights of size 1e-300 whose squared norm
    underflows): the smooth part is then (nearly) linear in :math:`x_j`, so any step is admissible, and :math:`c/L`
    divided by zero or overflowed.  :math:`c/\lambda_j` is smaller than :math:`c/L`, so still admissible.

    >>> from bregnet.network import glorot_init
    >>> prob = LiftedProblem.from_network(glorot_init([2, 2, 1], ["relu", "identity"], seed=0))
    >>> x_step_size(prob, 1, 4.0, 1.0), x_step_size(prob, 1, 0.0, 1.0)
    (0.25, 1.0)
    """
    lip, lam_j = x_lipschitz(W_next_norm_sq, problem.lambdas[j]), problem.lambdas[j - 1]
    return step_scale / lip if lip > lam_j * X_LIPSCHITZ_FLOOR else step_scale / lam_j


def _affine(op, X, W, b):
    """:math:`XW + b` (dense, ``op`` None) or the operator's :math:`A_W(X) + b`."""
    return X @ W + b if op is None else op.affine(X, W, b)


def _pre(network: Network, xs, l: int):
    return _affine(network.operator(l), xs[l - 1], network.weights[l - 1], network.biases[l - 1])


def input_norm_sq(op, X, **options):
    r""":math:`\|X\|_2^2` (dense, ``op`` None; the step adds :math:`s` for the bias) or, for an operator, the exact
    :math:`\|(K, b) \mapsto A_K(X) + \mathbf 1 \otimes b\|_2^2` (``affine_map_norm_sq``; the step adds nothing,
    :func:`_positions` is 0); ``options`` of :func:`~bregnet.solvers.lipschitz.spectral_norm_sq` (``v0``, ``tol``,
    ``max_iter``, ``return_vector``, ``method``).

    >>> from bregnet.operators import Conv2d
    >>> X = np.ones((2, 9))
    >>> input_norm_sq(None, X, method="exact"), round(input_norm_sq(Conv2d((3, 3, 1), 1, 3), X), 8)
    (18.0, 20.0)
    """
    if op is None:
        return spectral_norm_sq(X, **options)
    options.pop("method", None)
    return op.affine_map_norm_sq(X, **options)


def layer_norm_sq(op, W, **options):
    r""":math:`\|W\|_2^2` (dense, ``op`` None) or :math:`\|A_W\|_2^2`, by power iteration (``options`` as
    :func:`input_norm_sq`)."""
    if op is None:
        return spectral_norm_sq(W, **options)
    options.pop("method", None)
    return op.norm_sq(W, **options)


def _positions(op) -> int:
    r"""The bias part of the Theta-step's bound: 1 (dense: :math:`\|[X, 1]\|^2 \le \|X\|^2 + s`); 0 for an operator,
    whose :func:`input_norm_sq` already is the joint norm."""
    return 1 if op is None else 0


def x_block_step(problem: LiftedProblem, network: Network, xs, j: int, t: float) -> np.ndarray:
    r"""The :math:`x_j`-step (17b) at ``network`` and ``xs = [X_0, ..., X_L]`` with per-sample step ``t``."""
    Zj = _pre(network, xs, j)
    Dn = layer_residual(problem, j + 1, _pre(network, xs, j + 1), xs[j + 1])
    return x_step(problem, j, xs[j], Zj, Dn, network.weights[j], t, network.operator(j + 1))


def extrapolate(value, previous, beta: float):
    r"""The inertial point :math:`u + \beta(u - u^{\mathrm{prev}})` (in ``value``'s dtype)."""
    return value + value.dtype.type(beta) * (value - previous)


def momentum_weight(kind: str, t: float, beta: float) -> tuple[float, float]:
    r"""``(t_next, beta_k)`` of the accelerated methods: Nesterov/FISTA or heavy-ball.

    ``"nesterov"``: :math:`t_{k+1} = (1 + \sqrt{1 + 4t_k^2})/2`, :math:`\beta_k = (t_k - 1)/t_{k+1}`;
    ``"heavy_ball"``: :math:`\beta_k = \beta` (and :math:`t` unchanged).

    >>> momentum_weight("nesterov", 1.0, 0.5)
    (1.618033988749895, 0.0)
    >>> momentum_weight("heavy_ball", 1.0, 0.5)
    (1.0, 0.5)
    """
    if kind == "nesterov":
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        return t_next, (t - 1.0) / t_next
    return t, beta


def theta_block(problem: LiftedProblem, network: Network, inputs, targets, *, step_scale: float,
                norm_method: str = "power", factor: float = 1.0, inertia: tuple | None = None) -> Network:
    r"""The :math:`\Theta` block of (17a): every layer's step at once (they do not interact for fixed inputs).

    Layer :math:`l` steps on :math:`\frac{\lambda_l}{s}\sum_i B_{\Psi_l}(t_l^i, f(u_{l-1}^i, \Theta_l))` with
    ``inputs[l-1]`` = :math:`u_{l-1}` and ``targets[l-1]`` = :math:`t_l` (:math:`X_{l-1}`, :math:`X_l` in (17);
    the residual network's increments in Section 7), step :func:`theta_step_size`.  ``inertia`` as in
    :func:`forward_sweep`.  Returns the new network.
    """
    s = inputs[0].shape[0]
    Ws, bs = [], []
    for l in range(1, problem.n_layers + 1):
        op = network.operator(l)
        eta = theta_step_size(problem, l, input_norm_sq(op, inputs[l - 1], method=norm_method), s, step_scale,
                              factor=factor, positions=_positions(op))
        W, b = network.weights[l - 1], network.biases[l - 1]
        if inertia is not None:
            prev, beta = inertia
            W, b = extrapolate(W, prev["weights"][l - 1], beta), extrapolate(b, prev["biases"][l - 1], beta)
        W, b, _ = theta_step(problem.activations[l - 1], problem.lambdas[l - 1], W, b, inputs[l - 1],
                             targets[l - 1], eta, operator=op, penalty=step_penalty(problem, l))
        Ws.append(W)
        bs.append(b)
    return Network(tuple(Ws), tuple(bs), network.activations, network.layers)


def forward_sweep(problem: LiftedProblem, network: Network, xs, *, scheme: str = "gauss_seidel",
                  step_scale: float = 1.99, norm_method: str = "power", theta_factor: float = 1.0,
                  inertia: tuple | None = None) -> tuple[Network, list]:
    r"""One proximal gradient step (17) from ``xs = [X_0, X_1, ..., X_{L-1}, Y]``: the :math:`\Theta` block, then X.

    ``scheme="gauss_seidel"`` takes the :math:`x`-steps at the new :math:`\Theta` with the newest :math:`x_{j-1}`;
    ``"jacobi"`` takes every step at the old point.  ``inertia = (previous, beta)``, ``previous`` a dict with
    the last iterate's ``weights``, ``biases`` and ``hidden``, takes each block step from the block's
    extrapolation :math:`u + \beta(u - u^{\mathrm{prev}})` (iPALM, :mod:`bregnet.solvers.inertial_bcd`).
    Returns the new network and ``[X_1, ..., X_{L-1}]``.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> from bregnet.lifted import lifted_energy
    >>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=8)
    >>> prob = LiftedProblem.from_network(net)
    >>> xs = [X, *forward_hidden(net, X), Y]
    >>> net2, hidden = forward_sweep(prob, net, xs)
    >>> bool(lifted_energy(prob, net2, [X, *hidden, Y]) < lifted_energy(prob, net, xs))
    True
    """
    if inertia is not None and scheme != "gauss_seidel":
        raise ValueError("forward_sweep: inertia needs scheme='gauss_seidel'")
    L = problem.n_layers
    new_net = theta_block(problem, network, xs[:L], xs[1:], step_scale=step_scale, norm_method=norm_method,
                          factor=theta_factor, inertia=inertia)
    gauss_seidel = scheme == "gauss_seidel"
    at = new_net if gauss_seidel else network
    new_xs = list(xs)
    src = new_xs if gauss_seidel else xs
    for j in range(1, L):                      # (17b)
        t = x_step_size(problem, j, layer_norm_sq(at.operator(j + 1), at.weights[j], method=norm_method), step_scale)
        if inertia is not None:
            src[j] = extrapolate(src[j], inertia[0]["hidden"][j - 1], inertia[1])
        new_xs[j] = x_block_step(problem, at, src, j, t)
    return new_net, new_xs[1:L]


def warm_start_vectors(network: Network) -> dict:
    r"""Zero start vectors (= the default start) for the power iterations of Algorithm 1's step sizes.

    ``{"vx": [v_0, ..., v_{L-1}], "vw": [w_1, ..., w_L]}`` with :math:`v_l \in \mathbb R^{n_l}` for
    :math:`\|X_l\|_2^2` (``v_0`` unused) and :math:`w_l \in \mathbb R^{n_l}` for :math:`\|W_l\|_2^2` (``w_1`` unused).
    For operator layers the vectors have the sizes of the operators' power iterations (``weight_map_vector_size + 1``
    for :func:`input_norm_sq`, ``norm_vector_size`` for :func:`layer_norm_sq`), and ``v_0`` is used (the patches
    of :math:`X_0` are no longer a small matrix).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> [v.shape for v in warm_start_vectors(glorot_init([3, 5, 2], ["relu", "identity"], seed=0))["vw"]]
    [(5,), (2,)]
    """
    if network.layers is not None:
        return {"vx": [np.zeros(op.weight_map_vector_size + 1) for op in network.layers],
                "vw": [np.zeros(op.norm_vector_size) for op in network.layers]}
    return {"vx": [np.zeros(W.shape[0]) for W in network.weights],
            "vw": [np.zeros(W.shape[1]) for W in network.weights]}


def sweep_change(before, after) -> float:
    r"""The relative change of the parameters over one sweep, :math:`\max_l \|\Theta_l^{n} - \Theta_l^{n-1}\|_F /
    \|\Theta_l^{n}\|_F` (:math:`\Theta_l = (W_l, b_l)`; a zero :math:`\Theta_l^n` counts its change absolutely).

    >>> import numpy as np
    >>> a = ([np.ones((2, 2))], [np.zeros(2)])
    >>> b = ([np.ones((2, 2)) * 1.1], [np.zeros(2)])
    >>> round(sweep_change(a, b), 6)
    0.090909
    """
    worst = 0.0
    for W0, b0, W1, b1 in zip(*before, *after):
        num = np.sqrt(np.sum((W1 - W0) ** 2) + np.sum((b1 - b0) ** 2))
        den = np.sqrt(np.sum(W1 ** 2) + np.sum(b1 ** 2))
        worst = max(worst, float(num / den) if den > 0 else float(num))
    return worst


def backward_sweeps(problem: LiftedProblem, network: Network, X0, Y, *, n_sweeps: int, prox_weight: float,
                    step_scale: float, warm: dict, tol: float = POWER_TOL, max_iter: int = POWER_MAX_ITER,
                    callback=None, sweep_tol: float = 0.0, stats: dict | None = None) -> tuple[Network, list]:
    r"""``n_sweeps`` sweeps :math:`\Theta_L, x_{L-1}, \dots, x_1, \Theta_1` on the batch problem (24) from a forward pass.

    The anchor :math:`\Theta^k` is ``network``; :math:`\rho` = ``prox_weight``.  ``warm`` (from
    :func:`warm_start_vectors`) holds the power iterations' start vectors and receives their final iterates.
    ``callback(n, weights, biases, hidden)`` is called after sweep ``n = 1..N``.  With ``sweep_tol > 0`` the
    sweeps stop early, after the first sweep whose :func:`sweep_change` is below ``sweep_tol`` (``n_sweeps``
    is then the most); ``stats``, if given, receives ``"sweeps"``, the number of sweeps made.  Returns the new
    network and the final ``[X_1, ..., X_{L-1}]``.
    """
    L = problem.n_layers
    B = X0.shape[0]
    c, rho = step_scale, prox_weight
    xs = [X0, *forward_hidden(network, X0), Y]                 # x_j = sigma_j(f(x_{j-1}, Theta_j^k))
    anchor_W, anchor_b = network.weights, network.biases      # Theta^k
    Ws, bs = [W.copy() for W in anchor_W], [b.copy() for b in anchor_b]
    vx, vw = warm["vx"], warm["vw"]
    ops = network.layers or (None,) * L                       # None: dense, X @ W + b
    nx = [0.0] * L
    if network.layers is None:                                 # dense: ||X_0||^2 from the default start
        nx[0] = spectral_norm_sq(X0, tol=tol, max_iter=max_iter)
    else:                                                      # operators: warm-started as the others
        nx[0], vx[0] = input_norm_sq(ops[0], X0, v0=vx[0], tol=tol, max_iter=max_iter, return_vector=True)
    for l in range(1, L):
        nx[l], vx[l] = input_norm_sq(ops[l], xs[l], tol=tol, max_iter=max_iter, return_vector=True)
    Z = [None] * (L + 1)                                       # cached Z_l = f(X_{l-1}, Theta_l)
    done = 0
    for n in range(n_sweeps):
        before = (list(Ws), list(bs))                          # the steps make new arrays: no copy needed
        for l in range(L, 0, -1):
            lam, act, op = problem.lambdas[l - 1], problem.activations[l - 1], ops[l - 1]
            if Z[l] is None:
                Z[l] = _affine(op, xs[l - 1], Ws[l - 1], bs[l - 1])
            eta = theta_step_size(problem, l, nx[l - 1], B, c, rho, positions=_positions(op))
            Ws[l - 1], bs[l - 1], _ = theta_step(act, lam, Ws[l - 1], bs[l - 1], xs[l - 1], xs[l], eta, Z=Z[l],
                                                 anchor=(anchor_W[l - 1], anchor_b[l - 1]), prox_weight=rho,
                                                 operator=op, penalty=step_penalty(problem, l))
            Z[l] = None
            if l == 1:
                continue
            j = l - 1                                          # x-step on x_j with the new Theta_{j+1}
            D_next = layer_residual(problem, l, _affine(op, xs[j], Ws[l - 1], bs[l - 1]), xs[l])
            Z[j] = _affine(ops[j - 1], xs[j - 1], Ws[j - 1], bs[j - 1])
            nw, vw[l - 1] = layer_norm_sq(op, Ws[l - 1], v0=vw[l - 1], tol=tol, max_iter=max_iter, return_vector=True)
            xs[j] = x_step(problem, j, xs[j], Z[j], D_next, Ws[l - 1], x_step_size(problem, j, nw, c), op)
            if n < n_sweeps - 1:                               # next used by Theta_{j+1} in sweep n + 1
                nx[j], vx[j] = input_norm_sq(ops[j], xs[j], v0=vx[j], tol=tol, max_iter=max_iter, return_vector=True)
        if callback is not None:
            callback(n + 1, Ws, bs, xs[1:L])
        done = n + 1
        if sweep_tol > 0 and sweep_change(before, (Ws, bs)) < sweep_tol:
            break
    if stats is not None:
        stats["sweeps"] = done
    return Network(tuple(Ws), tuple(bs), network.activations, network.layers), xs[1:L]
