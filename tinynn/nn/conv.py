"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d (PyTorch's arguments and weights).

Weights as PyTorch lays them out, so state dicts move between the two unchanged::

    Conv{1,2,3}d.weight:           (out_channels, in_channels/groups, *kernel_size)
    ConvTranspose{1,2,3}d.weight:  (in_channels, out_channels/groups, *kernel_size)
    bias:                        (out_channels,)

Default initialisation (PyTorch's): ``kaiming_uniform_(weight, a=sqrt(5))`` and a bias uniform in
[-1/sqrt(fan_in), 1/sqrt(fan_in)], with fan_in = weight.shape[1] * prod(kernel_size). With
a = sqrt(5) the kaiming gain is sqrt(2 / (1 + 5)) = sqrt(1/3), so its bound gain * sqrt(3 / fan_in)
is 1/sqrt(fan_in) too: weight and bias are both U(-1/sqrt(fan_in), 1/sqrt(fan_in)). They are drawn
here directly from tinynn's default generator (the same distribution ``nn.init`` would give).
"""
from __future__ import annotations

import math

from .. import dtypes
from ..creation import empty, tensor
from ..random import numpy_generator
from ..tensor import Tensor
from .functional.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
                               expand_param, pad_for_conv, resolve_padding, transposed_output_size)
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
CONVOLUTIONS = {1: conv1d, 2: conv2d, 3: conv3d}
TRANSPOSED_CONVOLUTIONS = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


class _ConvNd(Module):
    """What every convolution layer shares: its arguments, its parameters and their initialisation."""

    dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", output_padding=0,
                 device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self.dims
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(PADDING_MODES)}, got {padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only 'zeros' padding mode is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = expand_param(kernel_size, n, name, "kernel_size")
        if any(k <= 0 for k in self.kernel_size):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size!r}")
        self.stride = expand_param(stride, n, name, "stride")
        self.dilation = expand_param(dilation, n, name, "dilation")
        self.output_padding = expand_param(output_padding, n, name, "output_padding")
        if self.transposed and isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
        # validates 'same'/'valid' and gives the (before, after) pairs the padding modes need
        self._padding_pairs = resolve_padding(padding, self.kernel_size, self.stride, self.dilation, name,
                                              ValueError)
        self.padding = padding if isinstance(padding, str) else expand_param(padding, n, name, "padding")
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)
        self.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)): kaiming_uniform_(a=sqrt(5)) and PyTorch's bias rule."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        for param in (self.weight, self.bias):
            if param is not None:
                values = numpy_generator().uniform(-bound, bound, size=param.shape)
                param.data = tensor(values, dtype=param.dtype, device=param.device)

    def extra_repr(self) -> str:
        n = self.dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        conv = CONVOLUTIONS[self.dims]
        if self.padding_mode == "zeros":
            return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        if input.ndim not in (self.dims + 1, self.dims + 2):  # let conv report the wrong shape
            return conv(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        padded = pad_for_conv(input, self._padding_pairs, self.padding_mode, type(self).__name__)
        return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) or (C_in, L) -> (N, C_out, L_out);
    L_out = (L + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1."""

    dims = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out);
    H_out = (H + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1 (W_out likewise).

    ``padding``: an int, a pair, 'valid' (none) or 'same' (stride 1 only; when the total
    dilation*(k - 1) is odd, the extra row/column goes after). ``padding_mode``: 'zeros',
    'reflect', 'replicate' or 'circular'.
    """

    dims = 2


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out),
    each output size (n + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1.

    For volumes (medical scans) and video clips (time as depth); the arguments are Conv2d's with a
    third entry for depth.
    """

    dims = 3


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The output_padding that makes the output ``output_size`` (PyTorch's forward(input, output_size))."""
        if output_size is None:
            return self.output_padding
        n = self.dims
        output_size = [int(s) for s in output_size]
        leading = 2 if input.ndim == n + 2 else 1    # (N, C) or, unbatched, (C,)
        if len(output_size) == n + leading:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(
                f"{type(self).__name__}: for {input.ndim}-d input, output_size must have {n} or {n + leading} "
                f"elements, got {len(output_size)}"
            )
        in_size = tuple(input.shape[-n:])
        smallest = transposed_output_size(in_size, self.kernel_size, self.stride, self.padding, (0,) * n,
                                          self.dilation)
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if not all(lo <= want <= hi for lo, want, hi in zip(smallest, output_size, largest)):
            raise ValueError(
                f"{type(self).__name__}: requested an output size of {tuple(output_size)}, but valid sizes range "
                f"from {smallest} to {largest} (for an input of size {in_size})"
            )
        return tuple(want - lo for want, lo in zip(output_size, smallest))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        conv = TRANSPOSED_CONVOLUTIONS[self.dims]
        return conv(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                    self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution (the gradient of Conv1d w.r.t. its input, used as a layer).
    (N, C_in, L) -> (N, C_out, L_out), L_out = (L - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""

    dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution ("deconvolution"): the gradient of Conv2d w.r.t. its input, used as a layer.

    (N, C_in, H, W) -> (N, C_out, H_out, W_out),
    H_out = (H - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1.
    ``forward(input, output_size)`` picks the output_padding that gives ``output_size``.
    """

    dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution: the gradient of Conv3d w.r.t. its input, used as a layer (upsampling volumes).

    (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out), each output size
    (n - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1.
    """

    dims = 3
