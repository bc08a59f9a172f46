"""The penalties of the lifted family (issue 15): Bregman, MAC (quadratic), Fenchel (Gu et al. 2020)."""
import numpy as np
import pytest

from bregnet.testing.toy_problem import replace_layer
from bregnet.activations import get
from bregnet.bregman import bregman_loss
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import (LiftedProblem, forward_hidden, grad_theta_H, hidden_penalty, layer_residual,
                            lifted_energy, x_step)
from bregnet.network import Network, glorot_init
from bregnet.operators import operator_network
from bregnet.solvers.engine import run
from bregnet.solvers.implicit_stochastic import LBNS, kernel_supported, lbn_batch_numpy
from bregnet.solvers.inertial_bcd import InertialBCD


def test_fenchel_relu_penalty_is_the_relu_bregman_loss():
    rng = np.random.default_rng(0)
    prob = LiftedProblem.from_network(glorot_init([3, 5, 2], ["relu", "identity"], seed=0), penalty="fenchel")
    X, Z = np.maximum(rng.normal(size=(200, 5)), 0), 3 * rng.normal(size=(200, 5))
    X[::7] = 0.0                                              # on the boundary of dom Psi too
    fenchel, breg = hidden_penalty(prob, 1, X, Z), bregman_loss(get("relu"), X, Z)
    np.testing.assert_allclose(fenchel, breg, rtol=1e-12, atol=1e-12)
    # Gu et al.'s B_l(v, u) = v^2/2 + u_+^2/2 - uv as the paper's Appendix transcribes it: B_ReLU itself (factor 1;
    # the factor 2 of an unnormalised form v^2 + u_+^2 - 2uv is not what the Appendix prints)
    assert not np.allclose(fenchel, 2 * breg)
    assert np.all(np.isinf(hidden_penalty(prob, 1, -X - 1, Z)))


def test_penalty_names_and_fenchel_activations_are_checked():
    net = glorot_init([3, 4, 2], ["tanh", "identity"], seed=0)
    with pytest.raises(BregnetInputError, match="penalty must be one of bregman, mac, fenchel"):
        LiftedProblem.from_network(net, penalty="quadratic")
    with pytest.raises(BregnetInputError, match="ReLU hidden layers only"):
        LiftedProblem.from_network(net, penalty="fenchel")
    X, Y = np.ones((4, 3)), np.zeros((4, 2))
    from bregnet.solvers.proximal_gradient import ProximalGradient
    with pytest.raises(BregnetInputError, match="penalty 'mac'"):
        run(ProximalGradient(), net, X, Y, epochs=1, penalty="mac")
    assert not kernel_supported(LiftedProblem.from_network(net, penalty="mac"))


def _state(acts, penalty, conv=False, seed=0, s=5):
    rng = np.random.default_rng(seed)
    if conv:
        net = operator_network("conv3x3x2s2p1,flatten,dense4,dense2", acts, input_shape="4x4x1", seed=seed, bias=0.1)
    else:
        net = glorot_init([4, 5, 3, 2], acts, seed=seed, bias=0.1)
    X, Y = rng.normal(size=(s, net.layer_sizes[0])), rng.normal(size=(s, 2))
    hidden = [h + 0.2 * rng.normal(size=h.shape) for h in forward_hidden(net, X)]
    hidden = [np.maximum(h, 0.05) if a == "relu" else np.clip(h, -0.9, 0.9) for h, a in zip(hidden, acts)]
    return net, [X, *hidden, Y], LiftedProblem.from_network(net, penalty=penalty)


@pytest.mark.parametrize("penalty, acts, conv", [("mac", ("tanh", "softplus", "identity"), False),
                                                 ("mac", ("relu", "relu", "identity"), True),
                                                 ("fenchel", ("relu", "relu", "identity"), False),
                                                 ("fenchel", ("relu", "relu", "identity"), True)])
def test_theta_gradients_against_central_differences(penalty, acts, conv):
    net, xs, prob = _state(acts, penalty, conv)
    gW, gb = grad_theta_H(prob, net, xs)                      # the Theta-gradient of the energy (G has no Theta)
    h, rng = 1e-6, np.random.default_rng(1)
    for l in range(1, 4):
        W = net.weights[l - 1]
        for idx in [tuple(rng.integers(0, n) for n in W.shape) for _ in range(4)]:
            E = np.zeros(W.shape)
            E[idx] = h
            fd = (lifted_energy(prob, replace_layer(net, l, W + E), xs) - lifted_energy(prob, replace_layer(net, l, W - E), xs)) / (2 * h)
            assert gW[l - 1][idx] == pytest.approx(fd, rel=1e-5, abs=1e-8)
        e = np.zeros(net.biases[l - 1].shape)
        e[-1] = h
        b = net.biases[l - 1]
        fd = (lifted_energy(prob, replace_layer(net, l, b=b + e), xs) - lifted_energy(prob, replace_layer(net, l, b=b - e), xs)) / (2 * h)
        assert gb[l - 1][-1] == pytest.approx(fd, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("penalty, acts, conv", [("bregman", ("relu", "relu", "identity"), True),
                                                 ("mac", ("tanh", "relu", "identity"), False),
                                                 ("mac", ("relu", "relu", "identity"), True),
                                                 ("fenchel", ("relu", "relu", "identity"), False)])
def test_algorithm_1_sweeps_decrease_each_energy(penalty, acts, conv):
    net, xs, prob = _state(acts, penalty, conv, seed=2, s=30)
    X, Y = xs[0], xs[-1]
    e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    energies = []
    lbn_batch_numpy(prob, net, X, Y, n_inner=8, prox_weight=0.5, step_scale=1.0,
                    callback=lambda n, W, b, h: energies.append(lifted_energy(
                        prob, Network(tuple(W), tuple(b), net.activations, net.layers), [X, *h, Y])))
    assert energies[-1] < e0 and np.all(np.diff(energies) <= 1e-12 * e0)


@pytest.mark.parametrize("penalty", ["mac", "fenchel"])
def test_solvers_train_with_each_penalty(penalty):
    net, xs, _ = _state(("relu", "relu", "identity"), penalty, seed=3, s=60)
    X, Y = xs[0], xs[-1]
    e = np.array(run(InertialBCD(), net, X, Y, epochs=8, penalty=penalty).history.energy)
    assert np.all(np.diff(e) <= 0) and e[-1] < e[0]
    loss = run(LBNS(batch_size=20, n_inner=3), net, X, Y, epochs=4, seed=0, penalty=penalty).history.forward_loss
    assert loss[-1] < loss[0]


def test_mac_and_bregman_steps_differ_but_fenchel_and_bregman_agree():
    net, xs, _ = _state(("relu", "relu", "identity"), "bregman", seed=4, s=20)
    X, Y = xs[0], xs[-1]
    out = {p: lbn_batch_numpy(LiftedProblem.from_network(net, penalty=p), net, X, Y, n_inner=3)[0]
           for p in ("bregman", "mac", "fenchel")}
    assert all(np.array_equal(a, b) for a, b in zip(out["bregman"].weights, out["fenchel"].weights))
    assert not np.allclose(out["bregman"].weights[0], out["mac"].weights[0])


# ------------------------------------------------------------------ the classical lifted penalty (7)
def test_classical_penalty_is_relu_bregman_plus_the_negative_part():
    """For x >= 0: 1/2|x - z|^2 = B_ReLU(x, z) + 1/2|min(z, 0)|^2; +inf where some x < 0."""
    rng = np.random.default_rng(5)
    prob = LiftedProblem.from_network(glorot_init([3, 5, 2], ["relu", "identity"], seed=0), penalty="classical")
    X, Z = np.maximum(rng.normal(size=(100, 5)), 0), 3 * rng.normal(size=(100, 5))
    neg = np.minimum(Z, 0)
    np.testing.assert_allclose(hidden_penalty(prob, 1, X, Z),
                               bregman_loss(get("relu"), X, Z) + 0.5 * np.sum(neg * neg, axis=1), rtol=1e-12)
    assert not np.allclose(hidden_penalty(prob, 1, X, Z), bregman_loss(get("relu"), X, Z))
    assert np.all(np.isinf(hidden_penalty(prob, 1, X - 1, Z)[np.any(X < 1, axis=1)]))
    with pytest.raises(BregnetInputError, match="'classical' .*ReLU hidden layers only"):
        LiftedProblem.from_network(glorot_init([3, 4, 2], ["tanh", "identity"], seed=0), penalty="classical")


@pytest.mark.parametrize("conv", [False, True])
def test_classical_theta_gradients_against_central_differences(conv):
    test_theta_gradients_against_central_differences("classical", ("relu", "relu", "identity"), conv)


@pytest.mark.parametrize("penalty, acts", [("mac", ("tanh", "softplus", "identity")),
                                           ("classical", ("relu", "relu", "identity"))])
def test_quadratic_x_step_is_a_projected_descent_step(penalty, acts):
    from bregnet.lifted import penalty_target
    net, xs, prob = _state(acts, penalty)
    j, s = 1, xs[0].shape[0]
    Zj, Zn = net.pre_activation(j, xs[j - 1]), net.pre_activation(j + 1, xs[j])
    Dn = layer_residual(prob, j + 1, Zn, xs[j + 1])
    grad = (prob.lambdas[0] * (xs[j] - penalty_target(prob, j, Zj)) + prob.lambdas[1] * Dn @ net.weights[j].T) / s
    h = 1e-6
    for i, k in [(0, 0), (2, 3), (4, 1)]:
        E = np.zeros(xs[j].shape)
        E[i, k] = h
        up, dn = list(xs), list(xs)
        up[j], dn[j] = xs[j] + E, xs[j] - E
        assert grad[i, k] == pytest.approx((lifted_energy(prob, net, up) - lifted_energy(prob, net, dn)) / (2 * h),
                                           rel=1e-6, abs=1e-10)
    if penalty == "classical":                                          # a long step: the projection is active
        far = x_step(prob, j, xs[j], Zj, Dn, net.weights[j], 3.0)
        assert far.min() == 0.0 and np.all(far >= 0)
    new = x_step(prob, j, xs[j], Zj, Dn, net.weights[j], 0.2)
    after = list(xs)
    after[j] = new
    assert lifted_energy(prob, net, after) < lifted_energy(prob, net, xs)


def test_every_lifted_family_solver_trains_the_classical_energy():
    from bregnet.solvers.adam_bcd import AdamBCD
    net, xs, prob = _state(("relu", "relu", "identity"), "classical", seed=3, s=60)
    X, Y = xs[0], xs[-1]
    e = np.array(run(InertialBCD(), net, X, Y, epochs=8, penalty="classical").history.energy)
    assert np.all(np.diff(e) <= 0) and e[-1] < e[0]
    for solver in (LBNS(batch_size=20, n_inner=3), AdamBCD(lr=1e-2)):
        res = run(solver, net, X, Y, epochs=6, seed=0, penalty="classical")
        assert res.history.forward_loss[-1] < res.history.forward_loss[0]
        assert res.hidden is None or all(np.all(h >= 0) for h in res.hidden)    # x >= 0 throughout


def test_classical_lifted_and_mac_qp_minimise_the_family_energies():
    """The baselines (7) and (6) are these penalties: their energy is lifted_energy with lambda' = 2 lambda."""
    from bregnet.backprop import lifted_energy as baseline_energy
    for penalty, kind, acts in (("classical", "classical", ("relu", "relu", "identity")),
                                ("mac", "mac-qp", ("tanh", "softplus", "identity"))):
        net, xs, _ = _state(acts, penalty, seed=6)
        if penalty == "classical":
            xs = [xs[0], *[np.maximum(h, 0) for h in xs[1:-1]], xs[-1]]
        prob = LiftedProblem(net.activations, (2 * 0.7, 2 * 0.7, 1.0), penalty=penalty)
        assert baseline_energy(net, xs[0], xs[-1], xs[1:-1], kind=kind, penalty=0.7) == pytest.approx(
            lifted_energy(prob, net, xs), rel=1e-13)

