"""tests/programs/prog_gpt_char.py: a character-level GPT script in the style of "Let's build GPT"
runs unchanged on tinynn, learns, samples, and gives PyTorch's numbers where the random numbers
are the same (NumPy's)."""
import math

import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_gpt_char"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_trains_and_samples_on_tinynn(ours):
    vocab = ours["vocab_size"]
    losses = np.array(ours["train_losses"])
    assert losses.shape == (40,) and np.all(np.isfinite(losses))
    assert abs(losses[0] - math.log(vocab)) < 0.05  # N(0, 0.02) weights: nearly uniform predictions
    assert losses[-5:].mean() < 0.6 * losses[0]
    evals = np.array(ours["eval_losses"])  # [train, val] at steps 0, 20, 39
    assert evals.shape == (3, 2) and np.all(evals[-1] < 0.6 * evals[0])
    probs = np.array(ours["first_token_probs"])
    assert probs.shape == (vocab,) and abs(probs.sum() - 1) < 1e-12 and np.all(probs > 0)
    assert np.isfinite(ours["randint_batch_loss"]) and ours["randint_batch_loss"] < losses[0]
    sample = ours["sample"]
    assert len(sample) == 61 and sample[0] == 0 and all(0 <= c < vocab for c in sample)


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    # the last steps train on torch.randint batches and sample with torch.multinomial: each engine's own
    # random numbers, so those are checked above, not compared
    same = ["eval_losses", "first_token_probs", "initial_loss_vs_uniform", "num_parameters", "train_losses",
            "vocab_size"]
    assert_same_results(ours, theirs, keys=same, rtol=1e-8, atol=1e-10)
