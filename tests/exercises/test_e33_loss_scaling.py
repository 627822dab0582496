"""Exercise 33, dynamic loss scaling: the reference passes every check, the student file is reported not
done, and planted mistakes (NaN not detected, a loss scaled through .item(), unscale_ that does not change
p.grad, a step taken on inf, unscaling twice, no restart of the count after a backoff, growth one step
late, the library's GradScaler) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e33_loss_scaling")
FUNCTIONS = ["has_inf_or_nan", "DynamicLossScaler.scale_loss", "DynamicLossScaler.unscale_",
             "DynamicLossScaler.step", "DynamicLossScaler.update"]

MUTANTS = [
    ("not bool(tinynn.isfinite(t).all())", "bool(tinynn.isinf(t).any())", "has_inf_or_nan",
     ["has_inf_or_nan on a NaN: got False, expected True"]),
    ("        return loss * self.scale", "        return tinynn.tensor(loss.item() * self.scale)",
     "DynamicLossScaler.scale_loss", ["not connected to the autograd graph", "without .item()"]),
    ("            grad.mul_(1.0 / self.scale)", "            grad = grad / self.scale", "DynamicLossScaler.unscale_",
     ["gradient 0 after unscale_", "the gradient still scaled"]),
    ("        if self.found_inf:\n            return False\n", "", "DynamicLossScaler.step",
     ["an inf gradient", "step returned True, expected False (the step must be skipped)"]),
    ("        if not self.unscaled:\n            self.unscale_(optimizer)", "        self.unscale_(optimizer)",
     "DynamicLossScaler.step", ["unscale_ called first", "divided by the scale twice"]),
    ("            self.scale *= self.backoff_factor\n            self.good_steps = 0",
     "            self.scale *= self.backoff_factor", "DynamicLossScaler.update",
     ["backoff restarts the count", "yours [8.0, 4.0, 8.0,", "expected [8.0, 4.0, 4.0,",
      "first differs after step 3 (clean)"]),
    ("            if self.good_steps == self.growth_interval:",
     "            if self.good_steps > self.growth_interval:",
     "DynamicLossScaler.update", ["the docstring's example", "expected [8.0, 16.0, 8.0, 8.0, 16.0, 16.0]"]),
    ("        return loss * self.scale",
     "        return tinynn.amp.GradScaler('cpu', init_scale=self.scale).scale(loss)",
     "DynamicLossScaler.scale_loss", ["your code called tinynn.amp.GradScaler"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=19, points=24, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)


def test_the_training_run_catches_a_step_on_inf(tmp_path):
    """Next to GradScaler over 12 steps: a scaler that steps on inf ruins the weights at the injected step."""
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, "        if self.found_inf:\n            return False\n", ""))
    run = [r for r in report.results if r.name.startswith("12 SGD steps")]
    assert run and run[0].status == "fail"
    assert "after step 4 (an inf): weight" in run[0].message and "with GradScaler" in run[0].message
