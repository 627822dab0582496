"""Lesson 13 (the transformer encoder) in quick mode: each part written out equals tinynn's module,
pre-norm and post-norm differ in their gradients, order is learned only with positional
encodings, the small vision transformer reads digits, and the parameter formula is exact."""
from tests.lessons.helpers import run_lesson


def test_transformer_encoder_lesson(tmp_path):
    summary, files, stdout = run_lesson(13, tmp_path)
    for check in ("mha_max_difference", "block_max_difference", "layer_norm_max_difference"):
        assert summary[check] < 1e-5, check
    assert summary["post_over_pre_last_block_grad"] > 1.5   # post-norm's top blocks get larger gradients
    assert summary["sorted_accuracy"] > 0.85               # with learned positions
    assert summary["sorted_one_swap_accuracy"] > 0.6       # even the negatives that differ by one swap
    assert abs(summary["no_position_accuracy"] - 0.5) < 0.06  # a set cannot tell sorted from shuffled
    assert summary["vit_accuracy"] > 0.8                   # 10 classes: chance is 10%
    assert summary["parameters_formula"] == summary["parameters_numel"] > 10_000
    assert summary["vit_flops"] > 0
    assert {"pre_vs_post_norm.png", "sorted_training.png", "sorted_heads.png", "positional_encodings.png",
            "vit_training.png"} <= set(files)
