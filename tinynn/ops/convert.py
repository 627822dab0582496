"""Copies and conversions: clone, dtype casts and device moves (each differentiable)."""
from __future__ import annotations

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor


class Clone(Op):
    """y = a copy of x;  dy/dx = 1."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(x: Tensor, *, memory_format=None) -> Tensor:
    del memory_format
    return Clone.apply(x)


class ToDtype(Op):
    """y = x cast to ``dtype``;  the gradient is cast back (the engine does that cast)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def to_dtype(x: Tensor, dtype) -> Tensor:
    if x.dtype == dtype:
        return x
    return ToDtype.apply(x, dtype)


class ToDevice(Op):
    """y = x copied to another device;  the gradient is copied back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, ctx.source)


def to_device(x: Tensor, device) -> Tensor:
    if backend.device_of(x._data) == device:
        return x
    return ToDevice.apply(x, device)


def view_as_dtype(x: Tensor, dtype) -> Tensor:
    """Reinterpret the bytes as another dtype (no gradient), like ``tensor.view(torch.int32)``."""
    from ..dtypes import to_dtype as as_numpy_dtype

    if x._requires_grad:
        raise RuntimeError("view(dtype) is not differentiable; call it on a detached tensor")
    return Tensor._make(x._data.view(as_numpy_dtype(dtype)))
