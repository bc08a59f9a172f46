"""IDX reader/writer: round trips, the byte layout, and every malformed-file error naming the file."""
import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bregnet.datasets import IDXFormatError, read_idx, write_idx
from bregnet.datasets.idx import (IDX_DTYPES, find_idx_split, read_idx_header, read_idx_split)

NATIVE = [dt.newbyteorder("=") for dt in IDX_DTYPES.values()]


def _raw(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + payload


@given(st.sampled_from(NATIVE).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    elements={"allow_nan": False, "allow_infinity": False} if dt.kind == "f" else None)),
    st.booleans())
def test_round_trip(tmp_path_factory, a, compress):
    p = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    write_idx(p, a)
    b = read_idx(p)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)
    assert read_idx_header(p) == (a.dtype, a.shape)
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == compress


def test_byte_layout_is_the_standard_one(tmp_path):
    # Written independently from the format description: magic 0x00000803, big-endian sizes.
    a = np.arange(2 * 3 * 2, dtype=np.uint8).reshape(2, 3, 2)
    p = write_idx(tmp_path / "x-idx3-ubyte", a)
    assert p.read_bytes() == b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x02" \
        + bytes(range(12))
    f = np.array([1.5, -2.0], dtype=np.float64)
    p = write_idx(tmp_path / "f.idx", f)
    assert p.read_bytes() == b"\x00\x00\x0e\x01\x00\x00\x00\x02" + struct.pack(">2d", 1.5, -2.0)
    i = np.array([258], dtype=np.int16)
    assert write_idx(tmp_path / "i.idx", i).read_bytes()[-2:] == b"\x01\x02"


def test_reads_a_hand_made_big_endian_int32_file(tmp_path):
    p = tmp_path / "h.idx"
    p.write_bytes(_raw(0x0C, (2, 2), struct.pack(">4i", 1, -2, 70000, 4)))
    a = read_idx(p)
    assert a.dtype == np.int32 and a.dtype.isnative
    assert a.tolist() == [[1, -2], [70000, 4]]


def test_gzip_detected_by_content_not_name(tmp_path):
    p = tmp_path / "no-suffix"
    p.write_bytes(gzip.compress(_raw(0x08, (3,), b"\x01\x02\x03")))
    assert read_idx(p).tolist() == [1, 2, 3]
    q = tmp_path / "plain.gz"
    q.write_bytes(_raw(0x08, (1,), b"\x07"))
    assert read_idx(q).tolist() == [7]


BAD = {
    "wrong magic": (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "wrong IDX magic"),
    "gzip-free text": (b"hello world", "wrong IDX magic"),
    "wrong dtype code": (_raw(0x0A, (1,), b"\x05"), "unknown IDX data type code 0x0a"),
    "zero dims": (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    "short header": (b"\x00\x00", "too short"),
    "truncated header": (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "truncated IDX header"),
    "truncated payload": (_raw(0x08, (2, 3), b"\x00" * 5), "truncated IDX payload: 5 bytes"),
    "truncated float payload": (_raw(0x0E, (2,), b"\x00" * 12), "requires 16"),
    "trailing bytes": (_raw(0x08, (2,), b"\x00" * 3), "1 unexpected trailing bytes"),
    "nan float": (_raw(0x0D, (1,), struct.pack(">f", float("nan"))), "non-finite"),
    "empty file": (b"", "too short"),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_files_raise_naming_the_file(tmp_path, case, compress):
    data, msg = BAD[case]
    p = tmp_path / f"bad-{case.replace(' ', '_')}"
    p.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXFormatError, match=msg) as info:
        read_idx(p)
    assert str(p) in str(info.value)


def test_the_error_cases_are_not_vacuous(tmp_path):
    # The same bytes with the defect repaired read fine.
    p = tmp_path / "ok"
    p.write_bytes(_raw(0x08, (2, 3), b"\x00" * 6))
    assert read_idx(p).shape == (2, 3)


@pytest.mark.parametrize("cut", [5, 20, 40])
def test_truncated_or_corrupt_gzip(tmp_path, cut):
    blob = gzip.compress(_raw(0x08, (100,), bytes(range(100))))
    p = tmp_path / "cut.gz"
    p.write_bytes(blob[:-cut])
    with pytest.raises(IDXFormatError, match="gzip") as info:
        read_idx(p)
    assert str(p) in str(info.value)
    corrupt = bytearray(blob)
    corrupt[-6] ^= 0xFF  # CRC32 trailer
    p.write_bytes(bytes(corrupt))
    with pytest.raises(IDXFormatError, match="gzip"):
        read_idx(p)


def test_expected_dtype_and_ndim(tmp_path):
    p = write_idx(tmp_path / "f.idx", np.zeros((2, 2), np.float32))
    with pytest.raises(IDXFormatError, match="expected IDX element type uint8"):
        read_idx(p, dtype=np.uint8)
    with pytest.raises(IDXFormatError, match="expected a 3-dimensional"):
        read_idx(p, ndim=3)
    assert read_idx(p, dtype=np.float32, ndim=2).shape == (2, 2)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_writer_rejects_unsupported(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store"):
        write_idx(tmp_path / "x", np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="1 to 255"):
        write_idx(tmp_path / "x", np.float64(1.0))
    assert not (tmp_path / "x").exists()


def test_writer_is_atomic_and_leaves_no_temp_files(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros(3, np.uint8))
    write_idx(tmp_path / "a.idx", np.ones(4, np.uint8))  # overwrite
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.idx"]
    assert read_idx(tmp_path / "a.idx").tolist() == [1, 1, 1, 1]


def _split(d, n_tr=5, n_te=3, gz=True, img=(28, 28), labels=None):
    rng = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    for split, n in (("train", n_tr), ("t10k", n_te)):
        write_idx(d / f"{split}-images-idx3-ubyte{sfx}", rng.integers(0, 256, (n, *img), dtype=np.uint8))
        lab = rng.integers(0, 10, n, dtype=np.uint8) if labels is None else labels[split]
        write_idx(d / f"{split}-labels-idx1-ubyte{sfx}", lab)


def test_split_reader(tmp_path):
    _split(tmp_path, gz=False)
    files, missing = find_idx_split(tmp_path)
    assert missing == []
    Xtr, ytr, Xte, yte = read_idx_split(files)
    assert Xtr.shape == (5, 28, 28) and Xte.shape == (3, 28, 28)
    assert ytr.dtype == np.int64


def test_label_image_count_mismatch(tmp_path):
    _split(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(IDXFormatError, match="holds 5 images but .*train-labels-idx1-ubyte.gz "
                                             "holds 4 labels"):
        read_idx_split(find_idx_split(tmp_path)[0])


def test_label_out_of_range_and_wrong_kinds(tmp_path):
    _split(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([0, 10, 3], np.uint8))
    with pytest.raises(IDXFormatError, match="t10k-labels.*label\\(s\\) outside 0..9"):
        read_idx_split(find_idx_split(tmp_path)[0])
    _split(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 784), np.uint8))
    with pytest.raises(IDXFormatError, match="train-images.*3-dimensional"):
        read_idx_split(find_idx_split(tmp_path)[0])
    _split(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 27, 28), np.uint8))
    with pytest.raises(IDXFormatError, match="image sizes differ"):
        read_idx_split(find_idx_split(tmp_path)[0])
