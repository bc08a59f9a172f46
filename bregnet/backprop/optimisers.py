r"""First-order baselines with back-propagation (Section 2.2, eq. (3); Section 4.2.3, eq. (20)-(22); Section 6).

All minimise the training objective of :mod:`bregnet.backprop.backprop`,
:math:`F(\Theta) = \frac1s\sum_i f_i(\Theta)`, :math:`f_i = \ell(y^i, z_L^i) + \alpha\|x_k^i\|_1`,
with gradients from Algorithm 2:

* :class:`GDBP` / :func:`gd_bp`   GD-BP, full-batch (sub)gradient descent (3):
  :math:`\Theta^{k+1} = \Theta^k - \tau\nabla F(\Theta^k)`, one step per epoch.
* :class:`SGDBP` / :func:`sgd_bp`  SGD-BP, mini-batch stochastic (sub)gradient descent (20):
  :math:`\Theta^{k+1} = \Theta^k - \frac{\tau}{|B_p|}\sum_{i\in B_p}\nabla f_i(\Theta^k)`, the
  batches :math:`B_p` a fresh random partition of the samples every epoch.
* :class:`ISGDBP` / :func:`isgd_bp` ISGD-BP, implicit SGD (22):
  :math:`\Theta^{k+1} = \arg\min_\Theta \frac1{|B_p|}\sum_{i\in B_p} f_i(\Theta) + \frac1{2\tau^k}\|\Theta-\Theta^k\|^2`,
  the inner problem solved approximately by ``inner_steps`` = :math:`N` GD-BP steps from
  :math:`\Theta^k` (Section 6.3: "solving the inner problem with GD-BP for N iterations").
* :class:`AdamBP` / :func:`adam_bp` Adam (Kingma & Ba, 2015) with back-propagation: **not in the paper**, an
  extra reference point only.

Each is a solver of the training engine :mod:`bregnet.solvers.engine` (hyperparameters validated when built,
``init``/``update``/``diagnostics`` on an explicit state: the parameters, and Adam's moments and step count),
so :func:`bregnet.solvers.engine.run` gives them the same history, callbacks, divergence checks and exact
checkpoints as the lifted solvers.  The :math:`\ell_1` term is the run's ``l1 = (layer, alpha)``
(:class:`bregnet.lifted.CodeRegulariser`).  The functions :func:`gd_bp`, ... keep their signatures and return
the engine's :class:`~bregnet.solvers.engine.Result`, which unpacks as ``(trained_network, history)``.
Randomness (batch order) comes only from ``seed`` or ``rng`` (a :class:`numpy.random.Generator`).  A
non-finite objective, gradient or parameter raises :class:`~bregnet.exceptions.DivergenceError`.

Examples
--------
>>> from bregnet.network import glorot_init
>>> from bregnet.solvers.engine import run
>>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
>>> res = run(SGDBP(lr=0.1, batch_size=8), glorot_init([3, 1], "identity", seed=0), X, Y, epochs=30, seed=0)
>>> bool(res.history.objective[-1] < 1e-3 * res.history.objective[0])
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from ..exceptions import BregnetInputError, DivergenceError
from ..network import Network
from ..solvers.engine import History, Result, Solver, Task, params_state, run
from ..solvers.params import BOOLEAN, InstanceOf, Interval, OneOf
from .backprop import LOSS_NAMES, L1Penalty, OutputLoss, _backprop, get_loss

__all__ = ["GDBP", "SGDBP", "ISGDBP", "AdamBP", "TrainingHistory", "gd_bp", "sgd_bp", "isgd_bp", "adam_bp",
           "SOLVERS"]

#: the history of a baseline run: the engine's :class:`~bregnet.solvers.engine.History` (columns ``epoch``,
#: ``wall_time``, ``objective``, ``data_loss``, ``penalty``, ``validation_loss`` with validation data, and
#: ``callback`` with a legacy callback)
TrainingHistory = History

#: floating-point conditions of a diverging run, reported by DivergenceError rather than warnings
_QUIET = {"over": "ignore", "invalid": "ignore", "under": "ignore", "divide": "ignore"}
_POSITIVE = Interval(0, None, closed="neither")


#: the declared constraint of an output loss: a name or an :class:`OutputLoss`
_LOSS = (OneOf(LOSS_NAMES), InstanceOf(OutputLoss))


# ----------------------------------------------------------------------------------- the common part
@dataclass(frozen=True)
class _Backprop(Solver):
    r"""Base of the back-propagation baselines: the objective :math:`F` of (2)/(26), its gradient, the history row.

    ``loss`` is a name of :func:`~bregnet.backprop.backprop.get_loss` or an :class:`OutputLoss`.  The update is the explicit
    (sub)gradient step :math:`\Theta \leftarrow \Theta - \tau\nabla F_B(\Theta)` on every batch :math:`B` of
    :meth:`_batches` (all samples here: GD-BP (3); mini-batches in :class:`SGDBP`: (20)).
    """

    loss: str | OutputLoss = "mse"

    objective: ClassVar[str] = "objective"
    step_option: ClassVar[str] = "lr"
    needs_l1_prox: ClassVar[bool] = False       # back-propagation takes a subgradient of alpha|x_c|_1
    diagnostics_from_parameters: ClassVar[bool] = True
    supports_operators: ClassVar[bool] = True           # operator layers (convolutions) by their adjoints
    constraints = {"loss": _LOSS}

    def check_task(self, task: Task) -> None:
        """The targets must suit the loss (dom Psi_L for ``"bregman"``; anything for ``"mse"``)."""
        loss, out = get_loss(self.loss), task.problem.activations[-1]
        loss.check_targets(out, task.Y)
        if task.Y_val is not None:
            loss.check_targets(out, task.Y_val)

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        if hidden is not None:
            raise BregnetInputError(f"{self.name} has no auxiliary variables; do not pass hidden")
        return params_state(network)

    def _gradient(self, task: Task, W, b, Xb, Yb):
        """``(objective, gW, gb)`` of :math:`F` on a batch by Algorithm 2; DivergenceError if not finite."""
        with np.errstate(**_QUIET):
            obj, _, _, gW, gb, _, _ = _backprop(W, b, task.problem.activations, Xb, Yb, get_loss(self.loss),
                                                _penalty(task), layers=task.problem.layers)
            finite = np.isfinite(obj) and all(np.all(np.isfinite(g)) for g in gW + gb)
        if not finite:
            raise DivergenceError(f"{self.name}: the batch objective or its gradient became non-finite; the step "
                                  f"size is probably too large (lower {self.step_option}: it is "
                                  f"{getattr(self, self.step_option)!r})")
        return obj, gW, gb

    def _batches(self, task: Task, rng):
        """The batches of one epoch: all samples once (GD-BP)."""
        yield task.X, task.Y

    def update(self, task: Task, state: dict, rng) -> dict:
        W, b = list(state["weights"]), list(state["biases"])
        t = W[0].dtype.type(self.lr)
        for Xb, Yb in self._batches(task, rng):
            _, gW, gb = self._gradient(task, W, b, Xb, Yb)
            for l in range(len(W)):
                W[l] = W[l] - t * gW[l]
                b[l] = b[l] - t * gb[l]
        return {**state, "weights": tuple(W), "biases": tuple(b)}

    def diagnostics(self, task: Task, state: dict) -> dict:
        """``objective`` :math:`F(\\Theta)`, its ``data_loss`` and ``penalty``; ``validation_loss`` (data loss)."""
        W, b, act, loss = state["weights"], state["biases"], task.problem.activations, get_loss(self.loss)
        with np.errstate(**_QUIET):
            obj, dl, pen, *_ = _backprop(W, b, act, task.X, task.Y, loss, _penalty(task), need_grad=False,
                                         layers=task.problem.layers)
            row = {"objective": float(obj), "data_loss": float(dl), "penalty": float(pen)}
            if task.X_val is not None:
                row["validation_loss"] = float(_backprop(W, b, act, task.X_val, task.Y_val, loss, None,
                                                         need_grad=False, layers=task.problem.layers)[1])
        return row


def _penalty(task: Task):
    """The run's :math:`\\alpha\\|x_k\\|_1` (a CodeRegulariser), None without one or with :math:`\\alpha = 0`."""
    reg = task.problem.regulariser
    return reg if reg is not None and reg.alpha > 0 else None


# ----------------------------------------------------------------------------------- GD-BP (3)
@dataclass(frozen=True)
class GDBP(_Backprop):
    r"""GD-BP: full-batch (sub)gradient descent (3), :math:`\Theta^{k+1} = \Theta^k - \tau\nabla F(\Theta^k)`.

    Parameters
    ----------
    lr : float > 0
        The step size :math:`\tau_\Theta` (default 0.1, which learns on standardised data; the paper's printed
        values are the preset ``"paper"`` of :mod:`bregnet.presets`).
    loss : ``"mse"``, ``"bregman"`` or OutputLoss

    Examples
    --------
    >>> GDBP(lr=0.2)
    GDBP(loss='mse', lr=0.2)
    """

    lr: float = 0.1

    name = "gd-bp"
    constraints = {**_Backprop.constraints, "lr": _POSITIVE}


# ----------------------------------------------------------------------------------- SGD-BP (20)
@dataclass(frozen=True)
class SGDBP(_Backprop):
    r"""SGD-BP: mini-batch stochastic (sub)gradient descent (20).

    :math:`\Theta^{k+1} = \Theta^k - \frac{\tau}{|B_p|}\sum_{i\in B_p}\nabla f_i(\Theta^k)` for the batches
    :math:`B_p` of a random partition of the samples, drawn afresh every epoch from the run's generator (the
    last batch is smaller when ``batch_size`` does not divide ``s``).

    Parameters
    ----------
    lr : float > 0
        :math:`\tau` (default 0.1; the paper prints :math:`10^{-3}`, Section 6.1, which fits a loss summed over
        the batch: ``docs/errata.md``; preset ``"paper"``).
    batch_size : int >= 1
        :math:`|B_p|`.
    shuffle : bool
        ``False`` keeps the batches in data order (deterministic).
    loss : ``"mse"``, ``"bregman"`` or OutputLoss
    """

    lr: float = 0.1
    batch_size: int = 100
    shuffle: bool = True

    name = "sgd-bp"
    stochastic = True
    constraints = {**_Backprop.constraints, "lr": _POSITIVE, "batch_size": Interval(1, None, integer=True),
                   "shuffle": BOOLEAN}

    def _batches(self, task: Task, rng):
        """The mini-batches :math:`B_p` of one epoch (a permutation from ``rng`` when shuffling)."""
        s = task.n_samples
        order = rng.permutation(s) if self.shuffle else np.arange(s)
        for start in range(0, s, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield task.X[idx], task.Y[idx]


# ----------------------------------------------------------------------------------- ISGD-BP (22)
@dataclass(frozen=True)
class ISGDBP(SGDBP):
    r"""ISGD-BP: implicit stochastic (sub)gradient descent (22) with an inner GD-BP loop.

    For every mini-batch :math:`B_p`,

    .. math::  \Theta^{k+1} \approx \arg\min_\Theta\ \frac1{|B_p|}\sum_{i\in B_p} f_i(\Theta)
               + \frac1{2\tau^k}\|\Theta - \Theta^k\|^2 \qquad (22)

    computed by ``inner_steps`` = :math:`N` gradient steps
    :math:`\Theta^{n+1} = \Theta^n - \eta\bigl(\nabla F_{B_p}(\Theta^n) + (\Theta^n-\Theta^k)/\tau^k\bigr)`
    from :math:`\Theta^0 = \Theta^k` (Section 6.3).  With :math:`\eta < 2/(\mathrm{Lip}+1/\tau^k)` on a convex
    problem the inner iterates converge to the minimiser of (22).

    Parameters
    ----------
    prox_step : float > 0
        The proximal step :math:`\tau^k` of (22), the term :math:`\|\Theta - \Theta^k\|^2/(2\tau^k)` (Section 6.3
        uses 0.5 and 1; earlier name ``tau``).
    lr : float > 0
        The inner GD-BP step :math:`\eta` (default 0.1; the paper's "learning rate" is :math:`10^{-3}` or
        :math:`4\cdot10^{-4}`, preset ``"paper"``).
    inner_steps : int >= 1
        :math:`N` (15 or 30 in Section 6.3).
    batch_size, shuffle, loss : as in :class:`SGDBP`.
    """

    lr: float = 0.1
    prox_step: float = 1.0
    inner_steps: int = 15

    name = "isgd-bp"
    renamed = {"tau": "prox_step"}
    constraints = {**SGDBP.constraints, "prox_step": _POSITIVE, "inner_steps": Interval(1, None, integer=True)}

    def update(self, task: Task, state: dict, rng) -> dict:
        W, b = state["weights"], state["biases"]
        for Xb, Yb in self._batches(task, rng):
            W, b = self._implicit_step(task, Xb, Yb, W, b)
        return {**state, "weights": tuple(W), "biases": tuple(b)}

    def _implicit_step(self, task: Task, Xb, Yb, W0, b0):
        r"""One step of (22): :math:`N` GD steps on :math:`F_B(\Theta) + \|\Theta-\Theta^k\|^2/(2\tau)` from :math:`\Theta^k`."""
        dt = W0[0].dtype.type
        eta, inv_tau = dt(self.lr), dt(1.0 / self.prox_step)
        W, b = list(W0), list(b0)
        for _ in range(self.inner_steps):
            _, gW, gb = self._gradient(task, W, b, Xb, Yb)
            for l in range(len(W)):
                W[l] = W[l] - eta * (gW[l] + inv_tau * (W[l] - W0[l]))
                b[l] = b[l] - eta * (gb[l] + inv_tau * (b[l] - b0[l]))
        return W, b


# ----------------------------------------------------------------------------------- Adam (extra)
@dataclass(frozen=True)
class AdamBP(SGDBP):
    r"""Adam with back-propagation: an extra reference baseline, **not used in the paper**.

    Kingma & Ba (2015), with bias correction: for the mini-batch gradient :math:`g_t`,
    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t`, :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2`,
    :math:`\Theta_t = \Theta_{t-1} - \eta\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)`,
    :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`.  The moments
    :math:`m, v` (weights first, then biases) and the step count :math:`t` are part of the state, so a
    resumed run continues exactly.

    Parameters
    ----------
    lr : float > 0
        :math:`\eta` (default 0.01).
    beta1, beta2 : float in [0, 1)
    eps : float > 0
        :math:`\epsilon`.
    batch_size, shuffle, loss : as in :class:`SGDBP`.
    """

    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    name = "adam-bp"
    note: ClassVar[str] = "Adam: extra reference, not in the paper"
    constraints = {**SGDBP.constraints, "beta1": Interval(0, 1, closed="left"),
                   "beta2": Interval(0, 1, closed="left"), "eps": _POSITIVE}

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        state = super().init(task, network, hidden, rng)
        params = state["weights"] + state["biases"]
        return {**state, "m": tuple(np.zeros_like(p) for p in params), "v": tuple(np.zeros_like(p) for p in params),
                "t": 0}

    def update(self, task: Task, state: dict, rng) -> dict:
        params, L = list(state["weights"] + state["biases"]), len(state["weights"])
        m, v, t = list(state["m"]), list(state["v"]), state["t"]
        for Xb, Yb in self._batches(task, rng):
            _, gW, gb = self._gradient(task, params[:L], params[L:], Xb, Yb)
            t += 1
            self._step(params, m, v, gW + gb, t)
        return {"weights": tuple(params[:L]), "biases": tuple(params[L:]), "m": tuple(m), "v": tuple(v), "t": t}

    def _step(self, params: list, m: list, v: list, grads, t: int) -> None:
        """Adam's step ``t`` on the lists ``params``, ``m``, ``v`` (replaced entries, no array changed in place)."""
        dt = params[0].dtype.type
        c1, c2 = 1.0 - self.beta1 ** t, 1.0 - self.beta2 ** t
        with np.errstate(**_QUIET):
            for j, g in enumerate(grads):
                m[j] = dt(self.beta1) * m[j] + dt(1.0 - self.beta1) * g
                v[j] = dt(self.beta2) * v[j] + dt(1.0 - self.beta2) * g * g
                step = dt(self.lr) * (m[j] / dt(c1)) / (np.sqrt(v[j] / dt(c2)) + dt(self.eps))
                params[j] = params[j] - step


# ----------------------------------------------------------------------------------- the functions
def _legacy_callback(callback, values: list):
    """The engine's ``callback(epoch, network, row)`` from an old ``callback(network, epoch)``.

    The old callback gets a copy of the network; its return values are appended to ``values`` (they never stop
    the run).
    """
    if callback is None:
        return None
    if not callable(callback):
        raise BregnetInputError(f"callback must be callable(network, epoch); got {type(callback).__name__}")

    def engine_callback(epoch, network, row):
        values.append(callback(network.copy(), epoch))
        return False
    return engine_callback


def run_legacy(solver: Solver, network: Network, X, Y, *, epochs, callback=None, validation_data=None, l1=None,
               l1_alpha=0.0, l1_layer=None, **run_options) -> Result:
    """``run(solver, ...)`` for the baseline functions, with their l1 term and old callback.

    The l1 term is ``l1 = (layer, alpha)`` as for every solver, or in the baselines' earlier spelling
    ``l1_alpha``, ``l1_layer`` (validated by :meth:`L1Penalty.from_options`); the callback's return values
    become the history's ``callback`` column (``None`` for the epochs before a resume).
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a bregnet Network (see bregnet.network.glorot_init); "
                        f"got {type(network).__name__}")
    if l1 is not None:
        if l1_alpha or l1_layer is not None:
            raise BregnetInputError("give the l1 term as l1=(layer, alpha) or as l1_alpha/l1_layer, not both")
        l1_layer, l1_alpha = l1
    l1 = L1Penalty.from_options(network, l1_alpha, l1_layer)
    values: list = []
    res = run(solver, network, X, Y, epochs=epochs, l1=l1, validation_data=validation_data,
              callback=_legacy_callback(callback, values), **run_options)
    h = res.history
    if callback is not None:
        h.columns["callback"] = [None] * (len(h) - len(values)) + values
    return res


def _bp(solver, network, X, Y, epochs, l1_alpha, l1_layer, seed=None, l1=None, **kw) -> Result:
    res = run_legacy(solver, network, X, Y, epochs=epochs, l1=l1, l1_alpha=l1_alpha, l1_layer=l1_layer, seed=seed,
                     **kw)
    if l1 is not None:
        l1_layer, l1_alpha = l1
    res.history.options.update(l1_alpha=float(l1_alpha), l1_layer=l1_layer, epochs=epochs,
                               **({"seed": seed} if solver.stochastic else {}),
                               **({"note": solver.note} if hasattr(solver, "note") else {}))
    return res


def gd_bp(network: Network, X, Y, *, epochs: int = 100, lr: float = GDBP.lr, loss="mse", l1=None, l1_alpha: float = 0.0,
          l1_layer: int | None = None, callback: Callable | None = None, validation_data=None, checkpoint=None,
          checkpoint_every: int = 1, resume: bool = False) -> Result:
    r"""GD-BP: full-batch (sub)gradient descent (3), ``run(GDBP(lr=lr, loss=loss), ...)``.

    One step :math:`\Theta^{k+1} = \Theta^k - \tau\nabla F(\Theta^k)` per epoch, gradient by Algorithm 2 on all
    samples.

    Parameters
    ----------
    network : Network
        Initial parameters :math:`\Theta^0` (not modified).
    X, Y : array_like, shapes (s, n_0) and (s, n_L)
        Training inputs and targets.
    epochs : int
        Number of steps :math:`K`.
    lr : float
        Step size :math:`\tau_\Theta > 0`.
    loss : {"mse", "bregman", "cross_entropy", "binary_cross_entropy", "huber"} or OutputLoss
    l1 : (layer, alpha), optional
        Optional :math:`\alpha\|x_k\|_1` on hidden layer :math:`k` (eq. (26)), as for every solver.
    l1_alpha, l1_layer : float, int
        The same term in the baselines' earlier spelling (``l1 = (l1_layer, l1_alpha)``).
    callback : callable(network, epoch), optional
        Called after every epoch (and at epoch 0); its return values go to ``history.callback``.
    validation_data : (X_val, Y_val), optional
        Records the validation data loss per epoch.
    checkpoint, checkpoint_every, resume
        Checkpoints of the state every ``checkpoint_every`` epochs; ``resume=True`` continues from one exactly
        (see :func:`bregnet.solvers.engine.run`).

    Returns
    -------
    Result
        Unpacks as ``(network, history)``; the history has the columns ``epoch``, ``objective``,
        ``data_loss``, ``penalty``, ``wall_time`` (and ``validation_loss``, ``callback`` when asked for).

    Raises
    ------
    DivergenceError
        When the objective, a gradient or the parameters become non-finite.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = gd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=50, lr=0.2)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    return _bp(GDBP(lr=lr, loss=loss), network, X, Y, epochs, l1_alpha, l1_layer, callback=callback,
               validation_data=validation_data, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
               resume=resume, l1=l1)


def sgd_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = SGDBP.batch_size, lr: float = SGDBP.lr, loss="mse",
           l1=None, l1_alpha: float = 0.0, l1_layer: int | None = None, seed=None, rng: np.random.Generator | None = None,
           shuffle: bool = True, callback: Callable | None = None, validation_data=None, checkpoint=None,
           checkpoint_every: int = 1, resume: bool = False) -> Result:
    r"""SGD-BP: mini-batch stochastic (sub)gradient descent (20), ``run(SGDBP(...), ...)``.

    Parameters
    ----------
    batch_size : int
        :math:`|B_p|`.
    lr : float
        :math:`\tau > 0` (the paper uses :math:`10^{-3}`, Section 6.1).
    seed, rng : int or numpy.random.Generator
        Source of the batch order (``rng`` wins; its state is part of every checkpoint).
    shuffle : bool
        ``False`` keeps the batches in data order (deterministic).

    Notes
    -----
    Other parameters and the return value are as in :func:`gd_bp`; see :class:`SGDBP`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = sgd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=30, batch_size=8, lr=0.1, seed=0)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    return _bp(SGDBP(lr=lr, batch_size=batch_size, shuffle=shuffle, loss=loss), network, X, Y, epochs, l1_alpha,
               l1_layer, seed=seed, rng=rng, callback=callback, validation_data=validation_data,
               checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume, l1=l1)


def isgd_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = ISGDBP.batch_size, tau: float = ISGDBP.prox_step,
            lr: float = ISGDBP.lr, inner_steps: int = ISGDBP.inner_steps, loss="mse", l1=None, l1_alpha: float = 0.0, l1_layer: int | None = None,
            seed=None, rng: np.random.Generator | None = None, shuffle: bool = True,
            callback: Callable | None = None, validation_data=None, checkpoint=None, checkpoint_every: int = 1,
            resume: bool = False) -> Result:
    r"""ISGD-BP: implicit stochastic (sub)gradient descent (22) with an inner GD-BP loop, ``run(ISGDBP(...), ...)``.

    Parameters
    ----------
    tau : float
        The proximal step :math:`\tau^k > 0` (Section 6.3 uses 0.5 and 1): :attr:`ISGDBP.prox_step`.
    lr : float
        The inner GD-BP step :math:`\eta > 0`.
    inner_steps : int
        :math:`N \ge 1` (15 or 30 in Section 6.3).

    Notes
    -----
    Other parameters and the return value are as in :func:`sgd_bp`; see :class:`ISGDBP`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = isgd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=10, batch_size=8,
    ...                     tau=1.0, lr=0.1, inner_steps=10, seed=0)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    solver = ISGDBP.from_options(dict(lr=lr, batch_size=batch_size, shuffle=shuffle, loss=loss, tau=tau,
                                      inner_steps=inner_steps))
    return _bp(solver, network, X, Y, epochs, l1_alpha, l1_layer, seed=seed, rng=rng, callback=callback,
               validation_data=validation_data, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
               resume=resume, l1=l1)


def adam_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = AdamBP.batch_size, lr: float = AdamBP.lr,
            beta1: float = AdamBP.beta1, beta2: float = AdamBP.beta2, eps: float = AdamBP.eps, loss="mse", l1=None, l1_alpha: float = 0.0,
            l1_layer: int | None = None, seed=None, rng: np.random.Generator | None = None, shuffle: bool = True,
            callback: Callable | None = None, validation_data=None, checkpoint=None, checkpoint_every: int = 1,
            resume: bool = False) -> Result:
    r"""Adam with back-propagation (an extra reference, **not in the paper**), ``run(AdamBP(...), ...)``.

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta1, beta2 : float
        In :math:`[0, 1)`.
    eps : float
        :math:`\epsilon > 0`.

    Notes
    -----
    Other parameters and the return value are as in :func:`sgd_bp`; see :class:`AdamBP`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = adam_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=40, batch_size=8, lr=0.05, seed=0)
    >>> hist.objective[-1] < 1e-2 * hist.objective[0]
    True
    """
    solver = AdamBP(lr=lr, batch_size=batch_size, shuffle=shuffle, loss=loss, beta1=beta1, beta2=beta2, eps=eps)
    return _bp(solver, network, X, Y, epochs, l1_alpha, l1_layer, seed=seed, rng=rng, callback=callback,
               validation_data=validation_data, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
               resume=resume, l1=l1)


#: the baselines by name (for estimators and the command line)
SOLVERS = {"gd-bp": gd_bp, "sgd-bp": sgd_bp, "isgd-bp": isgd_bp, "adam-bp": adam_bp}
