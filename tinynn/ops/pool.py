"""Pooling over 1-, 2- or 3-d windows: max and average, each with its adjoint, as loops over kernel offsets.

Shapes, written for 2-d (1-d drops H, 3-d adds a depth D; every helper loops over the spatial dims)::

    x: (N, C, H, W) -> y: (N, C, Ho, Wo),   window (i, j) = xpad[:, :, i*sh + a*dh, j*sw + e*dw]
                                            for the kernel offsets 0 <= a < kh, 0 <= e < kw

For one kernel offset (a, e), the elements it picks from all windows at once form a strided slice
of the padded input, ``xpad[:, :, a*dh::sh, e*dw::sw]`` (cut to Ho x Wo). So a pool is a loop over
the kh*kw offsets, each a whole-array NumPy operation; there is no loop over output pixels. For the
common 2x2, stride-2 max-pool without padding these slices are the four strided "quarters" of x
(no padded copy is made), and the pool is three ``np.maximum`` calls.

Max pool:  y = max over the window;  dL/dx: each dy goes to the window's argmax (the first one in
           row-major order on ties, as PyTorch), summed where windows overlap. (Routed as
           dy * [argmax == q], so a non-finite dy also reaches the window's other elements as NaN;
           PyTorch keeps it at the argmax. Within a window holding a NaN, the gradient goes to the
           largest non-NaN element, PyTorch's to the NaN; the NaN output itself is the same.)
Avg pool:  y = scale * (sum over the window), ``scale`` = 1/divisor per output position;
           dL/dx: every element of a window gets scale * dy, summed where windows overlap.

Each forward has a linear adjoint (scatter for max, spread for average) and the adjoint's own
adjoint is a gather/sum again, so the backward passes are differentiable ops too.
"""
from __future__ import annotations

import itertools
import math
from typing import NamedTuple

from ..autograd.function import Op
from ..backend import array_module_of


class PoolGeometry(NamedTuple):
    """One entry per spatial dim: kernel (kh, kw), stride, dilation, padding ((top, bottom), (left, right)),
    out_size (Ho, Wo). The bottom/right padding includes the extra rows ``ceil_mode`` needs for its last window.
    """

    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    out_size: tuple


def offset_slices(geo: PoolGeometry):
    """Yield (q, key): for kernel offset number q (row-major), the slice of xpad it reads."""
    per_axis = [[slice(a * d, a * d + s * (m - 1) + 1, s) for a in range(k)]   # offset a of one axis
                for k, d, s, m in zip(geo.kernel, geo.dilation, geo.stride, geo.out_size)]
    for q, key in enumerate(itertools.product(*per_axis)):
        yield q, (Ellipsis,) + key


def _padded_size(size: tuple, geo: PoolGeometry) -> tuple:
    return tuple(n + lo + hi for n, (lo, hi) in zip(size, geo.padding))


def pad_spatial(x, geo: PoolGeometry, fill):
    """x padded by ``geo.padding`` with ``fill``; x itself (no copy) when there is no padding."""
    if not any(lo or hi for lo, hi in geo.padding):
        return x
    xp = array_module_of(x)
    d = len(geo.kernel)
    out = xp.full(x.shape[:-d] + _padded_size(x.shape[-d:], geo), fill, dtype=x.dtype)
    out[crop_key(geo, x.shape[-d:])] = x
    return out


def crop_key(geo: PoolGeometry, size: tuple) -> tuple:
    """The index of the unpadded input inside a padded buffer."""
    return (Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, geo.padding))


def windows_overlap(geo: PoolGeometry) -> bool:
    """True when some input element belongs to two windows (stride < dilated kernel extent)."""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(geo.kernel, geo.stride, geo.dilation))


def flat_indices(argmax, geo: PoolGeometry, in_size: tuple):
    """PyTorch's ``return_indices``: the argmax as h*W + w (d*H*W + h*W + w in 3-d) in the unpadded input (int64)."""
    xp = array_module_of(argmax)
    d = len(geo.kernel)
    remaining = argmax.astype(xp.int64)
    flat, place = 0, 1
    for axis in reversed(range(d)):   # unravel the row-major offset number q, last axis first
        k, m, (lo, _) = geo.kernel[axis], geo.out_size[axis], geo.padding[axis]
        a = remaining % k
        remaining = remaining // k
        start = (xp.arange(m) * geo.stride[axis] - lo).reshape((m,) + (1,) * (d - 1 - axis))
        flat = flat + (start + a * geo.dilation[axis]) * place
        place *= in_size[axis]
    return flat


def _lowest(dtype, xp):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


# ---------------------------------------------------------------------------- max pooling
class MaxPool(Op):
    """y[n, c, i, j] = max of x over window (i, j);  dL/dx = MaxPoolScatter(dy) (to the argmax).

    Returns y, or (y, indices) with ``return_indices``. The argmax is kept as the kernel-offset
    number q of the winner (uint8/int32), which is all the backward needs.
    """

    @staticmethod
    def forward(ctx, x, geometry, return_indices=False):
        xp = array_module_of(x)
        xpad = pad_spatial(x, geometry, _lowest(x.dtype, xp))
        slices = offset_slices(geometry)
        y = xpad[next(slices)[1]].copy()
        track = bool(ctx.needs_input_grad) or return_indices
        if track:
            n_offsets = math.prod(geometry.kernel)
            argmax = xp.zeros(y.shape, dtype=xp.uint8 if n_offsets <= 256 else xp.int32)
        for q, key in slices:
            candidate = xpad[key]
            if track:
                # Strictly greater, so the first maximum wins ties (as in PyTorch). q is larger than
                # every offset recorded so far, so max(argmax, q * better) sets q exactly where better.
                better = candidate > y
                xp.maximum(argmax, better * argmax.dtype.type(q), out=argmax)
            xp.maximum(y, candidate, out=y)   # (np.maximum also propagates NaN)
        if track:
            ctx.geometry, ctx.argmax, ctx.input_shape = geometry, argmax, x.shape
        if return_indices:
            return y, flat_indices(argmax, geometry, x.shape[-len(geometry.kernel):])
        return y

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        return MaxPoolScatter.apply(grad, ctx.argmax, ctx.geometry, ctx.input_shape)


class MaxPoolScatter(Op):
    """dx = each dy[n, c, i, j] put at its window's argmax, summed (x-shaped); adjoint: MaxPoolGather."""

    @staticmethod
    def forward(ctx, grad, argmax, geometry, input_shape):
        xp = array_module_of(grad)
        d = len(geometry.kernel)
        buffer = xp.zeros(input_shape[:-d] + _padded_size(input_shape[-d:], geometry), dtype=grad.dtype)
        overlap = windows_overlap(geometry)
        for q, key in offset_slices(geometry):
            routed = grad * (argmax == q)   # (a product: much faster than a masked copy in NumPy)
            if overlap:
                buffer[key] += routed
            else:  # each buffer element is written by at most one window: no sum needed
                buffer[key] = routed
        ctx.argmax, ctx.geometry = argmax, geometry
        return buffer[crop_key(geometry, input_shape[-d:])]

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolGather.apply(grad, ctx.argmax, ctx.geometry)


class MaxPoolGather(Op):
    """y[n, c, i, j] = x at window (i, j)'s recorded argmax; adjoint: MaxPoolScatter."""

    @staticmethod
    def forward(ctx, x, argmax, geometry):
        xp = array_module_of(x)
        xpad = pad_spatial(x, geometry, 0)
        y = xp.zeros(argmax.shape, dtype=x.dtype)
        for q, key in offset_slices(geometry):
            y += xp.where(argmax == q, xpad[key], 0)
        ctx.argmax, ctx.geometry, ctx.input_shape = argmax, geometry, x.shape
        return y

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolScatter.apply(grad, ctx.argmax, ctx.geometry, ctx.input_shape)


# ---------------------------------------------------------------------------- average pooling
class AvgPool(Op):
    """y[n, c, i, j] = scale[i, j] * sum of the zero-padded x over window (i, j).

    ``scale`` is 1/divisor: a number, or an (Ho, Wo) array when the divisor varies (padding left
    out of the count, or ceil_mode's clipped last windows). dL/dx = AvgPoolSpread(dy, scale).
    """

    @staticmethod
    def forward(ctx, x, geometry, scale):
        xpad = pad_spatial(x, geometry, 0)
        slices = offset_slices(geometry)
        y = xpad[next(slices)[1]].copy()
        for _, key in slices:
            y += xpad[key]
        y *= scale
        ctx.geometry, ctx.scale, ctx.input_shape = geometry, scale, x.shape
        return y

    @staticmethod
    def backward(ctx, grad):
        return AvgPoolSpread.apply(grad, ctx.geometry, ctx.scale, ctx.input_shape)


class AvgPoolSpread(Op):
    """dx = scale * dy added to every element of its window (x-shaped); adjoint: AvgPool."""

    @staticmethod
    def forward(ctx, grad, geometry, scale, input_shape):
        xp = array_module_of(grad)
        d = len(geometry.kernel)
        buffer = xp.zeros(input_shape[:-d] + _padded_size(input_shape[-d:], geometry), dtype=grad.dtype)
        scaled = grad * scale
        overlap = windows_overlap(geometry)
        for _, key in offset_slices(geometry):
            if overlap:
                buffer[key] += scaled
            else:
                buffer[key] = scaled
        ctx.geometry, ctx.scale = geometry, scale
        return buffer[crop_key(geometry, input_shape[-d:])]

    @staticmethod
    def backward(ctx, grad):
        return AvgPool.apply(grad, ctx.geometry, ctx.scale)
