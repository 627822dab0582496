"""Normalization layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm.

Each layer is its functional (``nn/functional/normalization.py``) plus learnable ``weight``
(ones) and ``bias`` (zeros) and, for batch and instance norm, the buffers ``running_mean``
(zeros), ``running_var`` (ones) and ``num_batches_tracked`` (an int64 scalar): PyTorch's names,
so state dicts move between tinynn and PyTorch unchanged.

Batch norm in training mode normalizes with the statistics of the batch and updates the running
averages; in eval mode it normalizes with the running averages. ``momentum=None`` makes the
running averages plain cumulative means: the k-th batch gets factor 1/k.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..creation import ones, tensor, zeros
from ..dtypes import int64
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
]


def _add_affine_parameters(module: Module, shape: tuple, affine: bool, bias: bool, kw: dict) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None where switched off."""
    module.register_parameter("weight", Parameter(ones(shape, **kw)) if affine else None)
    module.register_parameter("bias", Parameter(zeros(shape, **kw)) if affine and bias else None)


def _reset_affine_parameters(module: Module) -> None:
    with grad_mode.no_grad():
        if module.weight is not None:
            module.weight.fill_(1)
        if module.bias is not None:
            module.bias.zero_()


class _NormBase(Module):
    """What batch and instance norm share: per-channel affine parameters and running statistics."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        kw = {"device": device, "dtype": dtype}
        _add_affine_parameters(self, (num_features,), affine, bias, kw)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **kw))
            self.register_buffer("running_var", ones(num_features, **kw))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def _before_load_state_dict(self, state_dict, prefix: str) -> None:
        """Called by ``load_state_dict``: a checkpoint without ``num_batches_tracked`` (PyTorch before
        0.4.1, and hand-made ones) loads, with the count at 0, as in PyTorch."""
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict and prefix + "running_mean" in state_dict:
            state_dict[key] = tensor(0, dtype=int64, device=self.num_batches_tracked.device)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine_parameters(self)

    def _momentum_for_this_step(self) -> float:
        """Count the batch; the averaging factor is momentum, or 1/k for the k-th batch when None."""
        if not (self.training and self.track_running_stats):
            return 0.0 if self.momentum is None else self.momentum
        with grad_mode.no_grad():
            self.num_batches_tracked.add_(1)
        if self.momentum is None:
            return 1.0 / int(self.num_batches_tracked.item())
        return self.momentum

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims: tuple = ()

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        momentum = self._momentum_for_this_step()
        # Batch statistics in training, or when there are no running ones to use.
        use_batch_stats = self.training or self.running_mean is None
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{type(self).__name__}: expected {expected} input "
                             f"(got {input.ndim}D input of shape {tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels in dim 1, "
                             f"got input of shape {tuple(input.shape)}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input: statistics per channel over N (and L)."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input: statistics per channel over N, H and W."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input: statistics per channel over N, D, H and W."""

    _dims = (5,)


class _InstanceNorm(_NormBase):
    """Instance norm: each sample's channels normalized over their own spatial dims.

    Defaults differ from batch norm (affine=False, track_running_stats=False); an unbatched
    input (C, *) is treated as a batch of one.
    """

    _spatial: int = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        batched = input.ndim == self._spatial + 2
        if not batched and input.ndim != self._spatial + 1:
            raise ValueError(f"{type(self).__name__}: expected {self._spatial + 1}D (unbatched) or "
                             f"{self._spatial + 2}D (batched) input, got shape {tuple(input.shape)}")
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels, "
                             f"got input of shape {tuple(input.shape)}")
        # As in PyTorch, instance norm does not count batches: momentum=None means factor 0.
        momentum = 0.0 if self.momentum is None else self.momentum
        use_input_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_input_stats, momentum, self.eps)
        return y if batched else y.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L) input."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W) input."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W) input."""

    _spatial = 3


class LayerNorm(Module):
    """Normalize each sample over its trailing ``normalized_shape`` dims. input: (*, *normalized_shape).

    ``weight`` (ones) and ``bias`` (zeros) have shape ``normalized_shape``: one scale and shift
    per normalized element (absent when ``elementwise_affine=False``; no bias when ``bias=False``).
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        _add_affine_parameters(self, shape, elementwise_affine, bias, {"device": device, "dtype": dtype})

    def reset_parameters(self) -> None:
        _reset_affine_parameters(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalize each sample's channels in ``num_groups`` groups. input: (N, C, *).

    ``weight`` (ones) and ``bias`` (zeros) are per channel, shape (num_channels,).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _add_affine_parameters(self, (num_channels,), affine, bias, {"device": device, "dtype": dtype})

    def reset_parameters(self) -> None:
        _reset_affine_parameters(self)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input of shape (N, {self.num_channels}, *), "
                             f"got {tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
