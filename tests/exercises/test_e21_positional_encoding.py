"""Exercise 21, positional encodings: the reference passes every check, the student file is reported
not done, and planted mistakes (sin and cos not interleaved, an odd d_model not trimmed, positions
from 1, a float64 table, a detached or badly initialised learned weight) fail with a message that
names them."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.exercises.checks.e21_positional_encoding import _table
from tinynn.exercises.source.e21_positional_encoding import sinusoidal_encoding

EXERCISE = exercises.find("e21_positional_encoding")
FUNCTIONS = ["sinusoidal_encoding", "LearnedPositionalEncoding.__init__", "LearnedPositionalEncoding.forward"]

TABLE = """    table = tinynn.zeros(length, d_model)
    table[:, 0::2] = angles.sin()
    table[:, 1::2] = angles[:, : d_model // 2].cos()                 # odd d: the last sine has no cosine
"""
MUTANTS = [
    (TABLE, "    table = tinynn.cat([angles.sin(), angles[:, : d_model // 2].cos()], dim=1)\n", "sinusoidal_encoding",
     ["PE:", "the formula 1, got 0", "all the sines first, then all the cosines"]),
    (TABLE, "    table = tinynn.stack([angles.sin(), angles.cos()], dim=-1).reshape(length, -1)\n",
     "sinusoidal_encoding", ["shape (6, 6) but expected (6, 5)", "the last sine has no cosine partner"]),
    ("table[:, 0::2] = angles.sin()\n    table[:, 1::2] = angles[:, : d_model // 2].cos()",
     "table[:, 0::2] = angles.cos()\n    table[:, 1::2] = angles[:, : d_model // 2].sin()", "sinusoidal_encoding",
     ["cos in the even columns and sin in the odd ones"]),
    ("position = tinynn.arange(length).float()", "position = tinynn.arange(1, length + 1).float()",
     "sinusoidal_encoding", ["positions counted from 1"]),
    ("table = tinynn.zeros(length, d_model)", "table = tinynn.zeros(length, d_model, dtype=tinynn.float64)",
     "sinusoidal_encoding", ["dtype float64 but expected float32", ".float()"]),
    ("return x + self.weight[:length]", "return x + self.weight[:length].detach()", "LearnedPositionalEncoding.forward",
     ["gradient of weight", "none was computed"]),
    ("tinynn.randn(max_length, d_model) * 0.02", "tinynn.randn(max_length, d_model)",
     "LearnedPositionalEncoding.__init__", ["std 0.99", "expected mean 0 and std 0.02"]),
    ("        if length > self.max_length:\n", "        if False:\n", "LearnedPositionalEncoding.forward",
     ["max_length 8: LearnedPositionalEncoding.forward raised RuntimeError", "expected a ValueError"]),
]


def test_the_checks_formula_is_the_papers():
    """PE[1] for d = 4 by hand: [sin 1, cos 1, sin 0.01, cos 0.01]; the odd d = 5 ends with a sine."""
    assert np.allclose(_table(2, 4)[1], [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)])
    assert np.allclose(_table(2, 5)[1, 4], np.sin(1 / 10000 ** (4 / 5)))
    assert np.allclose(sinusoidal_encoding(3, 5).numpy(), _table(3, 5), atol=1e-6)


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=12, points=14)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")
