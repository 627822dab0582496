"""Lesson 5 (loss functions) runs headless in quick mode and shows what each loss does."""
from tests.lessons.helpers import run_lesson


def test_losses_match_formulas_and_show_their_behaviour(tmp_path):
    summary, files, stdout = run_lesson(5, tmp_path)
    # tinynn's losses and gradients agree with the hand formulas
    assert summary["worst_difference"] < 1e-5
    # outliers drag the MSE line (to the closed-form least-squares slope), not MAE or Huber
    assert abs(summary["mse_slope"] - summary["exact_mse_slope"]) < 0.02
    assert summary["mse_slope"] < 1.2
    assert abs(summary["mae_slope"] - 2.0) < 0.15
    assert abs(summary["huber_slope"] - 2.0) < 0.2
    # the naive BCE overflows where the with-logits form stays exact
    assert summary["naive_broken"] == 6
    assert summary["stable_error"] < 1e-5
    assert abs(summary["bce_grad_at_minus_10"] + 1.0) < 1e-3
    assert abs(summary["mse_grad_at_minus_10"]) < 1e-3
    # label smoothing's best margin is where the formula puts it
    assert summary["margin_error"] < 0.02
    for name in ("regression_losses.png", "outliers.png", "binary_losses.png", "label_smoothing.png"):
        assert name in files
