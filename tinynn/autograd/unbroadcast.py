"""Broadcasting and its inverse, which the engine applies to every gradient.

An op that broadcast an input of shape (3, 1) to (4, 3, 5) gets back a gradient of shape (4, 3, 5);
each input element was used once per copy, so its gradient is the sum over the copies:

    sum_to_shape(g, (3, 1)) = g.sum(axis=0).sum(axis=-1, keepdims=True)

The engine does that once, centrally (``engine._conform``), so that no op has to. ``Expand`` and
``SumToShape`` are each other's backward, so higher derivatives come out right.
"""
from __future__ import annotations

from ..backend import array_module_of
from ..tensor import Tensor
from .function import Op


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
        return sum_to_shape_array(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return Expand.apply(grad, ctx.input_shape)


def sum_to_shape_array(x, shape):
    """``sum_to_shape`` on a raw array (no graph): sum over the dims that broadcasting added or stretched."""
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
    """Sum ``x`` down to ``shape``: the inverse of broadcasting."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumToShape.apply(x, shape)
