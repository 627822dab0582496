"""Exercise 20: multi-head attention: project, split into heads, attend, merge, project.

One attention (exercise 19) gives each query one weighted average of the values: one way of
looking at the sequence. Multi-head attention runs h attentions side by side, each on its own
slice of d = E / h features, so different heads can look for different things (the previous token,
a matching bracket, the subject of the sentence) at the cost of one.

    Q = query W_q^T + b_q      K = key W_k^T + b_k      V = value W_v^T + b_v        (N, len, E)
    split each into heads:     (N, L, E) -> (N, h, L, d)       head j owns features j*d ... (j+1)*d - 1
    O_j = attention(Q_j, K_j, V_j, mask)                        all heads at once: (N, h, L, d)
    merge the heads:           (N, h, L, d) -> (N, L, E)       head j's output back in features j*d ...
    out = merged W_o^T + b_o                                    (N, L, E)

Shapes: query (N, L, E), key and value (N, S, E) (S = L for self-attention, where all three are
the same x); the four weights (E, E) and biases (E,) (None: no bias). E must divide by h.

Splitting is a reshape and a transpose, in that order: reshape (N, L, E) -> (N, L, h, d) cuts each
token's E features into h groups of d, then ``transpose(1, 2)`` gives (N, h, L, d), so that the
last two dimensions are (tokens, features of one head) as attention expects. Reshaping straight to
(N, h, L, d) gives the right shape and the wrong numbers: it would deal out whole tokens to heads.
Merging undoes it: ``transpose(1, 2)`` back to (N, L, h, d), then reshape to (N, L, E).

Example, N = 1, L = 2, E = 4, h = 2 (d = 2), tokens [a0 a1 a2 a3] and [b0 b1 b2 b3]:
head 0 gets [[a0 a1], [b0 b1]] and head 1 gets [[a2 a3], [b2 b3]].

Each head scales its scores by 1 / sqrt(d), the head width (the attention function does this from
the last dimension of what it is given). Masks follow exercise 19: bool, True = may attend,
broadcastable to (N, h, L, S): (L, S) for a causal mask, (N, 1, 1, S) to hide padded keys.

The attention itself comes from exercise 19: call ``scaled_dot_product_attention(q, k, v, mask)``,
the module-level name imported below, once, on all heads at once. In this file it is tinynn's
(which has exercise 19's mask convention); in the milestones your own exercise-19 function takes
its place, so do not write the softmax again here. ``project`` (given) is y = x W^T + b.

You write ``split_heads``, ``merge_heads`` and ``multi_head_attention`` with tinynn Tensor
operations (``reshape``, ``transpose``, ``@``), so that autograd gives the gradients. The grader
checks them against ``tinynn.nn.functional.multi_head_attention_forward`` given the same weights
(self- and cross-attention, causal and padding masks, one head, head width 1, no biases), every
gradient against finite differences, and that your attention goes through
``scaled_dot_product_attention``.
"""
from __future__ import annotations

import tinynn
from tinynn.nn.functional import scaled_dot_product_attention   # exercise 19's; the milestones put yours here

LESSON = 13
FORBIDDEN = ["tinynn.nn.functional.multi_head_attention_forward", "tinynn.nn.MultiheadAttention"]
PARTS = {"multihead_attention": "multi_head_attention"}


def project(x: tinynn.Tensor, weight: tinynn.Tensor, bias: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """y = x W^T + b (given).  x: (..., E_in), weight: (E_out, E_in), bias: (E_out,) or None -> (..., E_out)."""
    y = x @ weight.T
    return y if bias is None else y + bias


def split_heads(x: tinynn.Tensor, num_heads: int) -> tinynn.Tensor:
    """(N, L, E) -> (N, num_heads, L, E // num_heads): head j takes features j*d ... (j+1)*d - 1 of every token."""
    # >>> solution
    n, length, e = x.shape
    return x.reshape(n, length, num_heads, e // num_heads).transpose(1, 2)
    # <<< solution


def merge_heads(x: tinynn.Tensor) -> tinynn.Tensor:
    """(N, h, L, d) -> (N, L, h * d): the inverse of split_heads."""
    # >>> solution
    n, heads, length, d = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * d)
    # <<< solution


def multi_head_attention(query: tinynn.Tensor, key: tinynn.Tensor, value: tinynn.Tensor,
                         weight_q: tinynn.Tensor, weight_k: tinynn.Tensor, weight_v: tinynn.Tensor,
                         weight_o: tinynn.Tensor, num_heads: int, mask: tinynn.Tensor | None = None,
                         bias_q: tinynn.Tensor | None = None, bias_k: tinynn.Tensor | None = None,
                         bias_v: tinynn.Tensor | None = None, bias_o: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """Multi-head attention.  query: (N, L, E), key, value: (N, S, E), weights (E, E) -> (N, L, E).

    mask: bool, True = may attend, broadcastable to (N, num_heads, L, S), or None.
    """
    # >>> solution
    q = split_heads(project(query, weight_q, bias_q), num_heads)   # (N, h, L, d)
    k = split_heads(project(key, weight_k, bias_k), num_heads)     # (N, h, S, d)
    v = split_heads(project(value, weight_v, bias_v), num_heads)   # (N, h, S, d)
    heads = scaled_dot_product_attention(q, k, v, mask)           # (N, h, L, d)
    return project(merge_heads(heads), weight_o, bias_o)
    # <<< solution
