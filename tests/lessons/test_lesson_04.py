"""Lesson 4 (backpropagation) runs headless in quick mode and shows what it claims."""
from tests.lessons.helpers import run_lesson


def test_backpropagation_lesson_matches_autograd_and_catches_a_bug(tmp_path):
    summary, files, stdout = run_lesson(4, tmp_path)
    # hand-written backprop equals autograd to float64 rounding
    assert summary["chain_rule_diff"] < 1e-12
    assert summary["max_abs_diff"] < 1e-13
    # central differences agree with backprop; the best step sizes sit where the theory puts them
    assert summary["fd_max_rel_error"] < 1e-6
    assert 1e-10 <= summary["best_eps_forward"] <= 1e-5
    assert 1e-8 <= summary["best_eps_central"] <= 1e-3
    assert summary["best_eps_central"] > summary["best_eps_forward"]
    # gradcheck passes the network and the correct Function, catches the planted bug with a report
    assert summary["gradcheck_network"] is True
    assert summary["gradcheck_correct"] is True
    assert summary["bug_caught"] is True and summary["bug_in_network_caught"] is True
    assert "analytical (backward)" in stdout and "numerical (finite differences)" in stdout
    assert "digraph" in stdout  # the DOT text was printed
    # the hand-written gradients train the network
    assert summary["final_loss"] < summary["first_loss"] / 2.5
    assert summary["accuracy"] > 0.85
    assert {"computation_graph.png", "finite_difference_error.png", "hand_backprop_training.png"} <= set(files)
