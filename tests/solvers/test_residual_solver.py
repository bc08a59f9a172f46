"""Residual extension (Section 7): energy, gradients (finite differences), solver, and the printed sign."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem
from bregnet.network import Network, glorot_init
from bregnet.solvers.residual import (increments, residual_consistency, residual_energy, residual_energy_H,
                                      residual_forward, residual_grad_theta, residual_grad_u, residual_layers,
                                      residual_proximal_gradient, states_from_increments)

RES = (1, 2, 3)


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([3, 3, 3, 3, 2], ["tanh", "relu", "tanh", "identity"], seed=seed, bias=0.1)
    prob = LiftedProblem.from_network(net, lambdas=[0.7, 1.2, 0.9, 1.0])
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    us = increments(residual_forward(net, X, RES), RES)
    us = [np.clip(us[0] + 0.2 * rng.normal(size=us[0].shape), -0.9, 0.9),
          np.abs(us[1] + 0.2 * rng.normal(size=us[1].shape)),
          np.clip(us[2] + 0.2 * rng.normal(size=us[2].shape), -0.9, 0.9), Y]
    return net, prob, X, Y, us


def test_gradients_match_finite_differences():
    net, prob, X, Y, us = _setup()
    eps = 1e-6
    g = residual_grad_u(prob, net, X, us, RES)
    for j in range(3):
        for idx in np.ndindex(us[j].shape):
            up = [u.copy() for u in us]
            um = [u.copy() for u in us]
            up[j][idx] += eps
            um[j][idx] -= eps
            fd = (residual_energy_H(prob, net, X, up, RES) - residual_energy_H(prob, net, X, um, RES)) / (2 * eps)
            assert g[j][idx] == pytest.approx(fd, abs=1e-7)
    xs = states_from_increments(X, us, RES)
    gW, gb = residual_grad_theta(prob, net, xs, RES)
    for l in range(4):
        for idx in np.ndindex(net.weights[l].shape):
            Wp = [w.copy() for w in net.weights]
            Wm = [w.copy() for w in net.weights]
            Wp[l][idx] += eps
            Wm[l][idx] -= eps
            fd = (residual_energy(prob, Network(tuple(Wp), net.biases, net.activations), xs, RES)
                  - residual_energy(prob, Network(tuple(Wm), net.biases, net.activations), xs, RES)) / (2 * eps)
            assert gW[l][idx] == pytest.approx(fd, abs=1e-7)
        bp = [b.copy() for b in net.biases]
        bp[l][0] += eps
        bm = [b.copy() for b in net.biases]
        bm[l][0] -= eps
        fd = (residual_energy(prob, Network(net.weights, tuple(bp), net.activations), xs, RES)
              - residual_energy(prob, Network(net.weights, tuple(bm), net.activations), xs, RES)) / (2 * eps)
        assert gb[l][0] == pytest.approx(fd, abs=1e-7)


def test_gradient_check_can_fail_without_skip_chain():
    """Dropping the chain through the skip connections (a_j = g_j only) is detected by finite differences."""
    net, prob, X, Y, us = _setup()
    g_wrong = residual_grad_u(prob, net, X, us, ())           # gradient of the non-residual lifted network
    up = [u.copy() for u in us]
    up[0][0, 0] += 1e-6
    um = [u.copy() for u in us]
    um[0][0, 0] -= 1e-6
    fd = (residual_energy_H(prob, net, X, up, RES) - residual_energy_H(prob, net, X, um, RES)) / 2e-6
    assert abs(g_wrong[0][0, 0] - fd) > 1e-3


def test_forward_pass_is_consistent_and_printed_sign_is_not():
    net, prob, X, Y, _ = _setup()
    xs = residual_forward(net, X, RES)          # x_l = x_{l-1} + sigma(f(x_{l-1}, Theta_l)); target = output
    assert residual_energy(prob, net, xs, RES) < 1e-14
    assert np.all(residual_consistency(net, xs, RES) < 1e-14)
    # the outlook's x_l = x_{l-1} - sigma(f(x_{l-1}, Theta_l)) does not zero the residual Bregman terms
    minus = [X]
    for l in range(1, 4):
        minus.append(minus[-1] - net.activations[l - 1].prox(minus[-1] @ net.weights[l - 1] + net.biases[l - 1]))
    minus.append(xs[-1])
    with np.errstate(all="ignore"):
        e_minus = residual_energy(prob, net, minus, RES)
    assert e_minus > 0.1


def test_solver_decreases_energy_and_trains_the_residual_network():
    rng = np.random.default_rng(1)
    net = glorot_init([3, 3, 3, 2], ["tanh", "relu", "identity"], seed=1, bias=0.1)
    X = rng.normal(size=(20, 3))
    Y = np.tanh(X[:, :2]) + 0.5 * X[:, 1:]
    res = residual_proximal_gradient(net, X, Y, epochs=60)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))
    assert res.history.forward_loss[-1] < 0.5 * res.history.forward_loss[0]
    assert res.hidden[0].shape == (20, 3)


def test_errors_and_resume(tmp_path):
    net = glorot_init([3, 4, 3, 2], ["relu", "relu", "identity"], seed=0)
    assert residual_layers(net) == ()
    with pytest.raises(BregnetInputError, match="equal widths"):
        residual_layers(net, (1,))
    with pytest.raises(BregnetInputError, match="hidden layers"):
        residual_layers(net, (3,))
    net = glorot_init([3, 3, 3, 2], ["tanh", "relu", "identity"], seed=1)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    full = residual_proximal_gradient(net, X, Y, epochs=6)
    ck = tmp_path / "r.npz"
    residual_proximal_gradient(net, X, Y, epochs=3, checkpoint=ck, checkpoint_every=3)
    res = residual_proximal_gradient(net, X, Y, epochs=6, checkpoint=ck, resume=True)
    for p, q in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(p, q)
    assert full.history.energy == res.history.energy


def test_interrupted_run_resumes_bit_for_bit(tmp_path):
    """The increments and the last U step t_u are the state: a run stopped after epoch 4 and resumed is exact."""
    net = glorot_init([3, 3, 3, 3, 2], ["tanh", "relu", "tanh", "identity"], seed=2, bias=0.1)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    kw = dict(residual=[1, 3], l1=(2, 0.01))
    full = residual_proximal_gradient(net, X, Y, epochs=8, **kw)
    ck = tmp_path / "r.npz"
    first = residual_proximal_gradient(net, X, Y, epochs=8, checkpoint=ck, callback=lambda k, n, row: k == 4, **kw)
    assert first.stopped_early and first.history.epoch[-1] == 4 and first.state["t_u"] > 0
    res = residual_proximal_gradient(net, X, Y, epochs=8, checkpoint=ck, resume=True, **kw)
    assert res.resumed_from == 4 and res.state["t_u"] == full.state["t_u"]
    for p, q in zip(full.network.weights + full.network.biases + tuple(full.hidden) + tuple(full.state["increments"]),
                    res.network.weights + res.network.biases + tuple(res.hidden) + tuple(res.state["increments"])):
        assert np.array_equal(p, q)
    assert np.array_equal(full.history.energy, res.history.energy)
