"""Linear operators as layers (issue 15): adjoints, norms, gradients of the lifted energy, torch's conv, training."""
import pickle

import numpy as np
import pytest

from bregnet.testing.toy_problem import replace_layer
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, forward_hidden, grad_theta_H, grad_x_H, lifted_energy
from bregnet.network import Network, glorot_init
from bregnet.operators import (Conv2d, Dense, Flatten, Reshape, check_adjoint, init_parameters, operator_network,
                               parse_layers)
from bregnet.solvers.engine import network_fingerprint, run
from bregnet.solvers.implicit_stochastic import LBNS, kernel_supported, lbn_s
from bregnet.solvers.inertial_bcd import InertialBCD

CONVS = [Conv2d((5, 5, 1), 2, 3), Conv2d((6, 5, 2), 3, (3, 2), stride=2, padding=1),
         Conv2d((7, 7, 3), 2, 5, stride=2, padding=2), Conv2d((4, 6, 2), 1, (1, 3), stride=3, padding=0),
         Conv2d((8, 8, 1), 4, 3, stride=2, padding=1)]


def _kernel(op, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=op.weight_shape), rng.normal(size=op.bias_shape)


# ---------------------------------------------------------------------------------------------- adjoints
@pytest.mark.parametrize("op", CONVS + [Dense(4, 3)], ids=repr)
def test_adjoint_identity(op):
    K, _ = _kernel(op)
    assert check_adjoint(op, K, rtol=1e-12) <= 1e-12


def test_reshape_and_flatten_are_the_identity():
    r = Flatten((3, 2, 2))
    X = np.arange(24.0).reshape(2, 12)
    assert r.out_shape == (12,) and np.array_equal(r.forward(X), X) and np.array_equal(r.adjoint(X), X)
    assert check_adjoint(r, None) <= 1e-15
    with pytest.raises(BregnetInputError, match="different sizes"):
        Reshape((2, 2), (5,))


@pytest.mark.parametrize("op", CONVS[:3], ids=repr)
def test_a_wrong_adjoint_is_rejected(op):
    K, _ = _kernel(op)
    flipped = K[::-1, ::-1]                     # the adjoint of a correlation is a correlation with the flipped
    with pytest.raises(AssertionError, match="relative error"):   # kernel, not the same kernel's correlation
        check_adjoint(op, K, adjoint=lambda Y, W: op.adjoint(Y, flipped if W.shape[0] > 1 else 2 * W))
    sq = np.arange(9.0).reshape(3, 3)
    with pytest.raises(AssertionError):
        check_adjoint(Dense(3, 3), sq, adjoint=lambda Y, W: Y @ W)


# ---------------------------------------------------------------------------------------------- norms
@pytest.mark.parametrize("op", CONVS + [Dense(4, 3)], ids=repr)
def test_norm_bounds_equal_the_dense_spectral_norms(op):
    K, _ = _kernel(op, 1)
    M = op.dense_matrix(K)
    assert M.shape == (op.in_size, op.out_size)
    exact = np.linalg.norm(M, 2) ** 2
    assert op.norm_sq(K, tol=1e-13, max_iter=5000) == pytest.approx(exact, rel=1e-6)
    X = np.random.default_rng(2).normal(size=(3, op.in_size))
    n_w = int(np.prod(op.weight_shape))                           # K -> A_K(X) as a matrix, column by column
    cols = [op.forward(X, e.reshape(op.weight_shape)).ravel() for e in np.eye(n_w)]
    assert op.weight_map_norm_sq(X, tol=1e-13, max_iter=5000) == pytest.approx(
        np.linalg.norm(np.array(cols).T, 2) ** 2, rel=1e-6)
    ones = [op.bias_forward(e, 3).repeat(3, axis=0).ravel() for e in np.eye(op.bias_shape[0])]
    joint = np.linalg.norm(np.array(cols + ones).T, 2) ** 2          # (K, b) -> A_K(X) + 1 (x) b as a matrix
    assert op.affine_map_norm_sq(X, tol=1e-13, max_iter=5000) == pytest.approx(joint, rel=1e-6)
    assert joint <= np.linalg.norm(np.array(cols).T, 2) ** 2 + 3 * op.positions * (1 + 1e-12)


def test_norm_warm_start_returns_the_vector_and_reuses_it():
    op = CONVS[2]
    K, _ = _kernel(op)
    val, v = op.norm_sq(K, return_vector=True, tol=1e-12, max_iter=2000)
    assert v.shape == (op.norm_vector_size,)
    again = op.norm_sq(K, v0=v, tol=1e-12, max_iter=3)        # from the converged vector: at once
    assert again == pytest.approx(val, rel=1e-8)


# ---------------------------------------------------------------------------------------------- torch's conv
def test_forward_equals_torch_conv2d():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for op in CONVS:
        K, b = _kernel(op, 3)
        X = np.random.default_rng(4).normal(size=(3, op.in_size))
        H, W, C = op.in_shape
        x_t = torch.tensor(X.reshape(3, H, W, C)).permute(0, 3, 1, 2)
        k_t = torch.tensor(K).permute(3, 2, 0, 1)                 # (C_o, C, k_h, k_w)
        z_t = F.conv2d(x_t, k_t, torch.tensor(b), stride=op.stride, padding=op.padding)
        z = z_t.permute(0, 2, 3, 1).reshape(3, -1).numpy()
        np.testing.assert_allclose(op.affine(X, K, b), z, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------- gradients
def _conv_problem(seed=0, s=4):
    net = operator_network("conv3x3x3s2p1,conv3x3x2s1p1,flatten,dense3", ["relu", "relu", "identity"],
                           input_shape="6x6x2", seed=seed, bias=0.05)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(s, 72))
    Y = rng.normal(size=(s, 3))
    hidden = [np.maximum(h + 0.3 * rng.normal(size=h.shape), 0) for h in forward_hidden(net, X)]
    return net, [X, *hidden, Y], LiftedProblem.from_network(net)


def test_parameter_gradient_against_central_differences():
    net, xs, prob = _conv_problem()
    gW, gb = grad_theta_H(prob, net, xs)
    rng = np.random.default_rng(5)
    h = 1e-6
    for l in (1, 2, 3):
        W = net.weights[l - 1]
        for idx in [tuple(rng.integers(0, n) for n in W.shape) for _ in range(5)]:
            E = np.zeros(W.shape)
            E[idx] = h
            fd = (lifted_energy(prob, replace_layer(net, l, W + E), xs) - lifted_energy(prob, replace_layer(net, l, W - E), xs)) / (2 * h)
            assert gW[l - 1][idx] == pytest.approx(fd, rel=1e-5, abs=1e-8)
        b = net.biases[l - 1]
        e = np.zeros(b.shape)
        e[0] = h
        fd = (lifted_energy(prob, replace_layer(net, l, b=b + e), xs) - lifted_energy(prob, replace_layer(net, l, b=b - e), xs)) / (2 * h)
        assert gb[l - 1][0] == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_parameter_and_x_gradients_against_torch_autograd():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    net, xs, prob = _conv_problem(seed=2)
    gW, gb = grad_theta_H(prob, net, xs)
    gx = grad_x_H(prob, net, xs)
    s = xs[0].shape[0]
    Ks = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    x1, x2 = (torch.tensor(x, requires_grad=True) for x in xs[1:3])
    x0, y = torch.tensor(xs[0]), torch.tensor(xs[3])

    def conv(op, x, K, b):                       # channels-last flattened, as bregnet
        H, W, C = op.in_shape
        z = F.conv2d(x.reshape(-1, H, W, C).permute(0, 3, 1, 2), K.permute(3, 2, 0, 1), b, stride=op.stride,
                     padding=op.padding)
        return z.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    z1 = conv(net.layers[0], x0, Ks[0], bs[0])
    z2 = conv(net.layers[1], x1, Ks[1], bs[1])
    z3 = x2 @ Ks[2] + bs[2]
    # H = (1/s) sum_l [Phi*_l(z_l) - <x_l, z_l>], Phi*_relu(z) = |max(z, 0)|^2/2, Phi*_id(z) = |z|^2/2
    H = (0.5 * (F.relu(z1) ** 2).sum() - (x1 * z1).sum() + 0.5 * (F.relu(z2) ** 2).sum() - (x2 * z2).sum()
         + 0.5 * (z3 ** 2).sum() - (y * z3).sum()) / s
    H.backward()
    for l in range(3):
        np.testing.assert_allclose(gW[l], Ks[l].grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gb[l], bs[l].grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx[0], x1.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx[1], x2.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------- networks
def test_network_checks_operator_parameters():
    layers = parse_layers("conv3x3x2,flatten,dense2", "4x4x1")
    W, b = init_parameters(layers, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="W_1 must have shape"):
        Network((W[0][:2], W[1]), b, ("relu", "identity"), layers)
    with pytest.raises(ValueError, match="b_2 must have shape"):
        Network(W, (b[0], b[1][:1]), ("relu", "identity"), layers)
    with pytest.raises(ValueError, match="one operator per layer"):
        Network(W, b, ("relu", "identity"), layers[:1])
    with pytest.raises(TypeError, match="layers\\[1\\]"):
        Network(W, b, ("relu", "identity"), (layers[0], "dense"))


def test_dense_networks_are_unchanged():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    assert net.layers is None and "layers" not in network_fingerprint(net)
    old = pickle.loads(pickle.dumps(net))
    del old.__dict__["layers"]                    # a network pickled before operator layers existed
    again = pickle.loads(pickle.dumps(old))
    assert again.layers is None and again.layer_sizes == (3, 4, 2)
    assert kernel_supported(LiftedProblem.from_network(net))
    # the same draws as glorot_init for dense operators
    W, b = init_parameters([Dense(3, 4), Dense(4, 2)], rng=np.random.default_rng(0))
    assert all(np.array_equal(a, c) for a, c in zip(W, net.weights))


def test_operator_network_copies_and_casts_keep_the_layers():
    net = operator_network("conv3x3x2s2,flatten,dense2", ["relu", "identity"], input_shape="5x5x1", seed=0)
    assert net.copy().layers == net.layers and net.astype(np.float32).layers == net.layers
    assert net.astype(np.float32).forward(np.ones((1, 25))).dtype == np.float32
    assert not kernel_supported(LiftedProblem.from_network(net))
    from bregnet.solvers.coordinate_descent import CoordinateDescent
    with pytest.raises(BregnetInputError, match="operator layers"):
        run(CoordinateDescent(), net, np.ones((4, 25)), np.zeros((4, 2)), epochs=1)


def test_backprop_through_operators_against_torch_autograd():
    torch = pytest.importorskip("torch")
    from bregnet.backprop import backprop
    net, xs, _ = _conv_problem(seed=4)
    X, Y = xs[0], xs[-1]
    r = backprop(net, X, Y, "mse")
    params = [torch.tensor(p, requires_grad=True) for p in net.weights + net.biases]
    F = torch.nn.functional
    x = torch.tensor(X)
    for l, op in enumerate(net.layers):
        K, b = params[l], params[3 + l]
        if isinstance(op, Conv2d):
            H, W, C = op.in_shape
            x = F.conv2d(x.reshape(-1, H, W, C).permute(0, 3, 1, 2), K.permute(3, 2, 0, 1), b, stride=op.stride,
                         padding=op.padding).permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        else:
            x = x @ K + b
        x = F.relu(x) if l < 2 else x
    loss = 0.5 * ((x - torch.tensor(Y)) ** 2).sum() / X.shape[0]
    loss.backward()
    assert r.objective == pytest.approx(loss.item(), rel=1e-12)
    for g, p in zip(r.grad_weights + r.grad_biases, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["sgd_bp", "adam_bp"])
def test_backprop_baselines_train_a_conv_net(name):
    from bregnet.backprop import optimisers
    X, Y = _digits()
    net = operator_network("conv3x3x4s2p1,flatten,dense10", ["relu", "identity"], input_shape="8x8x1", seed=0)
    res = getattr(optimisers, name)(net, X, Y, epochs=3, batch_size=50, seed=0)
    obj = res.history.objective
    assert obj[-1] < 0.7 * obj[0] and res.network.layers == net.layers


# ---------------------------------------------------------------------------------------------- training
def _digits():
    from bregnet.datasets.digits import load_digits_dataset
    d = load_digits_dataset()
    return d.X_train[:400], d.Y_train[:400]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lbn_s_trains_a_conv_net_and_decreases_the_energy(dtype):
    X, Y = _digits()
    net = operator_network("conv3x3x4s2p1,flatten,dense10", ["relu", "identity"], input_shape="8x8x1", seed=0,
                           dtype=dtype)
    res = lbn_s(net, X, Y, epochs=4, batch_size=50, n_inner=3, prox_weight=1.0, seed=0)
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) < 0) and e[-1] < 0.6 * e[0]
    assert res.network.layers == net.layers and res.network.dtype == dtype


def test_lbn_s_batch_step_decreases_the_batch_energy():
    net, xs, prob = _conv_problem(seed=3, s=20)
    from bregnet.solvers.implicit_stochastic import lbn_batch_numpy
    X, Y = xs[0], xs[-1]
    e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    energies = []
    lbn_batch_numpy(prob, net, X, Y, n_inner=6, prox_weight=0.0,
                    callback=lambda n, W, b, h: energies.append(
                        lifted_energy(prob, Network(tuple(W), tuple(b), net.activations, net.layers), [X, *h, Y])))
    assert energies[0] < e0 and np.all(np.diff(energies) <= 1e-12)


def test_inertial_bcd_on_a_conv_net_never_raises_the_energy():
    X, Y = _digits()
    net = operator_network("conv3x3x4s2p1,flatten,dense10", ["relu", "identity"], input_shape="8x8x1", seed=1)
    e = np.array(run(InertialBCD(), net, X[:200], Y[:200], epochs=5).history.energy)
    assert np.all(np.diff(e) <= 0) and e[-1] < e[0]


def test_conv_checkpoint_resume_is_bit_exact(tmp_path):
    X, Y = _digits()
    net = operator_network("conv3x3x4s2p1,flatten,dense10", ["relu", "identity"], input_shape="8x8x1", seed=0)
    opts = dict(batch_size=100, n_inner=2, prox_weight=1.0, seed=7)
    full = lbn_s(net, X, Y, epochs=4, **opts)
    ck = tmp_path / "ck.npz"
    lbn_s(net, X, Y, epochs=2, checkpoint=ck, **opts)
    resumed = lbn_s(net, X, Y, epochs=4, checkpoint=ck, resume=True, **opts)
    assert resumed.network.layers == net.layers
    for a, b in zip(full.network.weights + full.network.biases, resumed.network.weights + resumed.network.biases):
        assert np.array_equal(a, b)
    assert full.history.energy == resumed.history.energy
    other = operator_network("conv3x3x4s1p1,flatten,dense10", ["relu", "identity"], input_shape="8x8x1", seed=0)
    with pytest.raises(BregnetInputError):        # another architecture: refused
        lbn_s(other, X, Y, epochs=4, checkpoint=ck, resume=True, **opts)
