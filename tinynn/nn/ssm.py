"""State-space models: a linear recurrence computed by a parallel scan, and two layers built on it.

The recurrence at the heart of every (diagonal) state-space model is elementwise and *linear*:

    h_t = a_t * h_{t-1} + b_t,        t = 0..T-1,   h_{-1} = h0 (zero when not given)

Because it is linear, it is associative: applying step (a1, b1) and then (a2, b2) is one step
(a2 * a1, a2 * b1 + b2). So T steps need not run one after another: ``linear_scan`` combines them
in log2(T) rounds of whole-array operations (the Hillis-Steele scan), instead of a Python loop of
T small ones. A recurrent network (tanh(W h + U x)) has no such shortcut; a linear recurrence does,
and that is why SSMs train as fast as a convolution yet run step by step at inference, like an RNN.

    linear_scan(a, b, h0=None, reverse=False)   the differentiable parallel scan (op: ops/scan.py)
    DiagonalSSM(d_model, d_state)               a linear time-invariant SSM (S4D / S5 / LRU style)
    SelectiveSSM(d_model, d_state)              input-dependent step, B and C (Mamba's S6 layer)
"""
from __future__ import annotations

import math

from ..ops.join import cat
from ..ops.reduce import sum as reduce_sum
from ..ops.scan import LinearScan
from ..ops.shape import broadcast_tensors
from ..autograd.grad_mode import no_grad
from ..ops.unary import exp, expm1
from ..tensor import Tensor
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["linear_scan", "DiagonalSSM", "SelectiveSSM"]


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None, reverse: bool = False) -> Tensor:
    """All states of the linear recurrence h_t = a_t * h_{t-1} + b_t, by a parallel scan.

    a, b: (B, T, *) with time on dim 1 (a broadcasts against b, e.g. a: (D,) for a time-invariant
    decay); h0: (B, *) the state before step 0 (zeros when None). With ``reverse=True`` the
    recurrence runs backward in time: h_t = a_t * h_{t+1} + b_t, h_T = h0. Returns h: (B, T, *).
    log2(T) rounds of array operations (O(T log T) work, O(log T) depth) instead of T steps.
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"linear_scan: expected Tensors a and b, got {type(a).__name__} and {type(b).__name__}")
    if b.dim() < 2:
        raise ValueError(f"linear_scan: b must be (B, T, ...) with time on dim 1, got shape {tuple(b.shape)}")
    if a.shape != b.shape:
        try:
            a, b = broadcast_tensors(a, b)
        except Exception:
            raise ValueError(f"linear_scan: a {tuple(a.shape)} does not broadcast to b {tuple(b.shape)}") from None
        if b.dim() < 2:
            raise ValueError(f"linear_scan: need (B, T, ...) inputs, got shape {tuple(b.shape)}")
    expected_h0 = (b.shape[0],) + tuple(b.shape[2:])
    if h0 is not None and tuple(h0.shape) != expected_h0:
        raise ValueError(f"linear_scan: h0 must have shape {expected_h0} (b without its time dim), "
                         f"got {tuple(h0.shape)}")
    if h0 is not None:  # fold the state before the first step into that step: b_0 + a_0 h0
        if reverse:
            b = cat([b[:, :-1], b[:, -1:] + a[:, -1:] * h0.unsqueeze(1)], 1)
        else:
            b = cat([b[:, :1] + a[:, :1] * h0.unsqueeze(1), b[:, 1:]], 1)
    return LinearScan.apply(b, a, 1, bool(reverse))


def _log_uniform_step(size: int, dt_min: float, dt_max: float) -> Tensor:
    """log(dt) with dt log-uniform in [dt_min, dt_max]: time scales spread over decades."""
    if not 0 < dt_min <= dt_max:
        raise ValueError(f"need 0 < dt_min <= dt_max, got dt_min={dt_min}, dt_max={dt_max}")
    from ..creation import empty
    log_dt = empty(size)
    init.uniform_(log_dt, math.log(dt_min), math.log(dt_max))
    return log_dt


class DiagonalSSM(Module):
    """A linear time-invariant state-space layer with a real diagonal state (S4D-Real / S5 style).

    Continuous time, state s (N,), input x (H,):   s'(t) = A s(t) + B x(t),   y(t) = C s(t) + D x(t)
    with A = diag(-exp(A_log)) (always negative: every mode decays, so the layer is stable for any
    parameter values). Discretised with a learned step dt = exp(log_dt) (one per state) by
    zero-order hold:

        A_bar = exp(dt A),     B_bar = (A_bar - 1) / A * B      ((dt A)^-1 (exp(dt A) - I) dt B)
        s_t = A_bar * s_{t-1} + B_bar x_t,      y_t = C s_t + D * x_t

    x: (B, T, d_model) -> y: (B, T, d_model). Parameters: A_log, log_dt (d_state,), B
    (d_state, d_model) the input projection, C (d_model, d_state) the output projection, D
    (d_model,) the skip term. A_n is initialised to -(n + 1/2) and dt log-uniformly in
    [dt_min, dt_max], so the modes remember from a few steps to thousands.
    """

    def __init__(self, d_model: int, d_state: int = 64, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 device=None, dtype=None):
        super().__init__()
        if d_model < 1 or d_state < 1:
            raise ValueError(f"DiagonalSSM: d_model and d_state must be positive, got {d_model}, {d_state}")
        from ..creation import arange, empty, ones
        self.d_model, self.d_state = d_model, d_state
        self.A_log = Parameter((arange(d_state).float() + 0.5).log())
        self.log_dt = Parameter(_log_uniform_step(d_state, dt_min, dt_max))
        self.B = Parameter(empty(d_state, d_model))
        self.C = Parameter(empty(d_model, d_state))
        self.D = Parameter(ones(d_model))
        init.normal_(self.B, 0.0, 1.0 / math.sqrt(d_model))
        init.normal_(self.C, 0.0, 1.0 / math.sqrt(d_state))
        self.to(device=device, dtype=dtype)

    def discretize(self) -> tuple[Tensor, Tensor]:
        """(A_bar (N,), B_bar (N, H)) by zero-order hold with the learned steps."""
        A = -exp(self.A_log)
        A_bar = exp(exp(self.log_dt) * A)
        B_bar = ((A_bar - 1) / A).unsqueeze(1) * self.B
        return A_bar, B_bar

    def forward(self, x: Tensor, h0: Tensor | None = None) -> Tensor:
        """x: (B, T, d_model), h0: (B, d_state) or None -> y: (B, T, d_model)."""
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"DiagonalSSM: expected input (B, T, {self.d_model}), got {tuple(x.shape)}")
        A_bar, B_bar = self.discretize()
        states = linear_scan(A_bar, x @ B_bar.mT, h0)       # (B, T, N): a broadcasts over B and T
        return states @ self.C.mT + x * self.D

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, d_state={self.d_state}"


class SelectiveSSM(Module):
    """The selective state-space layer of Mamba (S6): the step and B, C depend on the input.

    Each of the d_model channels has its own N-dimensional diagonal state. At step t, from x_t:

        delta_t = softplus(dt_proj(x_t W_dt))     (d_model,)  how far to move: ~0 keeps the state,
                                                            large overwrites it with the input
        B_t = x_t W_B,  C_t = x_t W_C             (N,)        what to write, what to read
        A_bar_t = exp(delta_t A)                  (d_model, N) with A = -exp(A_log) < 0
        h_t = A_bar_t * h_{t-1} + (delta_t B_t) x_t      (Mamba's simplified discretisation of B)
        y_t = h_t C_t + D * x_t                   (sum over the N states of each channel)

    An LTI SSM applies the same decay to every input; here the model *chooses* per token what to
    remember and what to ignore, which content-based tasks (copying the marked tokens) need.
    W_dt, W_B, W_C are one ``x_proj`` (d_model -> dt_rank + 2N, no bias); ``dt_proj`` (dt_rank ->
    d_model) has its bias set so that softplus(bias) is log-uniform in [dt_min, dt_max].

    x: (B, T, d_model) -> y: (B, T, d_model). Memory: the states (B, T, d_model, N).
    """

    def __init__(self, d_model: int, d_state: int = 16, dt_rank: int | str = "auto", dt_min: float = 1e-3,
                 dt_max: float = 1e-1, device=None, dtype=None):
        super().__init__()
        if d_model < 1 or d_state < 1:
            raise ValueError(f"SelectiveSSM: d_model and d_state must be positive, got {d_model}, {d_state}")
        if dt_rank == "auto":
            dt_rank = math.ceil(d_model / 16)
        if not isinstance(dt_rank, int) or dt_rank < 1:
            raise ValueError(f"SelectiveSSM: dt_rank must be a positive int or 'auto', got {dt_rank!r}")
        from ..creation import arange, ones
        self.d_model, self.d_state, self.dt_rank = d_model, d_state, dt_rank
        self.x_proj = Linear(d_model, dt_rank + 2 * d_state, bias=False)
        self.dt_proj = Linear(dt_rank, d_model)
        init.uniform_(self.dt_proj.weight, -dt_rank ** -0.5, dt_rank ** -0.5)
        dt = exp(_log_uniform_step(d_model, dt_min, dt_max))
        with no_grad():  # inverse softplus, log(exp(dt) - 1), written stably as dt + log(1 - exp(-dt))
            self.dt_proj.bias.copy_(dt + (-expm1(-dt)).log())
        A = arange(1, d_state + 1).float().unsqueeze(0).repeat(d_model, 1)
        self.A_log = Parameter(A.log())                  # A_n = -n, as in S4D-Real and Mamba
        self.D = Parameter(ones(d_model))
        self.to(device=device, dtype=dtype)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> Tensor:
        """x: (B, T, d_model), h0: (B, d_model, d_state) or None -> y: (B, T, d_model)."""
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"SelectiveSSM: expected input (B, T, {self.d_model}), got {tuple(x.shape)}")
        r, n = self.dt_rank, self.d_state
        projected = self.x_proj(x)                                  # (B, T, r + 2N)
        delta = F.softplus(self.dt_proj(projected[..., :r]))        # (B, T, D)
        B_t, C_t = projected[..., r:r + n], projected[..., r + n:]  # (B, T, N) each
        A = -exp(self.A_log)                                        # (D, N)
        delta_ = delta.unsqueeze(-1)                                # (B, T, D, 1)
        A_bar = exp(delta_ * A)                                     # (B, T, D, N)
        Bx = delta_ * B_t.unsqueeze(2) * x.unsqueeze(-1)            # (B, T, D, N)
        states = linear_scan(A_bar, Bx, h0)                         # (B, T, D, N)
        y = reduce_sum(states * C_t.unsqueeze(2), -1)               # (B, T, D)
        return y + x * self.D

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, d_state={self.d_state}, dt_rank={self.dt_rank}"
