# Exercise 03, generated from tinynn/exercises/source/e03_linear.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e03_linear.py my_e03_linear.py
#     python -m tinynn.exercises check 03 my_e03_linear.py
"""Exercise 03: a Linear layer's forward and backward, as a tinynn autograd Function.

A fully connected layer maps each row of a batch x through the same affine map:

    y = x W^T + b          x: (N, in)   W: (out, in)   b: (out,)   y: (N, out)

element by element y[n, o] = sum_i x[n, i] W[o, i] + b[o]. (W is stored (out, in), as in
PyTorch's ``nn.Linear``, so the product needs W^T.)

Backward gets G = dL/dy, shaped like y (N, out), and returns one gradient per input, each shaped
like that input. The chain rule, element by element and then as matrix products:

    dL/dx[n, i] = sum_o G[n, o] W[o, i]     ->   dL/dx = G W        (N, out) @ (out, in) = (N, in)
    dL/dW[o, i] = sum_n G[n, o] x[n, i]     ->   dL/dW = G^T x      (out, N) @ (N, in)   = (out, in)
    dL/db[o]    = sum_n G[n, o]             ->   dL/db = G summed over the batch dimension  (out,)

A quick test of any gradient formula: its shape must equal the shape of the thing it is the
gradient of. If you get (in, out) for W, you have the transpose.

You write:
  1. ``LinearFunction.forward(ctx, x, weight, bias)``: Tensors in (``bias`` may be None: then there
     is no bias term), y out. Use tinynn Tensor operations (``@``, ``.T``, ``+``); forward runs
     without recording a graph. Save what backward needs with ``ctx.save_for_backward``.
  2. ``LinearFunction.backward(ctx, grad)``: return ``(dL/dx, dL/dW, dL/db)``, with None for the
     bias gradient when there is no bias. Use Tensor operations (``grad @ w``, ``grad.T``,
     ``grad.sum(0)``) so backward is differentiable too.

The grader checks each gradient against finite differences (float64), including batch size 1,
one feature, no bias and a square W (where a transposed gradient has the right shape), and compares
with the library's ``tinynn.nn.functional.linear`` (tinynn/nn/functional/linear.py). Calling that, or
``nn.Linear``, from your code fails the check: here you write it.
"""
from __future__ import annotations

import tinynn
from tinynn.autograd import Function

LESSON = 3
FORBIDDEN = ["tinynn.nn.functional.linear", "tinynn.nn.Linear"]
PARTS = {"linear": "LinearFunction"}


class LinearFunction(Function):
    """y = x W^T + b.  x: (N, in), weight: (out, in), bias: (out,) or None -> y: (N, out)."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor, weight: tinynn.Tensor, bias: tinynn.Tensor | None = None) -> tinynn.Tensor:
        """y = x @ weight.T (+ bias)."""
        raise NotImplementedError("exercise 03: LinearFunction.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor):
        """grad = dL/dy: (N, out) -> (dL/dx: (N, in), dL/dW: (out, in), dL/db: (out,) or None)."""
        raise NotImplementedError("exercise 03: LinearFunction.backward")
