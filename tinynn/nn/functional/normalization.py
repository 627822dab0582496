"""Normalization functions: batch_norm, layer_norm, group_norm, instance_norm.

All four call the one fused op in ``tinynn/ops/normalization.py`` (forward, closed-form backward
and its derivation live there); this file chooses the axes, shapes weight and bias to broadcast,
checks the input, and keeps the running statistics.

Running statistics (batch and instance norm, training mode), updated outside the graph:

    running_mean = (1 - momentum) * running_mean + momentum * batch_mean
    running_var  = (1 - momentum) * running_var  + momentum * batch_var * n / (n - 1)

The update uses the unbiased variance (n / (n - 1), n values per channel); normalizing uses the
biased one. This is PyTorch's convention, kept so that running stats match it exactly.
"""
from __future__ import annotations

import math

from ...autograd import grad_mode
from ...ops.normalization import normalize
from ...tensor import Tensor

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm"]


def _channel_shape(x: Tensor) -> tuple:
    """Shape that broadcasts a per-channel vector (C,) against x: (N, C, *) -> (C, 1, ..., 1)."""
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def _per_channel(t: Tensor | None, x: Tensor, name: str, what: str) -> Tensor | None:
    if t is None:
        return None
    channels = x.shape[1]
    if t.numel() != channels:
        raise RuntimeError(f"{name}: {what} should contain {channels} elements (one per channel), "
                           f"got shape {tuple(t.shape)}")
    return t.reshape(_channel_shape(x))


def _update_running(running: Tensor, batch_stat, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * batch_stat, in place and outside the graph."""
    with grad_mode.no_grad():
        running.mul_(1.0 - momentum).add_(Tensor._make(batch_stat.astype(running.dtype, copy=False)), alpha=momentum)


def _normalize_per_channel(input, axes, w, b, eps, running_mean, running_var, use_input_stats: bool,
                           momentum: float, name: str, eval_flag: str, unit: str) -> Tensor:
    """What batch_norm and instance_norm share: normalize over ``axes`` with the running statistics,
    or with the input's own and then update the running ones with their batch average
    (the variance made unbiased: times n / (n - 1), n values per statistic)."""
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{name}: running_mean and running_var must be given when {eval_flag}")
        stats = tuple(s._data.reshape(_channel_shape(input)).astype(input.dtype) for s in (running_mean, running_var))
        return normalize(input, axes, w, b, eps, stats)[0]
    count = math.prod(input.shape[a] for a in axes)
    if count <= 1:
        raise ValueError(f"Expected more than 1 {unit} when training, got input size {tuple(input.shape)}")
    y, mean, var = normalize(input, axes, w, b, eps)  # mean, var: (1 or N, C, 1, ...)
    if running_mean is not None:
        _update_running(running_mean, mean._data.mean(axis=0).reshape(-1), momentum)
    if running_var is not None:
        _update_running(running_var, var._data.mean(axis=0).reshape(-1) * (count / (count - 1)), momentum)
    return y


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel over the batch (and spatial dims). input: (N, C) or (N, C, *).

    Training: batch statistics, and the running ones (if given) updated with ``momentum``.
    Eval (``training=False``): the running statistics, which must then be given.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), "
                         f"got {input.ndim}-d input of shape {tuple(input.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    for stat, what in ((running_mean, "running_mean"), (running_var, "running_var")):
        if stat is not None and stat.numel() != input.shape[1]:
            raise RuntimeError(f"batch_norm: {what} should contain {input.shape[1]} elements not {stat.numel()}")
    w = _per_channel(weight, input, "batch_norm", "weight")
    b = _per_channel(bias, input, "batch_norm", "bias")
    return _normalize_per_channel(input, axes, w, b, eps, running_mean, running_var, training, momentum,
                                  "batch_norm", "training=False", "value per channel")


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (sample, channel) over its spatial dims. input: (N, C, *), at least one spatial dim.

    With running statistics and ``use_input_stats``, they are updated with the batch average of
    the per-instance means and unbiased variances; without ``use_input_stats`` they are used.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with spatial dims, "
                         f"got shape {tuple(input.shape)}")
    axes = tuple(range(2, input.ndim))
    w = _per_channel(weight, input, "instance_norm", "weight")
    b = _per_channel(bias, input, "instance_norm", "bias")
    return _normalize_per_channel(input, axes, w, b, eps, running_mean, running_var, use_input_stats, momentum,
                                  "instance_norm", "use_input_stats=False", "spatial element")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims. input: (*, *normalized_shape).

    ``normalized_shape`` may be an int, as for ``nn.LayerNorm`` (PyTorch's function wants a tuple)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {what} of shape {shape}, got {tuple(t.shape)}")
    return normalize(input, tuple(range(input.ndim - k, input.ndim)), weight, bias, eps)[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize each group of C / num_groups channels of each sample. input: (N, C, *).

    x is viewed as (N, G, C/G, *) and normalized over dims 2.., so weight and bias (C,) are
    viewed as (G, C/G, 1, ..., 1): each channel keeps its own scale and shift.
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels {c} to be divisible by "
                           f"num_groups={num_groups}")
    grouped = input.reshape((n, num_groups, c // num_groups) + tuple(input.shape[2:]))
    affine_shape = (num_groups, c // num_groups) + (1,) * (input.ndim - 2)
    w = _per_channel(weight, input, "group_norm", "weight")
    b = _per_channel(bias, input, "group_norm", "bias")
    w = w.reshape(affine_shape) if w is not None else None
    b = b.reshape(affine_shape) if b is not None else None
    y = normalize(grouped, tuple(range(2, grouped.ndim)), w, b, eps)[0]
    return y.reshape(input.shape)
