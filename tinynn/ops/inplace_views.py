"""In-place writes into views of tensors in the graph: the base's history gains a copy-slices step.

``v = b[1:3]`` (or ``b.reshape(...)``, ``b.t()``, ...) shares ``b``'s memory. When ``v`` is then
changed in place inside the graph (``v.mul_(2)``, ``v[mask] = x``), both change: ``b`` is now "old
b with v's region replaced by the new values". PyTorch records that as a ``CopySlices`` node on b,
and every view of b becomes a view of the new b again. tinynn does the same, with the view's
*region*: where its elements sit in b's memory, as (shape, element strides, element offset).

    new_b = CopySlices(old_b, value):   d/d old_b = g with the region zeroed,   d/d value = g[region]
    v     = ViewOfBase(new_b):          d/d new_b = zeros with g put into the region

The region ops below (take, put, clear) are linear and each other's transposes, so their
backward passes are built from them and higher derivatives come out right.
"""
from __future__ import annotations

import weakref

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor


def region_of(view_array, base_array):
    """(shape, strides, offset) in elements of ``view_array`` inside the C-contiguous ``base_array``."""
    xp = array_module_of(base_array)
    if not base_array.flags.c_contiguous:
        raise RuntimeError("in-place write into a view: tinynn rebases views only of a contiguous base tensor; "
                           "call .contiguous() on the base first, or use the out-of-place operation")
    itemsize = base_array.itemsize
    offset = (_address(view_array, xp) - _address(base_array, xp)) // itemsize
    strides = tuple(s // itemsize for s in view_array.strides)
    if any(s == 0 and n > 1 for s, n in zip(strides, view_array.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location (an expanded view); clone() it before writing in place")
    return tuple(view_array.shape), strides, offset


def _address(array, xp) -> int:
    return array.data.ptr if xp.__name__ == "cupy" else array.__array_interface__["data"][0]


def _region(array, region):
    """The view of ``array`` (laid out like the base) at ``region``."""
    xp = array_module_of(array)
    shape, strides, offset = region
    flat = xp.ascontiguousarray(array).reshape(-1)
    itemsize = flat.itemsize
    return xp.lib.stride_tricks.as_strided(flat[offset:], shape=shape, strides=tuple(s * itemsize for s in strides))


class TakeRegion(Op):
    """y = x[region] (a copy);  dL/dx = zeros with g put at the region."""

    @staticmethod
    def forward(ctx, x, region):
        ctx.region, ctx.shape = region, x.shape
        return _region(x, region).copy()

    @staticmethod
    def backward(ctx, grad):
        return PutRegion.apply(grad, ctx.region, ctx.shape)


class PutRegion(Op):
    """y = zeros(shape) with x at the region;  dL/dx = g[region]."""

    @staticmethod
    def forward(ctx, x, region, shape):
        ctx.region = region
        out = array_module_of(x).zeros(shape, dtype=x.dtype)
        _region(out, region)[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return TakeRegion.apply(grad, ctx.region)


class ClearRegion(Op):
    """y = x with the region set to 0;  dL/dx = g with the region set to 0 (it is its own transpose)."""

    @staticmethod
    def forward(ctx, x, region):
        ctx.region = region
        out = array_module_of(x).ascontiguousarray(x).copy()
        _region(out, region)[...] = 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return ClearRegion.apply(grad, ctx.region)


class CopySlices(Op):
    """new_base = old_base with ``value`` at the region. The values are already in the base's memory
    (the in-place write put them there), so forward returns that memory; backward: the gradient
    outside the region goes to the old base, the region's part to ``value``."""

    @staticmethod
    def forward(ctx, old_base, value, region, memory):
        ctx.region = region
        return memory

    @staticmethod
    def backward(ctx, grad):
        need_base, need_value = ctx.needs_input_grad[:2]
        return (ClearRegion.apply(grad, ctx.region) if need_base else None,
                TakeRegion.apply(grad, ctx.region) if need_value else None)


class ViewOfBase(Op):
    """A view, recorded as the region of its (rebased) base: forward returns the view's own memory;
    dL/dbase = zeros with g put at the region."""

    @staticmethod
    def forward(ctx, base, region, memory):
        ctx.region, ctx.shape = region, base.shape
        return memory

    @staticmethod
    def backward(ctx, grad):
        return PutRegion.apply(grad, ctx.region, ctx.shape)


def live_views(base: Tensor) -> list:
    """The views of ``base`` still alive (the dead references are dropped)."""
    if not base._views:
        return []
    views = [v for v in (ref() for ref in base._views) if v is not None]
    base._views = [weakref.ref(v) for v in views]
    return views


def write_and_rebase(target: Tensor, result: Tensor) -> None:
    """``target`` (a view, or a base with views) takes ``result``'s values in its memory; the base's
    history gains a CopySlices step and every live view becomes a view of the new base."""
    base = target._base if target._base is not None else target
    node = target.grad_fn
    if target is not base and node is not None and node.is_view and len(node.output_meta) > 1:
        raise RuntimeError(
            f"Output {target._output_nr} of {type(node).__name__} is a view and is being modified inplace. This view "
            "is the output of a function that returns multiple views (split, chunk, unbind). Such functions do not "
            "allow the output views to be modified inplace. You should replace the inplace operation by an "
            "out-of-place one.")
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation; "
                           "do it under `with tinynn.no_grad():` or on a clone()")
    views = live_views(base)
    regions = {id(v): region_of(v._data, base._data) for v in views}
    target._data[...] = result._data
    if target is base:
        base.grad_fn, base._output_nr, base._requires_grad = result.grad_fn, result._output_nr, True
    else:
        old_base = Tensor._make(base._data, base._requires_grad, base.grad_fn, base._output_nr)
        new_base = CopySlices.apply(old_base, result, regions[id(target)], base._data)
        base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    for view in views:
        rebased = ViewOfBase.apply(base, regions[id(view)], view._data)
        view.grad_fn, view._output_nr, view._requires_grad = rebased.grad_fn, 0, True
