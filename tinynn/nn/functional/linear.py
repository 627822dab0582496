"""Affine maps: ``linear`` (y = x W^T + b) as one fused op, and ``bilinear`` (y_k = x1^T A_k x2 + b_k).

Shapes (PyTorch's layout, so weights move between the two unchanged)::

    linear:    x: (*, in)              weight: (out, in)           bias: (out,)   ->  (*, out)
    bilinear:  x1: (*, in1), x2: (*, in2)   weight: (out, in1, in2)   bias: (out,)   ->  (*, out)
"""
from __future__ import annotations

from ...autograd.function import autocast_off
from ...ops.linalg import matmul
from ...ops.linear import Linear
from ...tensor import Tensor

__all__ = ["bilinear", "linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias.   input: (*, in), weight: (out, in), bias: (out,) -> (*, out).

    A 1-d weight (in,) is one output feature with its dim dropped: y = input @ weight (+ bias), (*)."""
    if weight.ndim == 1:
        out = matmul(input, weight)
        return out if bias is None else out + bias
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-d (out_features, in_features), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        shape = tuple(input.shape)
        raise RuntimeError(
            f"linear: input of shape {shape} has {shape[-1] if shape else 'no'} features in its last dim, "
            f"but the weight of shape {tuple(weight.shape)} expects {weight.shape[1]} (in_features)"
        )
    if input.dtype != weight.dtype and autocast_off():  # under autocast the op casts its operands
        raise RuntimeError(
            f"linear: input dtype {input.dtype} and weight dtype {weight.dtype} differ "
            "(convert the input with .to(weight.dtype), or the module with .to(dtype))"
        )
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), (1,), ()):
        raise RuntimeError(f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., k] = sum_ij input1[..., i] weight[k, i, j] input2[..., j] + bias[k].

    input1: (*, in1), input2: (*, in2) with the same leading dims, weight: (out, in1, in2) -> (*, out).
    Computed as one matrix product, T = x1 @ W laid out as (in1, out * in2), then y_k = sum_j T_kj x2_j.
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-d (out, in1, in2), got shape {tuple(weight.shape)}")
    out_features, in1, in2 = weight.shape
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must have the same leading dims"
        )
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear: inputs with last dims {input1.shape[-1]} and {input2.shape[-1]} do not match "
            f"the weight of shape {tuple(weight.shape)} (expected {in1} and {in2})"
        )
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = matmul(x1, weight.permute(1, 0, 2).reshape(in1, out_features * in2))  # (N, out * in2)
    y = (t.reshape(-1, out_features, in2) * x2.unsqueeze(1)).sum(-1)          # (N, out)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_features,))
