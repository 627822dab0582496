"""Converters of the shape ops: reshape, permute, expand, indexing, joining, splitting, padding.

Shapes come from the trace (the op's output), not from the arguments: ``view(B, -1)`` and
``reshape(B * T, C)`` are both just "this output shape". When a size follows a dynamic axis it
is written as 0 (copy the input's size at that place) or -1 (whatever is left) where ONNX's
Reshape allows it, else as an expression of the inputs' shapes (``e.dims``).
"""
from __future__ import annotations

import numpy as np

from ..autograd.unbroadcast import Expand, SumToShape
from ..ops.getitem import GetItem
from ..ops.join import Cat, Split, Stack, Unbind
from ..ops.padding import Pad
from ..ops.rearrange import Flip, Repeat, Triangle
from ..ops.scatter import Gather
from ..ops.shape import Permute, Reshape
from .context import converts

_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min


@converts(Reshape)
def reshape(e):
    in1, in2 = e.arg(0).shape, e.arg2(0).shape
    out1, out2 = e.out().shape, e.out2().shape
    if out1 == out2:
        return [e.node("Reshape", [e.input(0), e.ints(out1)])]
    # sizes that follow a dynamic axis: 0 copies the input's size at the same place, one -1 takes the rest
    target = []
    for k, (a, b) in enumerate(zip(out1, out2)):
        if a == b:
            target.append(a)
        elif k < len(in1) and (in1[k], in2[k]) == (a, b):
            target.append(0)
        else:
            target.append(None)
    free = [k for k, t in enumerate(target) if t is None]
    if free:
        target[free[0]] = -1
    if len(free) <= 1:
        return [e.node("Reshape", [e.input(0), e.ints(target)])]
    pieces = [e.ints([t]) if t is not None else e.dims((out1[k],), (out2[k],)) for k, t in enumerate(target)]
    return [e.node("Reshape", [e.input(0), e.node("Concat", pieces, axis=0)])]


@converts(Permute)
def permute(e):
    return [e.node("Transpose", [e.input(0)], perm=[int(d) for d in e.arg(1)])]


@converts(Expand)
def expand(e):
    """ONNX Expand broadcasts both ways, so a 1 keeps the input's size (static or dynamic)."""
    in1, in2 = e.arg(0).shape, e.arg2(0).shape
    out1, out2 = e.out().shape, e.out2().shape
    lead = len(out1) - len(in1)
    shape1, shape2 = list(out1), list(out2)
    for k in range(len(in1)):
        if (in1[k], in2[k]) == (out1[lead + k], out2[lead + k]):
            shape1[lead + k] = shape2[lead + k] = 1
    return [e.node("Expand", [e.input(0), e.dims(shape1, shape2)])]


@converts(SumToShape)
def sum_to_shape(e):
    x, in_shape, shape = e.input(0), e.arg(0).shape, e.out().shape
    lead = len(in_shape) - len(shape)
    if lead:
        x = e.reduce("ReduceSum", x, range(lead), False)
    kept = [k for k, (n, m) in enumerate(zip(in_shape[lead:], shape)) if m == 1 and n != 1]
    return [e.reduce("ReduceSum", x, kept, True) if kept else e.node("Identity", [x])]


@converts(Cat)
def cat(e):
    dtype = e.out().dtype
    inputs = [e.operand(i, dtype) for i in range(len(e.call.args))]
    return [e.node("Concat", inputs, axis=int(e.call.kwargs["dim"]))]


@converts(Stack)
def stack(e):
    dtype, ndim = e.out().dtype, e.out().ndim
    dim = int(e.call.kwargs["dim"]) % ndim
    inputs = [e.unsqueeze(e.operand(i, dtype), [dim]) for i in range(len(e.call.args))]
    return [e.node("Concat", inputs, axis=dim)]


@converts(Split)
def split(e):
    sizes, dim = [int(s) for s in e.arg(1)], int(e.arg(2))
    if sizes != [int(s) for s in e.arg2(1)]:
        raise e.fail("a split whose sizes follow a dynamic axis is not exported")
    return list(e.node("Split", [e.input(0), e.ints(sizes)], n_out=len(sizes), axis=dim)) if len(sizes) > 1 \
        else [e.node("Identity", [e.input(0)])]


@converts(Unbind)
def unbind(e):
    dim, n = int(e.arg(1)), len(e.call.outputs)
    parts = e.node("Split", [e.input(0), e.ints([1] * n)], n_out=n, axis=dim) if n > 1 else [e.input(0)]
    return [e.squeeze(p, [dim]) for p in parts]


@converts(Pad)
def pad(e):
    widths = [tuple(int(v) for v in w) for w in e.arg(1)]
    if widths != [tuple(int(v) for v in w) for w in e.arg2(1)]:
        raise e.fail("padding that follows a dynamic axis is not exported")
    pads = [lo for lo, _ in widths] + [hi for _, hi in widths]
    return [e.node("Pad", [e.input(0), e.ints(pads), e.scalar(e.arg(2), e.out().dtype)], mode="constant")]


@converts(Triangle)
def triangle(e):
    return [e.node("Trilu", [e.input(0), e.ints([int(e.arg(1))])], upper=int(bool(e.arg(2))))]


@converts(Repeat)
def repeat(e):
    repeats, x = [int(r) for r in e.arg(1)], e.input(0)
    extra = len(repeats) - e.arg(0).ndim
    if extra > 0:
        x = e.unsqueeze(x, range(extra))
    return [e.node("Tile", [x, e.ints(repeats)])]


@converts(Flip)
def flip(e):
    dims = [int(d) for d in (e.arg(1) if isinstance(e.arg(1), (tuple, list)) else (e.arg(1),))]
    n = len(dims)
    return [e.node("Slice", [e.input(0), e.ints([-1] * n), e.ints([_SMALL] * n), e.ints(dims), e.ints([-1] * n)])]


@converts(Gather)
def gather(e):
    """torch.gather(x, dim, index): ONNX GatherElements."""
    return [e.node("GatherElements", [e.input(0), e.input(2)], axis=int(e.arg(1)))]


# ---------------------------------------------------------------------------- x[key]
@converts(GetItem)
def getitem(e):
    """Basic keys (ints, slices, None, ...) as Slice/Squeeze/Unsqueeze; one integer or bool array as Gather."""
    x = e.arg(0)
    key, key2 = _as_tuple(e.arg(1)), _as_tuple(e.arg2(1))
    arrays = [k for k, part in enumerate(key) if isinstance(part, np.ndarray)]
    if arrays:
        return [_advanced(e, key, key2, arrays)]
    key, key2 = _expand_ellipsis(key, x.ndim), _expand_ellipsis(key2, e.arg2(0).ndim)
    starts, ends, axes, steps, squeezed, inserted = [], [], [], [], [], []
    dim = out_dim = 0
    for part, part2 in zip(key, key2):
        if part is None:
            inserted.append(out_dim)
            out_dim += 1
            continue
        n1, n2 = x.shape[dim], e.arg2(0).shape[dim]
        if isinstance(part, slice):
            bounds = _slice_bounds(e, part, part2, n1, n2)
            if bounds is not None:
                for where, bound in zip((starts, ends, steps), bounds):
                    where.append(bound)
                axes.append(dim)
            out_dim += 1
        else:   # x[i]: the slice i:i+1, then that dim squeezed away
            i = int(part)
            for where, bound in zip((starts, ends, steps), (i, i + 1 if i != -1 else _BIG, 1)):
                where.append(e.ints([bound]))
            axes.append(dim)
            squeezed.append(dim)
        dim += 1
    y = e.input(0)
    if axes:
        concat = (lambda parts: parts[0] if len(parts) == 1 else e.node("Concat", parts, axis=0))
        y = e.node("Slice", [y, concat(starts), concat(ends), e.ints(axes), concat(steps)])
    if squeezed:
        y = e.squeeze(y, squeezed)
    if inserted:
        y = e.unsqueeze(y, inserted)
    return [y if y != e.input(0) else e.node("Identity", [y])]


def _as_tuple(key):
    return key if isinstance(key, tuple) else (key,)


def _expand_ellipsis(key, ndim: int) -> tuple:
    used = sum(1 for p in key if p is not None and p is not Ellipsis and not (isinstance(p, np.ndarray) and p.dtype == bool))
    out = []
    for part in key:
        out.extend([slice(None)] * (ndim - used) if part is Ellipsis else [part])
    if Ellipsis not in key:
        out.extend([slice(None)] * (ndim - used))
    return tuple(out)


def _slice_bounds(e, part: slice, part2: slice, n1: int, n2: int):
    """(starts, ends, steps) tensors of one sliced axis, or None for the whole axis."""
    r1, r2 = part.indices(n1), part2.indices(n2)
    if r1 == (0, n1, 1) and r2 == (0, n2, 1):
        return None
    step = part.step or 1
    if (part.step or 1) != (part2.step or 1):
        raise e.fail("a slice step that follows a dynamic axis is not exported")
    default_start, default_stop = (0, _BIG) if step > 0 else (-1, _SMALL)
    bounds = []
    for value, value2, default, normal, normal2 in ((part.start, part2.start, default_start, r1[0], r2[0]),
                                                    (part.stop, part2.stop, default_stop, r1[1], r2[1])):
        if value == value2:
            bounds.append(e.ints([default if value is None else int(value)]))
        else:
            bounds.append(e.dims((normal,), (normal2,)))
    return bounds[0], bounds[1], e.ints([step])


def _advanced(e, key, key2, arrays):
    """x[..., idx, ...] with one index array and whole slices elsewhere: Gather (ints) or Compress (bools)."""
    if len(arrays) > 1 or any(not (isinstance(p, slice) and p == slice(None)) and p is not Ellipsis
                              for k, p in enumerate(key) if k != arrays[0]):
        raise e.fail("indexing with several index tensors, or one mixed with ints, partial slices or None, is not "
                     "exported (index one dim at a time, or use gather/index_select)")
    k = arrays[0]
    if Ellipsis in key[:k]:
        axis = k - 1 + (e.arg(0).ndim - (len(key) - 1))
    else:
        axis = k
    index = e.tensor(key[k], key2[k])
    if key[k].dtype == np.bool_:
        if key[k].ndim != 1:
            raise e.fail("indexing with a bool mask of more than one dim is not exported")
        return e.node("Compress", [e.input(0), index], axis=axis)
    return e.node("Gather", [e.input(0), index], axis=axis)
