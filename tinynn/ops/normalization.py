"""Normalization as one fused op: batch norm, layer norm, group norm and instance norm share it
(and RMS norm, its uncentered sibling, shares its backward).

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

RMS norm (Zhang & Sennrich 2019, LLaMA-style models) is layer norm without the centering: mean = 0,
var = E[x^2], no bias. Then drstd/dx_j = -rstd^2 xhat_j / n as above, the 1/n term of dmean is
gone, and dL/dx = rstd * (gw - xhat * E[gw * xhat]): the same closed form minus E[gw].

One backward, written once (``_normalize_grads``, ``_standardize``): the engine runs it on raw
arrays for a first derivative, with the statistics saved by forward and in-place temporaries, and
on Tensors under ``create_graph=True``, with the statistics recomputed from x by the same lines, so
that they depend on x in the graph and second derivatives come out right. On a GPU, layer norm
has a fused kernel (kernels/layer_norm.py) computing the same formula, tested against this one.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..autograd.unbroadcast import sum_to_shape, sum_to_shape_array
from ..backend import array_module_of
from ..kernels import use_fused
from ..kernels.layer_norm import layer_norm_backward as fused_layer_norm_backward
from ..kernels.layer_norm import layer_norm_forward as fused_layer_norm_forward
from ..tensor import Tensor
from .reduce import mean as mean_of

__all__ = ["normalize", "RMSNormalize"]


class Normalize(Op):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over ``axes``; see the module docstring.

    Returns ``(y, mean, var)``: the statistics (shaped to broadcast against x) carry no gradient;
    batch norm reads them to update its running averages.
    """

    array_backward = True   # raw arrays for a first derivative, Tensors when backward is recorded

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, stats=None):
        ctx.fused_rows = None
        if stats is None and _is_layer_norm(x, weight, bias, axes) and use_fused(x, weight, bias):
            y, mean, var, rstd = _fused_forward(ctx, x, weight, bias, axes, eps)
        else:
            y, mean, var, rstd = _standardize(x, axes, eps, stats)
            xp = array_module_of(x)
            if weight is not None:
                y = _into_first(xp.multiply, y, weight)
            if bias is not None:
                y = _into_first(xp.add, y, bias)
        ctx.axes, ctx.eps, ctx.from_x = axes, eps, stats is None
        ctx.mean, ctx.rstd = mean, rstd
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(x, weight)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, grad, _grad_mean=None, _grad_var=None):
        x, weight = ctx.saved_tensors
        recorded = isinstance(x, Tensor)   # Tensors: a graph of this backward is being built
        if ctx.fused_rows is not None and not recorded:
            return _fused_backward(ctx, grad, x, weight)
        if recorded and ctx.from_x:  # the statistics as functions of x, by the forward's own lines
            xhat, _, _, rstd = _standardize(x, ctx.axes, ctx.eps)
        else:  # the statistics as numbers: saved by forward, or the constants it was given
            mean, rstd = (Tensor._make(s) if recorded else s for s in (ctx.mean, ctx.rstd))
            xhat = x - mean
            xhat *= rstd
        return _normalize_grads(grad, xhat, rstd, weight, ctx.bias_shape, ctx.axes, ctx.from_x,
                                ctx.needs_input_grad[:3])


class RMSNormalize(Op):
    """y = x / sqrt(E[x^2] + eps) * weight over the last ``k`` dims (RMS norm; the module docstring).

    x: (*, *S) with S the normalized shape (k = len(S));  weight: S or None.
    """

    array_backward = True   # raw arrays for a first derivative, Tensors when backward is recorded

    @staticmethod
    def forward(ctx, x, weight, k, eps):
        ctx.axes, ctx.eps = tuple(range(x.ndim - k, x.ndim)), eps
        y, ctx.rstd = _rms_standardize(x, ctx.axes, eps)
        if weight is not None:
            y = _into_first(array_module_of(x).multiply, y, weight)
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if isinstance(x, Tensor):  # a graph of this backward: rstd as a function of x, by the forward's lines
            xhat, rstd = _rms_standardize(x, ctx.axes, ctx.eps)
        else:
            rstd = ctx.rstd
            xhat = x * rstd
        needs = (*ctx.needs_input_grad[:2], False)
        return _normalize_grads(grad, xhat, rstd, weight, None, ctx.axes, True, needs, center=False)[:2]


def _standardize(x, axes: tuple, eps: float, stats=None):
    """xhat = (x - mean) * rstd and the statistics (mean, var given, or those of x); the same
    lines for arrays (forward) and Tensors (backward under create_graph). Returns xhat, mean, var, rstd."""
    if stats is None:
        mean = _mean(x, axes)
        centered = x - mean
        var = _mean(centered * centered, axes)
    else:
        mean, var = stats
        centered = x - mean
    rstd = (var + eps) ** -0.5
    return _times(centered, rstd), mean, var, rstd


def _rms_standardize(x, axes: tuple, eps: float):
    """xhat = x * rstd, rstd = 1 / sqrt(E[x^2] + eps) (RMS norm), for arrays and Tensors alike."""
    rstd = (_mean(x * x, axes) + eps) ** -0.5
    return x * rstd, rstd


def _normalize_grads(g, xhat, rstd, weight, bias_shape, axes: tuple, from_x: bool, needs, center: bool = True):
    """dL/dx, dL/dweight, dL/dbias from g = dL/dy (the module docstring's closed form), each None
    unless ``needs`` asks for it; the same lines for arrays and Tensors. ``center=False``: RMS norm."""
    need_x, need_w, need_b = needs
    grad_w = _sum_to(g * xhat, weight.shape) if need_w else None
    grad_b = _sum_to(g, bias_shape) if need_b else None
    grad_x = None
    if need_x:
        gw = g * weight if weight is not None else g
        if from_x:  # rstd (gw - E[gw] - xhat E[gw xhat]), the terms summed into one array
            grad_x = _times(xhat, -_mean(gw * xhat, axes))   # xhat is not needed after this
            grad_x += gw
            if center:
                grad_x -= _mean(gw, axes)
            grad_x *= rstd
        else:  # mean and var are constants: y is affine in x
            grad_x = gw * rstd
    return grad_x, grad_w, grad_b


def _times(a, b):
    """a * b, written into a's memory when a is a raw array (its caller's own temporary).

    A Tensor's product is a new Tensor: ``a`` was used by an op of the graph being recorded
    (``a * a``, ``gw * a``), which keeps it for its own backward, so it must stay as it is.
    """
    if isinstance(a, Tensor):
        return a * b
    return _into_first(array_module_of(a).multiply, a, b)


def _into_first(ufunc, a, b):
    """ufunc(a, b), written into a's memory when the dtypes allow it (no new full-size array)."""
    return ufunc(a, b, out=a) if a.dtype == b.dtype else ufunc(a, b)


def _mean(a, axes: tuple):
    """The mean over ``axes``, keeping them as size-1 dims (a Tensor's differentiably).

    For an array over trailing dims (layer norm) it is one matrix-vector product with a vector
    of 1/n: BLAS does that several times faster than a ufunc reduction.
    """
    if isinstance(a, Tensor):
        return mean_of(a, axes, keepdim=True)
    k = len(axes)
    if axes == tuple(range(a.ndim - k, a.ndim)):
        n = math.prod(a.shape[a.ndim - k:])
        means = a.reshape(-1, n) @ array_module_of(a).full(n, 1.0 / n, dtype=a.dtype)
        return means.reshape(a.shape[:a.ndim - k] + (1,) * k)
    return a.mean(axis=axes, keepdims=True)


def _sum_to(a, shape: tuple):
    """Sum ``a`` down to ``shape``, the broadcast shape of a weight or bias (a Tensor's differentiably).

    For an array where only leading dims go (layer norm), that is ``ones @ a``: one BLAS call.
    """
    if isinstance(a, Tensor):
        return sum_to_shape(a, shape)
    if tuple(a.shape[a.ndim - len(shape):]) == tuple(shape):
        n = math.prod(shape)
        return (array_module_of(a).ones(a.size // n, dtype=a.dtype) @ a.reshape(-1, n)).reshape(shape)
    return sum_to_shape_array(a, shape)


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


def _fused_backward(ctx, g, x, weight):
    """``_normalize_grads`` for layer norm on raw CuPy arrays, as one kernel launch."""
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    xp = array_module_of(x)
    n = math.prod(x.shape[x.ndim - len(ctx.axes):])
    g2d = xp.ascontiguousarray(g).reshape(-1, n)
    w = None if weight is None else xp.ascontiguousarray(weight).reshape(-1)
    dx, g_xhat = fused_layer_norm_backward(g2d, xp.ascontiguousarray(x).reshape(-1, n), w, *ctx.fused_rows,
                                           need_x=need_x, need_g_xhat=need_w)
    ones = xp.ones(g2d.shape[0], dtype=g2d.dtype) if (need_w or need_b) else None
    grad_w = (ones @ g_xhat).reshape(weight.shape) if need_w else None
    grad_b = (ones @ g2d).reshape(ctx.bias_shape) if need_b else None
    return (dx.reshape(x.shape) if need_x else None), grad_w, grad_b


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
