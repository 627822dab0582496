"""Sampling an image at arbitrary points: the arithmetic of ``F.grid_sample``.

A grid point holds normalised coordinates in [-1, 1] (x indexes the width, y the height, z the
depth). Per spatial dim of size n it becomes a position p in pixels::

    p = (g + 1)/2 * (n - 1)          align_corners: -1 and 1 are the centres of the corner pixels
    p = ((g + 1) * n - 1) / 2        otherwise: -1 and 1 are the outer edges of the corner pixels

then the padding mode decides what positions outside the image read: 'zeros' reads zeros there,
'border' clamps p into [0, n - 1], 'reflection' mirrors p at the image's edges (then clamps).

bilinear   out = sum over the 2^k corners of prod_d w_d * x[corner];  w_d = 1 - t_d or t_d, t = p - floor(p)
nearest    out = x[round(p)] (halves to even)
bicubic    out = sum over a 4 x 4 neighbourhood of Keys' cubic weights (a = -0.75) of t, each tap padded

All of this is written with tinynn's differentiable ops, so dL/dgrid comes from differentiating the
weights (dw/dp = -1 or +1, times dp/dg) and dL/dinput from the one gather of pixel values,
``GatherPoints``, whose adjoint ``ScatterPoints`` adds each sample's gradient back to its pixel.
As in PyTorch, positions clamped by a border carry no gradient to the grid, and nearest sampling
gives the grid a zero gradient. At a point exactly on a pixel centre (the identity grid of ``affine_grid`` with
align_corners=False puts every point there) the weights have a kink, and the gradient w.r.t. the
grid is the one-sided derivative on whichever side the last bit of the position falls; PyTorch's
2-d CPU kernel computes the position with a fused multiply-add, tinynn with two roundings, so
there (and only there) the two may take different sides, as PyTorch's CPU and GPU kernels may.
"""
from __future__ import annotations

import itertools
import math

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .indexing import where
from .padding import pad_constant
from .resample import cubic_weights


class GatherPoints(Op):
    """y[n, c, q] = x[n, c, index[n, q]];  dL/dx = ScatterPoints(dL/dy).

    x: (N, C, L), the image with its spatial dims flattened; index: (N, Q) integers in [0, L).
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.length = index, x.shape[2]
        return array_module_of(x).take_along_axis(x, index[:, None, :], axis=2)

    @staticmethod
    def backward(ctx, grad):
        return ScatterPoints.apply(grad, ctx.index, ctx.length)


class ScatterPoints(Op):
    """dx[n, c, index[n, q]] += g[n, c, q] (repeated points accumulate);  adjoint: GatherPoints."""

    @staticmethod
    def forward(ctx, g, index, length):
        xp = array_module_of(g)
        ctx.index = index
        n, c, _ = g.shape
        # one bin per (sample, channel, pixel); bincount sums the weights falling into each bin
        bins = (xp.arange(n * c).reshape(n, c, 1) * length + index[:, None, :]).reshape(-1)
        sums = xp.bincount(bins, weights=g.reshape(-1), minlength=n * c * length)
        return sums.reshape(n, c, length).astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return GatherPoints.apply(grad, ctx.index)


class ZeroGradientTo(Op):
    """y = x, with ``other`` recorded as an input whose gradient is zero.

    Nearest sampling is piecewise constant in the grid: PyTorch gives the grid a zero gradient (not
    none), so ``out.sum().backward()`` works with only the grid requiring grad. This keeps that link.
    """

    @staticmethod
    def forward(ctx, x, other):
        ctx.other_shape, ctx.other_dtype = other.shape, other.dtype
        return x.view()

    @staticmethod
    def backward(ctx, grad):
        zeros = array_module_of(grad._data).zeros(ctx.other_shape, dtype=ctx.other_dtype)
        return grad, Tensor._make(zeros)


# ---------------------------------------------------------------------------- positions
def _constant(array) -> Tensor:
    return Tensor._make(array)


def unnormalize(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixels (see the module docstring)."""
    if align_corners:
        return (coord + 1) / 2 * (n - 1)
    return ((coord + 1) * n - 1) / 2


def clip_position(p: Tensor, n: int) -> Tensor:
    """p clamped into [0, n - 1]; the gradient is 0 outside *and on* the border (PyTorch's rule)."""
    xp = array_module_of(p._data)
    inside = (p._data > 0) & (p._data < n - 1)
    return where(inside, p, _constant(xp.clip(p._data, 0, n - 1)))


def reflect_position(p: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """p mirrored back into [low, high] as often as needed (slope +1 or -1 piece by piece)."""
    xp = array_module_of(p._data)
    if twice_low == twice_high:
        return p * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = p - low
    distance = d * _constant(xp.where(d._data < 0, -1.0, 1.0).astype(d.dtype))      # |p - low|
    raw = distance._data
    extra = distance - _constant(raw - xp.fmod(raw, span))           # fmod(|p - low|, span), exactly
    even = xp.floor(raw / span) % 2 == 0
    return where(even, extra + low, (span - extra) + low)


def source_position(coord: Tensor, n: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Grid coordinate -> pixel position, with the padding mode applied (bilinear and nearest)."""
    p = unnormalize(coord, n, align_corners)
    if padding_mode == "border":
        return clip_position(p, n)
    if padding_mode == "reflection":
        p = reflect_position(p, 0, 2 * (n - 1)) if align_corners else reflect_position(p, -1, 2 * n - 1)
        return clip_position(p, n)
    return p


def _padded_tap(i, n: int, padding_mode: str, align_corners: bool):
    """Bicubic's integer tap positions (a raw array) with the padding mode applied to each."""
    xp = array_module_of(i)
    if padding_mode == "zeros":
        return i
    if padding_mode == "reflection":
        twice = (0, 2 * (n - 1)) if align_corners else (-1, 2 * n - 1)
        i = reflect_position(_constant(i), *twice)._data
    return xp.clip(i, 0, n - 1)


# ---------------------------------------------------------------------------- sampling
def _flat_index(taps: list, spatial: tuple, xp):
    """Row-major flat index of the integer positions ``taps`` (one per dim); L (the zero pixel) outside."""
    length = math.prod(spatial)
    flat = xp.zeros(taps[0].shape, dtype=xp.int64)
    inside = xp.ones(taps[0].shape, dtype=bool)
    for i, n in zip(taps, spatial):
        i = i.astype(xp.int64)
        inside &= (i >= 0) & (i < n)
        flat = flat * n + xp.clip(i, 0, n - 1)
    return xp.where(inside, flat, length)


def sample(input: Tensor, positions: list, mode: str, padding_mode: str, align_corners: bool) -> Tensor:
    """input: (N, C, *spatial); positions: one (N, Q) tensor per spatial dim (pixels) -> (N, C, Q)."""
    xp = array_module_of(input._data)
    spatial = tuple(input.shape[2:])
    # the image flattened, plus one zero pixel at index L that every point outside it reads
    flat = pad_constant(input.reshape(input.shape[0], input.shape[1], math.prod(spatial)), (0, 1))
    if mode == "nearest":
        taps = [xp.rint(p._data) for p in positions]
        return GatherPoints.apply(flat, _flat_index(taps, spatial, xp))
    floors = [xp.floor(p._data) for p in positions]
    t = [p - _constant(f) for p, f in zip(positions, floors)]        # differentiable: dt/dp = 1
    if mode == "bilinear":
        weights = [(1 - ti, ti) for ti in t]                          # per dim: corner offsets 0 and 1
        offsets = (0, 1)
    else:
        weights = [cubic_weights(ti) for ti in t]
        offsets = (-1, 0, 1, 2)
    out = None
    for corner in itertools.product(range(len(offsets)), repeat=len(spatial)):
        taps = [f + offsets[k] for f, k in zip(floors, corner)]
        if mode == "bicubic":
            taps = [_padded_tap(i, n, padding_mode, align_corners) for i, n in zip(taps, spatial)]
        weight = None
        for d in reversed(range(len(spatial))):                       # x-weight first, as PyTorch
            w = weights[d][corner[d]]
            weight = w if weight is None else weight * w
        term = weight.unsqueeze(1) * GatherPoints.apply(flat, _flat_index(taps, spatial, xp))
        out = term if out is None else out + term
    return out
