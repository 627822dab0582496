"""Exercise 09, Adam: the reference passes every check, the student file is reported not done, and planted
mistakes fail with a message that names them: in adam_step the weight decay left out; in the Adam class a
parameter without a gradient not skipped, an update that rebinds a name instead of writing into the parameter,
zero_grad filling zeros, a generator of parameters kept as it is, the library's own tinynn.optim.Adam."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e09_adam")

MUTANTS = [
    ("    if weight_decay != 0:\n        grad = grad + weight_decay * param\n", "", "adam_step",
     ["the update param_t - param", "the weight decay left out"]),
    ("            if p.grad is None:\n                continue\n", "", "Adam.step",
     ["where a parameter's .grad is None", "skip parameters without a gradient"]),
    ("            with tinynn.no_grad():\n                p.copy_(tinynn.tensor(new_param))\n",
     "            p = tinynn.tensor(new_param)\n", "Adam.step",
     ["Adam, after step 1: parameter 0", "tinynn.optim.Adam", "it was not updated in place"]),
    ("            p.grad = None", "            p.grad = tinynn.zeros_like(p)", "Adam.zero_grad",
     ["after zero_grad(), parameter 0", "expected None"]),
    ("self.params = list(params)", "self.params = params", "Adam.__init__",
     ["training step 1: parameter 0", "step() updated nothing", "keep list(params)"]),
    ("        self.state = {}\n",
     "        self.state = {}\n        self.inner = tinynn.optim.Adam(self.params, lr=lr)\n",
     "Adam.__init__", ["your code called tinynn.optim.Adam"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=19)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=6)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
