"""Stochastic lifted proximal gradient (Section 4.2.1)."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, forward_hidden, lifted_energy
from bregnet.network import glorot_init
from bregnet.solvers.proximal_gradient import proximal_gradient_step
from bregnet.solvers.stochastic_proximal_gradient import (stochastic_proximal_gradient,
                                                          stochastic_proximal_gradient_step)


def _data(seed=0, s=48):
    rng = np.random.default_rng(seed)
    net = glorot_init([4, 6, 2], ["relu", "identity"], seed=seed, bias=0.05)
    X = rng.normal(size=(s, 4))
    return net, X, np.tanh(X[:, :2] - X[:, 2:])


@pytest.mark.parametrize("scheme", ["gauss_seidel", "jacobi"])
def test_energy_decreases_and_runs_are_reproducible(scheme):
    net, X, Y = _data()
    a = stochastic_proximal_gradient(net, X, Y, epochs=15, batch_size=8, seed=3, scheme=scheme, step_decay=0.3)
    b = stochastic_proximal_gradient(net, X, Y, epochs=15, batch_size=8, seed=3, scheme=scheme, step_decay=0.3)
    assert a.history.energy[-1] < 0.5 * a.history.energy[0]
    assert a.history.forward_loss[-1] < a.history.forward_loss[0]
    assert a.history.energy == b.history.energy
    c = stochastic_proximal_gradient(net, X, Y, epochs=15, batch_size=8, seed=4, scheme=scheme, step_decay=0.3)
    assert c.history.energy != a.history.energy          # the batches depend on the seed


def test_full_batch_step_equals_proximal_gradient_step():
    """With |B| = s and gamma = 1 the iteration is the deterministic step (17) (same formulas, same order)."""
    net, X, Y = _data(s=10)
    prob = LiftedProblem.from_network(net)
    xs = [X, *forward_hidden(net, X), Y]
    a, ha = stochastic_proximal_gradient_step(prob, net, xs, step_scale=1.5)
    b, hb = proximal_gradient_step(prob, net, xs, step_scale=1.5)
    for p, q in zip(a.weights + a.biases + tuple(ha), b.weights + b.biases + tuple(hb)):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)
    assert lifted_energy(prob, a, [X, *ha, Y]) < lifted_energy(prob, net, xs)


def test_bad_input_and_resume(tmp_path):
    net, X, Y = _data(s=16)
    with pytest.raises(BregnetInputError, match="batch_size"):
        stochastic_proximal_gradient(net, X, Y, batch_size=0)
    with pytest.raises(BregnetInputError, match="step_decay"):
        stochastic_proximal_gradient(net, X, Y, step_decay=-1)
    with pytest.raises(BregnetInputError, match="scheme"):
        stochastic_proximal_gradient(net, X, Y, scheme="x")
    full = stochastic_proximal_gradient(net, X, Y, epochs=5, batch_size=4, seed=1, step_decay=0.5)
    ck = tmp_path / "spg.npz"
    stochastic_proximal_gradient(net, X, Y, epochs=3, batch_size=4, seed=1, step_decay=0.5, checkpoint=ck)
    res = stochastic_proximal_gradient(net, X, Y, epochs=5, batch_size=4, seed=1, step_decay=0.5, checkpoint=ck,
                                       resume=True)
    for p, q in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(p, q)
    assert full.history.energy == res.history.energy


def test_run_stopped_at_an_epoch_resumes_bit_for_bit(tmp_path):
    """A run stopped by its callback after epoch 2 (checkpointed there) and resumed equals the uninterrupted one."""
    net, X, Y = _data(s=20)
    kw = dict(batch_size=6, seed=7, step_decay=0.6, scheme="jacobi")
    full = stochastic_proximal_gradient(net, X, Y, epochs=5, **kw)
    ck = tmp_path / "spg.npz"
    first = stochastic_proximal_gradient(net, X, Y, epochs=5, checkpoint=ck, checkpoint_every=10,
                                         callback=lambda epoch, network, row: epoch == 2, **kw)
    assert first.stopped_early and first.history.epoch == [0, 1, 2] and first.state["iteration"] == 8
    res = stochastic_proximal_gradient(net, X, Y, epochs=5, checkpoint=ck, resume=True, **kw)
    assert res.resumed_from == 2 and res.state["iteration"] == full.state["iteration"] == 20
    for p, q in zip(full.network.weights + full.network.biases + tuple(full.hidden),
                    res.network.weights + res.network.biases + tuple(res.hidden)):
        assert np.array_equal(p, q)
    assert np.array_equal(full.history.energy, res.history.energy)
