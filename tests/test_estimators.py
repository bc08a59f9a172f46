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


# ------------------------------------------------------------------------------------ issue 12
@pytest.mark.parametrize("bad", ["64", "64,64", b"64", 1.5, (64, 1.5), (64.0,), True, (True, 8), (0,), 0, (8, -1),
                                 -3, None, {64: 1}, {8}, np.zeros((2, 2), dtype=int)])
@pytest.mark.parametrize("estimator", [LiftedBregmanClassifier, LiftedBregmanRegressor, SparseAutoencoder])
def test_hidden_layer_sizes_rejects_strings_and_non_integers(estimator, bad):
    """`hidden_layer_sizes='64'` built a 64-6-4-10 network (the string iterated); 1.5 was truncated to 1."""
    if bad is None and estimator is SparseAutoencoder:
        pytest.skip("None is the autoencoders' default (three layers as wide as the input)")
    X, y = _blobs()
    est = estimator(hidden_layer_sizes=bad, epochs=1)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a positive integer or a sequence of positive "
                                         "integers"):
        est.fit(X) if estimator is SparseAutoencoder else est.fit(X, y)


@pytest.mark.parametrize("sizes, widths", [(8, (8,)), ([8, 4], (8, 4)), (np.array([8, 4]), (8, 4)),
                                           ((np.int64(5),), (5,)), ((), ())])
def test_hidden_layer_sizes_accepts_integers(sizes, widths):
    X, y = _blobs()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=sizes, epochs=1, random_state=0).fit(X, y)
    assert clf.network_.layer_sizes == (3, *widths, 3)


def _fit_catching(est, X, y):
    """Fit; return (the DivergenceError raised or None, the ConvergenceWarnings emitted)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from bregnet.exceptions import DivergenceError

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
            raised = None
        except DivergenceError as exc:
            raised = exc
    return raised, [w for w in rec if issubclass(w.category, ConvergenceWarning)]


def _digits(n=500):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = X[:n] / 16
    return X - X.mean(axis=0), y[:n]


@pytest.mark.parametrize("data", ["blobs", "digits"])
@pytest.mark.parametrize("sizes", [(32,), (8,)])
def test_adam_with_a_huge_step_raises_or_warns_naming_lr(data, sizes):
    """Adam with lr=10 scored 0.10 on digits without a word; now a DivergenceError or a ConvergenceWarning
    naming the option to lower."""
    X, y = _blobs() if data == "blobs" else _digits()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=sizes, solver="adam", solver_options={"lr": 10},
                                  random_state=0)
    raised, warned = _fit_catching(clf, X, y)
    assert raised is not None or warned
    for msg in ([str(raised)] if raised is not None else []) + [str(w.message) for w in warned]:
        assert "solver_options={'lr': ...}" in msg and "lr=10" in msg and "adam-bp" in msg


@pytest.mark.parametrize("solver", ["lbn-s", "adam", "sgd-bp"])
def test_a_normal_fit_neither_raises_nor_warns(solver):
    for X, y in (_blobs(), _digits()):
        raised, warned = _fit_catching(LiftedBregmanClassifier(solver=solver, random_state=0), X, y)
        assert raised is None and not warned


def test_non_finite_training_is_a_clear_error_naming_the_option():
    from bregnet.training import TrainingDivergedError

    X, y = _blobs()
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), solver="sgd-bp", solver_options={"lr": 1e12},
                                  random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"LiftedBregmanClassifier: training with solver 'sgd-bp' "
                                                    r"diverged in epoch \d+ .*solver_options=\{'lr': \.\.\.\} "
                                                    r"\(now lr=1000000000000\.0") as info:
        clf.fit(X, y)
    assert info.value.log["epoch"] == list(range(info.value.epoch))            # the epochs before


@pytest.mark.parametrize("output", ["identity", "softmax", "sparsemax"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_proba_rows_on_the_simplex_and_consistent_with_predict(output, n_classes):
    X, y = _blobs()
    keep = y < n_classes
    X, y = X[keep], y[keep]
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), output_activation=output, epochs=5,
                                  random_state=0).fit(X, y)
    P = clf.predict_proba(X)
    assert P.shape == (len(X), n_classes)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.array_equal(clf.classes_[P.argmax(axis=1)], clf.predict(X))
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(clf.predict_log_proba(X), np.log(P))
    out = clf.network_.forward(X)
    if output == "identity":                                      # the documented normalisation: softmax of o
        e = np.exp(out - out.max(axis=1, keepdims=True))
        np.testing.assert_allclose(P, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    else:                                                         # the network's output is the probability vector
        np.testing.assert_allclose(P, out, rtol=0, atol=1e-15)
    if n_classes == 2:                                            # increasing in the decision function
        order = np.argsort(clf.decision_function(X), kind="stable")
        assert np.all(np.diff(P[order, 1]) >= 0)


def test_predict_proba_string_labels_column_order():
    X, y = _blobs()
    labels = np.array(["c", "a", "b"])[y]
    clf = LiftedBregmanClassifier(hidden_layer_sizes=(8,), epochs=10, random_state=1).fit(X, labels)
    P = clf.predict_proba(X)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert np.array_equal(clf.classes_[P.argmax(axis=1)], clf.predict(X))
