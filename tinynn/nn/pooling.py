"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d,
MaxUnpool1d/2d/3d.

Each layer holds PyTorch's arguments (stored as PyTorch stores them, so ``repr`` reads the same)
and calls its function in ``nn.functional``; they have no parameters. Input (N, C, H, W) or
(C, H, W) for the 2-d layers, (N, C, L) or (C, L) for the 1-d ones, (N, C, D, H, W) or (C, D, H, W)
for the 3-d ones.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional import pooling as P
from .functional.conv import expand_param
from .module import Module

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "MaxPool1d", "MaxPool2d", "MaxPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of length kernel_size (padding counts as -inf); see ``F.max_pool1d``."""

    def forward(self, input: Tensor):
        return P.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over kh x kw windows; with ``return_indices`` also the argmax (h*W + w). See ``F.max_pool2d``."""

    def forward(self, input: Tensor):
        return P.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """Max over kd x kh x kw windows; with ``return_indices`` also the argmax (d*H*W + h*W + w)."""

    def forward(self, input: Tensor):
        return P.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool1d(Module):
    """Mean over windows of length kernel_size; see ``F.avg_pool1d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = expand_param(kernel_size, 1, "AvgPool1d", "kernel_size")
        self.stride = expand_param(stride if stride is not None else kernel_size, 1, "AvgPool1d", "stride")
        self.padding = expand_param(padding, 1, "AvgPool1d", "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        return P.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AvgPoolNd(Module):
    """AvgPool2d and AvgPool3d: the same arguments, each layer calling its own function."""

    function = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolNd):
    """Mean over kh x kw windows (count_include_pad, divisor_override as PyTorch); see ``F.avg_pool2d``."""

    function = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """Mean over kd x kh x kw windows (count_include_pad, divisor_override as PyTorch); see ``F.avg_pool3d``."""

    function = staticmethod(P.avg_pool3d)


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over ``output_size`` windows that tile the input: window i is [floor(i*L/out), ceil((i+1)*L/out))."""

    def forward(self, input: Tensor) -> Tensor:
        return P.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over an output_size grid of adaptive windows (``AdaptiveAvgPool2d(1)``: global average pooling)."""

    def forward(self, input: Tensor) -> Tensor:
        return P.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Mean over an output_size (int or triple; None keeps that input size) grid of adaptive windows."""

    def forward(self, input: Tensor) -> Tensor:
        return P.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max over ``output_size`` adaptive windows; with ``return_indices`` also the argmax."""

    def forward(self, input: Tensor):
        return P.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max over an output_size grid of adaptive windows; with ``return_indices`` also the argmax (h*W + w)."""

    def forward(self, input: Tensor):
        return P.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max over an output_size grid of adaptive windows; with ``return_indices`` also the argmax (d*H*W + h*W + w)."""

    def forward(self, input: Tensor):
        return P.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    dims = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = expand_param(kernel_size, self.dims, name, "kernel_size")
        self.stride = expand_param(stride if stride is not None else kernel_size, self.dims, name, "stride")
        self.padding = expand_param(padding, self.dims, name, "padding")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Put each value back at the index MaxPool1d(return_indices=True) gave, zeros elsewhere."""

    dims = 1

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return P.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Put each value back at the index MaxPool2d(return_indices=True) gave, zeros elsewhere."""

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return P.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Put each value back at the index MaxPool3d(return_indices=True) gave, zeros elsewhere."""

    dims = 3

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return P.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
