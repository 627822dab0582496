"""Exercise 26, GAN losses: the reference passes every check, the student file is reported not done, and
planted mistakes (log(sigmoid(z)) computed directly, the fakes labelled 1, the smoothing applied to the
fakes, the saturating loss for the non-saturating one, a sum for a mean, the library's logsigmoid) fail
with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e26_gan_losses")
FUNCTIONS = ["log_sigmoid", "discriminator_loss", "generator_loss_saturating", "generator_loss_non_saturating"]

MUTANTS = [
    ("return z.clamp(max=0.0) - (-z.abs()).exp().log1p()", "return (1.0 / (1.0 + (-z).exp())).log()", "log_sigmoid",
     ["extreme z", "log sigmoid(z):", "expected -1000, got -inf", "log(sigmoid(z)) computed directly"]),
    ("fake_term = -log_sigmoid(-fake_logits).mean()", "fake_term = -log_sigmoid(fake_logits).mean()",
     "discriminator_loss", ["L_D:", "the fakes labelled 1"]),
    ("fake_term = -log_sigmoid(-fake_logits).mean()",
     "fake_term = -((1.0 - y) * log_sigmoid(fake_logits) + y * log_sigmoid(-fake_logits)).mean()",
     "discriminator_loss", ["label smoothing", "the fakes smoothed too"]),
    ("    return -log_sigmoid(fake_logits).mean()", "    return log_sigmoid(-fake_logits).mean()",
     "generator_loss_non_saturating", ["L_G = mean -log sigmoid(f)", "the other generator loss, log sigmoid(-f)"]),
    ("    return log_sigmoid(-fake_logits).mean()", "    return log_sigmoid(-fake_logits).sum()",
     "generator_loss_saturating", ["L_G = mean log sigmoid(-f)", "a sum instead of the mean"]),
    ("return z.clamp(max=0.0) - (-z.abs()).exp().log1p()", "return tinynn.nn.functional.logsigmoid(z)",
     "log_sigmoid", ["your code called tinynn.nn.functional.logsigmoid"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=33, points=41)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all", with_name=True)
