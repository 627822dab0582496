"""Exercise 17: a recurrent network, unrolled in time, and backpropagation through time by hand.

An RNN reads a sequence one step at a time and carries a hidden state h from step to step:

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)          t = 0, 1, ..., T - 1

    x_t: (N, I)   h_t: (N, H)   W_ih: (H, I)   W_hh: (H, H)   b_ih, b_hh: (H,)

with the initial state h_{-1} = h0 given. (Two biases, as in PyTorch's ``nn.RNN``; only their sum
matters.) The same weights serve every step: unrolled, the RNN is a T-layer network whose layers
share their weights. Everything here is NumPy arrays, sequence first: xs (T, N, I), hs (T, N, H).

**Backpropagation through time** is backpropagation through that unrolled network. The loss may
use every h_t; grad_hs[t] = dL/dh_t is its direct gradient at step t. But h_t also feeds h_{t+1},
so the full gradient reaching h_t is its direct one plus what flows back from step t + 1. Walk the
steps backwards, t = T - 1 down to 0, carrying ``grad_h`` (dL/dh_t from the future, zero at the
start):

    grad_h   = grad_hs[t] + grad_h                   everything that reaches h_t        (N, H)
    grad_a   = grad_h * (1 - h_t^2)                  through the tanh: tanh' = 1 - tanh^2
    dL/dx_t  = grad_a W_ih                           (N, H) @ (H, I) = (N, I)
    dL/dW_ih += grad_a^T x_t                          (H, N) @ (N, I) = (H, I)
    dL/dW_hh += grad_a^T h_{t-1}                      (H, N) @ (N, H); h_{t-1} is h0 when t = 0
    dL/db_ih += grad_a summed over the batch         and the same for dL/db_hh
    grad_h   = grad_a W_hh                           dL/dh_{t-1}, carried to the next step back

After the loop, grad_h is dL/dh0. The weights' gradients are sums over the steps (``+=``): the
same weight was used T times. Two mistakes to avoid: forgetting the carried grad_h (each step then
only sees its own loss, and nothing is learned across time) and using h_t where h_{t-1} belongs.

Worked example, T = 2, N = I = H = 1, weights 1, biases 0, h0 = 0, xs = [[[1]], [[0]]]:
h_0 = tanh(1) = 0.761594, h_1 = tanh(0.761594) = 0.642015. With a loss on the last step only,
grad_hs = [0, 1]: at t = 1, grad_a = 1 * (1 - 0.642015^2) = 0.587817 and grad_h = 0.587817; at
t = 0, grad_h = 0 + 0.587817, grad_a = 0.587817 * (1 - 0.761594^2) = 0.246869, so dL/dx_0 = 0.246868
although x_0 is one step away from the loss: the gradient travelled back through time.

Each step multiplies the carried gradient by (1 - h_t^2) W_hh: over many steps it shrinks (or grows)
geometrically, which is the vanishing (or exploding) gradient that LSTMs and GRUs were made to fix.

You write, on NumPy arrays:
  1. ``rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh)``: one step, h_t from x_t and h_{t-1}.
  2. ``rnn_forward(xs, h0, weight_ih, weight_hh, bias_ih, bias_hh)``: all T steps with rnn_step;
     returns hs (T, N, H), hs[t] = h_t.
  3. ``rnn_backward(grad_hs, xs, h0, hs, weight_ih, weight_hh)``: the loop above; returns
     ``(grad_xs, grad_h0, grad_weight_ih, grad_weight_hh, grad_bias_ih, grad_bias_hh)``, each shaped
     like what it is the gradient of. By hand: no autograd.

The grader compares the forward with ``tinynn.nn.RNN`` given the same weights, the backward with
tinynn's autograd on the same unrolled computation and with finite differences (a loss on every
step, on the last step only, one step, batch of one, one hidden unit).
"""
from __future__ import annotations

import numpy as np

LESSON = 10
FORBIDDEN = ["tinynn.nn.RNN", "tinynn.nn.RNNCell", "tinynn.ops.recurrent.rnn_tanh_cell",
             "tinynn.Tensor.backward", "tinynn.autograd.grad"]


def rnn_step(x: np.ndarray, h: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
             bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).  x: (N, I), h: (N, H) -> (N, H)."""
    # >>> solution
    return np.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
    # <<< solution


def rnn_forward(xs: np.ndarray, h0: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
                bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """xs: (T, N, I), h0: (N, H) -> hs: (T, N, H), hs[t] = rnn_step(xs[t], hs[t - 1]) and hs[-1] = h0."""
    # >>> solution
    hs = np.zeros((xs.shape[0],) + h0.shape, dtype=h0.dtype)
    h = h0
    for t in range(xs.shape[0]):
        h = rnn_step(xs[t], h, weight_ih, weight_hh, bias_ih, bias_hh)
        hs[t] = h
    return hs
    # <<< solution


def rnn_backward(grad_hs: np.ndarray, xs: np.ndarray, h0: np.ndarray, hs: np.ndarray,
                 weight_ih: np.ndarray, weight_hh: np.ndarray) -> tuple:
    """grad_hs = dL/dhs: (T, N, H) -> (grad_xs, grad_h0, grad_weight_ih, grad_weight_hh, grad_bias_ih, grad_bias_hh)."""
    # >>> solution
    grad_xs = np.zeros_like(xs)
    grad_weight_ih, grad_weight_hh = np.zeros_like(weight_ih), np.zeros_like(weight_hh)
    grad_bias = np.zeros(weight_hh.shape[0], dtype=hs.dtype)
    grad_h = np.zeros_like(h0)                      # dL/dh_t flowing back from step t + 1
    for t in reversed(range(xs.shape[0])):
        h_previous = hs[t - 1] if t > 0 else h0
        grad_h = grad_hs[t] + grad_h
        grad_a = grad_h * (1 - hs[t] ** 2)          # through the tanh
        grad_xs[t] = grad_a @ weight_ih
        grad_weight_ih += grad_a.T @ xs[t]
        grad_weight_hh += grad_a.T @ h_previous
        grad_bias += grad_a.sum(0)
        grad_h = grad_a @ weight_hh                 # to h_{t-1}
    return grad_xs, grad_h, grad_weight_ih, grad_weight_hh, grad_bias, grad_bias.copy()
    # <<< solution
