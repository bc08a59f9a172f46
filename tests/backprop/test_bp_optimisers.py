"""GD-BP (3), SGD-BP (20), ISGD-BP (22) and the Adam reference: behaviour, closed forms, errors."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from bregnet.backprop import adam_bp, gd_bp, isgd_bp, objective, sgd_bp
from bregnet.exceptions import BregnetInputError, DivergenceError
from bregnet.metrics import accuracy
from bregnet.network import glorot_init


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    X = d.data / 16.0
    X = X - X.mean(axis=0)
    Y = np.eye(10)[d.target]
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    tr, te = idx[:1297], idx[1297:]
    return X[tr], Y[tr], X[te], Y[te]


def _net(seed=0, sizes=(64, 32, 10), dtype=np.float64):
    return glorot_init(list(sizes), ["relu"] * (len(sizes) - 2) + ["identity"], seed=seed, dtype=dtype)


def test_sgd_bp_classifies_digits(digits):
    Xtr, Ytr, Xte, Yte = digits
    net, hist = sgd_bp(_net(), Xtr, Ytr, epochs=15, batch_size=20, lr=0.05, seed=0, validation_data=(Xte, Yte))
    assert accuracy(Ytr, net.forward(Xtr)) > 0.95
    assert accuracy(Yte, net.forward(Xte)) > 0.9
    assert hist.objective[-1] < 0.3 * hist.objective[0]
    assert len(hist.objective) == len(hist.wall_time) == len(hist.validation_loss) == 16
    assert hist.epoch == list(range(16))
    assert all(b >= a for a, b in zip(hist.wall_time, hist.wall_time[1:]))


def test_sgd_bp_reproducible_and_input_untouched(digits):
    Xtr, Ytr, _, _ = digits
    net0 = _net()
    W0 = [w.copy() for w in net0.weights]
    a, _ = sgd_bp(net0, Xtr[:200], Ytr[:200], epochs=2, batch_size=32, lr=0.05, seed=3)
    b, _ = sgd_bp(net0, Xtr[:200], Ytr[:200], epochs=2, batch_size=32, lr=0.05, rng=np.random.default_rng(3))
    c, _ = sgd_bp(net0, Xtr[:200], Ytr[:200], epochs=2, batch_size=32, lr=0.05, seed=4)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.weights[0], c.weights[0])
    for w, w0 in zip(net0.weights, W0):
        np.testing.assert_array_equal(w, w0)


def test_sgd_one_batch_equals_gd(digits):
    Xtr, Ytr, _, _ = digits
    X, Y = Xtr[:100], Ytr[:100]
    a, ha = sgd_bp(_net(), X, Y, epochs=3, batch_size=100, lr=0.1, shuffle=False)
    b, hb = gd_bp(_net(), X, Y, epochs=3, lr=0.1)
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_allclose(wa, wb, rtol=1e-12, atol=1e-14)
    assert ha.objective == pytest.approx(hb.objective)


def test_gd_bp_decreases_loss_with_small_step(digits):
    Xtr, Ytr, _, _ = digits
    _, hist = gd_bp(_net(), Xtr[:300], Ytr[:300], epochs=30, lr=0.05)
    obj = hist.objective
    assert all(b <= a for a, b in zip(obj, obj[1:]))
    assert obj[-1] < obj[0]


def test_gd_bp_step_matches_formula(digits):
    from bregnet.backprop import backprop
    Xtr, Ytr, _, _ = digits
    net = _net()
    r = backprop(net, Xtr[:50], Ytr[:50])
    new, _ = gd_bp(net, Xtr[:50], Ytr[:50], epochs=1, lr=0.3)
    for p, g, q in zip(net.weights + net.biases, r.grad_weights + r.grad_biases, new.weights + new.biases):
        np.testing.assert_allclose(q, p - 0.3 * g, rtol=1e-13, atol=1e-15)


def _ridge_closed_form(X, Y, W0, b0, tau):
    """argmin_{W,b} (1/s) sum 1/2 |W^T x + b - y|^2 + 1/(2 tau) |(W,b) - (W0,b0)|^2."""
    s = X.shape[0]
    A = np.hstack([X, np.ones((s, 1))])
    T0 = np.vstack([W0, b0[None, :]])
    T = np.linalg.solve(A.T @ A / s + np.eye(A.shape[1]) / tau, A.T @ Y / s + T0 / tau)
    return T[:-1], T[-1]


@pytest.fixture()
def linear_problem():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    Y = X @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(12, 2))
    net = glorot_init([3, 2], "identity", seed=2, bias=0.3)
    return net, X, Y


def test_isgd_bp_inner_loop_solves_the_implicit_step(linear_problem):
    """(22) on a 1-layer identity network is a ridge problem with a closed-form minimiser."""
    net, X, Y = linear_problem
    tau = 0.7
    W, b = _ridge_closed_form(X, Y, net.weights[0], net.biases[0], tau)
    trained, _ = isgd_bp(net, X, Y, epochs=1, batch_size=12, tau=tau, lr=0.2, inner_steps=400, shuffle=False)
    np.testing.assert_allclose(trained.weights[0], W, atol=1e-10)
    np.testing.assert_allclose(trained.biases[0], b, atol=1e-10)
    # the comparison is able to fail: plain SGD (the explicit step (20)) is not the implicit step
    explicit, _ = sgd_bp(net, X, Y, epochs=1, batch_size=12, lr=tau, shuffle=False)
    assert np.max(np.abs(explicit.weights[0] - W)) > 1e-2


def test_isgd_bp_sequential_batches_and_error_decreasing_in_N(linear_problem):
    net, X, Y = linear_problem
    tau = 1.5
    W, b = net.weights[0], net.biases[0]
    for start in range(0, 12, 4):     # three batches in data order
        W, b = _ridge_closed_form(X[start:start + 4], Y[start:start + 4], W, b, tau)
    errs = []
    for N in (2, 10, 600):
        tr, _ = isgd_bp(net, X, Y, epochs=1, batch_size=4, tau=tau, lr=0.2, inner_steps=N, shuffle=False)
        errs.append(max(np.max(np.abs(tr.weights[0] - W)), np.max(np.abs(tr.biases[0] - b))))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-9


def test_isgd_bp_trains_digits(digits):
    Xtr, Ytr, Xte, Yte = digits
    net, hist = isgd_bp(_net(), Xtr[:500], Ytr[:500], epochs=4, batch_size=20, tau=1.0, lr=0.05, inner_steps=5, seed=0)
    assert hist.objective[-1] < 0.5 * hist.objective[0]
    assert accuracy(Yte, net.forward(Xte)) > 0.8


def test_adam_runs_and_is_labelled_extra(digits):
    Xtr, Ytr, Xte, Yte = digits
    net, hist = adam_bp(_net(), Xtr[:500], Ytr[:500], epochs=5, batch_size=20, lr=1e-3, seed=0)
    assert hist.solver == "adam-bp" and "not in the paper" in hist.options["note"]
    assert hist.objective[-1] < 0.5 * hist.objective[0]
    assert accuracy(Yte, net.forward(Xte)) > 0.8


def test_sparse_autoencoder_objective_with_l1(digits):
    Xtr = digits[0][:300]
    net = glorot_init([64, 32, 64], ["soft_threshold", "identity"], seed=0)
    _, hist = sgd_bp(net, Xtr, Xtr, epochs=3, batch_size=20, lr=0.05, l1_alpha=0.01, l1_layer=1, seed=0)
    assert all(p > 0 for p in hist.penalty)
    assert hist.objective[-1] == pytest.approx(hist.data_loss[-1] + hist.penalty[-1])
    assert hist.objective[-1] < hist.objective[0]


def test_float32_training_stays_float32(digits):
    Xtr, Ytr, _, _ = digits
    net, hist = sgd_bp(_net(dtype=np.float32), Xtr[:200], Ytr[:200], epochs=2, batch_size=20, lr=0.05, seed=0)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
    assert hist.objective[-1] < hist.objective[0]


def test_callback_receives_network_and_epoch(digits):
    Xtr, Ytr, _, _ = digits
    seen = []
    _, hist = gd_bp(_net(), Xtr[:50], Ytr[:50], epochs=3, lr=0.01,
                    callback=lambda net, e: seen.append(e) or objective(net, Xtr[:50], Ytr[:50]))
    assert seen == [0, 1, 2, 3]
    assert hist.callback == pytest.approx(hist.objective)


@pytest.mark.parametrize("solver,kw", [(gd_bp, {}), (sgd_bp, {"batch_size": 10}),
                                       (isgd_bp, {"batch_size": 10, "inner_steps": 3}),
                                       (adam_bp, {"batch_size": 10})])
def test_divergence_error_on_huge_learning_rate(digits, solver, kw):
    Xtr, Ytr, _, _ = digits
    lr = 1e250 if solver is adam_bp else 1e6
    with pytest.raises(DivergenceError, match="non-finite"):
        solver(_net(), Xtr[:100], Ytr[:100], epochs=20, lr=lr, **kw)


def test_divergence_error_with_bregman_output_loss(digits):
    """A diverging run with the Bregman output loss (softmax output) raises DivergenceError, not ValueError."""
    Xtr, Ytr, _, _ = digits
    net = glorot_init([64, 16, 10], ["relu", "softmax"], seed=0)
    with pytest.raises(DivergenceError, match="non-finite"):
        sgd_bp(net, Xtr[:100], Ytr[:100], epochs=20, lr=1e8, batch_size=10, loss="bregman")


@pytest.mark.parametrize("bad,match", [
    ({"X": np.zeros((5, 3))}, "shape"),
    ({"Y": np.zeros((4, 10))}, "same number of samples"),
    ({"X": np.full((5, 64), np.nan)}, "NaN"),
    ({"lr": -1.0}, "lr"),
    ({"lr": float("inf")}, "lr"),
    ({"epochs": -1}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"l1_alpha": 0.1}, "l1_layer"),
    ({"l1_alpha": 0.1, "l1_layer": 2}, "hidden layer"),
    ({"l1_alpha": -0.1, "l1_layer": 1}, "l1_alpha"),
    ({"loss": "hinge"}, "loss"),
    ({"rng": 3}, "Generator"),
    ({"callback": 3}, "callback"),
    ({"validation_data": (np.zeros((2, 64)), np.zeros((2, 9)))}, "shape"),
    ({"X": "abc"}, "real"),
])
def test_bad_input_raises_clear_errors(bad, match):
    args = {"X": np.zeros((5, 64)), "Y": np.zeros((5, 10)), "epochs": 1, "lr": 0.1, "batch_size": 2}
    args.update(bad)
    X, Y = args.pop("X"), args.pop("Y")
    with pytest.raises(BregnetInputError, match=match):
        sgd_bp(_net(), X, Y, **args)


def test_bad_input_other_solvers():
    X, Y = np.zeros((5, 64)), np.zeros((5, 10))
    with pytest.raises(BregnetInputError, match="tau"):
        isgd_bp(_net(), X, Y, tau=0)
    with pytest.raises(BregnetInputError, match="inner_steps"):
        isgd_bp(_net(), X, Y, inner_steps=0)
    with pytest.raises(BregnetInputError, match="beta1"):
        adam_bp(_net(), X, Y, beta1=1.0)
    with pytest.raises(TypeError, match="Network"):
        gd_bp("net", X, Y)
    soft = glorot_init([64, 10], "softmax", seed=0)
    with pytest.raises(BregnetInputError, match="dom Psi"):
        gd_bp(soft, X, Y, loss="bregman")      # zero rows are not on the simplex
