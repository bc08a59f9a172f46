"""Constrained formulation (40)-(41), Appendix B.3: multiplier updates and energy behaviour."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.constrained import constrained


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
