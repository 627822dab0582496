"""Exercise 07, softmax + cross-entropy: the reference passes every check, the student file is reported not
done, and planted mistakes (log-softmax without the max shift, a gradient not divided by N, the library's
cross_entropy) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e07_softmax_cross_entropy")

MUTANTS = [
    ("shifted = z - z.max(axis=-1, keepdims=True)", "shifted = z", "log_softmax",
     ["FloatingPointError: overflow", "stable form"]),
    ("return grad * tinynn.tensor((probs - one_hot) / n), None", "return grad * tinynn.tensor(probs - one_hot), None",
     "SoftmaxCrossEntropy.backward", ["gradient of logits", "not divided by N"]),
    ("loss = -log_p[np.arange(n), t].mean()",
     "loss = tinynn.nn.functional.cross_entropy(logits.detach(), target).numpy()", "SoftmaxCrossEntropy.forward",
     ["your code called tinynn.nn.functional.cross_entropy"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=14, points=18)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=5)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
