"""Cheap per-epoch diagnostics (issue 13, target 5): the exact forward-pass energy and ``run(diagnostics_rows=m)``."""
import numpy as np
import pytest

from bregnet.backprop.optimisers import SGDBP
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, forward_energy, forward_hidden, lifted_energy, lifted_state
from bregnet.network import glorot_init
from bregnet.solvers import LBNS, ProximalGradient, run
from bregnet.solvers.engine import make_task


def _data(seed=0, s=40):
    rng = np.random.default_rng(seed)
    net = glorot_init([4, 6, 5, 3], ["relu", "tanh", "identity"], seed=seed)
    return net, rng.normal(size=(s, 4)), rng.normal(size=(s, 3))


@pytest.mark.parametrize("l1", [None, (1, 0.3)])
def test_forward_energy_is_the_lifted_energy_at_the_forward_pass(l1):
    net, X, Y = _data()
    prob = LiftedProblem.from_network(net, l1=l1)
    hidden = forward_hidden(net, X)
    long_way = lifted_energy(prob, net, lifted_state(X, hidden, Y))
    assert forward_energy(prob, net, X, Y) == pytest.approx(long_way, rel=1e-13, abs=0)


def test_forward_energy_is_not_the_energy_elsewhere():
    """The shortcut holds only where x_j = sigma_j(z_j): moved auxiliary variables give a larger energy."""
    net, X, Y = _data()
    prob = LiftedProblem.from_network(net)
    hidden = [h + 0.1 for h in forward_hidden(net, X)]
    assert lifted_energy(prob, net, lifted_state(X, hidden, Y)) > forward_energy(prob, net, X, Y) + 1e-3


def test_rows_are_evenly_spaced_and_deterministic():
    net, X, Y = _data(s=10)
    task = make_task(net, X, Y, LiftedProblem.from_network(net))
    np.testing.assert_array_equal(task.rows(4).X, X[[0, 2, 5, 7]])
    assert task.rows(None) is task and task.rows(10) is task and task.rows(99) is task


@pytest.mark.parametrize("solver", [LBNS(batch_size=8, n_inner=2), SGDBP(batch_size=8)])
def test_subset_diagnostics_leave_training_unchanged(solver):
    net, X, Y = _data()
    full = run(solver, net, X, Y, epochs=3, seed=1)
    part = run(solver, net, X, Y, epochs=3, seed=1, diagnostics_rows=10)
    for a, b in zip(full.network.weights, part.network.weights):
        np.testing.assert_array_equal(a, b)
    key = solver.objective
    assert getattr(part.history, key)[-1] != getattr(full.history, key)[-1]      # it is another number ...
    if key == "energy":                                 # ... the energy of the final network on the 10 rows
        rows = (np.arange(10) * 40) // 10
        prob = LiftedProblem.from_network(net)
        expected = forward_energy(prob, part.network, X[rows], Y[rows])
        assert part.history.energy[-1] == pytest.approx(expected, rel=1e-14)


def test_all_rows_when_m_covers_the_data():
    net, X, Y = _data()
    a = run(LBNS(batch_size=8, n_inner=2), net, X, Y, epochs=2, seed=1)
    b = run(LBNS(batch_size=8, n_inner=2), net, X, Y, epochs=2, seed=1, diagnostics_rows=40)
    assert a.history.energy == b.history.energy


def test_subset_diagnostics_resume_bit_exactly(tmp_path):
    net, X, Y = _data()
    ck = tmp_path / "ck.npz"
    whole = run(LBNS(batch_size=8, n_inner=2), net, X, Y, epochs=4, seed=3, diagnostics_rows=7)
    run(LBNS(batch_size=8, n_inner=2), net, X, Y, epochs=2, seed=3, diagnostics_rows=7, checkpoint=ck)
    resumed = run(LBNS(batch_size=8, n_inner=2), net, X, Y, epochs=4, seed=3, diagnostics_rows=7, checkpoint=ck,
                  resume=True)
    assert resumed.history.energy == whole.history.energy
    np.testing.assert_array_equal(resumed.network.weights[0], whole.network.weights[0])


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_diagnostics_rows(bad):
    net, X, Y = _data()
    with pytest.raises(BregnetInputError, match="diagnostics_rows must be None or an integer >= 1"):
        run(LBNS(), net, X, Y, epochs=1, diagnostics_rows=bad)


def test_diagnostics_rows_refused_where_diagnostics_need_the_auxiliary_variables():
    net, X, Y = _data()
    with pytest.raises(BregnetInputError, match="per-sample state"):
        run(ProximalGradient(), net, X, Y, epochs=1, diagnostics_rows=5)
