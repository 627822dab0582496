"""Reductions: sum, mean, max/min, logsumexp, softmax (var/std are in statistics.py, cumsum in scan.py).

A reduction's backward spreads the gradient back over the reduced dims: ``unsqueeze`` puts the
removed dims back (when ``keepdim=False``) and broadcasting does the rest.
"""
from __future__ import annotations

import collections
import math

import numpy as np

from ..autograd.function import Op
from ..autograd.unbroadcast import Expand
from ..backend import array_module_of
from ..dtypes import get_default_dtype, refuse_dtype
from ..tensor import Tensor
from ..dims import reduce_dims, wrap_dim
from .shape import Reshape, reshape
from ..autograd.function import autocast_off

values_indices = collections.namedtuple("values_indices", ["values", "indices"])

__all__ = [
    "amax",
    "amin",
    "argmax",
    "argmin",
    "log_softmax",
    "logsumexp",
    "max",
    "mean",
    "min",
    "nansum",
    "norm",
    "softmax",
    "sum",
]


def _restore_dims(grad: Tensor, input_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input (reduced dims as size 1)."""
    if keepdim or axes is None and grad.ndim == len(input_shape):
        return grad
    if axes is None:
        return Reshape.apply(grad, (1,) * len(input_shape))
    shape = list(input_shape)
    for a in axes:
        shape[a] = 1
    return Reshape.apply(grad, tuple(shape))


class Sum(Op):
    """y = sum of x over ``axes``;  dy/dx = 1 everywhere (the gradient is broadcast back).

    float16 is summed in float32 and rounded once at the end, as PyTorch does: a float16 running
    sum stops counting at 2048 (2048 + 1 rounds back to 2048).
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.input_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if x.dtype == np.float16:
            with np.errstate(over="ignore"):  # a sum beyond 65,504 is inf in float16, silently as in PyTorch
                return x.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return Expand.apply(_restore_dims(grad, ctx.input_shape, ctx.axes, ctx.keepdim), ctx.input_shape)


def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); bool and int tensors sum to int64."""
    if dtype is not None:
        x = x.to(dtype)
    axes = reduce_dims(dim, x.ndim, "sum")
    return Sum.apply(x, axes, keepdim)


def in_float32(fn, x: Tensor, *args, **kwargs):
    """``fn`` of a float16 tensor computed in float32 and rounded back once, as PyTorch accumulates
    float16 reductions (a float16 sum of 100,000 values of 1 overflows at 65,504; the mean does not).

    tinynn does it for every float16 reduction. PyTorch's CPU kernels do it for sum, mean, var,
    std, norm, cumsum and softmax, but their logsumexp, log_softmax and cross_entropy over a very
    long float16 dim overflow to inf (70,000 zeros: logsumexp inf); tinynn gives the right value
    (log 70,000 = 11.16) there, on purpose."""
    return fn(x.to(np.float32), *args, **kwargs).to(np.float16)


def mean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Average over ``dim`` (an int, a tuple, or None for all)."""
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, got {x.dtype}; "
            "use x.float().mean()"
        )
    if x.dtype == np.float16:
        return in_float32(mean, x, dim, keepdim)
    axes = reduce_dims(dim, x.ndim, "mean")
    count = x._data.size if axes is None else math.prod(x.shape[a] for a in axes)
    out = Sum.apply(x, axes, keepdim) / count if count else Sum.apply(x, axes, keepdim) * math.nan
    if out.dtype != x.dtype and not autocast_off():  # autocast summed in float32: mean keeps x's dtype
        out = out.to(x.dtype)
    return out


def nansum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    from .indexing import where
    from .compare import isnan

    if x.dtype.kind != "f":  # integers have no NaN, and keep their dtype (int64) as in sum
        return sum(x, dim, keepdim)
    return sum(where(isnan(x), 0.0, x), dim, keepdim)


class Extreme(Op):
    """y = max (or min) of x over ``axes``;  the gradient is shared equally by the tied extremes.

    A NaN extreme: ``max(x)`` of the whole tensor shares the gradient among the NaNs (PyTorch's
    rule for it); ``amax`` finds no element equal to NaN and gives NaN, as PyTorch's amax does.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest, nan_hits=False):
        ctx.input_shape, ctx.axes, ctx.keepdim, ctx.nan_hits = x.shape, axes, keepdim, nan_hits
        out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        ctx.save_for_backward(x, out)
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        hits = x == out
        if ctx.nan_hits:
            hits = hits | ((x != x) & (out != out))
        hits = hits.to(grad.dtype).detach()
        share = hits / Sum.apply(hits, ctx.axes, True)
        return _restore_dims(grad, ctx.input_shape, ctx.axes, ctx.keepdim) * share


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def amax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The largest value over ``dim``; ties share the gradient equally."""
    axes = reduce_dims(dim, x.ndim, "amax")
    _check_nonempty(x, "amax", axes)
    return Extreme.apply(x, axes, keepdim, True)


def amin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim``; ties share the gradient equally."""
    axes = reduce_dims(dim, x.ndim, "amin")
    _check_nonempty(x, "amin", axes)
    return Extreme.apply(x, axes, keepdim, False)


def _check_nonempty(x, name, axes=None):
    """A max/min has no value over an empty dim (no identity); other dims may be empty (PyTorch's errors)."""
    if axes is None and x._data.size == 0:
        raise RuntimeError(f"{name}(): expected a non-empty tensor (the reduction has no identity)")
    for a in axes or ():
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): expected reduction dim {a} to have non-zero size")


def _extreme_with_indices(x, dim, keepdim, largest, name):
    """(values, indices) of the extremes along ``dim``; the gradient goes to the chosen index."""
    from .indexing import gather

    d = wrap_dim(dim, x.ndim, name)
    _check_nonempty(x, name, (d,) if x.ndim else None)
    ranked = x if x.dtype != np.bool_ else Tensor._make(x._data.view(np.uint8))  # argmax refuses bools
    indices = argmax(ranked, d, keepdim=True) if largest else argmin(ranked, d, keepdim=True)
    if x.ndim == 0:
        return values_indices(reshape(x, ()), indices)
    values = gather(x, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), Tensor._make(indices._data.squeeze(d))
    return values_indices(values, indices)


def max(x: Tensor, dim=None, keepdim: bool = False):
    """``max(x)``: the largest element; ``max(x, dim)``: (values, indices); ``max(x, y)``: maximum."""
    if isinstance(dim, Tensor):
        from .minmax import maximum

        return maximum(x, dim)
    if dim is None:
        _check_nonempty(x, "max")
        return Extreme.apply(x, None, False, True, True)
    return _extreme_with_indices(x, dim, keepdim, True, "max")


def min(x: Tensor, dim=None, keepdim: bool = False):
    """``min(x)``: the smallest element; ``min(x, dim)``: (values, indices); ``min(x, y)``: minimum."""
    if isinstance(dim, Tensor):
        from .minmax import minimum

        return minimum(x, dim)
    if dim is None:
        _check_nonempty(x, "min")
        return Extreme.apply(x, None, False, False, True)
    return _extreme_with_indices(x, dim, keepdim, False, "min")


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None), as int64."""
    return _arg_extreme(x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None), as int64."""
    return _arg_extreme(x, dim, keepdim, "argmin")


def _arg_extreme(x, dim, keepdim, name):
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input; use x.long() or x.float() first")
    xp = array_module_of(x._data)
    fn = xp.argmax if name == "argmax" else xp.argmin
    if dim is None:
        if x._data.size == 0:
            raise IndexError(f"{name}(): expected reduction dim to be specified for input.numel() == 0")
        out = fn(x._data)
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        d = wrap_dim(dim, x.ndim, name)
        _check_nonempty(x, name, (d,) if x.ndim else None)
        out = fn(x._data, axis=d, keepdims=keepdim) if x.ndim else fn(x._data)
    return Tensor._make(xp.asarray(out, dtype="int64"))


class LogSumExp(Op):
    """y = log sum_i e^(x_i), computed as m + log sum e^(x - m) with m = max x;  dy/dx = softmax(x)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = array_module_of(x)
        x = x if x.dtype.kind == "f" else x.astype(get_default_dtype())
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(_reduced_shape(x.shape, axes))
        ctx.input_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.save_for_backward(x, out)  # the returned array, so that backward stays differentiable
        return out

    @staticmethod
    def backward(ctx, grad):
        from .unary import exp

        x, out = ctx.saved_tensors
        restore = lambda t: _restore_dims(t, ctx.input_shape, ctx.axes, ctx.keepdim)  # noqa: E731
        return restore(grad) * exp(x - restore(out))


def logsumexp(x: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, without overflow; -inf over an empty dim (the log of 0)."""
    if x.dtype == np.float16:
        return in_float32(logsumexp, x, dim, keepdim)
    axes = reduce_dims(dim, x.ndim, "logsumexp")
    if x._data.size == 0:
        total = sum(x if x.dtype.kind == "f" else x.to(get_default_dtype()), axes, keepdim)
        return total - math.inf if total.numel() else total
    return LogSumExp.apply(x, axes, keepdim)


class Softmax(Op):
    """y_i = e^(x_i - max) / sum_j e^(x_j - max);  dL/dx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module_of(x)
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        gy = grad * y
        return gy - y * sum(gy, ctx.dim, keepdim=True)


class LogSoftmax(Op):
    """y = x - logsumexp(x);  dL/dx = g - softmax(x) * sum(g)."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module_of(x)
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .unary import exp

        (y,) = ctx.saved_tensors
        return grad - exp(y) * sum(grad, ctx.dim, keepdim=True)


def _softmax_input(x: Tensor, dim, dtype, name):
    if dim is None:
        raise TypeError(f"{name}() missing the dim argument (PyTorch's implicit dim is deprecated)")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind != "f":
        raise refuse_dtype(name, x.dtype, "a floating point tensor (or pass dtype=)")
    d = wrap_dim(dim, x.ndim, name)
    return x, (d if x.ndim else None)  # a 0-dim tensor: its one element (CuPy has no axis 0 there)


def softmax(x: Tensor, dim=None, dtype=None) -> Tensor:
    """Normalised exponentials along ``dim``: non-negative, summing to 1."""
    x, d = _softmax_input(x, dim, dtype, "softmax")
    if x._data.size == 0:  # nothing to normalise: an empty result of the same shape
        return x * 1.0
    if x.dtype == np.float16:
        return in_float32(Softmax.apply, x, d)
    return Softmax.apply(x, d)


def log_softmax(x: Tensor, dim=None, dtype=None) -> Tensor:
    """``log(softmax(x))`` computed without the overflow and underflow of doing it in two steps."""
    x, d = _softmax_input(x, dim, dtype, "log_softmax")
    if x._data.size == 0:
        return x * 1.0
    if x.dtype == np.float16:
        return in_float32(LogSoftmax.apply, x, d)
    return LogSoftmax.apply(x, d)


class Norm2(Op):
    """y = sqrt(sum of x^2 over ``axes``);  dy/dx = x / y, taken as 0 where y = 0 (as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = array_module_of(x).sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        ctx.input_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        x, out = ctx.saved_tensors
        # y = 0 only where all its x are 0, so dividing by 1 there gives the 0 we want
        safe_out = where((out == 0).detach(), 1.0, out)
        restore = lambda t: _restore_dims(t, ctx.input_shape, ctx.axes, ctx.keepdim)  # noqa: E731
        return restore(grad) * x / restore(safe_out)


def norm(x: Tensor, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm over ``dim`` (all elements when None): (sum |x|^p)^(1/p); p may be inf, or 0
    (the number of nonzero elements). Float tensors only, as in PyTorch."""
    from .unary import abs as absolute, sign

    if x.dtype.kind != "f":
        raise RuntimeError(f"norm: expected a floating point tensor, got {x.dtype}; use x.float() first")
    if x.dtype == np.float16:
        return in_float32(norm, x, p, dim, keepdim)
    if p == "fro" or p == 2:
        return Norm2.apply(x, reduce_dims(dim, x.ndim, "norm"), keepdim)
    if p == math.inf or p == "inf":
        return amax(absolute(x), dim, keepdim)
    if p == -math.inf:
        return amin(absolute(x), dim, keepdim)
    if p == 1:
        return sum(absolute(x), dim, keepdim)
    if p == 0:  # sign |x| is 1 where x != 0: a count, with derivative 0
        return sum(sign(absolute(x)), dim, keepdim)
    return sum(absolute(x) ** p, dim, keepdim) ** (1.0 / p)
