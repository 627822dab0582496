"""bfloat16 by emulation: float32 values rounded to the precision bfloat16 can hold.

A float32 is 1 sign bit, 8 exponent bits and 23 mantissa bits. bfloat16 ("brain float") keeps the
sign and all 8 exponent bits and only the top 7 mantissa bits: it is the top half of a float32.
So it has float32's *range* (up to 3.4e38, down to 1.2e-38: no loss scaling needed) with only
about 2-3 significant decimal digits (eps = 2^-7 = 0.0078). float16 makes the other trade: 5
exponent bits (max 65504, smallest normal 6.1e-5) and 10 mantissa bits (eps = 2^-10 = 0.00098).

NumPy has no bfloat16 dtype, but rounding is all a cast does, and it can be done on the bits:
round-to-nearest-even on the 16 bits that are dropped,

    bits = float32 bits as uint32
    bits += 0x7FFF + ((bits >> 16) & 1)     # add just under half an ulp; ties go to the even one
    bits &= 0xFFFF0000                       # keep the top 16 bits

Infinities survive unchanged (their low bits are zero), values beyond bfloat16's maximum round
to inf, and NaN becomes the quiet NaN 0x7FC0 (PyTorch's scalar conversion gives the same; its
vectorized CPU one writes 0xFFFF: another NaN). Every other value matches PyTorch bit for bit.
"""
from __future__ import annotations

from typing import NamedTuple

from ..ops.bfloat16 import RoundToBFloat16
from ..tensor import Tensor

__all__ = ["bfloat16_finfo", "round_to_bfloat16"]


class _BFloat16Info(NamedTuple):
    """``torch.finfo(torch.bfloat16)``'s fields."""

    bits: int
    eps: float               # 2^-7: the gap between 1 and the next bfloat16
    max: float               # (2 - 2^-7) * 2^127
    min: float
    tiny: float              # 2^-126, the smallest normal number (float32's)
    smallest_normal: float
    resolution: float        # 10^-2: about two decimal digits
    dtype: str


bfloat16_finfo = _BFloat16Info(
    bits=16, eps=2.0**-7, max=(2 - 2.0**-7) * 2.0**127, min=-(2 - 2.0**-7) * 2.0**127,
    tiny=2.0**-126, smallest_normal=2.0**-126, resolution=0.01, dtype="bfloat16",
)


def round_to_bfloat16(x: Tensor) -> Tensor:
    """x's values rounded to the nearest bfloat16 (ties to even), kept in x's dtype.

    Bit for bit what ``x.to(torch.bfloat16).to(x.dtype)`` gives in PyTorch (NaNs stay NaN).
    x: any shape, floating.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"round_to_bfloat16: expected a Tensor, got {type(x).__name__}")
    return RoundToBFloat16.apply(x)
