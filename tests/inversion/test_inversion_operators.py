"""Operator layers (convolutions, bregnet.operators) plug into the inversion energy through OperatorMap."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.inversion import InversionEnergy, LiftedInversion, input_gradient, invert, save_network
from bregnet.operators import operator_network
from bregnet.solvers.engine import run


def _conv_net(seed=0):
    net = operator_network("conv3x3x4s1p1,flatten,dense20", ["relu", "identity"], input_shape="4x4x1", seed=seed,
                           bias=0.05)
    return net


def test_energy_matches_the_network_and_gradients_match_finite_differences():
    net = _conv_net()
    rng = np.random.default_rng(1)
    U = rng.normal(size=(2, 16))
    E = InversionEnergy.from_network(net)
    assert E.value(U, E.forward_hidden(U), net.forward(U)) == 0.0
    np.testing.assert_allclose(E.forward(U), net.forward(U), rtol=1e-13)
    X1 = np.abs(rng.normal(size=(2, net.layer_sizes[1])))
    F = rng.normal(size=(2, 20))
    fd = np.zeros_like(U)
    h = 1e-6
    for idx in np.ndindex(U.shape):
        e = np.zeros_like(U)
        e[idx] = h
        fd[idx] = (E.value(U + e, [X1], F) - E.value(U - e, [X1], F)) / (2 * h)
    np.testing.assert_allclose(E.grad_u(U, [X1], F) / 2, fd, rtol=1e-5, atol=1e-7)
    _, g = input_gradient(net, U, F)                   # the baseline's back-propagated input gradient
    fd2 = np.zeros_like(U)
    for idx in np.ndindex(U.shape):
        e = np.zeros_like(U)
        e[idx] = h
        fd2[idx] = (0.5 * np.sum((net.forward(U + e) - F)[idx[0]] ** 2)
                    - 0.5 * np.sum((net.forward(U - e) - F)[idx[0]] ** 2)) / (2 * h)
    np.testing.assert_allclose(g, fd2, rtol=1e-5, atol=1e-7)


def test_lifted_inversion_of_a_convolutional_network():
    net = _conv_net(2)
    u = np.random.default_rng(0).normal(size=(2, 16))
    F = net.forward(u)
    res = invert(net, F, epochs=300, regulariser="tv", alpha=1e-6, image_shape=(4, 4))
    e = res.history.energy
    assert e[-1] < 1e-3 * e[0]
    assert invert(net, F, method="backprop", epochs=50, u0=np.full((2, 16), 0.1)).u.shape == (2, 16)


def test_operator_networks_need_the_target_network_and_are_not_written_as_dense_files(tmp_path):
    net = _conv_net()
    with pytest.raises(BregnetInputError, match="target_network"):
        run(LiftedInversion(), net, np.zeros((1, 16)), net.forward(np.zeros((1, 16))), epochs=1)
    with pytest.raises(BregnetInputError, match="operator layers"):
        save_network(net, tmp_path / "n.npz")
