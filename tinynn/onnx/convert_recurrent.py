"""Converters of the recurrent layers ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``: one ONNX RNN/LSTM/GRU node per layer.

The tracer records these modules as one call each (trace.py), because ONNX has a recurrent op
that runs a whole layer (both directions) over a sequence of any length. What differs from PyTorch:

* gate order: PyTorch stacks the LSTM gates as (i, f, g, o), ONNX as (i, o, f, c); the GRU gates
  as (r, z, n), ONNX as (z, r, h). The weight rows are reordered block by block at export;
* the GRU's reset gate acts after the hidden product in PyTorch: ONNX's ``linear_before_reset=1``;
* ONNX's layout is (seq, batch, features) with a directions axis: Y is (seq, dirs, batch, hidden).

The stacked weights W (dirs, G*H, in), R (dirs, G*H, H) and B (dirs, 2*G*H) are computed from
the parameters at export and stored as initializers named after the module (``lstm.W_l0``).
"""
from __future__ import annotations

import numpy as np

from ..nn.recurrent import GRU, LSTM, RNN
from .context import converts
from .trace import ModuleOp

_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _reorder(array, mode: str, hidden: int):
    blocks = [array[k * hidden:(k + 1) * hidden] for k in range(len(_GATE_ORDER[mode]))]
    return np.concatenate([blocks[k] for k in _GATE_ORDER[mode]], axis=0)


def _layer_weights(module, layer: int):
    """W, R, B of one layer, both directions stacked, in ONNX's gate order."""
    mode, hidden = module.mode, module.hidden_size
    dirs = 2 if module.bidirectional else 1
    ws, rs, bs = [], [], []
    for d in range(dirs):
        suffix = f"_l{layer}" + ("_reverse" if d else "")
        w_ih = getattr(module, "weight_ih" + suffix)._data
        w_hh = getattr(module, "weight_hh" + suffix)._data
        ws.append(_reorder(w_ih, mode, hidden))
        rs.append(_reorder(w_hh, mode, hidden))
        if module.bias:
            b_ih, b_hh = getattr(module, "bias_ih" + suffix)._data, getattr(module, "bias_hh" + suffix)._data
            bs.append(np.concatenate([_reorder(b_ih, mode, hidden), _reorder(b_hh, mode, hidden)]))
        else:
            bs.append(np.zeros(2 * w_ih.shape[0], dtype=w_ih.dtype))
    return np.stack(ws), np.stack(rs), np.stack(bs)


@converts(ModuleOp(RNN), ModuleOp(LSTM), ModuleOp(GRU))
def recurrent(e):
    module = e.call.module
    mode, hidden, layers = module.mode, module.hidden_size, module.num_layers
    dirs = 2 if module.bidirectional else 1
    if getattr(module, "proj_size", 0):
        raise e.fail("an LSTM with proj_size is not exported (ONNX's LSTM has no projection)")
    if module.training and module.dropout > 0 and layers > 1:
        raise e.fail("dropout between recurrent layers in training mode is random; call model.eval() before exporting")
    x = e.arg(0)
    if not isinstance(x, np.ndarray):
        raise e.fail("a PackedSequence input is not exported; pad the batch and pass a tensor")
    batched = x.ndim == 3
    seq = e.input(0)
    if not batched:
        seq = e.unsqueeze(seq, [1])
    elif module.batch_first:
        seq = e.node("Transpose", [seq], perm=[1, 0, 2])
    states = [e.input(i) for i in range(1, len(e.call.args)) if e.arg(i) is not None]
    if not batched:
        states = [e.unsqueeze(s, [1]) for s in states]
    onnx_op = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    extra = {"LSTM": {}, "GRU": {"linear_before_reset": 1}}.get(
        mode, {"activations": ["Tanh" if mode == "RNN_TANH" else "Relu"] * dirs})
    h_last, c_last = [], []
    for layer in range(layers):
        prefix = e.call.module_path or type(module).__name__.lower()
        W, R, B = (e.b.initializer(a, f"{prefix}.onnx_{n}_l{layer}") for n, a in zip("WRB", _layer_weights(module, layer)))
        inputs = [seq, W, R, B]
        if states:
            inputs.append("")  # no sequence_lens: every sequence runs the full length
        for s in states:  # this layer's slice of h_0 (and c_0): rows layer*dirs .. (layer+1)*dirs
            inputs.append(e.node("Slice", [s, e.ints([layer * dirs]), e.ints([(layer + 1) * dirs]), e.ints([0])]))
        outputs = e.node(onnx_op, inputs, n_out=3 if mode == "LSTM" else 2, hidden_size=hidden,
                         direction="bidirectional" if dirs == 2 else "forward", **extra)
        h_last.append(outputs[1])
        if mode == "LSTM":
            c_last.append(outputs[2])
        # Y: (seq, dirs, batch, hidden) -> (seq, batch, dirs * hidden), the next layer's input
        seq = e.node("Reshape", [e.node("Transpose", [outputs[0]], perm=[0, 2, 1, 3]), e.ints([0, 0, -1])])
    output = seq
    if not batched:
        output = e.squeeze(output, [1])
    elif module.batch_first:
        output = e.node("Transpose", [output], perm=[1, 0, 2])
    finals = [h_last] + ([c_last] if mode == "LSTM" else [])
    results = [output]
    for pieces in finals:
        joined = pieces[0] if len(pieces) == 1 else e.node("Concat", pieces, axis=0)
        results.append(joined if batched else e.squeeze(joined, [1]))
    return results
