"""Rearranging elements: repeat, repeat_interleave, flip, roll, triu/tril (padding: ops/padding.py).

Each backward undoes the movement on the gradient: tiles are summed back, a flip is flipped
back, a roll rolled back; a triangle mask keeps the same triangle.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import normalize_shape, wrap_dim
from .shape import expand, flatten, reshape, unsqueeze

__all__ = [
    "flip",
    "fliplr",
    "flipud",
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


def repeat_interleave(x: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor when None).

    ``repeats`` is an int (every element the same number of times) or a 1-d tensor with one count
    per element along ``dim``. ``repeat_interleave(counts)`` alone gives ``[0]*counts[0] + [1]*counts[1] + ...``.
    """
    if repeats is None:  # repeat_interleave(counts): each index repeated its count times
        counts = x
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-d integer tensor, got {counts.dtype} of shape {tuple(counts.shape)}")
        from ..creation import arange

        return repeat_interleave(arange(counts.shape[0], device=counts.device), counts, 0)
    if dim is None:
        x, dim = flatten(x), 0
    dim = wrap_dim(dim, x.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor) and repeats.numel() != 1:
        from .indexing import index_select

        counts = repeats._data
        if repeats.ndim != 1 or counts.shape[0] != x.shape[dim]:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim {dim}: "
                               f"got {tuple(repeats.shape)} for size {x.shape[dim]}")
        if bool((counts < 0).any()):
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        xp = array_module_of(counts)
        index = Tensor._make(xp.repeat(xp.arange(counts.shape[0]), counts))
        return index_select(x, dim, index)   # the gradient sums each element's copies
    repeats = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if repeats < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    y = unsqueeze(x, dim + 1)
    sizes = list(y.shape)
    sizes[dim + 1] = repeats
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


def flip(x: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (an int, or a tuple/list; ``()`` flips nothing)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    axes = tuple(wrap_dim(d, x.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dim {dims} appears multiple times in the list of dims")
    if x.ndim == 0 or not axes:  # nothing to reverse: a copy, as PyTorch returns
        return Flip.apply(x, ())
    return Flip.apply(x, axes)


def fliplr(x: Tensor) -> Tensor:
    """Reverse the columns (dim 1) of a tensor with at least 2 dims."""
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got {x.ndim}-d")
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    """Reverse the rows (dim 0) of a tensor with at least 1 dim."""
    if x.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got 0-d")
    return flip(x, 0)


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
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when dims is None).

    ``shifts`` and ``dims`` are ints or sequences of the same length.
    """
    shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (list, tuple)) else (int(shifts),)
    dims = () if dims is None else tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dims must align: {len(shifts)} shifts need {len(shifts)} dims, got none")
        return reshape(Roll.apply(flatten(x), shifts[0], 0), x.shape)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} shifts and {len(dims)} dims")
    if x.ndim == 0:
        raise IndexError(f"roll: dimension specified as {dims[0]} but the tensor has no dimensions")
    axes = tuple(wrap_dim(d, x.ndim, "roll") for d in dims)
    return Roll.apply(x, shifts, axes)


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

