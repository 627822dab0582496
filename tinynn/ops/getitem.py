"""``x[key]`` and ``x[key] = v``: reading and writing at an index, with PyTorch's index rules.

Reading elements and writing gradients back are mirror images: the backward of ``x[key]`` puts
the gradient into a zero tensor at ``key`` (adding where an index repeats), and the backward of
that is ``grad[key]`` again, so gradients of any order work. ``index_key.py`` turns a PyTorch key
into the NumPy key used here.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import add_at, array_module_of
from ..tensor import Tensor
from .index_key import to_index_key


def _is_basic(key) -> bool:
    """True when ``key`` holds only ints, slices, None and Ellipsis (so ``x[key]`` is a view)."""
    parts = key if isinstance(key, tuple) else (key,)
    for p in parts:
        if not (p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer))) or isinstance(p, bool):
            return False
    return True


class GetItem(Op):
    """y = x[key];  dL/dx = zeros with dL/dy added at ``key`` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, x, key):
        xp = array_module_of(x)
        out = x[key]
        if not isinstance(out, xp.ndarray):  # a single element comes back as a scalar
            out = xp.asarray(out)
        ctx.key, ctx.input_shape = key, x.shape
        ctx.basic = _is_basic(key)
        ctx.is_view = ctx.basic
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.key, ctx.input_shape, ctx.basic)


class IndexAdd(Op):
    """y = zeros(shape) with x added at ``key``;  dL/dx = (dL/dy)[key]."""

    @staticmethod
    def forward(ctx, x, key, shape, basic):
        ctx.key = key
        out = array_module_of(x).zeros(shape, dtype=x.dtype)
        if basic:
            out[key] = x
        else:
            add_at(out, key, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.key)


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]`` with PyTorch's rules: basic slicing gives a view, tensors and masks a copy."""
    key = to_index_key(index, x._data)
    try:
        return GetItem.apply(x, key)
    except IndexError as err:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {tuple(x.shape)}: {err}") from None


class IndexPut(Op):
    """y = x with ``y[key] = v``;  dL/dx = dL/dy with zeros at ``key``, dL/dv = (dL/dy)[key]."""

    @staticmethod
    def forward(ctx, x, key, value):
        ctx.key = key
        out = x.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_v = ctx.needs_input_grad
        grad_x = IndexPut.apply(grad, ctx.key, 0.0) if need_x else None
        grad_v = GetItem.apply(grad, ctx.key) if need_v else None
        return grad_x, None, grad_v


def index_put(x: Tensor, index, value) -> Tensor:
    """Out-of-place ``x[index] = value`` (the engine of ``__setitem__`` in the graph)."""
    key = to_index_key(index, x._data)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    try:
        return IndexPut.apply(x, key, value)
    except ValueError as err:  # NumPy's "could not broadcast": PyTorch's RuntimeError
        raise RuntimeError(f"index_put: {err}") from None
