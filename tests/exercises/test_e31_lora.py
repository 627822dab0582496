"""Exercise 31's comparison with the library: the student's LoRALinear and tinynn.nn.LoRALinear, given the
same weights (weight/bias -> base.weight/base.bias, lora_A, lora_B), must give the same y and merge."""
from __future__ import annotations

import types

import pytest

import tinynn
import tinynn.exercises as exercises
import tinynn.nn as nn
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.exercises.checks import e31_lora
from tinynn.exercises.grading import Grader
from tinynn.exercises.source import e31_lora as reference

EXERCISE = exercises.find("e31_lora")

MUTANTS = [
    ("self.lora_B = nn.Parameter(tinynn.zeros(out_features, r))",
     "self.lora_B = nn.Parameter(tinynn.randn(out_features, r))", "LoRALinear.__init__", ["lora_B is not all zeros", "starts as the pretrained Linear"]),
    ("        self.r, self.alpha = r, alpha\n",
     "        self.r, self.alpha = r, alpha\n"
     "        self.library = nn.LoRALinear(nn.Linear(in_features, out_features), r=r)\n",
     "LoRALinear.__init__", ["your code called tinynn.nn.LoRALinear"]),
]
LIBRARY_CHECKS = ("LoRALinear.forward", "LoRALinear.merged_weight")


def _compare_with_library(student_cls) -> list:
    g = Grader(seed=0)
    e31_lora.grade_against_library(g, types.SimpleNamespace(LoRALinear=student_cls))
    assert [r.function for r in g.results] == list(LIBRARY_CHECKS)
    return g.results


def test_reference_solution_agrees_with_the_library():
    results = _compare_with_library(reference.LoRALinear)
    assert [r.status for r in results] == ["pass", "pass"], [r.message for r in results]
    assert all("tinynn.nn.LoRALinear" in r.name for r in results)


def test_library_layer_holds_the_students_numbers():
    arrays = {"weight": tinynn.randn(4, 6).double().numpy(), "bias": None,
              "lora_A": tinynn.randn(2, 6).double().numpy(), "lora_B": tinynn.randn(4, 2).double().numpy()}
    library = e31_lora._library_layer(arrays, r=2, alpha=3.0)
    assert library.base.bias is None and library.scaling == 1.5
    assert (library.base.weight.numpy() == arrays["weight"]).all()
    assert (library.lora_B.detach().numpy() == arrays["lora_B"]).all()


class _OffByScaling(reference.LoRALinear):
    """Right everywhere except merged_weight, which forgets alpha / r."""

    def merged_weight(self):
        return self.weight + self.lora_B @ self.lora_A


class _ShiftedOutput(reference.LoRALinear):
    def forward(self, x):
        return super().forward(x) + 1e-3


@pytest.mark.parametrize("student, failing, words", [
    (_OffByScaling, "LoRALinear.merged_weight", ["merged weight, yours against tinynn.nn.LoRALinear.merge()"]),
    (_ShiftedOutput, "LoRALinear.forward", ["y, yours against tinynn.nn.LoRALinear's", "tinynn.nn.LoRALinear"]),
])
def test_a_difference_from_the_library_is_named(student, failing, words):
    results = {r.function: r for r in _compare_with_library(student)}
    assert results[failing].status == "fail"
    for word in words:
        assert word in results[failing].message, results[failing].message


def test_a_broken_library_would_be_caught(monkeypatch):
    """The comparison really runs the library: without the scaling in its merge, the check fails."""
    monkeypatch.setattr(nn.LoRALinear, "delta_weight", lambda self: self.lora_B @ self.lora_A)
    results = {r.function: r for r in _compare_with_library(reference.LoRALinear)}
    assert results["LoRALinear.merged_weight"].status == "fail"
    assert results["LoRALinear.forward"].status == "pass"


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=18)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=20)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
