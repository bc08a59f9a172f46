r"""The classical lifted network (Section 2.3.2, eq. (7)) and MAC-QP (Section 2.3.1, eq. (6)).

Both relax the constrained problem (5) with quadratic penalties on auxiliary variables
:math:`x_l^i` (:math:`l=1,\dots,L-1`), with :math:`z_l^i = W_l^\top x_{l-1}^i + b_l`,
:math:`x_0^i = x^i`:

.. math::
   E_{\mathrm{lifted}} &= \frac1s\sum_{i=1}^s\Bigl[\ell(y^i, z_L^i)
        + \sum_{l=1}^{L-1}\lambda_l\|x_l^i - z_l^i\|^2\Bigr],\quad x_l^i\ge0 \qquad (7)\\
   E_{\mathrm{MAC}} &= \frac1s\sum_{i=1}^s\Bigl[\ell(y^i, z_L^i)
        + \sum_{l=1}^{L-1}\lambda_l\|x_l^i - \sigma_l(z_l^i)\|^2\Bigr] \qquad (6)

(:math:`\lambda_l = 1` as printed).  The data term acts on :math:`f(x_{L-1},\Theta_L) = z_L`, as in
(6) and (7); here it is the Bregman output loss :math:`\ell(y, z_L) = B_{\Psi_L}(y, z_L)` of the
network's output activation (eq. (12)), which for the identity output is the paper's MSE
:math:`\tfrac12\|y-z_L\|^2` and for softmax the cross-entropy.  Its gradient in :math:`z_L` is
:math:`\sigma_L(z_L)-y` (Lemma 8).

**Algorithm: block coordinate descent.**  One epoch is one sweep: first every parameter block
:math:`\Theta_l` (they decouple given the auxiliary variables), then the auxiliary blocks
:math:`x_1,\dots,x_{L-1}` in order (Gauss-Seidel).

* Classical lifted (7): :math:`\Theta_l` is the exact least-squares fit of :math:`x_l` on
  :math:`[x_{l-1}, 1]` (and of :math:`y` for an identity output; otherwise ``theta_steps``
  gradient steps); :math:`x_l` takes ``x_steps`` projected gradient steps onto :math:`x\ge0`.
  ReLU hidden layers are required (the constraint :math:`x\ge0` is what plays the ReLU).
* MAC-QP (6): every block takes gradient steps; the penalty's gradient
  :math:`-2\lambda_l J_{\sigma_l}(z_l)^\top(x_l-\sigma_l(z_l))` needs the derivative of
  :math:`\sigma_l` (``activation.vjp``, with the activation's kink convention).

All gradient steps use backtracking (sufficient decrease
:math:`E(v^+) \le E(v) + \langle\nabla E(v), v^+-v\rangle + \|v^+-v\|^2/(2t)`), so the energy never
increases.  The auxiliary variables start at the forward pass of the initial network.

**Prediction rule.**  After training, the classical lifted network is used as the forward network
(1) with the trained weights and ReLU hidden activations, :math:`\mathcal N(x,\Theta)`; the same
for MAC-QP with the network's activations.  Its optimality condition in :math:`b_l` (eq. (8),
:math:`x_l = W_l^\top x_{l-1} + b_l`) says the lifted network fits affine maps between layers; the
Table 2 measure (:func:`bregnet.metrics.linear_activation_rate`) of the trained network shows it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..activations.rectifiers import ReLU
from ..bregman import bregman_loss
from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem, hidden_penalty, layer_residual, penalty_target
from ..network import Network
from ..solvers._common import check_hidden
from ..solvers.engine import History, Result, Solver, Task, params_state
from ..solvers.params import Interval, PositiveOrSequence
from .backprop import BregmanOutputLoss, check_data
from .optimisers import _QUIET, run_legacy

__all__ = ["ClassicalLifted", "MACQP", "LiftedHistory", "lifted_energy", "classical_lifted", "mac_qp"]

#: the history of a classical lifted / MAC-QP run: the engine's :class:`~bregnet.solvers.engine.History` with
#: the columns of :data:`bregnet.backprop.optimisers.TrainingHistory` plus ``energy`` (the lifted energy (7) or
#: (6)) and ``consistency`` (per hidden layer, the root-mean-square :math:`\|x_l - \sigma_l(z_l)\|` over
#: samples); the legacy functions add ``history.auxiliary``, the final :math:`x_1,\dots,x_{L-1}`
LiftedHistory = History


# ------------------------------------------------------------------------------ the energies
class _PenaltyEnergy:
    r"""The lifted energy (7) or (6) on parameters ``W, b`` and auxiliary variables ``xs`` (x_0 .. x_{L-1}).

    A view of :class:`bregnet.lifted.LiftedProblem` with the penalty ``"classical"`` or ``"mac"``: the printed
    :math:`\lambda_l\|r\|^2` is the problem's :math:`\tfrac{\lambda'_l}{2}\|r\|^2` with :math:`\lambda'_l = 2\lambda_l`
    (and :math:`\lambda'_L = 1` on the data term), so every value and gradient below is the lifted family's
    (:func:`bregnet.lifted.hidden_penalty`, :func:`~bregnet.lifted.layer_residual`,
    :func:`~bregnet.lifted.penalty_target`), written once there.
    """

    def __init__(self, kind, activations, Y, lam):
        penalty = "classical" if kind == "classical" else "mac"
        self.problem = LiftedProblem(tuple(activations), tuple(2.0 * v for v in lam) + (1.0,), penalty=penalty)
        self.act, self.Y, self.L = self.problem.activations, Y, len(activations)

    def z(self, W, b, xs, l):
        return xs[l - 1] @ W[l - 1] + b[l - 1]

    def _lam(self, l):
        return self.problem.lambdas[l - 1]

    def term(self, l, x_l, z_l):
        """Value of layer l's term summed over samples (l = L: the data term)."""
        if l == self.L:
            return float(np.sum(bregman_loss(self.act[-1], self.Y, z_l), dtype=np.float64))
        return self._lam(l) * float(np.sum(hidden_penalty(self.problem, l, x_l, z_l), dtype=np.float64))

    def dterm_dz(self, l, x_l, z_l):
        """Gradient of layer l's summed term in z_l."""
        return (1.0 if l == self.L else self._lam(l)) * layer_residual(self.problem, l, z_l,
                                                                         self.Y if l == self.L else x_l)

    def dterm_dx(self, l, x_l, z_l):
        """Gradient of hidden layer l's summed term in its own x_l."""
        return self._lam(l) * (x_l - penalty_target(self.problem, l, z_l))

    def energy(self, W, b, xs):
        s = self.Y.shape[0]
        total = 0.0
        for l in range(1, self.L + 1):
            total += self.term(l, xs[l] if l < self.L else None, self.z(W, b, xs, l))
        return total / s


def _descent(f_and_grad, v, step, n_steps, project=None):
    """``n_steps`` (projected) gradient steps on the list of arrays ``v`` with backtracking; returns (v, step)."""
    for _ in range(n_steps):
        fv, g = f_and_grad(v)
        while True:
            cand = [vi - step * gi for vi, gi in zip(v, g)]
            if project is not None:
                cand = [project(c) for c in cand]
            d = [c - vi for c, vi in zip(cand, v)]
            dd = sum(float(np.sum(di * di)) for di in d)
            if dd == 0.0:
                return v, step
            fc, _ = f_and_grad(cand, need_grad=False)
            bound = fv + sum(float(np.sum(gi * di)) for gi, di in zip(g, d)) + dd / (2 * step)
            if fc <= bound + 1e-12 * abs(fv):
                break
            step *= 0.5
            if step < 1e-30:
                return v, step
        v = cand
        step *= 2.0
    return v, step


def _lstsq(A, B):
    """Least-squares [W; b] for B ~ A W + b (min-norm; exact block minimiser)."""
    A1 = np.hstack([A, np.ones((A.shape[0], 1), dtype=A.dtype)])
    sol = np.linalg.lstsq(A1.astype(np.float64), B.astype(np.float64), rcond=None)[0]
    return sol[:-1].astype(A.dtype), sol[-1].astype(A.dtype)


def _check_penalty(penalty, L):
    lam = np.broadcast_to(np.asarray(penalty, dtype=float), (L - 1,)) if np.ndim(penalty) == 0 else np.asarray(penalty, dtype=float)
    if lam.shape != (L - 1,) or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise BregnetInputError(f"penalty must be a positive number or {L - 1} positive numbers (one per hidden layer); got {penalty!r}")
    return [float(v) for v in lam]


def lifted_energy(network: Network, X, Y, auxiliary, *, kind: str = "classical", penalty=1.0) -> float:
    r"""The lifted energy (7) (``kind="classical"``) or (6) (``kind="mac-qp"``) at given auxiliary variables.

    ``auxiliary`` lists :math:`x_1,\dots,x_{L-1}`, each of shape ``(s, n_l)``.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([2, 3, 1], ["relu", "identity"], seed=0)
    >>> X = np.array([[1.0, 2.0]]); zs, xs = net.forward_all(X)
    >>> lifted_energy(net, X, xs[-1], [xs[1]], kind="mac-qp")   # consistent and exact: 0
    0.0
    """
    X, Y = check_data(network, X, Y)
    if kind not in ("classical", "mac-qp"):
        raise BregnetInputError(f"kind must be 'classical' or 'mac-qp'; got {kind!r}")
    lam = _check_penalty(penalty, network.n_layers)
    aux = list(auxiliary)
    if len(aux) != network.n_layers - 1:
        raise BregnetInputError(f"auxiliary must list {network.n_layers - 1} arrays x_1..x_{{L-1}}; got {len(aux)}")
    xs = [X] + [np.asarray(a, dtype=network.dtype) for a in aux]
    for l in range(1, network.n_layers):
        if xs[l].shape != (X.shape[0], network.layer_sizes[l]):
            raise BregnetInputError(f"auxiliary x_{l} must have shape {(X.shape[0], network.layer_sizes[l])}; got {xs[l].shape}")
    prob = _PenaltyEnergy(kind, network.activations, Y, lam)
    return prob.energy(network.weights, network.biases, xs)


# ------------------------------------------------------------------------------ the solvers
@dataclass(frozen=True)
class ClassicalLifted(Solver):
    r"""The classical lifted network (7) (Askari et al., 2018) by block coordinate descent; see the module docstring.

    One epoch is one sweep: the parameter blocks :math:`\Theta_1, \dots, \Theta_L` (exact least squares, or
    ``theta_steps`` backtracking gradient steps for a non-identity output), then the auxiliary blocks
    :math:`x_1, \dots, x_{L-1}` (``x_steps`` projected gradient steps onto :math:`x \ge 0` each).  The state
    holds the parameters, the auxiliary variables (``hidden``) and the adaptive step sizes of the backtracking
    (``steps_theta``, ``steps_x``), so a resumed run continues exactly.

    Parameters
    ----------
    penalty : float or sequence of float
        :math:`\lambda_l > 0` (one per hidden layer, or one for all; 1 as printed in (7)).
    x_steps : int >= 1
        Projected gradient steps per auxiliary block per sweep.
    theta_steps : int >= 1
        Gradient steps for the parameter blocks that are not solved exactly.

    Examples
    --------
    >>> ClassicalLifted(penalty=[1.0, 2.0])
    ClassicalLifted(penalty=(1.0, 2.0), x_steps=5, theta_steps=5)
    """

    penalty: float | tuple = 1.0
    x_steps: int = 5
    theta_steps: int = 5

    name = "classical-lifted"
    objective = "objective"
    supports_l1 = False
    kind: ClassVar[str] = "classical"
    #: the penalty of the lifted family (bregnet.lifted.PENALTIES) whose energy this baseline minimises
    energy_penalty: ClassVar[str] = "classical"
    constraints = {"penalty": PositiveOrSequence("one per hidden layer"), "x_steps": Interval(1, None, integer=True),
                   "theta_steps": Interval(1, None, integer=True)}

    def check_task(self, task: Task) -> None:
        """At least one hidden layer, one penalty per hidden layer, ReLU hidden layers (7), targets in dom Psi_L."""
        L = task.problem.n_layers
        if L < 2:
            raise BregnetInputError("a lifted network needs at least one hidden layer (L >= 2)")
        _check_penalty(self.penalty, L)
        if self.kind == "classical":
            bad = [l for l in range(1, L) if not isinstance(task.problem.activations[l - 1], ReLU)]
            if bad:
                raise BregnetInputError(
                    f"the classical lifted network (7) constrains x_l >= 0, which plays the ReLU: hidden layers "
                    f"{bad} must use 'relu' (use mac_qp for other activations)")
        super().check_task(task)

    def _energy(self, task: Task) -> _PenaltyEnergy:
        lam = _check_penalty(self.penalty, task.problem.n_layers)
        return _PenaltyEnergy(self.kind, task.problem.activations, task.Y, lam)

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        """The parameters, the auxiliary variables (default: the forward pass) and unit step sizes."""
        hidden = [h.copy() for h in check_hidden(task.problem, network, task.X, hidden)]
        L = network.n_layers
        return {**params_state(network), "hidden": hidden, "steps_theta": [1.0] * L, "steps_x": [1.0] * (L - 1)}

    def update(self, task: Task, state: dict, rng) -> dict:
        """One sweep: every :math:`\\Theta_l`, then :math:`x_1, \\dots, x_{L-1}` in order (Gauss-Seidel)."""
        prob, L = self._energy(task), task.problem.n_layers
        W, b, xs = list(state["weights"]), list(state["biases"]), [task.X, *state["hidden"]]
        steps_theta, steps_x = list(state["steps_theta"]), list(state["steps_x"])
        with np.errstate(**_QUIET):
            for l in range(1, L + 1):
                steps_theta[l - 1] = self._theta_block(prob, W, b, xs, l, steps_theta[l - 1])
            for l in range(1, L):
                steps_x[l - 1] = self._x_block(prob, W, b, xs, l, steps_x[l - 1])
        return {"weights": tuple(W), "biases": tuple(b), "hidden": xs[1:], "steps_theta": steps_theta,
                "steps_x": steps_x}

    def _theta_block(self, prob: _PenaltyEnergy, W: list, b: list, xs: list, l: int, step: float) -> float:
        """Update :math:`\\Theta_l` in ``W``, ``b``: least squares where exact, else gradient steps; the new step."""
        L, s = prob.L, xs[0].shape[0]
        exact_output = self.kind == "classical" and prob.act[-1].name == "identity"
        if (self.kind == "classical" and l < L) or (l == L and exact_output):
            W[l - 1], b[l - 1] = _lstsq(xs[l - 1], xs[l] if l < L else prob.Y)
            return step
        x_l = xs[l] if l < L else None

        def fg(v, need_grad=True):
            z = xs[l - 1] @ v[0] + v[1]
            f = prob.term(l, x_l, z) / s
            if not need_grad:
                return f, None
            dz = prob.dterm_dz(l, x_l, z) / s
            return f, [xs[l - 1].T @ dz, np.sum(dz, axis=0)]

        (W[l - 1], b[l - 1]), step = _descent(fg, [W[l - 1], b[l - 1]], step, self.theta_steps)
        return step

    def _x_block(self, prob: _PenaltyEnergy, W: list, b: list, xs: list, l: int, step: float) -> float:
        """Update the auxiliary variables :math:`x_l` in ``xs`` by (projected) gradient steps; the new step."""
        x_next = xs[l + 1] if l + 1 < prob.L else None
        project = (lambda v: np.maximum(v, 0)) if self.kind == "classical" else None

        def fg(v, need_grad=True):
            x = v[0]
            z_own = prob.z(W, b, xs, l)
            z_next = x @ W[l] + b[l]
            f = prob.term(l, x, z_own) + prob.term(l + 1, x_next, z_next)
            if not need_grad:
                return f, None
            return f, [prob.dterm_dx(l, x, z_own) + prob.dterm_dz(l + 1, x_next, z_next) @ W[l].T]

        (xs[l],), step = _descent(fg, [xs[l]], step, self.x_steps, project)
        return step

    def diagnostics(self, task: Task, state: dict) -> dict:
        """The forward network's ``objective`` (= ``data_loss``, :math:`B_{\\Psi_L}(y, z_L)`), ``penalty`` 0, the
        lifted ``energy``, the ``consistency`` per hidden layer and the ``validation_loss``."""
        prob, net = self._energy(task), self.network(task, state)
        X, Y, act, s = task.X, task.Y, task.problem.activations, task.n_samples
        W, b, xs, loss = state["weights"], state["biases"], [X, *state["hidden"]], BregmanOutputLoss()
        with np.errstate(**_QUIET):
            zf, xf = net.forward_all(X)
            dl = float(np.sum(loss.per_sample(act[-1], Y, zf[-1], xf[-1]), dtype=np.float64)) / s
            row = {"objective": dl, "data_loss": dl, "penalty": 0.0, "energy": prob.energy(W, b, xs)}
            row["consistency"] = [float(np.sqrt(np.sum(r * r, dtype=np.float64) / s)) for r in
                                  (xs[l] - act[l - 1].prox(prob.z(W, b, xs, l)) for l in range(1, prob.L))]
            if task.X_val is not None:
                zv, xv = net.forward_all(task.X_val)
                row["validation_loss"] = float(np.sum(loss.per_sample(act[-1], task.Y_val, zv[-1], xv[-1]))) / \
                    task.X_val.shape[0]
        return row


@dataclass(frozen=True)
class MACQP(ClassicalLifted):
    r"""The method of auxiliary coordinates with quadratic penalty (6) (Carreira-Perpinan & Wang, 2014).

    The sweep of :class:`ClassicalLifted` with backtracking gradient steps on every block (``theta_steps`` per
    parameter block, ``x_steps`` per auxiliary block, no projection); the penalty's gradient needs
    :math:`\sigma_l'` through ``activation.vjp``.  Any registered activations.

    Examples
    --------
    >>> MACQP(x_steps=3).name
    'mac-qp'
    """

    name = "mac-qp"
    kind: ClassVar[str] = "mac-qp"
    energy_penalty: ClassVar[str] = "mac"


# ------------------------------------------------------------------------------ the functions
def _lifted(solver, network, X, Y, epochs, **kw) -> Result:
    res = run_legacy(solver, network, X, Y, epochs=epochs, **kw)
    res.history.auxiliary = [x.copy() for x in res.hidden]
    res.history.options.update(epochs=epochs, loss="bregman")
    return res


def classical_lifted(network: Network, X, Y, *, epochs: int = 50, penalty=1.0, x_steps: int = 5,
                     theta_steps: int = 5, callback=None, validation_data=None, checkpoint=None,
                     checkpoint_every: int = 1, resume: bool = False) -> Result:
    r"""Train the classical lifted network (7) (Askari et al., 2018) by block coordinate descent.

    ``run(ClassicalLifted(penalty=..., x_steps=..., theta_steps=...), ...)``.

    Parameters
    ----------
    network : Network
        Initial parameters; hidden layers must be ReLU (the constraint :math:`x_l\ge0`).  Not modified.
    X, Y : array_like, shapes (s, n_0), (s, n_L)
        Training data; ``Y`` in :math:`\operatorname{dom}\Psi_L` of the output activation.
    epochs : int
        Number of sweeps.
    penalty : float or sequence of float
        :math:`\lambda_l > 0` (one per hidden layer, or one for all; 1 as printed in (7)).
    x_steps : int
        Projected gradient steps per auxiliary block per sweep.
    theta_steps : int
        Gradient steps for the output block when its activation is not the identity (otherwise the
        block is solved exactly by least squares, as are all hidden blocks).
    callback, validation_data, checkpoint, checkpoint_every, resume
        As in :func:`bregnet.backprop.optimisers.gd_bp` (the checkpoint holds the auxiliary variables and
        step sizes: a resumed run continues exactly).

    Returns
    -------
    Result
        Unpacks as ``(network, history)``: the forward network with the trained weights (the prediction rule,
        see the module docstring) and the record, whose ``energy`` never increases; ``history.auxiliary``
        (and ``result.hidden``) are the final auxiliary variables.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(30, 4)); Y = X @ rng.normal(size=(4, 2))
    >>> net, hist = classical_lifted(glorot_init([4, 5, 2], ["relu", "identity"], seed=0), X, Y, epochs=20)
    >>> all(a >= b - 1e-12 for a, b in zip(hist.energy, hist.energy[1:]))
    True
    """
    return _lifted(ClassicalLifted(penalty=penalty, x_steps=x_steps, theta_steps=theta_steps), network, X, Y,
                   epochs, callback=callback, validation_data=validation_data, checkpoint=checkpoint,
                   checkpoint_every=checkpoint_every, resume=resume)


def mac_qp(network: Network, X, Y, *, epochs: int = 50, penalty=1.0, x_steps: int = 5, theta_steps: int = 5,
           callback=None, validation_data=None, checkpoint=None, checkpoint_every: int = 1,
           resume: bool = False) -> Result:
    r"""Train by the method of auxiliary coordinates with quadratic penalty (6) (Carreira-Perpinan & Wang, 2014).

    ``run(MACQP(...), ...)``: block coordinate descent with backtracking gradient steps on every block; needs
    :math:`\sigma_l'` through ``activation.vjp`` (kink convention of the activation).  Any registered
    activations.

    Parameters and return value as in :func:`classical_lifted` (``theta_steps`` applies to every
    parameter block).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(30, 4)); Y = np.tanh(X @ rng.normal(size=(4, 2)))
    >>> net, hist = mac_qp(glorot_init([4, 5, 2], ["tanh", "identity"], seed=0), X, Y, epochs=20)
    >>> hist.energy[-1] < hist.energy[0]
    True
    """
    return _lifted(MACQP(penalty=penalty, x_steps=x_steps, theta_steps=theta_steps), network, X, Y, epochs,
                   callback=callback, validation_data=validation_data, checkpoint=checkpoint,
                   checkpoint_every=checkpoint_every, resume=resume)
