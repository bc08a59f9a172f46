"""ADMM (39) and Appendix B.2: every closed-form update equals a numerical argmin; ADMM = proximal gradient on (37a); errata."""
import numpy as np
import pytest
from scipy.optimize import minimize

from bregnet.activations import get
from bregnet.exceptions import BregnetInputError
from bregnet.lifted import LiftedProblem, theta_step
from bregnet.network import glorot_init
from bregnet.solvers.admm import (ADMMThetaState, admm_theta, admm_x, prox_phi_conjugate, theta_block_objective,
                                  x_block_objective)
from bregnet.solvers.lipschitz import spectral_norm_sq, theta_lipschitz


def _argmin(f, x0, bounds=None):
    r = minimize(f, x0, method="L-BFGS-B", bounds=bounds, options=dict(ftol=1e-15, gtol=1e-11, maxiter=20000))
    return r.x


@pytest.mark.parametrize("name", ["tanh", "relu", "soft_threshold", "identity"])
@pytest.mark.parametrize("gamma", [0.3, 2.0])
def test_prox_phi_conjugate_is_the_argmin(name, gamma):
    act = get(name)
    v = np.random.default_rng(0).normal(size=(1, 3)) * 2
    f = lambda z: gamma * float(act.conjugate(z[None])[0]) + 0.5 * float(np.sum((z - v[0]) ** 2))
    np.testing.assert_allclose(prox_phi_conjugate(act, v, gamma)[0], _argmin(f, v[0]), atol=1e-6)


def _theta_problem(s=8, seed=0):
    rng = np.random.default_rng(seed)
    Xp = rng.normal(size=(s, 3))
    Xc = np.clip(0.6 * rng.normal(size=(s, 2)), -0.9, 0.9)
    return get("tanh"), Xp, Xc


def test_admm_theta_and_proximal_gradient_reach_the_same_minimiser_of_37a():
    act, Xp, Xc = _theta_problem()
    st = admm_theta(act, Xp, Xc, np.zeros((3, 2)), np.zeros(2), delta=1.0, tau=0.01, n_iter=3000, tol=1e-13)
    W, b = np.zeros((3, 2)), np.zeros(2)
    eta = 1.99 / theta_lipschitz(spectral_norm_sq(Xp, method="exact"), Xp.shape[0], 1.0)
    for _ in range(20000):
        W, b, _ = theta_step(act, 1.0, W, b, Xp, Xc, eta)
    np.testing.assert_allclose(st.W, W, atol=1e-7)
    np.testing.assert_allclose(st.b, b, atol=1e-7)
    f = lambda p: theta_block_objective(act, Xp, Xc, p[:6].reshape(3, 2), p[6:])
    np.testing.assert_allclose(np.r_[st.W.ravel(), st.b], _argmin(f, np.zeros(8)), atol=1e-5)
    # the comparison can fail: a few ADMM iterations are not yet at the minimiser
    early = admm_theta(act, Xp, Xc, np.zeros((3, 2)), np.zeros(2), n_iter=3)
    assert not np.allclose(early.W, W, atol=1e-4)


def _lagrangian_theta(act, Xp, Xc, W, b, Z, M, delta, tau, Wj):
    F = Xp @ W + b
    return (float(np.sum(act.conjugate(Z)) - np.sum(Xc * Z) + np.sum(M * (Z - F)))
            + 0.5 * delta * float(np.sum((Z - F) ** 2)) + 0.5 * tau * float(np.sum((W - Wj) ** 2)))


def test_admm_theta_updates_are_argmins_and_printed_bias_update_is_wrong():
    act, Xp, Xc = _theta_problem(s=6, seed=1)
    rng = np.random.default_rng(2)
    W0, b0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    Z0, M0 = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    delta, tau = 0.7, 0.2
    st = admm_theta(act, Xp, Xc, W0, b0, delta=delta, tau=tau, n_iter=1, state=ADMMThetaState(W0, b0, Z0, M0))
    # Theta-update: argmin over (W, b) of the augmented Lagrangian + tau/2 |W - W^j|^2
    f = lambda p: _lagrangian_theta(act, Xp, Xc, p[:6].reshape(3, 2), p[6:], Z0, M0, delta, tau, W0)
    p = _argmin(f, np.r_[W0.ravel(), b0])
    np.testing.assert_allclose(st.W, p[:6].reshape(3, 2), atol=1e-6)
    np.testing.assert_allclose(st.b, p[6:], atol=1e-6)
    # z-update: argmin over Z at the new Theta
    g = lambda z: _lagrangian_theta(act, Xp, Xc, st.W, st.b, z.reshape(6, 2), M0, delta, tau, W0)
    np.testing.assert_allclose(st.Z, _argmin(g, Z0.ravel()).reshape(6, 2), atol=1e-6)
    # mu-update: argmax of L - 1/(2 delta)|mu - mu^j|^2 is mu^j + delta (z - f)
    np.testing.assert_allclose(st.M, M0 + delta * (st.Z - (Xp @ st.W + st.b)), atol=1e-12)
    # erratum (39): the printed b-update  b = z - (mu/delta - W^T x)  is not the minimiser in b for W = W^{j+1}
    Wn = st.W
    b_printed = np.mean(Z0 - (M0 / delta - Xp @ Wn), axis=0)
    b_derived = np.mean(Z0 + M0 / delta - Xp @ Wn, axis=0)
    fb = lambda bb: _lagrangian_theta(act, Xp, Xc, Wn, bb, Z0, M0, delta, tau, W0)
    b_num = _argmin(fb, b0)
    np.testing.assert_allclose(b_derived, b_num, atol=1e-6)
    assert np.max(np.abs(b_printed - b_num)) > 0.1


def test_admm_theta_singular_without_tau_is_rejected():
    act = get("relu")
    Xp = np.ones((1, 3))
    with pytest.raises(BregnetInputError, match="tau > 0"):
        admm_theta(act, Xp, np.ones((1, 2)), np.zeros((3, 2)), np.zeros(2), tau=0.0)
    st = admm_theta(act, Xp, np.ones((1, 2)), np.zeros((3, 2)), np.zeros(2), tau=1e-3, n_iter=5)   # one sample: fine
    assert np.all(np.isfinite(st.W))


def _x_setup(seed=0, l1=None):
    net = glorot_init([3, 4, 2], ["relu", "tanh"], seed=seed, bias=0.1)
    prob = LiftedProblem.from_network(net, lambdas=[0.7, 1.3], l1=l1)
    rng = np.random.default_rng(seed + 1)
    X0 = rng.normal(size=(5, 3))
    Y = np.clip(rng.normal(size=(5, 2)), -0.9, 0.9)
    A = X0 @ net.weights[0] + net.biases[0]
    return net, prob, A, Y, np.maximum(A, 0)


def _lagrangian_x(prob, X, V, Z, M1, M2, A, Y, W, b, delta):
    lam1, lam2 = prob.lambdas
    a1, a2 = prob.activations
    F = V @ W + b
    return float(np.sum(lam1 * (a1.phi(X) - np.sum(X * A, axis=-1)) + prob.l1_alpha(1) * np.sum(np.abs(X), axis=-1))
                 + np.sum(lam2 * (a2.conjugate(Z) - np.sum(Z * Y, axis=-1)))
                 + np.sum(M1 * (Z - F)) + np.sum(M2 * (V - X))
                 + 0.5 * delta * (np.sum((Z - F) ** 2) + np.sum((V - X) ** 2)))


@pytest.mark.parametrize("l1", [None, (1, 0.2)])
def test_admm_x_updates_are_argmins_and_it_converges_to_the_minimiser_of_37b(l1):
    net, prob, A, Y, X1 = _x_setup(l1=l1)
    W, b = net.weights[1], net.biases[1]
    rng = np.random.default_rng(5)
    from bregnet.solvers.admm import ADMMXState
    V0, M1, M2 = rng.normal(size=X1.shape), rng.normal(size=(5, 2)), rng.normal(size=X1.shape)
    Z0 = np.clip(rng.normal(size=(5, 2)), -2, 2)
    delta = 0.8
    st = admm_x(prob, 1, X1, A, Y, W, b, delta=delta, n_iter=1, state=ADMMXState(X1, V0, Z0, M1, M2))
    fx = lambda x: _lagrangian_x(prob, x.reshape(5, 4), V0, Z0, M1, M2, A, Y, W, b, delta)
    np.testing.assert_allclose(st.X, _argmin(fx, np.abs(V0).ravel() + 0.1, [(0, None)] * 20).reshape(5, 4),
                               atol=1e-5)
    fz = lambda z: _lagrangian_x(prob, st.X, V0, z.reshape(5, 2), M1, M2, A, Y, W, b, delta)
    np.testing.assert_allclose(st.Z, _argmin(fz, Z0.ravel()).reshape(5, 2), atol=1e-5)
    fv = lambda v: _lagrangian_x(prob, st.X, v.reshape(5, 4), st.Z, M1, M2, A, Y, W, b, delta)
    v_num = _argmin(fv, V0.ravel()).reshape(5, 4)
    np.testing.assert_allclose(st.V, v_num, atol=1e-5)
    # erratum B.2: the printed v-update (without <mu_2, v> + delta/2 |v - x|^2) is a different point
    G = lambda v: float(0.5 * delta * np.sum((v.reshape(5, 4) @ W + b - st.Z) ** 2) - np.sum(M1 * (v.reshape(5, 4) @ W)))
    v_printed = np.linalg.lstsq(W.T, ((st.Z - b) + M1 / delta).T, rcond=None)[0].T
    assert G(v_printed.ravel()) <= G(v_num.ravel()) + 1e-12 and np.max(np.abs(v_printed - v_num)) > 0.1
    # convergence to the minimiser of (37b)
    full = admm_x(prob, 1, X1, A, Y, W, b, delta=1.0, n_iter=3000, tol=1e-13)
    f = lambda x: float(np.sum(x_block_objective(prob, 1, x.reshape(5, 4), A, Y, W, b)))
    x_num = _argmin(f, X1.ravel() + 0.05, [(0, None)] * 20).reshape(5, 4)
    np.testing.assert_allclose(full.X, x_num, atol=1e-5)
    assert f(full.X.ravel()) <= f(x_num.ravel()) + 1e-9


def test_printed_multiplier_update_of_x_subproblem_does_not_converge_to_the_minimiser():
    """Erratum B.2: mu^{j+1} = (z; v) - (f(v); x) (no mu^j + delta(.)) stalls away from the minimiser."""
    net, prob, A, Y, X1 = _x_setup()
    W, b = net.weights[1], net.biases[1]
    f = lambda x: float(np.sum(x_block_objective(prob, 1, x.reshape(5, 4), A, Y, W, b)))
    x_num = _argmin(f, X1.ravel() + 0.05, [(0, None)] * 20).reshape(5, 4)
    # the printed rule, iterated with the (derived) x, z, v updates: reset mu to the residual each iteration
    from bregnet.solvers.admm import ADMMXState
    st = admm_x(prob, 1, X1, A, Y, W, b, n_iter=0)
    for _ in range(3000):
        nxt = admm_x(prob, 1, X1, A, Y, W, b, n_iter=1, state=st)
        F = nxt.V @ W + b
        st = ADMMXState(nxt.X, nxt.V, nxt.Z, nxt.Z - F, nxt.V - nxt.X)
    assert f(st.X.ravel()) - f(x_num.ravel()) > 1e-3
    derived = admm_x(prob, 1, X1, A, Y, W, b, n_iter=3000)
    assert f(derived.X.ravel()) - f(x_num.ravel()) < 1e-9
