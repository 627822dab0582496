"""Diagonals: ``diagonal`` (a view), ``diag``, ``diag_embed``, ``trace``, ``fill_diagonal_``.

The diagonal of a matrix in memory is every (columns + 1)-th element: a strided view with one
stride, the sum of the row and column strides. ``diagonal`` returns exactly that view (so writing
into it writes into the matrix, as in PyTorch), with the diagonal as the last dim:

    x: (B, n, m), diagonal(x, offset=1, dim1=1, dim2=2)[b, k] = x[b, k, k + 1]

Reading a diagonal and writing one into zeros are each other's backward (``Diagonal``,
``DiagonalScatter``), so every op here has gradients of any order.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim

__all__ = ["diag", "diag_embed", "diagflat", "diagonal", "trace"]


def _diagonal_view(a, offset: int, dim1: int, dim2: int):
    """The writable strided view of ``a``'s diagonal over (dim1, dim2), as the last axis."""
    xp = array_module_of(a)
    start = [slice(None)] * a.ndim
    if offset >= 0:
        start[dim2] = slice(offset, None)
    else:
        start[dim1] = slice(-offset, None)
    corner = a[tuple(start)]  # the diagonal now starts at the corner's first element
    length = max(0, min(corner.shape[dim1], corner.shape[dim2]))
    others = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    shape = tuple(corner.shape[d] for d in others) + (length,)
    strides = tuple(corner.strides[d] for d in others) + (corner.strides[dim1] + corner.strides[dim2],)
    return xp.lib.stride_tricks.as_strided(corner, shape, strides)


class Diagonal(Op):
    """y = the diagonal of x (offset, dim1, dim2), a view;  dL/dx = zeros with dL/dy on that diagonal."""

    is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.args, ctx.input_shape = (offset, dim1, dim2), x.shape
        return _diagonal_view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        return DiagonalScatter.apply(grad, ctx.input_shape, *ctx.args)


class DiagonalScatter(Op):
    """y = zeros(shape) with x written on the diagonal (offset, dim1, dim2);  dL/dx = that diagonal of dL/dy."""

    @staticmethod
    def forward(ctx, x, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = array_module_of(x).zeros(shape, dtype=x.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args)


def _two_dims(name: str, ndim: int, dim1: int, dim2: int):
    if ndim < 2:
        raise RuntimeError(f"{name}(): expected a tensor with at least 2 dims, got {ndim}")
    d1, d2 = wrap_dim(dim1, ndim, name), wrap_dim(dim2, ndim, name)
    if d1 == d2:
        raise RuntimeError(f"{name}(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal over dims (dim1, dim2), shifted right (offset > 0) or down (offset < 0), as the
    last dim of a view: writing into it writes into ``input``."""
    d1, d2 = _two_dims("diagonal", input.ndim, dim1, dim2)
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor with one more dim whose (dim1, dim2) matrices carry ``input``'s last dim on their
    ``offset`` diagonal, zeros elsewhere (the inverse of ``diagonal``)."""
    ndim = input.ndim + 1
    d1, d2 = _two_dims("diag_embed", ndim, dim1, dim2)
    size = (input.shape[-1] if input.ndim else 1) + abs(int(offset))
    batch = iter(input.shape[:-1])
    shape = tuple(size if d in (d1, d2) else next(batch) for d in range(ndim))
    return DiagonalScatter.apply(input if input.ndim else input.reshape(1), shape, int(offset), d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: the square matrix with ``input`` on its ``diagonal``-th diagonal;
    2-d input: that diagonal as a 1-d tensor (a copy, as in PyTorch)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, int(diagonal), 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened ``input`` on its ``offset``-th diagonal."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a 2-d tensor (integers sum to int64)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix (2-d tensor), but got a {input.ndim}-d tensor")
    return Diagonal.apply(input, 0, 0, 1).sum()


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """In place: ``fill_value`` on the main diagonal (every dim the same size, or a 2-d matrix);
    ``wrap`` restarts the diagonal below a tall matrix's square part every (columns + 1) rows."""
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_(): dimensions must larger than 1, got {self.ndim}")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("fill_diagonal_(): all dimensions of input must be of equal length")
    xp = array_module_of(self._data)
    if self.ndim == 2:
        rows, cols = self.shape
        step = cols + 1
        stop = rows * cols if wrap else min(rows, cols) * cols
        flat = xp.arange(0, stop, step, dtype="int64")
        key = (flat // cols, flat % cols)
    else:
        n = self.shape[0]
        key = (xp.arange(n, dtype="int64"),) * self.ndim
    self[tuple(Tensor._make(k) for k in key)] = fill_value
    return self
