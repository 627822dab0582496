"""``embedding_bag``: the sum, mean or max of each "bag" of embedding rows, without a (B, L, D) tensor.

    input: (B, L) -> B bags of L indices each;  or input: (N,) with offsets: (B,), bag b holding
    input[offsets[b]:offsets[b+1]] (the last bag runs to the end of input)  ->  output: (B, D)
    (with include_last_offset, offsets has B + 1 entries and the last bag ends at offsets[B])

    sum:   out[b] = sum over n in bag b of  w_n * weight[input[n]]   (w_n = per_sample_weights, or 1)
    mean:  out[b] = (sum over n in bag b of weight[input[n]]) / |bag b|
    max:   out[b, d] = max over n in bag b of weight[input[n], d]

Entries equal to ``padding_idx`` are left out of every bag (and out of the mean's count); an
empty bag gives zeros.

How it is computed. Sum and mean look the rows up (``F.embedding``) and add each row into its
bag: a scatter-add over bag numbers, which is exactly the embedding's backward op, so its
backward is the embedding's lookup again (``dL/drow_n = dL/dout[bag(n)]``). Max finds, outside
the graph, which row wins each (bag, feature) and then gathers those elements from the weight,
so the gradient goes to the winning row only (the first one in the bag on ties).

Where tinynn differs from PyTorch 2.13's CPU kernels, on purpose:

* ``scale_grad_by_freq``: each row's gradient is divided by how often its index occurs in input,
  as ``F.embedding`` does. PyTorch's CPU embedding_bag divides some rows by another index's count
  (a known bug, pytorch/pytorch#190063: input [1, 1, 3] gives row 3 the factor 1/2).
* ``include_last_offset`` with offsets[-1] < len(input): the last bag ends at offsets[-1] (the
  documented CSR contract; the entries after it belong to no bag). PyTorch's CPU kernels disagree
  with each other there: float64 folds the trailing entries into the last bag, float32 sums stop
  at offsets[-1] while float32 means still divide by the folded count.
* Offsets that decrease are an error here; PyTorch reads such bags in an undefined way.
"""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...backend import CPU, array_module_of, to_device
from ...ops.indexing import IndexOutOfRange, gather, where
from ...tensor import Tensor
from ...ops.embedding import EmbeddingScatter
from .embedding import renorm_rows_, embedding

__all__ = ["embedding_bag"]


def _check_arguments(input, weight, offsets, mode, scale_grad_by_freq, sparse, per_sample_weights):
    """PyTorch's checks, in PyTorch's order and with its messages."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                         f"then it must have the same shape as the input ({tuple(input.shape)})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2 and offsets is not None:
        raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                         f"length sequences. However, found offsets of type {type(offsets)}")
    if input.ndim == 1 and offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if input.ndim == 1 and offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if input.ndim not in (1, 2):
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError("embedding_bag(): sparse=True needs sparse gradients, which tinynn does not "
                                  "have; use sparse=False")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}').")
    for tensor, what in ((input, "input (the indices)"), (offsets, "offsets")):
        if tensor is not None and tensor.dtype.kind not in "iu":
            raise RuntimeError(f"embedding_bag: expected {what} to be an integer tensor (int64 or int32), "
                               f"got {tensor.dtype}")


def bag_bounds(input: Tensor, offsets: Tensor | None, include_last_offset: bool, n: int):
    """(starts, ends): where each bag begins and ends in the flattened input (int64, one entry per bag)."""
    if input.ndim == 2:
        batch, length = input.shape
        starts = np.arange(batch, dtype=np.int64) * length
        return starts, starts + length
    offs = to_device(offsets._data, CPU).astype(np.int64)
    if offs.size and offs[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offs[0]}")
    if offs.size and offs[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{offs[-1]}")
    if (np.diff(offs) < 0).any():
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing (bag b is input[offsets[b]:offsets[b+1]]), "
                           f"got {offs.tolist()}")
    if include_last_offset:
        return offs[:-1], offs[1:]
    return offs, np.append(offs[1:], n)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of bags of rows of ``weight`` (num_embeddings, D); see the module docstring.

    input: (B, L) (offsets None) or (N,) with 1-d ``offsets`` (bag starts; with
    ``include_last_offset`` one more entry, the end of the last bag). per_sample_weights: the
    input's shape, mode 'sum' only. max_norm, norm_type, scale_grad_by_freq, padding_idx: as in
    ``F.embedding``. Returns (B, D).
    """
    _check_arguments(input, weight, offsets, mode, scale_grad_by_freq, sparse, per_sample_weights)
    num_rows = weight.shape[0]
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num_rows} through "
                               f"{num_rows - 1}, but got {padding_idx}")
        padding_idx %= num_rows
    indices = input.reshape(-1)
    flat = to_device(indices._data, CPU).astype(np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= num_rows):
        bad = flat.min() if flat.min() < 0 else flat.max()
        raise IndexOutOfRange(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {bad} "
                              f"(the table has {num_rows} rows)")
    starts, ends = bag_bounds(input, offsets, include_last_offset, flat.size)
    bags = starts.size
    if bags == 0:
        return weight[:0] * 0   # no bags: a (0, D) result
    bag_of = np.maximum(np.searchsorted(starts, np.arange(flat.size), side="right") - 1, 0)   # each entry's bag
    keep = np.arange(flat.size) < ends[bag_of]      # False only after the last offset (include_last_offset)
    if padding_idx is not None:
        keep &= flat != padding_idx
    counts = np.bincount(bag_of[keep], minlength=bags)
    xp = array_module_of(weight._data)
    if max_norm is not None:
        with no_grad():
            renorm_rows_(weight, xp.asarray(flat), max_norm, norm_type)
    if mode == "max":
        return _bag_max(weight, flat, bag_of, starts, ends, keep, counts, xp)
    rows = embedding(indices, weight, padding_idx, None, 2.0, scale_grad_by_freq)   # (N, D)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    factor = None if keep.all() else xp.asarray(keep[:, None], dtype=weight.dtype)   # 0: in no bag
    total = EmbeddingScatter.apply(rows, xp.asarray(bag_of), factor, bags)
    if mode == "sum":
        return total
    divisor = xp.asarray(np.maximum(counts, 1)[:, None], dtype=weight.dtype)   # an empty bag's sum is 0 anyway
    return total / Tensor._make(divisor)


def _bag_max(weight: Tensor, flat, bag_of, starts, ends, keep, counts, xp) -> Tensor:
    """out[b, d] = weight[r, d] for the row r of bag b holding the bag's largest value in column d."""
    dim = weight.shape[1]
    lengths = ends - starts
    position = np.arange(flat.size) - starts[bag_of]           # each entry's place within its bag
    table = weight._data
    dense = xp.full((starts.size, max(int(lengths.max()), 1), dim), -xp.inf, dtype=table.dtype)
    dense[xp.asarray(bag_of[keep]), xp.asarray(position[keep])] = table[xp.asarray(flat[keep])]
    winner = to_device(dense.argmax(axis=1), CPU)   # (B, D): the place within the bag (first on ties)
    winning_entry = np.minimum(starts[:, None] + winner, max(flat.size - 1, 0))
    winning_row = flat[winning_entry] if flat.size else np.zeros_like(winning_entry)
    picked = gather(weight, 0, Tensor._make(xp.asarray(winning_row)))
    nonempty = Tensor._make(xp.asarray((counts > 0)[:, None]))
    return where(nonempty, picked, 0.0)
