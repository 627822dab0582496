"""ChannelShuffle (tinynn/nn/channelshuffle.py, F.channel_shuffle): the permutation, float64 gradchecks,
PyTorch parity, repr and PyTorch's errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch


def test_channel_shuffle_interleaves_the_groups():
    x = np.arange(12.0).reshape(1, 6, 2)
    y = F.channel_shuffle(leaf(x), 3).detach().numpy()
    # channel j * groups + i of the output is channel i * (C / groups) + j of the input
    assert [int(v) for v in y[0, :, 0] // 2] == [0, 2, 4, 1, 3, 5]
    assert_close(F.channel_shuffle(F.channel_shuffle(leaf(x), 3), 2), x)   # shuffling by C/g undoes it


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((1, 4, 2, 3), 4), ((2, 6, 1, 2, 2), 3)])
def test_channel_shuffle_gradients(shape, groups):
    check_gradients(lambda x: F.channel_shuffle(x, groups), rand(*shape))


@needs_torch
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((2, 8, 3, 2), 4), ((1, 6, 2, 2, 2), 3), ((2, 5, 2), 1)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = rand(*shape)
    assert_matches_torch(nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups), x)
    assert_matches_torch(lambda x: F.channel_shuffle(x, groups),
                         lambda x: torch.nn.functional.channel_shuffle(x, groups), x)
    # (PyTorch's native_channel_shuffle has no derivative; tinynn's is channel_shuffle itself)
    assert_close(F.native_channel_shuffle(tinynn.tensor(x), groups),
                 torch.nn.functional.native_channel_shuffle(torch.tensor(x), groups))
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


def test_channel_shuffle_errors():
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. Got 6 channels and 4"):
        F.channel_shuffle(tinynn.randn(1, 6, 2), 4)
    with pytest.raises(RuntimeError, match="must be positive. Value of groups:0"):
        nn.ChannelShuffle(0)(tinynn.randn(1, 6, 2))
    with pytest.raises(RuntimeError, match=r"expects input with > 2 dims, but got input with sizes \[1, 6\]"):
        F.channel_shuffle(tinynn.randn(1, 6), 2)
