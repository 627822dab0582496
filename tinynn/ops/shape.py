"""Operations that change a tensor's shape without changing its numbers: reshape, permute, expand.

Most backward passes are the inverse movement applied to the gradient: the gradient of a
reshape is reshaped back, of a permute permuted back, of an expand summed back.
Joining and splitting tensors lives in ``join.py``; repeating, flipping, rolling, masking a
triangle and padding in ``rearrange.py``.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..autograd.unbroadcast import Expand, sum_to_shape
from ..backend import array_module_of
from ..dims import check_broadcast, normalize_shape, reduce_dims, wrap_dim
from ..tensor import Tensor

__all__ = [
    "broadcast_tensors",
    "broadcast_to",
    "contiguous",
    "expand",
    "expand_as",
    "flatten",
    "movedim",
    "permute",
    "reshape",
    "reshape_as",
    "select",
    "squeeze",
    "sum_to_size",
    "t",
    "transpose",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
]


# ---------------------------------------------------------------------------- reshape family
def shares_memory_of(out, x) -> bool:
    """Whether ``out`` (made from ``x`` by NumPy or CuPy) is a view of x's memory, not a copy.

    A view's ``base`` is x or x's own base; a copy made on the way (reshape of a transposed array)
    has a fresh temporary as its base, so ``base is not None`` alone would call it a view.
    """
    return out is x or (out.base is not None and (out.base is x or out.base is x.base))


class Reshape(Op):
    """y = x with a new shape (a view when the memory layout allows); dy/dx: reshape back."""

    @staticmethod
    def forward(ctx, x, shape, must_view=False):
        ctx.input_shape = x.shape
        if must_view:
            try:
                out = x.reshape(shape, copy=False)
            except (ValueError, TypeError) as err:
                if "copy" not in str(err) and "incompatible" not in str(err):
                    raise
                raise RuntimeError(
                    f"view: the shape {shape} is not compatible with the input's memory layout "
                    f"(shape {x.shape}, strides {x.strides}); use .reshape(...) or .contiguous().view(...)"
                ) from None
        else:
            out = x.reshape(shape)
        ctx.is_view = shares_memory_of(out, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.input_shape)


def _infer_shape(shape: tuple, numel: int, input_shape: tuple, name: str) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check that the element count matches."""
    if shape.count(-1) > 1:
        raise RuntimeError(f"{name}: only one dimension can be inferred (-1), got shape {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{name}: invalid shape dimension {s} in {shape}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known != 0:
            raise RuntimeError(f"{name}: shape {list(shape)} is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"{name}: shape {list(shape)} is invalid for input of size {numel} (input shape {list(input_shape)})"
        )
    return shape


def reshape(x: Tensor, *shape) -> Tensor:
    """``x`` with a new shape of the same number of elements (one size may be -1)."""
    shape = _infer_shape(normalize_shape(shape, "reshape"), x._data.size, x._data.shape, "reshape")
    return Reshape.apply(x, shape)


def view(x: Tensor, *shape) -> Tensor:
    """Like ``reshape``, but always shares memory (raises when the layout makes that impossible)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        from .convert import view_as_dtype

        return view_as_dtype(x, shape[0])
    shape = _infer_shape(normalize_shape(shape, "view"), x._data.size, x._data.shape, "view")
    return Reshape.apply(x, shape, True)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return view(x, other.shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    if x.ndim == 0:  # a 0-d tensor flattens to 1 element (its dims are 0 or -1 only)
        wrap_dim(start_dim, 0, "flatten"), wrap_dim(end_dim, 0, "flatten")
        return reshape(x, 1)
    start, end = wrap_dim(start_dim, x.ndim, "flatten"), wrap_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(x, shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of which may be -1)."""
    dim = wrap_dim(dim, x.ndim, "unflatten")
    sizes = _infer_shape(tuple(int(s) for s in sizes), x.shape[dim], (x.shape[dim],), "unflatten")
    return reshape(x, x.shape[:dim] + sizes + x.shape[dim + 1 :])


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        axes = reduce_dims(dim, x.ndim, "squeeze") or ()
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1))
    return reshape(x, shape) if shape != x.shape else _alias(x)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (``-1`` appends)."""
    dim = wrap_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def _alias(x: Tensor) -> Tensor:
    """A new tensor object for the same numbers and graph position (``x.view(x.shape)``)."""
    return Reshape.apply(x, x.shape)


# ---------------------------------------------------------------------------- permute family
class Permute(Op):
    """y = x with its axes reordered; dy/dx: the inverse permutation."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.dims)))


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the axes: output axis ``i`` is input axis ``dims[i]``."""
    dims = normalize_shape(dims, "permute")
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute: number of dims don't match: the tensor has {x.ndim} dims but {len(dims)} were given"
        )
    dims = tuple(wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute: repeated dim in {dims}")
    return Permute.apply(x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two axes."""
    if x.ndim == 0:
        return _alias(x)
    d0, d1 = wrap_dim(dim0, x.ndim, "transpose"), wrap_dim(dim1, x.ndim, "transpose")
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, tuple(dims))


def t(x: Tensor) -> Tensor:
    """Transpose a matrix (a 0-d or 1-d tensor is returned as it is)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else _alias(x)


def reverse_dims(x: Tensor) -> Tensor:
    """``x.T``: all axes reversed."""
    return Permute.apply(x, tuple(range(x.ndim - 1, -1, -1)))


def matrix_transpose(x: Tensor) -> Tensor:
    """``x.mT``: the last two axes swapped (a batch of matrices transposed)."""
    if x.ndim < 2:
        raise RuntimeError(f"mT: expected a tensor with at least 2 dimensions, got {x.ndim}")
    return transpose(x, -2, -1)


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dim removed (a view): ``x.select(1, 2)`` is ``x[:, 2]``."""
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim, "select")
    size = x.shape[d]
    if not -size <= int(index) < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} at dimension {dim}")
    return x[(slice(None),) * d + (int(index),)]


def movedim(x: Tensor, source, destination) -> Tensor:
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [wrap_dim(d, x.ndim, "movedim") for d in src]
    dst = [wrap_dim(d, x.ndim, "movedim") for d in dst]
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(x, tuple(order))


# ---------------------------------------------------------------------------- broadcasting
# Expand and sum_to_shape, its inverse, live in autograd/unbroadcast.py: the engine needs them


def sum_to_size(x: Tensor, *size) -> Tensor:
    """Sum ``x`` down to ``size``, which must broadcast to x's shape (the adjoint of ``expand``)."""
    shape = normalize_shape(size, "sum_to_size")
    try:
        if np.broadcast_shapes(shape, x.shape) != tuple(x.shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size {list(x.shape)}") from None
    return sum_to_shape(x, shape)


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast ``x`` to ``sizes`` without copying; -1 keeps a dim's size."""
    sizes = normalize_shape(sizes, "expand")
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({x.ndim})"
        )
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({i})")
            shape.append(s)
            continue
        have = x.shape[i - lead]
        if s == -1:
            s = have
        if have != s and have != 1:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({s}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}. Target sizes: {list(sizes)}. Tensor sizes: {list(x.shape)}"
            )
        shape.append(s)
    shape = tuple(shape)
    return Expand.apply(x, shape) if shape != x.shape else _alias(x)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand(x, shape)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views), or PyTorch's error."""
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        check_broadcast("broadcast_tensors", *tensors)
        raise
    return tuple(expand(t, shape) for t in tensors)


# ---------------------------------------------------------------------------- memory layout
class Contiguous(Op):
    """y = x laid out in row-major order (a copy only when needed); dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        out = array_module_of(x).ascontiguousarray(x)
        ctx.is_view = shares_memory_of(out, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def contiguous(x: Tensor, memory_format=None) -> Tensor:
    del memory_format
    if x._data.flags.c_contiguous:
        return x
    return Contiguous.apply(x)
