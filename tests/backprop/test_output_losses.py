"""Output losses of bregnet.backprop.losses: values against their definitions (mpmath at extreme logits),
gradients against central finite differences and torch autograd (where torch is installed), the
registry of get_loss, bad options and targets, a whole back-propagation gradient, and the
gradient check rejecting a deliberately wrong seed.
"""
from __future__ import annotations

import numpy as np
import pytest

from bregnet.activations import get
from bregnet.backprop import backprop, get_loss
from bregnet.backprop.losses import BinaryCrossEntropyWithLogits, CrossEntropyWithLogits, HuberLoss
from bregnet.exceptions import BregnetInputError
from bregnet.network import Network

RNG = np.random.default_rng(0)


def onehot(rows, n):
    y = np.zeros((len(rows), n))
    y[np.arange(len(rows)), rows] = 1.0
    return y


def fd_grad(loss, act, y, z, h=1e-6):
    """Central differences of sum_i loss.per_sample in z."""
    g = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        up = np.sum(loss.per_sample(act, y, z + e, act(z + e)))
        dn = np.sum(loss.per_sample(act, y, z - e, act(z - e)))
        g[idx] = (up - dn) / (2 * h)
    return g


def check_gradient(loss, act, y, z, atol=1e-7):
    g = loss.grad_z(act, y, z, act(z))
    fd = fd_grad(loss, act, y, z)
    if not np.allclose(g, fd, atol=atol, rtol=1e-6):
        raise AssertionError(f"{loss!r} with {act!r}: gradient off by {np.max(np.abs(g - fd)):.3g}")


CASES = [(CrossEntropyWithLogits(), "identity"), (CrossEntropyWithLogits(label_smoothing=0.1), "identity"),
         (CrossEntropyWithLogits(label_smoothing=0.3), "softmax"),
         (BinaryCrossEntropyWithLogits(), "identity"), (BinaryCrossEntropyWithLogits(label_smoothing=0.2), "sigmoid"),
         (HuberLoss(), "identity"), (HuberLoss(delta=0.3), "tanh"), (HuberLoss(delta=2.0), "softmax"),
         (HuberLoss(delta=0.5), "entmax15")]


def targets_for(loss, n, s=6):
    if isinstance(loss, CrossEntropyWithLogits):
        soft = RNG.dirichlet(np.ones(n), size=2)
        return np.vstack([onehot(RNG.integers(0, n, s - 2), n), soft])
    if isinstance(loss, BinaryCrossEntropyWithLogits):
        return np.vstack([RNG.integers(0, 2, (s - 2, n)).astype(float), RNG.uniform(0, 1, (2, n))])
    return RNG.standard_normal((s, n))


@pytest.mark.parametrize("loss, act_name", CASES, ids=[f"{c[0]!r}-{c[1]}" for c in CASES])
def test_gradient_matches_finite_differences(loss, act_name):
    act = get(act_name)
    y = targets_for(loss, 4)
    z = 2.0 * RNG.standard_normal(y.shape)
    check_gradient(loss, act, y, z)


def test_gradient_check_can_fail():
    """The check notices a seed that ignores label smoothing, and Huber's seed without the Jacobian."""
    y = onehot([0, 2, 1], 3)
    z = RNG.standard_normal((3, 3))
    smoothed = CrossEntropyWithLogits(label_smoothing=0.2)

    class Unsmoothed(CrossEntropyWithLogits):
        def grad_z(self, activation, y, z, x):
            return CrossEntropyWithLogits().grad_z(activation, y, z, x)

    with pytest.raises(AssertionError, match="gradient off"):
        check_gradient(Unsmoothed(label_smoothing=0.2), get("identity"), y, z)
    check_gradient(smoothed, get("identity"), y, z)

    class NoJacobian(HuberLoss):
        def grad_z(self, activation, y, z, x):
            return np.clip(x - y, -self.delta, self.delta)

    with pytest.raises(AssertionError, match="gradient off"):
        check_gradient(NoJacobian(), get("tanh"), RNG.standard_normal((3, 3)), z)


def test_values_match_the_definitions():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    ident = get("identity")
    z = np.array([[1000.0, -1000.0, 3.0], [0.1, 0.2, -0.3], [-750.0, -700.0, -760.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    for eps in (0.0, 0.15):
        yt = (1 - eps) * y + eps / 3
        ce = CrossEntropyWithLogits(label_smoothing=eps).per_sample(ident, y, z, z)
        bce = BinaryCrossEntropyWithLogits(label_smoothing=eps).per_sample(ident, y, z, z)
        ytb = (1 - eps) * y + eps / 2
        for i in range(3):
            Z = [mp.mpf(v) for v in z[i]]
            lse = mp.log(mp.fsum(mp.exp(v) for v in Z))
            exact_ce = mp.fsum(-mp.mpf(yt[i, j]) * (Z[j] - lse) for j in range(3))
            assert abs(ce[i] - float(exact_ce)) <= 1e-13 * max(1.0, abs(float(exact_ce)))
            exact_bce = mp.fsum(mp.log(1 + mp.exp(Z[j])) - mp.mpf(ytb[i, j]) * Z[j] for j in range(3))
            assert abs(bce[i] - float(exact_bce)) <= 1e-13 * max(1.0, abs(float(exact_bce)))
    r = np.array([[0.5, -3.0, 1.0]])
    assert HuberLoss(delta=1.0).per_sample(ident, np.zeros((1, 3)), r, r).tolist() == [0.125 + 2.5 + 0.5]
    # Huber -> MSE for a large delta; cross-entropy = the Bregman loss of softmax up to a term in y (same gradient)
    x = RNG.standard_normal((4, 3))
    assert np.allclose(HuberLoss(delta=1e6).per_sample(ident, r, x, x), get_loss("mse").per_sample(ident, r, x, x))
    sm, yy = get("softmax"), onehot([0, 1, 2, 0], 3)
    assert np.allclose(CrossEntropyWithLogits().grad_z(ident, yy, x, x), get_loss("bregman").grad_z(sm, yy, x, sm(x)))
    assert np.allclose(CrossEntropyWithLogits().per_sample(ident, yy, x, x), get_loss("bregman").per_sample(sm, yy, x, sm(x)))


def test_torch_autograd_agrees():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    ident, tanh = get("identity"), get("tanh")
    z = 3.0 * RNG.standard_normal((5, 4))
    y_prob = RNG.dirichlet(np.ones(4), size=5)
    y_bin = RNG.uniform(0, 1, (5, 4))
    y_reg = RNG.standard_normal((5, 4))
    for eps in (0.0, 0.1):
        zt = torch.tensor(z, requires_grad=True)
        val = F.cross_entropy(zt, torch.tensor(y_prob), label_smoothing=eps, reduction="none")
        val.sum().backward()
        loss = CrossEntropyWithLogits(label_smoothing=eps)
        assert np.allclose(loss.per_sample(ident, y_prob, z, z), val.detach().numpy(), rtol=1e-13, atol=1e-14)
        assert np.allclose(loss.grad_z(ident, y_prob, z, z), zt.grad.numpy(), rtol=1e-12, atol=1e-14)

        zt = torch.tensor(z, requires_grad=True)
        yb = torch.tensor((1 - eps) * y_bin + eps / 2)
        val = F.binary_cross_entropy_with_logits(zt, yb, reduction="none").sum(-1)
        val.sum().backward()
        loss = BinaryCrossEntropyWithLogits(label_smoothing=eps)
        assert np.allclose(loss.per_sample(ident, y_bin, z, z), val.detach().numpy(), rtol=1e-13, atol=1e-14)
        assert np.allclose(loss.grad_z(ident, y_bin, z, z), zt.grad.numpy(), rtol=1e-12, atol=1e-14)
    for delta in (0.4, 1.0, 3.0):
        zt = torch.tensor(z, requires_grad=True)
        val = F.huber_loss(torch.tanh(zt), torch.tensor(y_reg), delta=delta, reduction="none").sum(-1)
        val.sum().backward()
        loss = HuberLoss(delta=delta)
        assert np.allclose(loss.per_sample(tanh, y_reg, z, tanh(z)), val.detach().numpy(), rtol=1e-13)
        assert np.allclose(loss.grad_z(tanh, y_reg, z, tanh(z)), zt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_registered_in_get_loss():
    assert isinstance(get_loss("cross_entropy"), CrossEntropyWithLogits)
    assert isinstance(get_loss("binary_cross_entropy"), BinaryCrossEntropyWithLogits)
    assert isinstance(get_loss("huber"), HuberLoss)
    inst = HuberLoss(delta=0.25)
    assert get_loss(inst) is inst
    with pytest.raises(BregnetInputError, match="huber"):
        get_loss("hubber")


@pytest.mark.parametrize("bad", [1.0, -0.1, np.nan, True, "x", None])
def test_label_smoothing_is_validated(bad):
    for cls in (CrossEntropyWithLogits, BinaryCrossEntropyWithLogits):
        with pytest.raises(BregnetInputError, match="label_smoothing"):
            cls(label_smoothing=bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan, False, None])
def test_delta_is_validated(bad):
    with pytest.raises(BregnetInputError, match="delta"):
        HuberLoss(delta=bad)


def test_targets_are_checked():
    ident = get("identity")
    with pytest.raises(BregnetInputError, match="simplex"):
        CrossEntropyWithLogits().check_targets(ident, np.array([[0.5, 0.6]]))
    with pytest.raises(BregnetInputError, match=r"\[0, 1\]"):
        BinaryCrossEntropyWithLogits().check_targets(ident, np.array([[1.5, 0.0]]))
    CrossEntropyWithLogits().check_targets(ident, onehot([0, 1], 2))
    BinaryCrossEntropyWithLogits().check_targets(ident, np.array([[1.0, 0.0]]))


def test_diverged_logits_give_an_infinite_loss():
    z = np.array([[np.inf, 0.0]])
    y = onehot([0], 2)
    assert CrossEntropyWithLogits().per_sample(get("identity"), y, z, z).tolist() == [np.inf]
    assert BinaryCrossEntropyWithLogits().per_sample(get("identity"), y, z, z).tolist() == [np.inf]


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "huber"])
def test_backprop_gradient_with_the_new_losses(loss):
    """Algorithm 2 with each loss against central differences of the objective in every weight."""
    rng = np.random.default_rng(1)
    W = (rng.standard_normal((3, 4)) * 0.7, rng.standard_normal((4, 3)) * 0.7)
    b = (rng.standard_normal(4) * 0.1, rng.standard_normal(3) * 0.1)
    X = rng.standard_normal((5, 3))
    Y = onehot([0, 1, 2, 1, 0], 3) if loss != "huber" else rng.standard_normal((5, 3))
    net = Network(W, b, ("tanh", "identity"))
    r = backprop(net, X, Y, loss=loss)
    h = 1e-6
    for layer in range(2):
        for idx in np.ndindex(*W[layer].shape):
            Wp = [w.copy() for w in W]
            Wm = [w.copy() for w in W]
            Wp[layer][idx] += h
            Wm[layer][idx] -= h
            fp = backprop(Network(tuple(Wp), b, ("tanh", "identity")), X, Y, loss=loss).objective
            fm = backprop(Network(tuple(Wm), b, ("tanh", "identity")), X, Y, loss=loss).objective
            assert abs((fp - fm) / (2 * h) - r.grad_weights[layer][idx]) < 1e-7


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy", "huber"])
def test_solvers_accept_the_new_losses_by_name(name):
    """The solvers' ``loss`` option takes every name of ``get_loss`` (it took only "mse" and "bregman")."""
    from bregnet.backprop import sgd_bp
    from bregnet.network import glorot_init
    rng = np.random.default_rng(0)
    net = glorot_init([4, 6, 3], ["relu", "identity"], seed=0)
    X, Y = rng.normal(size=(40, 4)), np.eye(3)[rng.integers(0, 3, 40)]
    res = sgd_bp(net, X, Y, epochs=5, batch_size=10, lr=0.1, loss=name, seed=0)
    assert res.history.objective[-1] < res.history.objective[0]
