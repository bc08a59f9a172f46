"""Lifted proximal gradient (16)-(17): monotone decrease, consistency at stationary points, errors, checkpoints."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from bregnet.exceptions import BregnetInputError, DivergenceError
from bregnet.lifted import forward_hidden
from bregnet.network import glorot_init
from bregnet.solvers import proximal_gradient

ACTS = ["relu", "tanh", "soft_threshold", "identity"]


@given(seed=st.integers(0, 10_000), depth=st.integers(1, 3), width=st.integers(1, 5), s=st.integers(1, 8),
       hidden_act=st.sampled_from(ACTS), out_act=st.sampled_from(["identity", "relu"]),
       c=st.floats(0.2, 1.99), l1=st.sampled_from([None, 0.1]))
def test_energy_decreases_monotonically(seed, depth, width, s, hidden_act, out_act, c, l1):
    rng = np.random.default_rng(seed)
    sizes = [3] + [width] * (depth - 1) + [2]
    net = glorot_init(sizes, [hidden_act] * (depth - 1) + [out_act], seed=seed, bias=0.05)
    X = rng.normal(size=(s, 3))
    Y = rng.normal(size=(s, 2))
    if out_act == "relu":
        Y = np.abs(Y)
    reg = (1, l1) if (l1 and depth > 1 and hidden_act in ("relu", "soft_threshold", "identity")) else None
    res = proximal_gradient(net, X, Y, epochs=15, step_scale=c, l1=reg, norm_method="exact")
    e = np.array(res.history.energy)
    assert np.all(np.diff(e) <= 1e-12 * np.maximum(1.0, np.abs(e[:-1])))


def test_monotone_law_can_fail():
    """With a step far beyond the Lipschitz bound (c = 6 > 2) the energy increases: the test above can fail."""
    rng = np.random.default_rng(0)
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    res = proximal_gradient(net, X, Y, epochs=10, step_scale=6.0, norm_method="exact")
    assert np.any(np.diff(res.history.energy) > 0)


@pytest.mark.parametrize("acc", ["nesterov", "heavy_ball"])
def test_accelerated_variants_are_monotone_and_faster(acc):
    rng = np.random.default_rng(3)
    net = glorot_init([5, 8, 6, 3], ["relu", "tanh", "identity"], seed=1)
    X, Y = rng.normal(size=(40, 5)), rng.normal(size=(40, 3))
    plain = proximal_gradient(net, X, Y, epochs=150, step_scale=1.0)
    fast = proximal_gradient(net, X, Y, epochs=150, acceleration=acc)
    e = np.array(fast.history.energy)
    assert np.all(np.diff(e) <= 1e-12)
    assert e[-1] <= plain.history.energy[-1] * 1.0000001


def test_jacobi_scheme_with_safeguard_is_monotone():
    rng = np.random.default_rng(4)
    net = glorot_init([5, 8, 6, 3], ["relu", "relu", "identity"], seed=2)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(30, 3))
    res = proximal_gradient(net, X, Y, epochs=60, scheme="jacobi")
    assert np.all(np.diff(res.history.energy) <= 0)


def test_stationary_point_is_consistent():
    """Section 3.2: at a stationary point with biases, x_l = sigma(W_l^T x_{l-1} + b_l).

    With s = 3 samples and [X_{l-1}, 1] of full row rank, grad_{W,b} = 0 forces sigma(Z_l) - X_l = 0.
    """
    rng = np.random.default_rng(0)
    net = glorot_init([4, 5, 5, 2], ["tanh", "tanh", "identity"], seed=0, bias=0.1)
    X, Y = rng.normal(size=(3, 4)), 0.5 * rng.normal(size=(3, 2))
    hidden0 = [h + 0.2 * rng.normal(size=h.shape) for h in forward_hidden(net, X)]
    hidden0 = [np.clip(h, -0.9, 0.9) for h in hidden0]
    res = proximal_gradient(net, X, Y, epochs=3000, acceleration="nesterov", hidden=hidden0)
    assert res.history.residuals[0].max() > 0.1                   # inconsistent at the start
    assert res.history.residuals[-1].max() < 1e-4                  # consistent at the end
    out = res.network.forward(X)
    np.testing.assert_allclose(out, Y, atol=1e-3)
    # the network is nonlinear: pre-activations are not in the linear range of tanh
    Z1 = X @ res.network.weights[0] + res.network.biases[0]
    assert np.max(np.abs(Z1)) > 0.3


def test_bad_input_raises_clear_errors():
    net = glorot_init([3, 4, 2], ["relu", "relu"], seed=0)
    X, Y = np.ones((5, 3)), np.ones((5, 2))
    with pytest.raises(BregnetInputError, match="X must have shape"):
        proximal_gradient(net, np.ones((5, 4)), Y)
    with pytest.raises(BregnetInputError, match="same number of samples"):
        proximal_gradient(net, X, np.ones((4, 2)))
    with pytest.raises(BregnetInputError, match="X contains NaN"):
        proximal_gradient(net, np.full((5, 3), np.nan), Y)
    with pytest.raises(BregnetInputError, match="step_scale"):
        proximal_gradient(net, X, Y, step_scale=0.0)
    with pytest.raises(BregnetInputError, match="step_scale"):
        proximal_gradient(net, X, Y, step_scale=-1.0)
    with pytest.raises(BregnetInputError, match="Y has 5 row"):
        proximal_gradient(net, X, -Y)               # relu output: targets must be >= 0
    with pytest.raises(BregnetInputError, match="scheme"):
        proximal_gradient(net, X, Y, scheme="random")


def test_divergence_raises():
    rng = np.random.default_rng(0)
    net = glorot_init([3, 4, 2], ["identity", "identity"], seed=0)
    X, Y = 10 * rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    with pytest.raises(DivergenceError):
        proximal_gradient(net, X, Y, epochs=2000, step_scale=50.0, monotone=False)


@pytest.mark.parametrize("acc", [None, "nesterov"])
def test_checkpoint_resume_is_bit_identical(tmp_path, acc):
    rng = np.random.default_rng(0)
    net = glorot_init([3, 5, 2], ["relu", "identity"], seed=0)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    full = proximal_gradient(net, X, Y, epochs=12, acceleration=acc)
    ck = tmp_path / "pg.npz"
    proximal_gradient(net, X, Y, epochs=7, acceleration=acc, checkpoint=ck, checkpoint_every=7)
    res = proximal_gradient(net, X, Y, epochs=12, acceleration=acc, checkpoint=ck, resume=True)
    for a, b in zip(full.network.weights + full.network.biases, res.network.weights + res.network.biases):
        assert np.array_equal(a, b)
    assert full.history.energy == res.history.energy
    with pytest.raises(BregnetInputError, match="different options"):
        proximal_gradient(net, X, Y, epochs=12, step_scale=1.5, checkpoint=ck, resume=True)


