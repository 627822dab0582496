"""Convolution in 1, 2 or 3 spatial dims as im2col plus one matrix product, and the two ops that are its adjoints.

Shapes, written for 2-d (1-d drops H, 3-d adds a depth D in front of H; ``g`` groups, ``K = kh*kw``)::

    x: (N, C, H, W)    w: (O, C/g, kh, kw)    b: (O,)    y: (N, O, Ho, Wo)
    Ho = (H + pad_top + pad_bottom - dh*(kh - 1) - 1) // sh + 1          (Wo likewise)
    y[n, o, i, j] = b[o] + sum_{c, a, e} w[o, c, a, e] * xpad[n, c', i*sh + a*dh, j*sw + e*dw]

(c' runs over the C/g input channels of o's group). Every helper below loops over the spatial dims
rather than naming them, so one code path serves conv1d, conv2d and conv3d. Three raw-array steps:

* ``im2col``: copy x, padded, into a buffer laid out (C, Hp, Wp, N), the batch innermost. A strided
  *view* of it, ``windows[a, e, c, i, j, n] = xpad[c, i*sh + a*dh, j*sw + e*dw, n]``, reads every
  receptive field without copying; reshaping it to ``cols: (g, K*C/g, Ho*Wo*N)`` (rows in the order
  (kh, kw, c)) is the one copy. With the batch innermost each kernel offset's slice is made of long
  contiguous runs (Wo*N numbers at stride 1), which is what makes this copy and col2im's adds fast:
  NumPy pays per run, and the (N, C, H, W) order would give runs of only Wo. (At stride > 1 the runs
  are N numbers long, so a small batch with a strided conv is the one case this layout serves less well.)
* one matrix product for every output pixel: ``wmat @ cols`` with ``wmat: (g, O/g, K*C/g)``
  (the groups are the batch dimension of the product).
* ``col2im``, the adjoint of im2col: each of the K kernel offsets adds its slice of the
  columns back into a padded buffer, a loop over kernel offsets, never over pixels.

The backward pass. y is linear in x and in w, so with dy = dL/dy the number <conv(x, w), dy> is
trilinear in (x, w, dy), and the three ops here are its three partial derivatives::

    Convolution(x, w)     = y       = wmat @ cols
    ConvInputGrad(dy, w)  = dL/dx   = col2im(wmat^T @ dy_mat)
    ConvWeightGrad(x, dy) = dL/dw   = (cols @ dy_mat^T)^T          (dy_mat: (g, O/g, Ho*Wo*N))

Each op's backward is made of these same three ops, so a convolution can be differentiated any
number of times. ``ConvInputGrad`` *is* the transposed convolution (``F.conv_transpose2d``): its
weight is laid out (C_in_of_transpose = O, C_out/g = C/g, kh, kw), exactly PyTorch's layout.
"""
from __future__ import annotations

import itertools
import math
from typing import NamedTuple

from ..autograd.function import Op
from ..backend import array_module_of


class ConvGeometry(NamedTuple):
    """Where the windows sit, one entry per spatial dim: ``padding`` is ((before, after), ...), possibly uneven."""

    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int


def conv_output_size(in_size: tuple, kernel: tuple, geo: ConvGeometry) -> tuple:
    """(Ho, Wo) for an input of spatial size ``in_size`` (may be < 1 when the kernel doesn't fit)."""
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, (lo, hi), s, d in zip(in_size, kernel, geo.padding, geo.stride, geo.dilation))


def _inside(size: tuple, padding: tuple) -> tuple:
    """The slices of a padded buffer's spatial dims that hold the unpadded input."""
    return tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, padding))


def padded_batch_last(x, geo: ConvGeometry):
    """x: (N, C, *S) -> zero-padded (C, *S_padded, N), the layout im2col reads."""
    xp = array_module_of(x)
    n, c, *size = x.shape
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, geo.padding))
    xpad = xp.zeros((c,) + padded + (n,), dtype=x.dtype)
    xpad[(slice(None),) + _inside(size, geo.padding)] = x.transpose(1, *range(2, x.ndim), 0)
    return xpad


def window_view(xpad, kernel: tuple, out_size: tuple, geo: ConvGeometry):
    """The strided view windows[g, a, e, c, i, j, n] = xpad[g*C/g + c, i*sh + a*dh, j*sw + e*dw, n].

    xpad: (C, Hp, Wp, N) -> (g, kh, kw, C/g, Ho, Wo, N), no copy (any number of spatial dims). The
    array module's own ``as_strided`` (NumPy's or CuPy's) builds it: the one place tinynn sets
    strides by hand.
    """
    xp = array_module_of(xpad)
    g, c, n = geo.groups, xpad.shape[0], xpad.shape[-1]
    s_c, *s_space, s_n = xpad.strides
    shape = (g,) + tuple(kernel) + (c // g,) + tuple(out_size) + (n,)
    strides = ((s_c * (c // g),) + tuple(s * d for s, d in zip(s_space, geo.dilation)) + (s_c,)
               + tuple(s * t for s, t in zip(s_space, geo.stride)) + (s_n,))
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)   # read only: never written through


def im2col(x, kernel: tuple, geo: ConvGeometry, out_size: tuple):
    """x: (N, C, H, W) -> cols: (g, kh*kw*C/g, Ho*Wo*N), rows in the order (kh, kw, c)."""
    windows = window_view(padded_batch_last(x, geo), kernel, out_size, geo)
    g, cg, n = geo.groups, x.shape[1] // geo.groups, x.shape[0]
    return windows.reshape(g, math.prod(kernel) * cg, math.prod(out_size) * n)


def col2im(cols, input_shape: tuple, kernel: tuple, geo: ConvGeometry, out_size: tuple):
    """The adjoint of im2col: cols (g, kh*kw*C/g, Ho*Wo*N) -> x-shaped (N, C, H, W) sums."""
    xp = array_module_of(cols)
    n, c, *size = input_shape
    g, kernel, out_size = geo.groups, tuple(kernel), tuple(out_size)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, geo.padding))
    cols = cols.reshape((g,) + kernel + (c // g,) + out_size + (n,))
    buffer = xp.zeros((g, c // g) + padded + (n,), dtype=cols.dtype)
    per_axis = [[slice(a * d, a * d + s * (m - 1) + 1, s) for a in range(k)]   # offset a of one axis
                for k, d, s, m in zip(kernel, geo.dilation, geo.stride, out_size)]
    offsets = itertools.product(*(range(k) for k in kernel))
    for offset, reads in zip(offsets, itertools.product(*per_axis)):   # K strided slice-adds, one per offset
        buffer[(slice(None), slice(None)) + reads] += cols[(slice(None),) + offset]
    inside = buffer.reshape((c,) + padded + (n,))[(slice(None),) + _inside(size, geo.padding)]  # drop the padding
    return xp.ascontiguousarray(inside.transpose(len(size) + 1, *range(len(size) + 1)))


def weight_matrix(w, groups: int):
    """w: (O, C/g, kh, kw) -> (g, O/g, kh*kw*C/g), columns in im2col's row order."""
    o, cg, *kernel = w.shape
    w = w.reshape((groups, o // groups, cg) + tuple(kernel)).transpose(0, 1, *range(3, w.ndim + 1), 2)
    return w.reshape(groups, o // groups, math.prod(kernel) * cg)


def weight_from_matrix(wmat_t, weight_shape: tuple):
    """(g, kh*kw*C/g, O/g), the transpose of ``weight_matrix``'s layout -> (O, C/g, kh, kw)."""
    o, cg, *kernel = weight_shape
    g, d = wmat_t.shape[0], len(kernel)
    w = wmat_t.reshape((g,) + tuple(kernel) + (cg, o // g)).transpose(0, d + 2, d + 1, *range(1, d + 1))
    return w.reshape(weight_shape)


def output_to_matrix(y, groups: int):
    """y: (N, O, Ho, Wo) -> (g, O/g, Ho*Wo*N), the layout of ``wmat @ cols``."""
    o = y.shape[1]
    y = array_module_of(y).ascontiguousarray(y.transpose(1, *range(2, y.ndim), 0))
    return y.reshape(groups, o // groups, -1)


def matrix_to_output(ymat, n: int, out_size: tuple):
    """The inverse of ``output_to_matrix``: (g, O/g, Ho*Wo*N) -> contiguous (N, O, Ho, Wo)."""
    g, og, _ = ymat.shape
    d = len(out_size)
    y = ymat.reshape((g * og,) + tuple(out_size) + (n,)).transpose(d + 1, *range(d + 1))
    return array_module_of(ymat).ascontiguousarray(y)


def _add_bias(y, b):
    if b is not None:
        y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y


def _bias_grad(grad):
    """dL/db[o] = sum over n and every spatial position of dy[n, o, ...]."""
    n, o = grad.shape[:2]
    return grad.reshape(n, o, -1).sum(dim=2).sum(dim=0)


# ---------------------------------------------------------------------------- the three ops
class Convolution(Op):
    """y = conv(x, w) + b  (x: (N, C, H, W), w: (O, C/g, kh, kw), y: (N, O, Ho, Wo)).

    dL/dx = ConvInputGrad(dy, w),  dL/dw = ConvWeightGrad(x, dy),  dL/db = dy summed over (n, i, j).
    ``out_size`` may ask for fewer output rows/columns than fit (the transposed conv's adjoint).
    """

    @staticmethod
    def forward(ctx, x, w, b, geometry, out_size=None):
        kernel = w.shape[2:]
        out_size = out_size or conv_output_size(x.shape[2:], kernel, geometry)
        cols = im2col(x, kernel, geometry, out_size)
        xp = array_module_of(x)
        y = matrix_to_output(xp.matmul(weight_matrix(w, geometry.groups), cols), x.shape[0], out_size)
        ctx.geometry = geometry
        ctx.cols = cols if ctx.needs_input_grad[1:2] == (True,) else None  # for the weight gradient
        ctx.save_for_backward(x, w)
        return _add_bias(y, b)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        cols, ctx.cols = ctx.cols, None     # reuse the columns once; free them after
        grad_x = ConvInputGrad.apply(grad, w, None, ctx.geometry, x.shape[2:]) if need_x else None
        grad_w = ConvWeightGrad.apply(x, grad, ctx.geometry, w.shape[2:], cols) if need_w else None
        grad_b = _bias_grad(grad) if need_b else None
        return grad_x, grad_w, grad_b


class ConvInputGrad(Op):
    """dx = col2im(wmat^T @ dy_mat) + b: the gradient of conv w.r.t. its input, i.e. the transposed conv.

    dy: (N, O, Ho, Wo), w: (O, C/g, kh, kw) -> dx: (N, C, *in_size). For an upstream gradient G of
    dx's shape:  d/d(dy) = Convolution(G, w),  d/dw = ConvWeightGrad(G, dy),  d/db = G summed.
    """

    @staticmethod
    def forward(ctx, dy, w, b, geometry, in_size):
        g, kernel = geometry.groups, w.shape[2:]
        shape = (dy.shape[0], w.shape[1] * g) + tuple(in_size)
        xp = array_module_of(dy)
        dcols = xp.matmul(weight_matrix(w, g).transpose(0, 2, 1), output_to_matrix(dy, g))
        ctx.geometry = geometry
        ctx.save_for_backward(dy, w)
        return _add_bias(col2im(dcols, shape, kernel, geometry, dy.shape[2:]), b)

    @staticmethod
    def backward(ctx, grad):
        dy, w = ctx.saved_tensors
        need_dy, need_w, need_b = ctx.needs_input_grad[:3]
        grad_dy = Convolution.apply(grad, w, None, ctx.geometry, tuple(dy.shape[2:])) if need_dy else None
        grad_w = ConvWeightGrad.apply(grad, dy, ctx.geometry, w.shape[2:]) if need_w else None
        grad_b = _bias_grad(grad) if need_b else None
        return grad_dy, grad_w, grad_b


class ConvWeightGrad(Op):
    """dw = (cols(x) @ dy_mat^T)^T: the gradient of conv w.r.t. its weight.

    x: (N, C, H, W), dy: (N, O, Ho, Wo) -> dw: (O, C/g, kh, kw). For an upstream gradient G of
    w's shape:  d/dx = ConvInputGrad(dy, G),  d/d(dy) = Convolution(x, G).
    ``cols``, when given, are im2col(x) already computed by the forward pass.
    """

    @staticmethod
    def forward(ctx, x, dy, geometry, kernel, cols=None):
        g, out_size = geometry.groups, dy.shape[2:]
        if cols is None:
            cols = im2col(x, kernel, geometry, out_size)
        xp = array_module_of(x)
        wmat_t = xp.matmul(cols, output_to_matrix(dy, g).transpose(0, 2, 1))
        ctx.geometry = geometry
        ctx.save_for_backward(x, dy)
        return weight_from_matrix(wmat_t, (dy.shape[1], x.shape[1] // g) + tuple(kernel))

    @staticmethod
    def backward(ctx, grad):
        x, dy = ctx.saved_tensors
        need_x, need_dy = ctx.needs_input_grad[:2]
        grad_x = ConvInputGrad.apply(dy, grad, None, ctx.geometry, x.shape[2:]) if need_x else None
        grad_dy = Convolution.apply(x, grad, None, ctx.geometry, tuple(dy.shape[2:])) if need_dy else None
        return grad_x, grad_dy
