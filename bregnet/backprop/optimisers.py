r"""First-order baselines with back-propagation (Section 2.2, eq. (3); Section 4.2.3, eq. (20)-(22); Section 6).

All minimise the training objective of :mod:`bregnet.backprop.backprop`,
:math:`F(\Theta) = \frac1s\sum_i f_i(\Theta)`, :math:`f_i = \ell(y^i, z_L^i) + \alpha\|x_k^i\|_1`,
with gradients from Algorithm 2:

* :func:`gd_bp`   GD-BP, full-batch (sub)gradient descent (3):
  :math:`\Theta^{k+1} = \Theta^k - \tau\nabla F(\Theta^k)`, one step per epoch.
* :func:`sgd_bp`  SGD-BP, mini-batch stochastic (sub)gradient descent (20):
  :math:`\Theta^{k+1} = \Theta^k - \frac{\tau}{|B_p|}\sum_{i\in B_p}\nabla f_i(\Theta^k)`, the
  batches :math:`B_p` a fresh random partition of the samples every epoch.
* :func:`isgd_bp` ISGD-BP, implicit SGD (22):
  :math:`\Theta^{k+1} = \arg\min_\Theta \frac1{|B_p|}\sum_{i\in B_p} f_i(\Theta) + \frac1{2\tau^k}\|\Theta-\Theta^k\|^2`,
  the inner problem solved approximately by ``inner_steps`` = :math:`N` GD-BP steps from
  :math:`\Theta^k` (Section 6.3: "solving the inner problem with GD-BP for N iterations").
* :func:`adam_bp` Adam (Kingma & Ba, 2015) with back-propagation: **not in the paper**, an extra
  reference point only.

Conventions shared with the lifted solvers: each function takes the network, the data and keyword
options, never prints, never modifies its input network, and returns ``(trained_network, history)``
with a :class:`TrainingHistory`.  Randomness (batch order) comes only from ``seed`` or ``rng``
(a :class:`numpy.random.Generator`).  A non-finite objective or parameter raises
:class:`~bregnet.exceptions.DivergenceError`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..exceptions import BregnetInputError, DivergenceError
from ..network import Network
from .backprop import L1Penalty, _backprop, check_data, get_loss

__all__ = ["TrainingHistory", "gd_bp", "sgd_bp", "isgd_bp", "adam_bp", "SOLVERS"]


@dataclass
class TrainingHistory:
    r"""Per-epoch record of a training run.

    Entry 0 of every list describes the initial network (epoch 0, before any update); entry
    :math:`e` the network after epoch :math:`e`.

    Attributes
    ----------
    solver : str
        Name of the algorithm (``"gd-bp"``, ``"sgd-bp"``, ``"isgd-bp"``, ``"adam-bp"``, ...).
    epoch : list of int
    objective : list of float
        Training objective :math:`F(\Theta)` on all training data (loss + penalty).
    data_loss, penalty : list of float
        Its two parts.
    wall_time : list of float
        Cumulative seconds spent in the optimisation steps (the evaluation of this history and the
        callback are not counted).
    validation_loss : list of float
        Data loss (no penalty) on ``validation_data`` when given (the paper's validation MSE).
    callback : list
        Whatever ``callback(network, epoch)`` returned, when a callback is given.
    options : dict
        The options of the run (for reports).

    Examples
    --------
    >>> h = TrainingHistory("sgd-bp")
    >>> h.as_dict()["solver"]
    'sgd-bp'
    """

    solver: str
    epoch: list = field(default_factory=list)
    objective: list = field(default_factory=list)
    data_loss: list = field(default_factory=list)
    penalty: list = field(default_factory=list)
    wall_time: list = field(default_factory=list)
    validation_loss: list = field(default_factory=list)
    callback: list = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A JSON-friendly dict of the record."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


# ----------------------------------------------------------------------------------- validation
def _check_positive(name, value, *, integer=False, allow_zero=False):
    if isinstance(value, bool):
        raise BregnetInputError(f"{name} must be a {'positive integer' if integer else 'positive number'}; got {value!r}")
    if integer:
        if not isinstance(value, (int, np.integer)) or value < (0 if allow_zero else 1):
            raise BregnetInputError(f"{name} must be an integer >= {0 if allow_zero else 1}; got {value!r}")
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BregnetInputError(f"{name} must be a finite number > 0; got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise BregnetInputError(f"{name} must be a finite number > 0; got {value!r}")
    return v


def _rng(seed, rng):
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise BregnetInputError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        return rng
    return np.random.default_rng(seed)


class _Run:
    """Shared driver: validation, evaluation, history and divergence checks."""

    def __init__(self, solver, network, X, Y, loss, l1_alpha, l1_layer, epochs, callback, validation_data, options):
        self.X, self.Y = check_data(network, X, Y)
        self.loss = get_loss(loss)
        self.act = network.activations
        self.loss.check_targets(self.act[-1], self.Y)
        self.penalty = L1Penalty.from_options(network, l1_alpha, l1_layer)
        self.epochs = _check_positive("epochs", epochs, integer=True, allow_zero=True)
        if callback is not None and not callable(callback):
            raise BregnetInputError(f"callback must be callable(network, epoch); got {type(callback).__name__}")
        self.callback = callback
        self.val = None
        if validation_data is not None:
            try:
                Xv, Yv = validation_data
            except (TypeError, ValueError):
                raise BregnetInputError("validation_data must be a pair (X_val, Y_val)") from None
            self.val = check_data(network, Xv, Yv)
            self.loss.check_targets(self.act[-1], self.val[1])
        self.W = [w.copy() for w in network.weights]
        self.b = [b.copy() for b in network.biases]
        self.dtype = network.dtype
        self.history = TrainingHistory(solver, options=dict(options, loss=self.loss.name,
                                                            l1_alpha=float(l1_alpha), l1_layer=l1_layer,
                                                            epochs=self.epochs))
        self.elapsed = 0.0

    @property
    def n_samples(self):
        return self.X.shape[0]

    def grad(self, Xb, Yb, W=None, b=None):
        """(objective, gW, gb) on a batch; raises DivergenceError if not finite."""
        W = self.W if W is None else W
        b = self.b if b is None else b
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            obj, _, _, gW, gb, _, _ = _backprop(W, b, self.act, Xb, Yb, self.loss, self.penalty)
            finite = np.isfinite(obj) and all(np.all(np.isfinite(g)) for g in gW + gb)
        if not finite:
            self._diverged("the batch objective or its gradient")
        return obj, gW, gb

    def _diverged(self, what):
        raise DivergenceError(
            f"{self.history.solver}: {what} became non-finite in epoch {len(self.history.epoch)}; "
            f"the step size is probably too large")

    def check_params(self):
        if not all(np.all(np.isfinite(p)) for p in self.W + self.b):
            self._diverged("the parameters")

    def network(self) -> Network:
        return Network(tuple(self.W), tuple(self.b), self.act)

    def record(self, epoch):
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            obj, dl, pen, *_ = _backprop(self.W, self.b, self.act, self.X, self.Y, self.loss, self.penalty, need_grad=False)
        if not np.isfinite(obj):
            self._diverged("the training objective")
        h = self.history
        h.epoch.append(epoch)
        h.objective.append(float(obj))
        h.data_loss.append(float(dl))
        h.penalty.append(float(pen))
        h.wall_time.append(self.elapsed)
        if self.val is not None:
            with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
                vl = _backprop(self.W, self.b, self.act, self.val[0], self.val[1], self.loss, None, need_grad=False)[1]
            h.validation_loss.append(float(vl))
        if self.callback is not None:
            h.callback.append(self.callback(self.network().copy(), epoch))

    def batches(self, rng, batch_size, shuffle):
        s = self.n_samples
        order = rng.permutation(s) if shuffle else np.arange(s)
        for start in range(0, s, batch_size):
            idx = order[start:start + batch_size]
            yield self.X[idx], self.Y[idx]

    def run(self, epoch_fn):
        self.record(0)
        for e in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            epoch_fn()
            self.elapsed += time.perf_counter() - t0
            self.check_params()
            self.record(e)
        return self.network(), self.history


# ----------------------------------------------------------------------------------- GD-BP (3)
def gd_bp(network: Network, X, Y, *, epochs: int = 100, lr: float = 1e-2, loss="mse", l1_alpha: float = 0.0,
          l1_layer: int | None = None, callback: Callable | None = None, validation_data=None):
    r"""GD-BP: full-batch (sub)gradient descent (3), :math:`\Theta^{k+1} = \Theta^k - \tau\nabla F(\Theta^k)`.

    One step per epoch, gradient by Algorithm 2 on all samples.

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
    loss : {"mse", "bregman"} or OutputLoss
    l1_alpha, l1_layer : float, int
        Optional :math:`\alpha\|x_k\|_1` on hidden layer :math:`k` (eq. (26)).
    callback : callable(network, epoch), optional
        Called after every epoch (and at epoch 0); its return values go to ``history.callback``.
    validation_data : (X_val, Y_val), optional
        Records the validation data loss per epoch.

    Returns
    -------
    (Network, TrainingHistory)

    Raises
    ------
    DivergenceError
        When the objective or the parameters become non-finite.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = gd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=50, lr=0.2)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    lr = _check_positive("lr", lr)
    run = _Run("gd-bp", network, X, Y, loss, l1_alpha, l1_layer, epochs, callback, validation_data, {"lr": lr})

    def epoch():
        _, gW, gb = run.grad(run.X, run.Y)
        with np.errstate(over="ignore", invalid="ignore"):
            for l in range(len(run.W)):
                run.W[l] = run.W[l] - run.dtype.type(lr) * gW[l]
                run.b[l] = run.b[l] - run.dtype.type(lr) * gb[l]

    return run.run(epoch)


# ----------------------------------------------------------------------------------- SGD-BP (20)
def sgd_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = 100, lr: float = 1e-3, loss="mse",
           l1_alpha: float = 0.0, l1_layer: int | None = None, seed=None, rng: np.random.Generator | None = None,
           shuffle: bool = True, callback: Callable | None = None, validation_data=None):
    r"""SGD-BP: mini-batch stochastic (sub)gradient descent (20).

    :math:`\Theta^{k+1} = \Theta^k - \frac{\tau}{|B_p|}\sum_{i\in B_p}\nabla f_i(\Theta^k)` for the
    batches :math:`B_p` of a random partition of the samples, drawn afresh every epoch (the last
    batch is smaller when ``batch_size`` does not divide ``s``).

    Parameters
    ----------
    batch_size : int
        :math:`|B_p|`.
    lr : float
        :math:`\tau > 0` (the paper uses :math:`10^{-3}`, Section 6.1).
    seed, rng : int or numpy.random.Generator
        Source of the batch order (``rng`` wins).
    shuffle : bool
        ``False`` keeps the batches in data order (deterministic).

    Other parameters and the return value are as in :func:`gd_bp`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = sgd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=30, batch_size=8, lr=0.1, seed=0)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    lr = _check_positive("lr", lr)
    batch_size = _check_positive("batch_size", batch_size, integer=True)
    gen = _rng(seed, rng)
    run = _Run("sgd-bp", network, X, Y, loss, l1_alpha, l1_layer, epochs, callback, validation_data,
               {"lr": lr, "batch_size": batch_size, "seed": seed, "shuffle": bool(shuffle)})
    t = run.dtype.type(lr)

    def epoch():
        for Xb, Yb in run.batches(gen, batch_size, shuffle):
            _, gW, gb = run.grad(Xb, Yb)
            with np.errstate(over="ignore", invalid="ignore"):
                for l in range(len(run.W)):
                    run.W[l] -= t * gW[l]
                    run.b[l] -= t * gb[l]

    return run.run(epoch)


# ----------------------------------------------------------------------------------- ISGD-BP (22)
def isgd_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = 100, tau: float = 1.0,
            lr: float = 1e-3, inner_steps: int = 15, loss="mse", l1_alpha: float = 0.0, l1_layer: int | None = None,
            seed=None, rng: np.random.Generator | None = None, shuffle: bool = True,
            callback: Callable | None = None, validation_data=None):
    r"""ISGD-BP: implicit stochastic (sub)gradient descent (22) with an inner GD-BP loop.

    For every mini-batch :math:`B_p`,

    .. math::  \Theta^{k+1} \approx \arg\min_\Theta\ \frac1{|B_p|}\sum_{i\in B_p} f_i(\Theta)
               + \frac1{2\tau^k}\|\Theta - \Theta^k\|^2 \qquad (22)

    computed by ``inner_steps`` = :math:`N` gradient steps
    :math:`\Theta^{n+1} = \Theta^n - \eta\bigl(\nabla F_{B_p}(\Theta^n) + (\Theta^n-\Theta^k)/\tau^k\bigr)`
    from :math:`\Theta^0 = \Theta^k` (Section 6.3).  With :math:`\eta < 2/(\mathrm{Lip}+1/\tau^k)`
    on a convex problem the inner iterates converge to the minimiser of (22).

    Parameters
    ----------
    tau : float
        The proximal parameter :math:`\tau^k > 0` (Section 6.3 uses 0.5 and 1).
    lr : float
        The inner GD-BP step :math:`\eta > 0` (the paper's "learning rate", :math:`10^{-3}` or
        :math:`4\cdot10^{-4}`).
    inner_steps : int
        :math:`N \ge 1` (15 or 30 in Section 6.3).

    Other parameters and the return value are as in :func:`sgd_bp`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = isgd_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=10, batch_size=8,
    ...                     tau=1.0, lr=0.1, inner_steps=10, seed=0)
    >>> hist.objective[-1] < 1e-3 * hist.objective[0]
    True
    """
    tau = _check_positive("tau", tau)
    lr = _check_positive("lr", lr)
    inner_steps = _check_positive("inner_steps", inner_steps, integer=True)
    batch_size = _check_positive("batch_size", batch_size, integer=True)
    gen = _rng(seed, rng)
    run = _Run("isgd-bp", network, X, Y, loss, l1_alpha, l1_layer, epochs, callback, validation_data,
               {"lr": lr, "tau": tau, "inner_steps": inner_steps, "batch_size": batch_size, "seed": seed,
                "shuffle": bool(shuffle)})

    def epoch():
        for Xb, Yb in run.batches(gen, batch_size, shuffle):
            run.W, run.b = _implicit_step(run, Xb, Yb, run.W, run.b, tau, lr, inner_steps)

    return run.run(epoch)


def _implicit_step(run, Xb, Yb, W0, b0, tau, lr, inner_steps):
    r"""One step of (22): :math:`N` GD steps on :math:`F_B(\Theta) + \|\Theta-\Theta^k\|^2/(2\tau)` from :math:`\Theta^k`."""
    dt = run.dtype.type
    eta, inv_tau = dt(lr), dt(1.0 / tau)
    W = [w.copy() for w in W0]
    b = [v.copy() for v in b0]
    for _ in range(inner_steps):
        _, gW, gb = run.grad(Xb, Yb, W, b)
        with np.errstate(over="ignore", invalid="ignore"):
            for l in range(len(W)):
                W[l] = W[l] - eta * (gW[l] + inv_tau * (W[l] - W0[l]))
                b[l] = b[l] - eta * (gb[l] + inv_tau * (b[l] - b0[l]))
    return W, b


# ----------------------------------------------------------------------------------- Adam (extra)
def adam_bp(network: Network, X, Y, *, epochs: int = 10, batch_size: int = 100, lr: float = 1e-3,
            beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, loss="mse", l1_alpha: float = 0.0,
            l1_layer: int | None = None, seed=None, rng: np.random.Generator | None = None, shuffle: bool = True,
            callback: Callable | None = None, validation_data=None):
    r"""Adam with back-propagation: an extra reference baseline, **not used in the paper**.

    Kingma & Ba (2015), with bias correction: for the mini-batch gradient :math:`g_t`,
    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t`, :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2`,
    :math:`\Theta_t = \Theta_{t-1} - \eta\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)`,
    :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`.

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta1, beta2 : float
        In :math:`[0, 1)`.
    eps : float
        :math:`\epsilon > 0`.

    Other parameters and the return value are as in :func:`sgd_bp`.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = X @ [[1.0], [2.0], [0.0]]
    >>> net, hist = adam_bp(glorot_init([3, 1], "identity", seed=0), X, Y, epochs=40, batch_size=8, lr=0.05, seed=0)
    >>> hist.objective[-1] < 1e-2 * hist.objective[0]
    True
    """
    lr = _check_positive("lr", lr)
    eps = _check_positive("eps", eps)
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating)) or not 0 <= float(beta) < 1:
            raise BregnetInputError(f"{name} must be a number in [0, 1); got {beta!r}")
    batch_size = _check_positive("batch_size", batch_size, integer=True)
    gen = _rng(seed, rng)
    run = _Run("adam-bp", network, X, Y, loss, l1_alpha, l1_layer, epochs, callback, validation_data,
               {"lr": lr, "beta1": float(beta1), "beta2": float(beta2), "eps": eps, "batch_size": batch_size,
                "seed": seed, "shuffle": bool(shuffle), "note": "Adam: extra reference, not in the paper"})
    params = run.W + run.b
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    state = {"t": 0}
    dt = run.dtype.type

    def epoch():
        for Xb, Yb in run.batches(gen, batch_size, shuffle):
            _, gW, gb = run.grad(Xb, Yb)
            state["t"] += 1
            t = state["t"]
            c1, c2 = 1.0 - float(beta1) ** t, 1.0 - float(beta2) ** t
            L = len(run.W)
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                for j, g in enumerate(gW + gb):
                    m[j] = dt(beta1) * m[j] + dt(1.0 - beta1) * g
                    v[j] = dt(beta2) * v[j] + dt(1.0 - beta2) * g * g
                    step = dt(lr) * (m[j] / dt(c1)) / (np.sqrt(v[j] / dt(c2)) + dt(eps))
                    if j < L:
                        run.W[j] = run.W[j] - step
                    else:
                        run.b[j - L] = run.b[j - L] - step

    return run.run(epoch)


#: the baselines by name (for estimators and the command line)
SOLVERS = {"gd-bp": gd_bp, "sgd-bp": sgd_bp, "isgd-bp": isgd_bp, "adam-bp": adam_bp}
