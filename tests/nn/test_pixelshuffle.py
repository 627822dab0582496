"""PixelShuffle and PixelUnshuffle (tinynn/nn/pixelshuffle.py): against PyTorch (outputs, input gradients,
repr), gradchecks, and that one undoes the other."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_module_matches_torch, check_gradients, needs_torch, rand, torch

LAYERS = [("PixelShuffle", 2, (2, 8, 2, 3)), ("PixelShuffle", 3, (9, 1, 2)), ("PixelUnshuffle", 2, (1, 2, 4, 6)),
          ("PixelUnshuffle", 3, (2, 1, 1, 3, 3))]


@pytest.mark.parametrize("name, factor, shape", LAYERS)
def test_pixel_shuffle_layer_gradcheck(name, factor, shape):
    check_gradients(getattr(nn, name)(factor), rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("name, factor, shape", LAYERS)
def test_pixel_shuffle_layer_matches_torch(name, factor, shape):
    ours, theirs = getattr(nn, name)(factor), getattr(torch.nn, name)(factor)
    assert repr(ours) == repr(theirs)
    assert_module_matches_torch(ours, theirs, [rand(*shape, seed=2)])


def test_unshuffle_undoes_shuffle():
    x = tinynn.tensor(rand(2, 12, 3, 2, seed=3))
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 3, 6, 4)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(y).numpy(), x.numpy())
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
