"""Power-average pooling, ``lp_pool1d/2d/3d``: the p-norm of each window.

    y = (sum over the window of x^p) ^ (1/p)          (p = norm_type)

p = 1 is sum pooling, p = 2 the window's Euclidean norm, and p -> inf max pooling of |x| (which
``norm_type=inf`` computes directly; ``-inf`` gives the window's smallest |x|).

Built from tinynn ops, as PyTorch builds it: the window sum is ``avg_pool(x^p) * kernel volume``
(no padding). Two consequences kept from PyTorch:

* with ``ceil_mode`` a last window cut short by the input's end is averaged over the elements it
  holds and then multiplied by the whole kernel volume (not the plain sum of what it holds);
* where a window's sum s is 0 the gradient is set to 0 (d/ds s^(1/p) is infinite there): the
  result is 0 there, through a ``where`` whose backward passes nothing to a zero sum.

Odd p with negative inputs can make a sum negative; its fractional power is NaN, as in PyTorch.
"""
from __future__ import annotations

import math
import numbers

from ...ops.indexing import where
from ...tensor import Tensor
from .conv import expand_param
from .pooling import avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]

_AVG = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}
_MAX = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}


def _lp_pool(input: Tensor, norm_type, kernel_size, stride, ceil_mode: bool, dims: int, name: str) -> Tensor:
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool) or norm_type == 0:
        raise ValueError(f"{name}: norm_type must be a non-zero number (p of the p-norm), got {norm_type!r}")
    norm_type = float(norm_type)
    if norm_type == math.inf:
        return _MAX[dims](input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -_MAX[dims](-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    volume = math.prod(expand_param(kernel_size, dims, name, "kernel_size"))
    window_sum = _AVG[dims](input ** norm_type, kernel_size, stride, 0, ceil_mode) * volume
    empty = window_sum == 0   # (1 in place of 0 inside the power keeps its backward finite there)
    return where(empty, 0.0, where(empty, 1.0, window_sum) ** (1.0 / norm_type))


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over windows of length kernel_size) ^ (1/p). input: (N, C, L) or (C, L)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over kh x kw windows) ^ (1/p). input: (N, C, H, W) or (C, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over kd x kh x kw windows) ^ (1/p). input: (N, C, D, H, W) or (C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")
