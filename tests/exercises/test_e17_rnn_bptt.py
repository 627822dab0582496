"""Exercise 17, the RNN and backpropagation through time: the reference passes every check, the student
file is reported not done, the worked example of the docstring holds, and planted mistakes (no
gradient carried back in time, h_t where h_{t-1} belongs, '=' for '+=', a transposed W_hh, a hidden
state not carried forward, no tanh, autograd instead of the hand-written backward) fail with a
message that names them."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.exercises.source import e17_rnn_bptt as reference

EXERCISE = exercises.find("e17_rnn_bptt")
FUNCTIONS = ["rnn_step", "rnn_forward", "rnn_backward"]

MUTANTS = [
    ("grad_h = grad_hs[t] + grad_h", "grad_h = grad_hs[t]", "rnn_backward",
     ["rnn_backward: grad_xs", "first at index (0, 0, 0): tinynn autograd", "not carried back"]),
    ("h_previous = hs[t - 1] if t > 0 else h0", "h_previous = hs[t]", "rnn_backward",
     ["rnn_backward: grad_weight_hh", "it is grad_a^T h_{t-1}"]),
    ("grad_weight_hh += grad_a.T @ h_previous", "grad_weight_hh = grad_a.T @ h_previous", "rnn_backward",
     ["rnn_backward: grad_weight_hh", "'=' where '+=' belongs"]),
    ("grad_h = grad_a @ weight_hh ", "grad_h = grad_a @ weight_hh.T ", "rnn_backward",
     ["it is grad_a W_hh"]),
    ("h = rnn_step(xs[t], h, ", "h = rnn_step(xs[t], h0, ", "rnn_forward", ["hs:", "the hidden state is not carried"]),
    ("return np.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)",
     "return x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh", "rnn_step", ["h':", "without the tanh"]),
    ("    grad_xs = np.zeros_like(xs)\n",
     "    import tinynn\n    tinynn.tensor(xs, requires_grad=True).sum().backward()\n", "rnn_backward",
     ["your code called tinynn.Tensor.backward"]),
]


def test_the_docstrings_worked_example():
    one, zero = np.ones((1, 1)), np.zeros(1)
    xs = np.array([[[1.0]], [[0.0]]])
    hs = reference.rnn_forward(xs, np.zeros((1, 1)), one, one, zero, zero)
    assert np.allclose(hs.ravel(), [0.761594, 0.642015], atol=1e-6)
    grads = reference.rnn_backward(np.array([[[0.0]], [[1.0]]]), xs, np.zeros((1, 1)), hs, one, one)
    assert np.allclose(grads[0].ravel(), [0.246868, 0.587817], atol=1e-6)


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=13, points=19)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")


def test_a_loss_on_the_last_step_only_catches_a_backward_that_forgets_time(tmp_path):
    """Without the carried gradient, the last-step-only case is where the steps before get nothing."""
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, "grad_h = grad_hs[t] + grad_h", "grad_h = grad_hs[t]"))
    failed = {r.name for r in report.results if r.status == "fail"}
    assert "a loss on the last step only, T 6, against tinynn autograd on the same unrolled RNN" in failed
    assert "one step, against tinynn autograd on the same unrolled RNN" not in failed   # nothing to carry in one step
