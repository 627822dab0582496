"""PyTorch's time_sequence_prediction example (LSTMCell + LBFGS) runs unchanged on tinynn and gives
PyTorch's numbers."""
from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program


def test_time_sequence_prediction_learns_on_tinynn(tmp_path):
    ours = run_program("prog_time_sequence_prediction", "tinynn", tmp_path)
    assert ours["losses"][-1] < ours["losses"][0] / 10
    assert ours["test_losses"][-1] < ours["test_losses"][0]
    assert len(ours["prediction"]) == 3 and len(ours["prediction"][0]) == 30


@needs_torch
def test_time_sequence_prediction_gives_pytorchs_numbers(tmp_path):
    ours = run_program("prog_time_sequence_prediction", "tinynn", tmp_path)
    theirs = run_program("prog_time_sequence_prediction", "torch", tmp_path)
    assert ours["closure_calls"] == theirs["closure_calls"]
    assert_same_results(ours, theirs, keys=["losses", "test_losses"], rtol=1e-6)
