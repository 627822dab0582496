"""Lesson 7 (training a real classifier) runs headless in quick mode and shows each of its points
with numbers: a trained MLP, the init comparison, normalization, checkpoint round trip, gradient
clipping and accumulation, and the four broken runs of the debugging checklist."""
import math

from tests.lessons.helpers import run_lesson

FIGURES = ["debugging.png", "digits.png", "initialization.png", "lr_schedules.png", "mistakes.png",
           "training_curves.png"]


def test_training_a_classifier_teaches_each_point(tmp_path):
    summary, files, stdout = run_lesson(7, tmp_path)

    # the real run: a useful classifier, and a checkpoint that restores to the same accuracy
    assert summary["data"] == "8x8 digits"
    assert summary["test_accuracy"] > 0.93
    assert 1 <= summary["best_epoch"] <= summary["epochs_run"]
    assert summary["restored_val_accuracy"] == summary["saved_val_accuracy"] > 0.9
    assert "best_mlp.pt" in files
    assert summary["epochs_run"] == 15 or f"early stopping after epoch {summary['epochs_run']}" in stdout

    # standardized inputs train faster than raw pixels under the same SGD
    assert summary["normalization_loss_standardized"] < 0.7 * summary["normalization_loss_raw"]

    # He keeps the signal through 10 ReLU layers, Xavier lets it shrink and barely trains
    assert summary["he_last_std"] > 10 * summary["xavier_last_std"]
    assert summary["xavier_loss"] > 1.5 and summary["he_loss"] < 1.0

    # clipping returns the norm before clipping and leaves the gradient at max_norm
    assert summary["pre_clip_norm"] > 0.5
    assert math.isclose(summary["post_clip_norm"], 0.5, rel_tol=1e-4)

    # accumulated micro-batch gradients equal the full-batch gradient (not so with batch norm)
    assert summary["accumulation_error"] < 1e-6
    assert summary["batchnorm_accumulation_error"] > 1e-3

    # the debugging checklist: each broken run shows its symptom, each fix works
    assert summary["tiny_lr_loss_ratio"] > 0.9  # lr 1e-6: the loss barely moves
    assert summary["healthy_final_loss"] < 0.5
    assert summary["no_zero_grad_late_loss"] > 1.0  # forgotten zero_grad: the loss swings up
    assert 5 <= summary["nan_step"] < 150 and summary["anomaly_detected"] is True
    assert summary["overfit_gap"] > 0.1 and summary["main_gap"] < summary["overfit_gap"] / 2
    assert summary["overfit_best_epoch"] + 25 == summary["overfit_epochs_run"] < 100  # early stopping fired
    assert f"early stopping after epoch {summary['overfit_epochs_run']}" in stdout
    assert summary["underfit_train_accuracy"] < 0.8 < summary["wider_train_accuracy"]

    for name in FIGURES:
        assert name in files
