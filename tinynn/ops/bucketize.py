"""Sorting values into bins and counting: bucketize, searchsorted, histc, bincount, count_nonzero.

None of these has a gradient (their results are integers or counts), as in PyTorch.

    searchsorted(seq, v)      the index i where v would be inserted to keep seq sorted:
                              seq[i-1] < v <= seq[i]   (right=True:  seq[i-1] <= v < seq[i])
    bucketize(v, boundaries)  the same question asked the other way round (boundaries are 1-d)
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import reduce_dims

__all__ = ["bincount", "bucketize", "count_nonzero", "histc", "searchsorted"]


def _values(v, like):
    """A tensor or a Python number as an array (numbers become 0-d arrays)."""
    if isinstance(v, Tensor):
        return v._data
    return array_module_of(like).asarray(v)


def _side(right: bool, side) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError(
            "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
        )
    return side


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Where each value of ``input`` goes in ``sorted_sequence`` (sorted along its last dim).

    ``sorted_sequence`` is 1-d, or has ``input``'s leading dims (one sorted row per row of
    input). ``right``/``side='right'`` puts a value equal to an entry after it; ``sorter`` gives
    the order that sorts an unsorted sequence (as ``argsort`` returns it). int64 result
    (int32 with ``out_int32``).
    """
    seq = sorted_sequence._data
    values = _values(input, seq)
    how = _side(right, side)
    xp = array_module_of(seq)
    if sorter is not None:
        order = sorter._data if isinstance(sorter, Tensor) else xp.asarray(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, "
                               f"but got {tuple(seq.shape)} and {tuple(order.shape)}")
        seq = xp.take_along_axis(seq, order.astype("int64"), axis=-1)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but got a 0-d tensor")
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=how)
    else:
        if values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(seq.shape)} and input value tensor {list(values.shape)}"
            )
        rows, row_values = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=how) for r, v in zip(rows, row_values)])
        out = out.reshape(values.shape)
    return Tensor._make(xp.asarray(out).astype("int32" if out_int32 else "int64"))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input``: i with boundaries[i-1] < x <= boundaries[i]
    (right=True: boundaries[i-1] <= x < boundaries[i]); ``boundaries`` is 1-d and increasing."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts of ``input``'s elements in ``bins`` equal-width bins over [min, max] (the data's
    range when min = max = 0); elements outside the range and nan are left out; a value equal
    to max counts in the last bin. The counts have input's float dtype.
    """
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f"histc: expected a floating point tensor, got {data.dtype}")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins}")
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    xp = array_module_of(data)
    finite = data[~xp.isnan(data)]
    if low == high and finite.size:
        low, high = float(finite.min()), float(finite.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    inside = finite[(finite >= low) & (finite <= high)]
    which = ((inside - low) * bins / (high - low)).astype("int64")
    which = xp.minimum(which, bins - 1)  # the value max itself belongs to the last bin
    counts = xp.bincount(which, minlength=bins)
    return Tensor._make(counts.astype(data.dtype))


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in the 1-d non-negative integer ``input`` (at least
    ``minlength`` counts); with ``weights``, the sum of the weights of its occurrences instead."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"bincount: expected an integer tensor, got {data.dtype}")
    if data.ndim != 1 or (data.size and int(data.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    xp = array_module_of(data)
    if weights is None:
        return Tensor._make(xp.bincount(data, minlength=minlength).astype("int64"))
    w = weights._data if isinstance(weights, Tensor) else xp.asarray(weights)
    if w.shape != data.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input, "
                           f"got {tuple(w.shape)} for input {tuple(data.shape)}")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype("float64")  # PyTorch: integer weights count in double
    return Tensor._make(xp.bincount(data, weights=w, minlength=minlength).astype(dtype))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements, over all of ``input`` or over ``dim`` (an int or a tuple)."""
    axes = reduce_dims(dim, input.ndim, "count_nonzero")
    data = input._data
    return Tensor._make(array_module_of(data).asarray((data != 0).sum(axis=axes)).astype("int64"))
