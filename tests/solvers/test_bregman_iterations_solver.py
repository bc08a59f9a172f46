"""Linearised Bregman iterations on the parameters (Section 4.1.2): sparse (l1) and low-rank (nuclear) weights."""
import numpy as np
import pytest
from scipy.optimize import minimize

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.bregman_iterations import bregman_iterations, shrink, singular_value_shrink


def _data():
    rng = np.random.default_rng(0)
    net = glorot_init([8, 10, 6], ["relu", "identity"], seed=0, bias=0.1)
    X = rng.normal(size=(40, 8))
    Wt = rng.normal(size=(8, 6)) * (rng.random((8, 6)) < 0.2)
    return net, X, X @ Wt


def test_prox_maps_are_argmins():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(3, 2))
    alpha = 0.6
    f1 = lambda w: 0.5 * np.sum((w - V.ravel()) ** 2) + alpha * np.sum(np.abs(w))
    r = minimize(f1, V.ravel(), method="Powell", options=dict(xtol=1e-10, ftol=1e-14, maxiter=100000))
    np.testing.assert_allclose(shrink(V, alpha).ravel(), r.x, atol=1e-6)
    f2 = lambda w: 0.5 * np.sum((w - V.ravel()) ** 2) + alpha * np.sum(np.linalg.svd(w.reshape(3, 2), compute_uv=False))
    r = minimize(f2, V.ravel(), method="Powell", options=dict(xtol=1e-10, ftol=1e-14, maxiter=100000))
    np.testing.assert_allclose(singular_value_shrink(V, alpha).ravel(), r.x, atol=1e-5)


def test_l1_gives_sparse_weights_and_decreasing_energy():
    net, X, Y = _data()
    res = bregman_iterations(net, X, Y, epochs=150, regulariser="l1", alpha=0.3)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))
    assert e[-1] < 0.01 * e[0]
    zeros = [float(np.mean(W == 0)) for W in res.network.weights]
    assert min(zeros) > 0.2
    # can fail: without the regulariser no weight is exactly zero
    dense = bregman_iterations(net, X, Y, epochs=150, regulariser="l1", alpha=0.0)
    assert max(float(np.mean(W == 0)) for W in dense.network.weights) == 0.0


def test_nuclear_gives_low_rank_weights_and_decreasing_energy():
    net, X, Y = _data()
    res = bregman_iterations(net, X, Y, epochs=150, regulariser="nuclear", alpha=1.0)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))
    assert e[-1] < 0.01 * e[0]
    ranks = [int(np.linalg.matrix_rank(W, tol=1e-10)) for W in res.network.weights]
    full = [min(W.shape) for W in res.network.weights]
    assert all(r < f for r, f in zip(ranks, full))
    plain = bregman_iterations(net, X, Y, epochs=150, regulariser="nuclear", alpha=0.0)
    assert [int(np.linalg.matrix_rank(W, tol=1e-10)) for W in plain.network.weights] == full


def test_options_errors_and_resume(tmp_path):
    net, X, Y = _data()
    with pytest.raises(BregnetInputError, match="regulariser"):
        bregman_iterations(net, X, Y, regulariser="l2")
    with pytest.raises(BregnetInputError, match="alpha"):
        bregman_iterations(net, X, Y, alpha=-1)
    with pytest.raises(BregnetInputError, match="init"):
        bregman_iterations(net, X, Y, init="random")
    r = bregman_iterations(net, X, Y, epochs=1, init="network", alpha=0.2)
    assert r.history.energy[0] == pytest.approx(bregman_iterations(net, X, Y, epochs=0, init="network",
                                                                   alpha=0.0).history.energy[0])
    full = bregman_iterations(net, X, Y, epochs=6, regulariser="nuclear", alpha=0.5)
    ck = tmp_path / "bi.npz"
    bregman_iterations(net, X, Y, epochs=3, regulariser="nuclear", alpha=0.5, checkpoint=ck)
    res = bregman_iterations(net, X, Y, epochs=6, regulariser="nuclear", alpha=0.5, checkpoint=ck, resume=True)
    for p, q in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(p, q)


@pytest.mark.parametrize("regulariser, init", [("l1", "dual"), ("nuclear", "network"), ("l1", "zero")])
def test_interrupted_run_resumes_bit_for_bit(tmp_path, regulariser, init):
    """The duals v_l are part of the state: a run checkpointed at epoch 4 and resumed equals the whole run."""
    net, X, Y = _data()
    kw = dict(regulariser=regulariser, alpha=0.3, init=init)
    full = bregman_iterations(net, X, Y, epochs=9, **kw)
    ck = tmp_path / "bi.npz"
    bregman_iterations(net, X, Y, epochs=4, checkpoint=ck, **kw)
    res = bregman_iterations(net, X, Y, epochs=9, checkpoint=ck, resume=True, **kw)
    assert res.resumed_from == 4
    for p, q in zip(full.network.weights + full.network.biases + tuple(full.hidden) + tuple(full.state["duals"]),
                    res.network.weights + res.network.biases + tuple(res.hidden) + tuple(res.state["duals"])):
        assert np.array_equal(p, q)
    assert np.array_equal(full.history.energy, res.history.energy)
