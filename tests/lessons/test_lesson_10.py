"""Lesson 10 (recurrent networks) runs headless in quick mode and shows what it claims."""
from tests.lessons.helpers import run_lesson


def test_recurrent_networks_lesson(tmp_path):
    summary, files, stdout = run_lesson(10, tmp_path)
    # the unrolled cell is nn.RNN, and hand-written BPTT is autograd's gradient
    assert summary["rnn_match"] < 1e-5
    assert summary["bptt_match"] < 1e-4
    # the character model learned far more than letter frequencies (uniform guess ~4.1, unigram ~3.2)
    assert summary["char_first_loss"] > 3.5
    assert summary["char_val_loss"] < summary["unigram_entropy"] - 1.5
    assert summary["real_words"] > 0.5
    # the gradient through time vanishes for the trained model and a small W_h, explodes for a large one
    assert summary["trained_decay"] < 0.95
    assert summary["decay_radius_0_9"] < 0.8
    assert summary["decay_radius_3"] > 1.05
    assert "sample (temperature 0.7)" in stdout
    assert {"char_rnn_loss.png", "vanishing_gradient.png"} <= set(files)
