"""Inertial block coordinate descent (iPALM-type momentum): a solver that is only its update (issue 11)."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.network import glorot_init
from bregnet.solvers.engine import run
from bregnet.solvers.inertial_bcd import InertialBCD
from bregnet.solvers.proximal_gradient import ProximalGradient


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    net = glorot_init([5, 8, 6, 3], ["relu", "tanh", "identity"], seed=1)
    return net, rng.normal(size=(40, 5)), rng.normal(size=(40, 3))


@pytest.mark.parametrize("momentum", ["heavy_ball", "nesterov"])
def test_monotone_with_restart_and_faster_than_plain(momentum):
    net, X, Y = _problem()
    plain = run(InertialBCD(momentum="heavy_ball", beta=0.0), net, X, Y, epochs=150).history.energy
    fast = run(InertialBCD(momentum=momentum, beta=0.7), net, X, Y, epochs=150).history.energy
    assert np.all(np.diff(fast) <= 1e-12)
    assert fast[-1] < plain[-1]


def test_without_momentum_it_is_the_plain_gauss_seidel_sweep():
    net, X, Y = _problem(1)
    a = run(InertialBCD(momentum="heavy_ball", beta=0.0), net, X, Y, epochs=6)
    b = run(ProximalGradient(step_scale=1.0), net, X, Y, epochs=6)
    for u, v in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert np.array_equal(u, v)


def test_restart_matters_the_energy_rises_without_it():
    """The monotonicity test above can fail: heavy momentum without the restart raises the energy."""
    net, X, Y = _problem(2)
    e = run(InertialBCD(momentum="heavy_ball", beta=0.95, restart=False, step_scale=1.9), net, X, Y,
            epochs=60).history.energy
    assert np.any(np.diff(e) > 0)


def test_engine_gives_resume_callbacks_and_history(tmp_path):
    net, X, Y = _problem(3)
    solver = InertialBCD(momentum="nesterov")
    full = run(solver, net, X, Y, epochs=8)
    ck = tmp_path / "ibcd.npz"
    seen = []
    part = run(solver, net, X, Y, epochs=8, checkpoint=ck, callback=lambda e, n, row: seen.append(e) or e == 3)
    assert part.stopped_early and seen == [0, 1, 2, 3]
    res = run(solver, net, X, Y, epochs=8, checkpoint=ck, resume=True)
    assert res.resumed_from == 3
    for u, v in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(u, v)
    assert res.history.energy == full.history.energy and res.history.epoch == list(range(9))
    for u, v in zip(full.hidden, res.hidden):
        assert np.array_equal(u, v)


def test_hyperparameters_are_validated():
    with pytest.raises(BregnetInputError, match="beta must be a real number in \\[0, 1\\)"):
        InertialBCD(beta=1.0)
    with pytest.raises(BregnetInputError, match="momentum must be one of"):
        InertialBCD(momentum="adam")


def _reference_inertial_bcd(net, X, Y, sweeps, momentum, beta, c):
    """iPALM on the lifted energy of a dense ReLU/.../identity network (lambda = 1), written out from the module
    docstring: each block from its extrapolation u + beta_k (u - u_prev), Theta (all layers at once) then x_1..x_{L-1}
    (Gauss-Seidel), steps c/L with the Lipschitz bounds (||X_{l-1}||^2/s + 1) and ||W_{j+1}||^2 computed exactly,
    a sweep that raises the energy replaced by a plain one and the momentum restarted."""
    L, s = net.n_layers, X.shape[0]
    relu = lambda v: np.maximum(v, 0)                                         # noqa: E731
    act = [relu] * (L - 1) + [lambda v: v]
    norm2 = lambda A: np.linalg.norm(A, 2) ** 2                               # noqa: E731

    def energy(W, b, xs):
        e = 0.0
        for l in range(1, L + 1):
            z = xs[l - 1] @ W[l - 1] + b[l - 1]
            x = xs[l]
            e += (0.5 * np.sum(x * x) + 0.5 * np.sum(relu(z) ** 2) - np.sum(x * z) if l < L
                  else 0.5 * np.sum((x - z) ** 2))
        return e / s

    def sweep(W, b, xs, prev, bk):
        ext = lambda u, p: u + bk * (u - p) if prev is not None else u      # noqa: E731
        W = [ext(w, p) for w, p in zip(W, prev[0])] if prev else list(W)
        b = [ext(v, p) for v, p in zip(b, prev[1])] if prev else list(b)
        newW, newb = [], []
        for l in range(1, L + 1):
            D = act[l - 1](xs[l - 1] @ W[l - 1] + b[l - 1]) - xs[l]
            eta = c / (norm2(xs[l - 1]) / s + 1.0)
            newW.append(W[l - 1] - eta * xs[l - 1].T @ D / s)
            newb.append(b[l - 1] - eta * D.sum(axis=0) / s)
        xs = list(xs)
        for j in range(1, L):
            x = ext(xs[j], prev[2][j]) if prev else xs[j]
            Zj = xs[j - 1] @ newW[j - 1] + newb[j - 1]
            Dn = act[j](x @ newW[j] + newb[j]) - xs[j + 1]
            t = c / norm2(newW[j])
            xs[j] = relu((x - t * (Dn @ newW[j].T - Zj)) / (1 + t))
        return newW, newb, xs

    zs, fwd = net.forward_all(X)
    W, b, xs = list(net.weights), list(net.biases), [X, *fwd[1:-1], Y]
    prev, t, e = None, 1.0, energy(W, b, xs)
    for _ in range(sweeps):
        if momentum == "nesterov":
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            bk = (t - 1) / t_next
        else:
            t_next, bk = t, beta
        nW, nb, nxs = sweep(W, b, xs, prev, bk)
        ne = energy(nW, nb, nxs)
        if not ne <= e:
            nW, nb, nxs = sweep(W, b, xs, prev, 0.0)
            ne, t_next = energy(nW, nb, nxs), 1.0
        prev, (W, b, xs), e, t = (W, b, xs), (nW, nb, nxs), ne, t_next
    return W, b, xs


@pytest.mark.parametrize("momentum, beta", [("nesterov", 0.5), ("heavy_ball", 0.8)])
def test_trajectory_equals_the_reference_written_out(momentum, beta):
    net = glorot_init([5, 8, 6, 3], ["relu", "relu", "identity"], seed=4, bias=0.05)
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(30, 3))
    res = run(InertialBCD(momentum=momentum, beta=beta, step_scale=1.5), net, X, Y, epochs=25)
    W, b, xs = _reference_inertial_bcd(net, X, Y, 25, momentum, beta, 1.5)
    # the solver's Lipschitz bounds come from power iterations (relative tolerance ~1e-10), the reference's exact
    for u, v in zip(res.network.weights + res.network.biases + tuple(res.hidden), tuple(W) + tuple(b) + tuple(xs[1:-1])):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-9)
    W[0] = W[0] * (1 + 1e-4)                                                 # the comparison can fail
    assert not np.allclose(res.network.weights[0], W[0], rtol=1e-6, atol=1e-9)
