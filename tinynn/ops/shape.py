"""Operations that move numbers around without changing them: reshape, permute, expand, cat, ...

Most backward passes are the inverse movement applied to the gradient: the gradient of a
reshape is reshaped back, of a permute permuted back, of an expand summed back.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .dims import normalize_shape, reduce_dims, wrap_dim

__all__ = [
    "broadcast_tensors",
    "broadcast_to",
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "contiguous",
    "expand",
    "expand_as",
    "flatten",
    "flip",
    "hstack",
    "movedim",
    "narrow",
    "permute",
    "repeat",
    "repeat_interleave",
    "reshape",
    "reshape_as",
    "roll",
    "split",
    "squeeze",
    "stack",
    "t",
    "tensor_split",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
    "vstack",
]


# ---------------------------------------------------------------------------- reshape family
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
        ctx.is_view = out.base is not None or out is x
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
    if x.ndim == 0:
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
class Expand(Op):
    """y = x broadcast to ``shape`` (a read-only view); dy/dx: sum over the broadcast dims."""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return array_module_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.input_shape)


class SumToShape(Op):
    """y = x summed over the dims that broadcasting added or stretched; dy/dx: expand back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return _sum_to_shape_array(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return Expand.apply(grad, ctx.input_shape)


def _sum_to_shape_array(x, shape):
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {x.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
    )
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        out = out.reshape(out.shape[lead:])
    if out.shape != tuple(shape):
        raise ValueError(f"cannot sum shape {x.shape} to {shape}")
    return out


def sum_to_shape(x: Tensor, shape) -> Tensor:
    """Sum ``x`` down to ``shape``: the inverse of broadcasting (used by the engine)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumToShape.apply(x, shape)


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
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


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


# ---------------------------------------------------------------------------- joining and splitting
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
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"cat: expected a sequence of Tensors, but item {i} is a {type(t).__name__}")
    # PyTorch skips 1-d empty tensors in cat (a legacy rule kept for compatibility)
    nonempty = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
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
    nonempty = _promote_all(nonempty)
    if len(nonempty) == 1:
        return _alias(nonempty[0]) if nonempty[0]._requires_grad else nonempty[0]
    return Cat.apply(*nonempty, dim=d)


concat = concatenate = cat


def _promote_all(tensors):
    dtype = tensors[0].dtype
    if all(t.dtype == dtype for t in tensors):
        return tensors
    from ..dtypes import result_type

    dtype = result_type(*(t._data for t in tensors))
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


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


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


def tensor_split(x: Tensor, sections: int, dim: int = 0):
    """Split into ``sections`` pieces whose sizes differ by at most one (numpy.array_split)."""
    dim = wrap_dim(dim, x.ndim, "tensor_split")
    n = x.shape[dim]
    base, extra = divmod(n, sections)
    return split(x, [base + 1] * extra + [base] * (sections - extra), dim)


class Unbind(Op):
    """ys = the slices of x along ``dim``, that dim removed; dy/dx: the gradients stacked."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(array_module_of(x).moveaxis(x, dim, 0))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim)


def unbind(x: Tensor, dim: int = 0):
    """The slices along ``dim`` as a tuple of tensors."""
    return Unbind.apply(x, wrap_dim(dim, x.ndim, "unbind"))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    dim = wrap_dim(dim, x.ndim, "narrow")
    start = start + x.shape[dim] if start < 0 else start
    if start < 0 or start + length > x.shape[dim]:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({x.shape[dim]})")
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, start + length)
    return x[tuple(index)]


# ---------------------------------------------------------------------------- rearranging
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


class Contiguous(Op):
    """y = x laid out in row-major order (a copy only when needed); dy/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        out = array_module_of(x).ascontiguousarray(x)
        ctx.is_view = out is x or out.base is not None
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def contiguous(x: Tensor, memory_format=None) -> Tensor:
    del memory_format
    if x._data.flags.c_contiguous:
        return x
    return Contiguous.apply(x)
