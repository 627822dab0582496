"""Exercise 20, multi-head attention: the reference passes every check, the student file is reported not
done, the check's library comparison really runs the library, and planted mistakes (a split or merge
without its transpose, no output projection, a dropped mask, a softmax written again instead of
calling scaled_dot_product_attention, the library's own layer) fail with a message that names them."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.exercises.checks import e20_multihead_attention as checks
from tinynn.exercises.grading import Grader
from tinynn.exercises.source import e20_multihead_attention as reference

EXERCISE = exercises.find("e20_multihead_attention")
FUNCTIONS = ["split_heads", "merge_heads", "multi_head_attention"]

SOFTMAX_AGAIN = ("heads = ((q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5).masked_fill(~mask, float('-inf'))"
                 ".softmax(dim=-1) @ v if mask is not None else ((q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5)"
                 ".softmax(dim=-1) @ v")
MUTANTS = [
    ("return x.reshape(n, length, num_heads, e // num_heads).transpose(1, 2)",
     "return x.reshape(n, num_heads, length, e // num_heads)", "split_heads",
     ["heads:", "first at index", "without the transpose"]),
    ("return x.transpose(1, 2).reshape(n, length, heads * d)", "return x.reshape(n, length, heads * d)", "merge_heads",
     ["merged:", "without transposing back first"]),
    ("return project(merge_heads(heads), weight_o, bias_o)", "return merge_heads(heads)", "multi_head_attention",
     ["out:", "without the output projection"]),
    ("heads = scaled_dot_product_attention(q, k, v, mask)", "heads = scaled_dot_product_attention(q, k, v)",
     "multi_head_attention", ["a causal mask" , "attention without the mask"]),
    ("return project(merge_heads(heads), weight_o, bias_o)", "return project(merge_heads(heads), weight_o.T, bias_o)",
     "multi_head_attention", ["out:", "first at index", "the output projection is merged @ weight_o.T"]),
    ("heads = scaled_dot_product_attention(q, k, v, mask)", SOFTMAX_AGAIN, "multi_head_attention",
     ["never called scaled_dot_product_attention", "exercise-19 attention"]),
    ("    q = split_heads(project(query, weight_q, bias_q), num_heads)   # (N, h, L, d)\n",
     "    return tinynn.nn.functional.multi_head_attention_forward(query, key, value, 8, num_heads, None, None, "
     "None, None, False, 0.0, weight_o, bias_o)\n", "multi_head_attention",
     ["your code called tinynn.nn.functional.multi_head_attention_forward"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=18, points=26)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_library_comparison_uses_the_same_weights_and_masks():
    """The check's call of the library agrees with the reference, and with a mask it differs from no mask."""
    g = Grader(seed=1)
    causal = np.tril(np.ones((3, 3), dtype=bool))
    a = checks._layer(g, 2, 3, 3, 8, mask=causal)
    ours, _ = checks._call(reference.multi_head_attention, a, 2)
    assert np.allclose(checks._library(a, 2).numpy(), ours.numpy(), atol=1e-12)
    assert not np.allclose(checks._library(dict(a, mask=None), 2).numpy(), ours.numpy())
    assert np.allclose(checks._mha(a, 2), ours.numpy(), atol=1e-12)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)


def test_softmax_written_again_fails_only_the_hook_check(tmp_path):
    """Right numbers without calling scaled_dot_product_attention: every check passes but the hook's."""
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, "heads = scaled_dot_product_attention(q, k, v, mask)",
                                    SOFTMAX_AGAIN))
    failed = [r.name for r in report.results if r.status != "pass"]
    assert failed == ["calls scaled_dot_product_attention(q, k, v, mask) on all heads at once, (N, h, L, d)"]
