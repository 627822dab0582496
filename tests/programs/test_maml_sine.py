"""tests/programs/prog_maml_sine.py: MAML with torch.func.functional_call, a create_graph inner step,
torch.func.grad / grad_and_value and vmap(grad) per-example gradients runs unchanged on tinynn,
meta-learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_maml_sine"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_meta_learns_on_tinynn(ours):
    meta = np.array(ours["meta_losses"])
    assert meta.shape == (100,) and meta[-20:].mean() < 0.3 * meta[:5].mean()
    # after meta-training, one inner step on 10 points fits a new task far better than before
    assert ours["held_out_after"] < 0.3 * ours["held_out_before"]
    support = np.array(ours["adaptation_support_losses"])
    assert np.all(np.diff(support) < 0)                       # the inner loop is gradient descent
    assert len(ours["per_example_grad_norms"]) == 10 and min(ours["per_example_grad_norms"]) > 0
    assert ours["per_example_mean_error"] < 1e-12             # mean of per-example gradients = batch gradient


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, keys=[k for k in theirs if k != "per_example_mean_error"], rtol=1e-7, atol=1e-10)
