"""Exercise 11, weight initialisation: the reference passes every check, the student file is reported not
done, and planted mistakes (swapped fans, the kernel size left out, `param or 0.01`, the std used as the
uniform bound, uniform numbers for a normal, the generator ignored, a new tensor instead of filling in
place, filling outside no_grad, the library's own initialiser) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e11_weight_init")
FUNCTIONS = ["calculate_fan_in_and_fan_out", "calculate_gain", "xavier_uniform_", "kaiming_uniform_", "kaiming_normal_"]

NORMAL = "        t.normal_(0.0, std, generator=generator)\n"
MUTANTS = [
    ("return t.shape[1] * receptive_field, t.shape[0] * receptive_field",
     "return t.shape[0] * receptive_field, t.shape[1] * receptive_field", "calculate_fan_in_and_fan_out",
     ["shape (3, 5)", "got (3, 5), expected (5, 3)", "fan_in and fan_out swapped"]),
    ("        receptive_field *= size\n", "        pass\n", "calculate_fan_in_and_fan_out",
     ["shape (4, 2, 3, 3)", "got (2, 4), expected (18, 36)",
      "the receptive field (the kernel's 9 positions) left out"]),
    ("slope = 0.01 if param is None else param", "slope = param or 0.01", "calculate_gain",
     ["calculate_gain('leaky_relu', 0)", "`param or 0.01` treats 0 as missing"]),
    ("bound = gain * math.sqrt(6.0 / (fan_in + fan_out))", "bound = gain * math.sqrt(2.0 / (fan_in + fan_out))",
     "xavier_uniform_", ["shape (256, 512)", "the values reach only", "your std equals the bound b = gain * sqrt(2 / "
                         "(fan_in + fan_out)), the std itself"]),
    ("bound = math.sqrt(3.0) * std ", "bound = std ", "kaiming_uniform_",
     ["the values reach only", "the bound b = gain / sqrt(fan), the std itself"]),
    ("fan = fan_in if mode == \"fan_in\" else fan_out\n    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)\n"
     "    with tinynn.no_grad():\n        t.normal_",
     "fan = fan_in\n    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)\n"
     "    with tinynn.no_grad():\n        t.normal_",
     "kaiming_normal_", ["mode='fan_out'", "the std of the 18432 values", "your std equals the other fan (fan_in)"]),
    (NORMAL, "        t.uniform_(-std, std, generator=generator)\n", "kaiming_normal_",
     ["no value beyond 3 std", "do not look normal"]),
    (NORMAL, "        t.normal_(0.0, std)\n", "kaiming_normal_",
     ["two tensors filled with generators seeded alike differ", "generator argument"]),
    (NORMAL + "    return t", "        t = tinynn.randn(*t.shape, generator=generator) * std\n    return t",
     "kaiming_normal_", ["returned another object", "fill t in place"]),
    ("    with tinynn.no_grad():\n" + NORMAL, "    if True:\n" + NORMAL, "kaiming_normal_",
     ["in-place", "no_grad"]),
    ("    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))\n",
     "    return tinynn.nn.init.xavier_uniform_(t, gain, generator)\n", "xavier_uniform_",
     ["your code called tinynn.nn.init.xavier_uniform_"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=19, points=25)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=7)
    assert "tinynn.nn.init.kaiming_normal_" in EXERCISE.forbidden
    assert EXERCISE.parts == {"init": FUNCTIONS}


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")
