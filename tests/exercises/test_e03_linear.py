"""Exercise 03, the Linear layer: the reference passes every check, the student file is reported not done,
and planted mistakes (grad @ W.T for dL/dx, the library's F.linear in forward) fail with a message that names
them. The transposed dL/dW and the unsummed bias gradient are in test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e03_linear")

MUTANTS = [
    ("grad_x = grad @ weight ", "grad_x = grad @ weight.T ", "LinearFunction.backward",
     ["gradient of x", "grad @ W.T (dL/dx needs grad @ W)"]),
    ("        y = x @ weight.T\n        if bias is not None:\n            y = y + bias\n",
     "        y = tinynn.nn.functional.linear(x, weight, bias)\n", "LinearFunction.forward",
     ["your code called tinynn.nn.functional.linear"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=11, points=16)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=3)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
