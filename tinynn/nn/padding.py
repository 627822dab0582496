"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad, in 1-d, 2-d and 3-d.

Each holds its ``padding`` as PyTorch does (an int becomes (p, p), (p, p, p, p) or six p's: left,
right, then top, bottom, then front, back) and calls ``F.pad`` (tinynn/nn/functional/vision.py).
Negative entries crop. Input: (N, C, W) or (C, W) for the 1-d layers, one more dim per extra
spatial dim for the 2-d and 3-d ones. No parameters.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional.vision import pad
from .module import Module

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]


def _widths(padding, dims: int) -> tuple:
    """An int -> 2*dims copies of it; a sequence kept as given (PyTorch's _pair/_quadruple/_ntuple(6))."""
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    return tuple(padding)


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: padding = (left, right)."""
    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``: padding = (left, right, top, bottom)."""
    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``: padding = (left, right, top, bottom, front, back)."""
    dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros: padding = (left, right)."""
    dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros: padding = (left, right, top, bottom)."""
    dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last 3 dims with zeros: padding = (left, right, top, bottom, front, back)."""
    dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its edges (edge not repeated): ``3 2 | 1 2 3 4 | 3 2``; pads < the size."""
    mode, dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror the last 2 dims at their edges; padding = (left, right, top, bottom), each < its dim."""
    mode, dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Mirror the last 3 dims at their edges; padding = (left, right, top, bottom, front, back)."""
    mode, dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim: ``1 1 | 1 2 3 4 | 4 4``."""
    mode, dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last 2 dims; padding = (left, right, top, bottom)."""
    mode, dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last 3 dims; padding = (left, right, top, bottom, front, back)."""
    mode, dims = "replicate", 3


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {self.dims + 1}-d or {self.dims + 2}-d input, "
                             f"got {input.ndim}-d input")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around: ``3 4 | 1 2 3 4 | 1 2``; pads at most the size."""
    dims = 1


class CircularPad2d(_CircularPadNd):
    """Wrap the last 2 dims around (a torus); padding = (left, right, top, bottom)."""
    dims = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last 3 dims around; padding = (left, right, top, bottom, front, back)."""
    dims = 3
