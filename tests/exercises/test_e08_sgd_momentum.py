"""Exercise 08, SGD with momentum: the reference passes every check, the student file is reported not
done, and planted mistakes (an averaged buffer, Nesterov as plain momentum, no weight decay, an update
that is not in place, outside no_grad, a missing-gradient crash, a zero_grad that does nothing, the
library's SGD) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e08_sgd_momentum")
FUNCTIONS = ["SGD.zero_grad", "SGD.step"]

MUTANTS = [
    ("buffer = self.momentum * buffer + d", "buffer = self.momentum * buffer + (1 - self.momentum) * d", "SGD.step",
     ["momentum=0.9", "step 2, params[0]", "the update", "b = momentum * b + (1 - momentum) * g after a first b = g"]),
    ("d = d + self.momentum * buffer if self.nesterov else buffer", "d = buffer", "SGD.step",
     ["nesterov=True", "step 1", "the ordinary momentum step d = b"]),
    ("                if self.weight_decay != 0:\n                    d = d + self.weight_decay * p\n", "",
     "SGD.step", ["weight_decay=0.1", "step 1", "the weight decay left out"]),
    ("d = d + self.weight_decay * p", "d = d - self.weight_decay * p", "SGD.step", ["the wrong sign"]),
    ("p -= self.lr * d ", "self.params[i] = p - self.lr * d ", "SGD.step",
     ["still holds its old values", "in place"]),
    ("        with tinynn.no_grad():\n            for i, p", "        if True:\n            for i, p", "SGD.step",
     ["RuntimeError", "in-place", "no_grad"]),
    ("                if p.grad is None:\n                    continue\n", "", "SGD.step",
     ["NoneType", "if p.grad is None: continue"]),
    ("            p.grad = None", "            pass", "SGD.zero_grad",
     ["still holds the old gradient", "p.grad = None"]),
    ("        with tinynn.no_grad():\n            for i, p",
     "        tinynn.optim.SGD(self.params, lr=self.lr).step()\n        with tinynn.no_grad():\n            for i, p",
     "SGD.step",
     ["your code called tinynn.optim.SGD"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=11, points=20)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=6)
    assert EXERCISE.forbidden == ["tinynn.optim.SGD"]
    assert EXERCISE.parts == {"sgd": "SGD"}


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")
