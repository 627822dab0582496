# Exercise 22, generated from tinynn/exercises/source/e22_layer_norm.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e22_layer_norm.py my_e22_layer_norm.py
#     python -m tinynn.exercises check 22 my_e22_layer_norm.py
"""Exercise 22: layer norm, forward and the closed-form backward, as a tinynn autograd Function.

Layer norm normalises each sample over its own features (the last dimension), so unlike batch norm
it needs no batch statistics and behaves the same in training and evaluation. For one row x of D
features:

    mu   = mean(x)                           = (1/D) sum_j x_j
    var  = mean((x - mu)^2)                  (the biased variance: divide by D, not D - 1)
    rstd = 1 / sqrt(var + eps)               (eps inside the square root keeps a constant row finite)
    xhat = (x - mu) * rstd                   each row now has mean 0 and variance ~1
    y    = xhat * weight + bias              weight, bias: (D,), a learned scale and shift per feature

Shapes: x (*, D), any number of leading dimensions (a batch (N, D), a sequence batch (N, L, D),
a single row (D,)); weight and bias (D,); y like x. Every row is normalised on its own.

Backward gets G = dL/dy (shaped like x). The scale and shift are the easy part; they are shared by
all rows, so their gradients sum over every leading dimension:

    dL/dbias   = sum over rows of G                 (D,)
    dL/dweight = sum over rows of G * xhat          (D,)

For x, write g = G * weight (the gradient reaching xhat). Each xhat_j depends on every x_k of its
row through mu and rstd, and working the chain rule through both gives, per row,

    dL/dx = rstd * (g - mean(g) - xhat * mean(g * xhat))          (means over the last dimension)

The three terms: g flows straight through the scaling; "- mean(g)" is what flows back through mu;
"- xhat * mean(g * xhat)" is what flows back through the variance. Dropping either of the last two
(treating mu or rstd as constants) is the classic mistake; the grader's hint names it.

Worked example (weight 1, bias 0, eps 0): x = [1, 3] gives mu = 2, var = 1, xhat = [-1, 1]. With
G = [1, 0]: g = [1, 0], mean(g) = 0.5, mean(g * xhat) = -0.5, so
dL/dx = [1 - 0.5 - (-1)(-0.5), 0 - 0.5 - (1)(-0.5)] = [0, 0]. Right: y = xhat = [-1, 1] for every
x = [a, a + 2s] with s > 0, so no small change of x moves y, and the gradient must vanish.

You write:
  1. ``LayerNormFunction.forward(ctx, x, weight, bias, eps)``: Tensors x, weight, bias and a float
     eps in, y out. Use tinynn Tensor operations (``x.mean(dim=-1, keepdim=True)``, ``-``, ``*``,
     ``.sqrt()``); save what backward needs (xhat, rstd, weight) with ``ctx.save_for_backward``.
  2. ``LayerNormFunction.backward(ctx, grad)``: return ``(dL/dx, dL/dweight, dL/dbias, None)``
     (None for eps, which has no gradient), using the closed form above with Tensor operations. To
     sum over all leading dimensions, reshape to (rows, D) first: ``t.reshape(-1, D).sum(0)``.

The grader checks the values against ``tinynn.nn.functional.layer_norm``, each gradient against
float64 finite differences (a batch, a sequence batch, one row, one feature, a constant row, a
large eps), and the gradients against the library's.
"""
from __future__ import annotations

import tinynn
from tinynn.autograd import Function

LESSON = 13
FORBIDDEN = ["tinynn.nn.functional.layer_norm", "tinynn.nn.LayerNorm",
             "tinynn.kernels.layer_norm.layer_norm_forward", "tinynn.kernels.layer_norm.layer_norm_backward"]
PARTS = {"layer_norm": "LayerNormFunction"}


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last dimension.

    x: (*, D), weight: (D,), bias: (D,), eps: float -> y: (*, D).
    """

    @staticmethod
    def forward(ctx, x: tinynn.Tensor, weight: tinynn.Tensor, bias: tinynn.Tensor, eps: float = 1e-5) -> tinynn.Tensor:
        """Normalise each row of x over its D features, then scale by weight and shift by bias."""
        raise NotImplementedError("exercise 22: LayerNormFunction.forward")

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor):
        """grad = dL/dy: (*, D) -> (dL/dx: (*, D), dL/dweight: (D,), dL/dbias: (D,), None for eps)."""
        raise NotImplementedError("exercise 22: LayerNormFunction.backward")
