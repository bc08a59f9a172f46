"""The classical lifted network (7) and MAC-QP (6): energies, descent, and Table 2's affine outcome."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from bregnet.backprop import sgd_bp
from bregnet.backprop.classical_lifted import _PenaltyEnergy, classical_lifted, lifted_energy, mac_qp
from bregnet.exceptions import BregnetInputError
from bregnet.metrics import accuracy, linear_activation_rate
from bregnet.network import glorot_init


@pytest.fixture(scope="module")
def digits500():
    d = load_digits()
    X = d.data / 16.0
    X = X - X.mean(axis=0)
    idx = np.random.default_rng(0).permutation(len(X))[:500]
    return X[idx], np.eye(10)[d.target[idx]]


def _net(sizes=(64, 32, 10), hidden="relu", seed=0):
    return glorot_init(list(sizes), [hidden] * (len(sizes) - 2) + ["identity"], seed=seed)


def test_classical_lifted_network_is_affine_table2(digits500):
    """Eq. (8): the classical lifted network trains an (almost) affine network; SGD-BP and MAC-QP do not."""
    X, Y = digits500
    net, hist = classical_lifted(_net(), X, Y, epochs=20)
    rate = linear_activation_rate(net, X)
    assert rate.shape == (1,) and rate[0] > 0.95
    assert accuracy(Y, net.forward(X)) > 0.9          # the prediction rule: the forward ReLU network
    sgd, _ = sgd_bp(_net(), X, Y, epochs=30, batch_size=20, lr=0.05, seed=0)
    assert linear_activation_rate(sgd, X)[0] < 0.7
    mac, _ = mac_qp(_net(), X, Y, epochs=20)
    assert linear_activation_rate(mac, X)[0] < 0.7
    # at initialisation the measure is about one half: the training made it affine
    assert linear_activation_rate(_net(), X)[0] < 0.7


def test_classical_lifted_deeper_network_all_hidden_layers_affine(digits500):
    X, Y = digits500
    net, _ = classical_lifted(_net((64, 32, 32, 10)), X, Y, epochs=20)
    assert np.all(linear_activation_rate(net, X) > 0.93)


@pytest.mark.parametrize("solver,hidden", [(classical_lifted, "relu"), (mac_qp, "relu"), (mac_qp, "tanh")])
def test_energy_never_increases(digits500, solver, hidden):
    X, Y = digits500
    _, hist = solver(_net((64, 16, 16, 10), hidden), X[:200], Y[:200], epochs=15)
    e = hist.energy
    assert all(b <= a + 1e-12 * abs(a) for a, b in zip(e, e[1:]))
    assert e[-1] < 0.2 * e[0]
    assert len(hist.consistency) == 16 and len(hist.consistency[0]) == 2
    assert len(hist.auxiliary) == 2 and hist.auxiliary[0].shape == (200, 16)
    if solver is classical_lifted:
        assert all(np.all(x >= 0) for x in hist.auxiliary)


def test_lifted_energy_definitions():
    rng = np.random.default_rng(0)
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=1)
    X = rng.normal(size=(6, 3)); Y = rng.normal(size=(6, 2))
    zs, xs = net.forward_all(X)
    data = 0.5 * np.sum((Y - zs[-1]) ** 2) / 6
    # at the forward pass MAC-QP's penalty vanishes, the classical one is |relu(z) - z|^2 = |min(z, 0)|^2
    assert lifted_energy(net, X, Y, [xs[1]], kind="mac-qp") == pytest.approx(data)
    assert lifted_energy(net, X, Y, [xs[1]], kind="classical", penalty=2.0) == pytest.approx(
        data + 2.0 * np.sum(np.minimum(zs[0], 0) ** 2) / 6)
    with pytest.raises(BregnetInputError, match="kind"):
        lifted_energy(net, X, Y, [xs[1]], kind="bregman")
    with pytest.raises(BregnetInputError, match="auxiliary"):
        lifted_energy(net, X, Y, [xs[1], xs[1]])


@pytest.mark.parametrize("kind,act", [("classical", "relu"), ("mac-qp", "tanh"), ("mac-qp", "softmax")])
def test_block_gradients_match_finite_differences(kind, act):
    """dE/dz_l and dE/dx_l used by the block steps against central differences of the energy."""
    from bregnet.activations import get
    rng = np.random.default_rng(2)
    acts = (get(act), get("identity"))
    Y = rng.normal(size=(5, 2))
    prob = _PenaltyEnergy(kind, acts, Y, [1.3])
    x1 = np.abs(rng.normal(size=(5, 3))) + 0.1
    z1 = rng.normal(size=(5, 3)) + 0.05
    z2 = rng.normal(size=(5, 2))
    h = 1e-6
    for l, x, z in ((1, x1, z1), (2, None, z2)):
        g = prob.dterm_dz(l, x, z)
        num = np.zeros_like(z)
        for idx in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[idx] += h; zm[idx] -= h
            num[idx] = (prob.term(l, x, zp) - prob.term(l, x, zm)) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    g = prob.dterm_dx(1, x1, z1)
    num = np.zeros_like(x1)
    for idx in np.ndindex(x1.shape):
        xp, xm = x1.copy(), x1.copy()
        xp[idx] += h; xm[idx] -= h
        num[idx] = (prob.term(1, xp, z1) - prob.term(1, xm, z1)) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_classical_lifted_needs_relu_hidden_layers(digits500):
    X, Y = digits500
    with pytest.raises(BregnetInputError, match="relu"):
        classical_lifted(_net(hidden="tanh"), X, Y, epochs=1)


@pytest.mark.parametrize("bad,match", [({"penalty": -1.0}, "penalty"), ({"penalty": [1.0, 2.0]}, "penalty"),
                                       ({"epochs": -2}, "epochs"), ({"x_steps": 0}, "x_steps"),
                                       ({"callback": "no"}, "callback")])
def test_bad_options(digits500, bad, match):
    X, Y = digits500
    with pytest.raises(BregnetInputError, match=match):
        mac_qp(_net(), X[:10], Y[:10], **bad)


def test_single_layer_rejected(digits500):
    X, Y = digits500
    with pytest.raises(BregnetInputError, match="hidden layer"):
        classical_lifted(glorot_init([64, 10], "identity", seed=0), X, Y)
