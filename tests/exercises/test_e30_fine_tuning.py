"""Exercise 30, fine-tuning: the reference passes every check, the student file is reported not done, and
planted mistakes (counting tensors, startswith without the dot, never unfreezing, a float32 head in a
float64 model, a dotted name set on the model, frozen parameters in a group, one group for everything)
fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e30_fine_tuning")
FUNCTIONS = ["count_parameters", "freeze_except", "replace_head", "parameter_groups"]

MUTANTS = [
    ("    total = sum(p.numel() for p in model.parameters())", "    total = sum(1 for p in model.parameters())",
     "count_parameters", ["total = 12, expected 189", "the number of parameter tensors", "p.numel()"]),
    ("        parameter.requires_grad = any(_belongs_to(name, module) for module in trainable)",
     "        parameter.requires_grad = any(name.startswith(module) for module in trainable)", "freeze_except",
     ["['head']", "should be frozen: head_norm.weight, head_norm.bias", "equals m or starts with m + '.'"]),
    ("        parameter.requires_grad = any(_belongs_to(name, module) for module in trainable)",
     "        if not any(_belongs_to(name, module) for module in trainable):\n"
     "            parameter.requires_grad = False", "freeze_except",
     ["after freeze_except(model, ['embed'])", "frozen (requires_grad False) but should be trainable: head.weight"]),
    ("                    dtype=old.weight.dtype, device=old.weight.device)", "                    )", "replace_head",
     ["the new head is float32, the model float64", "dtype=old.weight.dtype"]),
    ("    setattr(parent, last, new)", "    setattr(model, name, new)", "replace_head",
     ["'blocks.4'", "model.blocks.4 is not the Linear you returned", "setattr on the parent"]),
    ("        if not parameter.requires_grad:\n            continue\n", "", "parameter_groups",
     ["after freeze_except(model, ['blocks.4', 'head'])",
      "frozen parameters (requires_grad False) belong in no group"]),
    ("    groups = {module: [] for module in lrs}",
     "    return [{'params': [p for p in model.parameters() if p.requires_grad], 'lr': default_lr}]",
     "parameter_groups",
     ["your groups (names, lr)", "one group per entry of lrs"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=20, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)


def test_a_group_with_the_wrong_learning_rate_moves_its_parameters_wrongly(tmp_path):
    """The whole fine-tuning step: swapped learning rates are caught by the parameters' values after SGD."""
    path = mutant(EXERCISE, tmp_path, '    result = [{"params": params, "lr": lrs[module]}',
                  '    result = [{"params": params, "lr": lrs[module] * 2}')
    report = grade(EXERCISE, path)
    step = [r for r in report.results if "2 steps of SGD" in r.name]
    assert step and step[0].status == "fail" and "after the steps: blocks.4.weight" in step[0].message
