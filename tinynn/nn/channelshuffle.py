"""``ChannelShuffle`` (ShuffleNet): interleave the channels of ``groups`` groups; see ``F.channel_shuffle``."""
from __future__ import annotations

from ..tensor import Tensor
from .functional.channel_shuffle import channel_shuffle
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Output channel j * groups + i is input channel i * (C / groups) + j. input: (N, C, *)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
