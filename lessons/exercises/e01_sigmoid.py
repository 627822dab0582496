# Exercise 01, generated from tinynn/exercises/source/e01_sigmoid.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e01_sigmoid.py my_e01_sigmoid.py
#     python -m tinynn.exercises check 01 my_e01_sigmoid.py
"""Exercise 01: the sigmoid and its derivative, as a tinynn autograd Function.

The logistic sigmoid squashes any real number into (0, 1):

    σ(x) = 1 / (1 + exp(-x))

Its derivative is best written with the output y = σ(x):

    dσ/dx = exp(-x) / (1 + exp(-x))^2 = σ(x) (1 - σ(x)) = y (1 - y)

so backward needs nothing but y, saved by forward. With the upstream gradient dL/dy (``grad``,
the same shape as y), the chain rule gives, element by element,

    dL/dx = dL/dy * y * (1 - y)

Numerical stability: for x = -1000, exp(-x) = exp(1000) overflows (NumPy warns and makes inf).
Use exp only of numbers <= 0:

    σ(x) = 1 / (1 + exp(-x))          where x >= 0
    σ(x) = exp(x) / (1 + exp(x))      where x < 0

Both are the same function; ``z = exp(-|x|)`` is all you need for both branches.

You write (the grader checks each on several shapes, extreme values, float32 and float64):
  1. ``sigmoid(x)``: the stable formula on a NumPy array of any shape, keeping its dtype.
  2. ``Sigmoid.forward(ctx, x)``: ``x`` is a tinynn Tensor. Compute y with your ``sigmoid`` on
     ``x.detach().numpy()``, make it a Tensor with ``tinynn.tensor(y)``, save that output Tensor
     for backward with ``ctx.save_for_backward(...)`` and return it.
  3. ``Sigmoid.backward(ctx, grad)``: return dL/dx, computed with tinynn Tensor arithmetic on
     ``ctx.saved_tensors`` (not NumPy), so that backward is itself differentiable: the grader also
     checks the second derivative.

This is how tinynn's own ops are built (tinynn/autograd/function.py); the library's sigmoid is
``tinynn.sigmoid`` / ``Tensor.sigmoid`` in tinynn/ops/unary.py, and the grader compares with it.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.autograd import Function


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), elementwise and without overflow.  x: any shape -> same shape, dtype."""
    raise NotImplementedError("exercise 01: sigmoid")


class Sigmoid(Function):
    """y = σ(x);  dL/dx = dL/dy * y * (1 - y).  Use it as ``Sigmoid.apply(x)``."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor) -> tinynn.Tensor:
        """x: Tensor of any shape -> y = σ(x), a Tensor of the same shape and dtype."""
        raise NotImplementedError("exercise 01: Sigmoid.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/dy (y's shape) -> dL/dx = grad * y * (1 - y), with Tensor arithmetic."""
        raise NotImplementedError("exercise 01: Sigmoid.backward")
