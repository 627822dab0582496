"""tests/programs/prog_spatial_transformer.py: a spatial transformer network (localization net ->
affine_grid -> grid_sample -> classifier, trained end to end) runs unchanged on tinynn, learns, moves
theta away from the identity, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_spatial_transformer"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (96,)
    assert losses[-8:].mean() < 0.2 * losses[:8].mean()
    assert ours["correct"] >= 28                       # of 32 test images, 3 classes
    assert 0.01 < ours["theta_distance"] < 1.0         # the transformer learned a warp of its own
    assert ours["loc_grad_norm"] > 0                   # the classifier's gradient reached theta


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert ours["correct"] == theirs["correct"]
    assert_same_results(ours, theirs, rtol=1e-6, atol=1e-9)
