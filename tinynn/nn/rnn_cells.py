"""Recurrent cells, one time step each: RNNCell, LSTMCell, GRUCell (the layers that run them along a
sequence, RNN, LSTM and GRU, are in nn/recurrent.py; the math of each cell is in ``tinynn/ops/recurrent.py``).

    input (N, H_in) or (H_in,) unbatched;  h (N, H) [, c (N, H)]  ->  h' [, c']
    weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih, bias_hh (G*H,): G = 1 (RNN), 4 (LSTM), 3 (GRU)

Parameter names, shapes and the initialisation U(-1/sqrt(H), 1/sqrt(H)) are PyTorch's.
"""
from __future__ import annotations

import math

from ..autograd import grad_mode
from ..creation import empty, zeros
from ..ops.recurrent import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "RNNCellBase"]


def reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's init for every recurrent weight and bias: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    with grad_mode.no_grad():
        for p in module.parameters():
            p.uniform_(-bound, bound)


class RNNCellBase(Module):
    """Weights of one cell: weight_ih (G*hidden, input), weight_hh (G*hidden, hidden), biases (G*hidden,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gate_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gate_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batch_states(self, input: Tensor, states: tuple):
        """Check input (N, H_in) or (H_in,) and the states; return them 2-d, zeros for missing states."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        if x.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input dtype {x.dtype} does not match the weights' dtype {self.weight_ih.dtype}")
        out = []
        for k, s in enumerate(states):
            if s is None:
                out.append(zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device))
                continue
            if s.dim() != input.dim():
                which = f"hx[{k}]" if len(states) > 1 else "hx"
                raise RuntimeError(f"{name}: for {input.dim()}-D input the state {which} should also be "
                                   f"{input.dim()}-D, but got a {s.dim()}-D tensor of shape {tuple(s.shape)}")
            s = s if batched else s.unsqueeze(0)
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected {self.hidden_size}")
            out.append(s)
        return x, out, batched


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).  input (N, H_in) or (H_in,) -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._batch_states(input, (hx,))
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        h = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') of one LSTM step (gates i, f, g, o).  input (N, H_in), hx = (h, c) (N, H) each."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None):
        states = (None, None) if hx is None else as_state_pair(hx, "LSTMCell")
        x, (h, c), batched = self._batch_states(input, states)
        h, c = lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' of one GRU step (gates r, z, n).  input (N, H_in) or (H_in,), hx (N, H) -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._batch_states(input, (hx,))
        h = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


def as_state_pair(hx, name: str) -> tuple:
    """An LSTM's (h, c), checked: a tuple or list of two tensors."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2 or not all(isinstance(s, Tensor) for s in hx):
        raise TypeError(f"{name}: hx must be a tuple (h, c) of two tensors, got {type(hx).__name__}")
    return tuple(hx)
