"""Exercise 18: one step of an LSTM cell and of a GRU cell, written with tinynn Tensor operations.

**The LSTM** carries two states from step to step: the hidden state h (what it outputs) and the
cell state c (its memory). One step reads the input x and the previous (h, c):

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

**The GRU** (Cho et al., 2014) keeps one state h and two gates, in PyTorch's order **r, z, n**:

    [i_r, i_z, i_n] = x W_ih^T + b_ih          the input's part     (N, 3H), split into three (N, H)
    [h_r, h_z, h_n] = h W_hh^T + b_hh          the state's part     (N, 3H)
    r = σ(i_r + h_r)                reset gate:  how much of the old state the candidate may read
    z = σ(i_z + h_z)                update gate: how much of the old state to keep
    n = tanh(i_n + r ⊙ h_n)         the candidate state
    h' = (1 - z) ⊙ n + z ⊙ h

    x: (N, in)   h, h': (N, H)   W_ih: (3H, in)   W_hh: (3H, H)   b_ih, b_hh: (3H,)

Watch two details, both PyTorch's (``nn.GRUCell``): r multiplies h_n = (h W_hn^T + b_hn), the
state's whole contribution *including its bias*, so the two products cannot be added before the
split as in the LSTM; and z weighs the OLD state: z near 1 keeps h (like the LSTM's forget gate),
z near 0 takes the candidate n.

You write ``lstm_cell`` and ``gru_cell`` with tinynn Tensor operations (``@``, ``.T``, ``.chunk``,
``.sigmoid()``, ``.tanh()``, ``*``, ``+``, ``-``): autograd then differentiates them for you, and
the grader checks the gradients of every input against finite differences to be sure your graph is
connected (no detour via NumPy). The biases may be None (a cell built with ``bias=False``). The
grader compares with the library's functional cells ``lstm_cell`` and ``gru_cell`` in
tinynn/ops/recurrent.py (the ones ``nn.LSTMCell`` and ``nn.GRUCell`` use); calling those, or the
library's cell and layer modules, from your code fails the check.
"""
from __future__ import annotations

import tinynn

LESSON = 11
FORBIDDEN = ["tinynn.ops.recurrent.lstm_cell", "tinynn.ops.recurrent.gru_cell", "tinynn.ops.recurrent.lstm_step",
             "tinynn.ops.recurrent.gru_step", "tinynn.nn.LSTMCell", "tinynn.nn.GRUCell", "tinynn.nn.LSTM",
             "tinynn.nn.GRU"]
PARTS = {"lstm_cell": "lstm_cell", "gru_cell": "gru_cell"}


def lstm_cell(x: tinynn.Tensor, h: tinynn.Tensor, c: tinynn.Tensor, weight_ih: tinynn.Tensor,
              weight_hh: tinynn.Tensor, bias_ih: tinynn.Tensor | None = None,
              bias_hh: tinynn.Tensor | None = None) -> tuple:
    """One LSTM step.  x: (N, in), h, c: (N, H), weight_ih: (4H, in), weight_hh: (4H, H) -> (h', c')."""
    # >>> solution
    gates = x @ weight_ih.T + h @ weight_hh.T                 # (N, 4H): gate order i, f, g, o
    if bias_ih is not None:
        gates = gates + bias_ih
    if bias_hh is not None:
        gates = gates + bias_hh
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)
    i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
    c_next = f * c + i * g
    h_next = o * c_next.tanh()
    return h_next, c_next
    # <<< solution


def gru_cell(x: tinynn.Tensor, h: tinynn.Tensor, weight_ih: tinynn.Tensor, weight_hh: tinynn.Tensor,
             bias_ih: tinynn.Tensor | None = None, bias_hh: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """One GRU step.  x: (N, in), h: (N, H), weight_ih: (3H, in), weight_hh: (3H, H) -> h': (N, H)."""
    # >>> solution
    gi = x @ weight_ih.T                                      # (N, 3H): gate order r, z, n
    gh = h @ weight_hh.T
    if bias_ih is not None:
        gi = gi + bias_ih
    if bias_hh is not None:
        gh = gh + bias_hh
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()                                # r gates the state's part, bias b_hn included
    return (1 - z) * n + z * h
    # <<< solution
