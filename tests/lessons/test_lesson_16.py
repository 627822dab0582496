"""Lesson 16 (generative adversarial networks) in quick mode: the non-saturating loss gives the
generator a far larger gradient, the trained generator's samples are far closer to the ring of
Gaussians than the untrained ones and cover most modes, and a generator 10x faster than its
discriminator collapses onto a region covering at most two modes."""
from tests.lessons.helpers import run_lesson


def test_gan_lesson(tmp_path):
    summary, files, stdout = run_lesson(16, tmp_path)
    assert summary["d_of_fake"] < 0.1
    assert summary["gradient_ratio"] > 8                                   # about (1 - D) / D
    assert summary["untrained_mmd"] > 1.0
    assert summary["gan_mmd"] < 0.2 * summary["untrained_mmd"]             # well below the untrained value
    assert summary["gan_mmd"] < 0.15
    assert summary["gan_hist"] < 0.8 < summary["untrained_hist"]
    assert summary["floor_mmd"] < 0.02 and summary["floor_hist"] < 0.2
    assert summary["gan_modes"] >= 5 and summary["gan_quality"] > 0.35
    assert summary["collapsed_modes"] <= 2
    assert max(summary["collapsed_modes_over_time"]) <= 2
    assert summary["collapsed_mmd"] > 5 * summary["gan_mmd"]
    assert {"gan_losses.png", "gan_training.png", "mode_collapse.png"} <= set(files)
