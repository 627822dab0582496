"""Sub-pixel layers: ``PixelShuffle`` (channels -> resolution) and ``PixelUnshuffle`` (its inverse).

ESPCN (Shi et al., 2016) upsamples by predicting r*r channels per output channel at low resolution
and rearranging them into an r-times larger image: (*, C*r*r, H, W) -> (*, C, H*r, W*r). No
parameters; see ``F.pixel_shuffle``.
"""
from __future__ import annotations

from ..tensor import Tensor
from .functional.vision import pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r), r = ``upscale_factor``."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), r = ``downscale_factor``."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
