"""Root-mean-square normalization (RMSNorm, Zhang & Sennrich 2019) as one op: forward and backward together.

Layer norm without the centering: each sample is divided by the root mean square of its
trailing ``k`` dims (the normalized shape), then scaled elementwise::

    rstd = 1 / sqrt(E[x^2] + eps)          (E: the average over the normalized dims)
    xhat = x * rstd
    y    = xhat * weight                   (weight: the normalized shape, or absent)

Backward. With g = dL/dy, gw = g * weight and n the number of normalized elements:

    dL/dweight = g * xhat                  summed over the leading (batch) dims

and, since drstd/dx_j = -rstd^3 x_j / n = -rstd^2 xhat_j / n,

    dxhat_i/dx_j = rstd * delta_ij - rstd * xhat_i * xhat_j / n

so that, summed against gw,

    dL/dx = rstd * (gw - xhat * E[gw * xhat]).

As in ``normalization.py``, the backward is written twice: on raw arrays for the usual
first-order call, and from tinynn ops (rstd and xhat recomputed from x inside the graph) under
``create_graph=True``, so that second derivatives come out right.
"""
from __future__ import annotations

import math

from ..autograd import grad_mode
from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .reduce import mean as mean_of
from .unary import rsqrt

__all__ = ["RMSNormalize"]


def _trailing_mean(a, k: int):
    """The mean over the last k dims of a, kept as size-1 dims (one BLAS matrix-vector product)."""
    xp = array_module_of(a)
    n = math.prod(a.shape[a.ndim - k:])
    means = a.reshape(-1, n) @ xp.full(n, 1.0 / n, dtype=a.dtype)
    return means.reshape(a.shape[:a.ndim - k] + (1,) * k)


class RMSNormalize(Op):
    """y = x / sqrt(mean(x^2) + eps) * weight over the last ``k`` dims; see the module docstring.

    x: (*, *S) with S the normalized shape (k = len(S));  weight: S or None.
    """

    @staticmethod
    def forward(ctx, x, weight, k, eps):
        rstd = 1.0 / array_module_of(x).sqrt(_trailing_mean(x * x, k) + eps)
        y = x * rstd
        if weight is not None:
            y *= weight
        ctx.k, ctx.eps, ctx.rstd = k, eps, rstd
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if grad_mode.state.enabled:
            return _backward_graph(ctx, grad, x, weight)
        return _backward_arrays(ctx, grad, x, weight)


def _backward_arrays(ctx, grad, x, weight):
    """The closed form on raw arrays (first-order backward, no graph)."""
    need_x, need_w = ctx.needs_input_grad[:2]
    g, k = grad._data, ctx.k
    xhat = x._data * ctx.rstd
    grad_x = grad_w = None
    if need_w:
        lead = g.ndim - k
        grad_w = Tensor._make((g * xhat).reshape(-1, *g.shape[lead:]).sum(axis=0))
    if need_x:
        gw = g * weight._data if weight is not None else g
        grad_x = Tensor._make((gw - xhat * _trailing_mean(gw * xhat, k)) * ctx.rstd)
    return grad_x, grad_w


def _backward_graph(ctx, grad, x, weight):
    """The same closed form from tinynn ops, differentiable again (create_graph=True)."""
    need_x, need_w = ctx.needs_input_grad[:2]
    dims = tuple(range(x.ndim - ctx.k, x.ndim))
    rstd = rsqrt(mean_of(x * x, dims, keepdim=True) + ctx.eps)
    xhat = x * rstd
    grad_x = grad_w = None
    if need_w:
        grad_w = grad * xhat   # the engine sums it down to weight's shape
    if need_x:
        gw = grad * weight if weight is not None else grad
        grad_x = (gw - xhat * mean_of(gw * xhat, dims, keepdim=True)) * rstd
    return grad_x, grad_w
