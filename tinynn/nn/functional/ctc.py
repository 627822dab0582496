"""``ctc_loss``: PyTorch's arguments checked and put in the shape the CTC op wants (``tinynn/ops/ctc.py``).

    log_probs        (T, N, C) log-probabilities (normally ``log_softmax`` output), or (T, C) unbatched
    targets          (N, S) padded class indices, or all targets concatenated into one (sum(target_lengths),)
                     vector, or (L,) unbatched (a target equal to ``blank`` is accepted and treated as
                     PyTorch does, but makes no sense: the blank is the "no label" class)
    input_lengths    (N,) how many of the T steps each sample uses: a tensor, or a list/tuple of ints
    target_lengths   (N,) each target's length, likewise

reduction: 'none' gives the (N,) losses; 'sum' their sum; 'mean' (the default) divides each loss by
its target length (at least 1) and then averages over the batch. ``zero_infinity=True`` replaces the
infinite loss of a target that no alignment can produce (one longer than its input allows) by 0,
and its gradient by 0.
"""
from __future__ import annotations

import numpy as np

from ...backend import CPU, array_module_of, to_device
from ...ops.ctc import ctc_loss_per_sample
from ...tensor import Tensor
from .loss import _check_reduction

__all__ = ["ctc_loss"]


def _lengths(lengths, batch: int, name: str) -> np.ndarray:
    """A tensor, list, tuple or int of lengths -> an int64 NumPy array of shape (batch,)."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.kind not in "iu":
            raise RuntimeError(f"ctc_loss: {name} must be integral, got a {lengths.dtype} tensor")
        values = to_device(lengths._data, CPU)
    else:
        values = np.asarray(lengths)
        if values.dtype.kind not in "iu":
            raise RuntimeError(f"ctc_loss: {name} must be integral, got {lengths!r}")
    values = values.astype(np.int64).reshape(-1)
    if values.shape != (batch,):
        raise RuntimeError(f"ctc_loss: {name} must be of size batch_size ({batch}), got {values.size} values")
    return values


def _padded_targets(targets: Tensor, target_lengths: np.ndarray, unbatched: bool, batch: int) -> np.ndarray:
    """The targets as an (N, L_max) int64 array, from any of PyTorch's three layouts."""
    if not isinstance(targets, Tensor):
        raise TypeError(f"ctc_loss: targets must be a Tensor, got {type(targets).__name__}")
    values = to_device(targets._data, CPU)
    if values.dtype.kind == "f" and not (values == np.round(values)).all():
        raise RuntimeError("ctc_loss: targets must hold class indices (integers)")
    values = values.astype(np.int64)
    longest = int(target_lengths.max(initial=0))
    if unbatched or values.ndim == 2:
        padded = values.reshape(1, -1) if unbatched else values
        if values.ndim != (1 if unbatched else 2) or padded.shape[0] != batch:
            raise RuntimeError(f"ctc_loss: expected targets of shape ({'L' if unbatched else f'{batch}, S'},), "
                               f"got {tuple(targets.shape)}")
        if padded.shape[1] < longest:
            raise RuntimeError(f"ctc_loss: targets of shape {tuple(targets.shape)} are shorter than the longest "
                               f"target length {longest}")
        return padded
    if values.ndim != 1:
        raise RuntimeError(f"ctc_loss: expected targets (N, S) padded or (sum(target_lengths),) concatenated, "
                           f"got shape {tuple(targets.shape)}")
    if values.size != int(target_lengths.sum()):
        raise RuntimeError(f"ctc_loss: concatenated targets must have sum(target_lengths) = "
                           f"{int(target_lengths.sum())} entries, got {values.size}")
    padded = np.zeros((batch, longest), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
    for n, (start, length) in enumerate(zip(starts, target_lengths)):
        padded[n, :length] = values[start:start + length]
    return padded


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss: -log of the total probability of every alignment of the inputs that reads as the target.

    See the module docstring for the shapes and ``tinynn/ops/ctc.py`` for the forward-backward
    recursions and the gradient (PyTorch's, which assumes log_probs came from log_softmax).
    """
    _check_reduction(reduction)
    if not isinstance(log_probs, Tensor) or log_probs.ndim not in (2, 3) or log_probs.dtype.kind != "f":
        got = f"{log_probs.dtype} of shape {tuple(log_probs.shape)}" if isinstance(log_probs, Tensor) else \
            type(log_probs).__name__
        raise RuntimeError(f"ctc_loss: expected floating-point log_probs of shape (T, N, C) or (T, C), got {got}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    steps, batch, classes = lp.shape
    if not 0 <= blank < classes:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {classes}), got {blank}")
    input_lengths = _lengths(input_lengths, batch, "input_lengths")
    target_lengths = _lengths(target_lengths, batch, "target_lengths")
    if input_lengths.size and (input_lengths.max() > steps or input_lengths.min() < 0):
        bad = input_lengths[(input_lengths > steps) | (input_lengths < 0)][0]
        raise RuntimeError(f"ctc_loss: expected input_lengths to have value at most {steps} (and at least 0), "
                           f"but got value {bad}")
    if target_lengths.size and target_lengths.min() < 0:
        raise RuntimeError(f"ctc_loss: expected target_lengths to have value at least 0, but got value "
                           f"{target_lengths.min()}")
    padded = _padded_targets(targets, target_lengths, unbatched, batch)
    used = np.arange(padded.shape[1])[None, :] < target_lengths[:, None]
    if used.any() and (padded[used].min() < 0 or padded[used].max() >= classes):
        raise RuntimeError(f"ctc_loss: target class indices must be in [0, {classes}), got values from "
                           f"{padded[used].min()} to {padded[used].max()}")
    xp = array_module_of(lp._data)
    losses = ctc_loss_per_sample(lp, xp.asarray(padded), xp.asarray(input_lengths), xp.asarray(target_lengths),
                                 int(blank), bool(zero_infinity))
    if unbatched:
        losses = losses.squeeze(0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    per_symbol = Tensor._make(xp.asarray(np.maximum(target_lengths, 1), dtype=lp.dtype).reshape(losses.shape))
    return (losses / per_symbol).mean()
