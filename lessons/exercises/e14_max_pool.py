# Exercise 14, generated from tinynn/exercises/source/e14_max_pool.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e14_max_pool.py my_e14_max_pool.py
#     python -m tinynn.exercises check 14 my_e14_max_pool.py
"""Exercise 14: 2-d max pooling, forward and backward, in NumPy.

Max pooling keeps the largest value of each k x k window (stride s, no padding):

    y[n, c, i, j] = max_{0 <= a, e < k} x[n, c, i*s + a, j*s + e]
    x: (N, C, H, W) -> y: (N, C, Ho, Wo),   Ho = (H - k) // s + 1,  Wo = (W - k) // s + 1

(rows or columns that no whole window covers are dropped). The stride defaults to k, the
non-overlapping windows of the usual 2x2 pool.

Backward. y[n, c, i, j] depends on only one element of its window, the maximum, with slope 1; the
others could change a little without changing y. So the whole upstream gradient dy[n, c, i, j]
goes to the position of that window's maximum, and nothing to the rest of the window:

    dL/dx[n, c, h, w] = sum of dy[n, c, i, j] over the windows (i, j) whose maximum is at (h, w)

It is a SUM because with s < k windows overlap, and one element can be the maximum of several
windows. On ties (two equal maxima in a window) the gradient goes to the first one in row-major
order (smallest a, then smallest e), as in PyTorch and tinynn.

No loop over pixels: like im2col (exercise 13), loop over the k*k kernel offsets (a, e). For one
offset, the elements that all windows read are one strided slice:

    x[:, :, a : a + s*(Ho-1) + 1 : s, e : e + s*(Wo-1) + 1 : s]          (N, C, Ho, Wo)

Forward: the running maximum over the k*k slices (``np.maximum``). Backward: remember for every
window which offset q = a*k + e won (a strict ``>`` keeps the first maximum), then add
``dy * (winner == q)`` into the same slice of dx for each offset. This is how tinynn's own pooling
works (tinynn/ops/pool.py), and the grader compares with ``tinynn.nn.functional.max_pool2d`` (which
your code may not call).

You write ``max_pool2d`` and ``max_pool2d_backward`` (NumPy arrays in and out, keep the dtype).
"""
from __future__ import annotations

import numpy as np

LESSON = 8
FORBIDDEN = ["tinynn.nn.functional.max_pool2d", "tinynn.nn.functional.max_pool2d_with_indices",
             "tinynn.nn.MaxPool2d"]
PARTS = {"max_pool2d": ["max_pool2d", "max_pool2d_backward"]}


def max_pool2d(x: np.ndarray, kernel_size: int, stride: int | None = None) -> np.ndarray:
    """x: (N, C, H, W) -> y: (N, C, Ho, Wo), the maximum of each kernel_size x kernel_size window."""
    raise NotImplementedError("exercise 14: max_pool2d")


def max_pool2d_backward(dy: np.ndarray, x: np.ndarray, kernel_size: int, stride: int | None = None) -> np.ndarray:
    """dy: (N, C, Ho, Wo), x: (N, C, H, W) -> dL/dx: (N, C, H, W); each dy goes to its window's (first) maximum."""
    raise NotImplementedError("exercise 14: max_pool2d_backward")
