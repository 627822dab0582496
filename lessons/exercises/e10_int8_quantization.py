# Exercise 10, generated from tinynn/exercises/source/e10_int8_quantization.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e10_int8_quantization.py my_e10_int8_quantization.py
#     python -m tinynn.exercises check 10 my_e10_int8_quantization.py
"""Exercise 10: int8 quantization and dequantization, symmetric absmax, per tensor and per row, in NumPy.

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

You write ``quantize`` (with a given scale, which may be smaller than absmax: then clamp matters),
``dequantize``, ``quantize_per_tensor`` and ``quantize_per_row``. Scales are NumPy arrays of the
weight's dtype: shape () per tensor, (rows, 1) per row. Codes are int8 arrays of w's shape.
The grader also checks that your per-tensor and per-row results equal the library's
``tinynn.quant.quantize(w, "int8", block_size=w.size)`` and ``block_size=cols``.
"""
from __future__ import annotations

import numpy as np


def quantize(w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """q = clamp(round(w / scale), -127, 127) as int8.  w: any shape; scale broadcasts against w."""
    raise NotImplementedError("exercise 10: quantize")


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """w_hat = q * scale, in the scale's dtype.  q: int8, any shape; scale broadcasts against q."""
    raise NotImplementedError("exercise 10: dequantize")


def quantize_per_tensor(w: np.ndarray) -> tuple:
    """(q: int8 like w, scale: 0-d array of w's dtype) with scale = max|w| / 127 (1.0 if w is all zero)."""
    raise NotImplementedError("exercise 10: quantize_per_tensor")


def quantize_per_row(w: np.ndarray) -> tuple:
    """w: (rows, cols) -> (q: int8 (rows, cols), scales: (rows, 1) of w's dtype), one absmax scale per row."""
    raise NotImplementedError("exercise 10: quantize_per_row")
