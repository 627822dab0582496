"""Normalization as one fused op: batch norm, layer norm, group norm and instance norm share it.

Every normalization layer standardizes ``x`` over some ``axes`` and then applies an affine map::

    mean = E[x],   var = E[(x - mean)^2]          (E: the average over `axes`, biased variance)
    rstd = 1 / sqrt(var + eps)
    xhat = (x - mean) * rstd
    y    = xhat * weight + bias

The layers differ only in the axes and in the shape of weight and bias (each broadcast against x):

    batch norm     x: (N, C, *)   axes: all but 1       weight: (C, 1, ..., 1)
    layer norm     x: (*, S)      axes: the trailing S  weight: S
    group norm     x: (N, G, C/G, *)  axes: 2..         weight: (G, C/G, 1, ..., 1)
    instance norm  x: (N, C, *)   axes: 2..             weight: (C, 1, ..., 1)

Backward. With g = dL/dy and n the number of elements in one normalized group:

    dL/dbias   = g                summed over the dims that weight and bias broadcast along
    dL/dweight = g * xhat         (likewise)
    dL/dxhat   = gw = g * weight

and, when mean and var are the statistics of x itself (training mode),

    dxhat_i/dx_j = rstd * (delta_ij - 1/n) - rstd * xhat_i * xhat_j / n

because dmean/dx_j = 1/n and drstd/dx_j = -rstd^3 (x_j - mean) / n = -rstd^2 xhat_j / n. Summing
gw_i * dxhat_i/dx_j over i gives the closed form

    dL/dx = rstd * (gw - E[gw] - xhat * E[gw * xhat]).

When mean and var are given constants (batch norm in eval mode) the map is affine in x and
dL/dx = rstd * gw.

The backward is written twice on purpose. The usual first-order call runs on raw arrays with
in-place temporaries (fast, few allocations). Under ``create_graph=True`` the same formulas are
built from tinynn ops, with mean, rstd and xhat recomputed from x, so that they depend on x in
the graph and second derivatives come out right.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Op
from ..backend import array_module_of
from ..kernels import use_fused
from ..kernels.layer_norm import layer_norm_backward as fused_layer_norm_backward
from ..kernels.layer_norm import layer_norm_forward as fused_layer_norm_forward
from ..tensor import Tensor
from .reduce import mean as mean_of
from .unary import rsqrt

__all__ = ["normalize"]


class Normalize(Op):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over ``axes``; see the module docstring.

    Returns ``(y, mean, var)``: the statistics (shaped to broadcast against x) carry no gradient;
    batch norm reads them to update its running averages.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, stats=None):
        ctx.fused_rows = None
        if stats is None and _is_layer_norm(x, weight, bias, axes) and use_fused(x, weight, bias):
            y, mean, var, rstd = _fused_forward(ctx, x, weight, bias, axes, eps)
        else:
            y, mean, var, rstd = _forward_arrays(x, weight, bias, axes, eps, stats)
        ctx.axes, ctx.eps, ctx.from_x = axes, eps, stats is None
        ctx.mean, ctx.rstd = mean, rstd
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(x, weight)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, grad, _grad_mean=None, _grad_var=None):
        x, weight = ctx.saved_tensors
        if grad_mode.state.enabled:
            return _backward_graph(ctx, grad, x, weight)
        return _backward_arrays(ctx, grad, x, weight)


def _forward_arrays(x, weight, bias, axes, eps, stats):
    """y, mean, var and rstd with array operations (any normalization, on NumPy or CuPy)."""
    xp = array_module_of(x)
    if stats is None:  # the statistics of x itself
        mean = _mean(x, axes, xp)
        y = x - mean
        var = _mean(y * y, axes, xp)
    else:
        mean, var = stats
        y = x - mean
    rstd = 1.0 / xp.sqrt(var + eps)
    y *= rstd  # y holds xhat now
    if weight is not None:
        y = _into_first(xp.multiply, y, weight)
    if bias is not None:
        y = _into_first(xp.add, y, bias)
    return y, mean, var, rstd


def _into_first(ufunc, a, b):
    """ufunc(a, b), written into a's memory when the dtypes allow it (no new full-size array)."""
    return ufunc(a, b, out=a) if a.dtype == b.dtype else ufunc(a, b)


def _is_layer_norm(x, weight, bias, axes) -> bool:
    """Normalizing over the trailing dims, with weight and bias (if any) shaped like them."""
    k = len(axes)
    trailing = tuple(x.shape[x.ndim - k:])
    return (k > 0 and axes == tuple(range(x.ndim - k, x.ndim))
            and all(p is None or tuple(p.shape) == trailing for p in (weight, bias)))


def _fused_forward(ctx, x, weight, bias, axes, eps):
    """Layer norm in one GPU kernel (kernels/layer_norm.py); _fused_backward uses its twin.
    Returns y, mean, var and rstd shaped as the array path gives them."""
    xp = array_module_of(x)
    n = math.prod(x.shape[x.ndim - len(axes):])
    x2d = xp.ascontiguousarray(x).reshape(-1, n)
    flat = [None if p is None else xp.ascontiguousarray(p).reshape(-1) for p in (weight, bias)]
    y, mean, var, rstd = fused_layer_norm_forward(x2d, flat[0], flat[1], eps)
    ctx.fused_rows = (mean, rstd)
    keep = x.shape[:x.ndim - len(axes)] + (1,) * len(axes)
    return y.reshape(x.shape), mean.reshape(keep), var.reshape(keep), rstd.reshape(keep)


def _fused_backward(ctx, grad, x, weight):
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    xp = array_module_of(x._data)
    n = math.prod(x.shape[x.ndim - len(ctx.axes):])
    g2d = xp.ascontiguousarray(grad._data).reshape(-1, n)
    w = None if weight is None else xp.ascontiguousarray(weight._data).reshape(-1)
    dx, g_xhat = fused_layer_norm_backward(g2d, xp.ascontiguousarray(x._data).reshape(-1, n), w, *ctx.fused_rows,
                                           need_x=need_x, need_g_xhat=need_w)
    ones = xp.ones(g2d.shape[0], dtype=g2d.dtype) if (need_w or need_b) else None
    grad_w = Tensor._make((ones @ g_xhat).reshape(weight.shape)) if need_w else None
    grad_b = Tensor._make((ones @ g2d).reshape(ctx.bias_shape)) if need_b else None
    return (Tensor._make(dx.reshape(x.shape)) if need_x else None), grad_w, grad_b


def _backward_arrays(ctx, grad, x, weight):
    """The closed form on raw arrays (first-order backward): no graph, in-place temporaries."""
    if ctx.fused_rows is not None:
        return _fused_backward(ctx, grad, x, weight)
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    xp = array_module_of(ctx.rstd)
    g, axes = grad._data, ctx.axes
    xhat = x._data - ctx.mean
    xhat *= ctx.rstd
    grad_x = grad_w = grad_b = None
    if need_w:
        grad_w = Tensor._make(_sum_to(g * xhat, weight.shape, xp))
    if need_b:
        grad_b = Tensor._make(_sum_to(g, ctx.bias_shape, xp))
    if need_x:
        gw = g * weight._data if weight is not None else g.copy()
        if ctx.from_x:  # gw - E[gw] - xhat E[gw xhat], reusing xhat's memory
            mean_gw, mean_gw_xhat = _mean(gw, axes, xp), _mean(gw * xhat, axes, xp)
            xhat *= mean_gw_xhat
            gw -= xhat
            gw -= mean_gw
        gw *= ctx.rstd
        grad_x = Tensor._make(gw)
    return grad_x, grad_w, grad_b


def _mean(a, axes: tuple, xp):
    """The mean over ``axes``, keeping them as size-1 dims.

    Over trailing dims (layer norm) it is one matrix-vector product with a vector of 1/n: BLAS
    does that several times faster than a ufunc reduction.
    """
    k = len(axes)
    if axes == tuple(range(a.ndim - k, a.ndim)):
        n = math.prod(a.shape[a.ndim - k:])
        means = a.reshape(-1, n) @ xp.full(n, 1.0 / n, dtype=a.dtype)
        return means.reshape(a.shape[:a.ndim - k] + (1,) * k)
    return a.mean(axis=axes, keepdims=True)


def _sum_to(a, shape: tuple, xp):
    """Sum ``a`` down to ``shape``, the broadcast shape of a weight or bias (dL/dweight from g * xhat).

    When only leading dims go (layer norm), that is ``ones @ a``: one BLAS call.
    """
    lead = a.ndim - len(shape)
    if tuple(a.shape[lead:]) == tuple(shape):
        n = math.prod(shape)
        return (xp.ones(a.size // n, dtype=a.dtype) @ a.reshape(-1, n)).reshape(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes).reshape(shape)


def _backward_graph(ctx, grad, x, weight):
    """The same closed form from tinynn ops, differentiable again (create_graph=True)."""
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    axes = ctx.axes
    if ctx.from_x:
        centered = x - mean_of(x, axes, keepdim=True)
        rstd = rsqrt(mean_of(centered * centered, axes, keepdim=True) + ctx.eps)
        xhat = centered * rstd
    else:
        rstd = Tensor._make(ctx.rstd)
        xhat = (x - Tensor._make(ctx.mean)) * rstd
    grad_x = None
    if need_x:
        gw = grad * weight if weight is not None else grad
        if ctx.from_x:
            gw = gw - mean_of(gw, axes, keepdim=True) - xhat * mean_of(gw * xhat, axes, keepdim=True)
        grad_x = gw * rstd
    return grad_x, (grad * xhat if need_w else None), (grad if need_b else None)


def normalize(x: Tensor, axes: tuple, weight: Tensor | None = None, bias: Tensor | None = None,
              eps: float = 1e-5, stats: tuple | None = None):
    """Standardize ``x`` over ``axes`` (a tuple of non-negative dims), then scale and shift.

    ``weight`` and ``bias`` must already broadcast against x. ``stats = (mean, var)`` (raw arrays
    or tensors broadcasting against x) replaces the statistics of x by given constants.
    Returns ``(y, mean, var)``, mean and var kept with size-1 dims over ``axes``.
    """
    if stats is not None:
        stats = tuple(s._data if isinstance(s, Tensor) else s for s in stats)
    if math.prod(x.shape[a] for a in axes) == 0:
        raise RuntimeError(f"normalization over dims {axes} of an empty tensor of shape {tuple(x.shape)}")
    if x.dtype == np.float16:  # statistics in float32, as PyTorch computes them: float16 sums overflow
        single = [None if v is None else v.to(np.float32) for v in (x, weight, bias)]
        stats = None if stats is None else tuple(s.astype(np.float32) for s in stats)
        y, mean, var = Normalize.apply(*single, axes, eps, stats)
        return y.to(np.float16), mean.to(np.float16), var.to(np.float16)
    return Normalize.apply(x, weight, bias, axes, eps, stats)
