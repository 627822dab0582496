"""Exercise 09's comparison with the library: the student's LoRALinear and tinynn.nn.LoRALinear, given the
same weights (weight/bias -> base.weight/base.bias, lora_A, lora_B), must give the same y and merge."""
from __future__ import annotations

import types

import pytest

import tinynn
import tinynn.nn as nn
from tinynn.exercises.checks import e09_lora
from tinynn.exercises.grading import Grader
from tinynn.exercises.source import e09_lora as reference

LIBRARY_CHECKS = ("LoRALinear.forward", "LoRALinear.merged_weight")


def _grade(student_cls) -> list:
    g = Grader(seed=0)
    e09_lora.grade_against_library(g, types.SimpleNamespace(LoRALinear=student_cls))
    assert [r.function for r in g.results] == list(LIBRARY_CHECKS)
    return g.results


def test_reference_solution_agrees_with_the_library():
    results = _grade(reference.LoRALinear)
    assert [r.status for r in results] == ["pass", "pass"], [r.message for r in results]
    assert all("tinynn.nn.LoRALinear" in r.name for r in results)


def test_library_layer_holds_the_students_numbers():
    arrays = {"weight": tinynn.randn(4, 6).double().numpy(), "bias": None,
              "lora_A": tinynn.randn(2, 6).double().numpy(), "lora_B": tinynn.randn(4, 2).double().numpy()}
    library = e09_lora._library_layer(arrays, r=2, alpha=3.0)
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
    results = {r.function: r for r in _grade(student)}
    assert results[failing].status == "fail"
    for word in words:
        assert word in results[failing].message, results[failing].message


def test_a_broken_library_would_be_caught(monkeypatch):
    """The comparison really runs the library: without the scaling in its merge, the check fails."""
    monkeypatch.setattr(nn.LoRALinear, "delta_weight", lambda self: self.lora_B @ self.lora_A)
    results = {r.function: r for r in _grade(reference.LoRALinear)}
    assert results["LoRALinear.merged_weight"].status == "fail"
    assert results["LoRALinear.forward"].status == "pass"
