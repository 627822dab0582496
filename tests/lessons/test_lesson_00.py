"""Lesson 0 (the tour) runs headless in quick mode and trains the spiral classifier."""
from tests.lessons.helpers import run_lesson


def test_tour_trains_and_checks_a_gradient(tmp_path):
    summary, files, stdout = run_lesson(0, tmp_path)
    assert summary["accuracy"] > 0.9
    assert summary["final_loss"] < summary["first_loss"] / 3
    assert summary["gradcheck"] is True
    assert "spirals.png" in files
