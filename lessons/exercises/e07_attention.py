# Exercise 07, generated from tinynn/exercises/source/e07_attention.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e07_attention.py my_e07_attention.py
#     python -m tinynn.exercises check 07 my_e07_attention.py
"""Exercise 07: scaled dot-product attention, with masks, written with tinynn Tensor operations.

Each of L queries looks at S keys, scores them by a dot product, and takes the softmax-weighted
average of the S values:

    scores  = q k^T / sqrt(E)            q: (..., L, E)   k: (..., S, E)    scores: (..., L, S)
    weights = softmax(scores, dim=-1)    each query's row of weights over the S keys sums to 1
    out     = weights v                  v: (..., S, Ev)                    out: (..., L, Ev)

The leading dimensions "..." (batch, heads) ride along: ``@`` multiplies the last two dimensions
batch by batch, and ``k.transpose(-2, -1)`` (or ``k.mT``) transposes only those two.

Why divide by sqrt(E): if the entries of q and k are independent with variance 1, the dot product
of two E-vectors has variance E. Large scores push softmax into saturation (one weight near 1, the
rest near 0) where its gradient vanishes; dividing by sqrt(E) keeps the variance at 1.

Masks (PyTorch's convention for ``F.scaled_dot_product_attention``): a bool tensor broadcastable to
(..., L, S), **True = this query may attend to this key**. A forbidden pair gets the score -inf
before the softmax, so exp(-inf) = 0 gives it weight exactly 0 and the other weights still sum to 1
(``scores.masked_fill(~mask, float("-inf"))``). The causal mask lets query i see keys j <= i only:
the lower triangle, diagonal included. (Every query here can see at least one key; a row of -inf
only would give 0/0 = NaN.)

You write ``causal_mask``, ``attention_weights`` and ``scaled_dot_product_attention`` with tinynn
Tensor operations (``@``, ``.transpose``, ``.masked_fill``, ``.softmax``, ``.tril``), so that
autograd gives the gradients: the grader checks them for q, k and v against finite differences,
and compares with the library's ``tinynn.nn.functional.scaled_dot_product_attention``
(tinynn/nn/functional/attention.py).
"""
from __future__ import annotations

import math

import tinynn


def causal_mask(L: int, S: int) -> tinynn.Tensor:
    """A bool (L, S) Tensor, True where key j may be seen by query i: j <= i."""
    raise NotImplementedError("exercise 07: causal_mask")


def attention_weights(q: tinynn.Tensor, k: tinynn.Tensor, mask: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """softmax(q k^T / sqrt(E) with -inf where mask is False).  q: (..., L, E), k: (..., S, E) -> (..., L, S)."""
    raise NotImplementedError("exercise 07: attention_weights")


def scaled_dot_product_attention(q: tinynn.Tensor, k: tinynn.Tensor, v: tinynn.Tensor,
                                 mask: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """weights(q, k, mask) @ v.  q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> (..., L, Ev)."""
    raise NotImplementedError("exercise 07: scaled_dot_product_attention")
