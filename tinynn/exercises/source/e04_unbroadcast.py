"""Exercise 04: unbroadcast, summing a broadcast gradient back to its input's shape.

Broadcasting lets ``x + b`` add a bias b: (4,) to every row of x: (3, 4). NumPy (and tinynn)
line the shapes up from the right and stretch every dim of size 1, and every missing leading
dim, to match:

    x: (3, 4)    b: (4,)  ->  b is used as if it were (3, 4), each row a copy of b

So each element b[j] is used 3 times, once per row, and by the chain rule its gradient is the sum
of the gradients of all its copies:

    dL/db[j] = sum_i dL/dz[i, j]            z = x + b,   G = dL/dz: (3, 4)  ->  dL/db: (4,)

An op's backward does not know this: for z = x + b it returns G for both inputs, shaped like z.
The engine fixes the shape once, for every op: ``unbroadcast(G, b.shape)`` sums G over every dim
that broadcasting created or stretched. In general, for an input of ``shape``:

  1. a leading dim that ``shape`` does not have (grad has more dims): sum it away;
  2. a dim where ``shape`` has 1 but grad has more: sum it, keeping it as size 1 (keepdims).

Worked examples (grad's shape -> shape):

    (3, 4) -> (4,)     sum over dim 0                            rule 1
    (3, 4) -> (1, 4)   sum over dim 0, keepdims                  rule 2
    (3, 4) -> (3, 1)   sum over dim 1, keepdims                  rule 2
    (2, 3, 4) -> (3, 1)  sum over dim 0 (rule 1), then over the last dim, keepdims (rule 2)
    (3, 4) -> ()       sum everything: a 0-d array
    (1, 4) -> (4,)     rule 1 even though the dim has size 1: the result must have shape (4,)

Why a sum and not a mean: L depends on b[j] through each of its 3 copies, and the derivative of a
sum of paths is the sum of the derivatives along them. Finite differences agree: nudge b[j] by eps
and all 3 copies move, so L moves by eps times the sum (the grader checks exactly this).

You write ``unbroadcast(grad, shape)``: NumPy array in, array of ``shape`` out (an np.ndarray,
also when ``shape`` is (); same dtype as grad; leave grad unchanged). If ``shape`` cannot have been
broadcast to grad's shape (more dims than grad, or a dim that is neither 1 nor grad's size), raise
a ValueError that says so. ``grad.sum(axis=..., keepdims=...)`` does all the work; ``np.asarray``
turns a 0-d result into an array. You may not use the library's ``tinynn.ops.shape.sum_to_shape``
(the engine's own version, in tinynn/ops/shape.py).
"""
from __future__ import annotations

import numpy as np

LESSON = 4
FORBIDDEN = ["tinynn.ops.shape.sum_to_shape", "tinynn.autograd.unbroadcast.sum_to_shape", "tinynn.Tensor.sum_to_size",
             "tinynn.ops.shape.sum_to_size"]
PARTS = {"unbroadcast": "unbroadcast"}


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the dims broadcasting added or stretched.  grad: any shape -> ``shape``."""
    # >>> solution
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"unbroadcast: shape {shape} has more dims than the gradient {grad.shape}")
    summed = grad.sum(axis=tuple(range(extra)))             # rule 1: the leading dims broadcasting added
    for axis, size in enumerate(shape):
        if size == 1 and summed.shape[axis] != 1:
            summed = summed.sum(axis=axis, keepdims=True)   # rule 2: a dim stretched from 1
        elif size != summed.shape[axis]:
            raise ValueError(f"unbroadcast: shape {shape} does not broadcast to the gradient's shape {grad.shape}")
    return np.asarray(summed)
    # <<< solution
