"""``channel_shuffle`` (ShuffleNet): interleave the channels of ``groups`` groups.

    x: (N, C, *) viewed as (N, g, C/g, *) -> transposed to (N, C/g, g, *) -> flattened back to (N, C, *)

so output channel j * g + i is input channel i * (C/g) + j: after a grouped convolution, each
next group sees channels from every previous group. A permutation of the channels: its gradient
is the inverse permutation, which reshape and transpose give.
"""
from __future__ import annotations

from ...tensor import Tensor

__all__ = ["channel_shuffle", "native_channel_shuffle"]


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Shuffle the channels (dim 1) of input (N, C, *) across ``groups`` groups; C % groups == 0."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, channels, rest = input.shape[0], input.shape[1], tuple(input.shape[2:])
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and "
                           f"{groups} groups.")
    grouped = input.reshape((n, groups, channels // groups) + rest)
    return grouped.transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle
