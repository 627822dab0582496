"""Recurrent layers: RNN, LSTM, GRU (whole sequences); the one-step cells RNNCell, LSTMCell, GRUCell are
in nn/rnn_cells.py, their math in ``tinynn/ops/recurrent.py``. A layer runs its cell along the sequence:

    for each layer k and direction d (forward, and backward in time when bidirectional):
        X W_ih^T + b                   one matrix product for all time steps: (T*N, H_in) -> (T*N, G*H)
        for t in time order:           one matrix product for all gates per step, then the cell
            h_t (, c_t) = step(x_proj_t, h_{t-1} (, c_{t-1}))
        the next layer's input is [h_t forward, h_t backward] (with dropout between layers in training)

An LSTM over equal-length sequences (no projection) runs each layer and direction as one fused
node, ``LSTMLayerFunction``, whose backward computes the weight gradient in one product; every
other case records one small graph per step (``scan``), differentiated by the engine.

Shapes (L = sequence length, N = batch, D = 2 if bidirectional else 1, H_out = proj_size or hidden):
    input (L, N, H_in), or (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a PackedSequence
    h_0, c_0 (D * num_layers, N, H_out / hidden)   ->   output (L, N, D * H_out), h_n, c_n like h_0, c_0

A PackedSequence input is processed step by step on the ``batch_sizes[t]`` sequences still running
at step t, so every sequence's h_n is its state after its own last element, as in PyTorch.
Parameters and state_dict keys are PyTorch's (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...).
"""
from __future__ import annotations

import warnings

from ..creation import empty, rand, zeros
from ..ops.join import cat, stack, unbind
from ..ops.recurrent import LSTMLayerFunction, gru_step, input_projection, lstm_step, rnn_step, scan
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter
from .rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase, as_state_pair, reset_uniform
from .utils.rnn import PackedSequence

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout between layers: zero each element with probability p, scale the rest by 1/(1-p)."""
    if p >= 1:
        return x * 0.0
    keep = rand(x.shape, dtype=x.dtype, device=x.device)._data >= p
    return x * Tensor._make(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))


# ---------------------------------------------------------------------------- layers
class RNNBase(Module):
    """Stacked, optionally bidirectional recurrent layers; RNN, LSTM and GRU choose the cell (``mode``)."""

    _gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}"
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        num_directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        gate_size = self._gates[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = [kind + suffix for kind in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(empty(*shape, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch packs the weights for cuDNN here; tinynn keeps them as they are."""

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction: [[weight_ih, weight_hh, bias_ih, bias_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def forward(self, input: Tensor | PackedSequence, hx=None):
        """(output, h_n) for RNN and GRU, (output, (h_n, c_n)) for LSTM; shapes in the module docstring.

        hx: h_0, or (h_0, c_0) for an LSTM; zeros when None. A PackedSequence input gives a
        PackedSequence output with the same batch_sizes and indices.
        """
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes_tensor, sorted_indices, unsorted_indices = input
            if data.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
            batch_sizes = [int(b) for b in batch_sizes_tensor.tolist()]
            batch, batched = batch_sizes[0], True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: expected a Tensor or a PackedSequence as input, got {type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
            length, batch = x.shape[0], x.shape[1]
            if length == 0:
                raise RuntimeError(f"{name}: Expected sequence length to be larger than 0 in RNN, got input of shape "
                                   f"{tuple(input.shape)}")
            data, batch_sizes = x.reshape(length * batch, x.shape[2]), [batch] * length
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}")
        if data.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(
                f"{name}: input dtype {data.dtype} does not match the parameters' dtype {self.weight_ih_l0.dtype}; "
                "convert one of them (module.double() or input.float())"
            )
        h0, c0 = self._initial_states(hx, batch, batched, data)
        if packed and sorted_indices is not None:  # the states follow the sequences into sorted order
            h0 = h0.index_select(1, sorted_indices)
            c0 = None if c0 is None else c0.index_select(1, sorted_indices)
        out, h_n, c_n = self._run_layers(data, batch_sizes, h0, c0)
        if packed:
            output = PackedSequence(out, batch_sizes_tensor, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, unsorted_indices)
        else:
            output = out.reshape(length, batch, out.shape[-1])
            if not batched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = None if c_n is None else c_n.squeeze(1)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _initial_states(self, hx, batch: int, batched: bool, data: Tensor):
        """h_0 (and c_0 for an LSTM) as (D * num_layers, N, H) tensors: checked, or zeros."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        h_shape = (layers, batch, self.proj_size or self.hidden_size)
        c_shape = (layers, batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = zeros(h_shape, dtype=data.dtype, device=data.device)
            return h0, (zeros(c_shape, dtype=data.dtype, device=data.device) if lstm else None)
        if lstm:
            states = as_state_pair(hx, "LSTM")
        elif isinstance(hx, Tensor):
            states = (hx,)
        else:
            raise TypeError(f"{type(self).__name__}: hx must be a Tensor of shape {h_shape}, got {type(hx).__name__}")
        want = 3 if batched else 2
        if any(s.dim() != want for s in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if lstm:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({states[0].dim()}-D, {states[1].dim()}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {states[0].dim()}-D tensor")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        for k, (s, shape) in enumerate(zip(states, (h_shape, c_shape))):
            if tuple(s.shape) != shape:
                which = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {which} size {shape}, got {list(s.shape)}")
            if s.dtype != data.dtype:
                raise RuntimeError(f"{type(self).__name__}: hx dtype {s.dtype} does not match the input dtype {data.dtype}")
        return states[0], (states[1] if lstm else None)

    def _run_layers(self, data: Tensor, batch_sizes: list, h0: Tensor, c0: Tensor | None):
        """All layers and directions over packed data (sum(batch_sizes), H_in); returns (output, h_n, c_n)."""
        directions = 2 if self.bidirectional else 1
        h0s = unbind(h0, 0)
        c0s = None if c0 is None else unbind(c0, 0)
        h_n, c_n = [], []
        layer_input = data
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                weights = [getattr(self, name) for name in self._all_weights[k]]
                state0 = (h0s[k],) if c0s is None else (h0s[k], c0s[k])
                out, state = self._run_direction(layer_input, weights, batch_sizes, state0, direction == 1)
                outputs.append(out)
                h_n.append(state[0])
                if c0s is not None:
                    c_n.append(state[1])
            layer_input = outputs[0] if directions == 1 else cat(outputs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout)
        return layer_input, stack(h_n, 0), (stack(c_n, 0) if c_n else None)

    def _run_direction(self, layer_input: Tensor, weights: list, batch_sizes: list, state0: tuple, reverse: bool):
        """One layer in one direction: the input projection of all steps, then the recurrence."""
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hh_t = w_hh.mT
        if self.mode == "GRU":  # b_hh stays in the step: r multiplies (h W_hn^T + b_hn)
            x_proj = input_projection(layer_input, w_ih, b_ih)
            return scan(lambda x_t, state: (gru_step(x_t, state[0], w_hh_t, b_hh),), x_proj, batch_sizes,
                        state0, reverse)
        bias = None if b_ih is None else b_ih + b_hh   # both biases meet the input: fold them
        x_proj = input_projection(layer_input, w_ih, bias)
        if self.mode == "LSTM":
            if not self.proj_size and min(batch_sizes) == max(batch_sizes) > 0:   # the common case: one node
                out, h_n, c_n = LSTMLayerFunction.apply(x_proj, w_hh, state0[0], state0[1], reverse)
                return out, (h_n, c_n)
            w_hr_t = weights[-1].mT if self.proj_size else None
            return scan(lambda x_t, state: lstm_step(x_t, state[0], state[1], w_hh_t, w_hr_t), x_proj,
                        batch_sizes, state0, reverse)
        nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"
        return scan(lambda x_t, state: (rnn_step(x_t, state[0], w_hh_t, nonlinearity),), x_proj, batch_sizes,
                    state0, reverse)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked over layers."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory layers (gates i, f, g, o); forward returns (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit layers (gates r, z, n); forward returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
