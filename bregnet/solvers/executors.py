r"""Executors for the parallel parts of the lifted solvers (Section 4.2.2, eq. (23); Appendix B.1, (36)-(37)).

The data-parallel solvers (:mod:`~bregnet.solvers.model_averaging`) and the parallel blocks of the
odd/even coordinate descent (:mod:`~bregnet.solvers.coordinate_descent`) accept any
:class:`concurrent.futures.Executor`: a :class:`~concurrent.futures.ProcessPoolExecutor`, a
:class:`~concurrent.futures.ThreadPoolExecutor`, or a Dask client's ``Client.get_executor()``.
:class:`SynchronousExecutor` runs every task in the calling thread, in submission order, and is the
default: the parallel algorithm, computed sequentially.

Results never depend on the executor: every task is a pure function of its arguments (its random
numbers come from a seed derived with :meth:`numpy.random.SeedSequence.spawn`), and results are
combined in submission order.
"""
from __future__ import annotations

import concurrent.futures as cf
import threading

from ..exceptions import BregnetInputError

__all__ = ["SynchronousExecutor", "check_executor", "map_ordered"]


class SynchronousExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` that runs each task immediately in the calling thread.

    Examples
    --------
    >>> with SynchronousExecutor() as ex:
    ...     ex.submit(pow, 2, 5).result()
    32
    """

    def __init__(self):
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` now, in this thread; return a done :class:`~concurrent.futures.Future`
        holding its result or its exception (``RuntimeError`` after :meth:`shutdown`)."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, as by every executor
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Refuse further :meth:`submit` calls (every submitted task has already run)."""
        with self._lock:
            self._shutdown = True


def check_executor(executor) -> cf.Executor:
    """``executor`` or a new :class:`SynchronousExecutor` for ``None``; anything without ``submit`` is rejected."""
    if executor is None:
        return SynchronousExecutor()
    if not callable(getattr(executor, "submit", None)):
        raise BregnetInputError(f"executor must be a concurrent.futures.Executor (with a submit method); "
                                f"got {type(executor).__name__}")
    return executor


def map_ordered(executor: cf.Executor, fn, tasks) -> list:
    """Submit ``fn(*task)`` for every task, then collect the results in submission order.

    An executor with a ``map_ordered(fn, tasks)`` method of its own (the resident executors of
    :mod:`~bregnet.solvers.partitions`, a metered one) does it itself.

    Examples
    --------
    >>> map_ordered(SynchronousExecutor(), max, [(1, 2), (4, 3)])
    [2, 4]
    """
    own = getattr(executor, "map_ordered", None)
    if callable(own):
        return own(fn, tasks)
    futures = [executor.submit(fn, *task) for task in tasks]
    return [f.result() for f in futures]
