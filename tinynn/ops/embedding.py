"""The embedding lookup and its mirror, the row scatter-add (the ops behind ``nn.functional.embedding``,
``embedding_bag`` and the sparse segment sums).

    indices: (*) integers in [0, num_embeddings),  weight: (num_embeddings, D)  ->  (*, D)

The forward pass is a gather, ``weight[indices]``. Its backward is the mirror image, a
scatter-add: the gradient of row r is the sum of the output gradients at every position where
index r was looked up (an index that appears k times receives k contributions).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import add_at, array_module_of
from ..tensor import Tensor

__all__ = []  # the ops behind tinynn.nn.functional.embedding and embedding_bag


def scatter_add_rows(rows, indices, num_rows: int):
    """out[r] = sum of rows[n] over the n with indices[n] == r.   rows: (N, D), indices: (N,) -> (num_rows, D).

    On NumPy, ``np.add.at`` is slow (one element at a time); sorting the indices makes every
    index's rows contiguous, and ``np.add.reduceat`` then sums each run in one vectorised call.
    """
    xp = array_module_of(rows)
    out = xp.zeros((num_rows,) + rows.shape[1:], dtype=rows.dtype)
    if indices.size == 0:
        return out
    if xp is not np:
        add_at(out, indices, rows)
        return out
    order = np.argsort(indices, kind="stable")
    sorted_indices = indices[order]
    run_starts = np.flatnonzero(np.concatenate(([True], sorted_indices[1:] != sorted_indices[:-1])))
    out[sorted_indices[run_starts]] = np.add.reduceat(rows[order], run_starts, axis=0)
    return out


class EmbeddingLookup(Op):
    """y[n] = W[indices[n]];  dL/dW = scatter-add of factor[n] * g[n] into row indices[n].

    ``factor`` is 1, except 0 where indices == padding_idx (that row gets no gradient) and
    1 / (times the index occurs) with scale_grad_by_freq.
    """

    @staticmethod
    def forward(ctx, weight, indices, factor):
        ctx.indices, ctx.factor, ctx.num_rows = indices, factor, weight.shape[0]
        return array_module_of(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        return EmbeddingScatter.apply(grad, ctx.indices, ctx.factor, ctx.num_rows), None, None


class EmbeddingScatter(Op):
    """W_grad = zeros with factor[n] * g[n] added at row indices[n];  its adjoint is factor * (upstream)[indices].

    (The backward of the embedding's backward: needed for second derivatives.)
    """

    @staticmethod
    def forward(ctx, grad, indices, factor, num_rows):
        ctx.indices, ctx.factor = indices, factor
        rows = grad if factor is None else grad * factor
        dim = grad.shape[-1]
        return scatter_add_rows(rows.reshape(-1, dim), indices.reshape(-1), num_rows)

    @staticmethod
    def backward(ctx, grad):
        picked = EmbeddingLookup.apply(grad, ctx.indices, None)
        return picked if ctx.factor is None else picked * Tensor._make(ctx.factor), None, None, None
