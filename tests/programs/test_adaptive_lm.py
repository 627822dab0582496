"""tests/programs/prog_adaptive_lm.py: a word-level language model with RMSNorm pre-norm SwiGLU blocks
and an AdaptiveLogSoftmaxWithLoss head runs unchanged on tinynn, learns (below the unigram loss), gives
a normalized distribution and consistent predictions, and matches PyTorch's numbers."""
import math

import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_adaptive_lm"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (30,) and np.all(np.isfinite(losses))
    assert losses[-5:].mean() < 0.8 * losses[:5].mean()
    assert ours["held_out_loss"] < math.log(60)
    np.testing.assert_allclose(ours["probability_sums"], 1.0, rtol=1e-12)
    assert ours["predict"] == ours["argmax"]
    assert "out.tail.1.1.weight" in ours["parameter_names"] and "layers.0.norm.weight" in ours["parameter_names"]


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert ours["parameter_names"] == theirs["parameter_names"]
    assert_same_results(ours, theirs, [key for key in theirs if key != "parameter_names"], rtol=1e-7, atol=1e-9)
