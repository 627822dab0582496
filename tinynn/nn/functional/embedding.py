"""Embedding lookup: row ``i`` of a weight table for every index ``i``, and ``one_hot`` (the ops: ops/embedding.py).

    indices: (*) integers in [0, num_embeddings),  weight: (num_embeddings, D)  ->  (*, D)

The forward pass is a gather, ``weight[indices]``. Its backward is the mirror image, a
scatter-add: the gradient of row r is the sum of the output gradients at every position where
index r was looked up (an index that appears k times receives k contributions).
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...backend import array_module_of
from ...ops.embedding import EmbeddingLookup
from ...ops.indexing import one_hot
from ...tensor import Tensor

__all__ = ["embedding", "one_hot"]


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


def renorm_rows_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
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
            renorm_rows_(weight, indices, max_norm, norm_type)
    factor = _row_weights(indices, padding_idx, scale_grad_by_freq, num_rows, weight.dtype)
    return EmbeddingLookup.apply(weight, input, factor)
