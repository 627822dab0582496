"""IDX parsing on small files written here byte by byte (plain and gzip), and malformed files."""
import gzip
import struct

import numpy as np
import pytest

from tinynn.datasets import IDXFormatError, parse_idx, read_idx, write_idx


def idx_bytes(code: int, shape, payload: bytes) -> bytes:
    """An IDX file by hand: two zero bytes, the type code, the rank, big-endian sizes, the data."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def test_images_file_gzip_and_plain(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 7
    data = idx_bytes(0x08, (2, 3, 4), images.tobytes())
    assert data[:4] == b"\x00\x00\x08\x03"  # magic number 2051, as MNIST's image files
    (tmp_path / "img.idx").write_bytes(data)
    (tmp_path / "img.idx.gz").write_bytes(gzip.compress(data))
    (tmp_path / "misnamed.bin").write_bytes(gzip.compress(data))  # gzip found by content, not name
    for name in ("img.idx", "img.idx.gz", "misnamed.bin"):
        out = read_idx(tmp_path / name)
        assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
        np.testing.assert_array_equal(out, images)


def test_labels_file(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    data = idx_bytes(0x08, (5,), labels.tobytes())
    assert struct.unpack(">I", data[:4])[0] == 2049
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(data))
    np.testing.assert_array_equal(read_idx(path), labels)


@pytest.mark.parametrize("code,dtype,values", [
    (0x09, ">i1", [[-3, 100], [7, -7]]),
    (0x0B, ">i2", [[-3, 1000], [7, -30000]]),
    (0x0C, ">i4", [[-3, 1000], [7, -70000]]),
    (0x0D, ">f4", [[-1.5, 1e3], [3.25, -7e4]]),
    (0x0E, ">f8", [[-1.5, 1e3], [3.25, -7e-4]]),
])
def test_multibyte_types_are_big_endian(code, dtype, values):
    big_endian = np.array(values).astype(dtype)
    out = parse_idx(idx_bytes(code, (2, 2), big_endian.tobytes()))
    assert out.dtype.isnative and out.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(out, np.array(values).astype(out.dtype))
    assert out.flags.writeable
    # reading the same bytes as little-endian would give different numbers: the order matters
    assert not np.array_equal(np.frombuffer(big_endian.tobytes(), dtype=np.dtype(dtype).newbyteorder("<")),
                              out.ravel()) or np.dtype(dtype).itemsize == 1


def test_write_idx_round_trip(tmp_path):
    for array in (np.random.default_rng(0).integers(0, 256, (3, 5, 5)).astype(np.uint8),
                  np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32),
                  np.arange(6, dtype=np.int32)):
        for name in ("a.idx", "a.idx.gz"):
            write_idx(tmp_path / name, array)
            np.testing.assert_array_equal(read_idx(tmp_path / name), array)
    assert (tmp_path / "a.idx.gz").read_bytes()[:2] == b"\x1f\x8b"
    with pytest.raises(TypeError, match="cannot store dtype"):
        write_idx(tmp_path / "b.idx", np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("data,message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x02\x08\x01" + b"\x00" * 8, "two zero bytes"),
    (idx_bytes(0x07, (2,), b"\x00\x00"), "unknown IDX element type code 0x07"),
    (b"\x00\x00\x08\x00", "at least one dimension"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "announces 3 dimensions"),
    (idx_bytes(0x08, (2, 3), b"\x00" * 5), "truncated: shape \\(2, 3\\) of uint8 needs 6 data bytes"),
    (idx_bytes(0x08, (2,), b"\x00" * 3), "trailing bytes"),
    (idx_bytes(0x0C, (2,), b"\x00" * 6), "needs 8 data bytes"),
])
def test_malformed_files_are_rejected_clearly(data, message):
    with pytest.raises(IDXFormatError, match=message):
        parse_idx(data)


def test_corrupt_gzip_is_rejected(tmp_path):
    compressed = gzip.compress(idx_bytes(0x08, (100,), bytes(range(100))))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(IDXFormatError, match="gzip stream is corrupt or cut short"):
        read_idx(path)
    # a gzip file that decompresses to something that is not IDX names the file
    path.write_bytes(gzip.compress(b"hello world"))
    with pytest.raises(IDXFormatError, match="cut.gz: not an IDX file"):
        read_idx(path)
