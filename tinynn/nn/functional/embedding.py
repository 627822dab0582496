"""Embedding lookup: row ``i`` of a weight table for every index ``i``, and ``one_hot``.

    indices: (*) integers in [0, num_embeddings),  weight: (num_embeddings, D)  ->  (*, D)

The forward pass is a gather, ``weight[indices]``. Its backward is the mirror image, a
scatter-add: the gradient of row r is the sum of the output gradients at every position where
index r was looked up (an index that appears k times receives k contributions).
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...backend import add_at, array_module_of
from ...ops.indexing import one_hot
from ...tensor import Tensor

__all__ = ["embedding", "one_hot"]


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


def _row_weights(indices, padding_idx, scale_grad_by_freq, num_rows, dtype):
    """Per-position factors for the gradient: 0 at padding_idx, 1/count(index) when scaling by frequency."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    xp = array_module_of(indices)
    factor = xp.ones(indices.shape, dtype=dtype)
    if scale_grad_by_freq:
        counts = xp.bincount(indices.reshape(-1), minlength=num_rows)
        factor /= counts[indices]
    if padding_idx is not None:
        factor[indices == padding_idx] = 0
    return factor[..., None]


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


def _renorm_rows_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
    """Scale, in place, every looked-up row whose p-norm exceeds max_norm down to max_norm."""
    xp = array_module_of(weight._data)
    rows_used = xp.unique(indices)
    rows = weight._data[rows_used]
    if norm_type == float("inf"):
        norms = xp.abs(rows).max(axis=1)
    else:
        norms = (xp.abs(rows) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if not too_long.any():
        return
    scale = max_norm / (norms[too_long] + 1e-7)
    weight._data[rows_used[too_long]] = rows[too_long] * scale[:, None].astype(rows.dtype)
    weight._bump_version()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``: (*) -> (*, embedding_dim).

    padding_idx: that row receives no gradient.  max_norm: looked-up rows longer than max_norm
    (in the norm_type-norm) are first scaled down to it, in place in ``weight``.
    scale_grad_by_freq: each row's gradient is divided by how often its index occurs in ``input``.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): input must be a Tensor of indices, got {type(input).__name__}")
    if input.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding(): expected an integer tensor of indices (int64 or int32), got {input.dtype}; "
            "convert it with .long()"
        )
    if weight.ndim != 2:
        raise RuntimeError(
            f"embedding(): weight must be 2-d (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    if sparse:
        raise NotImplementedError(
            "embedding(): sparse=True needs sparse gradients, which tinynn does not have; use sparse=False")
    num_rows = weight.shape[0]
    indices = input._data
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num_rows):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise IndexError(
            f"embedding(): index {bad} is out of range for a table of {num_rows} rows (valid: 0..{num_rows - 1})")
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise ValueError(f"padding_idx {padding_idx} must be within num_embeddings ({num_rows})")
        padding_idx = padding_idx % num_rows
    if max_norm is not None:
        with no_grad():
            _renorm_rows_(weight, indices, max_norm, norm_type)
    factor = _row_weights(indices, padding_idx, scale_grad_by_freq, num_rows, weight.dtype)
    return EmbeddingLookup.apply(weight, input, factor)
