"""The two differentiable operations every sparse computation in tinynn is made of.

A sparse COO tensor stores ``nnz`` values and, for each, its coordinate (a column of ``indices``).
Only the values carry gradients; the coordinates are integers fixed by the data.

* ``SegmentSum`` adds values that land in the same place: duplicate coordinates when coalescing,
  every value into its cell for ``to_dense``, the entries of one row for ``sparse.sum``.
* ``SparseDenseMatmul`` is A @ B for a sparse matrix A and a dense B, without ever forming A densely.

Also here: the integer bookkeeping on coordinates (row-major positions, sorting, grouping), done on
raw arrays because it has no gradient.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..ops.embedding import scatter_add_rows

__all__ = ["SegmentSum", "SparseDenseMatmul", "flat_positions", "unflatten_positions", "group_coordinates",
           "group_max"]


class SegmentSum(Op):
    """out[s] = sum of x[k] over the k with segment[k] == s.     x: (K, *D) -> (num_segments, *D)

    Each x[k] appears in exactly one sum with weight 1, so dL/dx[k] = dL/dout[segment[k]]:
    the backward is a gather (``grad[segment]``), and the backward of that gather is this sum again.
    """

    array_backward = True

    @staticmethod
    def forward(ctx, x, *, segment, num_segments: int):
        ctx.segment = segment
        return scatter_add_rows(x, segment, num_segments)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.segment]


class SparseDenseMatmul(Op):
    """C = A @ B for a sparse A (value a_k at row r_k, column c_k) and a dense B: (n, p) or (n,).

    Each stored value scales one row of B into one row of C:
        C[i] = sum over the k with r_k == i of  a_k * B[c_k]
    so, with G = dL/dC,
        dL/da_k = G[r_k] . B[c_k]     (the dense gradient G @ B^T, read only where A stores a value)
        dL/dB   = A^T @ G             (this same product, with rows and columns swapped)
    Repeated coordinates (an uncoalesced A) simply add, in forward and backward alike.
    """

    @staticmethod
    def forward(ctx, values, dense, *, rows, cols, num_rows: int):
        ctx.rows, ctx.cols = rows, cols
        ctx.save_for_backward(values, dense)
        scale = values.reshape(values.shape + (1,) * (dense.ndim - 1))  # (nnz,) -> (nnz, 1) for a matrix B
        return scatter_add_rows(scale * dense[cols], rows, num_rows)

    @staticmethod
    def backward(ctx, grad):
        values, dense = ctx.saved_tensors
        need_values, need_dense = ctx.needs_input_grad
        grad_values = grad_dense = None
        if need_values:
            products = grad[ctx.rows] * dense[ctx.cols]
            grad_values = products.sum(-1) if products.ndim == 2 else products
        if need_dense:
            grad_dense = SparseDenseMatmul.apply(values, grad, rows=ctx.cols, cols=ctx.rows, num_rows=dense.shape[0])
        return grad_values, grad_dense


# ---------------------------------------------------------------------------- coordinates (no gradient)
def flat_positions(indices, shape: tuple):
    """The row-major position of each coordinate: indices (d, nnz) in a grid of ``shape`` (d sizes) -> (nnz,)."""
    xp = array_module_of(indices)
    flat = xp.zeros(indices.shape[1], dtype=np.int64)
    for d, size in enumerate(shape):
        flat = flat * size + indices[d]
    return flat


def unflatten_positions(flat, shape: tuple):
    """The inverse of ``flat_positions``: row-major positions (n,) -> coordinates (len(shape), n)."""
    xp = array_module_of(flat)
    rows = []
    for size in reversed(shape):
        rows.append(flat % size)
        flat = flat // size
    return xp.stack(rows[::-1]) if rows else xp.zeros((0, flat.shape[0]), dtype=np.int64)


def group_coordinates(indices, shape: tuple):
    """Sorted distinct coordinates, and for each input coordinate the number of its group.

    indices: (d, nnz) in a grid of ``shape``. Returns (unique (d, n_unique), group (nnz,), n_unique);
    the unique coordinates come in row-major order, which is what makes a tensor coalesced.
    """
    xp = array_module_of(indices)
    if indices.shape[1] == 0:
        return indices, xp.zeros(0, dtype=np.int64), 0
    unique, group = xp.unique(flat_positions(indices, shape), return_inverse=True)
    return unflatten_positions(unique, shape), group.reshape(-1), int(unique.shape[0])


def group_max(values, group, num_groups: int):
    """out[g] = max of values[k] over the k in group g (-inf for an empty group).   values: (K, *D)."""
    xp = array_module_of(values)
    out = xp.full((num_groups,) + values.shape[1:], -np.inf, dtype=values.dtype)
    if xp is np:
        np.maximum.at(out, group, values)
    else:  # CuPy
        import cupyx

        cupyx.scatter_max(out, group, values)
    return out
