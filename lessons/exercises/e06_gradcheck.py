# Exercise 06, generated from tinynn/exercises/source/e06_gradcheck.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e06_gradcheck.py my_e06_gradcheck.py
#     python -m tinynn.exercises check 06 my_e06_gradcheck.py
"""Exercise 06: gradient checking, central differences against backward, reporting the worst element.

How do you know a backward is right? Compare it with the definition of the derivative. For a
scalar function f of an input x, nudge one element x_j by eps both ways:

    df/dx_j  ~  (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)          (e_j: 1 at j, 0 elsewhere)

This central difference is off by about eps^2 * f''' / 6; the one-sided (f(x + eps e_j) - f(x)) / eps
is off by about eps * f'' / 2, a million times more for eps = 1e-6. Too small an eps is bad too:
f is only known to about 1e-16 * |f| (float64 rounding), and dividing by 2 eps magnifies that to
1e-16 |f| / eps. eps = 1e-6 balances the two, in float64; in float32 (rounding 1e-7) nothing does,
which is why gradient checks run in float64.

Worked example: f(x) = x^3 at x = 2, eps = 1e-3: (2.001^3 - 1.999^3) / 0.002 = 12.000001, and the
derivative 3 x^2 is 12. The one-sided (2.001^3 - 8) / 0.001 = 12.006001.

1. ``numerical_gradient(f, inputs, index, eps=1e-6)``: ``f`` takes the Tensors ``inputs`` (a
   list) and returns a one-element Tensor (a loss). Return df/d(inputs[index]) as a float64 NumPy
   array of that input's shape, one element at a time (``np.ndindex(shape)`` visits every index).
   For each element, call f twice on a copy of ``inputs`` where inputs[index] is replaced by
   ``tinynn.tensor(a float64 array)`` with that element moved by +eps, then -eps; ``.item()``
   reads the number f returned. Run it under ``tinynn.no_grad()`` (no graph is needed), and leave
   ``inputs`` exactly as they were.
2. ``gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)``: for every input that requires grad,
   the analytical gradient (backward's: ``tinynn.autograd.grad(f(*inputs), those inputs,
   allow_unused=True)`` returns them without touching any .grad; None means 0, for an input f
   does not use) against your numerical one. An element passes when

       |analytical - numerical| <= atol + rtol * |numerical|

   Return True when every element of every input passes. Otherwise print ONE line naming the worst
   element (the largest |analytical - numerical| among the elements that fail), e.g.

       gradcheck failed: input 1, element (1, 2): analytical 0.5, numerical 1.5, difference 1

   and return False. (``np.unravel_index`` gives the element of a flat position; make it a tuple of
   ints, ``tuple(int(k) for k in index)``, or NumPy 2 prints np.int64(1).)

To check an operation whose output is not a scalar, check f(x) = sum(u * op(x)) with a random u:
with u all ones, a gradient that is transposed or has two elements swapped could pass.

The grader runs your numerical_gradient on functions whose derivative it knows, and your gradcheck
on correct operations and on broken ones (a missing factor 2, one wrong element, a missing
gradient, an error just inside or just outside the tolerance). You may not call tinynn's own
``tinynn.autograd.gradcheck`` (tinynn/autograd/gradcheck.py, which does what this exercise asks).
"""
from __future__ import annotations

import numpy as np

import tinynn

LESSON = 4
FORBIDDEN = ["tinynn.autograd.gradcheck", "tinynn.autograd.gradgradcheck", "tinynn.autograd.gradcheck.gradcheck",
             "tinynn.autograd.gradcheck.gradgradcheck"]
PARTS = {"gradcheck": ["numerical_gradient", "gradcheck"]}


def numerical_gradient(f, inputs: list, index: int, eps: float = 1e-6) -> np.ndarray:
    """df/d(inputs[index]) by central differences: float64, inputs[index]'s shape.  f: Tensors -> one-element Tensor."""
    raise NotImplementedError("exercise 06: numerical_gradient")


def gradcheck(f, inputs: list, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """True if backward's gradient of f matches the numerical one for every input that requires grad."""
    raise NotImplementedError("exercise 06: gradcheck")
