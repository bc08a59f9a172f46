"""scikit-learn estimators (bregnet.estimators): the full estimator check suite and the bregnet-specific API.

No check is marked as an expected failure: all four estimators pass every check of scikit-learn's
suite that runs here (``check_array_api_input`` and the pandas checks skip themselves when
``SCIPY_ARRAY_API`` / pandas are absent).  The only tags set are the true ones: the regressor is
multi-output, the autoencoders need no ``y``.
"""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from bregnet.estimators import (DenoisingAutoencoder, LiftedBregmanClassifier, LiftedBregmanRegressor,
                                SparseAutoencoder)
from bregnet.metrics import mean_squared_error
from bregnet.training import TrainingLog

ESTIMATORS = [
    LiftedBregmanClassifier(),
    LiftedBregmanRegressor(),
    SparseAutoencoder(),
    DenoisingAutoencoder(),
    # a baseline behind the same interface
    LiftedBregmanClassifier(solver="sgd-bp"),
    SparseAutoencoder(solver="adam", hidden_layer_sizes=(8, 4, 8)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------------------------------ data
def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0, 0.0], [-2.0, 1.0, 0.0], [0.0, -2.0, 1.0]])
    y = rng.integers(0, 3, n)
    return centres[y] + 0.3 * rng.normal(size=(n, 3)), y


# ------------------------------------------------------------------------------------ classifier
@pytest.mark.parametrize("solver", ["lbn-s", "lbn-d", "sgd-bp", "isgd-bp", "adam", "gd-bp", "proximal-gradient",
                                    "classical-lifted", "mac-qp"])
def test_classifier_learns_with_every_kind_of_solver(solver):
    X, y = _blobs()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), solver=solver, epochs=15, random_state=0).fit(X, y)
    assert isinstance(clf.history_, TrainingLog)
    assert clf.history_["epoch"] == list(range(16))
    assert clf.history_["objective"][-1] < clf.history_["objective"][0]
    assert clf.score(X, y) > 0.6


def test_classifier_string_labels_and_decision_function():
    X, y = _blobs()
    labels = np.array(["a", "b", "c"])[y]
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), epochs=10, random_state=1).fit(X, labels)
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    d = clf.decision_function(X)
    assert d.shape == (len(X), 3)
    assert np.array_equal(clf.classes_[d.argmax(axis=1)], clf.predict(X))


def test_classifier_random_state_reproducible_and_seed_matters():
    X, y = _blobs()
    a = LiftedBregmanClassifier(epochs=3, random_state=5).fit(X, y).decision_function(X)
    b = LiftedBregmanClassifier(epochs=3, random_state=5).fit(X, y).decision_function(X)
    c = LiftedBregmanClassifier(epochs=3, random_state=6).fit(X, y).decision_function(X)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_partial_fit_continues_and_numbers_epochs():
    X, y = _blobs()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    W1 = clf.network_.weights[0].copy()
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert clf.history_["epoch"] == [0, 1, 2, 3]
    assert clf.n_epochs_ == 3
    assert not np.array_equal(W1, clf.network_.weights[0])
    walls = clf.history_["wall_time"]
    assert all(b >= a for a, b in zip(walls, walls[1:]))


def test_partial_fit_equals_one_fit_for_lbn_s():
    """Three partial_fit epochs = one fit of three epochs (same generator stream, same batches)."""
    X, y = _blobs()
    a = LiftedBregmanClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=2).fit(X, y)
    b = LiftedBregmanClassifier(hidden_layer_sizes=(8,), random_state=2)
    for _ in range(3):
        b.partial_fit(X, y, classes=[0, 1, 2])
    for Wa, Wb in zip(a.network_.weights, b.network_.weights):
        np.testing.assert_array_equal(Wa, Wb)


def test_warm_start_continues_and_cold_start_restarts():
    X, y = _blobs()
    warm = LiftedBregmanClassifier(hidden_layer_sizes=(8,), epochs=2, warm_start=True, random_state=0).fit(X, y)
    net1 = warm.network_
    warm.fit(X, y)
    assert warm.history_["epoch"][-1] == 4
    assert not np.array_equal(net1.weights[0], warm.network_.weights[0])
    cold = clone(warm).set_params(warm_start=False).fit(X, y)
    cold.fit(X, y)
    assert cold.history_["epoch"][-1] == 2


def test_bad_parameters_raise_value_error():
    X, y = _blobs()
    with pytest.raises(ValueError, match="unknown solver"):
        LiftedBregmanClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="no option"):
        LiftedBregmanClassifier(solver_options={"momentum": 0.9}).fit(X, y)
    with pytest.raises(ValueError, match="epochs"):
        LiftedBregmanClassifier(epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        LiftedBregmanClassifier(activation="nope").fit(X, y)
    with pytest.raises(ValueError, match="l1 code regulariser"):
        SparseAutoencoder(solver="mac-qp").fit(X)


def test_softmax_output_uses_cross_entropy():
    X, y = _blobs()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), output_activation="softmax", epochs=10,
                                  random_state=0).fit(X, y)
    out = clf.network_.forward(X)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.6


# ------------------------------------------------------------------------------------ regressor
def test_regressor_multi_output_shapes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    Y = X @ rng.normal(size=(4, 2))
    reg = LiftedBregmanRegressor(hidden_layer_sizes=(16,), epochs=20, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (80, 2)
    assert reg.score(X, Y) > 0.5
    assert LiftedBregmanRegressor(epochs=2, random_state=0).fit(X, Y[:, 0]).predict(X).shape == (80,)


# ------------------------------------------------------------------------------------ autoencoders
def _images(n=150, seed=0):
    from bregnet.datasets import load
    ds = load("digits", n_train=n, n_test=50, centre=True, seed=seed)
    return np.array(ds.X_train), np.array(ds.X_test)


def test_sparse_autoencoder_code_and_decoder():
    X, Xv = _images()
    ae = SparseAutoencoder(hidden_layer_sizes=(32, 32, 32), epochs=5, random_state=0).fit(X)
    C = ae.transform(Xv)
    assert C.shape == (len(Xv), 32) and ae.code_layer_ == 2
    np.testing.assert_allclose(ae.inverse_transform(C), ae.reconstruct(Xv))
    h = ae.history_
    assert h["objective"][-1] < h["objective"][0]
    assert h["code_sparsity"][-1] > 0.3                         # the l1 term and soft-thresholding act
    assert h["code_sparsity"][-1] == pytest.approx(float(np.mean(ae.transform(X) == 0)))
    assert ae.score(Xv) == pytest.approx(-mean_squared_error(Xv, ae.reconstruct(Xv)))
    assert list(ae.get_feature_names_out()) == [f"sparseautoencoder{i}" for i in range(32)]
    with pytest.raises(ValueError, match="codes of width"):
        ae.inverse_transform(np.zeros((2, 5)))


def test_alpha_controls_sparsity():
    X, _ = _images()
    lo = SparseAutoencoder(hidden_layer_sizes=(32, 32, 32), alpha=0.0, epochs=5, random_state=0).fit(X)
    hi = SparseAutoencoder(hidden_layer_sizes=(32, 32, 32), alpha=0.5, epochs=5, random_state=0).fit(X)
    assert np.mean(hi.transform(X) == 0) > np.mean(lo.transform(X) == 0)


def test_even_number_of_hidden_layers_rejected():
    X, _ = _images()
    with pytest.raises(ValueError, match="odd number of hidden layers"):
        SparseAutoencoder(hidden_layer_sizes=(8, 8)).fit(X)


def test_denoising_autoencoder_trains_on_noisy_inputs():
    X, Xv = _images()
    dae = DenoisingAutoencoder(hidden_layer_sizes=(32, 32, 32), noise_std=0.2, epochs=5, random_state=0).fit(X)
    ae = SparseAutoencoder(hidden_layer_sizes=(32, 32, 32), epochs=5, random_state=0).fit(X)
    # same seed, same architecture: only the noisy inputs differ, so the networks differ
    assert not np.allclose(dae.network_.weights[0], ae.network_.weights[0])
    assert dae.history_["objective"][-1] < dae.history_["objective"][0]
    noisy = Xv + 0.2 * np.random.default_rng(1).normal(size=Xv.shape)
    assert dae.reconstruct(noisy).shape == Xv.shape
    with pytest.raises(ValueError, match="noise_std"):
        DenoisingAutoencoder(noise_std=-1.0).fit(X)
