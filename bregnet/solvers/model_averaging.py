r"""Data-parallel lifted training: model averaging (Section 4.2.2) and the parallel implicit variant (23).

Each round :math:`k` (one epoch of :func:`bregnet.solvers.engine.run`) splits the sample indices at random into
:math:`m` disjoint batches :math:`B_1, \dots, B_m` (:math:`\bigcup_p B_p = \{1..s\}`), solves each batch
problem independently from the current average :math:`\bar\Theta^k`, and averages:

.. math::  \Theta_p^{k+1} \approx \arg\min_{\Theta}\Big\{\min_{\mathbf X^p}\frac{1}{|B_p|}\sum_{i\in B_p}\sum_{l=1}^L
           \lambda_l B_{\Psi_l}(x_l^i, f(x_{l-1}^i, \Theta_l)) + \frac{\rho}{2}\|\Theta - \bar\Theta^k\|^2\Big\},
           \qquad \bar\Theta^{k+1} = \frac1m\sum_{p=1}^m\Theta_p^{k+1}.  \qquad (23)

With :math:`\rho = 0` this is model averaging (Section 4.2.2; each batch solved "with any of the methods of
Section 4.1", here a fixed budget of iterations started at :math:`\bar\Theta^k`); with :math:`\rho > 0` it is
the parallel implicit stochastic iteration (23) (:math:`\rho = 1/\tau_p^k`), whose batch problems are (24)
anchored at the average (:class:`ParallelImplicit`: the same solver with ``method="lbn"`` and
:math:`\rho > 0`).  Batch solvers (``method``):

* ``"lbn"``: ``n_inner`` sweeps of the inner loop of Algorithm 1
  (:func:`~bregnet.solvers.implicit_stochastic.lbn_batch_numpy`, or its Numba kernel), any :math:`\rho \ge 0`;
  the power iterations of its step sizes start afresh in every batch task;
* ``"proximal_gradient"``: ``n_inner`` iterations of (16)-(17); ``"coordinate_descent"``: one sweep of
  (36)-(37) with ``n_inner`` iterations per block (:math:`\rho = 0` only; both from the forward pass, see
  :func:`~bregnet.solvers.constrained.inner_minimisation`);
* a callable ``solver(problem, network, Xb, Yb, rng) -> Network`` (picklable for process pools).

The split (``split``):

* ``"reshuffle"`` (default): a new random split in every round (the batches are drawn from the run's generator,
  so each task carries its batch's rows, every round);
* ``"fixed"``: the contiguous blocks :math:`B_p` of :func:`~bregnet.solvers.partitions.partition_slices`, the same
  in every round (shuffle the rows once beforehand if they are ordered: the paper's batches are randomised).  On
  a :class:`~bregnet.solvers.partitions.ResidentExecutor` (a process pool or a Dask cluster) the blocks are placed
  on the workers once and each round sends only :math:`\bar\Theta^k` and receives one :math:`\Theta_p^{k+1}`
  per block; the history's energy and losses are then computed on the workers too, per block, and combined as
  :math:`E = \sum_p \frac{|B_p|}{s} E_p` (in block order, on every executor: the same numbers everywhere).

The batches are solved on any :class:`concurrent.futures.Executor` (default
:class:`~bregnet.solvers.executors.SynchronousExecutor`; a process pool or a Dask client's
``Client.get_executor()`` give the identical result): the split is drawn from the run's generator, every
batch task gets its own :class:`numpy.random.SeedSequence` (the child ``(k, p)`` of a root drawn once from the
run's generator, kept in the state), and the average is summed in batch order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import BregnetInputError
from ..lifted import LiftedProblem
from ..network import Network
from ._common import lifted_diagnostics, split_run_options
from .engine import Result, Solver, Task, params_state, run
from .executors import SynchronousExecutor, check_executor, map_ordered
from .partitions import ResidentExecutor, aligned, map_partitions, partition_arrays
from .params import ANY, BOOLEAN, CALLABLE, Interval, NONE, OneOf

__all__ = ["ModelAveraging", "ParallelImplicit", "model_averaging", "parallel_implicit", "solve_batch",
           "solve_partition", "partition_diagnostics", "combine_diagnostics", "average_networks", "BATCH_METHODS",
           "SPLITS"]

BATCH_METHODS = ("lbn", "proximal_gradient", "coordinate_descent")
SPLITS = ("reshuffle", "fixed")


#: a batch solver given as a function (a constraint like those of :mod:`~bregnet.solvers.params`)


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
    return Network(tuple(Ws), tuple(bs), networks[0].activations, networks[0].layers)


def _aligned_network(network: Network) -> Network:
    if all(a.flags.aligned and a.flags.c_contiguous and a.flags.writeable for a in network.weights + network.biases):
        return network
    return Network(tuple(map(aligned, network.weights)), tuple(map(aligned, network.biases)), network.activations,
                   network.layers)


def solve_batch(method, problem: LiftedProblem, network: Network, Xb, Yb, seed_seq, n_inner: int,
                prox_weight: float, step_scale: float, use_kernel) -> Network:
    r"""Solve one batch problem of (23) from ``network`` = :math:`\bar\Theta^k` (a pure function: the executor task).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 4, 2], ["relu", "identity"], n_samples=6)
    >>> prob = LiftedProblem.from_network(net)
    >>> solve_batch("lbn", prob, net, X, Y, np.random.SeedSequence(0), 3, 1.0, 1.99, False).layer_sizes
    (3, 4, 2)
    """
    Xb, Yb, network = aligned(Xb), aligned(Yb), _aligned_network(network)     # as received by a Dask worker
    if callable(method):
        return method(problem, network, Xb, Yb, np.random.default_rng(seed_seq))
    if method == "lbn":
        from .implicit_stochastic import kernel_supported, lbn_batch_kernel, lbn_batch_numpy
        uk = kernel_supported(problem) if use_kernel is None else use_kernel
        step = lbn_batch_kernel if uk else lbn_batch_numpy
        with np.errstate(over="ignore", invalid="ignore"):
            net, _ = step(problem, network, Xb, Yb, n_inner=n_inner, prox_weight=prox_weight, step_scale=step_scale)
        return net
    if method in BATCH_METHODS:
        from .constrained import inner_minimisation
        pg = method == "proximal_gradient"         # PG: n_inner iterations; CD: one sweep, n_inner per block
        net, _, _ = inner_minimisation(problem, network, Xb, Yb, None, method=method, epochs=n_inner if pg else 1,
                                       step_scale=step_scale, n_inner=n_inner)
        return net
    raise BregnetInputError(f"method must be one of {BATCH_METHODS} or a callable; got {method!r}")


@dataclass(frozen=True)
class ModelAveraging(Solver):
    r"""Model averaging (Section 4.2.2) and, with :math:`\rho > 0`, the parallel iteration (23) (module docstring).

    One epoch is one round: a random split into ``n_batches`` batches, the batch problems, the average.

    Parameters
    ----------
    n_batches : int
        :math:`m` (at most :math:`s`); the batches have sizes differing by at most one.
    method : ``"lbn"``, ``"proximal_gradient"``, ``"coordinate_descent"`` or a callable (module docstring).
    n_inner : int
        Iterations of the batch solver.
    prox_weight : float >= 0
        :math:`\rho = 1/\tau_p^k` of (23); 0 is plain model averaging (the only value for the methods other
        than ``"lbn"``).
    step_scale : float > 0
        :math:`c` of the batch solver's steps.
    use_kernel : bool or None
        For ``method="lbn"``: the Numba kernel (default when supported) or the NumPy twin.
    split : ``"reshuffle"`` or ``"fixed"``
        A new random split every round, or the same contiguous blocks in every round (kept on the workers by a
        :class:`~bregnet.solvers.partitions.ResidentExecutor`); module docstring.
    executor : concurrent.futures.Executor or None
        Where the batch problems run (default: in the calling thread).  It never changes the result, so it is
        not part of :meth:`params` (a checkpoint resumes on any executor).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=40)
    >>> res = run(ModelAveraging(n_batches=4, n_inner=5), net, X, Y, epochs=3, seed=1)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """

    n_batches: int = 4
    method: object = "lbn"
    n_inner: int = 15
    prox_weight: float = 0.0
    step_scale: float = 1.99
    use_kernel: bool | None = None
    split: str = "reshuffle"
    executor: object = None

    name = "model_averaging"
    supports_operators = True                          # the batch solvers 'lbn' (NumPy path), 'proximal_gradient'
    diagnostics_from_parameters = True                 # diagnostics at the forward pass (engine.run)
    runtime_fields = ("executor",)          # the iterates do not depend on it (executors.py)
    constraints = {"n_batches": Interval(1, None, integer=True), "method": (OneOf(BATCH_METHODS), CALLABLE),
                   "n_inner": Interval(1, None, integer=True), "prox_weight": Interval(0, None),
                   "step_scale": Interval(0, None, closed="neither"), "use_kernel": (NONE, BOOLEAN),
                   "split": OneOf(SPLITS), "executor": ANY}

    def check(self):
        check_executor(self.executor)
        if isinstance(self.executor, ResidentExecutor) and self.split != "fixed":
            raise BregnetInputError(f"a {type(self.executor).__name__} keeps fixed blocks on its workers; "
                                    f"use split='fixed' with it (got split={self.split!r})")
        if self.method in ("proximal_gradient", "coordinate_descent") and self.prox_weight != 0:
            raise BregnetInputError(f"method {self.method!r} solves the batch problems without the proximal term; "
                                    f"use method='lbn' for prox_weight > 0 (eq. (23))")

    def check_task(self, task: Task) -> None:
        super().check_task(task)
        if self.n_batches > task.n_samples:
            raise BregnetInputError(f"n_batches must be at most the number of samples ({task.n_samples}); "
                                    f"got {self.n_batches}")

    def init(self, task: Task, network: Network, hidden, rng) -> dict:
        # the root of the per-batch seeds: drawn once, then the child (k, p) seeds batch p of round k
        return {**params_state(network), "seed_entropy": int(rng.integers(2 ** 63)), "round": 0}

    def update(self, task: Task, state: dict, rng) -> dict:
        k = state["round"] + 1
        seqs = np.random.SeedSequence(state["seed_entropy"], spawn_key=(k,)).spawn(self.n_batches)
        net = self.network(task, state)
        hyper = (self.n_inner, self.prox_weight, self.step_scale, self.use_kernel)
        if self.split == "fixed":                                # the blocks stay where they are: only Theta moves
            nets = map_partitions(self.executor, solve_partition, task.X, task.Y, self.n_batches,
                                  lambda p, part: (self.method, task.problem, net, part, seqs[p], *hyper))
        else:
            batches = np.array_split(rng.permutation(task.n_samples), self.n_batches)
            tasks = [(self.method, task.problem, net, task.X[idx], task.Y[idx], sq, *hyper)
                     for idx, sq in zip(batches, seqs)]
            nets = map_ordered(check_executor(self.executor), solve_batch, tasks)
        avg = average_networks(nets)
        return {"weights": avg.weights, "biases": avg.biases, "seed_entropy": state["seed_entropy"], "round": k}

    def diagnostics(self, task: Task, state: dict) -> dict:
        net = self.network(task, state)
        if self.split != "fixed":
            return lifted_diagnostics(task, net, None)
        # per block where the blocks are (computed here, from row views, on any other executor), then combined
        where = self.executor if isinstance(self.executor, ResidentExecutor) else SynchronousExecutor()
        rows = map_partitions(where, partition_diagnostics, task.X, task.Y, self.n_batches,
                              lambda p, part: (task.problem, net, part))
        return combine_diagnostics(rows)


def solve_partition(method, problem: LiftedProblem, network: Network, part, seed_seq, n_inner: int,
                    prox_weight: float, step_scale: float, use_kernel) -> Network:
    """:func:`solve_batch` on a resident block (``part``: see :func:`~bregnet.solvers.partitions.partition_arrays`)."""
    Xb, Yb = partition_arrays(part)
    return solve_batch(method, problem, network, Xb, Yb, seed_seq, n_inner, prox_weight, step_scale, use_kernel)


def partition_diagnostics(problem: LiftedProblem, network: Network, part) -> dict:
    """The history row of one block (:func:`~bregnet.solvers._common.lifted_diagnostics`) and its size ``n``."""
    Xb, Yb = partition_arrays(part)
    with np.errstate(over="ignore", invalid="ignore"):
        row = lifted_diagnostics(Task(problem, Xb, Yb), _aligned_network(network), None)
    return {**row, "n": Xb.shape[0]}


def combine_diagnostics(rows) -> dict:
    r"""The row of the whole data from the rows of the blocks: :math:`E = \sum_p \frac{|B_p|}{s} E_p` for the
    energy and the forward loss (both means over the samples), in block order; the residuals are zero (the
    energy is evaluated at the forward pass).

    Examples
    --------
    >>> combine_diagnostics([{"energy": 1.0, "forward_loss": 0.5, "residuals": np.zeros(1), "n": 3},
    ...                      {"energy": 3.0, "forward_loss": 1.5, "residuals": np.zeros(1), "n": 1}])["energy"]
    1.5
    """
    s = sum(r["n"] for r in rows)
    out = {key: float(sum(r[key] * r["n"] for r in rows) / s) for key in ("energy", "forward_loss")}
    return {"energy": out["energy"], "residuals": np.zeros_like(rows[0]["residuals"]),
            "forward_loss": out["forward_loss"]}


@dataclass(frozen=True)
class ParallelImplicit(ModelAveraging):
    r"""The parallel implicit stochastic iteration (23): :class:`ModelAveraging` with the batch problems (24)
    anchored at the average, :math:`\rho` = ``prox_weight`` > 0, solved by Algorithm 1's inner loop.
    """

    prox_weight: float = 1.0

    name = "parallel_implicit"
    constraints = {**ModelAveraging.constraints, "method": OneOf(("lbn",)),
                   "prox_weight": Interval(0, None, closed="neither")}


def _averaging(cls, network, X, Y, rounds, epochs, checkpoint_every, hyper, options) -> Result:
    if rounds is not None:                                   # the name before the engine
        if epochs is not None:
            raise BregnetInputError(f"{cls.name}: give epochs or its old name rounds, not both")
        epochs = rounds
    if options.get("record") == "none":
        options["record"] = "end"
    more, run_opts = split_run_options(cls, options)
    return run(cls(**hyper, **more), network, X, Y, epochs=10 if epochs is None else epochs,
               checkpoint_every=checkpoint_every, **run_opts)


def model_averaging(network: Network, X, Y, *, rounds: int | None = None, epochs: int | None = None,
                    checkpoint_every: int = 1, n_batches: int = 4, method="lbn", n_inner: int = 15,
                    prox_weight: float = 0.0, step_scale: float = 1.99, use_kernel: bool | None = None,
                    executor=None, **options) -> Result:
    r"""Train by model averaging (Section 4.2.2) or (with ``prox_weight > 0``) by (23): ``run(ModelAveraging(...))``.

    ``rounds`` is the old name of ``epochs`` (default 10; one round per epoch).  The other keywords are the
    hyperparameters of :class:`ModelAveraging`; ``options`` the options of :func:`bregnet.solvers.engine.run`
    (``lambdas``, ``l1``, ``seed``, ``rng``, ``checkpoint``, ``resume``, ...; ``record="none"`` is accepted for
    ``"end"``).  The seed determines the batches and the per-batch seeds: identical results on every executor.

    Returns
    -------
    Result
        ``network`` (the average) and per-round ``history`` (energy at the forward-pass auxiliary variables).

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=40)
    >>> res = model_averaging(net, X, Y, rounds=3, n_batches=4, seed=1)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    hyper = dict(n_batches=n_batches, method=method, n_inner=n_inner, prox_weight=prox_weight,
                 step_scale=step_scale, use_kernel=use_kernel, executor=executor)
    return _averaging(ModelAveraging, network, X, Y, rounds, epochs, checkpoint_every, hyper, options)


def parallel_implicit(network: Network, X, Y, *, rounds: int | None = None, epochs: int | None = None,
                      checkpoint_every: int = 1, n_batches: int = 4, prox_weight: float = 1.0, n_inner: int = 15,
                      step_scale: float = 1.99, **options) -> Result:
    r"""The parallel implicit iteration (23): ``run(ParallelImplicit(...), ...)``; see :func:`model_averaging`.

    Examples
    --------
    >>> from bregnet.testing import toy_problem
    >>> net, X, Y = toy_problem([3, 5, 2], ["relu", "identity"], n_samples=40)
    >>> res = parallel_implicit(net, X, Y, rounds=3, seed=1)
    >>> bool(res.history.forward_loss[-1] < res.history.forward_loss[0])
    True
    """
    hyper = dict(n_batches=n_batches, prox_weight=prox_weight, n_inner=n_inner, step_scale=step_scale)
    return _averaging(ParallelImplicit, network, X, Y, rounds, epochs, checkpoint_every, hyper, options)
