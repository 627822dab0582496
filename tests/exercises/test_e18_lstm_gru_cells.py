"""Exercise 18, the LSTM and GRU cells: the reference passes every check, the student file is reported not
done, and planted GRU mistakes (the gates in the order z, r, n, z and 1 - z swapped, no reset gate, the
library's gru_cell) fail with a message that names them. The LSTM's classic mistakes are in test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e18_lstm_gru_cells")

MUTANTS = [
    ("    i_r, i_z, i_n = gi.chunk(3, dim=1)\n    h_r, h_z, h_n = gh.chunk(3, dim=1)\n",
     "    i_z, i_r, i_n = gi.chunk(3, dim=1)\n    h_z, h_r, h_n = gh.chunk(3, dim=1)\n", "gru_cell",
     ["gru_cell: h'", "first at index", "the reset and update gates swapped"]),
    ("    return (1 - z) * n + z * h", "    return z * n + (1 - z) * h", "gru_cell",
     ["z and 1 - z swapped (z keeps the old state)"]),
    ("n = (i_n + r * h_n).tanh()", "n = (i_n + h_n).tanh()", "gru_cell", ["the reset gate r is not applied"]),
    ("    gi = x @ weight_ih.T                                      # (N, 3H): gate order r, z, n\n",
     "    from tinynn.ops.recurrent import gru_cell as library_gru_cell\n"
     "    return library_gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh)\n", "gru_cell",
     ["your code called tinynn.ops.recurrent.gru_cell"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=17, points=25)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=11)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
