# Exercise 13, generated from tinynn/exercises/source/e13_conv_im2col.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e13_conv_im2col.py my_e13_conv_im2col.py
#     python -m tinynn.exercises check 13 my_e13_conv_im2col.py
"""Exercise 13: 2-d convolution as im2col plus one matrix product, forward and backward, in NumPy.

A convolution slides each of O filters w[o]: (C, kh, kw) over the zero-padded input and takes a
dot product at every position (stride s, padding p, the same for height and width):

    y[n, o, i, j] = b[o] + sum_{c, a, e} w[o, c, a, e] * xpad[n, c, i*s + a, j*s + e]
    x: (N, C, H, W)   w: (O, C, kh, kw)   b: (O,)   y: (N, O, Ho, Wo)
    Ho = (H + 2p - kh) // s + 1,   Wo = (W + 2p - kw) // s + 1      (``output_size`` below)

Looping over n, o, i, j in Python is hopelessly slow. im2col copies every receptive field into one
column of a matrix, and then all the dot products are ONE matrix product:

    cols[(a, e, c), (i, j, n)] = xpad[n, c, i*s + a, j*s + e]       cols: (kh*kw*C, Ho*Wo*N)
    y_mat = w_mat @ cols                                            w_mat: (O, kh*kw*C)

Row and column order matter, and this exercise uses tinynn's (tinynn/ops/conv.py): rows ordered
(a, e, c), i.e. row index (a*kw + e)*C + c, and columns ordered (i, j, n), i.e. column index
(i*Wo + j)*N + n, batch innermost. Then for one kernel offset (a, e), the rows (a, e, :) of cols
are a strided slice of xpad laid out (C, Hp, Wp, N):

    cols[a, e] = xpad_cnhw[:, a : a + s*(Ho-1) + 1 : s, e : e + s*(Wo-1) + 1 : s, :]   (C, Ho, Wo, N)

so im2col is a loop over the kh*kw kernel offsets, never over pixels. (This layout gives long
contiguous runs, which is why tinynn uses it; see PERFORMANCE.md.) w_mat must list its columns in
the same (a, e, c) order: ``w.transpose(0, 2, 3, 1).reshape(O, -1)``.

Backward, with dy = dL/dy (N, O, Ho, Wo) laid out as dy_mat: (O, Ho*Wo*N) like y_mat:

    dL/dw_mat = dy_mat @ cols^T                 (O, kh*kw*C)  -> back to (O, C, kh, kw)
    dL/dcols  = w_mat^T @ dy_mat                (kh*kw*C, Ho*Wo*N)
    dL/dx     = col2im(dL/dcols)                each column's numbers are ADDED back where im2col
                                                read them (windows overlap), padding dropped
    dL/db     = dy summed over n, i, j          (O,)

col2im is the adjoint (the transpose) of im2col: <im2col(x), g> = <x, col2im(g)> for all x, g,
which is what the grader checks, by finite differences.

You write ``im2col``, ``col2im``, ``conv2d_forward`` and ``conv2d_backward`` (NumPy arrays in and
out, any float dtype). The grader compares them with the library's ``tinynn.ops.conv.im2col`` /
``col2im`` and ``tinynn.nn.functional.conv2d`` (values and gradients); calling those (or ``nn.Conv2d``,
``F.unfold``, ``F.fold``) from your code fails the check.
"""
from __future__ import annotations

import numpy as np

LESSON = 8
FORBIDDEN = ["tinynn.nn.functional.conv2d", "tinynn.nn.Conv2d", "tinynn.ops.conv.im2col", "tinynn.ops.conv.col2im",
             "tinynn.nn.functional.unfold", "tinynn.nn.functional.fold"]
PARTS = {"conv2d": ["conv2d_forward", "conv2d_backward"]}


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """The number of window positions along one axis (given: nothing to write here)."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """x: (N, C, H, W) -> cols: (kh*kw*C, Ho*Wo*N), rows ordered (a, e, c), columns (i, j, n)."""
    raise NotImplementedError("exercise 13: im2col")


def col2im(cols: np.ndarray, x_shape: tuple, kh: int, kw: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The adjoint of im2col.  cols: (kh*kw*C, Ho*Wo*N) -> (N, C, H, W) = x_shape, overlaps summed."""
    raise NotImplementedError("exercise 13: col2im")


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                   stride: int = 1, padding: int = 0) -> np.ndarray:
    """y = conv(x, weight) + bias.  x: (N, C, H, W), weight: (O, C, kh, kw), bias: (O,) or None -> (N, O, Ho, Wo)."""
    raise NotImplementedError("exercise 13: conv2d_forward")


def conv2d_backward(dy: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: int = 1,
                    padding: int = 0) -> tuple:
    """dy: (N, O, Ho, Wo) -> (dL/dx: (N, C, H, W), dL/dweight: (O, C, kh, kw), dL/dbias: (O,))."""
    raise NotImplementedError("exercise 13: conv2d_backward")
