"""Quantiles: quantile and nanquantile, with PyTorch's five interpolation rules.

The q-quantile of n sorted values v_0 <= ... <= v_(n-1) sits at the fractional position
r = q (n - 1). Between its neighbours i = floor(r) and j = ceil(r) it is

    linear     v_i + (r - i) (v_j - v_i)         lower      v_i          higher    v_j
    midpoint   (v_i + v_j) / 2                   nearest    v_round(r)   (round half to even)

Computed as PyTorch does: sort along ``dim`` (NaNs last), gather the neighbours, interpolate.
Every step is a differentiable op, so the gradient reaches the (one or two) elements a quantile
was read from, weighted (1 - w, w). ``quantile`` gives NaN for a row holding a NaN; ``nanquantile``
uses the row's n' non-NaN values (r = q (n' - 1)) and gives NaN only for an all-NaN row.

With q a 1-D tensor the result gains a leading dim, one entry per q.
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim
from .indexing import gather
from .sorting import sort

__all__ = ["nanquantile", "quantile"]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_array(q, x: Tensor, name: str, xp):
    """q as a float array of shape () or (Q,), checked as PyTorch checks it."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        values = xp.asarray(q._data)
        if bool(((values < 0) | (values > 1)).any()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        return values
    if isinstance(q, bool) or not isinstance(q, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}(): argument 'q' must be a float or a Tensor, got {type(q).__name__}")
    if not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    return xp.asarray(q, dtype=x.dtype)


def _quantile(x: Tensor, q, dim, keepdim: bool, interpolation: str, name: str, ignore_nan: bool) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    xp = array_module_of(x._data)
    qs = _q_array(q, x, name, xp)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
                           f"nearest, but got {interpolation}")
    if x.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        values = sort(x.reshape(-1)).values                         # (n,)
    else:
        d = wrap_dim(dim, x.ndim, name)
        values = sort(x, d).values.movedim(d, -1) if x.ndim else x.reshape(1)  # (..., n)
    n = values.shape[-1]
    nan = xp.isnan(values._data)
    q_last = qs.reshape(-1)                                       # (Q,)
    if ignore_nan:  # r = q (n' - 1) over the n' numbers; an all-NaN row reads position 0, a NaN
        count = (n - nan.sum(axis=-1, keepdims=True)).astype(values.dtype)
        ranks = xp.maximum(q_last * (count - 1), 0)               # (..., Q)
    else:           # a row with a NaN reads its last position, which holds a NaN
        ranks = xp.where(nan.any(axis=-1, keepdims=True), n - 1, q_last * (n - 1)).astype(values.dtype)
    below = xp.floor(ranks)
    if interpolation in ("lower", "higher", "nearest"):
        rounded = {"lower": below, "higher": xp.ceil(ranks), "nearest": xp.round(ranks)}[interpolation]
        result = gather(values, -1, Tensor._make(rounded.astype(np.int64)))
    else:
        low = gather(values, -1, Tensor._make(below.astype(np.int64)))
        high = gather(values, -1, Tensor._make(xp.ceil(ranks).astype(np.int64)))
        weight = ranks - below if interpolation == "linear" else xp.full_like(ranks, 0.5)
        result = low + Tensor._make(weight.astype(values.dtype)) * (high - low)
    # result: (..., Q) -> (Q, ...), then the reduced dim restored or the q dim dropped
    result = result.movedim(-1, 0)
    if keepdim:
        if dim is None:
            result = result.reshape((result.shape[0],) + (1,) * x.ndim)
        elif x.ndim:
            result = result.unsqueeze(d + 1)
    if qs.ndim == 0:
        result = result.squeeze(0)
    return result


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of ``input`` along ``dim`` (of all elements when None); q in [0, 1],
    a number or a 1-D tensor (which adds a leading dim). NaN where a row holds a NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", ignore_nan=False)


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaNs: each row's quantiles of its non-NaN values."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True)
