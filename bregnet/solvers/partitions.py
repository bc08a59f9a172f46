r"""Data partitions that stay on the workers for the whole run (Section 4.2.2: the batches :math:`B_p` of (23)).

Model averaging and the parallel implicit iteration (23) solve one problem per batch :math:`B_p` from the
current average :math:`\bar\Theta^k` and average the results.  With a *fixed* split
(``ModelAveraging(split="fixed")``) the batches are the same in every round: the contiguous blocks

.. math::  B_p = \{o_p, \dots, o_{p+1} - 1\},\qquad o_{p+1} - o_p = \lfloor s/m\rfloor
           \text{ or } \lceil s/m\rceil \quad(\text{the sizes of } \texttt{numpy.array\_split}),

so each block can be placed once where its tasks run and every round sends only :math:`\bar\Theta^k` to the
workers and receives one :math:`\Theta_p^{k+1}` per block.  The layout depends on :math:`s` and :math:`m` only,
never on the executor, so the iterates are the same on every executor, bit for bit.

Two executors keep the blocks resident (any other executor gets each block's rows with its task, every round):

* :class:`ResidentProcessPool`: a process pool on this machine whose processes receive every block once, when
  they start (a fork shares them copy-on-write);
* :class:`DaskResident`: a Dask cluster (``distributed.Client``, a scheduler address or a ``LocalCluster``);
  each block is scattered once to one worker and every task of that block runs where the block is.

A worker that dies mid-round is survived: its blocks are placed again from the driver's copy and the round is
computed again (``retries`` times at most); after that the run stops with :class:`ClusterError`, and the
checkpoint of the last finished round (written by :func:`~bregnet.solvers.engine.run`) is intact.

:class:`TransferMeter` counts what a round sends and receives (pickled sizes of the tasks' arguments and results).

Examples
--------
>>> partition_slices(10, 3)
[slice(0, 4, None), slice(4, 7, None), slice(7, 10, None)]
>>> X = np.arange(20.0).reshape(10, 2); Y = X[:, :1]
>>> [float(r) for r in map_partitions(None, _row_sum, X, Y, 3, lambda p, part: (part,))]
[28.0, 63.0, 99.0]
"""
from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import itertools
import os
import pickle
import threading

import numpy as np

from ..exceptions import BregnetInputError
from .executors import SynchronousExecutor, check_executor, map_ordered

__all__ = ["partition_slices", "map_partitions", "partition_arrays", "aligned", "ResidentExecutor", "ResidentProcessPool",
           "DaskResident", "ClusterError", "TransferMeter"]


#: seconds to wait for a worker when the cluster has none (a lost worker being restarted by its nanny)
WORKER_WAIT_S = 30.0


class ClusterError(RuntimeError):
    """A round could not be computed: a worker died (or the cluster went away) and the retries were spent."""


def partition_slices(n_samples: int, n_partitions: int) -> list:
    """The fixed blocks :math:`B_1..B_m` as row slices: contiguous, sizes of ``numpy.array_split`` (module docstring)."""
    if isinstance(n_partitions, bool) or not isinstance(n_partitions, (int, np.integer)) or n_partitions < 1:
        raise BregnetInputError(f"n_partitions must be an integer >= 1; got {n_partitions!r}")
    if n_partitions > n_samples:
        raise BregnetInputError(f"n_partitions must be at most the number of samples ({n_samples}); "
                                f"got {n_partitions}")
    q, r = divmod(int(n_samples), int(n_partitions))
    ends = np.cumsum([q + 1] * r + [q] * (n_partitions - r))
    starts = np.concatenate([[0], ends[:-1]])
    return [slice(int(a), int(b)) for a, b in zip(starts, ends)]


# ---------------------------------------------------------------------------------------------- task side
#: blocks installed in this process by a ResidentProcessPool's initializer: token -> list of (X_p, Y_p)
_INSTALLED: dict = {}


class _Installed:
    """A reference to block ``p`` installed in a pool process (what a task of :class:`ResidentProcessPool` gets)."""

    __slots__ = ("token", "p")

    def __init__(self, token, p):
        self.token, self.p = token, p

    def __reduce__(self):
        return _Installed, (self.token, self.p)


def _install(token, blocks):
    _INSTALLED.clear()                       # one run's blocks per process
    _INSTALLED[token] = blocks


def partition_arrays(part) -> tuple:
    """``(X_p, Y_p)`` of a block as a task receives it: the pair itself (a Dask future arrives as its value) or a
    reference to a block installed in this process."""
    if isinstance(part, _Installed):
        try:
            return _INSTALLED[part.token][part.p]
        except KeyError:
            raise ClusterError("a pool process lost its data blocks (it was restarted without them)") from None
    return tuple(aligned(a) for a in part)


def _row_sum(part):
    X, _ = partition_arrays(part)
    return X.sum()


def aligned(a: np.ndarray) -> np.ndarray:
    """``a`` itself if it is C-contiguous, writeable and aligned to its itemsize, else such a copy.

    Arrays a Dask worker receives may lie at any byte offset of a message buffer; NumPy's matrix products do not
    call BLAS on misaligned arrays but take another loop, whose sums differ in the last bits.  Every task of a
    fixed-split round aligns its arrays first, so its result is the same on every executor.

    >>> raw = np.zeros(17, dtype=np.uint8); a = raw[1:].view(np.float64)
    >>> a.flags.aligned, aligned(a).flags.aligned
    (False, True)
    """
    if a.flags.c_contiguous and a.flags.writeable and a.flags.aligned:
        return a
    return np.array(a, order="C", copy=True)


def _writable(pair):
    """The block as aligned, writable arrays (placed once on a Dask worker)."""
    return tuple(aligned(a) for a in pair)


def map_partitions(executor, fn, X, Y, n_partitions: int, make_args) -> list:
    """``[fn(*make_args(p, part_p)) for p]`` over the fixed blocks of ``(X, Y)``, in block order.

    ``part_p`` is what :func:`partition_arrays` turns into ``(X_p, Y_p)`` inside the task.  A
    :class:`ResidentExecutor` places the blocks once (and survives lost workers); on any other executor (default
    :class:`~bregnet.solvers.executors.SynchronousExecutor`) ``part_p`` is the pair of row views itself.
    """
    if isinstance(executor, ResidentExecutor):
        return executor.map_partitions(fn, X, Y, n_partitions, make_args)
    slices = partition_slices(X.shape[0], n_partitions)
    tasks = [make_args(p, (X[sl], Y[sl])) for p, sl in enumerate(slices)]
    return map_ordered(check_executor(executor), fn, tasks)


# ---------------------------------------------------------------------------------------------- metering
class TransferMeter:
    """Bytes a round sends to and receives from the workers: pickled sizes of the task arguments and results.

    Attach one to a :class:`ResidentExecutor` (``meter=``) or wrap any executor (:meth:`wrap`).  ``rounds`` holds
    ``(sent, received)`` per call of :meth:`start_round` (one per ``map_partitions``).

    Examples
    --------
    >>> meter = TransferMeter()
    >>> ex = meter.wrap(SynchronousExecutor())
    >>> meter.start_round(); ex.submit(sum, [1, 2]).result(), meter.rounds[-1][0] > 0
    (3, True)
    """

    def __init__(self):
        self.rounds = []
        self._lock = threading.Lock()

    def start_round(self):
        with self._lock:
            self.rounds.append([0, 0])

    def add(self, sent: int = 0, received: int = 0):
        with self._lock:
            if not self.rounds:
                self.rounds.append([0, 0])
            self.rounds[-1][0] += sent
            self.rounds[-1][1] += received

    def count_args(self, fn, args):
        self.add(sent=len(pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)))

    def count_result(self, value):
        self.add(received=len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))

    def wrap(self, executor) -> cf.Executor:
        """``executor`` with every submission metered (a new round starts at each :func:`map_ordered` call)."""
        return _MeteredExecutor(check_executor(executor), self)


class _MeteredExecutor(cf.Executor):
    def __init__(self, inner, meter):
        self.inner, self.meter = inner, meter

    def submit(self, fn, /, *args, **kwargs):
        self.meter.count_args(fn, args)
        fut = self.inner.submit(fn, *args, **kwargs)
        fut.add_done_callback(lambda f: f.exception() is None and self.meter.count_result(f.result()))
        return fut

    def map_ordered(self, fn, tasks):
        self.meter.start_round()
        futures = [self.submit(fn, *t) for t in tasks]
        return [f.result() for f in futures]

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.inner.shutdown(wait=wait)


# ---------------------------------------------------------------------------------------------- resident
class ResidentExecutor(cf.Executor):
    """An executor that keeps the fixed blocks of the data where its tasks run (base of the two kinds below).

    It places the blocks of an ``(X, Y)`` once (the placement is kept while the same arrays are used), sends a
    reference to the block with each task and computes a round again, blocks placed anew, when a worker is lost.
    """

    #: the exceptions that mean "a worker or its data was lost" (a round is then retried)
    lost_errors: tuple = ()

    def __init__(self, retries: int = 2, meter: TransferMeter | None = None):
        if isinstance(retries, bool) or not isinstance(retries, (int, np.integer)) or retries < 0:
            raise BregnetInputError(f"retries must be an integer >= 0; got {retries!r}")
        if meter is not None and not isinstance(meter, TransferMeter):
            raise BregnetInputError(f"meter must be a TransferMeter; got {type(meter).__name__}")
        self.retries, self.meter = int(retries), meter
        self._key, self._data, self._parts = None, None, None
        self.placements = 0                  # how often blocks were placed (1 + recoveries)

    # -- what a kind provides
    def _place(self, blocks) -> list:
        raise NotImplementedError

    def _submit_block(self, fn, args, part_index):
        raise NotImplementedError

    def _forget(self):
        """Drop the placed blocks (before placing new ones)."""

    # -- the common part
    def _parts_for(self, X, Y, n_partitions, fresh=False) -> list:
        key = (id(X), id(Y), X.shape, Y.shape, X.dtype.str, n_partitions)
        if fresh or key != self._key:
            self._forget()
            slices = partition_slices(X.shape[0], n_partitions)
            self._parts = self._place([(X[sl], Y[sl]) for sl in slices])
            self._key, self._data = key, (X, Y)          # the arrays held, so their ids stay theirs
            self.placements += 1
        return self._parts

    def map_partitions(self, fn, X, Y, n_partitions, make_args) -> list:
        """:func:`map_partitions` on the resident blocks, a round retried (blocks placed again) on a lost worker."""
        for attempt in itertools.count():
            try:
                parts = self._parts_for(X, Y, n_partitions, fresh=attempt > 0)
                if self.meter is not None:
                    self.meter.start_round()
                futures = []
                for p, part in enumerate(parts):
                    args = make_args(p, part)
                    if self.meter is not None:
                        self.meter.count_args(fn, args)
                    futures.append(self._submit_block(fn, args, p))
                results = [f.result() for f in futures]
            except self.lost_errors as exc:
                if attempt >= self.retries:
                    raise ClusterError(f"{type(self).__name__}: a worker was lost and the round failed "
                                       f"{attempt + 1} time(s) ({type(exc).__name__}: {exc}); retries={self.retries} "
                                       f"spent") from exc
                continue
            if self.meter is not None:
                for r in results:
                    self.meter.count_result(r)
            return results
        raise AssertionError("unreachable")

    def submit(self, fn, /, *args, **kwargs):
        raise NotImplementedError

    def map_ordered(self, fn, tasks):
        """Tasks without blocks (e.g. :func:`~bregnet.solvers.executors.map_ordered` of other solvers)."""
        futures = [self.submit(fn, *t) for t in tasks]
        return [f.result() for f in futures]


class ResidentProcessPool(ResidentExecutor):
    """A process pool on this machine whose processes receive the blocks once, when they start.

    Every process holds every block (any process may run any block's task); a fork shares them copy-on-write.
    A process that dies breaks the pool: it is started again, blocks installed, and the round computed again.

    Examples
    --------
    >>> X = np.arange(20.0).reshape(10, 2); Y = X[:, :1]
    >>> with ResidentProcessPool(max_workers=2) as pool:
    ...     [float(v) for v in map_partitions(pool, _row_sum, X, Y, 2, lambda p, part: (part,))]
    [45.0, 145.0]
    """

    lost_errors = (BrokenProcessPool,)

    def __init__(self, max_workers: int | None = None, retries: int = 2, meter: TransferMeter | None = None):
        super().__init__(retries, meter)
        if max_workers is not None and (isinstance(max_workers, bool) or not isinstance(max_workers, (int, np.integer))
                                        or max_workers < 1):
            raise BregnetInputError(f"max_workers must be None or an integer >= 1; got {max_workers!r}")
        self.max_workers = max_workers
        self._pool = None
        self._token = None

    def _place(self, blocks):
        self._token = f"{os.getpid()}-{id(self)}-{self.placements}"
        self._pool = cf.ProcessPoolExecutor(self.max_workers, initializer=_install, initargs=(self._token, blocks))
        return [_Installed(self._token, p) for p in range(len(blocks))]

    def _forget(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _submit_block(self, fn, args, part_index):
        return self._pool.submit(fn, *args)

    def submit(self, fn, /, *args, **kwargs):
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(self.max_workers)
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._pool, self._key, self._data = None, None, None


class DaskResident(ResidentExecutor):
    """A Dask cluster holding the blocks: each scattered once to one worker, each block's task run there.

    Parameters
    ----------
    client : distributed.Client or str
        A client, or a scheduler address (``"tcp://host:8786"``) to connect to (closed by :meth:`shutdown`).
    retries : int
        How often a round is computed again after a worker was lost (its blocks scattered again from the
        driver's copy).
    meter : TransferMeter, optional

    Examples
    --------
    >>> from distributed import Client                                     # doctest: +SKIP
    >>> ex = DaskResident(Client("tcp://scheduler:8786"))                  # doctest: +SKIP
    >>> run(ModelAveraging(split="fixed", executor=ex), net, X, Y, epochs=10)   # doctest: +SKIP
    """

    def __init__(self, client, retries: int = 2, meter: TransferMeter | None = None):
        super().__init__(retries, meter)
        import distributed
        from distributed.client import FutureCancelledError

        self._owns_client = isinstance(client, str)
        if self._owns_client:
            client = distributed.Client(client)
        if not isinstance(client, distributed.Client):
            raise BregnetInputError(f"client must be a distributed.Client or a scheduler address; "
                                    f"got {type(client).__name__}")
        self.client = client
        self.lost_errors = (FutureCancelledError, distributed.scheduler.KilledWorker, OSError,
                            cf.CancelledError)

    def _place(self, blocks):
        import distributed

        workers = list(self.client.scheduler_info()["workers"])
        if not workers:                     # e.g. a lost worker's nanny still restarting it: wait a bounded time
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except (TimeoutError, OSError):
                raise ClusterError(f"the Dask cluster has no workers (waited {WORKER_WAIT_S:g} s for one)") from None
            workers = list(self.client.scheduler_info()["workers"])
        parts, self._holders = [], []
        for p, pair in enumerate(blocks):                         # round-robin: block p on worker p mod w
            holder = workers[p % len(workers)]
            raw = self.client.scatter([pair], workers=[holder], hash=False)[0]
            parts.append(self.client.submit(_writable, raw, pure=False, workers=[holder], allow_other_workers=False))
            self._holders.append(holder)
        distributed.wait(parts)                                  # placed (not fetched back) before the round
        for f in parts:
            if f.status != "finished":
                raise ClusterError(f"placing a data block on {self._holders[parts.index(f)]} failed ({f.status})")
        return parts

    def _forget(self):
        if self._parts is not None:
            self.client.cancel(self._parts)
        self._parts = None

    def _submit_block(self, fn, args, part_index):
        # pinned to the block's worker (the scheduler would otherwise move a block to an idle worker); if that
        # worker dies the block is lost with it, the task is cancelled and the round computed again
        return self.client.submit(fn, *args, pure=False, workers=[self._holders[part_index]],
                                  allow_other_workers=False)

    def submit(self, fn, /, *args, **kwargs):
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._forget()
        self._key = self._data = None
        if self._owns_client:
            self.client.close()
