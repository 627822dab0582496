"""tests/programs/prog_gcn_sparse.py: a pygcn-style GCN with a sparse adjacency and torch.spmm runs
unchanged on tinynn, learns, and gives PyTorch's numbers (losses of every step, accuracies, and the
gradient that reaches the sparse tensor's values)."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_gcn_sparse"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_trains_on_tinynn(ours):
    train, val = np.array(ours["loss_train"]), np.array(ours["loss_val"])
    assert train.shape == val.shape == (60,) and np.all(np.isfinite(train))
    assert train[0] > 1.0 and train[-1] < 0.5 * train[0] and val[-1] < 0.6 * val[0]
    assert ours["acc_train"][-1] >= 0.8 and ours["acc_val"][-1] >= 0.7 and ours["acc_test"] >= 0.7  # chance: 1/3
    assert ours["row_sums"] == pytest.approx([1.0] * 90, abs=1e-12)
    assert ours["spmm_minus_dense"] < 1e-12 and ours["dense_minus_numpy"] == 0.0
    assert ours["nnz"] > 90 and len(ours["edge_weight_grad_head"]) == 24 and ours["edge_weight_grad_norm"] > 0


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-9, atol=1e-12)
