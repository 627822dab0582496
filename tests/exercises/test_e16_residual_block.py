"""Exercise 16, the residual block: the reference passes every check, the student file is reported not
done, and planted mistakes (the relu before the addition, no skip, a detached skip, no projection, a
projection without batch norm, a biased or wrongly strided convolution) fail with a message that
names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e16_residual_block")
FUNCTIONS = ["ResidualBlock.__init__", "ResidualBlock.forward"]

RESULT = "return (correction + self.shortcut(x)).relu()"
MUTANTS = [
    (RESULT, "return correction.relu() + self.shortcut(x)", "ResidualBlock.forward",
     ["y (training mode)", "the relu goes after the addition"]),
    (RESULT, "return correction.relu()", "ResidualBlock.forward", ["the skip connection is missing"]),
    ("self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)",
     "self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)", "ResidualBlock.__init__",
     ["conv1 has a bias", "bias=False"]),
    ("if stride == 1 and in_channels == out_channels:", "if True:", "ResidualBlock.__init__",
     ["shortcut: Identity", "must be a projection"]),
    ("self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),\n"
     "                                          nn.BatchNorm2d(out_channels))",
     "self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)", "ResidualBlock.__init__",
     ["0 batch norm(s)", "nn.Sequential(nn.Conv2d(in, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))"]),
    ("self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)",
     "self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)", "ResidualBlock.__init__",
     ["conv1: stride (1, 1) but expected (2, 2)"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=14, points=24)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")


@pytest.mark.parametrize("new", ["return correction.relu()", "return (correction + self.shortcut(x).detach()).relu()"])
def test_a_skip_that_carries_no_gradient_fails_the_skip_check(tmp_path, new):
    """A missing skip, and a detached one (right values, no gradient), both fail where F(x) is constant."""
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, RESULT, new))
    skip = [r for r in report.results if "the gradient flows through the skip" in r.name]
    assert [r.status for r in skip] == ["fail", "fail"]    # identity and projection shortcuts
    for result in skip:
        assert "no gradient reaches x through the skip connection" in result.message, result.message
