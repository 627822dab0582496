"""Checks for exercise 17, the RNN: one step and the unrolled forward against tinynn's RNN, and the
hand-written backpropagation through time against tinynn's autograd and finite differences."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
import tinynn.ops.recurrent as recurrent
from ..grading import Grader, numeric_gradient

GRADIENTS = ["grad_xs", "grad_h0", "grad_weight_ih", "grad_weight_hh", "grad_bias_ih", "grad_bias_hh"]


def _weights(g: Grader, i: int, h: int) -> list:
    """W_ih (H, I), W_hh (H, H), b_ih, b_hh (H,), scaled so that the tanh stays out of saturation."""
    return [g.randn(h, i) / np.sqrt(i), g.randn(h, h) / np.sqrt(h), g.randn(h) * 0.5, g.randn(h) * 0.5]


def _step(x, h, w_ih, w_hh, b_ih, b_hh, mistake: str = ""):
    if mistake == "W not transposed":
        return np.tanh(x @ w_ih + b_ih + h @ w_hh + b_hh)
    a = x @ w_ih.T + b_ih + h @ w_hh.T + (0 if mistake == "one bias" else b_hh)
    return a if mistake == "no tanh" else np.tanh(a)


STEP_MISTAKES = {"no tanh": "the pre-activation without the tanh", "one bias": "b_hh left out (both biases are added)",
                 "W not transposed": "x W_ih + h W_hh; the step uses x W_ih^T + h W_hh^T"}


def _forward(xs, h0, weights, mistake: str = ""):
    hs, h = [], h0
    for t in range(len(xs)):
        start = h0 if mistake == "not carried" else h
        h_new = _step(xs[t], start, *weights)
        hs.append(h if mistake == "shifted" else h_new)
        h = h_new
    return np.stack(hs) if hs else np.zeros((0,) + h0.shape)


FORWARD_MISTAKES = {"shifted": "hs shifted by one step: hs[t] holds h_{t-1} (and hs[0] is h0)",
                    "not carried": "every step started from h0: the hidden state is not carried"}


def _bptt(grad_hs, xs, h0, hs, w_ih, w_hh, mistake: str = ""):
    """Backpropagation through time in NumPy, optionally with a known mistake, for the hints."""
    grads = [np.zeros_like(xs), None, np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros(len(w_hh))]
    grad_h = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        previous = hs[t] if mistake == "h_t for W_hh" else (hs[t - 1] if t > 0 else h0)
        grad_h = grad_hs[t] + (0 if mistake == "no carry" else grad_h)
        grad_a = grad_h if mistake == "no tanh'" else grad_h * (1 - hs[t] ** 2)
        grads[0][t] = grad_a @ w_ih
        keep = 0 if mistake == "no accumulate" else 1   # 0: each step overwrites the sum
        grads[2] = keep * grads[2] + grad_a.T @ xs[t]
        grads[3] = keep * grads[3] + grad_a.T @ previous
        grads[4] = keep * grads[4] + grad_a.sum(0)
        carried = grad_h if mistake == "carry skips tanh" else grad_a
        grad_h = carried @ (w_hh.T if mistake == "W_hh transposed" else w_hh)
    return grads[0], grad_h, grads[2], grads[3], grads[4], grads[4]


BPTT_MISTAKES = {"no carry": "the gradient from step t + 1 not carried back: each step sees only its own grad_hs[t]",
                 "h_t for W_hh": "dL/dW_hh summing grad_a^T h_t; it is grad_a^T h_{t-1} (h0 at t = 0)",
                 "no tanh'": "the tanh's derivative (1 - h_t^2) left out",
                 "carry skips tanh": "grad_h W_hh carried back; it is grad_a W_hh (after the tanh's derivative)",
                 "W_hh transposed": "grad_a W_hh^T carried back; it is grad_a W_hh",
                 "no accumulate": "only the term of step 0 ('=' where '+=' belongs): the weights are used at every "
                                  "step, so their gradients sum over the steps"}


def _autograd(grad_hs, xs, h0, weights) -> tuple:
    """The same unrolled computation in tinynn Tensors, differentiated by autograd."""
    leaves = [tinynn.tensor(a, requires_grad=True) for a in [xs, h0] + weights]
    x, h, w_ih, w_hh, b_ih, b_hh = leaves
    hs = []
    for t in range(len(xs)):
        h = (x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).tanh()
        hs.append(h)
    grads = tinynn.autograd.grad([tinynn.stack(hs)], leaves, grad_outputs=[tinynn.tensor(grad_hs)])
    return tuple(grad.numpy() for grad in grads)


def _library_rnn(xs, h0, weights):
    """hs from tinynn.nn.RNN holding the same weights (sequence first)."""
    rnn = nn.RNN(xs.shape[2], h0.shape[1]).double()
    with tinynn.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), weights):
            getattr(rnn, name).copy_(tinynn.tensor(value))
        out, _ = rnn(tinynn.tensor(xs), tinynn.tensor(h0[None]))
    return out


def grade(g: Grader, student, reference) -> None:
    for n, i, h, what in [(3, 4, 5, "x (3, 4), H 5"), (1, 2, 3, "a batch of 1"), (2, 3, 1, "one hidden unit"),
                          (2, 4, 4, "I = H = 4 (a missing transpose keeps the shapes)")]:
        x, h_prev, weights = g.randn(n, i), g.randn(n, h), _weights(g, i, h)
        with g.check(what, "rnn_step"):
            got = g.call(student.rnn_step, x, h_prev, *weights)
            g.expect("h'", got, reference.rnn_step(x, h_prev, *weights),
                     mistakes={text: _step(x, h_prev, *weights, m) for m, text in STEP_MISTAKES.items() if i == h
                               or m != "W not transposed"})
            library = recurrent.rnn_tanh_cell(*[tinynn.tensor(a) for a in [x, h_prev] + weights])
            g.expect("h' against the library", got, library.numpy(), expected_label="tinynn's rnn_tanh_cell")

    for t, n, i, h, what in [(5, 3, 4, 6, "T 5, N 3, I 4, H 6"), (1, 2, 3, 4, "one step"),
                             (4, 1, 1, 1, "a batch of 1, one input, one hidden unit"), (3, 2, 3, 3, "T 3, I = H = 3")]:
        xs, h0, weights = g.randn(t, n, i), g.randn(n, h) * 0.5, _weights(g, i, h)
        with g.check(what, "rnn_forward"):
            got = g.call(student.rnn_forward, xs, h0, *weights)
            g.expect("hs", got, reference.rnn_forward(xs, h0, *weights),
                     mistakes={text: _forward(xs, h0, weights, m) for m, text in FORWARD_MISTAKES.items()})
            g.expect("hs against the library", got, _library_rnn(xs, h0, weights).numpy(),
                     expected_label="tinynn.nn.RNN")

    for t, n, i, h, last_only, what in [(4, 2, 3, 5, False, "a loss on every step, T 4"),
                                        (6, 2, 3, 4, True, "a loss on the last step only, T 6"),
                                        (1, 3, 2, 4, False, "one step"),
                                        (5, 1, 1, 1, False, "a batch of 1, one input, one hidden unit")]:
        xs, h0, weights = g.randn(t, n, i), g.randn(n, h) * 0.5, _weights(g, i, h)
        hs = reference.rnn_forward(xs, h0, *weights)
        grad_hs = g.randn(t, n, h)
        if last_only:
            grad_hs[:-1] = 0
        with g.check(what + ", against tinynn autograd on the same unrolled RNN", "rnn_backward", points=2):
            got = g.call(student.rnn_backward, grad_hs, xs, h0, hs, weights[0], weights[1])
            wrong = {text: _bptt(grad_hs, xs, h0, hs, weights[0], weights[1], m) for m, text in BPTT_MISTAKES.items()}
            mistakes = [{text: values[k] for text, values in wrong.items()} for k in range(len(GRADIENTS))]
            g.expect_values("rnn_backward", GRADIENTS, got, _autograd(grad_hs, xs, h0, weights), mistakes=mistakes,
                            expected_label="tinynn autograd", rtol=1e-6, atol=1e-9)

    xs, h0, weights = g.randn(3, 2, 2), g.randn(2, 3) * 0.5, _weights(g, 2, 3)
    grad_hs = g.randn(3, 2, 3)
    with g.check("every gradient against finite differences (T 3, N 2, I 2, H 3)", "rnn_backward", points=3):
        hs = reference.rnn_forward(xs, h0, *weights)
        got = g.call(student.rnn_backward, grad_hs, xs, h0, hs, weights[0], weights[1])
        g.expect_count("rnn_backward", GRADIENTS, got)
        arrays = [xs, h0] + weights
        for k, name in enumerate(GRADIENTS):
            numeric = numeric_gradient(reference.rnn_forward, arrays, k, grad_hs)
            g.expect_gradient(name[5:], got[k], numeric)
