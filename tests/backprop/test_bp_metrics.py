"""bregnet.metrics against direct counts/definitions, each shown to fail on a wrong input."""
import numpy as np
import pytest

from bregnet.exceptions import BregnetInputError
from bregnet.metrics import (accuracy, code_sparsity, hidden_activations, linear_activation_rate,
                             linear_activation_rate_from_preactivations, mean_squared_error, psnr,
                             sparse_autoencoder_objective)
from bregnet.network import Network, glorot_init


def test_accuracy_labels_onehot_scores_and_permutation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, size=200)
    onehot = np.eye(10)[y]
    scores = onehot + 0.1 * rng.random((200, 10))
    assert accuracy(y, scores) == 1.0
    assert accuracy(onehot, y) == 1.0
    permuted = scores[rng.permutation(200)]
    assert accuracy(y, permuted) < 0.3                 # a wrong (permuted) prediction is caught
    assert accuracy(y, (y + 1) % 10) == 0.0


@pytest.mark.parametrize("a,b,match", [([0, 1], [0, 1, 1], "same number"), ([0.5, 1.0], [0, 1], "integers"),
                                       ([[1.0], [0.0]], [0, 1], "2 columns"), ("ab", [0], "real"),
                                       ([], [], "empty"), ([[np.nan, 1.0]], [0], "NaN")])
def test_accuracy_bad_input(a, b, match):
    with pytest.raises(BregnetInputError, match=match):
        accuracy(a, b)


def test_linear_activation_rate_counts_nonnegative_preactivations():
    rng = np.random.default_rng(1)
    net = glorot_init([5, 7, 6, 3], ["relu", "relu", "identity"], seed=2, bias=0.05)
    X = rng.normal(size=(40, 5))
    rate = linear_activation_rate(net, X)
    z1 = X @ net.weights[0] + net.biases[0]
    z2 = np.maximum(z1, 0) @ net.weights[1] + net.biases[1]
    expected = [np.sum(z1 == np.maximum(z1, 0)) / z1.size, np.sum(z2 == np.maximum(z2, 0)) / z2.size]
    np.testing.assert_allclose(rate, expected)
    assert 0.2 < rate[0] < 0.8
    # an affine ReLU network (all pre-activations shifted positive) has rate 1; shifted negative 0
    up = Network(net.weights, (net.biases[0] + 100, net.biases[1] + 1000, net.biases[2]), net.activations)
    down = Network(net.weights, (net.biases[0] - 100, net.biases[1] - 1, net.biases[2]), net.activations)
    assert linear_activation_rate(up, X).tolist() == [1.0, 1.0]
    assert linear_activation_rate(down, X).tolist() == [0.0, 0.0]


def test_linear_activation_rate_zero_counts_as_linear():
    # z = 0 satisfies z = max(z, 0); a z > 0 rule would give 0.5 here
    assert linear_activation_rate_from_preactivations([np.array([[0.0, -1.0], [0.0, 0.0]])]).tolist() == [0.75]


def test_linear_activation_rate_bad_input():
    net = glorot_init([3, 4, 2], ["relu", "identity"], seed=0)
    with pytest.raises(BregnetInputError, match="shape"):
        linear_activation_rate(net, np.zeros((4, 2)))
    with pytest.raises(BregnetInputError, match="Network"):
        linear_activation_rate("net", np.zeros((4, 3)))
    with pytest.raises(BregnetInputError, match="hidden layer"):
        linear_activation_rate(glorot_init([3, 2], "relu", seed=0), np.zeros((4, 3)))
    with pytest.raises(BregnetInputError, match="at least one"):
        linear_activation_rate_from_preactivations([])


def test_code_sparsity_counts_exact_zeros():
    rng = np.random.default_rng(3)
    c = rng.normal(size=(30, 20))
    c[c < 0.5] = 0.0
    assert code_sparsity(c) == pytest.approx(np.sum(c == 0) / c.size)
    tiny = np.where(c == 0, 1e-300, c)                 # not exactly zero: not sparse
    assert code_sparsity(tiny) == 0.0
    with pytest.raises(BregnetInputError, match="empty"):
        code_sparsity(np.zeros((0, 3)))


def test_hidden_activations_and_soft_threshold_code_sparsity():
    net = glorot_init([4, 8, 4], ["soft_threshold", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(50, 4))
    code = hidden_activations(net, X, 1)
    z = X @ net.weights[0] + net.biases[0]
    np.testing.assert_array_equal(code == 0, np.abs(z) <= 1.0)
    with pytest.raises(BregnetInputError, match="layer"):
        hidden_activations(net, X, 3)


def test_mean_squared_error_and_sae_objective():
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    assert mean_squared_error(A, B) == pytest.approx(np.mean(0.5 * np.sum((A - B) ** 2, axis=1)))
    assert mean_squared_error(A, B, per="entry") == pytest.approx(np.mean((A - B) ** 2))
    assert mean_squared_error(A, A) == 0.0
    assert mean_squared_error(A, B) != pytest.approx(mean_squared_error(A, B, per="entry"))
    code = rng.normal(size=(6, 3))
    assert sparse_autoencoder_objective(A, B, code, 0.09) == pytest.approx(
        mean_squared_error(A, B) + 0.09 * np.sum(np.abs(code)) / 6)
    with pytest.raises(BregnetInputError, match="same shape"):
        mean_squared_error(A, B[:, :4])
    with pytest.raises(BregnetInputError, match="per"):
        mean_squared_error(A, B, per="pixel")
    with pytest.raises(BregnetInputError, match="one row per sample"):
        sparse_autoencoder_objective(A, B, code[:5], 0.1)
    with pytest.raises(BregnetInputError, match="alpha"):
        sparse_autoencoder_objective(A, B, code, -1)


def test_psnr():
    rng = np.random.default_rng(5)
    clean = rng.random((4, 16))
    noisy = clean + 0.01 * rng.normal(size=clean.shape)
    mse = np.mean((clean - noisy) ** 2)
    assert psnr(clean, noisy, data_range=1.0) == pytest.approx(10 * np.log10(1.0 / mse))
    assert psnr(clean, clean) == float("inf")
    assert psnr(clean, noisy, data_range=1.0) > psnr(clean, clean + 0.1, data_range=1.0)   # more noise, lower PSNR
    with pytest.raises(BregnetInputError, match="constant"):
        psnr(np.ones((2, 2)), np.zeros((2, 2)))
    with pytest.raises(BregnetInputError, match="data_range"):
        psnr(clean, noisy, data_range=0)
