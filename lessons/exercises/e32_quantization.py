# Exercise 32, generated from tinynn/exercises/source/e32_quantization.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e32_quantization.py my_e32_quantization.py
#     python -m tinynn.exercises check 32 my_e32_quantization.py
"""Exercise 32: quantization in NumPy: int8 absmax per tensor and per row, then NF4 block quantization.

A float32 weight takes 4 bytes; an int8 code takes 1. Symmetric quantization stores each weight w
as a small integer q and one float scale s shared by many weights:

    q = clamp(round(w / s), -127, 127)   as int8          (quantize)
    w ~ q * s                                            (dequantize)

The scale decides the trade-off. "absmax" picks the smallest scale at which nothing is clipped:
the largest |w| maps to 127,

    s = max |w| / 127

so every w lands in [-127, 127] and the rounding error is at most s / 2 per weight. We use
-127..127 (not -128) so that the grid is symmetric around zero and 0 is exactly representable.
Rounding is to the nearest integer (``np.round``: exact halves go to the even neighbour, which the
grader avoids depending on); floor or a plain cast (``astype(np.int8)`` truncates towards zero)
would make the error up to a whole s, and biased. An all-zero tensor or row has max |w| = 0: give it
the scale 1.0 (any positive scale works, since all its codes are 0) to avoid dividing by zero.

Per tensor, one scale for the whole matrix; a single large weight then makes the grid coarse for
all the others. Per row (per output channel of a Linear's weight (out, in)), each row gets its own
scale, s: (rows, 1), which broadcasts against w: (rows, cols); much smaller errors for a little
more storage.

**NF4, 4-bit NormalFloat** (Dettmers et al., QLoRA, 2023). With 4 bits there are only 16 codes.
Evenly spaced levels (int4) waste them: trained weights are roughly normal, crowded near 0 and
rare in the tails. NF4 places its 16 levels at quantiles of the standard normal N(0, 1), so that
each level is used about equally often, then scales them into [-1, 1]:

    offset = 1 - (1/30 + 1/32) / 2 ~ 0.9677           (the quantile of probability 1 is infinite)
    positive:  Phi^-1(p) for the first 8 of the 9 points p = linspace(offset, 1/2, 9)
    negative: -Phi^-1(p) for the first 7 of the 8 points p = linspace(offset, 1/2, 8)
    levels = sorted(positive + negative + [0]) / Phi^-1(offset)       16 levels, -1 .. 1

(Phi^-1 is the inverse of the normal CDF: ``statistics.NormalDist().inv_cdf(p)``. The point 1/2,
whose quantile is 0, is left out of both sides, and one exact 0 is added: 8 + 7 + 1 = 16, with
zero exactly representable.) The first levels are -1, -0.696, -0.525, ... and the last 0.723, 1.

Block quantization: flatten w, pad it with zeros to a multiple of ``block_size`` and cut it into
blocks, (n_blocks, block_size). Each block gets its own absmax scale s = max|w| of the block (1.0
for an all-zero block), so w / s lies in [-1, 1]; the code of each weight is the index (0..15) of
the NEAREST level to w / s, and the weight comes back as levels[code] * s:

    codes[b, j] = argmin_l |w[b, j] / s[b] - levels[l]|    as uint8    codes: (n_blocks, block_size)
    w_hat = (levels[codes] * s[:, None]).flatten()[:w.size].reshape(w.shape)

Worked example with block_size 4: w = [0.5, -2, 0, 1] -> s = 2, w / s = [0.25, -1, 0, 0.5] ->
nearest levels 0.246, -1, 0, 0.441 -> codes [10, 0, 7, 12] -> w_hat = [0.492, -2, 0, 0.881].
One large weight now coarsens only its own block of 64 (QLoRA's block size), not the whole tensor.
(A real format packs two 4-bit codes per byte; here one uint8 per code keeps it simple.)

You write ``quantize`` (with a given scale, which may be smaller than absmax: then clamp matters),
``dequantize``, ``quantize_per_tensor`` and ``quantize_per_row``. Scales are NumPy arrays of the
weight's dtype: shape () per tensor, (rows, 1) per row. Codes are int8 arrays of w's shape.
Then ``nf4_levels``, ``nf4_quantize`` and ``nf4_dequantize``: NF4 scales are (n_blocks,) arrays of
w's dtype, codes uint8 (n_blocks, block_size), and the dequantized weight has the scales' dtype.
The grader also checks that your results equal the library's ``tinynn.quant.quantize(w, "int8",
block_size=w.size)`` and ``block_size=cols`` (int8), and ``tinynn.quant.quantize(w, "nf4",
block_size)`` (NF4); calling the library's quantize, dequantize or nf4_levels from your code fails
the check.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

LESSON = 21
FORBIDDEN = ["tinynn.quant.quantize", "tinynn.quant.dequantize", "tinynn.quant.nf4_levels",
             "tinynn.quant.QuantizedTensor.dequantize"]
PARTS = {"quantize": ["quantize_per_row", "dequantize", "nf4_quantize", "nf4_dequantize"]}

NF4_OFFSET = 1 - 0.5 * (1 / 30 + 1 / 32)


def quantize(w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """q = clamp(round(w / scale), -127, 127) as int8.  w: any shape; scale broadcasts against w."""
    raise NotImplementedError("exercise 32: quantize")


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """w_hat = q * scale, in the scale's dtype.  q: int8, any shape; scale broadcasts against q."""
    raise NotImplementedError("exercise 32: dequantize")


def quantize_per_tensor(w: np.ndarray) -> tuple:
    """(q: int8 like w, scale: 0-d array of w's dtype) with scale = max|w| / 127 (1.0 if w is all zero)."""
    raise NotImplementedError("exercise 32: quantize_per_tensor")


def quantize_per_row(w: np.ndarray) -> tuple:
    """w: (rows, cols) -> (q: int8 (rows, cols), scales: (rows, 1) of w's dtype), one absmax scale per row."""
    raise NotImplementedError("exercise 32: quantize_per_row")


def nf4_levels() -> np.ndarray:
    """The 16 NF4 levels, ascending, from -1 to 1 with an exact 0: (16,) float64."""
    raise NotImplementedError("exercise 32: nf4_levels")


def nf4_quantize(w: np.ndarray, block_size: int = 64) -> tuple:
    """w: any shape -> (codes: uint8 (n_blocks, block_size), scales: (n_blocks,) of w's dtype), absmax per block."""
    raise NotImplementedError("exercise 32: nf4_quantize")


def nf4_dequantize(codes: np.ndarray, scales: np.ndarray, shape: tuple) -> np.ndarray:
    """codes: uint8 (n_blocks, block_size), scales: (n_blocks,) -> w_hat of ``shape``, in the scales' dtype."""
    raise NotImplementedError("exercise 32: nf4_dequantize")
