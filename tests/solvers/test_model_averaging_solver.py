"""Model averaging (Section 4.2.2) and the parallel implicit variant (23): identical across executors."""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem
from bregnet.network import glorot_init
from bregnet.solvers.implicit_stochastic import lbn_batch_numpy
from bregnet.solvers.engine import run
from bregnet.solvers.model_averaging import ModelAveraging, ParallelImplicit, model_averaging, parallel_implicit


def _data(seed=0, s=24):
    rng = np.random.default_rng(seed)
    net = glorot_init([4, 5, 2], ["relu", "identity"], seed=seed, bias=0.05)
    X = rng.normal(size=(s, 4))
    return net, X, X[:, :2] - 0.5 * X[:, 2:]


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.network.weights + a.network.biases,
                                                    b.network.weights + b.network.biases))


@pytest.mark.parametrize("method,rho", [("lbn", 0.0), ("lbn", 1.0), ("proximal_gradient", 0.0)])
def test_identical_in_process_and_process_pool(method, rho):
    net, X, Y = _data()
    kw = dict(rounds=2, n_batches=3, method=method, prox_weight=rho, n_inner=4, seed=11, use_kernel=False)
    a = model_averaging(net, X, Y, **kw)
    with ProcessPoolExecutor(2) as ex:
        b = model_averaging(net, X, Y, executor=ex, **kw)
    with ThreadPoolExecutor(2) as ex:
        c = model_averaging(net, X, Y, executor=ex, **kw)
    assert _same(a, b) and _same(a, c)
    assert a.history.energy == b.history.energy
    d = model_averaging(net, X, Y, **dict(kw, seed=12))
    assert not _same(a, d)                                   # the comparison can fail: another split differs


def test_identical_on_dask_executor():
    distributed = pytest.importorskip("dask.distributed")
    net, X, Y = _data()
    kw = dict(rounds=2, n_batches=3, prox_weight=0.5, n_inner=3, seed=5, use_kernel=False)
    a = parallel_implicit(net, X, Y, **kw)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        b = parallel_implicit(net, X, Y, executor=client.get_executor(), **kw)
    assert _same(a, b)


def test_one_batch_is_the_batch_solver_and_training_progresses():
    net, X, Y = _data()
    prob = LiftedProblem.from_network(net)
    res = model_averaging(net, X, Y, rounds=1, n_batches=1, prox_weight=0.7, n_inner=5, seed=0, use_kernel=False)
    ref, _ = lbn_batch_numpy(prob, net, X, Y, n_inner=5, prox_weight=0.7)
    # one batch = all samples in a permuted order: the same problem, equal up to summation order
    for p, q in zip(res.network.weights, ref.weights):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)
    long = parallel_implicit(net, X, Y, rounds=8, n_batches=4, prox_weight=0.5, seed=1)
    assert long.history.forward_loss[-1] < 0.5 * long.history.forward_loss[0]


def test_callable_batch_solver_and_errors():
    net, X, Y = _data()

    def keep(problem, network, Xb, Yb, rng):
        return network

    res = model_averaging(net, X, Y, rounds=2, method=keep, seed=0)
    assert _same(res, type(res)(network=net, history=res.history))
    with pytest.raises(BregnetInputError, match="n_batches"):
        model_averaging(net, X, Y, n_batches=100)
    with pytest.raises(BregnetInputError, match="method"):
        model_averaging(net, X, Y, method="sgd")
    with pytest.raises(BregnetInputError, match="prox_weight > 0"):
        model_averaging(net, X, Y, method="proximal_gradient", prox_weight=1.0)
    with pytest.raises(BregnetInputError, match="prox_weight"):
        parallel_implicit(net, X, Y, prox_weight=0.0)


def test_checkpoint_resume_is_bit_identical(tmp_path):
    net, X, Y = _data()
    kw = dict(n_batches=3, prox_weight=0.5, n_inner=3, seed=2, use_kernel=False)
    full = model_averaging(net, X, Y, rounds=4, **kw)
    ck = tmp_path / "ma.npz"
    model_averaging(net, X, Y, rounds=2, checkpoint=ck, **kw)
    res = model_averaging(net, X, Y, rounds=4, checkpoint=ck, resume=True, **kw)
    assert _same(full, res)
    assert full.history.energy == res.history.energy


@pytest.mark.parametrize("cls,kw", [(ModelAveraging, dict(method="lbn", prox_weight=0.0)),
                                    (ModelAveraging, dict(method="proximal_gradient")),
                                    (ParallelImplicit, dict(prox_weight=0.5))])
def test_engine_resume_is_bit_identical_on_another_executor(tmp_path, cls, kw):
    net, X, Y = _data()
    solver = cls(n_batches=3, n_inner=3, use_kernel=False, **kw)
    full = run(solver, net, X, Y, epochs=4, seed=2)
    ck = tmp_path / "ma.npz"
    first = run(solver, net, X, Y, epochs=4, seed=2, checkpoint=ck,
                callback=lambda epoch, network, row: epoch == 2)          # interrupted after epoch 2
    assert first.stopped_early and first.history.epoch[-1] == 2
    with ThreadPoolExecutor(2) as ex:                                     # the executor is no part of the run
        res = run(solver.replace(executor=ex), net, X, Y, epochs=4, seed=2, checkpoint=ck, resume=True)
    assert res.resumed_from == 2
    assert _same(full, res)
    assert np.array_equal(full.history.energy, res.history.energy)


def test_hyperparameters_and_legacy_names():
    net, X, Y = _data()
    assert "executor" not in ModelAveraging(executor=ThreadPoolExecutor(1)).params()

    def keep(problem, network, Xb, Yb, rng):
        return network

    assert ModelAveraging(method=keep).params()["method"].endswith("keep")
    with pytest.raises(BregnetInputError, match="executor"):
        ModelAveraging(executor=object())
    with pytest.raises(BregnetInputError, match="method"):
        ParallelImplicit(method="proximal_gradient")
    with pytest.raises(BregnetInputError, match="rounds"):
        model_averaging(net, X, Y, rounds=2, epochs=2)
    kw = dict(n_batches=2, n_inner=2, seed=3, use_kernel=False)
    a, b = model_averaging(net, X, Y, rounds=2, **kw), model_averaging(net, X, Y, epochs=2, **kw)
    assert _same(a, b) and a.history.epoch == [0, 1, 2]
    c = run(ModelAveraging(**{k: v for k, v in kw.items() if k != "seed"}), net, X, Y, epochs=2, seed=3)
    assert _same(a, c)
    end = parallel_implicit(net, X, Y, rounds=2, record="none", **kw)
    assert end.history.epoch == [0, 2]


def test_checkpoint_with_a_callable_method_and_a_pool(tmp_path):
    net, X, Y = _data()

    def keep(problem, network, Xb, Yb, rng):
        return network

    with ThreadPoolExecutor(2) as ex:
        res = model_averaging(net, X, Y, rounds=2, method=keep, executor=ex, checkpoint=tmp_path / "c.npz", seed=0)
    again = model_averaging(net, X, Y, rounds=3, method=keep, checkpoint=tmp_path / "c.npz", resume=True, seed=0)
    assert res.history.epoch == [0, 1, 2] and again.resumed_from == 2 and _same(again, res)


# ---------------------------------------------------------------------------------- the fixed split (issue 18)
class _KillFirst:
    """A batch method that kills its own process the first time it runs while ``marker`` is absent."""

    def __init__(self, marker):
        self.marker = marker

    def __call__(self, problem, network, Xb, Yb, rng):
        import os
        import signal
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return lbn_batch_numpy(problem, network, Xb, Yb, n_inner=3, prox_weight=0.5)[0]

    def __repr__(self):
        return "_KillFirst()"


def test_fixed_split_is_identical_on_every_executor_and_resident_pool_sends_no_data(tmp_path):
    from bregnet.solvers.partitions import ResidentProcessPool, TransferMeter
    net, X, Y = _data(s=25)
    solver = ModelAveraging(n_batches=3, n_inner=3, prox_weight=0.5, split="fixed", use_kernel=False)
    ref = run(solver, net, X, Y, epochs=2, seed=4)
    with ProcessPoolExecutor(2) as ex:
        plain = run(solver.replace(executor=ex), net, X, Y, epochs=2, seed=4)
    meter = TransferMeter()
    with ResidentProcessPool(2, meter=meter) as pool:
        resident = run(solver.replace(executor=pool), net, X, Y, epochs=2, seed=4)
    assert _same(ref, plain) and _same(ref, resident) and ref.history.energy == resident.history.energy
    big = run(solver, net, np.tile(X, (40, 1)), np.tile(Y, (40, 1)), epochs=1, seed=4)   # same code, 1000 rows
    meter_big = TransferMeter()
    with ResidentProcessPool(2, meter=meter_big) as pool:
        big_res = run(solver.replace(executor=pool), net, np.tile(X, (40, 1)), np.tile(Y, (40, 1)), epochs=1, seed=4)
    assert _same(big, big_res)
    assert [r[0] for r in meter_big.rounds] == [r[0] for r in meter.rounds[:3]]   # bytes sent per round: not s
    reshuffled = run(solver.replace(split="reshuffle"), net, X, Y, epochs=2, seed=4)
    assert not _same(ref, reshuffled)                         # the split matters: the comparison can fail


def test_resident_pool_survives_a_killed_process_or_stops_clearly(tmp_path):
    from bregnet.solvers.partitions import ClusterError, ResidentProcessPool
    net, X, Y = _data(s=24)
    marker = str(tmp_path / "killed")
    open(marker, "w").close()
    solver = ModelAveraging(n_batches=3, split="fixed", method=_KillFirst(marker))
    ref = run(solver, net, X, Y, epochs=2, seed=0)
    import os
    os.remove(marker)
    with ResidentProcessPool(2, retries=1) as pool:
        got = run(solver.replace(executor=pool), net, X, Y, epochs=2, seed=0)
        assert pool.placements == 2
    assert _same(ref, got)
    os.remove(marker)
    with ResidentProcessPool(2, retries=0) as pool, pytest.raises(ClusterError, match="retries=0"):
        run(solver.replace(executor=pool), net, X, Y, epochs=2, seed=0)


def test_fixed_split_checks():
    from bregnet.solvers.partitions import ResidentProcessPool, partition_slices
    with pytest.raises(BregnetInputError, match="split='fixed'"):
        ModelAveraging(executor=ResidentProcessPool(1))
    with pytest.raises(BregnetInputError, match="split"):
        ModelAveraging(split="random")
    with pytest.raises(BregnetInputError, match="n_partitions"):
        partition_slices(3, 4)
    sizes = [sl.stop - sl.start for sl in partition_slices(41, 4)]
    assert sizes == [len(b) for b in np.array_split(np.arange(41), 4)]
