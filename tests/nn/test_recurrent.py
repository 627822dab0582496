"""RNN, LSTM, GRU and their cells (tinynn/nn/recurrent.py, rnn_cells.py, tinynn/ops/recurrent.py): float64 gradchecks
w.r.t. inputs, initial states and every weight; PyTorch parity through state_dict for each configuration
(outputs, h_n, c_n, input/state/parameter gradients); the fused LSTM cell op; init, repr and errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.autograd import grad as autograd_grad
from tinynn.nn.utils import rnn as rnn_utils
from tinynn.ops.recurrent import LSTMCellFunction, LSTMLayerFunction, lstm_step, scan

# (class name, extra constructor arguments): every cell type the layers support
MODES = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 2}),
    "gru": ("GRU", {}),
}
LENGTHS = [2, 4, 1, 4]   # unsorted, with a tie: exercises sorted_indices and the stable sort


def _make(mode: str, input_size: int, hidden_size: int, library=nn, **kwargs):
    name, extra = MODES[mode]
    return getattr(library, name)(input_size, hidden_size, **extra, **kwargs).double()


def _run(module, x, *states, lengths=None, enforce_sorted=False):
    """Call a tinynn or torch recurrent layer; return (output, h_n[, c_n]) as a flat tuple.

    With ``lengths`` the padded x is packed first and the output is the PackedSequence's data.
    """
    utils = rnn_utils if isinstance(module, nn.Module) else torch.nn.utils.rnn
    if lengths is not None:
        x = utils.pack_padded_sequence(x, lengths, batch_first=module.batch_first, enforce_sorted=enforce_sorted)
    hx = None if not states else (tuple(states) if len(states) == 2 else states[0])
    output, state = module(x, hx)
    if lengths is not None:
        output = output.data
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def _states(module, batch: int | None, seed: int = 10) -> list:
    """Random h_0 (and c_0) arrays of the shapes the module expects (batch None: unbatched)."""
    layers = module.num_layers * (2 if module.bidirectional else 1)
    sizes = [module.proj_size or module.hidden_size] + ([module.hidden_size] if module.mode == "LSTM" else [])
    lead = (layers,) if batch is None else (layers, batch)
    return [rand(*lead, size, seed=seed + k) for k, size in enumerate(sizes)]


# ---------------------------------------------------------------------------- PyTorch parity
# name: (constructor arguments, input kind, with initial states, packed with enforce_sorted)
CONFIGS = {
    "default": ({}, "seq", False, None),
    "stacked_bidirectional": ({"num_layers": 2, "bidirectional": True}, "seq", True, None),
    "batch_first": ({"batch_first": True, "bidirectional": True}, "batch", True, None),
    "unbatched": ({"num_layers": 2}, "unbatched", True, None),
    "unbatched_batch_first": ({"batch_first": True}, "unbatched", False, None),
    "no_bias": ({"bias": False, "num_layers": 2}, "seq", True, None),
    "dropout_eval": ({"num_layers": 3, "dropout": 0.5}, "seq", True, None),
    "packed_unsorted": ({"num_layers": 2, "bidirectional": True}, "seq", True, False),
    "packed_sorted_batch_first": ({"batch_first": True, "bidirectional": True}, "batch", True, True),
}


@needs_torch
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(mode, config):
    kwargs, kind, with_states, enforce_sorted = CONFIGS[config]
    ours, theirs = _make(mode, 3, 4, **kwargs), _make(mode, 3, 4, library=torch.nn, **kwargs)
    if "dropout" in kwargs:
        ours.eval(), theirs.eval()
    length, batch = 4, 4
    shape = {"seq": (length, batch, 3), "batch": (batch, length, 3), "unbatched": (length, 3)}[kind]
    arrays = [rand(*shape, seed=1)] + (_states(ours, None if kind == "unbatched" else batch) if with_states else [])
    lengths = None
    if enforce_sorted is not None:
        lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    assert_module_matches_torch(
        ours, theirs, arrays, call=lambda m, *xs: _run(m, *xs, lengths=lengths, enforce_sorted=bool(enforce_sorted))
    )


@needs_torch
@pytest.mark.parametrize("mode", MODES)
def test_packed_padded_output_matches_torch(mode):
    """Padded back to (N, T, D*H): zeros after each sequence's end, h_n from each one's own last step."""
    ours, theirs = _make(mode, 3, 4, bidirectional=True, batch_first=True), _make(
        mode, 3, 4, library=torch.nn, bidirectional=True, batch_first=True)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rand(4, 5, 3, seed=2)
    outs = []
    for module, lib, utils in ((ours, tinynn, rnn_utils), (theirs, torch, torch.nn.utils.rnn)):
        packed = utils.pack_padded_sequence(lib.tensor(x), LENGTHS, batch_first=True, enforce_sorted=False)
        output, state = module(packed)
        padded, lengths = utils.pad_packed_sequence(output, batch_first=True, total_length=5)
        outs.append((padded, lengths, state[0] if isinstance(state, tuple) else state))
    for a, b in zip(outs[0], outs[1]):
        assert_close(a, b)
    assert np.all(outs[0][0].detach().numpy()[2, 1:] == 0)  # sequence 2 has length 1


# ---------------------------------------------------------------------------- gradchecks
def _gradcheck_layer(module, x, states, fast_mode=False, seed=None, **run_kwargs):
    """gradcheck the layer w.r.t. x, h_0 (c_0) and every parameter (all float64)."""
    params = list(module.parameters())
    n_states = len(states)

    def fn(x, *rest):
        if seed is not None:  # the same dropout masks at every evaluation
            tinynn.manual_seed(seed)
        return _run(module, x, *rest[:n_states], **run_kwargs)

    check_gradients(fn, x, *states, *params, second_order=False, fast_mode=fast_mode)


# The full Jacobian check costs two forward passes per weight element, so most configurations use
# gradcheck's fast mode (a random projection v^T J u per input); the parity tests above compare every
# gradient element with PyTorch's, and one full check per cell type runs on a packed batch.
@pytest.mark.parametrize("mode", MODES)
def test_layer_gradcheck_stacked_bidirectional(mode):
    module = _make(mode, 2, 3 if mode == "lstm_proj" else 2, num_layers=2, bidirectional=True)
    _gradcheck_layer(module, rand(3, 2, 2, seed=1), _states(module, 2), fast_mode=True)


@pytest.mark.parametrize("mode", MODES)
def test_layer_gradcheck_packed_unsorted(mode):
    """Full Jacobians: sequences that end (forward) and start (reverse) at different steps."""
    module = _make(mode, 2, 3 if mode == "lstm_proj" else 2, bidirectional=True)
    _gradcheck_layer(module, rand(3, 3, 2, seed=3), _states(module, 3), lengths=[2, 3, 1],
                     fast_mode=mode == "lstm_proj")


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_layer_gradcheck_batch_first_and_unbatched(mode):
    module = _make(mode, 2, 2, batch_first=True)
    _gradcheck_layer(module, rand(2, 3, 2, seed=4), _states(module, 2))
    _gradcheck_layer(module, rand(3, 2, seed=5), _states(module, None))


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_layer_gradcheck_dropout(mode):
    """dropout > 0: in eval mode no dropout; in train mode a fixed seed gives a fixed mask."""
    module = _make(mode, 2, 2, num_layers=2, dropout=0.4)
    module.eval()
    _gradcheck_layer(module, rand(3, 2, 2, seed=6), _states(module, 2), fast_mode=True)
    module.train()
    _gradcheck_layer(module, rand(3, 2, 2, seed=6), _states(module, 2), fast_mode=True, seed=3)


def test_lstm_layer_second_derivatives():
    """gradgradcheck through the whole layer: the fused cell's recorded backward is differentiable."""
    module = _make("lstm", 2, 2)
    check_gradients(lambda x, h, c: _run(module, x, h, c), rand(2, 2, 2, seed=7), *_states(module, 2),
                    fast_mode=True)


# ---------------------------------------------------------------------------- dropout between layers
def test_dropout_is_inverted_dropout_between_layers():
    """Train mode: layer 2 sees layer 1's output times a keep-mask / (1 - p) drawn from tinynn's generator."""
    p = 0.3
    stacked = nn.LSTM(3, 4, num_layers=2, dropout=p).double()
    first, second = nn.LSTM(3, 4).double(), nn.LSTM(4, 4).double()
    weights = stacked.state_dict()
    first.load_state_dict({k: v for k, v in weights.items() if k.endswith("_l0")})
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in weights.items() if k.endswith("_l1")})
    x = tinynn.tensor(rand(5, 2, 3, seed=1))
    tinynn.manual_seed(7)
    out, (h, c) = stacked(x)
    tinynn.manual_seed(7)
    mask = (tinynn.rand(5 * 2, 4, dtype=tinynn.float64) >= p).double().reshape(5, 2, 4) / (1 - p)
    hidden, (h1, c1) = first(x)
    expected, (h2, c2) = second(hidden * mask)
    assert_close(out, expected)
    assert_close(h, tinynn.stack([h1[0], h2[0]]))
    assert 0 < (mask.numpy() == 0).mean() < 0.7
    tinynn.manual_seed(7)
    again, _ = stacked(x)
    assert_close(again, out, rtol=0, atol=0)       # reproducible under manual_seed
    stacked.eval()
    assert not np.allclose(stacked(x)[0].detach().numpy(), out.detach().numpy())  # and off in eval mode


# ---------------------------------------------------------------------------- cells
CELLS = {
    "rnn_tanh": ("RNNCell", {}),
    "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
    "lstm": ("LSTMCell", {}),
    "gru": ("GRUCell", {}),
}


def _cell(kind: str, library=nn, input_size: int = 3, hidden_size: int = 4, **kwargs):
    name, extra = CELLS[kind]
    return getattr(library, name)(input_size, hidden_size, **extra, **kwargs).double()


def _cell_call(module, x, *states):
    hx = None if not states else (tuple(states) if len(states) == 2 else states[0])
    out = module(x, hx)
    return out if isinstance(out, tuple) else (out,)


@needs_torch
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch(kind, bias, with_state, batched):
    ours, theirs = _cell(kind, bias=bias), _cell(kind, library=torch.nn, bias=bias)
    lead = (5,) if batched else ()
    states = [rand(*lead, 4, seed=2 + k) for k in range(2 if kind == "lstm" else 1)] if with_state else []
    assert_module_matches_torch(ours, theirs, [rand(*lead, 3, seed=1)] + states, call=_cell_call)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_gradcheck(kind, batched):
    """First and second derivatives w.r.t. input, state(s) and all four parameters."""
    module = _cell(kind, input_size=2, hidden_size=2)
    lead = (2,) if batched else ()
    states = [rand(*lead, 2, seed=2 + k) for k in range(2 if kind == "lstm" else 1)]
    n = len(states)
    check_gradients(lambda x, *rest: _cell_call(module, x, *rest[:n]), rand(*lead, 2, seed=1), *states,
                    *module.parameters(), fast_mode=not batched)


# ---------------------------------------------------------------------------- the fused LSTM cell op
def _lstm_cell_composite(gates, c):
    """The LSTM cell written with plain tinynn ops: the reference for the fused op."""
    i, f, g, o = gates.chunk(4, 1)
    c_next = i.sigmoid() * g.tanh() + f.sigmoid() * c
    return o.sigmoid() * c_next.tanh(), c_next


def test_fused_lstm_cell_gradcheck_and_gradgradcheck():
    gates, c = rand(3, 8, seed=1) * 2, rand(3, 2, seed=2)
    check_gradients(LSTMCellFunction.apply, gates, c)


def test_fused_lstm_cell_matches_composite_ops():
    """Forward and both backward paths (raw arrays; recorded Tensors under create_graph) agree."""
    gates, c = rand(4, 12, seed=3) * 3, rand(4, 3, seed=4)
    dh, dc = tinynn.tensor(rand(4, 3, seed=5)), tinynn.tensor(rand(4, 3, seed=6))
    results = []
    for fn, create_graph in ((LSTMCellFunction.apply, False), (LSTMCellFunction.apply, True),
                             (_lstm_cell_composite, False)):
        g, cc = leaf(gates), leaf(c)
        h, c_next = fn(g, cc)
        grads = autograd_grad([h, c_next], [g, cc], [dh, dc], create_graph=create_graph)
        results.append([h, c_next, *grads])
    for ours in results[:2]:
        for a, b in zip(ours, results[2]):
            assert_close(a.detach(), b.detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reverse", [False, True])
def test_fused_lstm_layer_matches_per_step_cells(reverse):
    """LSTMLayerFunction (one node per layer) against ``scan`` of ``lstm_step`` (one node per step)."""
    steps, n, hidden = 4, 3, 2
    arrays = [rand(steps * n, 4 * hidden, seed=1), rand(4 * hidden, hidden, seed=2), rand(n, hidden, seed=3),
              rand(n, hidden, seed=4)]
    upstream = [tinynn.tensor(rand(steps * n, hidden, seed=5)), tinynn.tensor(rand(n, hidden, seed=6)),
                tinynn.tensor(rand(n, hidden, seed=7))]

    def per_step(x_proj, w_hh, h0, c0):
        w_hh_t = w_hh.mT
        out, (h, c) = scan(lambda x_t, s: lstm_step(x_t, s[0], s[1], w_hh_t), x_proj, [n] * steps, (h0, c0), reverse)
        return out, h, c

    results = []   # fused (raw backward), fused (recorded backward, as under create_graph), per step
    for fn, create_graph in ((lambda *xs: LSTMLayerFunction.apply(*xs, reverse), False),
                             (lambda *xs: LSTMLayerFunction.apply(*xs, reverse), True), (per_step, False)):
        inputs = [leaf(a) for a in arrays]
        outputs = fn(*inputs)
        results.append(list(outputs) + list(autograd_grad(outputs, inputs, upstream, create_graph=create_graph)))
    for ours in results[:2]:
        for a, b in zip(ours, results[2]):
            assert_close(a.detach(), b.detach(), rtol=1e-12, atol=1e-14)
    check_gradients(lambda *xs: LSTMLayerFunction.apply(*xs, reverse), *arrays, fast_mode=True)


def test_fused_lstm_cell_float32_stays_float32():
    h, c = LSTMCellFunction.apply(tinynn.randn(2, 8), tinynn.randn(2, 2))
    assert h.dtype == c.dtype == tinynn.float32


# ---------------------------------------------------------------------------- parameters, init, repr
LAYOUTS = [(name, kwargs) for name in ("RNN", "LSTM", "GRU")
           for kwargs in ({}, {"num_layers": 2, "bidirectional": True}, {"bias": False, "num_layers": 3})]
LAYOUTS += [("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}), ("RNN", {"nonlinearity": "relu"})]


@needs_torch
@pytest.mark.parametrize("name, kwargs", LAYOUTS)
def test_state_dict_keys_and_shapes_match_torch(name, kwargs):
    ours, theirs = getattr(nn, name)(3, 5, **kwargs), getattr(torch.nn, name)(3, 5, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [[tuple(p.shape) for p in layer] for layer in ours.all_weights] == \
        [[tuple(p.shape) for p in layer] for layer in theirs.all_weights]
    assert repr(ours) == repr(theirs)


@needs_torch
def test_torch_state_dict_loads_into_tinynn():
    """The other direction: PyTorch's weights as NumPy arrays give tinynn the same outputs."""
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rand(2, 5, 3, seed=1)
    for a, b in zip(_run(ours, tinynn.tensor(x)), _run(theirs, torch.tensor(x))):
        assert_close(a.detach(), b)


@needs_torch
@pytest.mark.parametrize("kind", CELLS)
def test_cell_state_dict_and_repr_match_torch(kind):
    ours, theirs = _cell(kind, bias=False), _cell(kind, library=torch.nn, bias=False)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("module", [nn.LSTM(8, 64, num_layers=2), nn.GRUCell(8, 64), nn.RNN(8, 64)],
                         ids=["lstm", "gru_cell", "rnn"])
def test_init_is_uniform_in_one_over_sqrt_hidden(module):
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound      # U(-b, b) has std b / sqrt(3)
    assert abs(values.mean()) < 0.03 * bound


def test_init_is_reproducible_under_manual_seed():
    tinynn.manual_seed(5)
    a = nn.GRU(3, 4).state_dict()
    tinynn.manual_seed(5)
    b = nn.GRU(3, 4).state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_float32_forward_and_flatten_parameters():
    lstm = nn.LSTM(3, 4, batch_first=True)
    assert lstm.flatten_parameters() is None
    out, (h, c) = lstm(tinynn.randn(2, 5, 3))
    assert out.shape == (2, 5, 4) and h.shape == c.shape == (1, 2, 4)
    assert out.dtype == h.dtype == tinynn.float32


@pytest.mark.parametrize("module", [nn.LSTM(3, 4, bidirectional=True), nn.GRU(3, 4)], ids=["lstm", "gru"])
def test_empty_batch_gives_empty_outputs(module):
    out, state = module(tinynn.randn(3, 0, 3))
    h = state[0] if isinstance(state, tuple) else state
    assert out.shape == (3, 0, 4 * (2 if module.bidirectional else 1))
    assert h.shape == (2 if module.bidirectional else 1, 0, 4)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity 'sigmoid'"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), ValueError, "Unknown nonlinearity"),
    (lambda: nn.GRU(3, 4, proj_size=2), TypeError, "proj_size"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, "dropout should be a number in range [0, 1]"),
    (lambda: nn.LSTM(3, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(3, 4.0), TypeError, "hidden_size should be of type int, got: float"),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "num_layers must be greater than zero"),
])
def test_constructor_errors(call, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


lstm_double = nn.LSTM(3, 4, num_layers=2).double()
gru_double = nn.GRU(3, 4).double()
x_seq = tinynn.tensor(rand(5, 2, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: lstm_double(tinynn.tensor(rand(5, 2, 6))), RuntimeError,
     r"input.size\(-1\) must be equal to input_size. Expected 3, got 6"),
    (lambda: lstm_double(tinynn.tensor(rand(5, 2, 3, 1))), ValueError, "LSTM: Expected input to be 2D or 3D, got 4D"),
    (lambda: lstm_double(x_seq.float()), RuntimeError, "dtype float32 does not match"),
    (lambda: lstm_double(x_seq[:0]), RuntimeError, "Expected sequence length to be larger than 0"),
    (lambda: lstm_double(x_seq, tinynn.zeros(2, 2, 4, dtype=tinynn.float64)), TypeError, r"hx must be a tuple \(h, c\)"),
    (lambda: lstm_double(x_seq, (tinynn.zeros(1, 2, 4, dtype=tinynn.float64), tinynn.zeros(2, 2, 4, dtype=tinynn.float64))),
     RuntimeError, r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"),
    (lambda: lstm_double(x_seq, (tinynn.zeros(2, 2, 4, dtype=tinynn.float64), tinynn.zeros(2, 3, 4, dtype=tinynn.float64))),
     RuntimeError, r"Expected hidden\[1\] size \(2, 2, 4\), got \[2, 3, 4\]"),
    (lambda: lstm_double(x_seq[:, 0], (tinynn.zeros(2, 1, 4, dtype=tinynn.float64),) * 2), RuntimeError,
     r"For unbatched 2-D input, hx and cx should also be 2-D but got \(3-D, 3-D\) tensors"),
    (lambda: gru_double(x_seq, tinynn.zeros(1, 3, 4, dtype=tinynn.float64)), RuntimeError,
     r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"),
    (lambda: gru_double(x_seq, tinynn.zeros(2, 4, dtype=tinynn.float64)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: gru_double(x_seq, (tinynn.zeros(1, 2, 4, dtype=tinynn.float64),)), TypeError, "hx must be a Tensor"),
    (lambda: nn.LSTMCell(3, 4)(tinynn.randn(2, 5)), RuntimeError, "input has inconsistent input_size: got 5 expected 3"),
    (lambda: nn.LSTMCell(3, 4)(tinynn.randn(2, 2, 3)), ValueError, "LSTMCell: Expected input to be 1D or 2D, got 3D"),
    (lambda: nn.LSTMCell(3, 4)(tinynn.randn(2, 3), (tinynn.randn(3, 4), tinynn.randn(2, 4))), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.GRUCell(3, 4)(tinynn.randn(2, 3), tinynn.randn(2, 5)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 5, expected 4"),
    (lambda: nn.RNNCell(3, 4)(tinynn.randn(3), tinynn.randn(2, 4)), RuntimeError, "should also be 1-D"),
    (lambda: nn.LSTMCell(3, 4)(tinynn.randn(2, 3), tinynn.randn(2, 4)), TypeError, r"hx must be a tuple \(h, c\)"),
])
def test_forward_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
