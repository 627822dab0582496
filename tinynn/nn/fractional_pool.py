"""Fractional max pooling layers ``FractionalMaxPool2d/3d`` (Graham 2014): max pooling whose windows
move by a random, non-integer stride, so the output can have any size; see ``F.fractional_max_pool2d``.

``_random_samples`` (N, C, 2) or (N, C, 3), when given, fixes the windows (a buffer, as in
PyTorch); otherwise new ones are drawn at every call.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional.fractional_pool import fractional_max_pool2d, fractional_max_pool3d
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _tuple(value, dims: int):
    if value is None:
        return None
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _FractionalMaxPoolNd(Module):
    dims = 2
    function = None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, self.dims)
        self.output_ratio = _tuple(output_ratio, self.dims)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        return type(self).function(input, self.kernel_size, self.output_size, self.output_ratio,
                                   self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling over kh x kw windows. input: (N, C, H, W) or (C, H, W)."""

    dims = 2
    function = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over kt x kh x kw windows. input: (N, C, T, H, W) or (C, T, H, W)."""

    dims = 3
    function = staticmethod(fractional_max_pool3d)
