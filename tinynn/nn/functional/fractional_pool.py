"""Fractional max pooling (Graham 2014), ``fractional_max_pool2d/3d``: max pooling with a random, non-integer stride.

An axis of length L is cut into ``out`` overlapping windows of ``k`` elements whose starts move by
alpha = (L - k) / (out - 1) on average, so out can be any size (e.g. L / sqrt(2)). For one random
u in [0, 1) per (sample, channel) and axis, window i starts at

    start[i] = floor((i + u) * alpha) - floor(u * alpha)   for i < out - 1,   start[out - 1] = L - k

(PyTorch's rule, computed in the input's dtype as PyTorch does). Each output is the max over its
window (the first maximum in row-major order on ties; a NaN wins, as in PyTorch).

The random numbers are ``_random_samples``: (N, C, 2) for 2-d pooling ([..., 0] moves the width
windows, [..., 1] the height ones) and (N, C, 3) for 3-d ([..., 0] time, [..., 1] height,
[..., 2] width). Given them, the result is deterministic and equals PyTorch's; without them they
are drawn with ``tinynn.rand`` (tinynn's random stream, not PyTorch's).

Forward finds each window's argmax outside the graph, then gathers those elements; the gather's
backward scatter-adds dL/dy into the argmax positions (summing where windows overlap).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ...backend import array_module_of
from ...creation import rand
from ...ops.indexing import gather
from ...tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]

_AXIS_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
# which entry of a (sample, channel)'s random numbers moves the windows of each spatial axis
_SAMPLE_OF_AXIS = {2: (1, 0), 3: (0, 1, 2)}


def _ints(value, dims: int, name: str, what: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * dims
    values = tuple(value)
    if len(values) != dims or not all(isinstance(v, (int, np.integer)) for v in values):
        raise RuntimeError(f"{name}: {what} must either be a single Int or tuple of Ints")
    return tuple(int(v) for v in values)


def window_starts(samples, in_size: int, out_size: int, kernel: int, xp):
    """start[p, i] of window i on one axis for every plane p; samples: (P,) in the input's float dtype."""
    starts = xp.empty((samples.shape[0], out_size), dtype=xp.int64)
    if out_size > 1:
        dtype = samples.dtype.type
        alpha = dtype(in_size - kernel) / dtype(out_size - 1)   # in the input's precision, as PyTorch
        i = xp.arange(out_size - 1, dtype=samples.dtype)
        starts[:, :-1] = ((i + samples[:, None]) * alpha).astype(xp.int64) - (samples * alpha).astype(xp.int64)[:, None]
    if out_size > 0:
        starts[:, -1] = in_size - kernel
    return starts


def window_argmax(planes, in_size: tuple, out_size: tuple, starts: list, kernel: tuple):
    """The flat index (row-major within a plane) of each window's maximum. planes: (P, prod(in_size))."""
    xp = array_module_of(planes)
    dims = len(in_size)
    place = [math.prod(in_size[a + 1:]) for a in range(dims)]      # row-major strides of the plane
    base = 0
    for axis in range(dims):   # start of every window, shape (P, *out_size)
        shape = (starts[axis].shape[0],) + tuple(out_size[a] if a == axis else 1 for a in range(dims))
        base = base + starts[axis].reshape(shape) * place[axis]
    base = xp.broadcast_to(base, (planes.shape[0],) + tuple(out_size))
    best = best_index = None
    for offsets in itertools.product(*(range(k) for k in kernel)):
        index = base + sum(o * p for o, p in zip(offsets, place))
        candidate = xp.take_along_axis(planes, index.reshape(planes.shape[0], -1), axis=1).reshape(index.shape)
        if best is None:
            best, best_index = candidate, index
            continue
        better = (candidate > best) | xp.isnan(candidate)
        best, best_index = xp.where(better, candidate, best), xp.where(better, index, best_index)
    return best_index


def _fractional_max_pool(input: Tensor, kernel_size, output_size, output_ratio, _random_samples, dims: int):
    name = f"fractional_max_pool{dims}d"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating point input, got {input.dtype}")
    kernel = _ints(kernel_size, dims, name, "kernel_size")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}(): kernel_size must be positive, got {kernel}")
    in_size = tuple(input.shape[-dims:])
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        if len(ratio) > dims:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = ratio * dims if len(ratio) == 1 else ratio
        output_size = tuple(int(n * r) for n, r in zip(in_size, ratio))
    out_size = _ints(output_size, dims, name, "output_size")
    for axis_name, n, o, k in zip(_AXIS_NAMES[dims], in_size, out_size, kernel):
        if o + k - 1 > n:
            raise RuntimeError(f"{name}(): pool {axis_name} {k} too large relative to input {axis_name} {n}")
    batch = 1 if input.ndim == dims + 1 else input.shape[0]
    channels = input.shape[-dims - 1]
    samples = _random_samples
    if samples is None:
        samples = rand(batch, channels, dims, dtype=input.dtype, device=input.device)
    _check_samples(samples, input, batch, channels, dims)
    xp = array_module_of(input._data)
    lead = tuple(input.shape[:-dims])
    flat_samples = samples._data[:batch].reshape(-1, dims)      # one row per (sample, channel) plane
    starts = [window_starts(flat_samples[:, s], n, o, k, xp)
              for s, n, o, k in zip(_SAMPLE_OF_AXIS[dims], in_size, out_size, kernel)]
    planes = input.reshape(lead + (-1,))
    if 0 in out_size:
        index = xp.zeros(lead + out_size, dtype=xp.int64)
    else:
        flat_planes = input._data.reshape(-1, math.prod(in_size))
        index = window_argmax(flat_planes, in_size, out_size, starts, kernel).reshape(lead + out_size)
    index = Tensor._make(index)
    output = gather(planes, -1, index.reshape(lead + (-1,))).reshape(lead + out_size)
    return output, index


def _check_samples(samples, input: Tensor, batch: int, channels: int, dims: int) -> None:
    """PyTorch's checks of ``_random_samples``, with its messages."""
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got {samples.shape[2]}.")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """(output, indices): fractional max pooling over kh x kw windows; indices are h*W + w (int64).

    input: (N, C, H, W) or (C, H, W). Give ``output_size`` (oH, oW) or ``output_ratio`` (output
    size = int(input size * ratio)). ``_random_samples``: (N, C, 2) numbers in [0, 1).
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Fractional max pooling over kh x kw windows; with ``return_indices`` also the argmax (h*W + w)."""
    output, index = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return (output, index) if return_indices else output


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples: Tensor | None = None):
    """(output, indices): fractional max pooling over kt x kh x kw windows; indices t*H*W + h*W + w.

    input: (N, C, T, H, W) or (C, T, H, W). ``_random_samples``: (N, C, 3) numbers in [0, 1).
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Fractional max pooling over kt x kh x kw windows; with ``return_indices`` also the argmax."""
    output, index = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return (output, index) if return_indices else output
