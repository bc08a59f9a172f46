r"""Reference trajectories of the lifted solvers, for step-by-step cross-checks of other implementations.

A fixed tiny problem — the network 4-3-3-2 with activations relu, relu, identity (Glorot, seed 0,
biases 0.1), a batch of 5 samples, :math:`\lambda = 1` — and the iterates of

* ``"algorithm1"``: one mini-batch step of Algorithm 1 (Section 4.2.3; :math:`N = 5` sweeps,
  :math:`\rho = 1`, :math:`c = 1.99`), entry 0 = start (forward-pass auxiliary variables), entry :math:`n` =
  :math:`\Theta` and :math:`\mathbf X` after sweep :math:`n` (:func:`bregnet.solvers.implicit_stochastic.lbn_batch_numpy`);
* ``"proximal_gradient"``: five lifted proximal gradient steps (17), Gauss-Seidel order
  (:func:`bregnet.solvers.proximal_gradient.proximal_gradient_step`);
* ``"admm_theta"``: five ADMM iterations (39) on the subproblem (37a) of layer 2 (``W, b, Z, M``);
* ``"admm_x"``: five ADMM iterations of Appendix B.2 on the subproblem (37b) of layer 1 (``X, V, Z, M1, M2``);
* ``"admm_sweep"``: one odd/even coordinate-descent sweep (36)-(37) whose block problems are solved by
  three ADMM iterations each (no safeguard), iterates after the blocks theta, x_odd, x_even.

All step sizes use exact spectral norms.  The data (inputs, initial parameters and every option) are
in the versioned file ``data/reference_trajectories_v1.json``, written by
``scripts/make_reference_trajectories.py``.  Variables are named ``W1, b1, ..., X1, X2`` (batch-first:
``W_l`` has shape ``(n_{l-1}, n_l)``, ``X_j`` shape ``(5, n_j)``).

Examples
--------
>>> from bregnet.testing.reference_trajectories import load_reference, compare_trajectory
>>> ref = load_reference()
>>> sorted(ref["trajectories"])
['admm_sweep', 'admm_theta', 'admm_x', 'algorithm1', 'proximal_gradient']
>>> its = [{k: np.array(v) for k, v in it.items()} for it in ref["trajectories"]["proximal_gradient"]["iterates"]]
>>> compare_trajectory("proximal_gradient", its).ok
True
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["REFERENCE_VERSION", "reference_path", "reference_problem", "generate_reference_trajectories",
           "load_reference", "compare_trajectory", "TrajectoryComparison"]

REFERENCE_VERSION = 1
_SIZES = (4, 3, 3, 2)
_ACTS = ("relu", "relu", "identity")
_BATCH = 5
_SEED = 0


def reference_path(version: int = REFERENCE_VERSION) -> str:
    """Path of the committed reference file of the given version."""
    return os.path.join(os.path.dirname(__file__), "data", f"reference_trajectories_v{int(version)}.json")


def reference_problem():
    """``(network, X, Y)`` of the reference problem (also stored in the file for other frameworks)."""
    from ..network import glorot_init
    net = glorot_init(_SIZES, list(_ACTS), seed=_SEED, bias=0.1)
    rng = np.random.default_rng(_SEED + 1)
    X = rng.normal(size=(_BATCH, _SIZES[0]))
    Y = rng.normal(size=(_BATCH, _SIZES[-1]))
    return net, X, Y


def _snap(weights, biases, hidden) -> dict:
    d = {}
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        d[f"W{l}"] = np.array(W, dtype=np.float64).tolist()
        d[f"b{l}"] = np.array(b, dtype=np.float64).tolist()
    for j, h in enumerate(hidden, start=1):
        d[f"X{j}"] = np.array(h, dtype=np.float64).tolist()
    return d


def _trajectory_algorithm1(prob, net, X, Y) -> dict:
    """Algorithm 1, one mini-batch step: the start and the iterates after each inner sweep."""
    from ..lifted import forward_hidden
    from ..solvers.implicit_stochastic import lbn_batch_numpy

    opts = {"n_inner": 5, "prox_weight": 1.0, "step_scale": 1.99, "spectral_norms": "exact"}
    its = [_snap(net.weights, net.biases, forward_hidden(net, X))]
    lbn_batch_numpy(prob, net, X, Y, n_inner=5, prox_weight=1.0, step_scale=1.99, tol=0.0, max_iter=20000,
                    callback=lambda n, Ws, bs, hs: its.append(_snap(Ws, bs, hs)))
    return {"description": "Algorithm 1, one mini-batch step; entry n = after inner sweep n "
                           "(order Theta_L, x_{L-1}, Theta_{L-1}, ..., x_1, Theta_1)",
            "options": opts, "iterates": its}


def _trajectory_proximal_gradient(prob, net, X, Y) -> dict:
    """Five lifted proximal gradient steps (17), Gauss-Seidel order, from the forward pass."""
    from ..lifted import forward_hidden
    from ..solvers.proximal_gradient import proximal_gradient_step

    hidden = forward_hidden(net, X)
    n = net
    its = [_snap(n.weights, n.biases, hidden)]
    for _ in range(5):
        n, hidden = proximal_gradient_step(prob, n, [X, *hidden, Y], scheme="gauss_seidel", step_scale=1.99,
                                           norm_method="exact")
        its.append(_snap(n.weights, n.biases, hidden))
    return {"description": "lifted proximal gradient (17), Gauss-Seidel order, from the "
                           "forward-pass auxiliary variables; entry k = after step k",
            "options": {"scheme": "gauss_seidel", "step_scale": 1.99,
                        "spectral_norms": "exact"}, "iterates": its}


def _trajectory_admm_theta(prob, net, xs, rng) -> dict:
    """ADMM (39) on (37a), layer 2, towards a perturbed target drawn from ``rng``."""
    from ..solvers.admm import admm_theta

    X2 = np.maximum(xs[2] + 0.3 * rng.normal(size=xs[2].shape), 0)       # a non-trivial target for layer 2
    its = []
    st0 = admm_theta(prob.activations[1], xs[1], X2, net.weights[1], net.biases[1], n_iter=0)
    its.append({"W": st0.W.tolist(), "b": st0.b.tolist(), "Z": st0.Z.tolist(), "M": st0.M.tolist()})
    admm_theta(prob.activations[1], xs[1], X2, net.weights[1], net.biases[1], delta=1.0, tau=0.1, n_iter=5,
               callback=lambda j, s: its.append({"W": s.W.tolist(), "b": s.b.tolist(), "Z": s.Z.tolist(),
                                                 "M": s.M.tolist()}))
    return {"description": "ADMM (39) with the tau-term on subproblem (37a) of layer 2, "
                           "X_{l-1} = X1 (forward pass), X_l = X2_target; entry 0 = start",
            "options": {"layer": 2, "delta": 1.0, "tau": 0.1, "X1": xs[1].tolist(),
                        "X2_target": X2.tolist()}, "iterates": its}


def _trajectory_admm_x(prob, net, X, xs, rng) -> dict:
    """ADMM of Appendix B.2 on (37b), layer 1, from a perturbed start drawn from ``rng``."""
    from ..solvers.admm import admm_x

    A = X @ net.weights[0] + net.biases[0]
    X1 = np.maximum(xs[1] + 0.3 * rng.normal(size=xs[1].shape), 0)
    its = []
    s0 = admm_x(prob, 1, X1, A, xs[2], net.weights[1], net.biases[1], n_iter=0)

    def xsnap(s):
        return {"X": s.X.tolist(), "V": s.V.tolist(), "Z": s.Z.tolist(), "M1": s.M1.tolist(), "M2": s.M2.tolist()}

    its.append(xsnap(s0))
    admm_x(prob, 1, X1, A, xs[2], net.weights[1], net.biases[1], delta=1.0, n_iter=5,
           callback=lambda j, s: its.append(xsnap(s)))
    return {"description": "ADMM with v-splitting (Appendix B.2) on subproblem (37b) of layer 1 "
                           "(a = f(X0, Theta_1), y = X2 of the forward pass, Theta_2); entry 0 = start",
            "options": {"layer": 1, "delta": 1.0, "X1_start": X1.tolist()}, "iterates": its}


def _trajectory_admm_sweep(prob, net, X, Y, hidden) -> dict:
    """One odd/even coordinate-descent sweep with ADMM blocks: start, after theta, x_odd, x_even."""
    from ..solvers.coordinate_descent import coordinate_descent_sweep

    its = [_snap(net.weights, net.biases, hidden)]
    coordinate_descent_sweep(prob, net, [X, *hidden, Y], scheme="odd_even", inner="admm", n_inner=3, delta=1.0,
                             tau=0.1, monotone=False,
                             callback=lambda name, n_, hs: its.append(_snap(n_.weights, n_.biases, hs)))
    return {"description": "one odd/even coordinate-descent sweep (36)-(37), every block problem "
                           "solved by 3 ADMM iterations from the current values; entries: start, "
                           "after theta, after x_odd, after x_even",
            "options": {"scheme": "odd_even", "n_inner": 3, "delta": 1.0, "tau": 0.1},
            "iterates": its}


def generate_reference_trajectories() -> dict:
    """Compute the reference data (the content of the versioned file) with the current bregnet."""
    from ..lifted import LiftedProblem, forward_hidden

    net, X, Y = reference_problem()
    prob = LiftedProblem.from_network(net)
    L = net.n_layers
    traj = {"algorithm1": _trajectory_algorithm1(prob, net, X, Y),
            "proximal_gradient": _trajectory_proximal_gradient(prob, net, X, Y)}
    hidden = forward_hidden(net, X)
    xs = [X, *hidden, Y]
    rng = np.random.default_rng(_SEED + 2)                   # shared: admm_theta draws first, then admm_x
    traj["admm_theta"] = _trajectory_admm_theta(prob, net, xs, rng)
    traj["admm_x"] = _trajectory_admm_x(prob, net, X, xs, rng)
    traj["admm_sweep"] = _trajectory_admm_sweep(prob, net, X, Y, hidden)
    return {
        "version": REFERENCE_VERSION,
        "paper": "Wang & Benning, Lifted Bregman Training of Neural Networks (JMLR 2023)",
        "problem": {"layer_sizes": list(_SIZES), "activations": list(_ACTS), "lambdas": [1.0] * L,
                    "W0": [W.tolist() for W in net.weights], "b0": [b.tolist() for b in net.biases],
                    "X": X.tolist(), "Y": Y.tolist(),
                    "conventions": "batch-first; Z_l = X_{l-1} W_l + b_l; energies are means over samples"},
        "trajectories": traj,
    }


def load_reference(version: int = REFERENCE_VERSION) -> dict:
    """The committed reference data of the given version."""
    with open(reference_path(version), encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class TrajectoryComparison:
    """Result of :func:`compare_trajectory`: ``ok``, or the first divergence (iteration, variable, max abs diff)."""

    name: str
    ok: bool
    iteration: int | None = None
    variable: str | None = None
    max_abs_diff: float = 0.0
    n_iterations: int = 0

    def __str__(self) -> str:
        if self.ok:
            return f"{self.name}: {self.n_iterations} iterations agree (max abs diff {self.max_abs_diff:.3g})"
        return (f"{self.name}: first divergence at iteration {self.iteration}, variable {self.variable!r}, "
                f"max abs diff {self.max_abs_diff:.3g}")


def compare_trajectory(name: str, iterates, *, rtol: float = 1e-6, atol: float = 1e-9,
                       reference: dict | None = None) -> TrajectoryComparison:
    r"""Compare a user's iterates with the reference trajectory ``name``; report the first divergence.

    Parameters
    ----------
    name : str
        ``"algorithm1"``, ``"proximal_gradient"``, ``"admm_theta"``, ``"admm_x"`` or ``"admm_sweep"``.
    iterates : sequence of mappings
        One mapping per iteration (entry 0 = start), variable name -> array (e.g. a NumPy array, or a
        PyTorch tensor converted with ``.numpy()``); variables not given are not compared.
    rtol, atol : float
        An entry agrees when :math:`|a - r| \le \text{atol} + \text{rtol}|r|`.
    reference : dict, optional
        Reference data (default: the committed file, :func:`load_reference`).

    Returns
    -------
    TrajectoryComparison
        ``ok`` True if all given iterations and variables agree; otherwise the first iteration (in order,
        variables in the reference's order) that does not, the variable and its largest absolute difference.
        A wrong number of iterations is reported as variable ``"<length>"``.

    Examples
    --------
    >>> ref = load_reference()
    >>> its = [{k: np.array(v) for k, v in it.items()} for it in ref["trajectories"]["algorithm1"]["iterates"]]
    >>> its[3]["X1"] = its[3]["X1"] + 1e-3
    >>> r = compare_trajectory("algorithm1", its)
    >>> r.ok, r.iteration, r.variable
    (False, 3, 'X1')
    """
    ref = load_reference() if reference is None else reference
    if name not in ref["trajectories"]:
        raise KeyError(f"no reference trajectory {name!r}; available: {sorted(ref['trajectories'])}")
    ref_its = ref["trajectories"][name]["iterates"]
    its = list(iterates)
    worst = 0.0
    for k, (r_it, u_it) in enumerate(zip(ref_its, its)):
        common = [v for v in r_it if v in u_it]
        if not common:
            return TrajectoryComparison(name, False, k, "<no variables>", np.inf, len(its))
        for v in common:
            r = np.asarray(r_it[v], dtype=np.float64)
            u = np.asarray(u_it[v], dtype=np.float64)
            if u.shape != r.shape:
                return TrajectoryComparison(name, False, k, v, np.inf, len(its))
            diff = np.abs(u - r)
            m = float(np.max(diff)) if diff.size else 0.0
            if not np.all(diff <= atol + rtol * np.abs(r)):
                return TrajectoryComparison(name, False, k, v, m if np.isfinite(m) else np.inf, len(its))
            worst = max(worst, m)
    if len(its) != len(ref_its):
        return TrajectoryComparison(name, False, min(len(its), len(ref_its)), "<length>", np.inf, len(its))
    return TrajectoryComparison(name, True, None, None, worst, len(its))
