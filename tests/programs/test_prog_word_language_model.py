"""PyTorch's word_language_model example runs unchanged on tinynn, learns, and gives PyTorch's numbers."""
import math

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program


def test_word_language_model_learns_on_tinynn(tmp_path):
    ours = run_program("prog_word_language_model", "tinynn", tmp_path)
    for rnn_type in ("LSTM", "GRU", "RNN_TANH", "RNN_RELU"):
        losses = ours[f"{rnn_type}_losses"]
        assert abs(losses[0] - math.log(20)) < 0.1                  # untrained: every token equally likely
        assert ours[f"{rnn_type}_val_ppl"] < 5, rnn_type           # 20 for a uniform guess


@needs_torch
def test_word_language_model_gives_pytorchs_numbers(tmp_path):
    ours = run_program("prog_word_language_model", "tinynn", tmp_path)
    theirs = run_program("prog_word_language_model", "torch", tmp_path)
    assert_same_results(ours, theirs, rtol=1e-8)
