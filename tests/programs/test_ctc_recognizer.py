"""A CTC recognizer with lazy layers (a checkpoint loaded before the first call) runs unchanged on tinynn,
learns, and gives PyTorch's numbers."""
from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program


def test_ctc_recognizer_learns_on_tinynn(tmp_path):
    ours = run_program("prog_ctc_recognizer", "tinynn", tmp_path)
    assert ours["losses"][-1] < ours["losses"][0] / 2
    assert ours["lazy_after_load"] is True
    assert ours["classes_after_forward"] == ["Conv1d", "BatchNorm1d", "Linear"]


@needs_torch
def test_ctc_recognizer_gives_pytorchs_numbers(tmp_path):
    ours = run_program("prog_ctc_recognizer", "tinynn", tmp_path)
    theirs = run_program("prog_ctc_recognizer", "torch", tmp_path)
    assert_same_results(ours, theirs, ["losses", "eval_losses", "exact"], rtol=1e-7)
    assert ours["classes_after_forward"] == theirs["classes_after_forward"]
