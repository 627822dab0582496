"""Exercise 12, inverted dropout: the reference passes every check, the student file is reported not done,
and planted mistakes (no 1 / (1 - p) scaling, keeping with probability p, scaling in evaluation, nan at
p = 1, one mask shared by all rows, the generator ignored, a mask outside the graph, a float64 mask, the
library's dropout) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e12_dropout")

# (old, new, the start of the name of the check that fails, the words its message uses)
MUTANTS = [
    ("mask = keep.to(x.dtype) / (1.0 - p)", "mask = keep.to(x.dtype)", "training, p = 0.3",
     ["neither 0 (dropped) nor x / (1 - p)", "the kept values are not scaled"]),
    ("generator=generator) >= p", "generator=generator) < p", "the fraction kept",
     ["p=0.3", "units kept, expected 70%", "you keep a unit with probability p"]),
    ("    if not training or p == 0.0:\n        return x\n",
     "    if p == 0.0:\n        return x\n    if not training:\n        return x * (1 - p)\n", "evaluation",
     ["training=False", "inverted dropout leaves evaluation alone"]),
    ("    if p == 1.0:\n        return x * 0.0", "    if False:\n        return x * 0.0", "p = 1",
     ["dropout(x, p=1", "nan or inf", "divides by zero"]),
    ("keep = tinynn.rand(x.shape, generator=generator)", "keep = tinynn.rand(x.shape[-1:], generator=generator)",
     "a new mask",
     ["rows have the same mask", "one random number per element"]),
    ("keep = tinynn.rand(x.shape, generator=generator)", "keep = tinynn.rand(x.shape)", "a new mask",
     ["different masks", "draw from the generator argument"]),
    ("    return x * mask\n", "    return tinynn.tensor(x.detach().numpy() * mask.numpy())\n", "the gradient flows",
     ["not connected to the autograd graph"]),
    ("mask = keep.to(x.dtype)", "mask = keep.double()", "a float32 x",
     ["returned a float64 Tensor", "keep.to(x.dtype)"]),
    ("    return x * mask\n", "    return tinynn.nn.functional.dropout(x, p, training)\n", "training, p = 0.3",
     ["your code called tinynn.nn.functional.dropout"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=10, points=17)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, ["dropout"])


def test_declarations():
    assert_declarations(EXERCISE, lesson=7)
    assert "tinynn.nn.functional.dropout" in EXERCISE.forbidden
    assert EXERCISE.parts == {"dropout": "dropout"}


@pytest.mark.parametrize("old, new, check, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, check, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, "dropout", words, found_in="first", check=check)
