"""Exercise 01, Mul, Exp and Sum as autograd Functions: the reference passes every check, the student file
is reported not done, and planted mistakes (the inputs' gradients swapped, the input saved where the
output belongs, a NumPy backward, a gradient laid along the wrong axis, keepdim ignored, the library's
exp) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e01_tensor_op")
FUNCTIONS = ["Mul.forward", "Mul.backward", "Exp.forward", "Exp.backward", "Sum.forward", "Sum.backward"]

MUTANTS = [
    ("return grad * y, grad * x", "return grad * x, grad * y", "Mul.backward",
     ["gradient of x", "analytic (yours)", "numeric (finite differences)", "dz/dx is the OTHER input, y"]),
    ("ctx.save_for_backward(y)\n        return y", "ctx.save_for_backward(x)\n        return y", "Exp.backward",
     ["gradient of x", "the input x where the output exp(x) belongs"]),
    ("        return grad * y\n", "        return tinynn.tensor(grad.detach().numpy() * y.detach().numpy())\n",
     "Exp.backward", ["second derivative", "cannot be differentiated again", "Tensors, not NumPy"]),
    ("            kept[ctx.dim] = 1 ", "            kept[ctx.dim] = 1\n            kept.reverse() ", "Sum.backward",
     ["dim=0", "gradient of x", "grad laid along the wrong axis"]),
    ("keepdims=keepdim", "keepdims=False", "Sum.forward",
     ["shape (2, 3) but expected (2, 3, 1)", "only dimensions of size 1 differ"]),
    ("y = tinynn.tensor(np.exp(x.detach().numpy()))", "y = x.exp()", "Exp.forward",
     ["your code called tinynn.Tensor.exp", "exercise 01"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=27, points=39)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=1)
    assert EXERCISE.forbidden == ["tinynn.exp", "tinynn.Tensor.exp", "tinynn.sum", "tinynn.Tensor.sum"]
    assert EXERCISE.parts == {}


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, with_name=True)
