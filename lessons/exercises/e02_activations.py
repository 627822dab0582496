# Exercise 02, generated from tinynn/exercises/source/e02_activations.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e02_activations.py my_e02_activations.py
#     python -m tinynn.exercises check 02 my_e02_activations.py
"""Exercise 02: activations: the stable sigmoid, and Sigmoid, Tanh and ReLU as tinynn autograd Functions.

An activation is applied element by element, so its backward is the upstream gradient times the
derivative at each element: with y = a(x) and the upstream gradient dL/dy (``grad``, y's shape),

    dL/dx = dL/dy * a'(x)

Each of the three below has a derivative that is cheapest to write with what forward computed.

**Sigmoid** squashes any real number into (0, 1):

    σ(x) = 1 / (1 + exp(-x)),      dσ/dx = exp(-x) / (1 + exp(-x))^2 = σ(x) (1 - σ(x)) = y (1 - y)

so backward needs nothing but the output y, saved by forward.
Numerical stability: for x = -1000, exp(-x) = exp(1000) overflows (NumPy warns and makes inf).
Use exp only of numbers <= 0:

    σ(x) = 1 / (1 + exp(-x))          where x >= 0
    σ(x) = exp(x) / (1 + exp(x))      where x < 0

Both are the same function; ``z = exp(-|x|)`` is all you need for both branches.

**Tanh** squashes into (-1, 1) and is zero-centred (tanh(x) = 2σ(2x) - 1, a stretched sigmoid):

    y = tanh(x),      dy/dx = 1 - tanh(x)^2 = 1 - y^2

Again the output is all backward needs. ``np.tanh`` is stable as it is.

**ReLU** keeps the positive part:

    y = max(x, 0),    dy/dx = 1 where x > 0,  0 where x <= 0

The kink at x = 0 has no derivative; like PyTorch, use 0 there (the gradient flows only where
x > 0 strictly). Backward needs only where x was positive: save that mask, as a Tensor of 0s and 1s.
Worked example: x = [-2, 0, 3], grad = [5, 5, 5]  ->  y = [0, 0, 3], dL/dx = [0, 0, 5].

You write (the grader checks each on several shapes, extreme values, float32 and float64):
  1. ``sigmoid(x)``: the stable formula on a NumPy array of any shape, keeping its dtype.
  2. ``Sigmoid.forward(ctx, x)``: ``x`` is a tinynn Tensor. Compute y with your ``sigmoid`` on
     ``x.detach().numpy()``, make it a Tensor with ``tinynn.tensor(y)``, save that output Tensor
     for backward with ``ctx.save_for_backward(...)`` and return it.
  3. ``Sigmoid.backward(ctx, grad)``: return dL/dx, computed with tinynn Tensor arithmetic on
     ``ctx.saved_tensors`` (not NumPy), so that backward is itself differentiable: the grader also
     checks the second derivative.
  4. ``Tanh.forward`` and ``Tanh.backward``: the same pattern, with ``np.tanh`` and 1 - y^2.
  5. ``ReLU.forward`` and ``ReLU.backward``: forward with NumPy (``np.maximum(x, 0)`` keeps the
     dtype), saving the mask (x > 0) as a Tensor of x's dtype; backward multiplies grad by it.

This is how tinynn's own ops are built (tinynn/autograd/function.py); the library's versions are
``tinynn.sigmoid``, ``tinynn.tanh`` and ``tinynn.relu`` in tinynn/ops/activation.py, and the grader
compares with them. Using them (or the Tensor methods ``.sigmoid()``, ``.tanh()``, ``.relu()``)
inside your code fails the check: here you write them.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.autograd import Function

LESSON = 2
FORBIDDEN = ["tinynn.sigmoid", "tinynn.tanh", "tinynn.relu", "tinynn.Tensor.sigmoid", "tinynn.Tensor.tanh",
             "tinynn.Tensor.relu", "tinynn.nn.functional.sigmoid", "tinynn.nn.functional.tanh",
             "tinynn.nn.functional.relu"]
PARTS = {"activations": ["Sigmoid", "Tanh", "ReLU"]}


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), elementwise and without overflow.  x: any shape -> same shape, dtype."""
    raise NotImplementedError("exercise 02: sigmoid")


class Sigmoid(Function):
    """y = σ(x);  dL/dx = dL/dy * y * (1 - y).  Use it as ``Sigmoid.apply(x)``."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor) -> tinynn.Tensor:
        """x: Tensor of any shape -> y = σ(x), a Tensor of the same shape and dtype."""
        raise NotImplementedError("exercise 02: Sigmoid.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/dy (y's shape) -> dL/dx = grad * y * (1 - y), with Tensor arithmetic."""
        raise NotImplementedError("exercise 02: Sigmoid.backward")


class Tanh(Function):
    """y = tanh(x);  dL/dx = dL/dy * (1 - y^2).  Use it as ``Tanh.apply(x)``."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor) -> tinynn.Tensor:
        """x: Tensor of any shape -> y = tanh(x), a Tensor of the same shape and dtype."""
        raise NotImplementedError("exercise 02: Tanh.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/dy -> dL/dx = grad * (1 - y * y), with Tensor arithmetic."""
        raise NotImplementedError("exercise 02: Tanh.backward")


class ReLU(Function):
    """y = max(x, 0);  dL/dx = dL/dy where x > 0, else 0.  Use it as ``ReLU.apply(x)``."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor) -> tinynn.Tensor:
        """x: Tensor of any shape -> y = max(x, 0), same shape and dtype; saves the mask x > 0."""
        raise NotImplementedError("exercise 02: ReLU.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/dy -> dL/dx = grad * mask, with Tensor arithmetic."""
        raise NotImplementedError("exercise 02: ReLU.backward")
