r"""Data-parallel lifted training: model averaging (Section 4.2.2) and the parallel implicit variant (23).

Each round :math:`k` splits the sample indices at random into :math:`m` disjoint batches
:math:`B_1, \dots, B_m` (:math:`\bigcup_p B_p = \{1..s\}`), solves each batch problem independently from
the current average :math:`\bar\Theta^k`, and averages:

.. math::  \Theta_p^{k+1} \approx \arg\min_{\Theta}\Big\{\min_{\mathbf X^p}\frac{1}{|B_p|}\sum_{i\in B_p}\sum_{l=1}^L
           \lambda_l B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l)) + \frac{\rho}{2}\|\Theta - \bar\Theta^k\|^2\Big\},
           \qquad \bar\Theta^{k+1} = \frac1m\sum_{p=1}^m\Theta_p^{k+1}.  \qquad (23)

With :math:`\rho = 0` this is model averaging (Section 4.2.2; each batch solved "with any of the methods of
Section 4.1", here a fixed budget of iterations started at :math:`\bar\Theta^k`); with :math:`\rho > 0` it is
the parallel implicit stochastic iteration (23) (:math:`\rho = 1/\tau_p^k`), whose batch problems are (24)
anchored at the average.  Batch solvers (``method``):

* ``"lbn"``: ``n_inner`` sweeps of the inner loop of Algorithm 1
  (:func:`~bregnet.solvers.implicit_stochastic.lbn_batch_numpy`, or its Numba kernel), any :math:`\rho \ge 0`;
* ``"proximal_gradient"``, ``"coordinate_descent"``: ``n_inner`` iterations of
  :func:`~bregnet.solvers.proximal_gradient.proximal_gradient` or
  :func:`~bregnet.solvers.coordinate_descent.coordinate_descent` (:math:`\rho = 0` only);
* a callable ``solver(problem, network, Xb, Yb, rng) -> Network`` (picklable for process pools).

The batches are solved on any :class:`concurrent.futures.Executor` (default
:class:`~bregnet.solvers.executors.SynchronousExecutor`; a process pool or a Dask client's
``Client.get_executor()`` give the identical result): the split is drawn in the calling process, every
batch task gets its own :class:`numpy.random.SeedSequence` spawned from the run's seed (round
:math:`k`, batch :math:`p`), and the average is summed in batch order.
"""
from __future__ import annotations

import time

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem
from ..network import Network
from ._common import (TrainResult, check_finite_state, check_positive_option, solver_fingerprint,
                      make_rng, start_or_resume, record_epoch, save_checkpoint, validate_data)
from .executors import check_executor, map_ordered

__all__ = ["model_averaging", "parallel_implicit", "solve_batch", "average_networks", "BATCH_METHODS"]

_WHAT = "model_averaging"
BATCH_METHODS = ("lbn", "proximal_gradient", "coordinate_descent")


def average_networks(networks) -> Network:
    r""":math:`\bar\Theta = \frac1m\sum_p\Theta_p`, summed in the given order (deterministic).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> a, b = glorot_init([2, 2], "identity", seed=0), glorot_init([2, 2], "identity", seed=1)
    >>> bool(np.allclose(average_networks([a, b]).weights[0], (a.weights[0] + b.weights[0]) / 2))
    True
    """
    networks = list(networks)
    m = len(networks)
    L = networks[0].n_layers
    Ws, bs = [], []
    for l in range(L):
        W = networks[0].weights[l].copy()
        b = networks[0].biases[l].copy()
        for n in networks[1:]:
            W += n.weights[l]
            b += n.biases[l]
        dt = W.dtype.type
        Ws.append(W / dt(m))
        bs.append(b / dt(m))
    return Network(tuple(Ws), tuple(bs), networks[0].activations)


def solve_batch(method, problem: LiftedProblem, network: Network, Xb, Yb, seed_seq, n_inner: int,
                prox_weight: float, step_scale: float, use_kernel) -> Network:
    r"""Solve one batch problem of (23) from ``network`` = :math:`\bar\Theta^k` (a pure function: the executor task).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(6, 3)); Y = rng.normal(size=(6, 2))
    >>> prob = LiftedProblem.from_network(net)
    >>> solve_batch("lbn", prob, net, X, Y, np.random.SeedSequence(0), 3, 1.0, 1.99, False).layer_sizes
    (3, 4, 2)
    """
    if callable(method):
        return method(problem, network, Xb, Yb, np.random.default_rng(seed_seq))
    if method == "lbn":
        from .implicit_stochastic import kernel_supported, lbn_batch_kernel, lbn_batch_numpy
        uk = kernel_supported(problem) if use_kernel is None else use_kernel
        step = lbn_batch_kernel if uk else lbn_batch_numpy
        with np.errstate(over="ignore", invalid="ignore"):
            net, _ = step(problem, network, Xb, Yb, n_inner=n_inner, prox_weight=prox_weight, step_scale=step_scale)
        return net
    lam = list(problem.lambdas)
    l1 = None if problem.regulariser is None else (problem.regulariser.layer, problem.regulariser.alpha)
    if method == "proximal_gradient":
        from .proximal_gradient import proximal_gradient
        return proximal_gradient(network, Xb, Yb, epochs=n_inner, lambdas=lam, l1=l1, step_scale=step_scale,
                                 seed=seed_seq).network
    if method == "coordinate_descent":
        from .coordinate_descent import coordinate_descent
        return coordinate_descent(network, Xb, Yb, epochs=1, n_inner=n_inner, lambdas=lam, l1=l1,
                                  step_scale=step_scale).network
    raise BregnetInputError(f"method must be one of {BATCH_METHODS} or a callable; got {method!r}")


def model_averaging(network: Network, X, Y, *, rounds: int = 10, n_batches: int = 4, method="lbn",
                    n_inner: int = 15, prox_weight: float = 0.0, step_scale: float = 1.99, lambdas=None, l1=None,
                    use_kernel: bool | None = None, executor=None, seed=None, rng=None, record: str = "epoch",
                    checkpoint=None, checkpoint_every: int = 1, resume: bool = False) -> TrainResult:
    r"""Train by data-parallel model averaging (Section 4.2.2) or (with ``prox_weight > 0``) by (23).

    Parameters
    ----------
    network : Network
        Initial parameters :math:`\bar\Theta^0` and activations (not modified).
    X, Y : array_like, shapes (s, n_0), (s, n_L)
    rounds : int
        Number of rounds (each one pass over all samples, in :math:`m` parallel batches).
    n_batches : int
        :math:`m` (at most :math:`s`); the batches have sizes differing by at most one.
    method : ``"lbn"``, ``"proximal_gradient"``, ``"coordinate_descent"`` or a callable (see module docstring).
    n_inner : int
        Iterations of the batch solver.
    prox_weight : float >= 0
        :math:`\rho = 1/\tau_p^k` of (23); 0 is plain model averaging.
    step_scale : float
        :math:`c` of the batch solver's steps.
    lambdas, l1 : see :meth:`bregnet.lifted.LiftedProblem.from_network`.
    use_kernel : bool or None
        For ``method="lbn"``: the Numba kernel (default when supported) or the NumPy twin.
    executor : concurrent.futures.Executor, optional
        Where the batch problems run (default: in the calling thread).
    seed, rng : int, SeedSequence or Generator
        Determine the batches and the per-batch seeds (identical results on every executor).
    record : ``"epoch"`` or ``"none"``
    checkpoint, checkpoint_every, resume : atomic checkpoints every ``checkpoint_every`` rounds; bit-identical resume.

    Returns
    -------
    TrainResult
        ``network`` (the average) and per-round ``history`` (energy at the forward-pass auxiliary variables).

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = rng.normal(size=(40, 2))
    >>> res = model_averaging(net, X, Y, rounds=3, n_batches=4, seed=1)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    problem = LiftedProblem.from_network(network, lambdas, l1)
    X, Y = validate_data(network, X, Y, problem)
    rounds = check_positive_option("rounds", rounds, allow_zero=True, integer=True)
    n_batches = check_positive_option("n_batches", n_batches, integer=True)
    s = X.shape[0]
    if n_batches > s:
        raise BregnetInputError(f"n_batches must be at most the number of samples ({s}); got {n_batches}")
    n_inner = check_positive_option("n_inner", n_inner, integer=True)
    prox_weight = check_positive_option("prox_weight", prox_weight, allow_zero=True)
    step_scale = check_positive_option("step_scale", step_scale)
    checkpoint_every = check_positive_option("checkpoint_every", checkpoint_every, integer=True)
    if not callable(method) and method not in BATCH_METHODS:
        raise BregnetInputError(f"method must be one of {BATCH_METHODS} or a callable; got {method!r}")
    if method in ("proximal_gradient", "coordinate_descent") and prox_weight != 0:
        raise BregnetInputError(f"method {method!r} solves the batch problems without the proximal term; "
                                f"use method='lbn' for prox_weight > 0 (eq. (23))")
    if record not in ("epoch", "none"):
        raise BregnetInputError(f"record must be 'epoch' or 'none'; got {record!r}")
    executor = check_executor(executor)
    if isinstance(seed, np.random.SeedSequence):
        root = seed
        gen = make_rng(None, rng) if rng is not None else np.random.default_rng(seed.spawn(1)[0])
    else:
        gen = make_rng(seed, rng)
        root = np.random.SeedSequence(int(gen.integers(2 ** 63)))
    opts = {"rounds_batches": n_batches, "method": method if isinstance(method, str) else getattr(method, "__name__",
            "callable"), "n_inner": n_inner, "prox_weight": prox_weight, "step_scale": step_scale,
            "use_kernel": use_kernel}
    fp = solver_fingerprint(X, Y, problem, opts)
    t0 = time.perf_counter()
    start, net, history, arrays, time_offset = start_or_resume(checkpoint, resume, solver=_WHAT, fingerprint=fp,
                                                               network=network, rng=gen)
    if arrays is not None:
        root = np.random.SeedSequence(int(str(arrays["root_entropy"])))
    elif record == "epoch":
        record_epoch(history, problem, net, X, Y, None, 0, t0, _WHAT)
    for k in range(start + 1, rounds + 1):
        order = gen.permutation(s)
        batches = np.array_split(order, n_batches)
        # per-batch seeds: the children (k, p) of the run's SeedSequence, independent of the executor
        seqs = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (k,)).spawn(n_batches)
        tasks = [(method, problem, net, X[idx], Y[idx], sq, n_inner, prox_weight, step_scale, use_kernel)
                 for idx, sq in zip(batches, seqs)]
        nets = map_ordered(executor, solve_batch, tasks)
        net = average_networks(nets)
        check_finite_state(net, _WHAT, k)
        if record == "epoch" or k == rounds:
            record_epoch(history, problem, net, X, Y, None, k, t0, _WHAT, time_offset)
        if checkpoint is not None and (k % checkpoint_every == 0 or k == rounds):
            save_checkpoint(checkpoint, solver=_WHAT, fingerprint=fp, epoch=k, network=net, history=history,
                            rng=gen, arrays={"root_entropy": np.array(str(root.entropy))})
    return TrainResult(network=net, history=history)


def parallel_implicit(network: Network, X, Y, *, rounds: int = 10, n_batches: int = 4, prox_weight: float = 1.0,
                      n_inner: int = 15, step_scale: float = 1.99, **kwargs) -> TrainResult:
    r"""The parallel implicit stochastic iteration (23): :func:`model_averaging` with the batch problems (24)
    anchored at the average, :math:`\rho` = ``prox_weight`` > 0, solved by Algorithm 1's inner loop.

    Examples
    --------
    >>> from bregnet.network import glorot_init
    >>> net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(40, 3)); Y = rng.normal(size=(40, 2))
    >>> res = parallel_implicit(net, X, Y, rounds=3, seed=1)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    prox_weight = check_positive_option("prox_weight", prox_weight)
    return model_averaging(network, X, Y, rounds=rounds, n_batches=n_batches, method="lbn", n_inner=n_inner,
                           prox_weight=prox_weight, step_scale=step_scale, **kwargs)
