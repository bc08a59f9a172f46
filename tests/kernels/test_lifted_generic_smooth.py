"""Algorithm 1 compiled for the generic smooth activations (issue 13, target 4) against the NumPy twins.

The codes of :mod:`bregnet.kernels.smooth_prox` beyond tanh, sigmoid, softplus and ELU: a compiled sigma and
sigma' (the classes' ``_sigma`` formulas) and the generic safeguarded Newton of ``prox_scalar`` (CELU and
log-sigmoid by the dilation of ELU and the reflection of softplus, as their classes).  For each:

* sigma and prox_(s psi), s in {1e-12, 1e-6, 0.5, 1 - 1e-9}, within a few ulps of ``activation.prox`` (float64,
  |z| from 1e-8 to 1e8; log-sigmoid as softplus: where x is exponentially small, to eps |z|/s relative);
* float32 and non-finite inputs;
* three consecutive batches of ``lbn_batch_kernel`` and one epoch of the epoch kernel (what ``lbn_s`` calls)
  equal to ``lbn_batch_numpy`` (power iterations to convergence: float64 to 1e-10, float32 to 1e-4), and
  ``lbn_s(use_kernel=True)`` equal to ``use_kernel=False`` to the level of the power iterations' tolerance;
* ``kernel_supported`` for a network with that hidden activation; and each comparison can fail.
"""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.kernels import smooth_prox as sp
from bregnet.kernels.lifted import KERNEL_CODES, activation_params, kernel_names, kernel_supports, prox_l1_codes
from bregnet.lifted import LiftedProblem
from bregnet.network import Network, glorot_init
from bregnet.solvers.implicit_stochastic import (_kernel_epoch, kernel_supported, lbn_batch_kernel, lbn_batch_numpy,
                                                 lbn_s, warm_start_vectors)

#: (name, parameters, max ulps of prox_(s psi) against the twin in float64)
GENERIC = [("softsign", {}, 16), ("arctan", {}, 16), ("arctan", {"scale": 0.3}, 16), ("asinh", {}, 16),
           ("isru", {"alpha": 1.0}, 16), ("isru", {"alpha": 0.25}, 16), ("isru", {"alpha": 3.0}, 16),
           ("celu", {"alpha": 2.0}, 16), ("celu", {"alpha": 0.5}, 16),
           ("log_sigmoid", {"beta": 1.0}, None), ("log_sigmoid", {"beta": 2.0}, None),
           ("isrlu", {"a": 1.0}, 16), ("isrlu", {"a": 0.3}, 16), ("bent_identity", {}, 16),
           ("unimodal_sigmoid", {}, 16), ("log_activation", {}, 16),
           ("tanhshrink", {}, 32)]   # tanhshrink: sigma ~ u^3/3 at 0 triples the root's 4 eps stopping tolerance
IDS = [f"{n}-{'-'.join(f'{k}{v}' for k, v in p.items())}" for n, p, _ in GENERIC]
STEPS = [1e-12, 1e-6, 0.5, 1 - 1e-9]


def _z(rng, n=400):
    mags = 10.0 ** rng.uniform(-8, 8, size=n)
    z = np.concatenate([mags * np.sign(rng.normal(size=n)), rng.normal(size=n) * 3, [0.0, 1.0, -1.0, 20.0, -40.0]])
    return z.reshape(1, -1)


def _ulps(got, want):
    return np.max(np.abs(got - want) / np.spacing(np.maximum(np.abs(want), 1e-300)))


@pytest.mark.parametrize("name,params,ulps", GENERIC, ids=IDS)
def test_compiled_sigma_equals_twin(name, params, ulps):
    act = get(name, **params)
    code, beta, gamma = activation_params(act)
    assert code in sp.SMOOTH_CODES and name in kernel_names(hidden=True) and KERNEL_CODES[name] == code
    z = _z(np.random.default_rng(11))
    got = np.array([[sp.sigma_scalar(code, beta, float(v)) for v in z[0]]])
    want = act.prox(z)
    assert _ulps(got, want) <= 4
    np.testing.assert_array_equal(prox_l1_codes(code, beta, z, 1.0, 0.0, gamma), got)     # the kernels' t = 1 path
    sp_ = np.array([sp.sigma_prime_scalar(code, beta, float(v)) for v in z[0]])
    np.testing.assert_allclose(sp_, act.derivative(z)[0], rtol=1e-14, atol=1e-300)
    assert np.all((sp_ >= 0) & (sp_ <= 1))
    with pytest.raises(AssertionError):                                   # can fail: the identity is not sigma
        np.testing.assert_allclose(z, want, rtol=1e-12)


@pytest.mark.parametrize("name,params,ulps", GENERIC, ids=IDS)
@pytest.mark.parametrize("t", STEPS)
def test_compiled_prox_equals_twin(name, params, ulps, t):
    act = get(name, **params)
    code, beta, gamma = activation_params(act)
    z = _z(np.random.default_rng(12))
    got = prox_l1_codes(code, beta, z, t, 0.0, gamma)
    want = act.prox(z, step=t)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    if ulps is not None:
        assert _ulps(got, want) <= ulps
    else:               # log-sigmoid, as softplus: a few ulps except where |x| ~ exp(-z/s) is small (rtol 1e-12 there)
        far = np.abs(want) >= 0.1
        assert _ulps(got[far], want[far]) <= 16
    with pytest.raises(AssertionError):                                   # can fail: another step is detected
        np.testing.assert_allclose(got, act.prox(z, step=0.9 if t == 0.5 else 0.5), rtol=1e-12)


@pytest.mark.parametrize("name,params,ulps", GENERIC, ids=IDS)
def test_compiled_prox_float32_and_nonfinite(name, params, ulps):
    act = get(name, **params)
    code, beta, gamma = activation_params(act)
    z = (np.random.default_rng(13).normal(size=(6, 50)) * 4).astype(np.float32)
    for t in (0.3, 1.0):
        got = prox_l1_codes(code, beta, z, t, 0.0, gamma)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, act.prox(z, step=t), rtol=2e-6, atol=4e-7)   # the twins round in float32
    z = np.array([[np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300]])
    for t in (0.3, 1.0):
        got = prox_l1_codes(code, beta, z, t, 0.0, gamma)
        want = act.prox(z, step=t)
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-300)
        assert np.isnan(prox_l1_codes(code, beta, np.array([[np.nan]]), t, 0.0, gamma)[0, 0])
    with pytest.raises(ValueError, match="0 < t <= 1"):                  # t > 1 is refused, not answered wrongly
        sp.prox_scalar(code, beta, 0.5, 2.0)


@pytest.mark.parametrize("name,params,into,prox_into",
                         [("celu", {"alpha": 2.0}, lambda Z, o: sp.celu_into(Z, o, 2.0),
                           lambda V, t: sp.celu_prox_into(V, t, 2.0)),
                          ("log_sigmoid", {"beta": 2.0}, lambda Z, o: sp.log_sigmoid_into(Z, o, 2.0),
                           lambda V, t: sp.log_sigmoid_prox_into(V, t, 2.0))])
def test_vectorised_celu_log_sigmoid_equal_twin(name, params, into, prox_into):
    act = get(name, **params)
    z = _z(np.random.default_rng(14)).reshape(-1, 5)
    out = np.empty_like(z)
    into(z, out)
    np.testing.assert_allclose(out, act.prox(z), rtol=1e-15, atol=1e-300)
    for t in STEPS:
        V = z.copy()
        prox_into(V, t)
        np.testing.assert_allclose(V, act.prox(z, step=t), rtol=1e-12, atol=1e-300)
    z32 = z.astype(np.float32)
    V = z32.copy()
    prox_into(V, 0.3)
    assert V.dtype == np.float32
    np.testing.assert_allclose(V, act.prox(z32, step=0.3), rtol=2e-6, atol=4e-7)


@pytest.mark.parametrize("name,prox_into", [("softsign", sp.softsign_prox_into),
                                             ("bent_identity", sp.bent_identity_prox_into)])
def test_closed_form_prox_equal_twin(name, prox_into):
    """softsign and the bent identity: the classes' closed forms, compiled: bit for bit in float64."""
    act = get(name)
    z = np.concatenate([_z(np.random.default_rng(15))[0], [np.inf, -np.inf, 1e300, -1e300, 0.0]]).reshape(-1, 5)
    for t in STEPS:
        V = z.copy()
        prox_into(V, t)
        np.testing.assert_array_equal(V, act.prox(z, step=t))
        with pytest.raises(AssertionError):                           # can fail: another step is detected
            np.testing.assert_array_equal(V, act.prox(z, step=t * (1 - 1e-6)))
    z32 = np.clip(z, -1e30, 1e30).astype(np.float32)
    V = z32.copy()
    prox_into(V, 0.3)
    assert V.dtype == np.float32
    np.testing.assert_allclose(V, act.prox(z32, step=0.3), rtol=2e-7, atol=1e-38)


# ----------------------------------------------------------------------------- Algorithm 1
HIDDEN = [(n, p) for n, p, _ in GENERIC]


def _net(name, params, dtype, sizes=(7, 6, 5, 3)):
    net = glorot_init(list(sizes), [name, "tanh", "identity"], seed=1, dtype=dtype, bias=0.05)
    acts = (get(name, **params),) + net.activations[1:]
    second = get(name, **params) if name != "log_sigmoid" else get("softsign")
    return Network(net.weights, net.biases, (acts[0], second, acts[2]))


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-10, 1e-12), (np.float32, 1e-4, 2e-6)])
@pytest.mark.parametrize("name,params", HIDDEN, ids=IDS)
def test_batches_and_epoch_kernel_equal_twin(dtype, rtol, atol, name, params):
    """Three batches of lbn_batch_kernel, and the same batches as one epoch-kernel call, equal lbn_batch_numpy."""
    rng = np.random.default_rng(0)
    net = _net(name, params, dtype)
    prob = LiftedProblem.from_network(net, lambdas=[1.0, 0.5, 2.0])
    assert kernel_supported(prob) and kernel_supports(prob)
    kw = dict(n_inner=6, prox_weight=0.5, tol=1e-15, max_iter=3000)
    X = rng.normal(size=(27, 7)).astype(dtype) * 2
    Y = rng.normal(size=(27, 3)).astype(dtype)
    wa, wb, wc = warm_start_vectors(net), warm_start_vectors(net), warm_start_vectors(net)
    a = b = net
    for i in range(3):
        Xb, Yb = X[9 * i:9 * i + 9], Y[9 * i:9 * i + 9]
        a, ha = lbn_batch_numpy(prob, a, Xb, Yb, warm=wa, **kw)
        b, hb = lbn_batch_kernel(prob, b, Xb, Yb, warm=wb, **kw)
        for p, q in zip(a.weights + a.biases + tuple(ha), b.weights + b.biases + tuple(hb)):
            assert q.dtype == dtype
            np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)
    c, bad = _kernel_epoch(prob, net, X, Y, np.arange(27), 9, n_inner=6, prox_weight=0.5, step_scale=1.99,
                           warm=wc, tol=1e-15, max_iter=3000)
    assert bad == -1
    for p, q in zip(a.weights + a.biases, c.weights + c.biases):
        assert q.dtype == dtype
        np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)
    # can fail: a perturbed weight, or one more sweep, is detected
    W = [w.copy() for w in net.weights]
    W[1][0, 0] += 1e-6 if dtype == np.float64 else 1e-2
    d, _ = lbn_batch_kernel(prob, Network(tuple(W), net.biases, net.activations), X[:9], Y[:9], **kw)
    e, _ = lbn_batch_numpy(prob, net, X[:9], Y[:9], **kw)
    assert not all(np.allclose(q, p, rtol=rtol, atol=atol) for p, q in zip(e.weights, d.weights))
    f, _ = lbn_batch_kernel(prob, net, X[:9], Y[:9], **{**kw, "n_inner": 7})
    assert not np.allclose(f.weights[0], e.weights[0], rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-4), (np.float32, 2e-3)])
@pytest.mark.parametrize("name,params", [("softsign", {}), ("asinh", {}), ("celu", {"alpha": 2.0}),
                                         ("log_activation", {})])
def test_lbn_s_use_kernel_equals_twin(dtype, rtol, name, params):
    """lbn_s through the epoch kernel and through the twin: equal to the power iterations' tolerance (1e-7)."""
    rng = np.random.default_rng(6)
    net = _net(name, params, dtype, sizes=(6, 5, 4, 3))
    assert kernel_supported(LiftedProblem.from_network(net))
    X, Y = rng.normal(size=(23, 6)), rng.normal(size=(23, 3))
    kw = dict(epochs=2, batch_size=5, n_inner=4, prox_weight=2.0, seed=3)
    a = lbn_s(net, X, Y, use_kernel=False, **kw)
    b = lbn_s(net, X, Y, use_kernel=True, **kw)
    for p, q in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert q.dtype == dtype
        np.testing.assert_allclose(q, p, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.history.energy, a.history.energy, rtol=rtol)
    c = lbn_s(net, X, Y, use_kernel=True, step_scale=1.5, **kw)           # can fail: another step scale
    assert not np.allclose(c.network.weights[0], a.network.weights[0], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name,params", HIDDEN, ids=IDS)
def test_kernel_supported_for_hidden_layer(name, params):
    net = glorot_init([3, 4, 2], [name, "identity"], seed=0)
    net = Network(net.weights, net.biases, (get(name, **params), net.activations[1]))
    assert kernel_supported(LiftedProblem.from_network(net))
    sub = type(name, (type(get(name, **params)),), {})                   # a subclass is not the exact class
    assert activation_params(sub(**params)) is None
