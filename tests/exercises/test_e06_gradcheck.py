"""Exercise 06, gradient checking: the reference passes every check and agrees with tinynn's gradcheck, the
student file is reported not done, and planted mistakes (one-sided differences, a missing factor 1/2,
an input nudged in place and not restored exactly, a tolerance without rtol, .grad read after
backward, the first failing element reported instead of the worst, a missing gradient taken as
None, tinynn's own gradcheck) fail with a message that names them."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import tinynn
import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant_ids, mutant_with_changes,
                                             solution_block)
from tinynn.exercises.source import e06_gradcheck as reference

EXERCISE = exercises.find("e06_gradcheck")
FUNCTIONS = ["numerical_gradient", "gradcheck"]

# numerical_gradient's solution, replaced by one that nudges the input in place
IN_PLACE = """    x = inputs[index].detach().numpy()
    grad = np.zeros(x.shape)
    with tinynn.no_grad():
        for j in np.ndindex(x.shape):
            x[j] += eps
            plus = f(*inputs).item()
            x[j] -= 2 * eps
            minus = f(*inputs).item()
            x[j] += eps
            grad[j] = (plus - minus) / (2 * eps)
    return grad
"""

# (the (old, new) changes planted together, the function whose check names the mistake, the words it uses)
MUTANTS = [
    ([("for step in (eps, -eps):", "for step in (eps, 0.0):"), ("/ (2 * eps)", "/ eps")], "numerical_gradient",
     ["sum(x^3)", "df/dx", "one-sided differences"]),
    ([("/ (2 * eps)", "/ eps")], "numerical_gradient", ["sum(x^3)", "off by a factor of 2 everywhere"]),
    ([(solution_block(EXERCISE, "numerical_gradient"), IN_PLACE)], "numerical_gradient",
     ["numerical_gradient changed inputs[0]", "put the saved value back"]),
    ([("failing = difference > atol + rtol * np.abs(n)", "failing = difference > atol")], "gradcheck",
     ["atol=0.0, rtol=0.001", "expected True", "|a - n| <= atol + rtol * |n|"]),
    ([("    analytical = tinynn.autograd.grad(f(*inputs), [inputs[i] for i in wrt], allow_unused=True)\n",
       "    f(*inputs).backward()\n    analytical = [inputs[i].grad for i in wrt]\n")], "gradcheck",
     ["held ones beforehand", "tinynn.autograd.grad"]),
    ([("if worst is None or difference[j] > worst[0]:", "if worst is None:")], "gradcheck",
     ["does not name the input (input 1, w)", "It printed: gradcheck failed: input 0"]),
    ([("a = np.zeros(inputs[i].shape) if a is None else a.detach().numpy()", "a = a.detach().numpy()")], "gradcheck",
     ["an input f does not use", "'NoneType'"]),
    ([("    wrt = [i for i", "    return tinynn.autograd.gradcheck(f, tuple(inputs), raise_exception=False)\n"
                            "    wrt = [i for i")], "gradcheck", ["your code called tinynn.autograd.gradcheck"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=14, points=17)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=4)
    assert "tinynn.autograd.gradcheck" in EXERCISE.forbidden
    assert EXERCISE.parts == {"gradcheck": ["numerical_gradient", "gradcheck"]}


@pytest.mark.parametrize("scale", [1.0, 1.01])
def test_reference_agrees_with_tinynns_gradcheck(scale):
    """A backward scaled by ``scale`` (1: right, 1.01: 1% off): both gradchecks give the same verdict."""

    class Scaled(tinynn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return tinynn.tensor(np.sin(x.detach().numpy()))

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.cos() * scale

    x = tinynn.tensor(np.linspace(-1.0, 2.0, 6).reshape(2, 3), requires_grad=True)
    u = tinynn.tensor(np.arange(6.0).reshape(2, 3) - 2.5)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        mine = reference.gradcheck(lambda x: (Scaled.apply(x) * u).sum(), [x])
    library = tinynn.autograd.gradcheck(lambda x: Scaled.apply(x), (x,), raise_exception=False)
    assert mine is library is (scale == 1.0)
    assert (printed.getvalue() == "") == mine
    if not mine:   # the worst element: the largest |u * cos(x)| * 1%, 1.5 * cos(-0.4) at (0, 1)
        assert "input 0, element (0, 1)" in printed.getvalue()


def test_numerical_gradient_of_a_cube_is_central():
    x = tinynn.tensor(np.array([2.0]))
    got = reference.numerical_gradient(lambda x: (x * x * x).sum(), [x], 0, eps=1e-3)
    assert got.dtype == np.float64 and abs(got[0] - 12.000001) < 1e-9   # the worked example of the docstring


@pytest.mark.parametrize("changes, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, changes, function, words):
    report = grade(EXERCISE, mutant_with_changes(EXERCISE, tmp_path, changes))
    assert_mistake_caught(report, function, words, with_name=True)
