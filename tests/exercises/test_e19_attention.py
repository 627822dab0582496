"""Exercise 19, attention: the reference passes every check, the student file is reported not done, and
planted mistakes in additive attention (no tanh, a softmax over the queries, an inverted mask, scores detached
from the graph) and the library's scaled_dot_product_attention fail with a message that names them. The scale
and mask mistakes of dot-product attention are in test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e19_attention")

MUTANTS = [
    ("hidden = (q_proj + k_proj).tanh()", "hidden = q_proj + k_proj", "additive_scores",
     ["scores:", "first at index", "the scores without the tanh"]),
    ("return scores.softmax(dim=-1) @ v", "return scores.softmax(dim=-2) @ v", "additive_attention",
     ["out:", "a softmax over the queries (dim -2)"]),
    ("masked_fill(~mask, float(\"-inf\"))\n    return scores.softmax(dim=-1) @ v",
     "masked_fill(mask, float(\"-inf\"))\n    return scores.softmax(dim=-1) @ v", "additive_attention",
     ["out:", "the mask inverted"]),
    ("return hidden @ w ", "return tinynn.tensor((hidden @ w).detach().numpy()) ", "additive_attention",
     ["gradient of q: none was computed", "does not reach the output"]),
    ("    return attention_weights(q, k, mask) @ v",
     "    return tinynn.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)",
     "scaled_dot_product_attention", ["your code called tinynn.nn.functional.scaled_dot_product_attention"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=31, points=40)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=12)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
