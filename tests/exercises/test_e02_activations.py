"""Exercise 02, activations: the reference passes every check, the student file is reported not done, and
planted mistakes in Tanh and ReLU (a wrong derivative, a backward through NumPy, the mask x >= 0, a missing
upstream gradient, the library's own tanh and relu) fail with a message that names them. The classic sigmoid
mistakes are in test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e02_activations")

MUTANTS = [
    ("return grad * (1 - y * y)", "return grad * (1 - y)", "Tanh.backward",
     ["gradient of x", "numeric (finite differences)", "the derivative is 1 - y^2"]),
    ("return grad * (1 - y * y)", "return tinynn.tensor(grad.detach().numpy() * (1 - y.detach().numpy() ** 2))",
     "Tanh.backward",
     ["cannot be differentiated again"]),
    ("(a > 0).astype(a.dtype)", "(a >= 0).astype(a.dtype)", "ReLU.backward",
     ["gradient of x for x = [-1, 0, 2, 0]", "the mask x >= 0"]),
    ("return grad * mask", "return mask", "ReLU.backward", ["gradient of x", "without the upstream grad"]),
    ("y = tinynn.tensor(np.tanh(x.detach().numpy()))", "y = tinynn.tanh(x.detach())", "Tanh.forward",
     ["your code called tinynn.tanh"]),
    ("return tinynn.tensor(np.maximum(a, 0))", "return x.detach().relu()", "ReLU.forward",
     ["your code called tinynn.Tensor.relu"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=27, points=34)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=2)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
