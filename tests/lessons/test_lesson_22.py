"""Lesson 22 (mixed precision and memory) in quick mode: float16 without loss scaling loses its
gradients to zero and stalls while GradScaler follows float32, bfloat16 keeps the gradients
float16 flushes, checkpointing lowers the measured peak, and the memory budget predicts it."""
from tests.lessons.helpers import run_lesson


def test_mixed_precision_and_memory_lesson(tmp_path):
    summary, files, stdout = run_lesson(22, tmp_path)
    # without scaling nearly every float16 weight gradient is 0 and training stalls
    assert summary["zero_grad_fraction_unscaled"] > 0.9
    assert summary["mse_float16_unscaled"] > 1.8 * summary["mse_float32"]
    # with GradScaler: float32's curve (Adam is blind to the scale; float16 rounding is small)
    assert abs(summary["mse_float16_scaled"] - summary["mse_float32"]) < 0.05 * summary["mse_float32"]
    assert summary["mse_float32"] < 0.04
    assert summary["zero_grad_fraction_scaled"] < 0.2
    assert summary["final_scale"] >= 2.0**16
    # the histogram's numbers: float16 flushes a large part, scaled or bfloat16 none
    assert summary["true_grads_flushed_float16"] > 0.3
    assert summary["true_grads_flushed_scaled"] < 0.01 and summary["true_grads_flushed_bfloat16"] == 0.0
    # checkpointing: a clearly lower peak (its extra time is printed, not judged)
    assert summary["checkpoint_peak_ratio"] > 1.8
    # parameters + gradients + Adam state + activations predicts the measured peak
    assert 0.9 < summary["memory_measured_mib"] / summary["memory_estimate_mib"] < 1.5
    assert {"formats.png", "loss_scaling.png", "gradient_histogram.png", "checkpointing.png"} <= set(files)
