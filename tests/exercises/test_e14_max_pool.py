"""Exercise 14, max pooling: the reference passes every check, the student file is reported not done, and
planted mistakes (windows summed instead of maximised, the library's F.max_pool2d) fail with a message that
names them. The gradient sent to the whole window and the tie-breaking are in test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e14_max_pool")

MUTANTS = [
    ("y = window.copy() if y is None else np.maximum(y, window)", "y = window.copy() if y is None else y + window",
     "max_pool2d", ["y:", "first at index"]),
    ("            y = window.copy() if y is None else np.maximum(y, window)\n    return y\n",
     "            y = window.copy() if y is None else np.maximum(y, window)\n    import tinynn\n"
     "    return tinynn.nn.functional.max_pool2d(tinynn.tensor(x), k, s).numpy()\n",
     "max_pool2d", ["your code called tinynn.nn.functional.max_pool2d"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=13, points=20)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=8)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
