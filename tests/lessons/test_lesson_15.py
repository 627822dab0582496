"""Lesson 15 (a GPT from scratch) in quick mode: the GPT starts at log(V) and learns, the cache gives
the same tokens, the repetition penalty breaks greedy loops, top-k keeps k characters, the
masked-LM learns the character frequencies, and the audio GPT beats a uniform guess and writes a WAV file."""
import math

from tests.lessons.helpers import run_lesson


def test_gpt_from_scratch_lesson(tmp_path):
    summary, files, stdout = run_lesson(15, tmp_path)
    assert abs(summary["initial_loss"] - summary["log_vocab"]) < 0.1   # untrained: every character equally likely
    assert summary["val_loss"] < 2.6 and summary["train_loss"] < 2.6    # from 4.08 (quick mode reaches about 2.2)
    assert summary["same_tokens"] is True                              # cached generation = uncached generation
    assert summary["penalty_repeats"] < summary["greedy_repeats"]       # the penalty breaks greedy loops
    assert summary["topk_kept"] == 5
    assert summary["mlm_loss"] < summary["log_vocab"] - 0.5            # the MLM at least learns the frequencies
    assert summary["mlm_loss"] < summary["unigram_entropy"] + 0.5
    assert summary["mlm_fill_accuracy"] > 0.1                          # chance is 1/59
    assert summary["gpt_fill_accuracy"] > 0.2
    assert summary["audio_val_loss"] < math.log(256) - 1.0             # better than a uniform guess
    assert summary["wav_bytes"] > 44 + 2 * 200                         # header + 16-bit samples
    assert {"loss_curve.png", "sampling_distributions.png", "audio_waveform.png", "generated_tones.wav"} <= set(files)
    assert "Moral:" in stdout and "tokens/s" in stdout
