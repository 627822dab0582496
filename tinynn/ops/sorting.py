"""Sorting: sort, argsort, topk, kthvalue.

The indices come from a stable argsort of the raw numbers (no gradient); the values are then
``gather``-ed with them, so the gradient of each value flows back to the place it came from.
"""
from __future__ import annotations

import collections

from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim
from .indexing import gather

values_indices = collections.namedtuple("values_indices", ["values", "indices"])

__all__ = [
    "argsort",
    "kthvalue",
    "sort",
    "topk",
]


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along ``dim``; always stable (a valid answer for stable=False too)."""
    d = wrap_dim(dim, x.ndim, "sort")
    indices = argsort(x, d, descending)
    values = gather(x, d, indices) if x.ndim else x.clone()
    return values_indices(values, indices)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
    """Indices that sort ``x`` along ``dim`` (stable: ties keep their order); NaN counts as largest."""
    xp = array_module_of(x._data)
    if x.ndim == 0:
        return Tensor._make(xp.zeros((), dtype="int64"))
    d = wrap_dim(dim, x.ndim, "argsort")
    data = x._data
    if not descending:
        return Tensor._make(xp.argsort(data, axis=d, kind="stable").astype("int64"))
    # sort the negated keys ascending, stably, so equal values keep their order as in PyTorch
    order = xp.argsort(-data if data.dtype.kind == "f" else ~data, axis=d, kind="stable")
    if data.dtype.kind == "f":  # -NaN is NaN, which sorts last: a second stable pass puts NaNs first
        is_number = xp.take_along_axis(~xp.isnan(data), order, axis=d)
        order = xp.take_along_axis(order, xp.argsort(is_number, axis=d, kind="stable"), axis=d)
    return Tensor._make(order.astype("int64"))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the ``k`` largest (or smallest) entries along ``dim``."""
    d = wrap_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
    order = argsort(x, d, descending=largest)
    idx = order._data[(slice(None),) * d + (slice(0, k),)] if x.ndim else order._data
    indices = Tensor._make(idx.copy())  # a C-ordered copy (ascontiguousarray would make 0-d 1-d)
    values = gather(x, d, indices) if x.ndim else x.clone()
    return values_indices(values, indices)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the ``k``-th smallest entry (counting from 1) along ``dim``."""
    d = wrap_dim(dim, x.ndim, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension {d} of size {n}")
    values, indices = sort(x, d)
    v = values.narrow(d, k - 1, 1)
    i = indices.narrow(d, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return values_indices(v, i)
