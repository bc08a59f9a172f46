"""Algorithm 1 (LBN-S), LBN-D, and the Numba kernels of bregnet.kernels.lifted against their NumPy twins."""
import numpy as np
import pytest

from bregnet.activations import get
from bregnet.exceptions import BregnetInputError, DivergenceError
from bregnet.kernels.lifted import activation_code, power_sq, power_sym, prox_l1_codes
from bregnet.lifted import LiftedProblem, forward_hidden, lifted_energy, prox_psi_l1
from bregnet.network import glorot_init
from bregnet.solvers.implicit_stochastic import (lbn_batch_kernel, lbn_batch_numpy, lbn_d, lbn_s,
                                                 warm_start_vectors)
from bregnet.solvers.lipschitz import spectral_norm_sq


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-7), (np.float32, 2e-4)])
@pytest.mark.parametrize("acts,l1", [(("relu", "relu", "identity"), None),
                                      (("relu", "soft_threshold", "relu"), (2, 0.1)),
                                      (("identity", "relu", "identity"), (1, 0.2))])
def test_lbn_kernel_equals_numpy_twin(dtype, rtol, acts, l1):
    rng = np.random.default_rng(0)
    net = glorot_init([7, 6, 5, 3], list(acts), seed=1, dtype=dtype, bias=0.05)
    X = rng.normal(size=(9, 7)).astype(dtype)
    Y = np.abs(rng.normal(size=(9, 3))).astype(dtype)
    prob = LiftedProblem.from_network(net, lambdas=[1.0, 0.5, 2.0], l1=l1)
    a, ha = lbn_batch_numpy(prob, net, X, Y, n_inner=6, prox_weight=0.5)
    b, hb = lbn_batch_kernel(prob, net, X, Y, n_inner=6, prox_weight=0.5)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        assert q.dtype == dtype
        np.testing.assert_allclose(q, p, rtol=rtol, atol=rtol)
    for p, q in zip(ha, hb):
        np.testing.assert_allclose(q, p, rtol=rtol, atol=rtol)
    # the comparison can fail: one more inner sweep is detected
    c, _ = lbn_batch_kernel(prob, net, X, Y, n_inner=7, prox_weight=0.5)
    assert not np.allclose(c.weights[0], a.weights[0], rtol=rtol, atol=rtol)


def test_lbn_kernel_equals_twin_over_batches_with_warm_starts():
    """Consecutive batches carrying the power-iteration start vectors: kernel and twin stay equal."""
    rng = np.random.default_rng(4)
    net = glorot_init([7, 6, 5, 3], ["relu", "relu", "identity"], seed=3, bias=0.05)
    prob = LiftedProblem.from_network(net)
    wa, wb = warm_start_vectors(net), warm_start_vectors(net)
    a = b = net
    for _ in range(4):
        X, Y = rng.normal(size=(9, 7)), rng.normal(size=(9, 3))
        a, ha = lbn_batch_numpy(prob, a, X, Y, n_inner=4, prox_weight=0.5, warm=wa)
        b, hb = lbn_batch_kernel(prob, b, X, Y, n_inner=4, prox_weight=0.5, warm=wb)
        for p, q in zip(a.weights + a.biases + tuple(ha), b.weights + b.biases + tuple(hb)):
            np.testing.assert_allclose(q, p, rtol=1e-7, atol=1e-7)
    for p, q in zip(wa["vw"][1:] + wa["vx"][1:], wb["vw"][1:] + wb["vx"][1:]):     # W_1, X_0: no power iteration
        assert np.any(q)                                # the start vectors were carried
        np.testing.assert_allclose(q, p, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-4), (np.float32, 2e-3)])
@pytest.mark.parametrize("acts,l1", [(("relu", "relu", "identity"), None),
                                      (("relu", "soft_threshold", "identity"), (1, 0.1))])
def test_lbn_s_epoch_kernel_equals_twin_path(dtype, rtol, acts, l1):
    """lbn_s through the one-call-per-epoch kernel equals lbn_s through the NumPy twin (last batch smaller).

    Over 10 batches the two paths differ by more than rounding only because the power iterations stop at
    a relative tolerance of 1e-7 (their rounding differs, so the step sizes differ at that level).
    """
    rng = np.random.default_rng(6)
    net = glorot_init([6, 5, 4, 3], list(acts), seed=2, dtype=dtype, bias=0.05)
    X, Y = rng.normal(size=(23, 6)), rng.normal(size=(23, 3))
    kw = dict(epochs=2, batch_size=5, n_inner=4, prox_weight=2.0, l1=l1, seed=3)
    a = lbn_s(net, X, Y, use_kernel=False, **kw)
    b = lbn_s(net, X, Y, use_kernel=True, **kw)
    for p, q in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
        assert q.dtype == dtype
        np.testing.assert_allclose(q, p, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.history.energy, a.history.energy, rtol=rtol)
    # the comparison can fail: a different step scale is detected
    c = lbn_s(net, X, Y, use_kernel=True, step_scale=1.5, **kw)
    assert not np.allclose(c.network.weights[0], a.network.weights[0], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,alpha", [("relu", 0.0), ("relu", 0.3), ("identity", 0.2), ("soft_threshold", 0.1)])
def test_prox_kernel_equals_twin(dtype, name, alpha):
    act = get(name)
    code, beta = activation_code(act)
    V = np.random.default_rng(2).normal(size=(6, 5)).astype(dtype)
    np.testing.assert_allclose(prox_l1_codes(code, beta, V, 0.7, alpha), prox_psi_l1(act, V, 0.7, alpha),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_power_kernels_equal_twin(dtype):
    A = np.random.default_rng(3).normal(size=(12, 7)).astype(dtype)
    ref = spectral_norm_sq(A, method="exact")
    assert power_sq(A, np.zeros(7), 1e-12, 500) == pytest.approx(ref, rel=1e-6)
    assert spectral_norm_sq(A) == pytest.approx(ref, rel=1e-6)
    K = A.astype(np.float64) @ A.astype(np.float64).T
    assert power_sym(K, np.zeros(12), 1e-12, 500) == pytest.approx(ref, rel=1e-6)


def test_batch_step_decreases_batch_objective():
    rng = np.random.default_rng(5)
    net = glorot_init([6, 8, 4], ["relu", "identity"], seed=2)
    X, Y = rng.normal(size=(12, 6)), rng.normal(size=(12, 4))
    prob = LiftedProblem.from_network(net)
    e0 = lifted_energy(prob, net, [X, *forward_hidden(net, X), Y])
    prev = e0
    for n in (1, 3, 10):
        net2, hidden = lbn_batch_numpy(prob, net, X, Y, n_inner=n)
        e = lifted_energy(prob, net2, [X, *hidden, Y])
        assert e < prev
        prev = e


def _digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    X = d.data / 16.0
    X = X - X.mean(axis=0)
    perm = np.random.default_rng(0).permutation(len(d.target))
    X, y = X[perm], d.target[perm]
    return X[:1400], y[:1400], X[1400:], y[1400:]


def test_lbn_s_digits_accuracy_and_nonlinearity():
    Xtr, ytr, Xte, yte = _digits()
    net = glorot_init([64, 32, 10], ["relu", "identity"], seed=0)
    res = lbn_s(net, Xtr, np.eye(10)[ytr], epochs=4, batch_size=50, n_inner=15, prox_weight=1.0, seed=0)
    acc = np.mean(np.argmax(res.network.forward(Xte), axis=1) == yte)
    assert acc >= 0.90
    # Table 2 measure: share of hidden pre-activations with z = max(z, 0)
    Z = Xtr @ res.network.weights[0] + res.network.biases[0]
    assert np.mean(Z >= 0) < 0.9
    assert res.history.forward_loss[-1] < res.history.forward_loss[0]


def test_lbn_d_decreases_forward_loss_and_numpy_path():
    rng = np.random.default_rng(1)
    net = glorot_init([4, 6, 2], ["squash", "identity"], seed=0)  # squash: no kernel, the NumPy twin is used
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 2))
    res = lbn_d(net, X, Y, epochs=5, n_inner=5)
    assert res.history.forward_loss[-1] < res.history.forward_loss[0]
    with pytest.raises(BregnetInputError, match="use_kernel"):
        lbn_d(net, X, Y, epochs=1, use_kernel=True)


def test_lbn_s_errors():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    X, Y = np.ones((5, 3)), np.ones((5, 2))
    with pytest.raises(BregnetInputError, match="batch_size"):
        lbn_s(net, X, Y, batch_size=0)
    with pytest.raises(BregnetInputError, match="prox_weight"):
        lbn_s(net, X, Y, prox_weight=-1.0)
    with pytest.raises(BregnetInputError, match="step_scale"):
        lbn_s(net, X, Y, step_scale=0)
    with pytest.raises(BregnetInputError, match="Y contains NaN"):
        lbn_s(net, X, np.full((5, 2), np.inf))
    rng = np.random.default_rng(0)
    for c in (2.0, 2.5, 3.0, 40.0):           # outside (0, 2): refused when the solver is built (was a
        with pytest.raises(BregnetInputError, match=r"step_scale must be a real number in \(0, 2\)"):
            lbn_s(net, 10 * rng.normal(size=(20, 3)), rng.normal(size=(20, 2)), epochs=50, batch_size=5,
                  step_scale=c, prox_weight=0.0, seed=0)      # ZeroDivisionError or an objective of 1e39)


@pytest.mark.parametrize("use_kernel", [True, False])
def test_lbn_s_checkpoint_resume_is_bit_identical(tmp_path, use_kernel):
    rng = np.random.default_rng(0)
    net = glorot_init([4, 6, 3], ["relu", "identity"], seed=0)
    X, Y = rng.normal(size=(25, 4)), rng.normal(size=(25, 3))
    kw = dict(batch_size=7, n_inner=3, prox_weight=1.0, seed=11, use_kernel=use_kernel)
    full = lbn_s(net, X, Y, epochs=5, **kw)
    ck = tmp_path / "lbn.npz"
    lbn_s(net, X, Y, epochs=3, checkpoint=ck, **kw)
    res = lbn_s(net, X, Y, epochs=5, checkpoint=ck, resume=True, **kw)
    for a, b in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(a, b)
    assert full.history.energy == res.history.energy
    assert not list(tmp_path.glob(".tmp-ckpt-*"))        # the atomic write left no temporary file
