"""tests/programs/prog_seq2seq_transformer.py: the nn.Transformer translation tutorial's program
(copy task) runs unchanged on tinynn, learns, decodes, and gives PyTorch's numbers."""
import math

import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_seq2seq_transformer"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_trains_and_translates_on_tinynn(ours):
    steps = np.array(ours["step_losses"])
    assert steps.shape == (6 * 512 // 32,) and np.all(np.isfinite(steps))
    assert steps[0] > math.log(14)  # untrained: no better than a uniform guess over the 14 tokens
    assert steps[-16:].mean() < 0.5 * steps[:16].mean()
    val = ours["val_losses"]
    assert len(val) == 7 and val[-1] < 0.5 * val[0] and val[-1] == min(val)
    assert len(ours["train_losses"]) == 6 and ours["train_losses"][-1] < ours["train_losses"][0]
    # (S, N) source and (T, N) target batches of 3 sentences; logits (T - 1, N, vocabulary)
    src_len, n_src, tgt_len, n_tgt = ours["batch_shape"]
    assert (n_src, n_tgt) == (3, 3) and ours["logits_shape"] == [tgt_len - 1, 3, 14]
    translations, references = np.array(ours["translations"]), np.array(ours["references"])
    assert translations.shape == (4, 16) and set(translations.ravel()) <= set(range(4, 14)) | {-1}
    assert any(np.array_equal(t, r) for t, r in zip(translations, references))  # one sentence copied exactly


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-8, atol=1e-10)
