"""Two 4-bit codes in one byte: how 4-bit quantization really halves the memory of int8.

NumPy (and CuPy) have no 4-bit type: the smallest element is a byte. A 4-bit code stored as a
uint8 takes a full byte, so it saves nothing over int8. Packing puts two codes in each byte:

    byte = (first << 4) | second          first in the high nibble, second in the low (as bitsandbytes)
    first = byte >> 4,  second = byte & 0b1111

so n codes take n / 2 bytes. Unpacking is two shifts and an interleave, cheap next to a matmul.
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor

__all__ = ["pack_4bit", "unpack_4bit"]


def pack_4bit_array(codes):
    """Raw-array version of ``pack_4bit``: codes (n,) uint8 in 0..15, n even -> (n // 2,) uint8."""
    pairs = codes.reshape(-1, 2)
    return (pairs[:, 0] << 4) | pairs[:, 1]


def unpack_4bit_array(packed):
    """Raw-array version of ``unpack_4bit``: (m,) uint8 -> (2m,) uint8 codes in 0..15."""
    xp = array_module_of(packed)
    codes = xp.empty((packed.shape[0], 2), dtype=xp.uint8)
    codes[:, 0] = packed >> 4
    codes[:, 1] = packed & 0x0F
    return codes.reshape(-1)


def _as_array(value, where: str):
    if isinstance(value, Tensor):
        return value._data, True
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return value, False
    raise TypeError(f"{where}: expected a Tensor or an array of uint8 codes, got {type(value).__name__}")


def pack_4bit(codes):
    """Pack 4-bit codes two per byte.  codes: (n,) integers in 0..15, n even -> (n // 2,) uint8.

    Accepts and returns a Tensor (or a NumPy/CuPy array, returning the same kind). The input is
    flattened. Raises for codes outside 0..15 or an odd count (pad with a zero code first).
    """
    array, is_tensor = _as_array(codes, "pack_4bit")
    if array.dtype.kind not in "ui":
        raise TypeError(f"pack_4bit: expected integer codes (uint8), got dtype {array.dtype}")
    array = array.reshape(-1)
    if array.shape[0] % 2:
        raise ValueError(f"pack_4bit: expected an even number of codes (two per byte), got {array.shape[0]}")
    if array.size and (int(array.min()) < 0 or int(array.max()) > 15):
        raise ValueError(f"pack_4bit: codes must lie in 0..15, got values in "
                         f"{int(array.min())}..{int(array.max())}")
    packed = pack_4bit_array(array.astype(np.uint8))
    return Tensor._make(packed) if is_tensor else packed


def unpack_4bit(packed, n: int | None = None):
    """Unpack bytes into 4-bit codes.  packed: (m,) uint8 -> (2m,) uint8 in 0..15, or the first n.

    Accepts and returns a Tensor (or an array, returning the same kind).
    """
    array, is_tensor = _as_array(packed, "unpack_4bit")
    if array.dtype != np.uint8:
        raise TypeError(f"unpack_4bit: expected packed uint8 bytes, got dtype {array.dtype}")
    codes = unpack_4bit_array(array.reshape(-1))
    if n is not None:
        if not 0 <= n <= codes.shape[0]:
            raise ValueError(f"unpack_4bit: n must lie in 0..{codes.shape[0]} (two codes per byte), got {n}")
        codes = codes[:n]
    return Tensor._make(codes) if is_tensor else codes
