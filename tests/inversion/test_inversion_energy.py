"""The lifted inversion energy: block convexity, block gradients (finite differences, torch autograd)."""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.exceptions import BregnetInputError
from bregnet.inversion import InversionEnergy, Tikhonov
from bregnet.network import glorot_init

CASES = [([4, 6, 3], ["relu", "identity"]), ([3, 5, 4, 2], ["tanh", "leaky_relu", "identity"]),
         ([4, 7, 5], ["softplus", "relu"]), ([5, 4], ["sigmoid"])]


def _instance(sizes, acts, seed):
    rng = np.random.default_rng(seed)
    net = glorot_init(sizes, acts, seed=seed)
    net = type(net)(tuple(2 * W for W in net.weights), tuple(rng.normal(size=b.shape) for b in net.biases),
                    net.activations)
    E = InversionEnergy.from_network(net, lambdas=rng.uniform(0.5, 2.0, size=len(acts)), regulariser=Tikhonov(),
                                     alpha=0.3)
    s = 3
    U = rng.normal(size=(s, sizes[0]))
    hidden = [net.activations[j].prox(rng.normal(size=(s, sizes[j + 1]))) for j in range(len(acts) - 1)]
    F = net.activations[-1].prox(rng.normal(size=(s, sizes[-1])))
    return rng, net, E, U, hidden, F


def _random_point(rng, E, block, U, hidden):
    """A second point of the block, in the domain of its Psi (the segment between two such points stays there)."""
    if block == 0:
        return rng.normal(size=U.shape)
    return E.layers[block - 1].activation.prox(rng.normal(scale=2.0, size=hidden[block - 1].shape))


def min_second_difference(fun, a, b, n=41):
    """The smallest second difference of ``fun`` on n points of the segment [a, b], relative to the values' scale."""
    ts = np.linspace(0.0, 1.0, n)
    vals = np.array([fun((1 - t) * a + t * b) for t in ts])
    d2 = vals[:-2] - 2 * vals[1:-1] + vals[2:]
    return float(np.min(d2)) / max(1.0, float(np.max(np.abs(vals))))


def _restricted(E, block, U, hidden, F):
    def fun(v):
        if block == 0:
            return E.value(v, hidden, F)
        h = list(hidden)
        h[block - 1] = v
        return E.value(U, h, F)
    return fun


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c[1]))
def test_energy_is_convex_in_each_block_along_random_lines(case, seed):
    rng, net, E, U, hidden, F = _instance(*case, seed)
    for block in range(E.n_layers):                 # u, x_1, ..., x_{L-1}
        a = U if block == 0 else hidden[block - 1]
        for _ in range(3):
            b = _random_point(rng, E, block, U, hidden)
            assert min_second_difference(_restricted(E, block, U, hidden, F), a, b) >= -1e-12, block


def test_the_convexity_check_rejects_a_non_convex_lifted_penalty():
    """The MAC-type penalty 1/2|x_l - sigma(A x_{l-1} + b)|^2 is not convex in x_{l-1}: the same check fails."""
    relu = get("relu")
    found = False
    for seed in range(20):
        rng = np.random.default_rng(seed)
        W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
        x1 = np.abs(rng.normal(size=(1, 4))) + 0.5

        def mac(v):
            return 0.5 * float(np.sum((x1 - relu.prox(v @ W + b)) ** 2))
        a, c = rng.normal(scale=2, size=(1, 3)), rng.normal(scale=2, size=(1, 3))
        if min_second_difference(mac, a, c) < -1e-6:
            found = True
            break
    assert found
    # and the Bregman term of the same layer passes on the same segment
    E = InversionEnergy.from_network(type(glorot_init([3, 4], ["relu"]))((W,), (b,), (relu,)))
    assert min_second_difference(lambda v: E.value(v, [], x1), a, c) >= -1e-12


def _fd_grad(fun, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c[1]))
def test_u_gradient_matches_central_differences(case, seed):
    rng, net, E, U, hidden, F = _instance(*case, seed)
    s = U.shape[0]
    fd = _fd_grad(_restricted(E, 0, U, hidden, F), U)
    grad = (E.grad_u(U, hidden, F) + E.alpha * U) / s            # + alpha grad J (Tikhonov); mean over rows
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
    with pytest.raises(AssertionError):                            # a gradient without the adjoint is caught
        np.testing.assert_allclose(grad - E.grad_u(U, hidden, F) / s, fd, rtol=1e-5, atol=1e-7)


INVERSE_PHI_GRAD = {"identity": lambda x: x, "tanh": np.arctanh, "leaky_relu": lambda x: np.where(x >= 0, x, x / 0.01),
                    "softplus": lambda x: np.log(np.expm1(x)), "sigmoid": lambda x: np.log(x / (1 - x))}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", [([3, 5, 4, 2], ["tanh", "leaky_relu", "identity"]),
                                  ([4, 6, 3], ["identity", "identity"]), ([4, 7, 5], ["softplus", "relu"])],
                         ids=lambda c: "-".join(c[1]))
def test_x_gradient_matches_central_differences(case, seed):
    """grad_x E = grad_x H + lambda_j grad Phi_j(x_j), grad Phi_j = sigma_j^{-1} (Psi_j differentiable inside)."""
    rng, net, E, U, hidden, F = _instance(*case, seed)
    s = U.shape[0]
    for j in range(1, E.n_layers):
        hidden = list(hidden)
        if case[1][j - 1] == "leaky_relu":
            hidden[j - 1] = hidden[j - 1] + np.sign(hidden[j - 1]) * 0.1     # away from the kink at 0
        name = E.layers[j - 1].activation.name
        full = E.grad_x(j, U, hidden, F) + E.layers[j - 1].lam * INVERSE_PHI_GRAD[name](hidden[j - 1])
        fd = _fd_grad(_restricted(E, j, U, hidden, F), hidden[j - 1], h=1e-7)
        np.testing.assert_allclose(full / s, fd, rtol=1e-4, atol=1e-6)


def test_gradients_against_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    net = glorot_init([6, 9, 4], ["relu", "identity"], seed=2)
    E = InversionEnergy.from_network(net, lambdas=[1.5, 0.7])
    U = rng.normal(size=(5, 6))
    X1 = np.abs(rng.normal(size=(5, 9)))
    F = rng.normal(size=(5, 4))
    W1, b1 = (torch.tensor(a, dtype=torch.float64) for a in (net.weights[0], net.biases[0]))
    W2, b2 = (torch.tensor(a, dtype=torch.float64) for a in (net.weights[1], net.biases[1]))
    u = torch.tensor(U, requires_grad=True)
    x1 = torch.tensor(X1, requires_grad=True)
    f = torch.tensor(F)
    z1, z2 = u @ W1 + b1, x1 @ W2 + b2
    # B_relu(x, z) = |x|^2/2 + |relu(z)|^2/2 - <x, z> (x >= 0); B_identity(f, z) = |f - z|^2/2
    e = (1.5 * (0.5 * (x1 ** 2).sum() + 0.5 * (torch.relu(z1) ** 2).sum() - (x1 * z1).sum())
         + 0.7 * 0.5 * ((f - z2) ** 2).sum()) / 5
    e.backward()
    assert abs(e.item() - E.value(U, [X1], F)) < 1e-10 * max(1.0, abs(e.item()))
    np.testing.assert_allclose(E.grad_u(U, [X1], F) / 5, u.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((E.grad_x(1, U, [X1], F) + 1.5 * X1) / 5, x1.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_zero_at_a_consistent_forward_pass_and_bad_inputs():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    E = InversionEnergy.from_network(net)
    U = np.ones((2, 3))
    assert E.value(U, E.forward_hidden(U), net.forward(U)) == 0.0
    with pytest.raises(BregnetInputError, match="lambdas"):
        InversionEnergy.from_network(net, lambdas=[1.0])
    with pytest.raises(BregnetInputError, match="lambda must be"):
        InversionEnergy.from_network(net, lambdas=[1.0, -1.0])
    with pytest.raises(BregnetInputError, match="alpha"):
        InversionEnergy.from_network(net, alpha=-1)
    with pytest.raises(BregnetInputError, match="hidden"):
        E.value(U, [], net.forward(U))
    with pytest.raises(BregnetInputError, match="j must be"):
        E.grad_x(2, U, E.forward_hidden(U), net.forward(U))
    relu_out = InversionEnergy.from_network(glorot_init([3, 2], ["relu"], seed=0))
    with pytest.raises(BregnetInputError, match="outside dom Psi_L"):
        relu_out.check_output(-np.ones((1, 2)))
