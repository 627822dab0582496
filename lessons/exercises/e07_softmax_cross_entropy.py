# Exercise 07, generated from tinynn/exercises/source/e07_softmax_cross_entropy.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e07_softmax_cross_entropy.py my_e07_softmax_cross_entropy.py
#     python -m tinynn.exercises check 07 my_e07_softmax_cross_entropy.py
"""Exercise 07: softmax + cross-entropy, forward and backward, as one fused autograd Function.

A classifier outputs one score (logit) z[n, c] per example n and class c. Softmax turns a row of
scores into probabilities, and the cross-entropy loss is the mean negative log-probability of the
right classes t[n]:

    p[n, c] = exp(z[n, c]) / sum_k exp(z[n, k])                 z, p: (N, C)    t: (N,) integers
    L = -(1/N) sum_n log p[n, t[n]]                             L: a scalar

Stability: exp(1000) overflows. Softmax does not change when the same number is subtracted from a
whole row, so subtract the row's maximum first; then compute log p directly,

    log p[n, c] = (z[n, c] - m[n]) - log sum_k exp(z[n, k] - m[n]),     m[n] = max_k z[n, k]

(the log-sum-exp trick), instead of log(softmax), which gives log(0) = -inf for tiny p.

The gradient is why the two belong together: writing y[n] for the one-hot row of t[n],

    dL/dz[n, c] = (p[n, c] - y[n, c]) / N

the predicted probabilities minus the targets, divided by the batch size for the mean. Backward
multiplies it by the upstream gradient ``grad`` (a scalar Tensor, 1 when L is the final loss).

You write:
  1. ``log_softmax(z)``: NumPy, z: (N, C) -> log p: (N, C), stable for logits like 1000.
  2. ``SoftmaxCrossEntropy.forward(ctx, logits, target)``: logits: (N, C) float Tensor, target:
     (N,) int64 Tensor of class indices -> L as a 0-d Tensor (``tinynn.tensor(value)`` of a 0-d
     array keeps the logits' dtype). Work in NumPy on ``logits.detach().numpy()`` and save what
     backward needs on ctx (e.g. ``ctx.probs = ...``).
  3. ``SoftmaxCrossEntropy.backward(ctx, grad)``: return ``(dL/dlogits, None)``: None because the
     integer targets have no gradient. dL/dlogits must be a Tensor of the logits' shape.

The grader checks against finite differences in float64 and against the library's fused op
``tinynn.nn.functional.cross_entropy`` (tinynn/ops/loss.py). Calling it, or the library's softmax,
log_softmax or nll_loss, from your code fails the check.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.autograd import Function

LESSON = 5
FORBIDDEN = ["tinynn.nn.functional.cross_entropy", "tinynn.nn.functional.log_softmax",
             "tinynn.nn.functional.softmax", "tinynn.nn.functional.nll_loss", "tinynn.nn.CrossEntropyLoss"]
PARTS = {"cross_entropy": "SoftmaxCrossEntropy"}


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, stable.  z: (N, C) -> (N, C), same dtype."""
    raise NotImplementedError("exercise 07: log_softmax")


class SoftmaxCrossEntropy(Function):
    """L = mean_n -log softmax(z)[n, t[n]];  dL/dz = (softmax(z) - onehot(t)) / N."""

    @staticmethod
    def forward(ctx, logits: tinynn.Tensor, target: tinynn.Tensor) -> tinynn.Tensor:
        """logits: (N, C), target: (N,) int64 -> the mean cross-entropy, a 0-d Tensor."""
        raise NotImplementedError("exercise 07: SoftmaxCrossEntropy.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor):
        """grad: 0-d Tensor (dL_total/dL) -> (dL/dlogits: (N, C) Tensor, None)."""
        raise NotImplementedError("exercise 07: SoftmaxCrossEntropy.backward")
