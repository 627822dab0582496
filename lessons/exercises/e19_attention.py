# Exercise 19, generated from tinynn/exercises/source/e19_attention.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e19_attention.py my_e19_attention.py
#     python -m tinynn.exercises check 19 my_e19_attention.py
"""Exercise 19: scaled dot-product and additive attention, with masks, written with tinynn Tensor operations.

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

**Additive attention** (Bahdanau et al., 2015, the first attention, in an RNN translator) scores
each query-key pair with a small one-hidden-layer network instead of a dot product:

    hidden[..., i, j, :] = tanh(q[..., i, :] W_q^T + k[..., j, :] W_k^T)          (..., L, S, A)
    scores[..., i, j]    = hidden[..., i, j, :] . w                                 (..., L, S)
    q: (..., L, Eq)   k: (..., S, Ek)   W_q: (A, Eq)   W_k: (A, Ek)   w: (A,)

Queries and keys may have different sizes Eq and Ek (a decoder state against encoder states); both
are projected to the attention size A. Project each query and each key ONCE (q W_q^T: (..., L, A),
k W_k^T: (..., S, A)), then form all L*S sums by broadcasting: insert a dimension of size 1 with
``.unsqueeze`` so that (..., L, 1, A) + (..., 1, S, A) -> (..., L, S, A). The masks and the softmax
over the keys are exactly as above; no 1/sqrt(E) scale (tanh keeps the hidden units in (-1, 1)).

You write ``causal_mask``, ``attention_weights``, ``scaled_dot_product_attention``,
``additive_scores`` and ``additive_attention`` with tinynn Tensor operations (``@``, ``.transpose``,
``.masked_fill``, ``.softmax``, ``.tril``, ``.unsqueeze``, ``.tanh``), so that autograd gives the
gradients: the grader checks them against finite differences (for q, k, v, and for the additive
weights), and compares with the library's ``tinynn.nn.functional.scaled_dot_product_attention``
(tinynn/nn/functional/attention.py), which your code may not call.
"""
from __future__ import annotations

import math

import tinynn

LESSON = 12
FORBIDDEN = ["tinynn.nn.functional.scaled_dot_product_attention", "tinynn.nn.functional.multi_head_attention_forward",
             "tinynn.nn.MultiheadAttention", "tinynn.nn.functional.attention.causal_mask"]
PARTS = {"attention": ["scaled_dot_product_attention", "causal_mask"]}


def causal_mask(L: int, S: int) -> tinynn.Tensor:
    """A bool (L, S) Tensor, True where key j may be seen by query i: j <= i."""
    raise NotImplementedError("exercise 19: causal_mask")


def attention_weights(q: tinynn.Tensor, k: tinynn.Tensor, mask: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """softmax(q k^T / sqrt(E) with -inf where mask is False).  q: (..., L, E), k: (..., S, E) -> (..., L, S)."""
    raise NotImplementedError("exercise 19: attention_weights")


def scaled_dot_product_attention(q: tinynn.Tensor, k: tinynn.Tensor, v: tinynn.Tensor,
                                 mask: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """weights(q, k, mask) @ v.  q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> (..., L, Ev)."""
    raise NotImplementedError("exercise 19: scaled_dot_product_attention")


def additive_scores(q: tinynn.Tensor, k: tinynn.Tensor, weight_q: tinynn.Tensor, weight_k: tinynn.Tensor,
                    w: tinynn.Tensor) -> tinynn.Tensor:
    """tanh(q W_q^T + k W_k^T) . w for every (query, key) pair.

    q: (..., L, Eq), k: (..., S, Ek), weight_q: (A, Eq), weight_k: (A, Ek), w: (A,) -> scores: (..., L, S).
    """
    raise NotImplementedError("exercise 19: additive_scores")


def additive_attention(q: tinynn.Tensor, k: tinynn.Tensor, v: tinynn.Tensor, weight_q: tinynn.Tensor,
                       weight_k: tinynn.Tensor, w: tinynn.Tensor, mask: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """softmax(additive_scores, -inf where mask is False, over the keys) @ v.  v: (..., S, Ev) -> (..., L, Ev)."""
    raise NotImplementedError("exercise 19: additive_attention")
