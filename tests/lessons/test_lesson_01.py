"""Lesson 1 (the neuron): NumPy and tinynn agree; one neuron separates blobs, AND, OR; fails on XOR."""
from tests.lessons.helpers import run_lesson


def test_neuron_learns_separable_data_and_fails_on_xor(tmp_path):
    summary, files, stdout = run_lesson(1, tmp_path)
    assert summary["neuron_difference"] < 1e-6  # the same neuron in NumPy and in tinynn
    assert summary["blob_test_accuracy"] >= 0.9
    assert summary["blob_final_loss"] < summary["blob_first_loss"] / 2
    assert summary["and_accuracy"] == 1.0 and summary["or_accuracy"] == 1.0
    assert summary["xor_accuracy"] <= 0.75  # a straight line cannot do better on XOR
    assert summary["xor_feature_accuracy"] >= 0.95  # the product feature x1*x2 makes it separable
    assert {"neuron_blobs.png", "neuron_xor.png"} <= set(files)
