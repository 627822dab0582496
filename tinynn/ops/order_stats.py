"""Order statistics: median, nanmedian, mode, aminmax, msort (quantiles are in quantile.py).

Each one is a choice of elements by rank, made on the raw numbers (a stable argsort; no gradient),
followed by reading the chosen elements out of the tensor with ``gather``, so the gradient of each
result goes to the element it came from:

    median(x, dim)     the lower of the two middle values of each row: sorted position (n - 1) // 2;
                       NaN where the row holds a NaN (the index of its first NaN)
    nanmedian(x, dim)  the same over the row's non-NaN values; NaN only for an all-NaN row
    mode(x, dim)       the most frequent value (the smallest of equally frequent ones) and the
                       index of its last occurrence, as PyTorch's CPU kernel returns
    aminmax(x)         (amin(x), amax(x)): tied extremes share the gradient equally, as in PyTorch

``median(x)`` and ``nanmedian(x)`` without a dim return the value alone; their gradient is shared
equally by every element equal to it (PyTorch's rule), not sent to one of them.

Which of several equal medians ``median(x, dim)`` points at is, in PyTorch, whatever its selection
algorithm met first (its documentation promises nothing). tinynn returns the first occurrence.
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import reduce_dims, wrap_dim
from .indexing import gather
from .reduce import amax, amin
from .sorting import sort

__all__ = ["aminmax", "median", "mode", "msort", "nanmedian"]

median_values = collections.namedtuple("median", ["values", "indices"])
nanmedian_values = collections.namedtuple("nanmedian", ["values", "indices"])
mode_values = collections.namedtuple("mode", ["values", "indices"])
aminmax_values = collections.namedtuple("aminmax", ["min", "max"])


def _check(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): bool tensors are not supported (convert with .int() or .float())")


def _isnan(a, xp):
    return xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool)


class SharedSelection(Op):
    """y = the element of x at sorted position ``rank`` (over all of x);  dy/dx is shared equally
    by the elements equal to y (by the NaNs when y is NaN): PyTorch's rule for median(x)."""

    @staticmethod
    def forward(ctx, x, ignore_nan):
        xp = array_module_of(x)
        flat = x.reshape(-1)
        nan = _isnan(flat, xp)
        values = flat[~nan] if ignore_nan else flat
        if values.size == 0 or (not ignore_nan and bool(nan.any())):
            y = xp.asarray(xp.nan, dtype=x.dtype) if x.dtype.kind == "f" else xp.asarray(0, dtype=x.dtype)
        else:
            k = (values.size - 1) // 2  # the lower median
            y = xp.partition(values, k)[k].copy()
        y = xp.asarray(y).reshape(())
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        hits = ((x == y) | (x.isnan() & y.isnan())).to(grad.dtype).detach()
        return grad * hits / hits.sum()


def _select_rank(x: Tensor, dim, keepdim: bool, name: str, ignore_nan: bool):
    """(values, indices) of the (nan)median along ``dim``."""
    d = wrap_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return x.clone(), Tensor._make(array_module_of(x._data).zeros((), dtype=np.int64))
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    xp = array_module_of(x._data)
    order = xp.argsort(x._data, axis=d, kind="stable")  # NaNs sort last, in their original order
    nan_count = _isnan(x._data, xp).sum(axis=d, keepdims=True)
    n = x.shape[d]
    if ignore_nan:  # the lower median of the numbers; position 0 (a NaN) for an all-NaN row
        position = xp.maximum(n - nan_count - 1, 0) // 2
    else:  # the lower median, or the first NaN of a row that has one
        position = xp.where(nan_count > 0, n - nan_count, (n - 1) // 2)
    indices = Tensor._make(xp.take_along_axis(order, position, axis=d).astype(np.int64))
    values = gather(x, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values, indices


def median(input: Tensor, dim=None, keepdim: bool = False):
    """``median(x)``: the lower median of all elements; ``median(x, dim)``: (values, indices).

    Of an even count, the lower of the two middle values (PyTorch's rule, unlike NumPy's mean of
    the two). Any NaN makes the result NaN.
    """
    _check(input, "median")
    if dim is None:
        return SharedSelection.apply(input, False)
    return median_values(*_select_rank(input, dim, keepdim, "median", ignore_nan=False))


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """``median`` ignoring NaNs: NaN only where every value is NaN."""
    _check(input, "nanmedian")
    if dim is None:
        return SharedSelection.apply(input, True)
    return nanmedian_values(*_select_rank(input, dim, keepdim, "nanmedian", ignore_nan=True))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally frequent
    ones) and the index of its last occurrence. NaNs count as one value."""
    _check(input, "mode")
    x = input
    d = wrap_dim(dim, x.ndim, "mode")
    xp = array_module_of(x._data)
    if x.ndim == 0:
        return mode_values(x.clone(), Tensor._make(xp.zeros((), dtype=np.int64)))
    if x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    order = xp.moveaxis(xp.argsort(x._data, axis=d, kind="stable"), d, -1)
    s = xp.take_along_axis(xp.moveaxis(x._data, d, -1), order, axis=-1)  # each row sorted
    rows, n = s.size // s.shape[-1], s.shape[-1]
    s, order = s.reshape(rows, n), order.reshape(rows, n)
    nan = _isnan(s, xp)
    same = (s[:, 1:] == s[:, :-1]) | (nan[:, 1:] & nan[:, :-1])
    # the runs of equal values in each sorted row, numbered 0, 1, ... from the smallest value
    run = xp.cumsum(xp.concatenate([xp.zeros((rows, 1), dtype=np.int64), ~same], axis=1), axis=1)
    lengths = xp.bincount((run + n * xp.arange(rows)[:, None]).reshape(-1), minlength=rows * n).reshape(rows, n)
    best = xp.argmax(lengths, axis=1)[:, None]  # the first longest run: the smallest most frequent value
    last = xp.take_along_axis(xp.cumsum(lengths, axis=1), best, axis=1) - 1
    # the run's last place in the stably sorted row holds the value's last occurrence in the row
    index = xp.take_along_axis(order, last, axis=1).reshape(x.shape[:d] + x.shape[d + 1:] + (1,))
    index = xp.moveaxis(index, -1, d)
    indices = Tensor._make(index.astype(np.int64))
    values = gather(x, d, indices)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return mode_values(values, indices)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """(min, max) over ``dim`` (all elements when None) in one call; ties share the gradient."""
    if not isinstance(input, Tensor):
        raise TypeError(f"aminmax(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"aminmax(): argument 'dim' must be an int, got {type(dim).__name__}")
    axes = reduce_dims(dim, input.ndim, "aminmax")
    empty = input.numel() == 0 if axes is None else any(input.shape[a] == 0 for a in axes)
    if empty:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is None and keepdim:
        shape = (1,) * input.ndim
        return aminmax_values(amin(input).reshape(shape), amax(input).reshape(shape))
    return aminmax_values(amin(input, dim, keepdim), amax(input, dim, keepdim))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``: each column sorted."""
    if not isinstance(input, Tensor):
        raise TypeError(f"msort(): argument 'input' must be a Tensor, got {type(input).__name__}")
    return sort(input, 0).values
