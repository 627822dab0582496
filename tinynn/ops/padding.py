"""Padding: constant borders, and the reflect / replicate / circular modes, with negative pads cropping.

``pad`` lists (before, after) pairs starting from the *last* dimension, as ``F.pad`` does:
``(left, right, top, bottom)`` pads the width, then the height. A negative entry removes elements.

constant    y = x framed by ``value``;        dL/dx = dL/dy with the frame cut off
reflect     ``3 2 | 1 2 3 4 | 3 2``  (mirrored, the edge not repeated)
replicate   ``1 1 | 1 2 3 4 | 4 4``  (the edge repeated)
circular    ``3 4 | 1 2 3 4 | 1 2``  (wrapped around)

The last three copy input elements to new places: each padded axis is a gather
``y[i] = x[source(i)]`` (an ``AxisTaps`` map with one tap of weight 1, see ops/resample.py), whose
backward adds the gradient of every copy back into the element it was copied from.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .resample import Taps, apply_taps

__all__: list = []   # the public function is ``F.pad`` (tinynn/nn/functional/vision.py)


class Pad(Op):
    """y = x with constant borders; dy/dx: the gradient with the borders cut off."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return array_module_of(x).pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        index = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.widths))
        return grad[index]


def pad_widths(pad, ndim: int) -> list:
    """F.pad's flat ``pad`` (last dim first) -> one (before, after) pair per dim of an ndim tensor."""
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


def pad_constant(x: Tensor, pad, value=0.0) -> Tensor:
    """Constant padding: ``pad`` lists (before, after) pairs from the last dim; negative pads crop."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be even (a (before, after) pair per dim), got {len(pad)}")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"pad: padding length must be at most 2 * ndim = {2 * x.ndim} for an input of shape "
            f"{tuple(x.shape)}, got {len(pad)}"
        )
    widths = pad_widths(pad, x.ndim)
    for d, ((lo, hi), n) in enumerate(zip(widths, x.shape)):
        if max(-lo, 0) + max(-hi, 0) > n:   # PyTorch crops first, then pads
            raise RuntimeError(f"pad: the negative padding ({lo}, {hi}) crops more than the {n} elements of "
                               f"dimension {d} (input of shape {tuple(x.shape)})")
    if any(lo < 0 or hi < 0 for lo, hi in widths):  # negative padding crops
        index = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(widths, x.shape))
        x = x[index]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if all(lo == hi == 0 for lo, hi in widths):
        return x
    return Pad.apply(x, tuple(widths), value)


# ---------------------------------------------------------------------------- reflect, replicate, circular
def source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of an axis of length n padded by (before, after): the input element it copies.

    Callers check the sizes first (``check_mode_padding``).
    """
    positions = np.arange(-before, n + after)
    if mode == "reflect":    # mirror at 0 and at n - 1 without repeating them: -1 -> 1, n -> n - 2
        positions = np.abs(positions)
        return np.where(positions >= n, 2 * (n - 1) - positions, positions)
    if mode == "replicate":
        return np.clip(positions, 0, n - 1)
    # circular, as PyTorch does it: crop the negative sides first, then wrap what is left
    start, kept = max(-before, 0), n - max(-before, 0) - max(-after, 0)
    return start + (np.arange(kept + max(before, 0) + max(after, 0)) - max(before, 0)) % kept


def check_mode_padding(n: int, before: int, after: int, mode: str, dim: int, shape: tuple, name: str,
                       empty_result: bool = False) -> None:
    """PyTorch's limits: sizes not negative; reflect pads < n; circular pads <= the length it wraps.

    (Where a circular pad is longer than what is left after cropping the other side, PyTorch reads
    memory it has not written; tinynn refuses, unless the whole result is empty.)
    """
    size = n + before + after
    if size < 0:
        raise RuntimeError(f"{name}: {mode} padding ({before}, {after}) of dimension {dim} of size {n} "
                           f"(input of shape {shape}) gives a negative size {size}")
    if mode == "reflect" and (before >= n or after >= n):
        raise RuntimeError(
            f"{name}: reflect padding ({before}, {after}) must be smaller than the input size {n} (dimension "
            f"{dim} of input of shape {shape}): the mirror image can't be longer than the input"
        )
    kept = n - max(-before, 0) - max(-after, 0)
    if mode == "circular" and (max(before, after) > n or (not empty_result and max(before, after, 1) > kept)):
        raise RuntimeError(
            f"{name}: circular padding ({before}, {after}) of dimension {dim} (input of shape {shape}) "
            f"would wrap around the {max(kept, 0)} elements it keeps more than once"
        )


def pad_mode(x: Tensor, pads, mode: str, name: str = "pad") -> Tensor:
    """Pad the last len(pads) dims of x by ``pads`` ((before, after) per dim, first dim first) in ``mode``.

    mode: 'reflect', 'replicate' or 'circular'. Each padded axis is one gather.
    """
    first = x.ndim - len(pads)
    sizes = [x.shape[axis] + before + after for axis, (before, after) in enumerate(pads, start=first)]
    empty = 0 in sizes or 0 in x.shape[:first]
    for axis, (before, after) in enumerate(pads, start=first):
        check_mode_padding(x.shape[axis], before, after, mode, axis, tuple(x.shape), name, empty)
    for axis, (before, after) in enumerate(pads, start=first):
        if before or after:
            n = x.shape[axis]
            if empty:   # an empty result: any source will do (and circular may have nothing to wrap)
                index = np.zeros((n + before + after, 1), dtype=np.int64)
            else:
                index = source_index(n, before, after, mode)[:, None]
            x = apply_taps(x, axis, Taps(index, None, n))
    return x
