"""Exercise 27, DDPM: the reference passes every check, the student file is reported not done, and
planted mistakes (no clip in the cosine schedule, a float32 schedule, a cumulative sum for the product,
the variance where the standard deviation belongs, alpha_bar_t where alpha_t belongs, noise added at the
last step, the loss against x0) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e27_ddpm")
FUNCTIONS = ["linear_beta_schedule", "cosine_beta_schedule", "alpha_bars", "q_sample", "ddpm_loss", "reverse_mean",
             "reverse_step"]

MUTANTS = [
    ("return (1 - f[1:] / f[:-1]).clamp(max=max_beta)", "return 1 - f[1:] / f[:-1]", "cosine_beta_schedule",
     ["max_beta = 0.2", "betas:", "without the clip at max_beta"]),
    ("return tinynn.linspace(beta_start, beta_end, num_steps, dtype=tinynn.float64)",
     "return tinynn.linspace(beta_start, beta_end, num_steps)", "linear_beta_schedule",
     ["dtype float32 but expected float64", "dtype=tinynn.float64"]),
    ("return (1 - betas).cumprod(dim=0)", "return (1 - betas).cumsum(dim=0)", "alpha_bars",
     ["alpha_bar:", "the cumulative sum of the alphas"]),
    ("return abar.sqrt() * x0 + (1 - abar).sqrt() * noise", "return abar.sqrt() * x0 + (1 - abar) * noise",
     "q_sample", ["x_t:", "first at index", "the variance 1 - abar, where its square root belongs"]),
    ("abar = alpha_bar[t].reshape(-1, *([1] * (x0.ndim - 1)))", "abar = alpha_bar[t]", "q_sample",
     ["q_sample raised RuntimeError", "do not broadcast", "line"]),
    ("return (x_t - beta / (1 - abar).sqrt() * eps) / (1 - beta).sqrt()",
     "return (x_t - beta / (1 - abar).sqrt() * eps) / abar.sqrt()", "reverse_mean",
     ["mu:", "divided by sqrt(alpha_bar_t) where sqrt(alpha_t) belongs"]),
    ("    if t == 0:\n        return mean\n", "", "reverse_step",
     ["the last step adds no noise", "noise added at t = 0", "alpha_bar[-1]"]),
    ("return ((model(x_t, t) - noise) ** 2).mean()", "return ((model(x_t, t) - x0) ** 2).mean()", "ddpm_loss",
     ["L:", "compared with x0 instead of the noise"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=27, points=38)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all", with_name=True)
