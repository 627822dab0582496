"""Rearranging elements: repeat, repeat_interleave, flip, roll, triu/tril and constant padding.

Each backward undoes the movement on the gradient: tiles are summed back, a flip is flipped
back, a roll rolled back, padding cut off; a triangle mask keeps the same triangle.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .dims import normalize_shape, reduce_dims, wrap_dim
from .shape import expand, flatten, reshape, unsqueeze

__all__ = [
    "flip",
    "repeat",
    "repeat_interleave",
    "roll",
    "tril",
    "triu",
]


# ---------------------------------------------------------------------------- tiling
class Repeat(Op):
    """y = x tiled ``repeats`` times along each dim; dy/dx: the tiles' gradients summed."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = x.shape
        return array_module_of(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, grad):
        shape = (1,) * (grad.ndim - len(ctx.input_shape)) + ctx.input_shape
        reps = [g // s for g, s in zip(grad.shape, shape)]
        interleaved = []
        for r, s in zip(reps, shape):
            interleaved += [r, s]
        summed = grad.reshape(interleaved).sum(dim=tuple(range(0, 2 * len(shape), 2)))
        return summed.reshape(ctx.input_shape)


def repeat(x: Tensor, *repeats) -> Tensor:
    """Tile ``x``: ``repeats`` gives the number of copies along each dim (>= x.ndim entries)."""
    repeats = normalize_shape(repeats, "repeat")
    if len(repeats) < x.ndim:
        raise RuntimeError(
            "repeat: number of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(x, repeats)


def repeat_interleave(x: Tensor, repeats: int, dim=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor when None)."""
    if dim is None:
        x, dim = flatten(x), 0
    dim = wrap_dim(dim, x.ndim, "repeat_interleave")
    y = unsqueeze(x, dim + 1)
    sizes = list(y.shape)
    sizes[dim + 1] = int(repeats)
    y = expand(y, sizes)
    return flatten(y, dim, dim + 1)



# ---------------------------------------------------------------------------- reversing, shifting, masking, padding
class Flip(Op):
    """y = x reversed along ``dims``; dy/dx: the gradient reversed the same way."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module_of(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims)


def flip(x: Tensor, dims) -> Tensor:
    axes = reduce_dims(dims, x.ndim, "flip") if not isinstance(dims, int) else (wrap_dim(dims, x.ndim, "flip"),)
    if x.ndim == 0:  # dim 0 (or -1) of a 0-d tensor is accepted, and there is nothing to reverse
        axes = ()
    return Flip.apply(x, axes if axes is not None else tuple(range(x.ndim)))


class Roll(Op):
    """y = x shifted cyclically by ``shifts`` along ``dims``; dy/dx: shifted back."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module_of(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(grad, back, ctx.dims)


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    if dims is None:
        return reshape(Roll.apply(flatten(x), shifts, 0), x.shape)
    if isinstance(shifts, (list, tuple)):
        shifts, dims = tuple(int(s) for s in shifts), tuple(int(d) for d in dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} and {len(dims)}")
    return Roll.apply(x, shifts, dims)


class Triangle(Op):
    """y = the upper (triu) or lower (tril) triangle of x; dy/dx: the same triangle of the gradient."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = array_module_of(x)
        return xp.triu(x, diagonal) if upper else xp.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triangle.apply(x, diagonal, True)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Triangle.apply(x, diagonal, False)


class Pad(Op):
    """y = x with constant borders; dy/dx: the gradient with the borders cut off."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return array_module_of(x).pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        index = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.widths))
        return grad[index]


def pad_constant(x: Tensor, pad, value=0.0) -> Tensor:
    """PyTorch's ``F.pad(x, pad, value=...)``: ``pad`` lists (left, right) pairs from the last dim."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(f"pad: padding length must be even and at most 2 * ndim, got {len(pad)}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(lo < 0 or hi < 0 for lo, hi in widths):  # negative padding crops
        index = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(widths, x.shape))
        x = x[index]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return Pad.apply(x, tuple(widths), value)
