"""Exercise 01: your first operations, Mul, Exp and Sum, each a forward and a backward.

An autograd engine is built from operations that each know two things:

    forward:   the inputs -> the output                 (and what backward will need, saved)
    backward:  dL/d(output) -> dL/d(each input)         (the chain rule, for this one op)

L is whatever scalar the graph ends in (a loss). backward never needs to know what L is: it gets
``grad`` = dL/d(output), shaped like the output, and multiplies it by the op's own derivative.

In tinynn (as in PyTorch) an operation is a subclass of ``tinynn.autograd.Function`` with two
static methods, and is used through ``apply``, which runs forward and records the graph:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x): ...        # Tensors in, a Tensor out; ctx: a notebook for backward
        @staticmethod
        def backward(ctx, grad): ...    # grad = dL/dy (y's shape) -> dL/dx (x's shape)

    y = Exp.apply(x)                    # y.grad_fn is the node backward will be called on

The three operations and their derivatives, element by element:

    Mul   z = x * y           dz/dx = y,   dz/dy = x     ->  dL/dx = grad * y,  dL/dy = grad * x
    Exp   y = exp(x)          dy/dx = exp(x) = y        ->  dL/dx = grad * y
    Sum   s = sum of x over ``dim`` (every element when dim is None; ``keepdim`` as in PyTorch)
                              ds/dx = 1 for each element summed into s
                                                        ->  dL/dx = grad, copied back over x's shape

These are the operations of lesson 1's neuron: its pre-activation is z = Sum(Mul(w, x)) + b, and
its sigmoid is 1 / (1 + Exp(-z)).

Exp's derivative is its own output: save y in forward, and backward needs no second exp.

Sum, worked example: x: (2, 3), dim=1, so s = [x00 + x01 + x02, x10 + x11 + x12]: (2,). Then
grad = [g0, g1]: (2,), and every element of row 0 got g0, every element of row 1 got g1:

    dL/dx = [[g0, g0, g0],
             [g1, g1, g1]]      = grad.reshape(2, 1).expand(2, 3)

Put a 1 where the summed dim was (keepdim=True already did), then ``expand`` to x's shape. With
dim=None, s is a 0-d scalar and every element of x gets the same number.

How to write them:
  - forward: compute on NumPy arrays, ``a = x.detach().numpy()``, then ``np.exp``, ``np.sum``,
    ``*``, and return ``tinynn.tensor(result)`` (it keeps the dtype: float32 stays float32).
    Save what backward needs: Tensors with ``ctx.save_for_backward(...)`` (read them back from
    ``ctx.saved_tensors``), anything else as an attribute (``ctx.dim = dim``).
  - backward: use Tensor operations (``grad * y``, ``grad.reshape(...)``, ``.expand(...)``), not
    NumPy, so that backward is itself differentiable (the grader takes a second derivative).
    Return one gradient per Tensor input: Mul returns a pair, Exp and Sum one Tensor.

Mul's x and y have the same shape here. (If they are broadcast, backward still returns gradients
shaped like z; summing them back to each input's shape is the engine's job: exercise 04.)

The grader checks values, each gradient against finite differences in float64, a second
derivative, float32, sums over each dim and over an empty batch, and Sum(Exp(Mul(x, w))) against
tinynn's own ops (tinynn/ops/). You may not call ``tinynn.exp`` or ``tinynn.sum`` (or the Tensor
methods): write them.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.autograd import Function

LESSON = 1
FORBIDDEN = ["tinynn.exp", "tinynn.Tensor.exp", "tinynn.sum", "tinynn.Tensor.sum"]


class Mul(Function):
    """z = x * y elementwise.  x, y: Tensors of one shape -> z: that shape."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor, y: tinynn.Tensor) -> tinynn.Tensor:
        """z = x * y, computed on the arrays; save x and y for backward."""
        # >>> solution
        ctx.save_for_backward(x, y)
        return tinynn.tensor(x.detach().numpy() * y.detach().numpy())
        # <<< solution

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tuple:
        """grad = dL/dz -> (dL/dx, dL/dy) = (grad * y, grad * x)."""
        # >>> solution
        x, y = ctx.saved_tensors
        return grad * y, grad * x
        # <<< solution


class Exp(Function):
    """y = exp(x) elementwise.  x: any shape -> y: the same shape."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor) -> tinynn.Tensor:
        """y = exp(x), computed on the array; save the output y (it is the derivative)."""
        # >>> solution
        y = tinynn.tensor(np.exp(x.detach().numpy()))
        ctx.save_for_backward(y)
        return y
        # <<< solution

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/dy -> dL/dx = grad * y."""
        # >>> solution
        (y,) = ctx.saved_tensors
        return grad * y
        # <<< solution


class Sum(Function):
    """s = x summed over ``dim`` (an int, or None for every element), keeping it as size 1 if ``keepdim``."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor, dim: int | None = None, keepdim: bool = False) -> tinynn.Tensor:
        """x: any shape -> s: x's shape without ``dim`` (or with a 1 there if keepdim; 0-d if dim is None)."""
        # >>> solution
        ctx.shape, ctx.dim = x.shape, dim
        return tinynn.tensor(np.sum(x.detach().numpy(), axis=dim, keepdims=keepdim))
        # <<< solution

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor) -> tinynn.Tensor:
        """grad = dL/ds (s's shape) -> dL/dx: grad copied along the summed dim(s), x's shape."""
        # >>> solution
        if ctx.dim is None:
            kept = [1] * len(ctx.shape)         # every dim was summed
        else:
            kept = list(ctx.shape)
            kept[ctx.dim] = 1                   # a negative dim indexes from the end, like the shape
        return grad.reshape(tuple(kept)).expand(tuple(ctx.shape))
        # <<< solution
