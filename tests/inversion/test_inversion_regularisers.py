"""Regularisers: the l1 / Tikhonov prox against closed forms, the TV prox against direct minimisation."""
import numpy as np
import pytest
from scipy.optimize import minimize

from bregnet.exceptions import BregnetInputError
from bregnet.inversion import L1, Tikhonov, TotalVariation, get_regulariser
from bregnet.inversion.regularisers import tv_adjoint, tv_gradient


@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0])
def test_l1_and_tikhonov_prox_closed_forms(gamma):
    v = np.random.default_rng(0).normal(scale=2, size=(4, 7))
    soft = np.where(v > gamma, v - gamma, np.where(v < -gamma, v + gamma, 0.0))
    np.testing.assert_array_equal(L1().prox(v, gamma)[0], soft)
    np.testing.assert_allclose(Tikhonov().prox(v, gamma)[0], v / (1 + gamma), rtol=1e-15)
    # optimality: the prox minimises 1/2|u - v|^2 + gamma J(u) (no perturbation does better)
    rng = np.random.default_rng(1)
    for J in (L1(), Tikhonov()):
        u = J.prox(v, gamma)[0]
        obj = lambda w: 0.5 * np.sum((w - v) ** 2, axis=1) + gamma * J.value(w)   # noqa: E731
        for _ in range(20):
            assert np.all(obj(u) <= obj(u + 1e-3 * rng.normal(size=u.shape)) + 1e-15)
    with pytest.raises(AssertionError):                         # a wrong threshold is told apart
        np.testing.assert_array_equal(L1().prox(v, gamma + 0.1)[0], soft)


def _direct_tv_prox(v, gamma, shape, isotropic, eps=1e-8):
    """argmin 1/2|u - v|^2 + gamma TV_eps(u) by L-BFGS (scipy.optimize), TV_eps the smoothed TV
    sum_p sqrt(|grad u|_p^2 + eps^2) (per component for the anisotropic TV); within sqrt(2 gamma n eps) of the prox."""
    def tv_eps(u):
        G = tv_gradient(u[None], shape)[0]
        if isotropic:
            r = np.sqrt(np.sum(G * G, axis=0) + eps ** 2)
            return np.sum(r), G / r
        r = np.sqrt(G * G + eps ** 2)
        return np.sum(r), G / r

    def fun(u):
        val, P = tv_eps(u)
        return 0.5 * np.sum((u - v) ** 2) + gamma * val, (u - v) + gamma * tv_adjoint(P[None], shape)[0]

    r = minimize(fun, v.copy(), jac=True, method="L-BFGS-B", options={"gtol": 1e-13, "ftol": 1e-15,
                                                                       "maxiter": 100000, "maxcor": 50})
    return r.x, r.fun


@pytest.mark.parametrize("isotropic", [True, False])
@pytest.mark.parametrize("shape", [(3, 3), (7,), (2, 4)])
@pytest.mark.parametrize("seed", range(3))
def test_tv_prox_against_direct_minimisation(shape, isotropic, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=int(np.prod(shape)))
    gamma = 0.4
    tv = TotalVariation(shape, isotropic=isotropic, tol=1e-13, max_iter=50000)
    u, _ = tv.prox(v[None], gamma)
    ours = 0.5 * np.sum((u[0] - v) ** 2) + gamma * tv.value(u)[0]
    ref, ref_val = _direct_tv_prox(v, gamma, shape, isotropic)
    assert ours <= ref_val + 1e-9                            # at least as good as the direct minimiser
    np.testing.assert_allclose(u[0], ref, atol=1e-3)
    assert tv.last_gap <= 1e-12 * max(1.0, ours)
    if isotropic and len(shape) == 2:                        # the other TV's prox is a different point
        other, _ = TotalVariation(shape, isotropic=False, tol=1e-13, max_iter=50000).prox(v[None], gamma)
        assert np.max(np.abs(other[0] - ref)) > 1e-3


def test_tv_value_adjoint_and_warm_start():
    img = np.zeros((4, 4))
    img[:, 2:] = 1.0                                         # one vertical edge of length 4
    for iso in (True, False):
        assert TotalVariation((4, 4), isotropic=iso).value(img.reshape(1, -1))[0] == pytest.approx(4.0)
    diag = np.eye(3).reshape(1, -1)
    assert TotalVariation((3, 3)).value(diag)[0] < TotalVariation((3, 3), isotropic=False).value(diag)[0]
    rng = np.random.default_rng(0)
    u, p = rng.normal(size=(2, 20)), rng.normal(size=(2, 2, 4, 5))
    p[:, 0, -1, :] = 0
    p[:, 1, :, -1] = 0
    assert np.sum(tv_gradient(u, (4, 5)) * p) == pytest.approx(np.sum(u * tv_adjoint(p, (4, 5))), rel=1e-12)
    tv = TotalVariation((4, 5), tol=1e-10)
    _, P = tv.prox(u, 0.5)
    cold = tv.last_iterations
    tv.prox(u, 0.5, dual=P)                                  # warm start from the solution: done at once
    assert tv.last_iterations < cold and tv.last_iterations <= 10


def test_bad_inputs_name_the_argument():
    with pytest.raises(BregnetInputError, match="needs image_shape"):
        get_regulariser("tv")
    with pytest.raises(BregnetInputError, match="image_shape .* pixels"):
        get_regulariser("tv", image_shape=(3, 3), n=10)
    with pytest.raises(BregnetInputError, match="regulariser must be one of"):
        get_regulariser("l2")
    with pytest.raises(BregnetInputError, match="image_shape must be"):
        get_regulariser("tv", image_shape="a,b")
    with pytest.raises(BregnetInputError, match="gamma"):
        L1().prox(np.ones((1, 2)), -1.0)
    with pytest.raises(BregnetInputError, match="tol"):
        TotalVariation((2, 2), tol=0)
    with pytest.raises(BregnetInputError, match="V must have shape"):
        TotalVariation((2, 2)).prox(np.ones((1, 5)), 0.1)
    with pytest.raises(BregnetInputError, match="dual must have shape"):
        TotalVariation((2, 2)).prox(np.ones((1, 4)), 0.1, dual=np.zeros((1, 2, 3, 3)))
    with pytest.raises(BregnetInputError, match="not differentiable"):
        L1().gradient(np.ones((1, 2)))
