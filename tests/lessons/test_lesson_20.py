"""Lesson 20 (LoRA) in quick mode: the adapted model starts as the pretrained one, LoRA on q and v
lands near full fine-tuning and far above the frozen head while training a few percent of the
parameters, merging changes no output, the adapter-only checkpoint restores the model exactly and is
a fraction of the full one, and full fine-tuning's update is measured to be low-rank."""
from tests.lessons.helpers import run_lesson


def test_lora_lesson(tmp_path):
    summary, files, stdout = run_lesson(20, tmp_path)
    assert summary["pretrain_accuracy"] > 0.9
    assert summary["lora_accuracy"] > summary["head_only_accuracy"] + 0.08
    assert summary["lora_accuracy"] > summary["full_accuracy"] - 0.08
    assert summary["adapter_parameters"] == 2 * 2 * 4 * (32 + 32)         # blocks * (q, v) * r * (in + out)
    assert summary["lora_trainable"] == summary["adapter_parameters"] + 32 * 5 + 5   # plus the new head
    assert summary["lora_fraction"] < 0.1 and summary["full_trainable"] > 15_000
    assert summary["rank_sweep"]["16"] > summary["rank_sweep"]["1"]
    for check in ("merge_max_difference", "unload_max_difference", "restore_max_difference"):
        assert summary[check] < 1e-5, check
    assert summary["adapter_checkpoint_bytes"] < 0.2 * summary["full_checkpoint_bytes"]
    assert summary["full_update_top4_energy"] > 0.5                       # an unstructured change: 4/32
    assert "lora_finetuning.png" in files
