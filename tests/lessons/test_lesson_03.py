"""Lesson 3 (feedforward networks) runs headless in quick mode and shows what it claims."""
from tests.lessons.helpers import run_lesson


def test_feedforward_lesson_solves_xor_and_compares_shapes(tmp_path):
    summary, files, stdout = run_lesson(3, tmp_path)
    # parameter counting: the formula and the model agree on the 784-256-128-10 network
    assert summary["params_formula"] == summary["params_counted"] == 235_146
    # a single neuron cannot separate XOR; the hand-built and the learned hidden layer do it exactly
    assert summary["neuron_accuracy"] <= 0.8
    assert summary["hand_accuracy"] == 1.0
    assert summary["xor_accuracy"] == 1.0
    assert summary["solved_width4"] >= summary["solved_width2"]
    assert summary["solved_width4"] == summary["seeds"]
    # wider/deeper on spirals: a narrow single layer underfits, depth fits well
    assert summary["narrow_test"] < 0.8
    assert summary["deep_test"] > 0.9
    assert summary["deep_test"] > summary["narrow_test"] + 0.2
    assert "(5, 16)" in stdout and "(5, 3)" in stdout  # the shapes printed through the network
    assert {"xor.png", "spirals_wider_or_deeper.png"} <= set(files)
