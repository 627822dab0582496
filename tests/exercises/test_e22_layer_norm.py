"""Exercise 22, layer norm: the reference passes every check, the student file is reported not done,
and planted mistakes (a missing term of the backward, the unbiased variance, eps outside the square
root, an unsummed weight gradient, the library's layer_norm) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e22_layer_norm")
FUNCTIONS = ["LayerNormFunction.forward", "LayerNormFunction.backward"]

MUTANTS = [
    ("grad_x = rstd * (g - g.mean(dim=-1, keepdim=True) - xhat * (g * xhat).mean(dim=-1, keepdim=True))",
     "grad_x = rstd * (g - g.mean(dim=-1, keepdim=True))", "LayerNormFunction.backward",
     ["gradient of x", "numeric (finite differences)", "rstd treated as a constant"]),
    ("grad_x = rstd * (g - g.mean(dim=-1, keepdim=True) - xhat * (g * xhat).mean(dim=-1, keepdim=True))",
     "grad_x = rstd * g", "LayerNormFunction.backward", ["gradient of x", "mean and rstd both treated as constants"]),
    ("var = (centered * centered).mean(dim=-1, keepdim=True)",
     "var = (centered * centered).sum(dim=-1, keepdim=True) / (x.shape[-1] - 1)", "LayerNormFunction.forward",
     ["y:", "first at index", "the unbiased variance"]),
    ("rstd = 1.0 / (var + eps).sqrt()", "rstd = 1.0 / (var.sqrt() + eps)", "LayerNormFunction.forward",
     ["eps goes inside the square root"]),
    ("grad_weight = (grad * xhat).reshape(-1, d).sum(0)", "grad_weight = grad * xhat", "LayerNormFunction.backward",
     ["gradient of weight", "shape (4, 5) but expected (5,)", "forgot to sum over the batch dimension"]),
    ("grad_weight = (grad * xhat).reshape(-1, d).sum(0)", "grad_weight = grad.reshape(-1, d).sum(0)",
     "LayerNormFunction.backward", ["gradient of weight", "dL/dweight sums grad * xhat"]),
    ("        mean = x.mean(dim=-1, keepdim=True)                     # (*, 1)",
     "        return tinynn.nn.functional.layer_norm(x, x.shape[-1], weight, bias, eps)",
     "LayerNormFunction.forward", ["your code called tinynn.nn.functional.layer_norm"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=23)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")
