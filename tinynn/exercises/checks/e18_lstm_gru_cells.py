"""Checks for exercise 18, the LSTM and GRU cells: h' (and c') on several shapes, known gate mix-ups, gradients of
every input against finite differences, and the library's functional cells."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.ops.recurrent import gru_cell as library_gru_cell
from tinynn.ops.recurrent import lstm_cell as library_lstm_cell
from ..grading import Grader, numeric_gradient, on_arrays

# (N, in, H, biases): a batch of one with one unit, no biases
CASES = [(3, 4, 5, True), (1, 1, 1, True), (2, 3, 2, False), (4, 2, 3, True)]
LSTM_NAMES = ["x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
GRU_NAMES = ["x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"]


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


LSTM_MISTAKES = {"swap i f": "the forget and input gates swapped (the order is i, f, g, o)",
                 "ifog": "the gate order i, f, o, g (PyTorch's is i, f, g, o)",
                 "sigmoid g": "a sigmoid for the candidate g (it is tanh)",
                 "no tanh": "h' = o * c' (h' = o * tanh(c'))"}


def _numpy_gru(x, h, w_ih, w_hh, b_ih, b_hh, mistake: str = ""):
    """The GRU step in NumPy, optionally with a known mistake, for the hints."""
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    if mistake == "zrn":
        i_r, i_z, h_r, h_z = i_z, i_r, h_z, h_r
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    if mistake == "bias outside r" and b_hh is not None:
        hidden = h.shape[1]
        n = np.tanh(i_n + r * (h_n - b_hh[2 * hidden:]) + b_hh[2 * hidden:])
    elif mistake == "no reset":
        n = np.tanh(i_n + h_n)
    else:
        n = np.tanh(i_n + r * h_n)
    if mistake == "z swapped":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


GRU_MISTAKES = {"zrn": "the reset and update gates swapped (the order is r, z, n)",
                "bias outside r": "r * (h W_hn^T) + b_hn: the bias b_hn left outside the reset gate (r multiplies "
                                  "h W_hn^T + b_hn)",
                "no reset": "n = tanh(i_n + h_n): the reset gate r is not applied",
                "z swapped": "h' = z * n + (1 - z) * h: z and 1 - z swapped (z keeps the old state)"}


def _inputs(g: Grader, n, n_in, hidden, gates: int, has_bias: bool, with_c: bool) -> list:
    arrays = [g.randn(n, n_in), g.randn(n, hidden)] + ([g.randn(n, hidden)] if with_c else [])
    arrays += [0.5 * g.randn(gates * hidden, n_in), 0.5 * g.randn(gates * hidden, hidden)]
    arrays += [g.randn(gates * hidden), g.randn(gates * hidden)] if has_bias else [None, None]
    return arrays


def _tensors(arrays, requires_grad=False):
    return [None if a is None else tinynn.tensor(a, requires_grad=requires_grad) for a in arrays]


def grade(g: Grader, student, reference) -> None:
    grade_lstm(g, student, reference)
    grade_gru(g, student, reference)


def grade_lstm(g: Grader, student, reference) -> None:
    for n, n_in, hidden, has_bias in CASES:
        arrays = _inputs(g, n, n_in, hidden, 4, has_bias, with_c=True)
        case = f"N={n}, in={n_in}, H={hidden}" + ("" if has_bias else ", no biases")
        used = [a for a in arrays if a is not None]
        names = LSTM_NAMES[:len(used)]

        with g.check(case, "lstm_cell"):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in used]
            got = g.call(student.lstm_cell, *tensors)
            expected = reference.lstm_cell(*[tinynn.tensor(a) for a in used])
            mistakes = [{text: _numpy_lstm(*arrays, m)[k] for m, text in LSTM_MISTAKES.items()} for k in (0, 1)]
            g.expect_values("lstm_cell", ["h'", "c'"], got, expected, mistakes=mistakes)
            x, h, c, w_ih, w_hh, b_ih, b_hh = _tensors(arrays)
            g.expect_values("lstm_cell against the library", ["h'", "c'"], got,
                            library_lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh), expected_label="tinynn's lstm_cell")

        upstreams = (g.randn(n, hidden), g.randn(n, hidden))
        with g.check(case + ": gradients of every input against finite differences", "lstm_cell", points=2):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in used]
            got = g.call(student.lstm_cell, *tensors)
            g.expect_count("lstm_cell", ["h'", "c'"], got)
            grads = g.autograd_gradients("lstm_cell", got, tensors, list(upstreams))
            forward = on_arrays(reference.lstm_cell)
            for i, name in enumerate(names):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, used, i, upstreams))


def grade_gru(g: Grader, student, reference) -> None:
    for n, n_in, hidden, has_bias in CASES:
        arrays = _inputs(g, n, n_in, hidden, 3, has_bias, with_c=False)
        case = f"GRU: N={n}, in={n_in}, H={hidden}" + ("" if has_bias else ", no biases")
        used = [a for a in arrays if a is not None]
        names = GRU_NAMES[:len(used)]

        with g.check(case, "gru_cell"):
            got = g.call(student.gru_cell, *[tinynn.tensor(a, requires_grad=True) for a in used])
            g.expect("gru_cell: h'", got, reference.gru_cell(*[tinynn.tensor(a) for a in used]),
                     mistakes={text: _numpy_gru(*arrays, m) for m, text in GRU_MISTAKES.items()})
            g.expect("gru_cell against the library: h'", got, library_gru_cell(*_tensors(arrays)),
                     expected_label="tinynn's gru_cell")

        upstream = g.randn(n, hidden)
        with g.check(case + ": gradients of every input against finite differences", "gru_cell", points=2):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in used]
            got = g.call(student.gru_cell, *tensors)
            grads = g.autograd_gradients("gru_cell", got, tensors, [upstream])
            forward = on_arrays(reference.gru_cell)
            for i, name in enumerate(names):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, used, i, upstream))

    h = g.randn(2, 3)
    x, w_ih, w_hh, b_ih, b_hh = g.randn(2, 4), g.randn(9, 4), g.randn(9, 3), g.randn(9), g.randn(9)
    b_ih[3:6] = 50.0   # z = sigmoid(50) = 1 to float64 precision: the cell keeps its state
    with g.check("GRU: an update gate z of 1 keeps the old state (h' = h)", "gru_cell"):
        got = g.call(student.gru_cell, *_tensors([x, h, w_ih, w_hh, b_ih, b_hh]))
        g.expect("gru_cell: h' with z = 1", got, tinynn.tensor(h), rtol=1e-9, atol=1e-12,
                 mistakes={GRU_MISTAKES["z swapped"]: _numpy_gru(x, h, w_ih, w_hh, b_ih, b_hh, "z swapped")})
