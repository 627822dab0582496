"""Lesson 19 (transfer learning) in quick mode: the pretrained CNN learns digits 0-4, every pretrained
start is far ahead of training from scratch after 30 steps on the new digits 5-9, all methods end
well above chance, and the curriculum comparison ran (easy-first measured behind the shuffled order)."""
from tests.lessons.helpers import run_lesson


def test_transfer_learning_lesson(tmp_path):
    summary, files, stdout = run_lesson(19, tmp_path)
    assert summary["pretrain_accuracy"] > 0.9
    assert summary["pretrained_30_steps"] > summary["scratch_30_steps"] + 0.1   # transfer's head start
    for method in ("head_only", "per_layer_lr", "same_lr", "from_scratch"):
        assert summary[f"{method}_accuracy"] > 0.6, method                     # 5 classes: chance is 20%
    by_budget = summary["accuracy_by_budget"]["per-layer lr"]
    assert by_budget["20"] > by_budget["3"]                                     # more labels help
    assert summary["shuffled_final"] > 0.85 and summary["curriculum_final"] > 0.8
    assert summary["curriculum_stage1"] < summary["shuffled_stage1"]           # easy examples teach less
    assert {"transfer.png", "curriculum.png"} <= set(files)
