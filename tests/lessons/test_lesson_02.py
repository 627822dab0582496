"""Lesson 2 (activation functions): autograd matches the closed forms, softmax's properties hold,
and the gradient vanishes through a deep sigmoid stack but not through a ReLU one."""
import math

from tests.lessons.helpers import run_lesson


def test_activation_derivatives_softmax_and_vanishing_gradient(tmp_path):
    summary, files, stdout = run_lesson(2, tmp_path)
    assert summary["max_derivative_error"] < 1e-12
    assert summary["softmax_jacobian_error"] < 1e-12
    assert summary["softmax_shift_difference"] < 1e-4  # shift invariance, in float32
    assert summary["entropy_low_temperature"] < 0.2  # T = 0.25: nearly one-hot
    assert math.log(3) - 0.01 < summary["entropy_high_temperature"] <= math.log(3)  # T = 10: nearly uniform
    assert summary["sigmoid_first_over_last"] < 1e-3  # vanished on the way back through 20 sigmoids
    assert 0.1 < summary["relu_first_over_last"] < 10
    assert summary["relu_first_layer_grad"] > 1e3 * summary["sigmoid_first_layer_grad"]
    assert {"activations.png", "softmax_temperature.png", "vanishing_gradients.png"} <= set(files)
