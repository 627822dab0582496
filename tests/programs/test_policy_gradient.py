"""tests/programs/prog_policy_gradient.py: REINFORCE with distributions.Categorical (log_prob,
entropy, sample) on a NumPy corridor runs unchanged on tinynn, learns to walk to the goal, and
gives PyTorch's numbers (losses, gradients, returns) for the same NumPy-drawn actions."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_policy_gradient"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    lengths, returns = np.array(ours["lengths"]), np.array(ours["episode_returns"])
    assert lengths.shape == returns.shape == (40,)
    assert lengths[:5].mean() > 6 and np.all(lengths[-10:] == 4)      # the shortest walk is 4 steps
    np.testing.assert_allclose(returns[-10:], 0.9**3)
    assert min(ours["final_right_probs"][:4]) > 0.95                  # "right" everywhere before the goal
    assert np.all(np.isfinite(ours["losses"])) and np.all(np.array(ours["final_entropy"]) >= 0)
    assert ours["sample_shape"] == [100, 5] and ours["sample_values_ok"] and ours["sample_dtype"] == "int64"


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    ours = {k: v for k, v in ours.items() if k != "sample_dtype"}  # "torch.int64" vs "int64"
    assert theirs.pop("sample_dtype") == "torch.int64"
    assert_same_results(ours, theirs, rtol=1e-7, atol=1e-9)
