"""Lesson 12 (attention) in quick mode: its attention matches F.scaled_dot_product_attention, and the
GRU encoder-decoder learns to reverse sequences with attention maps on the known anti-diagonal."""
from tests.lessons.helpers import run_lesson


def test_attention_lesson_recovers_the_reversal_alignment(tmp_path):
    summary, files, stdout = run_lesson(12, tmp_path)
    assert summary["sdpa_max_difference"] < 1e-5          # written-out attention (and masks) = tinynn's
    assert summary["alignment_before"] < 0.3              # untrained: about chance, 1/8
    assert summary["alignment_accuracy"] > 0.8            # trained: argmax on source position T-1-t
    assert summary["token_accuracy"] > 0.9                # greedy decoding on held-out sequences
    assert summary["final_loss"] < summary["first_loss"] / 20
    assert {"masks.png", "attention_example.png", "attention_mean.png", "training.png"} <= set(files)
    assert "columns 3 and 4 get weight 0" in stdout
