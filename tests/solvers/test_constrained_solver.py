"""Constrained formulation (40)-(41), Appendix B.3: multiplier updates and energy behaviour."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.constrained import Constrained, ConstrainedResult, constrained
from bregnet.solvers.engine import run


def _data(seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([3, 5, 4, 2], ["relu", "tanh", "identity"], seed=seed)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    hidden = [np.abs(rng.normal(size=(20, 5))), np.clip(rng.normal(size=(20, 4)), -0.9, 0.9)]   # inconsistent
    return net, X, Y, hidden


@pytest.mark.parametrize("inner", ["proximal_gradient", "coordinate_descent"])
def test_multipliers_nonnegative_nondecreasing_and_constraints_shrink(inner):
    net, X, Y, hidden = _data()
    res = constrained(net, X, Y, outer=6, inner_epochs=15, hidden=hidden, multipliers=0.1, tau=10.0, inner=inner)
    lam = np.array(res.multipliers)
    c = np.array(res.constraints)
    assert np.all(lam >= 0) and np.all(np.diff(lam, axis=0) >= 0)
    np.testing.assert_allclose(lam[1:], np.maximum(0, lam[:-1] + 10.0 * c[1:]))     # the update of (41)
    assert np.all(c[-1] < 0.01 * c[0])                    # the inconsistency (constraint violation) vanishes
    for h in res.inner_histories:                        # each inner minimisation is monotone
        assert np.all(np.diff(h.energy) <= 1e-12 * np.maximum(1.0, np.abs(np.array(h.energy[:-1]))))
    assert res.history.forward_loss[-1] < res.history.forward_loss[0]


def test_larger_tau_enforces_the_constraints_faster():
    net, X, Y, hidden = _data(1)
    slow = constrained(net, X, Y, outer=4, inner_epochs=10, hidden=hidden, multipliers=0.1, tau=0.01)
    fast = constrained(net, X, Y, outer=4, inner_epochs=10, hidden=hidden, multipliers=0.1, tau=50.0)
    assert np.sum(fast.constraints[-1]) < np.sum(slow.constraints[-1])


def test_errors_and_resume(tmp_path):
    net, X, Y, hidden = _data()
    with pytest.raises(BregnetInputError, match="multipliers"):
        constrained(net, X, Y, multipliers=0.0)
    with pytest.raises(BregnetInputError, match="multipliers"):
        constrained(net, X, Y, multipliers=[1.0, 1.0, 1.0])
    with pytest.raises(BregnetInputError, match="tau"):
        constrained(net, X, Y, tau=-1.0)
    with pytest.raises(BregnetInputError, match="hidden layer"):
        constrained(glorot_init([3, 2], "identity", seed=0), X, Y)
    full = constrained(net, X, Y, outer=4, inner_epochs=5, hidden=hidden)
    ck = tmp_path / "c.npz"
    constrained(net, X, Y, outer=2, inner_epochs=5, hidden=hidden, checkpoint=ck)
    res = constrained(net, X, Y, outer=4, inner_epochs=5, hidden=hidden, checkpoint=ck, resume=True)
    for p, q in zip(full.network.weights, res.network.weights):
        assert np.array_equal(p, q)
    np.testing.assert_array_equal(np.array(full.multipliers), np.array(res.multipliers))


@pytest.mark.parametrize("inner", ["proximal_gradient", "coordinate_descent"])
def test_engine_resume_is_bit_identical(tmp_path, inner):
    net, X, Y, hidden = _data()
    solver = Constrained(inner_epochs=4, multipliers=(0.1, 0.3), multiplier_step=5.0, inner=inner)
    full = run(solver, net, X, Y, epochs=4, hidden=hidden)
    ck = tmp_path / "c.npz"
    first = run(solver, net, X, Y, epochs=4, hidden=hidden, checkpoint=ck,
                callback=lambda epoch, network, row: epoch == 2)          # interrupted after epoch 2
    assert first.stopped_early and first.history.epoch[-1] == 2
    res = run(solver, net, X, Y, epochs=4, hidden=hidden, checkpoint=ck, resume=True)
    assert res.resumed_from == 2
    for p, q in zip(full.network.weights + full.network.biases + tuple(full.hidden),
                    res.network.weights + res.network.biases + tuple(res.hidden)):
        assert np.array_equal(p, q)
    assert np.array_equal(full.history.energy, res.history.energy)
    assert np.array_equal(np.array(full.history.multipliers), np.array(res.history.multipliers))
    assert np.array_equal(full.state["multipliers"], res.state["multipliers"])


def test_state_history_and_legacy_names():
    net, X, Y, hidden = _data()
    res = constrained(net, X, Y, outer=3, inner_epochs=4, hidden=hidden, multipliers=0.5)
    assert isinstance(res, ConstrainedResult) and res.history.epoch == [0, 1, 2, 3]
    assert len(res.multipliers) == len(res.constraints) == 4 and len(res.inner_histories) == 3
    assert all(len(h.energy) == 5 for h in res.inner_histories)
    np.testing.assert_array_equal(res.multipliers[-1], res.state["multipliers"])
    # the recorded energy is the Lagrangian of the last inner minimisation: its final inner energy
    assert res.history.energy[1:] == [h.energy[-1] for h in res.inner_histories]
    same = constrained(net, X, Y, epochs=3, inner_epochs=4, hidden=hidden, multipliers=0.5)
    assert all(np.array_equal(p, q) for p, q in zip(res.network.weights, same.network.weights))
    with pytest.raises(BregnetInputError, match="outer"):
        constrained(net, X, Y, outer=2, epochs=2)
    with pytest.raises(BregnetInputError, match="lambdas"):
        constrained(net, X, Y, lambdas=[2.0, 1.0, 1.0])
    with pytest.raises(BregnetInputError, match="inner"):
        Constrained(inner="admm")
    assert Constrained(multipliers=[1, 2]).multipliers == (1.0, 2.0)
