"""Lesson 21 (quantization and QLoRA) in quick mode: the error of each format in its expected order,
post-training quantization keeping the accuracy, and QLoRA learning the new task with a fraction of the
memory of LoRA and of full fine-tuning."""
from tests.lessons.helpers import run_lesson


def test_quantization_and_qlora_lesson(tmp_path):
    summary, files, stdout = run_lesson(21, tmp_path)
    error = summary["rel_error"]
    assert error["int8"] < 0.01 and error["int8_asym"] < 0.01
    assert error["nf4"] < 0.95 * error["int4"] < error["int4 per-tensor"] / 1.3   # NF4 best of 4 bits; blocks help
    assert abs(error["nf4+dq"] - error["nf4"]) < 0.01 * error["nf4"]               # double quant adds little
    assert summary["uniform_rms_error"]["int4"] < summary["uniform_rms_error"]["nf4"]
    assert summary["float_accuracy"] > 0.9
    for format, acc in summary["ptq_accuracy"].items():
        assert acc > summary["float_accuracy"] - (0.005 if format.startswith("int8") else 0.03), format
    adapt = summary["adapt_accuracy"]
    assert summary["before_adapt_accuracy"] < 0.3
    assert adapt["full"] > 0.85 and adapt["LoRA"] > 0.8 and adapt["QLoRA"] > 0.8
    total, peak = summary["memory_total"], summary["memory_peak"]
    assert total["QLoRA"] < total["LoRA"] / 3 < total["full"] / 9           # weights + grads + Adam state
    assert peak["QLoRA"] < peak["LoRA"] < peak["full"] / 2                  # measured with tracemalloc
    rank_8_adapters = 8 * ((64 + 512) + 2 * (512 + 512) + (512 + 10))       # r (in + out) per layer
    assert summary["trainable"]["LoRA"] == summary["trainable"]["QLoRA"] == rank_8_adapters
    assert summary["trainable"]["full"] == 64 * 512 + 2 * 512 * 512 + 512 * 10 + 3 * 512 + 10
    assert {"weight_histogram_levels.png", "qlora_memory_accuracy.png"} <= set(files)
