# Exercise 12, generated from tinynn/exercises/source/e12_dropout.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e12_dropout.py my_e12_dropout.py
#     python -m tinynn.exercises check 12 my_e12_dropout.py
"""Exercise 12: inverted dropout.

Dropout (Srivastava et al., 2014) fights overfitting by switching off a random fraction p of the
units at every training step: no unit can rely on a particular other unit being there, so the
network learns redundant features, rather like training a large ensemble of thinned networks that
share their weights.

While training, each element of x is kept with probability 1 - p and zeroed with probability p,
independently, with a fresh random mask at every call:

    keep_i ~ Bernoulli(1 - p)            (1 = kept, 0 = dropped)
    y_i    = x_i * keep_i / (1 - p)

The division is what makes it *inverted* dropout: the expected value is unchanged,

    E[y_i] = (1 - p) * x_i / (1 - p) + p * 0 = x_i,

so the next layer sees inputs of the same size in training and in evaluation, and evaluation
needs no correction at all: with ``training=False`` dropout returns x unchanged. (The original
paper scaled by 1 - p at test time instead; every framework now scales while training.)

A worked example, p = 0.5 (scale 1 / (1 - p) = 2):

    x    = [1.0, 2.0, 3.0, 4.0]
    keep = [1,   0,   0,   1  ]          drawn at random
    y    = [2.0, 0.0, 0.0, 8.0]          the mean of y is 2.5 on average, like x's

The gradient goes through the same mask: dL/dx_i = dL/dy_i * keep_i / (1 - p). A dropped unit gets
no gradient at this step. If you build y from tinynn Tensor operations (x times a constant mask
tensor), autograd does exactly that for you.

How to draw the mask: ``u = tinynn.rand(x.shape, generator=generator)`` gives uniform numbers in
[0, 1), and u >= p is True with probability 1 - p. Use the ``generator`` given (None means tinynn's
default one), so that a seeded generator repeats the same masks. Turn the boolean mask into x's
dtype (``keep.to(x.dtype)``) before multiplying, so a float32 x gives a float32 y.

Edge cases: p = 0 keeps everything (y = x); p = 1 drops everything (y = 0; don't divide by
1 - p = 0); a p outside [0, 1] is a ValueError.

You write ``dropout(x, p, training, generator)``. The grader checks the rule element by element
(0 or x / (1 - p)), the fraction kept, the mean, that masks are fresh at every call but repeat for
a seeded generator, evaluation mode, p = 0 and p = 1, and that the gradient flows only through the
kept units.
"""
from __future__ import annotations

import tinynn

LESSON = 7
FORBIDDEN = ["tinynn.nn.functional.dropout", "tinynn.nn.Dropout", "tinynn.nn.functional.dropout1d",
             "tinynn.nn.functional.dropout2d", "tinynn.nn.functional.dropout3d"]
PARTS = {"dropout": "dropout"}


def dropout(x: tinynn.Tensor, p: float = 0.5, training: bool = True, generator=None) -> tinynn.Tensor:
    """Inverted dropout: y = x * keep / (1 - p) while training (keep ~ Bernoulli(1 - p)), y = x otherwise."""
    raise NotImplementedError("exercise 12: dropout")
