"""Exercise 28, the linear scan: the reference passes every check, the student file is reported not done,
and planted mistakes (a round that reads the already-updated A, a scan that loops over time or runs a round too many, a
backward without the gradient flowing back in time, the wrong state in dL/da, h0 without a_0, the
library's linear_scan) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e28_linear_scan")
FUNCTIONS = ["scan_sequential", "scan_round", "scan_parallel", "scan_backward"]

MUTANTS = [
    ("    new_b[:, offset:] = a[:, offset:] * b[:, :-offset] + b[:, offset:]\n"
     "    new_a[:, offset:] = a[:, offset:] * a[:, :-offset]\n",
     "    new_a[:, offset:] = a[:, offset:] * a[:, :-offset]\n"
     "    new_b[:, offset:] = new_a[:, offset:] * b[:, :-offset] + b[:, offset:]\n",
     "scan_round", ["B:", "first at index", "B computed with A already updated in this round"]),
    ("    offset = 1\n", "    return scan_sequential(a, b)\n", "scan_parallel",
     ["called scan_round 0 times with offsets [] for T = 8", "ceil(log2 T) = 3 rounds", "never loop over t"]),
    ("    while offset < b.shape[1]:", "    while offset <= b.shape[1]:", "scan_parallel",
     ["called scan_round 4 times with offsets [1, 2, 4, 8] for T = 8", "stop once it reaches T"]),
    ("        b[:, 0] = b[:, 0] + a[:, 0] * h0", "        b[:, 0] = b[:, 0] + h0", "scan_parallel",
     ["h (against the loop)", "h0 added to b_0 without the factor a_0"]),
    ("    g = scan_parallel(a_next[:, ::-1], grad_h[:, ::-1])[:, ::-1]", "    g = grad_h", "scan_backward",
     ["gradient of b", "numeric (finite differences)", "the gradient flowing back through h_{t+1} is missing"]),
    ("    a_next[:, :-1] = a[:, 1:]", "    a_next[:, :] = a", "scan_backward",
     ["gradient of b", "the coefficient must be a_{t+1}"]),
    ("np.ascontiguousarray(g * h_prev)", "np.ascontiguousarray(g * h)", "scan_backward",
     ["gradient of a", "dL/da_t needs the previous state h_{t-1}"]),
    ("    h = np.empty_like(b)\n",
     "    import tinynn\n    return tinynn.nn.linear_scan(tinynn.tensor(a), tinynn.tensor(b)).numpy()\n",
     "scan_sequential", ["your code called tinynn.nn.linear_scan", "exercise 28"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=23, points=33, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")


def test_a_round_that_changes_its_inputs_is_named(tmp_path):
    path = mutant(EXERCISE, tmp_path, "    new_a, new_b = a.copy(), b.copy()\n", "    new_a, new_b = a, b\n")
    report = grade(EXERCISE, path)
    failed = [r for r in report.results if r.function == "scan_round" and r.status == "fail"]
    assert failed and "scan_round changed its input" in failed[0].message
