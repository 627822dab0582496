"""Joining tensors (cat, stack) and splitting them (split, chunk, unbind, narrow).

The two are each other's backward: the gradient of a cat is split into the pieces' shapes, the
gradient of a split is the pieces' gradients joined again.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim
from .shape import _alias

__all__ = [
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "narrow",
    "split",
    "stack",
    "tensor_split",
    "unbind",
]


# ---------------------------------------------------------------------------- joining
class Cat(Op):
    """y = the inputs joined along ``dim``; dy/dx_i: the slice of the gradient x_i landed in."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return array_module_of(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return split(grad, ctx.sizes, ctx.dim)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim (all other dims must match)."""
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"cat: expected a sequence of Tensors, but item {i} is a {type(t).__name__}")
    # PyTorch skips 1-d empty tensors in cat (a legacy rule kept for compatibility)
    nonempty = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    for i, t in enumerate(nonempty):
        if t.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; use stack")
    ref = nonempty[0]
    d = wrap_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(nonempty):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"cat: tensors must have the same number of dimensions: got {ref.ndim} and {t.ndim} (item {i})"
            )
        for axis in range(ref.ndim):
            if axis != d and t.shape[axis] != ref.shape[axis]:
                raise RuntimeError(
                    f"cat: sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[axis]} but got size {t.shape[axis]} for tensor number {i} in the list."
                )
    nonempty = _promote_all(nonempty, tensors)  # the skipped empty tensors still take part in promotion
    if len(nonempty) == 1:
        return _alias(nonempty[0]) if nonempty[0]._requires_grad else nonempty[0]
    return Cat.apply(*nonempty, dim=d)


concat = concatenate = cat


def _promote_all(tensors, promoting=None):
    """``tensors`` cast to the dtype PyTorch gives the result of joining ``promoting`` (default: them)."""
    promoting = tensors if promoting is None else promoting
    dtype = tensors[0].dtype
    if all(t.dtype == dtype for t in promoting):
        return tensors
    from ..dtypes import result_type

    dtype = result_type(*(t._data for t in promoting))
    return [t if t.dtype == dtype else t.to(dtype) for t in tensors]


class Stack(Op):
    """y = the inputs stacked along a new dim; dy/dx_i: the i-th slice of the gradient."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return array_module_of(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return unbind(grad, ctx.dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"stack: expected a sequence of Tensors, but item {i} is a {type(t).__name__}")
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    d = wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return Stack.apply(*_promote_all(tensors), dim=d)


# ---------------------------------------------------------------------------- splitting
class Split(Op):
    """ys = consecutive slices of x along ``dim`` (views); dy/dx: the slices' gradients joined."""

    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1]
        return tuple(array_module_of(x).split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim)


def split(x: Tensor, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the given sizes."""
    dim = wrap_dim(dim, x.ndim, "split")
    length = x.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size at "
                f"dimension {dim}), but got split_sizes={sizes}"
            )
    else:
        size = int(split_size_or_sections)
        if size <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (length // size) + ([length % size] if length % size else [])
        sizes = sizes or [0]
    return Split.apply(x, tuple(sizes), dim)


def chunk(x: Tensor, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of ceil(n / chunks) (fewer when n is small)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, x.ndim, "chunk")
    size = -(-x.shape[dim] // chunks)
    return split(x, max(size, 1), dim)


def tensor_split(x: Tensor, sections, dim: int = 0):
    """Split into ``sections`` pieces whose sizes differ by at most one (numpy.array_split), or,
    given a list of indices, at those indices: ``[:i0], [i0:i1], ..., [ik:]``."""
    dim = wrap_dim(dim, x.ndim, "tensor_split")
    n = x.shape[dim]
    if isinstance(sections, Tensor):
        sections = sections.tolist()
    if isinstance(sections, (list, tuple)):
        bounds = [None, *sections, None]
        before = (slice(None),) * dim
        return tuple(x[before + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))
    if sections <= 0:
        raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {sections}")
    base, extra = divmod(n, sections)
    return split(x, [base + 1] * extra + [base] * (sections - extra), dim)


class Unbind(Op):
    """ys = the slices of x along ``dim``, that dim removed; dy/dx: the gradients stacked."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        moved = array_module_of(x).moveaxis(x, dim, 0)
        return tuple(moved[i, ...] for i in range(moved.shape[0]))  # [i, ...]: a 0-d view, not a scalar

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim)


def unbind(x: Tensor, dim: int = 0):
    """The slices along ``dim`` as a tuple of tensors."""
    return Unbind.apply(x, wrap_dim(dim, x.ndim, "unbind"))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice ``start:start + length`` of dim ``dim`` (a view); ``start`` may be negative."""
    dim = wrap_dim(dim, x.ndim, "narrow")
    size = x.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:  # PyTorch's errors: IndexError for start, RuntimeError for the rest
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}), "
                           "or length is negative")
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, start + length)
    return x[tuple(index)]
