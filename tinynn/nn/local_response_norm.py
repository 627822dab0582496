"""``LocalResponseNorm`` (and ``CrossMapLRN2d``): each channel divided by its neighbours' energy (AlexNet).

    y[:, c] = x[:, c] / (k + alpha / size * sum of x[:, c']^2 over the size channels around c) ^ beta

The layers have no parameters; the function is ``F.local_response_norm``.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional.local_response_norm import local_response_norm
from .module import Module

__all__ = ["CrossMapLRN2d", "LocalResponseNorm"]


class LocalResponseNorm(Module):
    """Local response normalization across channels. input: (N, C, *), at least 3-d."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """Local response normalization of 4-d input (N, C, H, W): the formula of ``LocalResponseNorm``.

    Differs from PyTorch on purpose. PyTorch's CrossMapLRN2d is a legacy kernel ported from 1-based
    Lua code: its running window sum never drops channel 0 once the window has moved past it (an
    off-by-one), so on every channel whose window should not hold channel 0 its output differs from
    the documented formula (and from LocalResponseNorm), and its hand-written backward is not the
    gradient of its own forward (torch.autograd.gradcheck fails on it). tinynn computes the
    documented formula, with its true gradient.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)
