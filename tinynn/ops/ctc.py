"""Connectionist temporal classification (CTC): the loss of a sequence labelling without an alignment.

A network emits, at each of T time steps, log-probabilities lp[t, c] over C classes, one of which
is the *blank*. An alignment pi (one class per step) reads as a label sequence after merging
repeats and then dropping blanks: "-hh-e-ll-lo" -> "hello". The loss of a target l (length L) is

    loss = -log p(l | x),   p(l | x) = sum over alignments pi that read as l of prod_t exp(lp[t, pi_t])

Dynamic programming over the extended target l' = (blank, l_1, blank, l_2, ..., l_L, blank), of
length S = 2L + 1 (position s holds a label when s is odd), in log space (``logaddexp``):

    forward   alpha[t, s] = lp[t, l'_s] + log(e^alpha[t-1, s] + e^alpha[t-1, s-1] + e^alpha[t-1, s-2])
              (the s-2 term only when l'_s differs from l'_{s-2}: a blank may be skipped between
              different labels, never between repeated ones; at a blank l'_{s-2} is a blank too)
              alpha[0, 0] = lp[0, blank], alpha[0, 1] = lp[0, l_1]
              loss = -logaddexp(alpha[T-1, S-1], alpha[T-1, S-2])     (ending on the last blank or label)
    backward  beta[t, s] = lp[t, l'_s] + log(e^beta[t+1, s] + e^beta[t+1, s+1] + e^beta[t+1, s+2]), mirrored

alpha[t, s] + beta[t, s] - lp[t, l'_s] is the log of the total probability of the alignments that
are at s at time t, so the posterior of class c at time t is

    gamma[t, c] = sum over s with l'_s = c of exp(alpha[t, s] + beta[t, s] - lp[t, c] + loss)

and d loss / d lp[t, c] = -gamma[t, c]. tinynn returns PyTorch's gradient instead,

    d loss / d lp[t, c] = exp(lp[t, c]) - gamma[t, c]       (0 for t >= the sample's input length)

which adds exp(lp[t, c]), a term that sums to 1 over c at each step. PyTorch does so because it
expects lp = log_softmax(logits): log_softmax's backward, g - softmax * sum_c g, removes any
per-step constant, so both give the familiar d loss / d logits = softmax - gamma. (Differentiated
with respect to log-probabilities used directly, the extra term is not the derivative of the loss;
check this op's gradient through a log_softmax.) As in PyTorch the gradient itself cannot be
differentiated again.

The batch is computed at once: each sample n has its own input length T_n and target length L_n,
the loops run over time (alpha, beta) and over the extended positions (gamma), each step a
whole-batch array operation; positions beyond a sample's lengths hold -inf and never contribute.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of

__all__ = ["ctc_loss_per_sample"]


def extended_targets(targets, target_lengths, blank: int):
    """(N, L_max) targets -> l' (N, S) with S = 2 L_max + 1 (blank at even s), and where a skip from s-2 is allowed."""
    xp = array_module_of(targets)
    n, l_max = targets.shape
    ext = xp.full((n, 2 * l_max + 1), blank, dtype=xp.int64)
    inside = xp.arange(l_max)[None, :] < target_lengths[:, None]
    ext[:, 1::2] = xp.where(inside, targets, blank)          # padding past L_n reads as blank (never used)
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]      # never at a blank (s - 2 is a blank too): PyTorch's test
    return ext, skip


def _logsumexp3(a, b, c, xp):
    """log(e^a + e^b + e^c) elementwise, -inf where all three are -inf."""
    top = xp.maximum(xp.maximum(a, b), c)
    top_safe = xp.where(xp.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(a - top_safe) + xp.exp(b - top_safe) + xp.exp(c - top_safe)) + top_safe


def _shift(values, by: int, xp):
    """values[..., s - by] at s (by > 0: from the left; by < 0: from the right), -inf where out of range."""
    out = xp.full(values.shape, -xp.inf, dtype=values.dtype)
    if by > 0:
        out[:, by:] = values[:, :-by]
    else:
        out[:, :by] = values[:, -by:]
    return out


def forward_variables(lp_ext, skip, input_lengths, target_lengths):
    """alpha: (T, N, S) in log space, and the loss -log p(l | x) of each sample: (N,)."""
    xp = array_module_of(lp_ext)
    t_max, n, s = lp_ext.shape
    alpha = xp.full(lp_ext.shape, -xp.inf, dtype=lp_ext.dtype)
    alpha[0, :, 0] = lp_ext[0, :, 0]
    if s > 1:
        alpha[0, :, 1] = xp.where(target_lengths > 0, lp_ext[0, :, 1], -xp.inf)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        from_skip = xp.where(skip, _shift(prev, 2, xp), -xp.inf)
        alpha[t] = _logsumexp3(prev, _shift(prev, 1, xp), from_skip, xp) + lp_ext[t]
    rows = xp.arange(n)
    last_t = xp.maximum(input_lengths - 1, 0)
    end = alpha[last_t, rows, 2 * target_lengths]                       # ending on the final blank...
    before = alpha[last_t, rows, xp.maximum(2 * target_lengths - 1, 0)]   # ...or on the last label
    before = xp.where(target_lengths > 0, before, -xp.inf)
    log_likelihood = xp.logaddexp(end, before)
    # An empty input reads as the empty target only (PyTorch's convention)
    empty_input = xp.where(target_lengths == 0, 0.0, -xp.inf).astype(lp_ext.dtype)
    log_likelihood = xp.where(input_lengths == 0, empty_input, log_likelihood)
    return alpha, -log_likelihood


def backward_variables(lp_ext, skip, input_lengths, target_lengths):
    """beta: (T, N, S) in log space, each sample started at its own last step T_n - 1."""
    xp = array_module_of(lp_ext)
    t_max, n, s = lp_ext.shape
    beta = xp.full(lp_ext.shape, -xp.inf, dtype=lp_ext.dtype)
    skip_from_right = xp.zeros(skip.shape, dtype=bool)
    skip_from_right[:, :-2] = skip[:, 2:]                 # s + 2 -> s allowed iff s -> s + 2 is in the forward pass
    positions = xp.arange(s)[None, :]
    last = (positions == 2 * target_lengths[:, None]) | (positions == 2 * target_lengths[:, None] - 1)
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            nxt = beta[t + 1]
            from_skip = xp.where(skip_from_right, _shift(nxt, -2, xp), -xp.inf)
            step = _logsumexp3(nxt, _shift(nxt, -1, xp), from_skip, xp) + lp_ext[t]
        else:
            step = xp.full((n, s), -xp.inf, dtype=lp_ext.dtype)
        start = xp.where(last, lp_ext[t], -xp.inf)                       # samples whose last step is t
        beta[t] = xp.where((input_lengths == t + 1)[:, None], start, step)
    return beta


def class_posteriors(lp, ext, alpha, beta, nll, input_lengths):
    """gamma[t, n, c] = sum over s with l'_s = c of exp(alpha + beta - lp[t, c] + loss); 0 for t >= T_n."""
    xp = array_module_of(lp)
    t_max, n, c = lp.shape
    rows = xp.arange(n)
    gamma = xp.zeros(lp.shape, dtype=lp.dtype)
    with np.errstate(invalid="ignore"):      # an impossible target (loss inf) gives nan, as in PyTorch
        for s in range(ext.shape[1]):        # one class per (n, s): no repeated index within a step
            labels = ext[:, s]
            gamma[:, rows, labels] += xp.exp(alpha[:, :, s] + beta[:, :, s] - lp[:, rows, labels] + nll[None, :])
    active = xp.arange(t_max)[:, None] < input_lengths[None, :]
    return xp.where(active[:, :, None], gamma, 0), active


class CTCLoss(Op):
    """loss[n] = -log p(target_n | log_probs[:, n]) by the forward recursion; see the module docstring.

    log_probs: (T, N, C); targets: (N, L_max) int64 class indices; input_lengths, target_lengths: (N,).
    Backward: PyTorch's gradient exp(lp) - gamma (``CTCLossGradient``), zero for samples whose loss
    is infinite when ``zero_infinity``.
    """

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        xp = array_module_of(log_probs)
        ext, skip = extended_targets(targets, target_lengths, blank)
        lp_ext = log_probs[:, xp.arange(ext.shape[0])[:, None], ext]           # (T, N, S): lp at each l'_s
        alpha, nll = forward_variables(lp_ext, skip, input_lengths, target_lengths)
        ctx.saved = (ext, skip, lp_ext, alpha, nll, input_lengths, target_lengths, zero_infinity)
        ctx.save_for_backward(log_probs)
        return xp.where(xp.isinf(nll), 0, nll).astype(nll.dtype) if zero_infinity else nll

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        return CTCLossGradient.apply(grad, log_probs, ctx.saved)


class CTCLossGradient(Op):
    """d loss / d log_probs as PyTorch computes it: grad[n] * (exp(lp) - gamma), 0 past each input length."""

    @staticmethod
    def forward(ctx, grad, log_probs, saved):
        xp = array_module_of(log_probs)
        ext, skip, lp_ext, alpha, nll, input_lengths, target_lengths, zero_infinity = saved
        beta = backward_variables(lp_ext, skip, input_lengths, target_lengths)
        gamma, active = class_posteriors(log_probs, ext, alpha, beta, nll, input_lengths)
        result = (xp.exp(log_probs) * active[:, :, None] - gamma) * grad[None, :, None]
        if zero_infinity:
            result = xp.where(xp.isinf(nll)[None, :, None], 0, result)
        return result.astype(log_probs.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("ctc_loss: the second derivative is not implemented (PyTorch's ctc_loss has none either)")


def ctc_loss_per_sample(log_probs, targets, input_lengths, target_lengths, blank: int, zero_infinity: bool):
    """The CTC loss of each sample, (N,), before reduction. Arguments as ``CTCLoss.forward`` (already checked)."""
    return CTCLoss.apply(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity)
