"""tests/programs/prog_super_resolution.py: an ESPCN super-resolution script (convolutions + PixelShuffle,
MSE, Adam, PSNR, bicubic inputs from F.interpolate) runs unchanged on tinynn, learns, and gives
PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_super_resolution"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses, psnrs = np.array(ours["losses"]), np.array(ours["psnrs"])
    assert losses.shape == (20,) and psnrs.shape == (21,)
    assert np.all(np.diff(losses) < 0)                 # every epoch lowers the training loss
    assert losses[-1] < 0.02 * losses[0]
    assert psnrs[-1] > psnrs[0] + 15 and psnrs[-1] > 18
    assert 25 < ours["bicubic_psnr"] < 40              # the baseline: smooth images upsample well
    assert ours["sample_shape"] == [1, 1, 24, 24]      # 8 x 8 inputs, upscale_factor 3
    assert ours["shuffle_roundtrip"] == 0.0


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-7, atol=1e-9)
