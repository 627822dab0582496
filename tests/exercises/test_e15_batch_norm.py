"""Exercise 15, batch norm: the reference passes every check, the student file is reported not done, and
planted mistakes (a missing path of the backward, g for g * weight, means over the batch axis only, the
unbiased variance, eps outside the square root, a biased running variance, running statistics assigned
instead of updated in place or with momentum reversed, batch statistics in evaluation, the library's
batch_norm) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e15_batch_norm")
FUNCTIONS = ["batch_statistics", "BatchNormFunction.forward", "BatchNormFunction.backward", "batch_norm"]

GRAD_X = "grad_x = rstd * (gw - gw.mean(axes, keepdim=True) - xhat * (gw * xhat).mean(axes, keepdim=True))"
RUNNING_MEAN = "running_mean.mul_(1 - momentum).add_(momentum * mean)"
MUTANTS = [
    (GRAD_X, "grad_x = rstd * (gw - gw.mean(axes, keepdim=True))", "BatchNormFunction.backward",
     ["gradient of x", "numeric (finite differences)", "the path through the variance"]),
    ("gw = grad * weight.reshape(shape)", "gw = grad", "BatchNormFunction.backward",
     ["gradient of x", "the closed form with g instead of gw = g * weight"]),
    ("axes, shape = reduce_axes(grad), channel_shape(grad)", "axes, shape = (0,), channel_shape(grad)",
     "BatchNormFunction.backward", ["gradient of x", "the means taken over the batch axis only"]),
    ("var = (centered * centered).mean(axes)", "var = (centered * centered).sum(axes) / (x.numel() // x.shape[1] - 1)",
     "batch_statistics", ["batch_statistics: var", "the unbiased variance"]),
    ("rstd = 1.0 / (var.reshape(shape) + eps).sqrt()", "rstd = 1.0 / (var.reshape(shape).sqrt() + eps)",
     "BatchNormFunction.forward", ["y:", "eps goes inside the square root"]),
    ("momentum * var * (n / (n - 1))", "momentum * var", "batch_norm",
     ["after call 1: running_var", "the biased batch variance"]),
    (RUNNING_MEAN, "running_mean = (1 - momentum) * running_mean + momentum * mean", "batch_norm",
     ["running_mean is unchanged", "in place"]),
    (RUNNING_MEAN, "running_mean.mul_(momentum).add_((1 - momentum) * mean)", "batch_norm",
     ["running_mean", "momentum the other way round"]),
    ("    if training:\n", "    if True:\n", "batch_norm",
     ["y:", "the batch's statistics; evaluation uses the running ones"]),
    ("        return BatchNormFunction.apply(x, weight, bias, eps)",
     "        return tinynn.nn.functional.batch_norm(x, None, None, weight, bias, True, momentum, eps)", "batch_norm",
     ["your code called tinynn.nn.functional.batch_norm"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=21, points=28)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=9)
    assert "tinynn.nn.functional.batch_norm" in EXERCISE.forbidden
    assert EXERCISE.parts == {"batch_norm": ["batch_norm", "BatchNormFunction", "batch_statistics"]}


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all")
