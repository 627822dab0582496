"""Upsampling layers (tinynn/nn/upsampling.py): Upsample in every mode, UpsamplingNearest2d and
UpsamplingBilinear2d against PyTorch (outputs, input gradients, repr), a gradcheck through each, and
how they keep their arguments."""
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_module_matches_torch, check_gradients, needs_torch, rand, torch

LAYERS = [
    ("Upsample", dict(scale_factor=2), (2, 2, 3)),
    ("Upsample", dict(size=(5, 3), mode="bilinear"), (1, 2, 3, 4)),
    ("Upsample", dict(scale_factor=(1.5, 2.0), mode="bicubic", align_corners=True), (1, 1, 3, 3)),
    ("Upsample", dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True), (2, 1, 4)),
    ("Upsample", dict(size=(2, 3, 4), mode="trilinear"), (1, 1, 2, 2, 3)),
    ("Upsample", dict(scale_factor=0.5, mode="area"), (1, 2, 4, 6)),
    ("Upsample", dict(scale_factor=3, mode="nearest-exact"), (1, 1, 2, 2)),
    ("UpsamplingNearest2d", dict(scale_factor=2), (1, 2, 2, 3)),
    ("UpsamplingNearest2d", dict(size=(3, 5)), (2, 1, 2, 2)),
    ("UpsamplingBilinear2d", dict(scale_factor=2), (1, 2, 2, 3)),
    ("UpsamplingBilinear2d", dict(size=4), (1, 1, 3, 2)),
]
IDS = [f"{name}:{','.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, _ in LAYERS]


@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=IDS)
def test_upsampling_gradcheck(name, kwargs, shape):
    check_gradients(getattr(nn, name)(**kwargs), rand(*shape, seed=1), second_order=False)


@needs_torch
@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=IDS)
def test_upsampling_matches_torch(name, kwargs, shape):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert_module_matches_torch(ours, theirs, [rand(*shape, seed=2)])


def test_upsample_keeps_its_arguments():
    layer = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    assert layer.scale_factor == 2.0 and isinstance(layer.scale_factor, float)
    assert (layer.mode, layer.align_corners, layer.size, layer.recompute_scale_factor) == ("bilinear", True, None, None)
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    assert repr(nn.Upsample(size=4)) == "Upsample(size=4, mode='nearest')"
    assert nn.UpsamplingBilinear2d(scale_factor=2).align_corners is True


def test_upsample_errors_come_from_interpolate():
    with pytest.raises(ValueError, match="either size or scale_factor"):
        nn.Upsample()(tinynn.ones(1, 1, 2))
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4-d input"):
        nn.Upsample(scale_factor=2, mode="bilinear")(tinynn.ones(1, 1, 3))
