"""Gather and scatter along a dim: ``gather``, ``take_along_dim``, ``scatter`` (with ``reduce=``),
``scatter_add`` and ``scatter_reduce``.

For a 2-d ``x`` and ``dim = 1`` (other dims alike):

    gather:   y[i][j] = x[i][index[i][j]]
    scatter:  y = x, then y[i][index[i][j]] = src[i][j]      (reduce="add" / "multiply": += / *=)
    scatter_reduce: every src[i][j] sent to y[i][index[i][j]] is combined there by sum, prod,
                    mean, amax or amin, with the value already in x when ``include_self``

Gather and scatter-add are each other's backward. Indices must lie in [0, size): PyTorch refuses
negative ones here (unlike in ``x[idx]``), and so does tinynn.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import add_at, array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim
from .getitem import GetItem, IndexAdd, IndexPut

__all__ = ["gather", "scatter", "scatter_add", "take_along_dim"]


def along_axis_key(index, dim: int):
    """The advanced-index tuple that picks ``out[i][j]... = x[i][index[i][j]]...`` along ``dim``."""
    xp = array_module_of(index)
    grids = xp.ogrid[tuple(slice(0, s) for s in index.shape)]
    grids = list(grids) if isinstance(grids, (list, tuple)) else [grids]
    grids[dim] = index
    return tuple(grids)


def check_index(name: str, x: Tensor, dim: int, index, src=None):
    """PyTorch's checks of a gather/scatter index (and source); returns the index array."""
    idx = index._data if isinstance(index, Tensor) else index
    if not hasattr(idx, "dtype") or idx.dtype.kind not in "iu":
        kind = getattr(idx, "dtype", type(idx).__name__)
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index, got {kind}")
    if idx.ndim != x.ndim and not (idx.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(
            f"{name}(): index tensor must have the same number of dimensions as the input tensor "
            f"({idx.ndim} vs {x.ndim})"
        )
    for d, (i, s) in enumerate(zip(idx.shape, x.shape)):
        if d != dim and i > s:
            raise RuntimeError(
                f"{name}(): size of index {tuple(idx.shape)} exceeds the input's size {tuple(x.shape)} at dim {d}"
            )
    if isinstance(src, Tensor):
        for d, (i, s) in enumerate(zip(idx.shape, src.shape)):
            if i > s:
                raise RuntimeError(
                    f"{name}(): index {tuple(idx.shape)} is larger than src {tuple(src.shape)} at dim {d}"
                )
        if src.dtype != x.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype})")
    size = x.shape[dim] if x.ndim else 1
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {dim} with size {size}")
    return idx


def _fit_source(src, index):
    """``src`` cut to ``index``'s extent (PyTorch reads only that corner of a larger src)."""
    if isinstance(src, Tensor) and src.shape != index.shape:
        return src[tuple(slice(0, s) for s in index.shape)]
    return src


# ---------------------------------------------------------------------------- gather
class Gather(Op):
    """y[i][j] = x[i][index[i][j]] (along ``dim``);  dL/dx: dL/dy scatter-added back."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.input_shape = dim, index, x.shape
        return x[along_axis_key(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, along_axis_key(ctx.index, ctx.dim), ctx.input_shape, False)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Pick, along ``dim``, the element ``index`` names at each position (output has index's shape)."""
    dim = wrap_dim(dim, input.ndim, "gather")
    idx = check_index("gather", input, dim, index)
    if input.ndim == 0:  # a 0-d tensor: gather from it as from a 1-element vector
        return Gather.apply(input.reshape(1), 0, idx.reshape(-1)).reshape(idx.shape)
    return Gather.apply(input, dim, idx)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` whose other dims broadcast between ``x`` and ``indices``; dim None: the flattened x."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    dim = wrap_dim(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{input.ndim} dimensions for input, and {indices.ndim} dimensions for indices"
        )
    others = lambda shape: tuple(1 if d == dim else s for d, s in enumerate(shape))  # noqa: E731
    try:
        common = np.broadcast_shapes(others(input.shape), others(indices.shape))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): the shapes {tuple(input.shape)} of input and {tuple(indices.shape)} of indices "
            f"do not broadcast in the dims other than {dim}"
        ) from None
    x_shape, index_shape = list(common), list(common)
    x_shape[dim], index_shape[dim] = input.shape[dim], indices.shape[dim]
    return gather(input.expand(x_shape), dim, indices.expand(index_shape))


# ---------------------------------------------------------------------------- scatter / scatter_add
class Scatter(Op):
    """y = x with y[i][index[i][j]] = src[i][j] (along ``dim``), or += with ``add``.

    dL/dx = dL/dy, zeroed where overwritten;  dL/dsrc = dL/dy gathered at ``index``.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, add):
        ctx.dim, ctx.index, ctx.add = dim, index, add
        key = along_axis_key(index, dim)
        out = x.copy()
        if add:
            add_at(out, key, src)
        else:
            out[key] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, _, need_src = ctx.needs_input_grad[:4]
        key = along_axis_key(ctx.index, ctx.dim)
        grad_x = grad_src = None
        if need_x:
            grad_x = grad if ctx.add else IndexPut.apply(grad, key, 0.0)
        if need_src:
            grad_src = GetItem.apply(grad, key)
        return grad_x, None, None, grad_src


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place: write ``src`` (or the number ``value``) into a copy of ``input`` at ``index``
    along ``dim``; ``reduce="add"`` adds and ``reduce="multiply"`` multiplies instead.

    Unlike PyTorch (which has no derivative for the ``reduce=`` forms) tinynn differentiates all three.
    """
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got {reduce!r}")
    dim = wrap_dim(dim, input.ndim, "scatter")
    idx = check_index("scatter", input, dim, index, src)
    if reduce == "multiply":
        from .scatter_reduce import scatter_reduce

        if not isinstance(src, Tensor):
            src = Tensor._make(array_module_of(input._data).full(idx.shape, src, dtype=input.dtype))
        return scatter_reduce(input, dim, index, src, "prod")
    if not isinstance(src, Tensor):
        src = input.dtype.type(src)
    return Scatter.apply(input, dim, idx, _fit_source(src, idx), reduce == "add")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Out of place: add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeats accumulate)."""
    dim = wrap_dim(dim, input.ndim, "scatter_add")
    idx = check_index("scatter_add", input, dim, index, src)
    return Scatter.apply(input, dim, idx, _fit_source(src, idx), True)
