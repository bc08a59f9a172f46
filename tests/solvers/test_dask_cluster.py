"""Data-resident model averaging (Section 4.2.2, eq. (23)) on a real multi-process Dask cluster (issue 18).

One LocalCluster (2 worker processes, one thread each) serves the module.  Checked: bit-identity with the
synchronous run, the bytes a round sends do not grow with the number of samples (pickled task arguments and the
scheduler's own count of the data it received), a worker killed mid-round is survived (retry) or stops the run
with ClusterError and the last checkpoint intact.
"""
import os
import signal
import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from bregnet.network import glorot_init  # noqa: E402
from bregnet.solvers.engine import run  # noqa: E402
from bregnet.solvers.model_averaging import ModelAveraging, solve_batch  # noqa: E402
from bregnet.solvers.partitions import ClusterError, DaskResident, TransferMeter  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])      # the workers need not import this file


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(s=40, seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([4, 6, 2], ["relu", "identity"], seed=seed, bias=0.05)
    X = rng.normal(size=(s, 4))
    return net, X, X[:, :2] - 0.5 * X[:, 2:]


SOLVER = ModelAveraging(n_batches=4, n_inner=3, prox_weight=0.5, split="fixed", use_kernel=False)


def _params(res):
    return res.network.weights + res.network.biases


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(_params(a), _params(b)))


@pytest.mark.parametrize("method", ["lbn", "proximal_gradient"])
def test_bit_identical_to_the_synchronous_run(client, method):
    net, X, Y = _data(s=41)                                    # unequal blocks (11, 10, 10, 10)
    solver = SOLVER.replace(method=method, prox_weight=0.5 if method == "lbn" else 0.0)
    ref = run(solver, net, X, Y, epochs=3, seed=3)
    ex = DaskResident(client)
    got = run(solver.replace(executor=ex), net, X, Y, epochs=3, seed=3)
    assert _same(ref, got) and ref.history.energy == got.history.energy
    assert ex.placements == 1                                  # placed once, used in every round
    other = run(solver, net, X[::-1].copy(), Y[::-1].copy(), epochs=3, seed=3)
    assert not _same(ref, other)                               # the comparison can fail: other blocks differ


def test_partitioned_history_is_the_energy_of_all_samples(client):
    net, X, Y = _data(s=41)
    fixed = run(SOLVER.replace(executor=DaskResident(client)), net, X, Y, epochs=1, seed=0)
    from bregnet.solvers._common import lifted_diagnostics
    from bregnet.solvers.engine import make_task
    from bregnet.lifted import LiftedProblem
    task = make_task(net, X, Y, LiftedProblem.from_network(net))
    whole = lifted_diagnostics(task, fixed.network, None)
    assert fixed.history.energy[-1] == pytest.approx(whole["energy"], rel=1e-13)
    assert fixed.history.forward_loss[-1] == pytest.approx(whole["forward_loss"], rel=1e-13)
    # an unweighted mean of the blocks' energies is another number: the weights |B_p|/s matter
    blocks = [lifted_diagnostics(make_task(net, X[sl], Y[sl], task.problem), fixed.network, None)["energy"]
              for sl in (slice(0, 11), slice(11, 21), slice(21, 31), slice(31, 41))]
    assert abs(np.mean(blocks) - whole["energy"]) > 1e-6


def _sent_per_round(client, s):
    net, X, Y = _data(s=s)
    meter = TransferMeter()
    ex = DaskResident(client, meter=meter)
    before = _peer_bytes(client)
    run(SOLVER.replace(executor=ex), net, X, Y, epochs=3, seed=1)
    peer = _peer_bytes(client) - before
    ex.shutdown()
    return [r[0] for r in meter.rounds], peer


def _peer_bytes(client):
    """Bytes the workers sent each other so far (the workers' transfer log): a task run away from its block
    would fetch the block."""
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def test_bytes_sent_per_round_do_not_grow_with_the_samples(client):
    small, peer_small = _sent_per_round(client, 40)
    large, peer_large = _sent_per_round(client, 4000)
    assert len(small) == len(large) == 7                        # diagnostics 0, then (update, diagnostics) x 3
    assert small == large                                       # Theta, the seeds and references to the blocks
    data_bytes = 4000 * 6 * 8
    assert max(large) < data_bytes / 20
    assert peer_large < data_bytes / 20 and peer_small < data_bytes / 20     # no block moved between workers
    # the reshuffled split (data sent with every task) is counted the same way and does grow
    net, X, Y = _data(s=4000)
    meter = TransferMeter()
    run(SOLVER.replace(split="reshuffle", executor=meter.wrap(client.get_executor())), net, X, Y, epochs=1, seed=1)
    assert meter.rounds[0][0] > data_bytes


def _kill_once(marker):
    """A batch method that kills its own worker process the first time it runs with ``marker`` absent."""
    def method(problem, network, Xb, Yb, rng):
        if not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return solve_batch("lbn", problem, network, Xb, Yb, None, 3, 0.5, 1.99, False)
    return method


def test_killed_worker_is_retried_bit_identically(client, tmp_path):
    net, X, Y = _data()
    marker = str(tmp_path / "killed")
    open(marker, "w").close()                                   # present: no kill, the reference run
    solver = SOLVER.replace(method=_kill_once(marker))
    ref = run(solver, net, X, Y, epochs=3, seed=2)
    os.remove(marker)                                           # the first task of round 1 kills its worker
    ex = DaskResident(client, retries=2)
    got = run(solver.replace(executor=ex), net, X, Y, epochs=3, seed=2)
    assert os.path.exists(marker) and ex.placements == 2       # killed, blocks placed again, round computed again
    assert _same(ref, got) and ref.history.energy == got.history.energy
    client.wait_for_workers(2, timeout=30)


def test_killed_worker_without_retries_stops_with_the_checkpoint_intact(client, tmp_path):
    net, X, Y = _data()
    marker = str(tmp_path / "killed")
    open(marker, "w").close()
    solver = SOLVER.replace(method=_kill_once(marker))
    ck = tmp_path / "ma.npz"
    full = run(solver, net, X, Y, epochs=3, seed=2)
    ex = DaskResident(client, retries=0)
    state = {}

    def arm(epoch, network, row):                               # after round 1 is saved, arm the kill
        if epoch == 1:
            os.remove(marker)
        state["last"] = epoch

    with pytest.raises(ClusterError, match="worker was lost"):
        run(solver.replace(executor=ex), net, X, Y, epochs=3, seed=2, checkpoint=ck, callback=arm)
    assert state["last"] == 1 and ck.exists()
    client.wait_for_workers(2, timeout=30)
    resumed = run(solver.replace(executor=DaskResident(client)), net, X, Y, epochs=3, seed=2, checkpoint=ck,
                  resume=True)
    assert resumed.resumed_from == 1 and _same(full, resumed)      # the checkpoint of round 1, intact


def test_placement_waits_a_bounded_time_for_a_worker(monkeypatch):
    """A cluster momentarily without workers (a lost worker's nanny restarting it) is waited for, up to
    WORKER_WAIT_S; with none arriving the run stops with a ClusterError saying how long it waited."""
    import threading

    from bregnet.solvers import partitions
    net, X, Y = _data(s=20)
    cluster = distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=False, dashboard_address=None,
                                       silence_logs=50)
    c = distributed.Client(cluster)
    try:
        monkeypatch.setattr(partitions, "WORKER_WAIT_S", 0.5)
        with pytest.raises(ClusterError, match="waited 0.5 s"):
            run(SOLVER.replace(executor=DaskResident(c)), net, X, Y, epochs=1, seed=0)
        monkeypatch.setattr(partitions, "WORKER_WAIT_S", 60.0)
        threading.Timer(1.0, lambda: cluster.scale(1)).start()    # a worker arrives after a second
        got = run(SOLVER.replace(executor=DaskResident(c)), net, X, Y, epochs=1, seed=0)
        assert _same(got, run(SOLVER, net, X, Y, epochs=1, seed=0))
    finally:
        c.close()
        cluster.close()
