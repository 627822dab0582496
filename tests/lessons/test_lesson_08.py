"""Lesson 8 (convolutions) runs headless in quick mode: three convolutions agree, the size formula
holds, and the LeNet-style CNN learns the digits."""
from tests.lessons.helpers import run_lesson


def test_convolutions_agree_and_the_cnn_learns_digits(tmp_path):
    summary, files, stdout = run_lesson(8, tmp_path)
    # loops, im2col and tinynn's conv2d give the same numbers (the lesson prints how much faster im2col is)
    assert summary["conv_max_difference"] < 1e-4
    assert summary["size_formula_checks"] == "8/8"
    # eight quick epochs of LeNet: far above chance (10%), and the loss falls
    assert summary["accuracy"] > 0.9
    assert summary["final_loss"] < 0.5 * summary["first_loss"]
    for figure in ("training.png", "predictions.png", "filters.png", "feature_maps_1.png", "feature_maps_2.png"):
        assert figure in files
    assert "held-out accuracy" in stdout
