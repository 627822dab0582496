"""The number formats: which values a code can stand for, and how a block's scale is chosen.

Every format here stores a weight w as a small integer *code* plus a per-block float *scale*
(and, for the asymmetric format, a per-block *zero point*). A block is ``block_size``
consecutive weights of the flattened tensor.

    format      code range    bits  scale of a block            dequantized value
    "int8"      -127..127      8    s = max|w| / 127            w ~ q * s
    "int8_asym"  0..255        8    s = (max - min) / 255       w ~ (q - z) * s,  z = round(-min / s)
    "int4"      -7..7          4    s = max|w| / 7              w ~ q * s
    "nf4"       0..15 (index)  4    s = max|w|                  w ~ NF4[q] * s

int4 uses the symmetric range -7..7 (not -8..7): the grid is then symmetric around zero, zero is
exact, and the largest |w| of a block maps to +7 or -7 alike. The 16th code (-8) is never produced.
That costs one of the 16 levels, which is part of why NF4 (which uses all 16) wins.

NF4, "4-bit NormalFloat" (Dettmers et al., QLoRA, 2023): pretrained weights are roughly normal, so
rather than spacing 16 levels evenly, put them at quantiles of N(0, 1), so that each level is
used about equally often. The construction (``nf4_levels``): 8 positive levels at the quantiles
of probabilities evenly spaced from ``offset`` down to 1/2, 7 negative ones the same way, and an
exact zero; then divide by the largest so the levels span [-1, 1]. ``offset`` = 1 - (1/30 + 1/32)/2
~ 0.9677 keeps the outermost quantile finite (the quantile of probability 1 is infinite).
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

__all__ = ["FORMATS", "NF4_LEVELS", "NF4_PUBLISHED", "bits_of", "check_block_size", "check_format",
           "nf4_levels", "int4_levels"]

FORMATS = ("int8", "int8_asym", "int4", "nf4")

# The table printed in the QLoRA paper (appendix E) and used by bitsandbytes, for checking our
# derivation (tests/quant/test_formats.py): nf4_levels() agrees with it to about 1e-7.
NF4_PUBLISHED = (-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                 -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0)

NF4_OFFSET = 1 - 0.5 * (1 / 30 + 1 / 32)


def nf4_levels(offset: float = NF4_OFFSET) -> np.ndarray:
    """The 16 NF4 levels in [-1, 1], ascending (float64), derived from normal quantiles.

    positive:  Phi^-1(p) for p in linspace(offset, 1/2, 9) without its last point (1/2 -> 0)
    negative: -Phi^-1(p) for p in linspace(offset, 1/2, 8) without its last point
    plus 0, all divided by the largest, Phi^-1(offset). The asymmetry (8 positive, 7 negative)
    is what lets 16 levels include an exact zero.
    """
    if not 0.5 < offset < 1:
        raise ValueError(f"nf4_levels: offset must lie in (0.5, 1), got {offset}")
    quantile = NormalDist().inv_cdf
    positive = [quantile(p) for p in np.linspace(offset, 0.5, 9)[:-1]]
    negative = [-quantile(p) for p in np.linspace(offset, 0.5, 8)[:-1]]
    levels = np.sort(np.array(positive + negative + [0.0]))
    return levels / levels.max()


def int4_levels() -> np.ndarray:
    """What each 4-bit int4 code stands for: code c (0..15) is the integer c - 8 (float64).

    Quantization only produces codes 1..15 (integers -7..7); code 0 (-8) exists but stays unused.
    """
    return np.arange(-8, 8, dtype=np.float64)


NF4_LEVELS = nf4_levels()

# For each 4-bit format, the value of each code (index 0..15), before multiplying by the scale.
LEVELS_4BIT = {"int4": int4_levels(), "nf4": NF4_LEVELS}


def check_format(format: str, where: str = "quantize") -> str:
    if format not in FORMATS:
        raise ValueError(f"{where}: unknown format {format!r}; expected one of {', '.join(map(repr, FORMATS))}")
    return format


def check_block_size(block_size, format: str, where: str = "quantize") -> int:
    """A positive int; even for the 4-bit formats (two codes share a byte, blocks must fill bytes)."""
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"{where}: block_size must be a positive integer (e.g. 64), got {block_size!r}")
    if bits_of(format) == 4 and block_size % 2:
        raise ValueError(f"{where}: format {format!r} packs two 4-bit codes per byte, so block_size must be "
                         f"even, got {block_size}")
    return int(block_size)


def bits_of(format: str) -> int:
    """Bits per code: 8 or 4."""
    return 4 if format in ("int4", "nf4") else 8
