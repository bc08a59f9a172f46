"""Algorithm 1's fused kernels for every activation with a kernel code (issue 13, item 4) against the NumPy twins.

* the scalar/elementwise prox_(t Psi), 0 < t <= 1 (the x-update's steps), against ``activation.prox(z, step=t)``
  at extreme steps and |z| up to 1e8;
* the vectorised tanh (``tanh_fast``) against np.tanh and mpmath, the vectorised tanh prox against the twin;
* whole batch steps and consecutive batches (``lbn_batch_kernel`` against ``lbn_batch_numpy``) in float64 to
  ~1e-12 (power iterations run to convergence, tol 1e-15: with the default 1e-7 the two paths differ at that
  level through the step sizes, for ReLU as well) and in float32;
* ``lbn_s`` through the epoch kernel against the twin path, and what the kernel refuses.
"""
import math

import numpy as np
import pytest

from bregnet.activations import get
from bregnet.lifted import LiftedProblem
from bregnet.kernels import smooth_prox as sp
from bregnet.kernels.lifted import activation_params, kernel_supports, prox_l1_codes
from bregnet.network import glorot_init
from bregnet.solvers.implicit_stochastic import (kernel_supported, lbn_batch_kernel, lbn_batch_numpy, lbn_s,
                                                 warm_start_vectors)

NEW = [("nonneg_soft_threshold", {"alpha": 0.3}), ("leaky_relu", {"slope": 0.2}), ("hard_tanh", {"lo": -0.5, "hi": 2.0}),
       ("hard_sigmoid", {"slope": 0.4}), ("tanh", {}), ("sigmoid", {}), ("softplus", {"beta": 2.0}),
       ("elu", {"alpha": 0.7})]
STEPS = [1e-18, 1e-12, 1e-6, 0.01, 0.5, 0.9, 1 - 1e-9, 1.0]


def _z(rng, n=400):
    mags = 10.0 ** rng.uniform(-8, 8, size=n)
    z = np.concatenate([mags * np.sign(rng.normal(size=n)), rng.normal(size=n) * 3, [0.0, 1.0, -1.0, 20.0, -40.0]])
    return z.reshape(1, -1)


def _assert_close(got, want, rtol, atol=1e-300):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,params", NEW)
@pytest.mark.parametrize("t", STEPS)
def test_prox_codes_equal_twin_at_extreme_steps(name, params, t):
    act = get(name, **params)
    code, beta, gamma = activation_params(act)
    z = _z(np.random.default_rng(1))
    _assert_close(prox_l1_codes(code, beta, z, t, 0.0, gamma), act.prox(z, step=t), rtol=1e-12)


@pytest.mark.parametrize("name,params", NEW)
def test_prox_codes_float32(name, params):
    act = get(name, **params)
    code, beta, gamma = activation_params(act)
    z = np.random.default_rng(2).normal(size=(6, 50)).astype(np.float32) * 4
    for t in (0.3, 1.0):
        got = prox_l1_codes(code, beta, z, t, 0.0, gamma)
        assert got.dtype == np.float32
        _assert_close(got, act.prox(z, step=t), rtol=2e-6, atol=4e-7)     # the twins round in float32


def test_nonneg_soft_threshold_with_l1_equals_twin():
    act = get("nonneg_soft_threshold", alpha=0.3)
    code, beta, gamma = activation_params(act)
    z = np.random.default_rng(3).normal(size=(5, 7))
    _assert_close(prox_l1_codes(code, beta, z, 0.4, 0.2, gamma), act.with_l1(0.2).prox(z, step=0.4), rtol=1e-15)


@pytest.mark.parametrize("t", STEPS[:-1])
def test_vectorised_tanh_prox_equals_twin(t):
    z = _z(np.random.default_rng(4)).reshape(-1, 5)
    got = z.copy()
    sp.tanh_prox_into(got, t)
    _assert_close(got, get("tanh").prox(z, step=t), rtol=1e-12)


def test_vectorised_tanh_prox_nonfinite_and_huge():
    z = np.array([[np.inf, -np.inf, 1e308, -1e308, 0.0, 5e-324]])
    got = z.copy()
    sp.tanh_prox_into(got, 0.3)
    # at |z| = 1e308 the twin returns the float below 1 (the root of its float F), the kernel tanh(u*) = 1.0
    np.testing.assert_allclose(got, get("tanh").prox(z, step=0.3), rtol=2e-16, atol=0)
    got = np.array([[np.nan, 1.0]])
    sp.tanh_prox_into(got, 0.3)
    assert np.isnan(got[0, 0]) and got[0, 1] == pytest.approx(get("tanh").prox(np.array([[1.0]]), step=0.3)[0, 0])


def test_tanh_fast_within_a_few_ulps():
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.normal(size=3000) * 4, 10.0 ** rng.uniform(-300, 1.4, 3000), [0.0, 19.0, 19.5, 21.0]])
    got = np.empty((1, z.size))
    sp.tanh_into(z.reshape(1, -1), got)
    _assert_close(got[0], np.tanh(z), rtol=1e-15, atol=0)
    for v in z[::50]:
        exact = float(mpmath.tanh(mpmath.mpf(float(v))))
        assert abs(sp.tanh_fast(float(v)) - exact) <= 4 * np.spacing(abs(exact))
    assert math.copysign(1.0, sp.tanh_fast(-0.0)) == -1.0


def test_comparisons_can_fail():
    act = get("tanh")
    code, beta, gamma = activation_params(act)
    z = _z(np.random.default_rng(6))
    with pytest.raises(AssertionError):                   # another step is detected
        _assert_close(prox_l1_codes(code, beta, z, 0.5, 0.0, gamma), act.prox(z, step=0.5 + 1e-9), rtol=1e-12)
    got = z.reshape(-1, 5).copy()
    sp.tanh_prox_into(got, 0.5)
    with pytest.raises(AssertionError):                   # a plain tanh is not the prox
        _assert_close(got, np.tanh(z.reshape(-1, 5)), rtol=1e-12)
    with pytest.raises(ValueError, match="0 < t <= 1"):  # t > 1 is refused, not answered wrongly
        sp.prox_scalar(code, beta, 0.5, 2.0)


SETTINGS = [("tanh", "tanh", "identity"), ("sigmoid", "softplus", "softmax"), ("elu", "leaky_relu", "sigmoid"),
            ("hard_tanh", "hard_sigmoid", "tanh"), ("nonneg_soft_threshold", "tanh", "identity")]


def _targets(rng, out, shape, dtype):
    Y = np.abs(rng.normal(size=shape))
    if out == "softmax":
        Y = Y / Y.sum(axis=1, keepdims=True)
    elif out in ("sigmoid", "tanh"):
        Y = Y / (1 + Y)
    return Y.astype(dtype)


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-11, 1e-13), (np.float32, 2e-4, 2e-6)])
@pytest.mark.parametrize("acts", SETTINGS)
def test_batches_kernel_equals_twin(dtype, rtol, atol, acts):
    """Three consecutive batches with warm starts; power iterations to convergence so that only rounding differs."""
    rng = np.random.default_rng(0)
    net = glorot_init([7, 6, 5, 3], list(acts), seed=1, dtype=dtype, bias=0.05)
    prob = LiftedProblem.from_network(net, lambdas=[1.0, 0.5, 2.0])
    assert kernel_supported(prob)
    kw = dict(n_inner=6, prox_weight=0.5, tol=1e-15, max_iter=3000)
    wa, wb = warm_start_vectors(net), warm_start_vectors(net)
    a = b = net
    for _ in range(3):
        X = rng.normal(size=(9, 7)).astype(dtype)
        Y = _targets(rng, acts[-1], (9, 3), dtype)
        a, ha = lbn_batch_numpy(prob, a, X, Y, warm=wa, **kw)
        b, hb = lbn_batch_kernel(prob, b, X, Y, warm=wb, **kw)
        for p, q in zip(a.weights + a.biases + tuple(ha), b.weights + b.biases + tuple(hb)):
            assert q.dtype == dtype
            np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)
    c, _ = lbn_batch_kernel(prob, b, X, Y, **{**kw, "n_inner": 7})     # can fail: one more sweep is detected
    assert not np.allclose(c.weights[0], a.weights[0], rtol=rtol, atol=atol)


def test_lbn_s_epoch_kernel_equals_twin_path_tanh_softmax():
    rng = np.random.default_rng(6)
    net = glorot_init([6, 5, 4, 3], ["tanh", "sigmoid", "softmax"], seed=2, bias=0.05)
    X = rng.normal(size=(23, 6))
    Y = _targets(rng, "softmax", (23, 3), np.float64)
    kw = dict(epochs=2, batch_size=5, n_inner=4, prox_weight=2.0, seed=3)
    a = lbn_s(net, X, Y, use_kernel=False, **kw)
    b = lbn_s(net, X, Y, use_kernel=True, **kw)
    for p, q in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.history.energy, a.history.energy, rtol=1e-4)


def test_kernel_refuses_softmax_hidden_and_other_activations():
    ok = LiftedProblem.from_network(glorot_init([3, 4, 2], ["tanh", "softmax"], seed=0))
    hidden_softmax = LiftedProblem.from_network(glorot_init([3, 4, 2], ["softmax", "identity"], seed=0))
    no_code = LiftedProblem.from_network(glorot_init([3, 4, 2], ["sparsemax", "identity"], seed=0))
    assert kernel_supports(ok)
    assert not kernel_supports(hidden_softmax)
    assert not kernel_supports(no_code)


# ----------------------------------------------------------------------------- the vectorised tanh prox, stage by stage
def _tanh_root_mp(a, t):
    """x* = tanh u*, t u* + (1 - t) tanh u* = a, to 40 digits (mpmath)."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        a, t = mpmath.mpf(float(a)), mpmath.mpf(float(t))
        u = mpmath.findroot(lambda u: t * u + (1 - t) * mpmath.tanh(u) - a, a)
        return float(mpmath.tanh(u))


def test_tanh_halley_step_is_the_definition():
    """The one-division form F P D/(P^2 + 4cNEF) of the section comment is Halley's f f'/(f'^2 - f f''/2)."""
    t, c = 0.37, 0.63
    for u, a in [(0.2, 0.3), (1.0, 0.9), (3.0, 1.5), (8.0, 4.0), (0.0, 0.1)]:
        th = math.tanh(u)
        f, fp, fpp = t * u + c * th - a, t + c * (1 - th * th), -2 * c * th * (1 - th * th)
        want = u - f * fp / (fp * fp - 0.5 * f * fpp)
        assert sp._tanh_halley(u, a, t, c) == pytest.approx(want, rel=1e-14, abs=1e-300)
        wrong = u - f * fp / (fp * fp + 0.5 * f * fpp)              # can fail: the sign of f'' matters
        assert f == 0 or fpp == 0 or wrong != pytest.approx(want, rel=1e-14)
        N, D, E = sp._tanh_parts(u)
        assert N / D == pytest.approx(th, rel=4e-16, abs=1e-300)
        assert 4 * E / D ** 2 == pytest.approx(1 - th * th, rel=1e-13)


@pytest.mark.parametrize("t", [1e-6, 0.01, 0.37, 0.9, 1 - 1e-9])
def test_vectorised_tanh_prox_within_four_ulps_of_mpmath(t):
    """As tanh_fast itself (test_tanh_fast_within_a_few_ulps): the prox's correction adds <= 2 step^2, below an ulp."""
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.normal(size=60) * 1.5, 10.0 ** rng.uniform(-8, 3, 40) * np.sign(rng.normal(size=40))])
    got = z.reshape(4, -1).copy()
    sp.tanh_prox_into(got, t)
    for v, x in zip(z, got.ravel()):
        exact = math.copysign(_tanh_root_mp(abs(v), t), v)
        assert abs(x - exact) <= 4 * np.spacing(abs(exact)), (v, x, exact)


def test_tanh_check_pass_certifies_only_converged_entries():
    """The check accepts u with Newton step <= 2^-27 u and corrects it; a u off by 1e-6 stays to do (can fail)."""
    t, c = 0.37, 0.63
    z = np.array([[0.3, 0.9, 1.2, 4.0]])
    exact_u = np.array([[float(pytest.importorskip("mpmath").atanh(_tanh_root_mp(v, t))) for v in z[0]]])
    for scale, done in ((1.0, True), (1.0 + 1e-9, True), (1.0 + 1e-6, False)):
        V, todo = z.copy(), np.ones(z.shape, dtype=np.bool_)
        left = sp._tanh_check_pass(V, exact_u * scale, todo, t, c)
        assert left == (0 if done else z.size) and bool(todo.any()) is (not done)
        if done:
            np.testing.assert_allclose(V, get("tanh").prox(z, step=t), rtol=4e-16)
        else:
            np.testing.assert_array_equal(V, z)                      # left untouched for the next round


def test_vectorised_tanh_prox_rounds_and_scalar_finish():
    """Far starts (t = 1e-12, |z| just below 1 - t: u* ~ 14) need more rounds or the scalar finish: still the twin."""
    t = 1e-12
    z = np.linspace(0.99, 1 - 1e-6, 64).reshape(2, 32) * (1 - t)
    got = z.copy()
    sp.tanh_prox_into(got, t)
    _assert_close(got, get("tanh").prox(z, step=t), rtol=1e-12)
    V, U, todo = z.copy(), np.empty(z.shape), np.ones(z.shape, dtype=np.bool_)
    sp._tanh_halley_pass(V, U, todo, t, 1 - t, True)
    sp._tanh_halley_pass(V, U, todo, t, 1 - t, False)
    assert sp._tanh_check_pass(V, U, todo, t, 1 - t) > 0          # the first round alone does not finish these


# ----------------------------------------------------------------------------- sigmoid and ELU, vectorised
VEC_PROX = [("tanh", {}, lambda V, t: sp.tanh_prox_into(V, t)),
            ("sigmoid", {}, lambda V, t: sp.sigmoid_prox_into(V, t)),
            ("elu", {"alpha": 0.7}, lambda V, t: sp.elu_prox_into(V, t, 0.7)),
            ("elu", {"alpha": 1.0}, lambda V, t: sp.elu_prox_into(V, t, 1.0)),
            ("softplus", {"beta": 2.0}, lambda V, t: sp.softplus_prox_into(V, t, 2.0)),
            ("softplus", {"beta": 0.5}, lambda V, t: sp.softplus_prox_into(V, t, 0.5))]


@pytest.mark.parametrize("name,params,prox_into", VEC_PROX)
@pytest.mark.parametrize("t", STEPS[:-1])
def test_vectorised_prox_equals_twin(name, params, prox_into, t):
    z = _z(np.random.default_rng(8)).reshape(-1, 5)
    got = z.copy()
    prox_into(got, t)
    _assert_close(got, get(name, **params).prox(z, step=t), rtol=1e-12)
    with pytest.raises(AssertionError):                               # can fail: another step is detected
        _assert_close(got, get(name, **params).prox(z, step=0.9 if t == 0.5 else 0.5), rtol=1e-12)


@pytest.mark.parametrize("name,params,prox_into", VEC_PROX)
def test_vectorised_prox_float32_and_nonfinite(name, params, prox_into):
    act = get(name, **params)
    z = (np.random.default_rng(9).normal(size=(6, 50)) * 4).astype(np.float32)
    got = z.copy()
    prox_into(got, 0.3)
    assert got.dtype == np.float32
    _assert_close(got, act.prox(z, step=0.3), rtol=2e-6, atol=4e-7)
    z = np.array([[np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300]])
    got = z.copy()
    prox_into(got, 0.3)
    np.testing.assert_allclose(got, act.prox(z, step=0.3), rtol=1e-15, atol=1e-300)   # sigmoid(-1e300): 0 or 5e-324
    got = np.array([[np.nan, 1.0]])
    prox_into(got, 0.3)
    assert np.isnan(got[0, 0])


def test_sigmoid_prox_tiny_outputs_keep_their_digits():
    """x = prox(w) exponentially small (w - (1 - t)/2 < 0): x = E/D with no cancellation, as the twin, to ~1e-13."""
    t = 1e-6
    z = -np.geomspace(1e-5, 5e-4, 40).reshape(2, 20)
    got = z.copy()
    sp.sigmoid_prox_into(got, t)
    want = get("sigmoid").prox(z, step=t)
    assert want.min() < 1e-200
    _assert_close(got, want, rtol=1e-12)


@pytest.mark.parametrize("name,params,into", [("sigmoid", {}, lambda Z, out: sp.sigmoid_into(Z, out)),
                                              ("elu", {"alpha": 0.7}, lambda Z, out: sp.elu_into(Z, out, 0.7)),
                                              ("softplus", {"beta": 2.0}, lambda Z, out: sp.softplus_into(Z, out, 2.0))])
def test_vectorised_sigma_equals_twin(name, params, into):
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(10)
    z = np.concatenate([rng.normal(size=300) * 5, 10.0 ** rng.uniform(-300, 2.8, 300) * np.sign(rng.normal(size=300)),
                        [0.0, -0.0, 700.0, -700.0, -720.0]]).reshape(1, -1)
    got = np.empty_like(z)
    into(z, got)
    want = get(name, **params).prox(z)
    _assert_close(got, want, rtol=1e-15, atol=1e-300)
    for v in z[0, ::40]:                                                 # and a few against mpmath
        mv = mpmath.mpf(float(v))
        exact = {"sigmoid": lambda: 1 / (1 + mpmath.exp(-mv)), "softplus": lambda: mpmath.log1p(mpmath.exp(2 * mv)) / 2,
                 "elu": lambda: mv if v > 0 else 0.7 * mpmath.expm1(mv)}[name]()
        one = np.empty((1, 1))
        into(np.array([[v]]), one)
        assert abs(one[0, 0] - float(exact)) <= 4 * np.spacing(abs(float(exact))) + 1e-300
    with pytest.raises(AssertionError):                               # can fail: the identity is not sigma
        _assert_close(z, want, rtol=1e-15, atol=1e-300)


def test_log1p_unit_within_two_ulps_of_mpmath():
    """softplus's log1p(E), 0 <= E <= 1 (both branches of the argument reduction), against mpmath; can fail."""
    mpmath = pytest.importorskip("mpmath")
    e = np.concatenate([np.geomspace(1e-300, 1, 300), np.linspace(0.40, 0.43, 31), [0.0, 1.0]])
    for v in e:
        exact = float(mpmath.log1p(mpmath.mpf(float(v))))
        assert abs(sp._log1p_unit(float(v)) - exact) <= 2 * np.spacing(exact) + 1e-320
    assert abs(sp._log1p_unit(0.5) - math.log(1.5 + 1e-12)) > 2 * np.spacing(math.log(1.5))
