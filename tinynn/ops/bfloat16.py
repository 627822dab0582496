"""Rounding to bfloat16 precision as a differentiable op (behind ``tinynn.amp.round_to_bfloat16``;
the bit arithmetic and why it is exact are in tinynn/amp/bfloat16.py and ``dtypes.round_array_to_bfloat16``).
"""
from __future__ import annotations

from ..autograd.function import Op
from ..dtypes import round_array_to_bfloat16

__all__ = []  # the op behind tinynn.amp.round_to_bfloat16


class RoundToBFloat16(Op):
    """y = x rounded to bfloat16 precision (in x's dtype);  dy/dx = 1, the gradient of a cast
    (as ``x.to(torch.bfloat16)`` passes its gradient straight through)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            raise TypeError(f"round_to_bfloat16: expected a floating tensor, got {x.dtype}")
        # float64 goes through float32 first, as PyTorch's double -> bfloat16 conversion does
        return round_array_to_bfloat16(x.astype("float32", copy=False)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad
