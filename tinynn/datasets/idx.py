"""The IDX file format (MNIST's): an n-dimensional array with a tiny big-endian header.

Layout of an IDX file (all multi-byte numbers big-endian, "most significant byte first"):

    bytes 0-1   0x00 0x00
    byte  2     the element type:  0x08 uint8   0x09 int8    0x0B int16
                                   0x0C int32   0x0D float32 0x0E float64
    byte  3     the number of dimensions, d
    next 4*d    the size of each dimension, one unsigned 32-bit integer each
    the rest    the elements, in C order (last index fastest), each big-endian

So MNIST's image file starts 00 00 08 03 | 00 00 EA 60 | 00 00 00 1C | 00 00 00 1C: uint8, three
dimensions, 60000 x 28 x 28. Its first four bytes read as one integer give the "magic number"
2051 (0x0803); the label file's is 2049 (0x0801, one dimension).

Files are often gzip-compressed (``.gz``); ``read_idx`` recognises gzip by its first two bytes
(0x1F 0x8B), whatever the file is called.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

__all__ = ["IDXFormatError", "parse_idx", "read_idx", "write_idx", "IDX_DTYPES"]

# type code -> element type; ">" marks big-endian
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """The bytes are not a well-formed IDX file."""


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a NumPy array in native byte order.

    Raises ``IDXFormatError`` saying what is wrong: a bad magic number, an unknown type code, a
    header cut short, or a payload whose length does not match the dimensions.
    """
    if len(data) < 4:
        raise IDXFormatError(f"{name}: {len(data)} bytes is too short for an IDX header (4 bytes at least)")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise IDXFormatError(
            f"{name}: not an IDX file: the magic number must start with two zero bytes, got "
            f"0x{zero0:02X} 0x{zero1:02X} (is it still compressed, or a different format?)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({t.name})" for c, t in IDX_DTYPES.items())
        raise IDXFormatError(f"{name}: unknown IDX element type code 0x{code:02X}; expected one of {known}")
    if ndim == 0:
        raise IDXFormatError(f"{name}: an IDX file needs at least one dimension, the header says 0")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{name}: the header announces {ndim} dimensions ({header_size} header bytes) but the file "
            f"has only {len(data)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header_size
    if got != expected:
        problem = "truncated" if got < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{name}: {problem}: shape {tuple(shape)} of {dtype.name} needs {expected} data bytes after "
            f"the {header_size}-byte header, found {got}"
        )
    array = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header_size)
    return array.reshape(shape).astype(dtype.newbyteorder("="))  # a native-endian, writable copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed or not, into a NumPy array (see ``parse_idx``)."""
    with open(path, "rb") as f:
        data = f.read()
    name = os.fspath(path)
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXFormatError(f"{name}: the gzip stream is corrupt or cut short ({error})") from None
    return parse_idx(data, name)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: path ends in .gz)."""
    array = np.asarray(array)
    codes = {t.newbyteorder("="): c for c, t in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}; use one of "
                        f"{', '.join(t.name for t in IDX_DTYPES.values())}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: IDX stores 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[native]]).tobytes()
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(payload, mtime=0) if compress else payload)
