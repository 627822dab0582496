"""The ``index_*`` family and the flat ``take``/``put``: reading and writing at a list of positions.

    index_add(x, dim, index, src)    y = x;  y[.., index[i], ..] += alpha * src[.., i, ..]   along dim
    index_copy(x, dim, index, src)   y = x;  y[.., index[i], ..]  = src[.., i, ..]
    index_fill(x, dim, index, v)     y = x;  y[.., index[i], ..]  = v
    masked_scatter(x, mask, src)     y = x;  the True places of mask get src's elements, in order
    take(x, index)                   y = x.flatten()[index]                (shape of index)
    put(x, index, src)               y = x;  y.flatten()[index] = src      (+= with accumulate)

Each is x[key] or x[key] = v for the right key, so they are built on ``GetItem``, ``IndexAdd`` and
``IndexPut`` and inherit their gradients (and second derivatives). As in PyTorch, ``index_add`` and
``index_copy`` refuse negative indices; ``index_fill``, ``take`` and ``put`` count them from the end.
"""
from __future__ import annotations

from ..tensor import Tensor
from ..dims import wrap_dim
from .getitem import GetItem, IndexAdd, IndexPut

__all__ = ["index_add", "index_copy", "index_fill", "masked_scatter", "put", "take"]


def _index_vector(name: str, index, size: int, dim: int, negative_ok: bool, error=IndexError):
    """The 1-d (or 0-d) integer index array, checked against ``size`` as PyTorch checks it (and
    with the error type PyTorch raises for an index out of range: it differs between these ops)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): index must be a Tensor, got {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, got {idx.ndim} dims")
    idx = idx.reshape(-1)
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        lowest = -size if negative_ok else 0
        if low < lowest or high >= size:
            bad = low if low < lowest else high
            raise error(f"{name}(): index {bad} is out of bounds for dimension {dim} with size {size}")
    return idx


def _dim_key(dim: int, idx) -> tuple:
    return (slice(None),) * dim + (idx,)


def _check_source(name: str, x: Tensor, dim: int, idx, source: Tensor) -> None:
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): source must be a Tensor, got {type(source).__name__}")
    if source.dtype != x.dtype:
        raise RuntimeError(f"{name}(): self ({x.dtype}) and source ({source.dtype}) must have the same scalar type")
    expected = list(x.shape)
    if x.ndim:
        expected[dim] = idx.shape[0]
    if list(source.shape) != expected and not (x.ndim == 0 and source.numel() == 1):
        raise RuntimeError(
            f"{name}(): source of shape {tuple(source.shape)} does not fit: expected {tuple(expected)} "
            f"(the input's shape with dim {dim} the number of indices, {idx.shape[0]})"
        )


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """Out of place: add ``alpha * source`` into ``input`` at positions ``index`` along ``dim``
    (repeated indices accumulate)."""
    dim = wrap_dim(dim, input.ndim, "index_add")
    size = input.shape[dim] if input.ndim else 1
    idx = _index_vector("index_add", index, size, dim, negative_ok=False, error=RuntimeError)
    _check_source("index_add", input, dim, idx, source)
    if input.ndim == 0:
        return input + source.reshape(()) * alpha * idx.shape[0]
    scaled = source if alpha == 1 else source * alpha
    return input + IndexAdd.apply(scaled, _dim_key(dim, idx), input.shape, False)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Out of place: copy the slices of ``source`` into ``input`` at positions ``index`` along ``dim``."""
    dim = wrap_dim(dim, input.ndim, "index_copy")
    idx = _index_vector("index_copy", index, input.shape[dim] if input.ndim else 1, dim, negative_ok=False)
    _check_source("index_copy", input, dim, idx, source)
    if input.ndim == 0:
        return source.reshape(()) * 1 if source.requires_grad else source.reshape(()).clone()
    return IndexPut.apply(input, _dim_key(dim, idx), source)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """Out of place: ``value`` (a number or a 0-d tensor) at positions ``index`` along ``dim``."""
    dim = wrap_dim(dim, input.ndim, "index_fill")
    idx = _index_vector("index_fill", index, input.shape[dim] if input.ndim else 1, dim, negative_ok=True)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        value = value.to(input.dtype)
    else:
        value = input.dtype.type(value)
    if input.ndim == 0:
        return IndexPut.apply(input, Ellipsis, value) if idx.size else input.clone()
    return IndexPut.apply(input, _dim_key(dim, idx), value)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """Out of place: the places where ``mask`` (broadcast to input) is True get the first elements
    of ``source``, in row-major order."""
    if mask.dtype != bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got {input.dtype} and {source.dtype}"
        )
    try:
        full_mask = mask.expand(input.shape)._data
    except RuntimeError:
        raise RuntimeError(
            f"masked_scatter: the mask of shape {tuple(mask.shape)} does not broadcast to {tuple(input.shape)}"
        ) from None
    count = int(full_mask.sum())
    if source.numel() < count:
        raise RuntimeError("masked_scatter: Number of elements of source < number of ones in mask")
    return IndexPut.apply(input, full_mask, source.reshape(-1)[:count])


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end), shaped
    like ``index``."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {got}")
    _check_flat_range(index._data, input.numel())
    return GetItem.apply(input.reshape(-1), index._data)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """Out of place: ``source``'s elements written (or, with ``accumulate``, added) into the
    flattened ``input`` at ``index``; the result has input's shape."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise RuntimeError("put_(): Expected a long tensor for index")
    if source.numel() != index.numel():
        raise IndexError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(f"put_(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type")
    idx = index._data.reshape(-1)
    _check_flat_range(idx, input.numel())
    flat, values = input.reshape(-1), source.reshape(-1)
    if accumulate:
        return (flat + IndexAdd.apply(values, idx, flat.shape, False)).reshape(input.shape)
    return IndexPut.apply(flat, idx, values).reshape(input.shape)


def _check_flat_range(idx, numel: int) -> None:
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < -numel or high >= numel:
            bad = low if low < -numel else high
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {numel} elements.")
