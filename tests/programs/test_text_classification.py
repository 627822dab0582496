"""tests/programs/prog_text_classification.py: the bag-of-words text classifier of PyTorch's text
classification tutorial (nn.EmbeddingBag with offsets, SGD, StepLR, clip_grad_norm_) runs unchanged on
tinynn, learns, and gives PyTorch's numbers, as do EmbeddingBag's weighted-sum and max modes."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_text_classification"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses, accuracies = np.array(ours["losses"]), np.array(ours["accuracies"])
    assert losses.shape == (30,) and np.all(np.isfinite(losses))
    assert losses[-6:].mean() < 0.5 * losses[:6].mean()
    assert accuracies[0] < 0.5 and accuracies[-1] > 0.85   # four classes: chance is 0.25
    assert np.array(ours["weighted_sum"]).shape == np.array(ours["max_pooled"]).shape == (5, 16)
    assert len(ours["idf_grad"]) > 5 and ours["weighted_table_grad_norm"] > 0 and ours["max_frozen"]


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-7, atol=1e-9)
