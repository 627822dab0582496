"""Power-average pooling layers ``LPPool1d/2d/3d``: the p-norm of each window; see ``F.lp_pool2d``.

    y = (sum over the window of x^p) ^ (1/p)      p = norm_type (inf: max of |x|)

No padding and no parameters; the arguments are stored as PyTorch stores them, so ``repr`` reads the same.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional.lp_pool import lp_pool1d, lp_pool2d, lp_pool3d
from .module import Module

__all__ = ["LPPool1d", "LPPool2d", "LPPool3d"]


class _LPPoolNd(Module):
    function = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """p-norm over windows of length kernel_size. input: (N, C, L) or (C, L)."""

    function = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """p-norm over kh x kw windows. input: (N, C, H, W) or (C, H, W)."""

    function = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """p-norm over kd x kh x kw windows. input: (N, C, D, H, W) or (C, D, H, W)."""

    function = staticmethod(lp_pool3d)
