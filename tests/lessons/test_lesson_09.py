"""Lesson 9 (modern CNNs) runs headless in quick mode: skip connections keep the gradient alive in a
deep network, augmentation and progressive resizing are measured."""
from tests.lessons.helpers import run_lesson


def test_skip_connections_keep_gradients_and_training_tricks_are_measured(tmp_path):
    summary, files, stdout = run_lesson(9, tmp_path)
    # 17 conv layers: the plain stack's first-layer gradient vanishes, the residual one's does not
    assert summary["ratio_plain"] < 1e-4
    assert 0.2 < summary["ratio_residual"] < 5
    # and so the plain stack stays at chance (ln 10 = 2.30) while the residual one learns
    assert summary["final_loss_plain"] > 2.0
    assert summary["final_loss_residual"] < 1.5
    # the small ResNet learns the digits; mirrored digits are not digits: flips hurt
    assert summary["accuracy_plain"] > 0.9
    assert summary["accuracy_shifts"] > 0.8
    assert summary["accuracy_flips"] < summary["accuracy_shifts"]
    # augmentation buys invariance: on shifted test digits the unaugmented network collapses
    assert summary["shifted_accuracy_plain"] < summary["accuracy_plain"] - 0.1
    assert summary["shifted_accuracy_shifts"] > summary["shifted_accuracy_plain"] + 0.15
    # progressive resizing: trains on fewer pixels than 16 x 16 throughout (one epoch of 8 x 8 and one
    # of 16 x 16 against two of 16 x 16: 5/8), to a comparable accuracy; its time is printed, not judged
    assert summary["accuracy_16"] > 0.5 and summary["accuracy_progressive"] > 0.5
    assert summary["pixel_ratio_progressive"] == 0.625
    for figure in ("gradient_norms.png", "deep_training.png", "augmentation.png", "training_tricks.png"):
        assert figure in files
