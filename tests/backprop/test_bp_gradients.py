"""Algorithm 2 (Appendix A) against central finite differences of the objective (2) (+ l1 penalty (26))."""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.backprop import backprop, objective
from bregnet.network import Network, glorot_init

ARCHS = [
    (["relu", "identity"], "mse"),
    (["tanh", "tanh"], "mse"),
    (["tanh", "softmax"], "mse"),
    (["relu", "softmax"], "bregman"),
    (["identity", "relu", "identity"], "mse"),
    (["soft_threshold", "tanh", "softmax"], "mse"),
    (["relu", "relu", "relu"], "bregman"),
    (["tanh", "identity"], "bregman"),
]


def _problem(acts, loss, seed, dtype=np.float64, s=7):
    rng = np.random.default_rng(seed)
    sizes = [4] + [5] * (len(acts) - 1) + [3]
    net = glorot_init(sizes, acts, rng=rng, dtype=dtype, bias=0.1)
    # scale up so soft-thresholding (alpha = 1) is active for some units
    net = Network(tuple(2.0 * W for W in net.weights), net.biases, net.activations)
    X = rng.normal(size=(s, 4)).astype(dtype)
    out = acts[-1]
    if out == "softmax" or (loss == "bregman" and out == "relu"):
        Y = np.eye(3)[rng.integers(0, 3, size=s)].astype(dtype)
    else:
        Y = rng.normal(size=(s, 3)).astype(dtype)
    return net, X, Y


def _problem_away_from_kinks(acts, loss, seed, min_dist, dtype=np.float64):
    """The first problem from seed, seed+100, ... whose pre-activations are at least min_dist from every kink."""
    for k in range(50):
        net, X, Y = _problem(acts, loss, seed + 100 * k, dtype)
        if _kink_distance(net, X) > min_dist:
            return net, X, Y
    raise AssertionError("no test problem away from the kinks")


def _kink_distance(net, X):
    zs, _ = net.forward_all(X)
    d = np.inf
    for z, act in zip(zs, net.activations):
        if act.name == "relu":
            d = min(d, np.min(np.abs(z)))
        elif act.name == "soft_threshold":
            d = min(d, np.min(np.abs(np.abs(z) - act.alpha)))
    return d


def _fd_grads(net, X, Y, loss, h, **kw):
    gW, gb = [], []
    for kind in ("W", "b"):
        for l in range(net.n_layers):
            P = (net.weights if kind == "W" else net.biases)[l]
            G = np.zeros(P.shape, dtype=np.float64)
            for idx in np.ndindex(P.shape):
                vals = []
                for sgn in (1, -1):
                    Ws = [w.copy() for w in net.weights]
                    bs = [b.copy() for b in net.biases]
                    (Ws if kind == "W" else bs)[l][idx] += sgn * h
                    vals.append(objective(Network(tuple(Ws), tuple(bs), net.activations), X, Y, loss, **kw))
                G[idx] = (vals[0] - vals[1]) / (2 * h)
            (gW if kind == "W" else gb).append(G)
    return gW, gb


def _max_rel_err(r, gW, gb):
    num = max(np.max(np.abs(a - b)) for a, b in zip(r.grad_weights + r.grad_biases, gW + gb))
    den = max(np.max(np.abs(b)) for b in gW + gb)
    return num / max(den, 1e-12)


@pytest.mark.parametrize("acts,loss", ARCHS)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences_float64(acts, loss, seed):
    net, X, Y = _problem_away_from_kinks(acts, loss, seed, 1e-3)
    h = 1e-6
    r = backprop(net, X, Y, loss)
    assert all(g.dtype == np.float64 for g in r.grad_weights + r.grad_biases)
    gW, gb = _fd_grads(net, X, Y, loss, h)
    assert _max_rel_err(r, gW, gb) < 1e-6
    assert r.objective == pytest.approx(objective(net, X, Y, loss))


@pytest.mark.parametrize("acts,l1_layer", [(["tanh", "tanh", "identity"], 2), (["relu", "soft_threshold", "relu", "identity"], 2),
                                           (["tanh", "identity"], 1)])
def test_gradient_with_l1_penalty(acts, l1_layer):
    net, X, Y = _problem_away_from_kinks(acts, "mse", 3, 1e-3)
    x_code = net.forward_all(X)[1][l1_layer]
    nz = x_code[x_code != 0]
    assert nz.size == 0 or np.min(np.abs(nz)) > 1e-3
    r = backprop(net, X, Y, "mse", l1_alpha=0.3, l1_layer=l1_layer)
    assert r.penalty == pytest.approx(0.3 * np.sum(np.abs(x_code)) / X.shape[0])
    gW, gb = _fd_grads(net, X, Y, "mse", 1e-6, l1_alpha=0.3, l1_layer=l1_layer)
    assert _max_rel_err(r, gW, gb) < 1e-6


@pytest.mark.parametrize("acts,loss", ARCHS[:5])
def test_gradient_float32(acts, loss):
    net64, X, Y = _problem_away_from_kinks(acts, loss, 5, 0.1)
    net32 = net64.astype(np.float32)
    r32 = backprop(net32, X.astype(np.float32), Y.astype(np.float32), loss)
    assert all(g.dtype == np.float32 for g in r32.grad_weights + r32.grad_biases)
    # float32 analytic gradient agrees with the float64 one to float32 rounding ...
    net_back = net32.astype(np.float64)
    r64 = backprop(net_back, X.astype(np.float32).astype(np.float64), Y.astype(np.float32).astype(np.float64), loss)
    for a, b in zip(r32.grad_weights + r32.grad_biases, r64.grad_weights + r64.grad_biases):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.max(np.abs(b))))
    # ... and float32 finite differences (coarse step) within float32 accuracy
    gW, gb = _fd_grads(net32, X.astype(np.float32), Y.astype(np.float32), loss, 1e-2)
    assert _max_rel_err(r32, gW, gb) < 2e-2


def test_finite_difference_check_detects_a_wrong_backward_pass(monkeypatch):
    """The check is able to fail: dropping the sigma' factor (vjp = identity) is caught."""
    net, X, Y = _problem(["tanh", "identity"], "mse", 0)
    gW, gb = _fd_grads(net, X, Y, "mse", 1e-6)
    good = backprop(net, X, Y, "mse")
    assert _max_rel_err(good, gW, gb) < 1e-6
    tanh = net.activations[0]
    monkeypatch.setattr(type(tanh), "vjp", lambda self, z, v: np.asarray(v))
    wrong = backprop(net, X, Y, "mse")
    assert _max_rel_err(wrong, gW, gb) > 1e-2


def test_softmax_uses_the_full_jacobian_not_the_diagonal():
    """A separable sigma'(z) * v would be wrong for softmax; Algorithm 2 here uses J^T v."""
    net, X, Y = _problem(["tanh", "softmax"], "mse", 1)
    r = backprop(net, X, Y, "mse")
    gW, gb = _fd_grads(net, X, Y, "mse", 1e-6)
    assert _max_rel_err(r, gW, gb) < 1e-6
    zs, xs = net.forward_all(X)
    J = get("softmax").jacobian(zs[-1])
    diag_only = np.einsum("sii->si", J) * (xs[-1] - Y)
    full = get("softmax").vjp(zs[-1], xs[-1] - Y)
    assert np.max(np.abs(diag_only - full)) > 1e-3


def test_kink_convention_relu_derivative_zero_at_zero():
    """At z = 0 exactly, ReLU's backward pass uses sigma'(0) = 0, a value between the one-sided derivatives."""
    W1 = np.array([[1.0, 1.0]]); b1 = np.array([0.0, 1.0])
    W2 = np.array([[1.0], [1.0]]); b2 = np.array([0.0])
    net = Network((W1, W2), (b1, b2), ("relu", "identity"))
    X = np.array([[0.0]]); Y = np.array([[0.0]])      # unit 1: z = 0 (kink), unit 2: z = 1
    r = backprop(net, X, Y, "mse")
    # F(b1[0]) = 1/2 (max(b1[0], 0) + 1)^2: right derivative 1, left derivative 0; convention gives 0
    assert r.grad_biases[0].tolist() == [0.0, 1.0]
    right = (objective(Network((W1, W2), (b1 + [1e-7, 0], b2), net.activations), X, Y) - r.objective) / 1e-7
    left = (r.objective - objective(Network((W1, W2), (b1 - [1e-7, 0], b2), net.activations), X, Y)) / 1e-7
    assert left - 1e-6 <= r.grad_biases[0][0] <= right + 1e-6


def test_l1_sign_convention_at_zero():
    """sign(0) = 0: a penalised activation that is exactly zero contributes no gradient."""
    W1 = np.array([[1.0]]); W2 = np.array([[0.0]])
    net = Network((W1, W2), (np.array([0.0]), np.array([0.0])), ("identity", "identity"))
    r = backprop(net, [[0.0]], [[0.0]], "mse", l1_alpha=1.0, l1_layer=1)
    assert r.grad_weights[0].tolist() == [[0.0]] and r.grad_biases[0].tolist() == [0.0]


def test_bregman_output_loss_is_cross_entropy_for_softmax():
    net, X, Y = _problem(["tanh", "softmax"], "bregman", 2)
    r = backprop(net, X, Y, "bregman")
    zs, xs = net.forward_all(X)
    ce = -np.mean(np.sum(Y * np.log(xs[-1]), axis=1))
    assert r.data_loss == pytest.approx(ce, rel=1e-12)


def test_identity_output_mse_and_bregman_coincide():
    net, X, Y = _problem(["relu", "identity"], "mse", 4)
    a, b = backprop(net, X, Y, "mse"), backprop(net, X, Y, "bregman")
    assert a.objective == pytest.approx(b.objective, rel=1e-12)
    for g, h in zip(a.grad_weights + a.grad_biases, b.grad_weights + b.grad_biases):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-15)
