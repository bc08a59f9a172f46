"""Lifted energy (18)/(25)-(27), its split G + H, closed-form gradients (Lemma 8) and update steps (17)."""
import numpy as np
import pytest
from scipy.optimize import minimize

from bregnet.activations import get
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import (CodeRegulariser, LiftedProblem, energy_G, energy_H, forward_hidden, forward_loss,
                            grad_theta_H, grad_x_H, lifted_energy, layer_energies, prox_layer, prox_psi_l1,
                            theta_step, x_step)
from bregnet.network import Network, glorot_init


def _setup(acts=("relu", "tanh", "identity"), sizes=(4, 5, 3, 2), s=6, seed=0, l1=None):
    rng = np.random.default_rng(seed)
    net = glorot_init(list(sizes), list(acts), seed=seed, bias=0.1)
    X = rng.normal(size=(s, sizes[0]))
    Y = rng.normal(size=(s, sizes[-1]))
    prob = LiftedProblem.from_network(net, lambdas=[0.7, 1.3, 1.0][:len(acts)], l1=l1)
    hidden = forward_hidden(net, X)
    # perturb the auxiliary variables inside their domains
    hidden = [np.clip(h + 0.3 * rng.normal(size=h.shape), 0 if a == "relu" else -0.9, None if a == "relu" else 0.9)
              for h, a in zip(hidden, acts)]
    return net, prob, X, Y, hidden


def test_forward_init_gives_zero_hidden_energy():
    net, prob, X, Y, _ = _setup()
    xs = [X, *forward_hidden(net, X), Y]
    e = layer_energies(prob, net, xs)
    # x_j = fl(sigma_j(z_j)) is sigma_j(z_j) rounded, so B is the exact loss of that rounding: 0 for ReLU (exact),
    # (x - tanh z)^2 / (2 tanh'(z)) to first order for tanh, at most (ulp(x)/2)^2 / (2 tanh'(z)) per unit
    Z2 = xs[1] @ net.weights[1] + net.biases[1]
    bound = np.mean(np.sum((np.spacing(np.abs(xs[2])) / 2) ** 2 / (2 * (1 - np.tanh(Z2) ** 2)), axis=1))
    assert e[0] == 0.0 and 0.0 <= e[1] <= 1.3 * bound * 1.01      # lambda_2 = 1.3
    assert e[-1] > 0
    assert lifted_energy(prob, net, xs) == pytest.approx(forward_loss(prob, net, X, Y), rel=1e-12)


def test_forward_init_law_can_fail():
    net, prob, X, Y, hidden = _setup()
    assert np.all(layer_energies(prob, net, [X, *hidden, Y])[:-1] > 0)


def test_split_G_plus_H_is_E():
    net, prob, X, Y, hidden = _setup(l1=(1, 0.2))
    xs = [X, *hidden, Y]
    assert energy_G(prob, xs) + energy_H(prob, net, xs) == pytest.approx(lifted_energy(prob, net, xs), rel=1e-10)


def _fd(f, A, h=1e-6):
    g = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + h
        fp = f()
        A[idx] = old - h
        fm = f()
        A[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


@pytest.mark.parametrize("acts", [("relu", "tanh", "identity"), ("soft_threshold", "relu", "softmax")])
def test_grad_H_matches_finite_differences(acts):
    net, prob, X, Y, hidden = _setup(acts=acts)
    if acts[-1] == "softmax":
        Y = np.abs(Y) / np.abs(Y).sum(axis=1, keepdims=True)
    Ws = [W.copy() for W in net.weights]
    bs = [b.copy() for b in net.biases]
    hs = [h.copy() for h in hidden]

    def H():
        return energy_H(prob, Network(tuple(Ws), tuple(bs), net.activations), [X, *hs, Y])

    gW, gb = grad_theta_H(prob, net, [X, *hidden, Y])
    gx = grad_x_H(prob, net, [X, *hidden, Y])
    for l in range(3):
        np.testing.assert_allclose(gW[l], _fd(H, Ws[l]), atol=1e-6)
        np.testing.assert_allclose(gb[l], _fd(H, bs[l]), atol=1e-6)
    for j in range(2):
        np.testing.assert_allclose(gx[j], _fd(H, hs[j]), atol=1e-6)
    # the check can fail: a wrong sign is detected
    assert not np.allclose(-gx[0], _fd(H, hs[0]), atol=1e-6)


def _argmin_x(act, lam, alpha, v, t):
    """Numerical argmin of 1/2|x - v|^2 + t(lam Phi(x) + alpha|x|_1) for one sample (x = p - q split for |.|)."""
    n = v.size
    name = act.name
    if name == "relu":
        f = lambda x: 0.5 * np.sum((x - v) ** 2) + t * (lam * 0.5 * np.sum(x * x) + alpha * np.sum(x))
        return minimize(f, np.zeros(n), method="L-BFGS-B", bounds=[(0, None)] * n,
                        options={"ftol": 1e-15, "gtol": 1e-12}).x
    if name == "tanh":
        f = lambda x: 0.5 * np.sum((x - v) ** 2) + t * lam * float(act.phi(x[None])[0])
        return minimize(f, np.zeros(n), method="L-BFGS-B", bounds=[(-1 + 1e-12, 1 - 1e-12)] * n,
                        options={"ftol": 1e-15, "gtol": 1e-12}).x
    beta = getattr(act, "alpha", 0.0)

    def f(pq):
        p, q = pq[:n], pq[n:]
        x = p - q
        return 0.5 * np.sum((x - v) ** 2) + t * (lam * (0.5 * np.sum(x * x) + beta * np.sum(p + q)) + alpha * np.sum(p + q))
    pq = minimize(f, np.zeros(2 * n), method="L-BFGS-B", bounds=[(0, None)] * (2 * n),
                  options={"ftol": 1e-15, "gtol": 1e-12}).x
    return pq[:n] - pq[n:]


@pytest.mark.parametrize("name,alpha", [("relu", 0.0), ("relu", 0.3), ("identity", 0.3), ("soft_threshold", 0.2),
                                        ("tanh", 0.0)])
def test_prox_layer_is_argmin(name, alpha):
    rng = np.random.default_rng(1)
    acts = (name, "identity")
    net = glorot_init([3, 4, 2], list(acts), seed=0)
    prob = LiftedProblem.from_network(net, lambdas=[0.8, 1.0], l1=(1, alpha) if alpha else None)
    V = 2 * rng.normal(size=(5, 4))
    t = 0.7
    got = prox_layer(prob, 1, V, t)
    for i in range(5):
        np.testing.assert_allclose(got[i], _argmin_x(prob.activations[0], 0.8, alpha, V[i], t), atol=2e-6)


def test_x_step_is_argmin_of_its_subproblem():
    """x_step = argmin_x <g, x> + |x - x_j|^2/(2t) + lam_j Phi_j(x) + alpha|x|_1 (linearised subproblem of (17b))."""
    net, prob, X, Y, hidden = _setup(acts=("relu", "relu", "identity"), l1=(1, 0.25))
    j, t = 1, 0.4
    Zj = X @ net.weights[0] + net.biases[0]
    Dn = prob.activations[1].prox(hidden[0] @ net.weights[1] + net.biases[1]) - hidden[1]
    got = x_step(prob, j, hidden[0], Zj, Dn, net.weights[1], t)
    g = prob.lambdas[1] * Dn @ net.weights[1].T - prob.lambdas[0] * Zj
    lam, a = prob.lambdas[0], 0.25
    for i in range(X.shape[0]):
        xj = hidden[0][i]
        f = lambda x: g[i] @ x + np.sum((x - xj) ** 2) / (2 * t) + lam * 0.5 * np.sum(x * x) + a * np.sum(x)
        ref = minimize(f, np.zeros_like(xj), method="L-BFGS-B", bounds=[(0, None)] * xj.size,
                       options={"ftol": 1e-15, "gtol": 1e-12}).x
        np.testing.assert_allclose(got[i], ref, atol=2e-6)


def test_theta_step_is_argmin_of_its_subproblem():
    """theta_step = argmin <grad, Theta> + |Theta - Theta_n|^2/(2 eta) + rho/2 |Theta - Theta^k|^2 linearised (24)/(17a)."""
    net, prob, X, Y, hidden = _setup()
    act, lam = prob.activations[1], prob.lambdas[1]
    W, b = net.weights[1], net.biases[1]
    Wk, bk = W + 0.1, b - 0.2
    eta, rho = 0.3, 2.0
    W2, b2, _ = theta_step(act, lam, W, b, hidden[0], hidden[1], eta, anchor=(Wk, bk), prox_weight=rho)
    D = act.prox(hidden[0] @ W + b) - hidden[1]
    gW = lam / X.shape[0] * hidden[0].T @ D + rho * (W - Wk)
    gb = lam / X.shape[0] * D.sum(0) + rho * (b - bk)
    theta0 = np.concatenate([W.ravel(), b])
    g = np.concatenate([gW.ravel(), gb])
    res = minimize(lambda th: g @ th + np.sum((th - theta0) ** 2) / (2 * eta), theta0, method="BFGS",
                   options={"gtol": 1e-12})
    np.testing.assert_allclose(np.concatenate([W2.ravel(), b2]), res.x, atol=1e-6)


def test_prox_psi_l1_rejects_unsupported_activation():
    with pytest.raises(BregnetInputError, match="tanh"):
        prox_psi_l1(get("tanh"), np.zeros((1, 2)), 0.5, alpha=0.1)
    net = glorot_init([3, 4, 2], ["tanh", "identity"], seed=0)
    with pytest.raises(BregnetInputError, match="tanh"):
        LiftedProblem.from_network(net, l1=(1, 0.1))


def test_problem_validation():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    with pytest.raises(BregnetInputError, match="lambdas"):
        LiftedProblem.from_network(net, lambdas=[1.0, -1.0])
    with pytest.raises(BregnetInputError, match="hidden layer"):
        LiftedProblem.from_network(net, l1=(2, 0.1))
    with pytest.raises(BregnetInputError, match="alpha"):
        CodeRegulariser(1, -0.5)
