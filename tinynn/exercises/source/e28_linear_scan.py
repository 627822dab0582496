"""Exercise 28: a linear recurrence, step by step and as a parallel scan, with its gradients.

State-space models (S4, Mamba) are built on one elementwise, *linear* recurrence:

    h_t = a_t * h_{t-1} + b_t,      t = 0 .. T-1,      h_{-1} = h0 (zeros when None)
    a, b: (B, T, *)   time on axis 1     h0: (B, *)     h: (B, T, *)

Run as a loop, T steps must happen one after the other. But each step is an affine map
h -> a h + b, and two such maps compose into one of the same kind: step (a1, b1) then (a2, b2) is

    h -> a2 (a1 h + b1) + b2  =  (a2 a1) h + (a2 b1 + b2)

So steps can be grouped in any order (they are associative), and a *scan* can combine them in
rounds of whole-array operations. The doubling (Hillis-Steele) scan keeps, for every position t, a
pair (A_t, B_t) meaning "the map from some earlier state to h_t". Start with (A_t, B_t) = (a_t, b_t),
then for offset k = 1, 2, 4, ... while k < T combine each position with the one k places earlier:

    B_t <- A_t * B_{t-k} + B_t,      A_t <- A_t * A_{t-k}          (for t >= k; t < k unchanged)

Both right-hand sides use the values from BEFORE the round (update A after B, or work on copies).
After the round with offset k, position t covers the steps t-2k+1 .. t, so after ceil(log2 T)
rounds it covers every step from 0, and B_t is h_t itself. The initial state enters through the
first step: fold it into b_0 first, b_0 <- b_0 + a_0 * h0. Worked example, B = 1, T = 4, scalars,
a = (2, 2, 2, 2), b = (1, 1, 1, 1), h0 = None:

    loop:                h = (1, 3, 7, 15)
    round k=1:  B = (1, 2*1+1, 2*1+1, 2*1+1) = (1, 3, 3, 3),   A = (2, 4, 4, 4)
    round k=2:  B = (1, 3, 4*1+3, 4*3+3)     = (1, 3, 7, 15),  A = (2, 4, 8, 16)     done: B = h

Backward. With G_t = dL/dh_t, the gradient arriving at h_t from outside, the total gradient g_t of
h_t also collects what flows back through h_{t+1} = a_{t+1} h_t + b_{t+1}:

    g_t = G_t + a_{t+1} * g_{t+1},       g_{T-1} = G_{T-1}

the same linear recurrence, run backward in time with the coefficients shifted by one step: flip
time, scan, flip back. Then, from h_t = a_t h_{t-1} + b_t,

    dL/db_t = g_t,      dL/da_t = g_t * h_{t-1}   (h_{-1} = h0, or 0),      dL/dh0 = a_0 * g_0

You write (NumPy arrays in and out, keep the input's dtype, never modify the inputs):
  1. ``scan_sequential(a, b, h0=None)``: the loop over t, the definition.
  2. ``scan_round(a, b, offset)``: one round of the doubling scan; returns the new (A, B).
  3. ``scan_parallel(a, b, h0=None)``: the doubling scan, calling ``scan_round`` once per round:
     ceil(log2 T) calls, no loop over t.
  4. ``scan_backward(grad_h, a, h, h0=None)``: (dL/da, dL/db, dL/dh0), with None for dL/dh0 when
     h0 is None. Compute g with your ``scan_parallel`` on time-flipped arrays.

The grader compares with the loop, with ``tinynn.nn.linear_scan`` (tinynn/nn/ssm.py), counts your
rounds, and checks the gradients against finite differences (float64), including T = 1, a length
that is not a power of 2, a batch of one, one feature, and a_t = 0 (which resets the state).
"""
from __future__ import annotations

import numpy as np

LESSON = 18
FORBIDDEN = ["tinynn.nn.linear_scan", "tinynn.nn.ssm.linear_scan", "tinynn.ops.scan.linear_recurrence_arrays"]


def scan_sequential(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """h_t = a_t * h_{t-1} + b_t by a loop over t.  a, b: (B, T, *), h0: (B, *) or None -> h: (B, T, *)."""
    # >>> solution
    h = np.empty_like(b)
    state = np.zeros_like(b[:, 0]) if h0 is None else h0
    for t in range(b.shape[1]):
        state = a[:, t] * state + b[:, t]
        h[:, t] = state
    return h
    # <<< solution


def scan_round(a: np.ndarray, b: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """One doubling round with offset k: new (A, B) with, for t >= k,
    B_t = A_t * B_{t-k} + B_t and A_t = A_t * A_{t-k} (old values on the right); t < k unchanged."""
    # >>> solution
    new_a, new_b = a.copy(), b.copy()
    new_b[:, offset:] = a[:, offset:] * b[:, :-offset] + b[:, offset:]
    new_a[:, offset:] = a[:, offset:] * a[:, :-offset]
    return new_a, new_b
    # <<< solution


def scan_parallel(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """The same h as ``scan_sequential``, by ceil(log2 T) calls of ``scan_round`` (offsets 1, 2, 4, ...)."""
    # >>> solution
    b = b.copy()
    if h0 is not None:
        b[:, 0] = b[:, 0] + a[:, 0] * h0        # h_0 = a_0 h0 + b_0: the initial state joins step 0
    offset = 1
    while offset < b.shape[1]:
        a, b = scan_round(a, b, offset)
        offset *= 2
    return b
    # <<< solution


def scan_backward(grad_h: np.ndarray, a: np.ndarray, h: np.ndarray,
                  h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """grad_h = dL/dh: (B, T, *), h the forward's states -> (dL/da, dL/db, dL/dh0 or None)."""
    # >>> solution
    a_next = np.zeros_like(a)                   # a_{t+1}, and 0 past the end: nothing flows back from there
    a_next[:, :-1] = a[:, 1:]
    g = scan_parallel(a_next[:, ::-1], grad_h[:, ::-1])[:, ::-1]   # g_t = G_t + a_{t+1} g_{t+1}
    h_prev = np.zeros_like(h)                   # h_{t-1}, with h0 (or 0) before the first step
    h_prev[:, 1:] = h[:, :-1]
    if h0 is not None:
        h_prev[:, 0] = h0
    grad_h0 = None if h0 is None else a[:, 0] * g[:, 0]
    return np.ascontiguousarray(g * h_prev), np.ascontiguousarray(g), grad_h0
    # <<< solution
