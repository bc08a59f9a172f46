"""Algorithm 1 compiled for the row-wise activations (issue 13, target 4) against the NumPy twins.

Softmax (now also as a hidden layer), sparsemax, 1.5-entmax, alpha-entmax, squash and block soft-thresholding:
the row kernels of :mod:`bregnet.kernels.rowwise_prox` (sigma and prox_(t Psi), the x-update's step) and the
kernels of :mod:`bregnet.kernels.lifted` that call them.  For each:

* sigma and prox_(t Psi), t from 1e-8 to 1 - 1e-9 (and t > 1 where compiled), equal to ``activation.prox`` on
  random rows with ties, large and small entries (float64 to 1e-11 relative, float32 to its rounding);
* three consecutive batches of ``lbn_batch_kernel`` and one epoch of the epoch kernel equal to
  ``lbn_batch_numpy`` (power iterations to convergence: float64 to 1e-10, float32 to 1e-4), with the activation
  on both hidden layers, and as the output layer;
* ``lbn_s(use_kernel=True)`` equal to ``use_kernel=False`` to the power iterations' tolerance;
* ``kernel_supports`` for hidden layers, not for subclasses or an l1 regulariser on a row-wise layer;
* each comparison can fail (a wrong parameter, step or weight is detected).
"""
import numpy as np
import pytest
from scipy.special import wrightomega

from bregnet.activations import get
from bregnet.kernels import rowwise_prox as rw
from bregnet.exceptions import BregnetInputError
from bregnet.kernels.lifted import (KERNEL_CODES, L1_CODES, ROW_WISE_CODES, activation_params, kernel_names,
                                    kernel_supports, prox_l1_codes)
from bregnet.lifted import LiftedProblem
from bregnet.network import Network, glorot_init
from bregnet.solvers.implicit_stochastic import (_kernel_epoch, kernel_supported, lbn_batch_kernel, lbn_batch_numpy,
                                                 lbn_s, warm_start_vectors)

#: (name, parameters, the same activation with another parameter: the comparison must see the difference)
ROWWISE = [("softmax", {}, {"temperature": 1.1}), ("softmax", {"temperature": 2.0}, {"temperature": 1.9}),
           ("sparsemax", {}, {"temperature": 1.1}), ("sparsemax", {"temperature": 1.5}, {"temperature": 1.6}),
           ("entmax15", {}, {"temperature": 1.1}), ("entmax15", {"temperature": 1.5}, {"temperature": 1.6}),
           ("entmax", {"alpha": 1.3}, {"alpha": 1.35}),
           ("entmax", {"alpha": 2.0, "temperature": 1.4}, {"alpha": 1.9, "temperature": 1.4}),
           ("squash", {}, None), ("block_soft_threshold", {"alpha": 0.5}, {"alpha": 0.6})]
IDS = [f"{n}-{'-'.join(f'{k}{v}' for k, v in p.items())}" for n, p, _ in ROWWISE]
STEPS = [1e-8, 1e-3, 0.5, 1 - 1e-9, 1.0]


def _rows(rng, n=9):
    """Random rows: normal, ties (a repeated maximum, equal entries), large and small scales, a zero row."""
    Z = rng.normal(size=(24, n)) * 3
    Z[0, :3] = Z[0].max() + 1.0
    Z[1] = 0.0
    Z[2, ::2] = -1.0
    Z[3] *= 1e-7
    Z[4] *= 1e3
    Z[5, 1:] = -30.0
    return Z


def _prox(act, Z, t):
    code, beta, gamma = activation_params(act)
    return prox_l1_codes(code, beta, Z, t, 0.0, gamma)


def _rel(got, want):
    return np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300) * (np.abs(want) > 1e-280))


def test_codes_cover_the_row_wise_classes():
    assert ROW_WISE_CODES == frozenset(rw.ROW_CODES)
    for name, params, _ in ROWWISE:
        code = activation_params(get(name, **params))[0]
        assert code in ROW_WISE_CODES and KERNEL_CODES[name] == code and name in kernel_names(hidden=True)
    assert activation_params(get("entmax", alpha=1.7, temperature=2.5)) == (rw.ENTMAX, 1.7, 2.5)


def test_wright_omega_equals_scipy():
    x = np.concatenate([np.linspace(-60, 60, 1201), 10.0 ** np.linspace(-12, 15, 100), [-700.0, -745.0, -800.0]])
    got = np.array([rw.wright_omega(v) for v in x])
    want = wrightomega(x).real
    assert _rel(got, want) <= 4e-15                                       # scipy's own error reaches 3.4e-15
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.lambertw(mpmath.exp(mpmath.mpf(v))).real) for v in x[::20]])
    assert _rel(got[::20], exact) <= 1e-15
    assert np.all(got[want == 0] == 0)
    normal = got > 1e-300                                                 # w + log w = x (not for subnormal w)
    np.testing.assert_allclose(got[normal] + np.log(got[normal]), x[normal], rtol=1e-15, atol=4e-15)
    with pytest.raises(AssertionError):                                   # can fail: exp is not omega
        np.testing.assert_allclose(np.exp(x[590:610]), want[590:610], rtol=1e-6)


@pytest.mark.parametrize("name,params,other", ROWWISE, ids=IDS)
@pytest.mark.parametrize("t", STEPS)
def test_row_kernels_equal_class(name, params, other, t):
    act = get(name, **params)
    Z = _rows(np.random.default_rng(21))
    got = _prox(act, Z, t)
    want = act.prox(Z, step=t)
    assert _rel(got, want) <= 1e-11
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)
    if t == 1.0:                                                            # sigma: the kernels' t = 1 path
        code, beta, gamma = activation_params(act)
        out = np.empty_like(Z)
        rw.sigma_rows_into(code, beta, gamma, Z, out)
        np.testing.assert_array_equal(out, got)
    if other is not None:                                                   # can fail: a wrong parameter
        assert not np.allclose(_prox(get(name, **other), Z, t), want, rtol=1e-9, atol=1e-12)
    if name != "sparsemax" and t < 1.0:                                     # sparsemax T=1: prox = sigma, any t
        assert not np.allclose(_prox(act, Z, 0.9 if t < 0.8 else 0.6), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,params,other", [r for r in ROWWISE if r[0] != "softmax"],
                         ids=[i for i, r in zip(IDS, ROWWISE) if r[0] != "softmax"])
def test_row_kernels_large_steps_and_float32(name, params, other):
    act = get(name, **params)
    Z = _rows(np.random.default_rng(22))
    for t in (3.0, 50.0):                                                  # t > 1: the classes' own algorithms
        np.testing.assert_allclose(_prox(act, Z, t), act.prox(Z, step=t), rtol=1e-11, atol=1e-300)
    Z32 = Z[:, :7].astype(np.float32)
    for t in (0.3, 1.0):
        got = _prox(act, Z32, t)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, act.prox(Z32, step=t), rtol=2e-6, atol=1e-7)


def test_softmax_row_kernels_float32_and_step_limit():
    act = get("softmax", temperature=1.5)
    Z32 = _rows(np.random.default_rng(23))[:, :7].astype(np.float32)
    for t in (0.3, 1.0):
        got = _prox(act, Z32, t)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, act.prox(Z32, step=t), rtol=2e-6, atol=1e-7)
    with pytest.raises(ValueError, match="0 < t <= 1"):                  # t > 1 is refused, not answered wrongly
        _prox(act, Z32.astype(np.float64), 2.0)


# ----------------------------------------------------------------------------- Algorithm 1
def _targets(name, rng, shape, dtype):
    """Targets in dom Psi of the output activation: the simplex, the open unit ball (squash), anything else."""
    Y = rng.normal(size=shape)
    if name in ("softmax", "sparsemax", "entmax15", "entmax"):
        Y = np.abs(Y) + 0.1
        Y /= Y.sum(axis=1, keepdims=True)
    elif name == "squash":
        Y = 0.9 * Y / (1.0 + np.linalg.norm(Y, axis=1, keepdims=True))
    return Y.astype(dtype)


def _net(name, params, dtype, where, sizes=(7, 6, 5, 3)):
    """The activation on both hidden layers (identity output), or as the output layer (tanh hidden layers)."""
    net = glorot_init(list(sizes), ["tanh", "tanh", "identity"], seed=1, dtype=dtype, bias=0.05)
    act = get(name, **params)
    acts = (act, act, net.activations[2]) if where == "hidden" else (net.activations[0], net.activations[1], act)
    return Network(net.weights, net.biases, acts)


#: the Algorithm 1 comparisons: every activation hidden; the simplex and radial ones also as the output
ALG = [(n, p, w) for n, p, _ in ROWWISE[::2] + [ROWWISE[7], ROWWISE[9]] for w in ("hidden", "output")]


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-10, 1e-12), (np.float32, 1e-4, 2e-6)])
@pytest.mark.parametrize("name,params,where", ALG, ids=[f"{n}-{w}-{'-'.join(map(str, p.values()))}" for n, p, w in ALG])
def test_batches_and_epoch_kernel_equal_twin(dtype, rtol, atol, name, params, where):
    """Three batches of lbn_batch_kernel, and the same batches as one epoch-kernel call, equal lbn_batch_numpy."""
    rng = np.random.default_rng(0)
    net = _net(name, params, dtype, where)
    prob = LiftedProblem.from_network(net, lambdas=[1.0, 0.5, 2.0])
    assert kernel_supported(prob) and kernel_supports(prob)
    kw = dict(n_inner=6, prox_weight=0.5, tol=1e-15, max_iter=3000)
    X = rng.normal(size=(27, 7)).astype(dtype) * 2
    Y = _targets(name if where == "output" else "identity", rng, (27, 3), dtype)
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
        np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)
    # can fail: a perturbed weight is detected
    W = [w.copy() for w in net.weights]
    W[1][0, 0] += 1e-6 if dtype == np.float64 else 1e-2
    d, _ = lbn_batch_kernel(prob, Network(tuple(W), net.biases, net.activations), X[:9], Y[:9], **kw)
    e, _ = lbn_batch_numpy(prob, net, X[:9], Y[:9], **kw)
    assert not all(np.allclose(q, p, rtol=rtol, atol=atol) for p, q in zip(e.weights, d.weights))


@pytest.mark.parametrize("name,params,other", [ROWWISE[1], ROWWISE[3], ROWWISE[6], ROWWISE[9]],
                         ids=[IDS[1], IDS[3], IDS[6], IDS[9]])
def test_wrong_parameter_is_detected_in_algorithm_1(name, params, other):
    """The kernel run with another instance's parameters (beta, gamma) differs from the twin: the comparison can fail."""
    rng = np.random.default_rng(4)
    net = _net(name, params, np.float64, "hidden")
    wrong = _net(name, other, np.float64, "hidden")
    prob, prob_wrong = LiftedProblem.from_network(net), LiftedProblem.from_network(wrong)
    X, Y = rng.normal(size=(9, 7)) * 2, rng.normal(size=(9, 3))
    kw = dict(n_inner=4, prox_weight=0.5, tol=1e-15, max_iter=3000)
    e, _ = lbn_batch_numpy(prob, net, X, Y, **kw)
    d, _ = lbn_batch_kernel(prob, net, X, Y, **kw)
    f, _ = lbn_batch_kernel(prob_wrong, net, X, Y, **kw)
    np.testing.assert_allclose(d.weights[0], e.weights[0], rtol=1e-10, atol=1e-12)
    assert not np.allclose(f.weights[0], e.weights[0], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-4), (np.float32, 2e-3)])
@pytest.mark.parametrize("name,params,where", [("softmax", {}, "hidden"), ("sparsemax", {}, "output"),
                                               ("entmax15", {"temperature": 1.5}, "hidden"),
                                               ("squash", {}, "hidden")])
def test_lbn_s_use_kernel_equals_twin(dtype, rtol, name, params, where):
    """lbn_s through the epoch kernel and through the twin: equal to the power iterations' tolerance (1e-7)."""
    rng = np.random.default_rng(6)
    net = _net(name, params, dtype, where, sizes=(6, 5, 4, 3))
    assert kernel_supported(LiftedProblem.from_network(net))
    X, Y = rng.normal(size=(23, 6)), _targets(name if where == "output" else "identity", rng, (23, 3), np.float64)
    kw = dict(epochs=2, batch_size=5, n_inner=4, prox_weight=2.0, seed=3)
    a = lbn_s(net, X, Y, use_kernel=False, **kw)
    b = lbn_s(net, X, Y, use_kernel=True, **kw)
    for p, q in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert q.dtype == dtype
        np.testing.assert_allclose(q, p, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.history.energy, a.history.energy, rtol=rtol)
    c = lbn_s(net, X, Y, use_kernel=True, step_scale=1.5, **kw)           # can fail: another step scale
    assert not np.allclose(c.network.weights[0], a.network.weights[0], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name,params,other", ROWWISE, ids=IDS)
def test_kernel_supported_for_hidden_layer(name, params, other):
    act = get(name, **params)
    net = glorot_init([3, 4, 2], ["tanh", "identity"], seed=0)
    net = Network(net.weights, net.biases, (act, net.activations[1]))
    assert kernel_supported(LiftedProblem.from_network(net))
    assert not ROW_WISE_CODES & L1_CODES                                  # l1 stays with L1_CODES: refused
    with pytest.raises(BregnetInputError, match="l1 regulariser"):        # already by the problem
        LiftedProblem.from_network(net, l1=(1, 0.1))
    sub = type(name, (type(act),), {})                                     # a subclass is not the exact class
    assert activation_params(sub(**params)) is None
    net_sub = Network(net.weights, net.biases, (sub(**params), net.activations[1]))
    assert not kernel_supports(LiftedProblem.from_network(net_sub))
