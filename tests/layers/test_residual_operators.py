"""The residual extension (Section 7) on operator layers: Dense stacks equal the dense network, a convolutional
residual network's gradients (finite differences, torch), its training, and the shape check of residual layers."""
import numpy as np
import pytest

from bregnet.testing.toy_problem import replace_layer
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem
from bregnet.network import Network, glorot_init
from bregnet.operators import Dense, operator_network
from bregnet.solvers import sweep
from bregnet.solvers.engine import run
from bregnet.solvers.lipschitz import spectral_norm_sq
from bregnet.solvers.residual import (ResidualProximalGradient, _u_step, increments, residual_consistency,
                                      residual_energy, residual_energy_H, residual_forward, residual_grad_theta,
                                      residual_grad_u, residual_layers, residual_proximal_gradient,
                                      states_from_increments)

ACTS = ["tanh", "relu", "tanh", "identity"]
RES = (1, 2, 3)
#: 6x6x2 images (channels-last): two 'same' 3x3 convolutions 2 -> 2 channels (residual), a stride-2 one to 3x3x3
#: (not residual), the dense output layer
CONV_SPEC, CONV_INPUT, CONV_RES = "conv3x3x2p1,conv3x3x2p1,conv3x3x3s2p1,flatten,dense3", "6x6x2", (1, 2)


def _perturbed(net, X, Y, res, rng, scale=0.2):
    """Increments of the residual forward pass, perturbed inside dom Psi (tanh: |u| < 1, relu: u >= 0)."""
    us = increments(residual_forward(net, X, res), res)[:-1]
    out = []
    for u, act in zip(us, net.activations):
        v = u + scale * rng.normal(size=u.shape)
        out.append(np.abs(v) if act.name == "relu" else np.clip(v, -0.9, 0.9))
    return out + [Y]


def _dense_pair(seed=0):
    """A dense network and the same network as a stack of Dense operators, with data and perturbed increments."""
    rng = np.random.default_rng(seed)
    net = glorot_init([3, 3, 3, 3, 2], ACTS, seed=seed, bias=0.1)
    ops = Network(net.weights, net.biases, net.activations, tuple(Dense(*W.shape) for W in net.weights))
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    return net, ops, X, Y, _perturbed(net, X, Y, RES, rng)


def _conv_setup(seed=0, s=3):
    net = operator_network(CONV_SPEC, ["relu", "relu", "tanh", "identity"], input_shape=CONV_INPUT, seed=seed,
                           bias=0.05)
    rng = np.random.default_rng(seed + 1)
    X, Y = rng.normal(size=(s, 72)), rng.normal(size=(s, 3))
    prob = LiftedProblem.from_network(net, lambdas=[0.8, 1.1, 0.9, 1.0])
    return net, prob, X, Y, _perturbed(net, X, Y, CONV_RES, rng)


def _sample(shape, rng, k):
    """``k`` random multi-indices into ``shape`` (all of them if there are at most ``k``)."""
    idx = list(np.ndindex(shape))
    return idx if len(idx) <= k else [idx[i] for i in rng.choice(len(idx), size=k, replace=False)]


# ---------------------------------------------------------------------------------------------- Dense = dense
def test_dense_operator_stack_equals_the_dense_network():
    net, ops, X, Y, us = _dense_pair()
    prob, prob_ops = LiftedProblem.from_network(net), LiftedProblem.from_network(ops)
    xs = states_from_increments(X, us, RES)
    assert residual_layers(ops) == residual_layers(net) == RES
    for a, b in zip(residual_forward(net, X, RES), residual_forward(ops, X, RES)):
        assert np.array_equal(a, b)
    assert residual_energy(prob_ops, ops, xs, RES) == residual_energy(prob, net, xs, RES)
    assert residual_energy_H(prob_ops, ops, X, us, RES) == residual_energy_H(prob, net, X, us, RES)
    assert np.array_equal(residual_consistency(ops, xs, RES), residual_consistency(net, xs, RES))
    gW, gb = residual_grad_theta(prob, net, xs, RES)
    gW_ops, gb_ops = residual_grad_theta(prob_ops, ops, xs, RES)
    for a, b in zip(gW + gb, gW_ops + gb_ops):
        assert np.array_equal(a, b)
    for a, b in zip(residual_grad_u(prob, net, X, us, RES), residual_grad_u(prob_ops, ops, X, us, RES)):
        assert np.array_equal(a, b)
    new, t = _u_step(prob, net, X, us, RES, 0.3)
    new_ops, t_ops = _u_step(prob_ops, ops, X, us, RES, 0.3)
    assert t == t_ops and all(np.array_equal(a, b) for a, b in zip(new, new_ops))


def test_dense_operator_stack_trains_as_the_dense_network(monkeypatch):
    """Solver epochs agree to 1e-14 once the Theta-steps take the same Lipschitz bound.

    :func:`bregnet.solvers.sweep.theta_block` bounds an operator layer's Theta-step by the exact joint norm
    :math:`\\|[X, 1]\\|_2^2` and a dense layer's by :math:`\\|X\\|_2^2 + s` (sweep.py's choice, shared by every
    solver); with the dense bound for both, everything else of the residual solver is the same arithmetic.
    """
    net, ops, X, Y = _dense_pair(1)[:4]
    kw = dict(residual=[1, 3], l1=(2, 0.01), epochs=4)
    plain = residual_proximal_gradient(ops, X, Y, **kw)          # the operators' own bound: trains as well
    assert np.all(np.diff(plain.history.energy) <= 1e-12) and plain.network.layers == ops.layers
    monkeypatch.setattr(sweep, "input_norm_sq", lambda op, X, **options: spectral_norm_sq(X, **options))
    monkeypatch.setattr(sweep, "_positions", lambda op: 1)
    a = residual_proximal_gradient(net, X, Y, **kw)
    b = residual_proximal_gradient(ops, X, Y, **kw)
    np.testing.assert_allclose(b.history.energy, a.history.energy, rtol=1e-14, atol=1e-14)
    assert b.state["t_u"] == pytest.approx(a.state["t_u"], rel=1e-14)
    for p, q in zip(a.network.weights + a.network.biases + tuple(a.hidden),
                    b.network.weights + b.network.biases + tuple(b.hidden)):
        np.testing.assert_allclose(q, p, rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------------- conv gradients
def test_conv_residual_gradients_against_central_differences():
    net, prob, X, Y, us = _conv_setup()
    assert residual_layers(net) == CONV_RES
    rng, h = np.random.default_rng(7), 1e-6
    g = residual_grad_u(prob, net, X, us, CONV_RES)
    for j in range(3):
        for idx in _sample(us[j].shape, rng, 25):
            up, um = [u.copy() for u in us], [u.copy() for u in us]
            up[j][idx] += h
            um[j][idx] -= h
            fd = (residual_energy_H(prob, net, X, up, CONV_RES)
                  - residual_energy_H(prob, net, X, um, CONV_RES)) / (2 * h)
            assert g[j][idx] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    xs = states_from_increments(X, us, CONV_RES)
    gW, gb = residual_grad_theta(prob, net, xs, CONV_RES)
    for l in range(1, 5):
        for name, P, grad in (("W", net.weights[l - 1], gW[l - 1]), ("b", net.biases[l - 1], gb[l - 1])):
            for idx in _sample(P.shape, rng, 15):
                E = np.zeros(P.shape)
                E[idx] = h
                plus, minus = ((replace_layer(net, l, W=P + E), replace_layer(net, l, W=P - E)) if name == "W"
                               else (replace_layer(net, l, b=P + E), replace_layer(net, l, b=P - E)))
                fd = (residual_energy(prob, plus, xs, CONV_RES) - residual_energy(prob, minus, xs, CONV_RES)) / (2 * h)
                assert grad[idx] == pytest.approx(fd, rel=1e-6, abs=1e-9), (name, l, idx)


def test_conv_residual_gradients_against_torch_autograd():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    net, prob, X, Y, us = _conv_setup(seed=3, s=4)
    xs = states_from_increments(X, us, CONV_RES)
    gW, gb = residual_grad_theta(prob, net, xs, CONV_RES)
    gu = residual_grad_u(prob, net, X, us, CONV_RES)
    Ks = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    u = [torch.tensor(v, requires_grad=True) for v in us[:3]] + [torch.tensor(Y)]

    def conv(op, x, K, b):                       # channels-last flattened, as bregnet
        H, W, C = op.in_shape
        z = F.conv2d(x.reshape(-1, H, W, C).permute(0, 3, 1, 2), K.permute(3, 2, 0, 1), b, stride=op.stride,
                     padding=op.padding)
        return z.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    x = [torch.tensor(X)]
    for l in range(1, 4):                        # x_l = x_{l-1} + u_l (residual layers 1, 2) or u_l
        x.append(x[-1] + u[l - 1] if l in CONV_RES else u[l - 1])
    z = [conv(net.layers[l], x[l], Ks[l], bs[l]) for l in range(3)] + [x[3] @ Ks[3] + bs[3]]
    # Phi*_relu(z) = |z_+|^2/2, Phi*_tanh(z) = log cosh z (= z + softplus(-2z) - log 2), Phi*_id(z) = |z|^2/2
    conj = [0.5 * (F.relu(z[0]) ** 2).sum(), 0.5 * (F.relu(z[1]) ** 2).sum(),
            (z[2] + F.softplus(-2 * z[2]) - np.log(2.0)).sum(), 0.5 * (z[3] ** 2).sum()]
    H = sum(lam * (c - (ul * zl).sum()) for lam, c, ul, zl in zip(prob.lambdas, conj, u, z)) / X.shape[0]
    assert H.item() == pytest.approx(residual_energy_H(prob, net, X, us, CONV_RES), rel=1e-12)
    H.backward()
    for l in range(4):
        np.testing.assert_allclose(gW[l], Ks[l].grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gb[l], bs[l].grad.numpy(), rtol=1e-10, atol=1e-12)
    for j in range(3):
        np.testing.assert_allclose(gu[j], u[j].grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------- training
def test_conv_residual_training_decreases_the_energy():
    net = operator_network(CONV_SPEC, ["relu", "relu", "tanh", "identity"], input_shape=CONV_INPUT, seed=1,
                           bias=0.05)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 72))
    Y = np.tanh(X[:, :3]) + 0.5 * X[:, 3:6]
    res = residual_proximal_gradient(net, X, Y, epochs=10)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1]))) and e[-1] < 0.9 * e[0]
    assert res.history.forward_loss[-1] < res.history.forward_loss[0]
    assert res.network.layers == net.layers and [h.shape for h in res.hidden] == [(20, 72), (20, 72), (20, 27)]
    assert np.array_equal(res.hidden[1], res.hidden[0] + res.state["increments"][1])   # layer 2 is residual


# ---------------------------------------------------------------------------------------------- residual check
def test_residual_layers_need_equal_input_and_output_shapes():
    # conv 4x4x2 -> 4x4x2 (residual), conv stride 2 -> 2x2x8 (32 = 4*4*2 features but another shape), dense 32 -> 32
    net = operator_network("conv3x3x2p1,conv3x3x8s2p1,flatten,dense32,dense3", ["relu", "relu", "tanh", "identity"],
                           input_shape="4x4x2", seed=0)
    assert net.layer_sizes[1] == net.layer_sizes[2] == 32
    assert residual_layers(net) == (1, 3)
    with pytest.raises(BregnetInputError, match=r"residual layer 2 \(Conv2d.*output shape equal to its input shape"
                                                r".*4x4x2 and output 2x2x8"):
        residual_layers(net, (2,))
    X, Y = np.zeros((4, 32)), np.zeros((4, 3))
    with pytest.raises(BregnetInputError, match="residual layer 2"):
        run(ResidualProximalGradient(residual=[1, 2]), net, X, Y, epochs=1)
    other = operator_network("conv3x3x4p1,flatten,dense3", ["relu", "identity"], input_shape="4x4x2", seed=0)
    with pytest.raises(BregnetInputError, match="residual layer 1 .*4x4x2 and output 4x4x4"):
        residual_layers(other, (1,))
