"""``unique`` and ``unique_consecutive``: the distinct elements (or slices along a dim).

Both find groups of equal neighbours: ``unique`` first sorts (so equal values become neighbours),
``unique_consecutive`` does not (so only runs of equal neighbours merge). With the rows to compare
in sorted order, a new group starts wherever a row differs from the one before:

    rows (sorted)  1 1 2 3 3 3          order    the positions that sort the rows
    starts         T F T T F F          inverse  each row's group, put back in the original order
    groups         0 0 1 2 2 2          counts   the distance between one group start and the next

As in PyTorch, nan is never equal to anything, so every nan is its own group, and neither
function has a gradient. ``unique(sorted=False)`` returns sorted values too (PyTorch's CPU
result is also sorted; its documentation leaves the order open).
"""
from __future__ import annotations

from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim

__all__ = ["unique", "unique_consecutive"]


def _as_rows(data, dim):
    """The data as a 2-d array of rows to compare: one element per row (dim None), or one slice
    along ``dim`` per row."""
    xp = array_module_of(data)
    if dim is None:
        return data.reshape(-1, 1)
    return xp.moveaxis(data, dim, 0).reshape(data.shape[dim], -1)


def _groups(rows, sort: bool):
    """(order, starts): the row order used, and where a new group begins in that order."""
    xp = array_module_of(rows)
    n, width = rows.shape
    if sort and width == 1:
        order = xp.argsort(rows[:, 0], kind="stable")
    elif sort and width > 1:
        order = xp.lexsort(rows.T[::-1])  # lexsort's last key is the primary one: the first column
    else:
        order = xp.arange(n)
    ordered = rows[order]
    starts = xp.ones(n, dtype=bool)
    if n > 1 and width:
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)  # nan != nan: each nan starts a group
    elif n > 1:
        starts[1:] = False  # rows with no elements are all equal
    return order, starts


def _distinct(input: Tensor, dim, sort: bool, return_inverse: bool, return_counts: bool, name: str):
    data = input._data
    xp = array_module_of(data)
    d = None if dim is None else wrap_dim(dim, input.ndim, name)
    rows = _as_rows(data, d)
    order, starts = _groups(rows, sort)
    first_of_group = xp.nonzero(starts)[0]
    if d is None:
        values = rows[order][first_of_group, 0]
    else:
        kept = xp.moveaxis(data, d, 0)[order[first_of_group]]
        values = xp.moveaxis(kept, 0, d)
    results = [Tensor._make(xp.ascontiguousarray(values))]
    if return_inverse:
        inverse = xp.empty(rows.shape[0], dtype="int64")
        inverse[order] = xp.cumsum(starts) - 1
        results.append(Tensor._make(inverse.reshape(data.shape) if d is None else inverse))
    if return_counts:
        edges = xp.concatenate([first_of_group, xp.asarray([rows.shape[0]])])
        results.append(Tensor._make(xp.diff(edges).astype("int64")))
    return results[0] if len(results) == 1 else tuple(results)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """The distinct elements of ``input`` in increasing order (1-d), or with ``dim`` its distinct
    slices along ``dim`` in lexicographic order. ``return_inverse`` adds, for every element (or
    slice), the index of its value in the result; ``return_counts`` adds how often each occurs."""
    return _distinct(input, dim, True, return_inverse, return_counts, "unique")


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept once;
    ``return_inverse`` and ``return_counts`` as in ``unique``."""
    return _distinct(input, dim, False, return_inverse, return_counts, "unique_consecutive")
