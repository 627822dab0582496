"""Lazy modules: layers that learn their input size from the first batch they see.

``nn.LazyLinear(10)`` is a Linear layer whose ``in_features`` is not given: its weight is an
``UninitializedParameter`` (a dtype and a device, no shape) until the first forward, which

1. reads the size from the input (``in_features = x.shape[-1]``, ``in_channels = x.shape[1]``,
   ``num_features = x.shape[1]``),
2. materializes each uninitialized parameter and buffer with its shape (the same objects, so an
   optimizer made before the first call still holds them; PyTorch recommends making it after),
3. initialises them with the non-lazy layer's ``reset_parameters`` (the same numbers as
   ``nn.Linear(in, out)`` would draw at that point of the random stream),
4. turns the module into its non-lazy class, ``cls_to_become`` (LazyLinear -> Linear), and removes
   the hook that did all this.

It is a forward pre-hook registered at construction, so it runs before any hook the user adds, as
in PyTorch. ``load_state_dict`` materializes the parameters the checkpoint holds with the
checkpoint's shapes (the module becomes non-lazy at its next forward).

Differences from PyTorch, each where PyTorch's result is a bug rather than a design:
``in_features`` / ``in_channels`` / ``num_features`` are read from the first input even when the
parameters came from a checkpoint (PyTorch's LazyBatchNorm without affine parameters or running
statistics keeps ``num_features=0``); a checkpoint that fills only some of the parameters is an
error naming them (PyTorch fails with an AttributeError inside its hook).
"""
from __future__ import annotations

from ..autograd import grad_mode
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                            InstanceNorm3d)
from .parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = [
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear",
]


def _infer_parameters(module, args):
    """The forward pre-hook: initialise from the first input, then become the non-lazy class."""
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """Mixed in before a layer class: ``class LazyLinear(LazyModuleMixin, Linear)``.

    A subclass sets ``cls_to_become`` and writes ``initialize_parameters(*forward_args)``, which
    materializes the uninitialized tensors and calls ``reset_parameters``.
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """True while any of this module's own parameters or buffers is still uninitialized."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement initialize_parameters")

    def _uninitialized_names(self) -> list:
        return [name for name, t in (*self._parameters.items(), *self._buffers.items()) if is_lazy(t)]

    def _check_all_or_nothing(self) -> bool:
        """True when every tensor is uninitialized (initialise them all), False when none is."""
        lazy = self._uninitialized_names()
        present = [name for name, t in (*self._parameters.items(), *self._buffers.items())
                   if t is not None and not is_lazy(t) and name != "num_batches_tracked"]
        if lazy and present:
            raise RuntimeError(f"{self._get_name()}: {present} were loaded from a checkpoint but {lazy} were not; "
                               "load all of the module's parameters and buffers, or none of them")
        return bool(lazy)

    def _before_load_state_dict(self, state_dict, prefix: str) -> None:
        """Called by ``load_state_dict``: give each uninitialized tensor the shape the checkpoint holds."""
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            value = state_dict.get(prefix + name) if hasattr(state_dict, "get") else None
            if is_lazy(t) and value is not None and not is_lazy(value):
                with grad_mode.no_grad():
                    t.materialize(tuple(value.shape))


# ---------------------------------------------------------------------------- linear
class LazyLinear(LazyModuleMixin, Linear):
    """Linear with in_features taken from the first input's last dim. weight: (out_features, in_features)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args) -> None:
        self.in_features = input.shape[-1]
        if self._check_all_or_nothing():
            with grad_mode.no_grad():
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


# ---------------------------------------------------------------------------- convolutions
class _LazyConvMixin(LazyModuleMixin):
    """The lazy convolutions: in_channels from the input's channel dim (dim 1, or 0 when unbatched)."""

    def _make_lazy(self, out_channels: int, bias: bool, device, dtype) -> None:
        if out_channels % self.groups:
            raise ValueError(f"{self._get_name()}: out_channels ({out_channels}) must be divisible by groups "
                             f"({self.groups})")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args) -> None:
        name, dims = self._get_name(), self.dims
        if input.ndim not in (dims + 1, dims + 2):
            raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, but got "
                               f"input of size: {tuple(input.shape)}")
        self.in_channels = input.shape[1] if input.ndim == dims + 2 else input.shape[0]
        if self.in_channels % self.groups:
            raise ValueError(f"{name}: in_channels ({self.in_channels}) must be divisible by groups ({self.groups})")
        if self._check_all_or_nothing():
            g = self.groups
            shape = ((self.in_channels, self.out_channels // g) if self.transposed
                     else (self.out_channels, self.in_channels // g)) + self.kernel_size
            with grad_mode.no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._make_lazy(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._make_lazy(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d with in_channels taken from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d with in_channels taken from the first input."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d with in_channels taken from the first input."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """ConvTranspose1d with in_channels taken from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """ConvTranspose2d with in_channels taken from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """ConvTranspose3d with in_channels taken from the first input."""

    cls_to_become = ConvTranspose3d


# ---------------------------------------------------------------------------- normalization
class _LazyNormBase(LazyModuleMixin):
    """Lazy batch and instance norm: num_features from the input's channel dim.

    PyTorch's defaults, for the lazy instance norms too: affine=True, track_running_stats=True.
    """

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _channel_dim(self, input) -> int:
        return 1

    def initialize_parameters(self, input, *args) -> None:
        self.num_features = input.shape[self._channel_dim(input)]
        if self._check_all_or_nothing():
            with grad_mode.no_grad():
                for name in ("weight", "bias", "running_mean", "running_var"):
                    t = getattr(self, name)
                    if is_lazy(t):
                        t.materialize((self.num_features,))
                self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """BatchNorm1d with num_features taken from the first input's dim 1."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """BatchNorm2d with num_features taken from the first input's dim 1."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """BatchNorm3d with num_features taken from the first input's dim 1."""

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyNormBase):
    def _channel_dim(self, input) -> int:
        return 0 if input.ndim == self._spatial + 1 else 1     # unbatched (C, *) input


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """InstanceNorm1d with num_features taken from the first input's channel dim."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """InstanceNorm2d with num_features taken from the first input's channel dim."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """InstanceNorm3d with num_features taken from the first input's channel dim."""

    cls_to_become = InstanceNorm3d
