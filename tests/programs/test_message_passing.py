"""tests/programs/prog_message_passing.py: a message-passing graph network built from tensor ops
(unique(dim=1), bincount, index_add_, scatter_reduce mean/amax with include_self=False)
runs unchanged on tinynn, learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_message_passing"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (60,) and np.all(np.isfinite(losses))
    assert losses[-20:].mean() < losses[:10].mean() / 2
    assert ours["test_mse"] < 0.7 * ours["baseline_mse"]  # better than predicting the mean
    assert ours["edges_after_unique"] % 2 == 0  # undirected: each edge both ways, once


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-6, atol=1e-9)
