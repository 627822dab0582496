"""The recurrent cells (Elman RNN, LSTM, GRU) one step at a time, and the loop that runs them along a sequence.

For a batch x: (N, H_in), a state h: (N, H) and weights stacked gate by gate, W_ih: (G*H, H_in),
W_hh: (G*H, H) (G = 1, 4, 3 gates), with σ the logistic sigmoid and ⊙ the elementwise product:

    RNN:   h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)                     (or relu)

    LSTM:  [a_i, a_f, a_g, a_o] = x W_ih^T + b_ih + h W_hh^T + b_hh          (gate order i, f, g, o)
           i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
           c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')         (with a projection: h' = (o ⊙ tanh c') W_hr^T)

    GRU:   [i_r, i_z, i_n] = x W_ih^T + b_ih,   [h_r, h_z, h_n] = h W_hh^T + b_hh     (order r, z, n)
           r = σ(i_r + h_r),  z = σ(i_z + h_z),  n = tanh(i_n + r ⊙ h_n)
           h' = (1 - z) ⊙ n + z ⊙ h                   (the reset gate acts *after* W_hn, as in PyTorch)

The recurrent layers (``tinynn.nn.RNN``/``LSTM``/``GRU``) compute ``x W_ih^T + b`` for all time steps
in one matrix product, then ``scan`` calls a ``*_step`` function below once per step with that slice.
The LSTM step is one fused op (``LSTMCellFunction``): the gate arithmetic runs on raw arrays in a few
passes, with its backward derived by hand, instead of as twenty small graph nodes. For equal-length
sequences a whole LSTM layer is one fused op (``LSTMLayerFunction``), the hot path of training.

``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell`` and ``gru_cell`` are PyTorch's functional cells
(``torch.lstm_cell(input, (h, c), w_ih, w_hh, b_ih, b_hh)``), used by ``nn.RNNCell`` and friends.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .join import cat, split, stack
from .activation import relu, sigmoid, tanh

__all__ = ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_tanh_cell"]


# ---------------------------------------------------------------------------- the fused LSTM cell
class LSTMCellFunction(Op):
    """(h', c') = LSTM cell from the gate pre-activations.  gates: (N, 4H), c: (N, H) -> (N, H), (N, H).

    Forward (a = gates, split into a_i, a_f, a_g, a_o):
        i, f, o = σ(a_i), σ(a_f), σ(a_o),  g = tanh(a_g),  c' = f c + i g,  h' = o tanh(c')
    All four nonlinearities are one ``tanh`` pass, because σ(x) = 0.5 tanh(x / 2) + 0.5:
        [i, f, g, o] = s ⊙ tanh(s ⊙ a) + (1 - s)   with s = (1/2, 1/2, 1, 1/2) per gate.

    Backward, from dh = dL/dh' and dc = dL/dc' (the gradient that reaches c' directly):
        dc_total = dc + dh o (1 - tanh²c')              c' feeds h' through tanh, and the next step
        da_o = dh tanh(c') · o (1 - o)                   σ' = σ (1 - σ)
        da_i = dc_total g · i (1 - i)
        da_f = dc_total c · f (1 - f)
        da_g = dc_total i · (1 - g²)                     tanh' = 1 - tanh²
        dL/dc = dc_total f
    ``_lstm_cell_grads`` holds these lines once; they run on raw arrays (fast, first derivatives)
    or, when backward itself is being recorded (``create_graph=True``), on Tensors recomputed from
    the saved inputs, so second derivatives are exact too.
    """

    @staticmethod
    def forward(ctx, gates, c):
        xp = array_module_of(gates)
        n, hidden = c.shape
        act = xp.empty((n, 4, hidden), dtype=gates.dtype)
        tanh_c, h_next, c_next = (xp.empty_like(c) for _ in range(3))
        _lstm_cell_forward(gates, c, act, tanh_c, h_next, c_next)
        ctx.save_for_backward(gates, c, act, tanh_c)
        return h_next, c_next

    @staticmethod
    def backward(ctx, dh, dc):
        gates, c, act, tanh_c = ctx.saved_tensors
        if grad_mode.state.enabled:  # backward is being recorded: differentiate through tinynn ops
            hidden = c.shape[1]
            a_i, a_f, a_g, a_o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
            tanh_c = tanh(f * c + i * g)
            da_i, da_f, da_g, da_o, dc_prev = _lstm_cell_grads(dh, dc, i, f, g, o, c, tanh_c)
            return cat([da_i, da_f, da_g, da_o], 1), dc_prev
        d_gates = array_module_of(gates._data).empty(act.shape, dtype=gates.dtype)
        dc_prev = _lstm_cell_backward(dh._data, dc._data, act._data, c._data, tanh_c._data, d_gates)
        return Tensor._make(d_gates.reshape(gates.shape)), Tensor._make(dc_prev)


def _lstm_cell_forward(gates, c, act, tanh_c, h_next, c_next) -> None:
    """Raw arrays: fill act (N, 4, H) with [i, f, g, o], c_next = f c + i g, tanh_c, h_next = o tanh_c."""
    xp = array_module_of(gates)
    n, hidden = c.shape
    scale = xp.asarray((0.5, 0.5, 1.0, 0.5), dtype=gates.dtype).reshape(4, 1)  # broadcast over (N, 4, H)
    xp.multiply(gates.reshape(n, 4, hidden), scale, out=act)
    xp.tanh(act, out=act)
    act *= scale
    act += 1 - scale
    i, f, g, o = act[:, 0], act[:, 1], act[:, 2], act[:, 3]
    xp.multiply(f, c, out=c_next)
    c_next += i * g
    xp.tanh(c_next, out=tanh_c)
    xp.multiply(o, tanh_c, out=h_next)


def _lstm_cell_backward(dh, dc, act, c, tanh_c, d_gates):
    """Raw arrays: fill d_gates (N, 4, H) with dL/d[a_i, a_f, a_g, a_o]; return dL/dc."""
    i, f, g, o = act[:, 0], act[:, 1], act[:, 2], act[:, 3]
    d_gates[:, 0], d_gates[:, 1], d_gates[:, 2], d_gates[:, 3], dc_prev = _lstm_cell_grads(
        dh, dc, i, f, g, o, c, tanh_c)
    return dc_prev


def _lstm_cell_grads(dh, dc, i, f, g, o, c, tanh_c):
    """The LSTM cell's backward (see ``LSTMCellFunction``); the same lines for arrays and Tensors."""
    dc_total = dc + dh * o * (1 - tanh_c * tanh_c)
    da_i = dc_total * g * i * (1 - i)
    da_f = dc_total * c * f * (1 - f)
    da_g = dc_total * i * (1 - g * g)
    da_o = dh * tanh_c * o * (1 - o)
    return da_i, da_f, da_g, da_o, dc_total * f


# ---------------------------------------------------------------------------- a whole LSTM layer
class LSTMLayerFunction(Op):
    """One direction of an LSTM layer over N sequences of equal length T, as one graph node.

    x_proj: (T*N, 4H), the rows of step t at t*N..(t+1)*N-1, holding x_t W_ih^T + b_ih + b_hh;
    w_hh: (4H, H); h0, c0: (N, H)  ->  out: (T*N, H) (h_t of every step, same row order), h_n, c_n.

    Forward, t = 0..T-1 (T-1..0 when ``reverse``): gates = x_proj_t + h W_hh^T, then the cell above.
    Backward through time, walking the steps the other way, with dh carried from the step after:
        dh_t = dL/dout_t + dgates_{t+1} W_hh,  the cell backward gives dgates_t and dc_{t-1}
        dL/dx_proj = dgates (all steps),   dL/dW_hh = sum_t dgates_t^T h_{t-1}
    The weight gradient is one (4H, T*N) @ (T*N, H) product, not T small ones: this node exists
    because a per-step graph is slower (PERFORMANCE.md, W_lstm). The loop (``_lstm_layer_bptt``,
    built on ``_lstm_cell_grads``) is written once: a first derivative runs it on the raw arrays
    saved by forward; under ``create_graph`` it runs on Tensors, with the activations recomputed
    from the inputs by differentiable ops, so higher derivatives are exact.
    """

    array_backward = True   # the engine passes raw arrays unless a graph of the backward is wanted

    @staticmethod
    def forward(ctx, x_proj, w_hh, h0, c0, reverse):
        xp = array_module_of(x_proj)
        n, hidden = h0.shape
        steps = x_proj.shape[0] // n
        gates_in = x_proj.reshape(steps, n, 4 * hidden)
        out = xp.empty((steps, n, hidden), dtype=x_proj.dtype)
        cs, tanh_cs = xp.empty_like(out), xp.empty_like(out)
        acts = xp.empty((steps, n, 4, hidden), dtype=x_proj.dtype)
        gates = xp.empty((n, 4 * hidden), dtype=x_proj.dtype)
        h, c = h0, c0
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            xp.matmul(h, w_hh.T, out=gates)
            gates += gates_in[t]
            _lstm_cell_forward(gates, c, acts[t], tanh_cs[t], out[t], cs[t])
            h, c = out[t], cs[t]
        out = out.reshape(steps * n, hidden)
        ctx.reverse = reverse
        ctx.save_for_backward(x_proj, w_hh, h0, c0, out, acts, cs, tanh_cs)
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, d_out, dh_n, dc_n):
        x_proj, w_hh, h0, c0, out, acts, cs, tanh_cs = ctx.saved_tensors
        if grad_mode.state.enabled:  # a graph of the backward: the forward again, as functions of the inputs
            out, acts, cs, tanh_cs = _lstm_layer_recomputed(x_proj, w_hh, h0, c0, ctx.reverse)
        # raw arrays from tinynn's engine (array_backward); Tensors from an engine that passes them
        join = cat if isinstance(w_hh, Tensor) else array_module_of(w_hh).concatenate
        d_gates, d_w_hh, dh, dc = _lstm_layer_bptt(ctx.reverse, ctx.needs_input_grad[1], join, w_hh, h0, c0,
                                                   out, acts, cs, tanh_cs, d_out, dh_n, dc_n)
        return d_gates, d_w_hh, dh, dc, None


def _lstm_layer_bptt(reverse, need_w_hh, join, w_hh, h0, c0, out, acts, cs, tanh_cs, d_out, dh, dc):
    """Backpropagation through time (see ``LSTMLayerFunction``), the same lines for arrays and Tensors.

    out: (T*N, H); acts[t]: (N, 4, H) holding i, f, g, o; cs[t], tanh_cs[t]: (N, H); join: the
    concatenation of the values' kind (``xp.concatenate`` or ``cat``).
    Returns dL/dx_proj (T*N, 4H), dL/dW_hh (or None), dL/dh0, dL/dc0.
    """
    steps, (n, hidden) = len(cs), h0.shape
    out, d_out = out.reshape(steps, n, hidden), d_out.reshape(steps, n, hidden)
    d_gates = [None] * steps
    first = steps - 1 if reverse else 0          # the step that starts from (h0, c0)
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        c_prev = c0 if t == first else cs[t + 1 if reverse else t - 1]
        i, f, g, o = (acts[t][:, k] for k in range(4))
        da_i, da_f, da_g, da_o, dc = _lstm_cell_grads(dh + d_out[t], dc, i, f, g, o, c_prev, tanh_cs[t])
        d_gates[t] = join([da_i, da_f, da_g, da_o], 1)
        dh = d_gates[t] @ w_hh
    d_gates = join(d_gates, 0)
    h_prev = join([out[1:], h0[None]] if reverse else [h0[None], out[:-1]], 0)   # h_{t-1} of every step t
    d_w_hh = d_gates.T @ h_prev.reshape(steps * n, hidden) if need_w_hh else None
    return d_gates, d_w_hh, dh, dc


def _lstm_layer_recomputed(x_proj, w_hh, h0, c0, reverse):
    """LSTMLayerFunction's forward from differentiable ops: out (T, N, H), and acts, cs, tanh_cs per step."""
    n, hidden = h0.shape
    steps = x_proj.shape[0] // n
    gates_in = x_proj.reshape(steps, n, 4 * hidden)
    out, acts, cs, tanh_cs = ([None] * steps for _ in range(4))
    h, c = h0, c0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        a = gates_in[t] + h @ w_hh.mT
        i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
        i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
        c = f * c + i * g
        tanh_cs[t] = tanh(c)
        h = o * tanh_cs[t]
        out[t], acts[t], cs[t] = h, stack([i, f, g, o], 1), c
    return stack(out), acts, cs, tanh_cs


# ---------------------------------------------------------------------------- one step of each layer
# x_proj is the input's contribution x W_ih^T + b (computed for all steps at once by the layers);
# w_hh_t is W_hh^T: (H_out, G*H).

def rnn_step(x_proj: Tensor, h: Tensor, w_hh_t: Tensor, nonlinearity: str = "tanh") -> Tensor:
    """h' = tanh(x_proj + h W_hh^T)   (relu for nonlinearity='relu'); b_hh is inside x_proj."""
    pre = x_proj + h @ w_hh_t
    return relu(pre) if nonlinearity == "relu" else tanh(pre)


def lstm_step(x_proj: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor, w_hr_t: Tensor | None = None):
    """(h', c') for gates = x_proj + h W_hh^T (b_hh is inside x_proj); h' projected by W_hr^T if given."""
    h_next, c_next = LSTMCellFunction.apply(x_proj + h @ w_hh_t, c)
    if w_hr_t is not None:
        h_next = h_next @ w_hr_t
    return h_next, c_next


def gru_step(x_proj: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """h' of a GRU: x_proj = x W_ih^T + b_ih: (N, 3H); b_hh stays apart, because r multiplies h_n."""
    hidden = h.shape[-1]
    gh = h @ w_hh_t
    if b_hh is not None:
        gh = gh + b_hh
    rz = sigmoid(x_proj[:, :2 * hidden] + gh[:, :2 * hidden])
    r, z = rz[:, :hidden], rz[:, hidden:]
    n = tanh(x_proj[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
    return n + z * (h - n)                    # = (1 - z) n + z h, one product fewer


# ---------------------------------------------------------------------------- running a step along a sequence
def scan(step, x_proj: Tensor, batch_sizes: list, state0: tuple, reverse: bool):
    """Run ``state = step(x_t, state)`` along the time steps of packed ``x_proj``.

    x_proj: (sum(batch_sizes), G*H) in packed layout (the first batch_sizes[t] sequences at step t);
    state0: a tuple of (N, H) tensors. Returns the outputs h_t in packed layout and the final states,
    each sequence's taken after its own last element (forward) or after its first (reverse).
    """
    inputs = split(x_proj, batch_sizes, 0)
    outputs = [None] * len(batch_sizes)
    if not reverse:
        state, finished = state0, []
        for t, x_t in enumerate(inputs):
            running = batch_sizes[t]
            if running < state[0].shape[0]:      # sequences running..N-1 ended at step t-1
                finished.append(tuple(s[running:] for s in state))
                state = tuple(s[:running] for s in state)
            state = step(x_t, state)
            outputs[t] = state[0]
        finished.append(state)                   # in time order, the last pieces hold the first rows
        final = tuple(cat([piece[k] for piece in reversed(finished)], 0) for k in range(len(state)))
    else:
        # backward in time: a sequence joins (from its initial state) at its own last element
        state = tuple(s[:batch_sizes[-1]] for s in state0) if batch_sizes[-1] < state0[0].shape[0] else state0
        for t in reversed(range(len(batch_sizes))):
            running, active = batch_sizes[t], state[0].shape[0]
            if running > active:
                state = tuple(cat([s, s0[active:running]], 0) for s, s0 in zip(state, state0))
            state = step(inputs[t], state)
            outputs[t] = state[0]
        final = state
    return cat(outputs, 0), final


# ---------------------------------------------------------------------------- PyTorch's functional cells
def input_projection(x: Tensor, w_ih: Tensor, b_ih: Tensor | None, b_hh: Tensor | None = None) -> Tensor:
    """x W_ih^T + b_ih (+ b_hh): the part of the gates that does not depend on the state."""
    out = x @ w_ih.mT
    if b_ih is not None:
        out = out + b_ih
    if b_hh is not None:
        out = out + b_hh
    return out


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).  input: (N, H_in), hx: (N, H) -> (N, H)."""
    return rnn_step(input_projection(input, w_ih, b_ih, b_hh), hx, w_hh.mT, "tanh")


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh).  input: (N, H_in), hx: (N, H) -> (N, H)."""
    return rnn_step(input_projection(input, w_ih, b_ih, b_hh), hx, w_hh.mT, "relu")


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None):
    """(h', c') of an LSTM cell.  input: (N, H_in), hx = (h, c): (N, H) each; W_ih: (4H, H_in)."""
    h, c = hx
    return lstm_step(input_projection(input, w_ih, b_ih, b_hh), h, c, w_hh.mT)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' of a GRU cell.  input: (N, H_in), hx: (N, H) -> (N, H); W_ih: (3H, H_in)."""
    return gru_step(input_projection(input, w_ih, b_ih), hx, w_hh.mT, b_hh)
