# Exercise 06, generated from tinynn/exercises/source/e06_lstm_cell.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e06_lstm_cell.py my_e06_lstm_cell.py
#     python -m tinynn.exercises check 06 my_e06_lstm_cell.py
"""Exercise 06: one step of an LSTM cell, written with tinynn Tensor operations.

An LSTM carries two states from step to step: the hidden state h (what it outputs) and the cell
state c (its memory). One step reads the input x and the previous (h, c):

    [a_i, a_f, a_g, a_o] = x W_ih^T + b_ih + h W_hh^T + b_hh        all four gates in one product
    i = σ(a_i)      input gate:  how much of the candidate to write
    f = σ(a_f)      forget gate: how much of the old memory to keep
    g = tanh(a_g)   the candidate values to write
    o = σ(a_o)      output gate: how much of the memory to show
    c' = f ⊙ c + i ⊙ g
    h' = o ⊙ tanh(c')

    x: (N, in)   h, c, h', c': (N, H)   W_ih: (4H, in)   W_hh: (4H, H)   b_ih, b_hh: (4H,)

(σ is the logistic sigmoid, ⊙ the elementwise product.) The weights stack the four gates in
PyTorch's order **i, f, g, o**: rows 0..H-1 of W_ih belong to the input gate, rows H..2H-1 to the
forget gate, and so on, so after the matrix products the (N, 4H) pre-activations split into four
(N, H) blocks along dim 1 (``gates.chunk(4, dim=1)``).

Why it works: c' = f ⊙ c + ... is an additive path. When f is near 1, dc'/dc = f keeps the
gradient alive across many steps, where a plain RNN multiplies it by W_hh at every step.

You write ``lstm_cell`` with tinynn Tensor operations (``@``, ``.T``, ``.chunk``, ``.sigmoid()``,
``.tanh()``, ``*``, ``+``): autograd then differentiates it for you, and the grader checks the
gradients against finite differences to be sure your graph is connected (no detour via NumPy).
The biases may be None (an LSTM built with ``bias=False``). The grader compares with the library's
``tinynn.nn.LSTMCell`` functional form (``lstm_cell`` in tinynn/ops/recurrent.py, where the four
nonlinearities run as one fused op).
"""
from __future__ import annotations

import tinynn


def lstm_cell(x: tinynn.Tensor, h: tinynn.Tensor, c: tinynn.Tensor, weight_ih: tinynn.Tensor,
              weight_hh: tinynn.Tensor, bias_ih: tinynn.Tensor | None = None,
              bias_hh: tinynn.Tensor | None = None) -> tuple:
    """One LSTM step.  x: (N, in), h, c: (N, H), weight_ih: (4H, in), weight_hh: (4H, H) -> (h', c')."""
    raise NotImplementedError("exercise 06: lstm_cell")
