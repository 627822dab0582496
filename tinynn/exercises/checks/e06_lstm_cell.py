"""Checks for exercise 06, the LSTM cell: h' and c' on several shapes, known gate mix-ups, gradients."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.ops.recurrent import lstm_cell as library_lstm_cell
from ..grading import Grader, numeric_gradient, on_arrays

# (N, in, H, biases): a batch of one with one unit, no biases
CASES = [(3, 4, 5, True), (1, 1, 1, True), (2, 3, 2, False), (4, 2, 3, True)]
NAMES = ["x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _numpy_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh, mistake: str = ""):
    """The LSTM step in NumPy, optionally with a known mistake, for the hints."""
    gates = x @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih) + (0 if b_hh is None else b_hh)
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    if mistake == "swap i f":
        a_i, a_f = a_f, a_i
    if mistake == "ifog":
        a_g, a_o = a_o, a_g
    i, f, o = _sigmoid(a_i), _sigmoid(a_f), _sigmoid(a_o)
    g = _sigmoid(a_g) if mistake == "sigmoid g" else np.tanh(a_g)
    c_next = f * c + i * g
    h_next = o * (c_next if mistake == "no tanh" else np.tanh(c_next))
    return h_next, c_next


MISTAKES = {"swap i f": "the forget and input gates swapped (the order is i, f, g, o)",
            "ifog": "the gate order i, f, o, g (PyTorch's is i, f, g, o)",
            "sigmoid g": "a sigmoid for the candidate g (it is tanh)",
            "no tanh": "h' = o * c' (h' = o * tanh(c'))"}


def grade(g: Grader, student, reference) -> None:
    for n, n_in, hidden, has_bias in CASES:
        arrays = [g.randn(n, n_in), g.randn(n, hidden), g.randn(n, hidden), 0.5 * g.randn(4 * hidden, n_in),
                  0.5 * g.randn(4 * hidden, hidden)]
        arrays += [g.randn(4 * hidden), g.randn(4 * hidden)] if has_bias else [None, None]
        case = f"N={n}, in={n_in}, H={hidden}" + ("" if has_bias else ", no biases")
        used = [a for a in arrays if a is not None]
        names = NAMES[:len(used)]

        with g.check(case, "lstm_cell"):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in used]
            got = g.call(student.lstm_cell, *tensors)
            expected = reference.lstm_cell(*[tinynn.tensor(a) for a in used])
            mistakes = [{text: _numpy_lstm(*arrays, mistake)[k] for mistake, text in MISTAKES.items()} for k in (0, 1)]
            g.expect_values("lstm_cell", ["h'", "c'"], got, expected, mistakes=mistakes)
            x, h, c, w_ih, w_hh, b_ih, b_hh = (None if a is None else tinynn.tensor(a) for a in arrays)
            g.expect_values("lstm_cell against the library", ["h'", "c'"], got,
                            library_lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh), expected_label="tinynn's lstm_cell")

        upstreams = (g.randn(n, hidden), g.randn(n, hidden))
        with g.check(case + ": gradients of every input against finite differences", "lstm_cell"):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in used]
            got = g.call(student.lstm_cell, *tensors)
            g.expect_count("lstm_cell", ["h'", "c'"], got)
            grads = g.autograd_gradients("lstm_cell", got, tensors, list(upstreams))
            forward = on_arrays(reference.lstm_cell)
            for i, name in enumerate(names):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, used, i, upstreams))
