"""tests/programs/prog_classic_cnn_layers.py: a CNN with LocalResponseNorm, FractionalMaxPool2d (fixed
_random_samples), a ShuffleNet unit (grouped conv + ChannelShuffle), LPPool2d and a Softmax2d attention
map runs unchanged on tinynn, learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_classic_cnn_layers"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (20,) and np.all(np.isfinite(losses))
    assert losses[-3:].mean() < 0.5 * losses[0]
    assert ours["accuracies"][-1] >= 0.9
    assert ours["pooled_shape"] == [2, 8, 8, 8]
    np.testing.assert_allclose(ours["attention_sums"], 1.0, rtol=1e-12)   # Softmax2d: over channels
    assert "pool1._random_samples" in ours["state_dict_keys"]


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert ours["state_dict_keys"] == theirs["state_dict_keys"]
    assert_same_results(ours, theirs, [key for key in theirs if key != "state_dict_keys"], rtol=1e-7, atol=1e-9)
