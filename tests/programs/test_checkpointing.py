"""tests/programs/prog_checkpointing.py: the "Saving and loading models" recipes (a checkpoint dict
each epoch and a resumed run, state_dict for inference, the whole model with weights_only=False)
run unchanged on tinynn, resume exactly, and give PyTorch's losses and outputs."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_checkpointing"
TEXT_KEYS = ("load_state_dict_result", "state_dict_keys", "whole_model_class", "whole_model_parameter_class",
             "weights_only_refused", "refusal_names_the_way_out", "whole_model_training")


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_resumes_exactly_and_reloads_the_whole_model_on_tinynn(ours):
    straight = np.array(ours["straight_losses"])
    assert straight.shape == (6,) and np.all(np.diff(straight) < 0)  # Adam lowers the loss every epoch
    assert straight[0] == pytest.approx(1.1346009322648773, rel=1e-12)  # log(3) ~ 1.0986 from random weights
    assert ours["resumed_losses"] == ours["straight_losses"]  # resuming from the checkpoint changes nothing
    assert ours["checkpoint_epoch"] == 2 and ours["checkpoint_loss"] == ours["straight_losses"][2]
    assert ours["checkpoint_adam_step"] == 12.0  # 3 epochs of 4 minibatches
    assert ours["inference_max_diff"] == ours["buffer_max_diff"] == 0.0
    assert ours["load_state_dict_result"] == "<All keys matched successfully>"
    assert ours["state_dict_keys"] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert ours["weights_only_refused"] is True and ours["refusal_names_the_way_out"] is True
    assert ours["whole_model_max_diff"] == ours["allowlisted_max_diff"] == 0.0
    assert ours["whole_model_outputs"] == ours["inference_outputs"]
    assert (ours["whole_model_class"], ours["whole_model_parameter_class"]) == ("Net", "Parameter")
    assert ours["whole_model_training"] is False  # eval() before saving is kept
    assert ours["whole_model_after_step"] < ours["resumed_losses"][-1]  # the reloaded model trains on


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    for key in TEXT_KEYS:
        assert ours[key] == theirs[key], key
    assert_same_results(ours, theirs, keys=[k for k in sorted(theirs) if k not in TEXT_KEYS], rtol=1e-10, atol=1e-12)
