"""Pooling as functions: max/avg pools, adaptive pools and max-unpooling in 1, 2 and 3 dims (PyTorch's signatures).

The window arithmetic lives in ``tinynn/ops/pool.py`` (loops over kernel offsets); this file works
out each window's place from PyTorch's arguments:

    out = floor((L + 2p - d*(k - 1) - 1) / s) + 1    (ceil instead with ceil_mode, except that a
                                                     last window starting in the right padding is dropped)

Adaptive pools give output cell i of an axis of length L the window
``[floor(i*L/out), ceil((i + 1)*L/out))``, so any output size works, windows may overlap and
differ in size. When out divides L they are a plain pool with kernel = stride = L/out.
Pools accept unbatched input ((C, L), (C, H, W), (C, D, H, W)). Each geometry has one entry per
spatial dim: the ops serve 1, 2 and 3 dims with one code path.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ...backend import array_module_of
from ...ops.indexing import gather, scatter
from ...ops.linalg import matmul
from ...ops.pool import AvgPool, MaxPool, PoolGeometry
from ...tensor import Tensor
from .conv import expand_param

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool1d",
    "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
]


def _check_input(input: Tensor, dims: int, name: str) -> None:
    if input.ndim not in (dims + 1, dims + 2) or any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(
            f"{name}: expected a non-empty {dims + 1}-d (unbatched) or {dims + 2}-d (batched) input, "
            f"got input of shape {tuple(input.shape)}"
        )


def pool_geometry(in_size: tuple, kernel_size, stride, padding, dilation, ceil_mode: bool, dims: int,
                  name: str, max_pad: str) -> PoolGeometry:
    """Check PyTorch's pooling arguments and place the windows (one entry per spatial dim)."""
    kernel = expand_param(kernel_size, dims, name, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        expand_param(stride, dims, name, "stride")
    pads = expand_param(padding, dims, name, "padding")
    dilation = expand_param(dilation, dims, name, "dilation")
    if any(v <= 0 for v in kernel + stride + dilation):
        raise RuntimeError(f"{name}: kernel_size {kernel}, stride {stride} and dilation {dilation} must be positive")
    out, pad_pairs = [], []
    for n, k, s, p, d in zip(in_size, kernel, stride, pads, dilation):
        reach = d * (k - 1) + 1
        limit = reach / 2 if max_pad == "effective" else k / 2
        if p < 0 or p > limit:
            raise RuntimeError(
                f"{name}: padding should be at most half of the {'effective ' if max_pad == 'effective' else ''}"
                f"kernel size ({limit:g}), got padding {pads} for kernel_size {kernel}"
                + (f" and dilation {dilation}" if max_pad == "effective" else "")
            )
        span = n + 2 * p - reach
        size = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (size - 1) * s >= n + p:   # the last window would start in the right padding
            size -= 1
        if size < 1:
            raise RuntimeError(
                f"{name}: input of spatial size {tuple(in_size)} is too small for kernel_size {kernel} "
                f"(dilation {dilation}, padding {pads}): the output would be empty"
            )
        extra = max(0, (size - 1) * s + reach - (n + 2 * p))   # ceil_mode's extra padding on the right
        out.append(size)
        pad_pairs.append((p, p + extra))
    return PoolGeometry(kernel, stride, dilation, tuple(pad_pairs), tuple(out))


# ---------------------------------------------------------------------------- max pooling
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims, name):
    _check_input(input, dims, name)
    geometry = pool_geometry(tuple(input.shape[-dims:]), kernel_size, stride, padding, dilation, ceil_mode,
                             dims, name, "effective")
    return MaxPool.apply(input, geometry, bool(return_indices))


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over windows of length kernel_size. input: (N, C, L) or (C, L)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """y[n, c, i, j] = max over a, e of xpad[n, c, i*sh + a*dh, j*sw + e*dw] (padding is -inf).

    input: (N, C, H, W) or (C, H, W). With ``return_indices`` also the argmax as h*W + w (int64).
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over kd x kh x kw windows (padding is -inf). input: (N, C, D, H, W) or (C, D, H, W).

    With ``return_indices`` also the argmax as d*H*W + h*W + w (int64).
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


# ---------------------------------------------------------------------------- average pooling
def _window_counts(n: int, k: int, s: int, p: int, size: int, include_pad: bool) -> np.ndarray:
    """How many elements each window of one axis averages (PyTorch's rule)."""
    start = np.arange(size) * s - p
    end = np.minimum(start + k, n + p)       # ceil_mode's last window is cut at the padding
    if include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims, name):
    _check_input(input, dims, name)
    geometry = pool_geometry(tuple(input.shape[-dims:]), kernel_size, stride, padding, 1, ceil_mode, dims,
                             name, "kernel")
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{name}: divisor_override must be non-zero")
        scale = 1.0 / divisor_override
    else:
        counts = [_window_counts(n, k, s, p, size, count_include_pad) for n, k, s, (p, _), size in
                  zip(input.shape[-dims:], geometry.kernel, geometry.stride, geometry.padding, geometry.out_size)]
        divisor = functools.reduce(np.multiply.outer, counts)   # a window's count is the product of its axes'
        if (divisor == divisor.flat[0]).all():
            scale = 1.0 / float(divisor.flat[0])   # a Python float: no float64 upcast
        else:
            scale = array_module_of(input._data).asarray(1.0 / divisor, dtype=input.dtype)
    return AvgPool.apply(input, geometry, scale)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of length kernel_size. input: (N, C, L) or (C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """y[n, c, i, j] = (sum of the zero-padded window) / divisor.

    divisor: ``divisor_override``; else the window's size counting the padding
    (``count_include_pad``) or only the input elements in it. input: (N, C, H, W) or (C, H, W).
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over kd x kh x kw windows, the divisor as in ``avg_pool2d``. input: (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     "avg_pool3d")


# ---------------------------------------------------------------------------- adaptive pools
def _adaptive_size(output_size, in_size: tuple, dims: int, name: str) -> tuple:
    if output_size is None or isinstance(output_size, int):
        output_size = (output_size,) * dims
    output_size = tuple(output_size)
    if len(output_size) != dims:
        raise RuntimeError(f"{name}: output_size must be an int or {dims} values, got {output_size!r}")
    sizes = tuple(n if o is None else int(o) for o, n in zip(output_size, in_size))
    if any(s <= 0 for s in sizes):
        raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_windows(n: int, out: int):
    """Window i of an axis of length n split into ``out`` cells: [floor(i*n/out), ceil((i+1)*n/out))."""
    i = np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _divisible_geometry(in_size: tuple, out_size: tuple) -> PoolGeometry:
    kernel = tuple(n // o for n, o in zip(in_size, out_size))
    return PoolGeometry(kernel, kernel, (1,) * len(kernel), ((0, 0),) * len(kernel), tuple(out_size))


def _averaging_matrix(n: int, out: int, like) -> Tensor:
    """P: (out, n) with P[i, j] = 1/|window i| for j in window i, so P @ v averages each window."""
    start, end = adaptive_windows(n, out)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    matrix = inside / (end - start)[:, None]
    return Tensor._make(array_module_of(like._data).asarray(matrix, dtype=like.dtype))


def _average_along(x: Tensor, axis: int, n_out: int) -> Tensor:
    """Average the adaptive windows of one spatial axis (negative ``axis``) with a small matrix P.

    The last axis is x @ P^T; an earlier one is P @ x with the axes after it flattened into columns.
    """
    n = x.shape[axis]
    matrix = _averaging_matrix(n, n_out, x)
    if axis == -1:
        return matmul(x, matrix.mT)
    lead, rest = tuple(x.shape[:axis]), tuple(x.shape[axis + 1:])
    y = matmul(matrix, x.reshape(lead + (n, math.prod(rest))))
    return y.reshape(lead + (n_out,) + rest)


def _adaptive_avg(input, output_size, dims, name):
    _check_input(input, dims, name)
    in_size = tuple(input.shape[-dims:])
    out_size = _adaptive_size(output_size, in_size, dims, name)
    if all(n % o == 0 for n, o in zip(in_size, out_size)):
        geometry = _divisible_geometry(in_size, out_size)
        return AvgPool.apply(input, geometry, 1.0 / math.prod(geometry.kernel))
    # Windows of varying size: average along one axis at a time with a small matrix (2-d:
    # y = P_h @ x @ P_w^T). Each window is a box, so the per-axis averages compose.
    y = input
    for axis in range(-dims, 0):
        if y.shape[axis] != out_size[axis]:
            y = _average_along(y, axis, out_size[axis])
    return y


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over ``output_size`` adaptive windows. input: (N, C, L) or (C, L)."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over an output_size (int, pair, None keeps the input's size) grid of adaptive windows."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over an output_size (int, triple, None entries keep the input's size) grid of adaptive windows."""
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_argmax(x, in_size: tuple, out_size: tuple):
    """Flat argmax (h*W + w in 2-d) of every adaptive window, first maximum in row-major order; no gradient.

    Max over each window's last axis, then over the axis before it, and so on: the first row holding
    the window's maximum, and in it the first column, is exactly the first maximum of a row-major scan.
    """
    xp = array_module_of(x)
    best, index, place = x, None, 1     # index: the flat position within the axes reduced so far
    for axis in range(-1, -len(in_size) - 1, -1):
        start, end = adaptive_windows(in_size[axis], out_size[axis])
        top = top_index = None
        for t in range(int((end - start).max())):                # offsets into the widest window
            position = xp.asarray(np.minimum(start + t, end - 1))  # short windows repeat their last element
            candidate = xp.take(best, position, axis=axis)
            flat = position.reshape((-1,) + (1,) * (-1 - axis)) * place
            if index is not None:
                flat = flat + xp.take(index, position, axis=axis)
            if top is None:
                top, top_index = candidate, xp.broadcast_to(flat, candidate.shape)
            else:
                better = candidate > top
                top, top_index = xp.where(better, candidate, top), xp.where(better, flat, top_index)
        best, index, place = top, top_index, place * in_size[axis]
    return index.astype(xp.int64)


def _adaptive_max(input, output_size, return_indices, dims, name):
    _check_input(input, dims, name)
    in_size = tuple(input.shape[-dims:])
    out_size = _adaptive_size(output_size, in_size, dims, name)
    if all(n % o == 0 for n, o in zip(in_size, out_size)):
        return MaxPool.apply(input, _divisible_geometry(in_size, out_size), bool(return_indices))
    # Varying windows: find each window's argmax outside the graph, then gather it (whose backward
    # scatter-adds dy into the argmax, summing where windows overlap).
    index = Tensor._make(_adaptive_argmax(input._data, in_size, out_size))
    lead = tuple(input.shape[:-dims])
    y = gather(input.reshape(lead + (-1,)), -1, index.reshape(lead + (-1,))).reshape(lead + out_size)
    return (y, index) if return_indices else y


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over ``output_size`` adaptive windows. input: (N, C, L) or (C, L)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over an output_size grid of adaptive windows; with ``return_indices`` the argmax as h*W + w."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over an output_size grid of adaptive windows; with ``return_indices`` the argmax as d*H*W + h*W + w."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


# ---------------------------------------------------------------------------- unpooling
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims, name):
    kernel = expand_param(kernel_size, dims, name, "kernel_size")
    stride = kernel if stride is None else expand_param(stride, dims, name, "stride")
    pads = expand_param(padding, dims, name, "padding")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{name}: indices of shape {tuple(indices.shape)} must match input of shape {tuple(input.shape)}")
    if output_size is None:
        size = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(input.shape[-dims:], stride, pads, kernel))
    else:
        size = tuple(int(s) for s in output_size)[-dims:]
    lead = tuple(input.shape[:-dims])
    flat = math.prod(size)
    if indices.numel() and (int(indices.max()) >= flat or int(indices.min()) < 0):
        raise RuntimeError(f"{name}: an index is out of range for an output of spatial size {size}")
    zeros = Tensor._make(array_module_of(input._data).zeros(lead + (flat,), dtype=input.dtype))
    out = scatter(zeros, -1, indices.reshape(lead + (-1,)), input.reshape(lead + (-1,)))
    return out.reshape(lead + size)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: each value put back at its index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: y.flatten(-2)[..., indices] = input, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: y.flatten(-3)[..., indices] = input, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


# PyTorch's names for the pools that always return (values, indices)
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool3d(input, output_size, True)
