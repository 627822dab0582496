"""Lesson 23 (running on a GPU) in quick mode: with a GPU, the same model gives the same loss on
both devices (the speed-up it prints is not judged: timings are noisy); without one, it says so and
still runs."""
import tinynn
from tests.lessons.helpers import run_lesson


def test_gpu_lesson(tmp_path):
    summary, files, stdout = run_lesson(23, tmp_path)
    assert summary["gpu"] == tinynn.cuda.is_available()
    assert summary["cpu_ms"] > 0 and summary["widths"] == [64, 128, 256]
    if summary["gpu"]:
        assert summary["loss_difference"] < 1e-3           # the same model on both devices
    else:
        assert "No CUDA GPU with CuPy here" in stdout and summary["gpu_ms"] is None
    assert "cpu_vs_gpu_step_time.png" in files
