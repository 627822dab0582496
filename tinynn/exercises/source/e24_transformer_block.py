"""Exercise 24: a transformer block: causal self-attention and an MLP, each on a residual stream.

GPT-2's block (Radford et al. 2019; lesson 15) is "pre-norm". x: (N, L, E) holds one vector per
token, the residual stream; each sublayer reads a normalised copy of it and ADDS its result:

    x = x + attn(ln_1(x))            tokens exchange information (token t looks at tokens <= t)
    x = x + mlp(ln_2(x))             each token is processed on its own

The stream itself is never normalised inside the block, so the identity path runs untouched from
the last block to the first: dL/dx gets the upstream gradient itself plus the sublayers' parts,
which is why deep pre-norm stacks train easily. (A pre-norm model puts one more layer norm after its
last block; that is not part of the block.) The original Transformer (Vaswani et al. 2017) and BERT
are "post-norm": they normalise the stream after each addition,

    x = ln_1(x + attn(x)),           x = ln_2(x + mlp(x))          (``norm_first=False``)

**Attention.** One Linear makes queries, keys and values together, then the heads are split off:

    qkv = x W_attn^T + b_attn                (N, L, 3E); q, k, v = its features [0:E], [E:2E], [2E:3E]
    q -> (N, h, L, d), d = E / h             reshape (N, L, h, d) then transpose(1, 2), as in exercise 20
    heads = scaled_dot_product_attention(q, k, v, mask)     mask (L, L) bool, True on and below the diagonal
    attn(x) = merge(heads) W_proj^T + b_proj                merge: transpose(1, 2), reshape (N, L, E)

Use the module-level ``scaled_dot_product_attention`` imported below (tinynn's here, exercise 19's
mask convention: True = may attend; the milestones put yours in its place), once, on all heads.

**MLP.** mlp(x) = gelu(x W_fc^T + b_fc) W_proj^T + b_proj, widening E to 4E and back, with the exact
GELU x Phi(x) (``gelu`` below; Phi is the normal CDF). It acts on the last dimension only, so it
works for any leading dimensions.

**Parameters.** ``params`` is a dict of Tensors under nanoGPT's names, so that
``dict(block.named_parameters())`` of a ``tinynn.models.gpt.Block`` can be passed as it is:

    ln_1.weight, ln_1.bias (E,)          attn.c_attn.weight (3E, E), attn.c_attn.bias (3E,)
    ln_2.weight, ln_2.bias (E,)          attn.c_proj.weight (E, E),  attn.c_proj.bias (E,)
    mlp.c_fc.weight (H, E), mlp.c_fc.bias (H,)      mlp.c_proj.weight (E, H), mlp.c_proj.bias (E,)

Layer norm is ``layer_norm(x, E, weight, bias)`` (eps 1e-5) over the last dimension. A block has
12E^2 + 13E parameters when H = 4E: 4E^2 + 4E in attention, 8E^2 + 5E in the MLP, 4E in the two
norms; GPT-2 small (E = 768) has 7,087,872 in each of its 12 blocks.

You write ``causal_self_attention``, ``mlp`` and ``transformer_block`` with tinynn Tensor operations
(``project`` below, ``split``, ``reshape``, ``transpose``, ``+``), so autograd gives the gradients. The
grader compares them with ``tinynn.models.gpt``'s CausalSelfAttention, MLP and Block (pre-norm) and
``tinynn.nn.TransformerEncoderLayer`` (both orders, causal mask) given the same weights, and checks
the gradients of the input and of every parameter against finite differences (float64): one head,
one token, a batch of one.
"""
from __future__ import annotations

import tinynn
from tinynn.nn.functional import gelu, layer_norm
from tinynn.nn.functional import scaled_dot_product_attention   # exercise 19's; the milestones put yours here

LESSON = 15
FORBIDDEN = ["tinynn.nn.TransformerEncoderLayer", "tinynn.nn.TransformerDecoderLayer", "tinynn.nn.MultiheadAttention",
             "tinynn.nn.functional.multi_head_attention_forward", "tinynn.models.gpt.Block",
             "tinynn.models.gpt.CausalSelfAttention", "tinynn.models.gpt.MLP", "tinynn.models.Block",
             "tinynn.models.CausalSelfAttention", "tinynn.models.MLP"]


def project(x: tinynn.Tensor, weight: tinynn.Tensor, bias: tinynn.Tensor | None = None) -> tinynn.Tensor:
    """y = x W^T + b (given).  x: (..., E_in), weight: (E_out, E_in), bias: (E_out,) or None -> (..., E_out)."""
    y = x @ weight.T
    return y if bias is None else y + bias


def causal_self_attention(x: tinynn.Tensor, c_attn_weight: tinynn.Tensor, c_attn_bias: tinynn.Tensor,
                          c_proj_weight: tinynn.Tensor, c_proj_bias: tinynn.Tensor, num_heads: int) -> tinynn.Tensor:
    """Multi-head causal self-attention with one fused q, k, v projection.  x: (N, L, E) -> (N, L, E)."""
    # >>> solution
    n, length, e = x.shape
    q, k, v = project(x, c_attn_weight, c_attn_bias).split(e, dim=-1)        # each (N, L, E)
    q, k, v = (t.reshape(n, length, num_heads, e // num_heads).transpose(1, 2) for t in (q, k, v))
    mask = tinynn.ones(length, length, dtype=tinynn.bool).tril()           # token t sees tokens <= t
    heads = scaled_dot_product_attention(q, k, v, mask)                    # (N, h, L, d)
    return project(heads.transpose(1, 2).reshape(n, length, e), c_proj_weight, c_proj_bias)
    # <<< solution


def mlp(x: tinynn.Tensor, c_fc_weight: tinynn.Tensor, c_fc_bias: tinynn.Tensor, c_proj_weight: tinynn.Tensor,
        c_proj_bias: tinynn.Tensor) -> tinynn.Tensor:
    """gelu(x W_fc^T + b_fc) W_proj^T + b_proj.  x: (..., E), W_fc: (H, E), W_proj: (E, H) -> (..., E)."""
    # >>> solution
    return project(gelu(project(x, c_fc_weight, c_fc_bias)), c_proj_weight, c_proj_bias)
    # <<< solution


def transformer_block(x: tinynn.Tensor, params: dict, num_heads: int, norm_first: bool = True) -> tinynn.Tensor:
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)) (pre-norm); ln(x + sublayer(x)) when not norm_first.  (N, L, E)."""
    # >>> solution
    e = x.shape[-1]

    def ln(y, name):
        return layer_norm(y, e, params[name + ".weight"], params[name + ".bias"])

    def attn(y):
        return causal_self_attention(y, params["attn.c_attn.weight"], params["attn.c_attn.bias"],
                                     params["attn.c_proj.weight"], params["attn.c_proj.bias"], num_heads)

    def feed_forward(y):
        return mlp(y, params["mlp.c_fc.weight"], params["mlp.c_fc.bias"], params["mlp.c_proj.weight"],
                   params["mlp.c_proj.bias"])

    if norm_first:
        x = x + attn(ln(x, "ln_1"))
        return x + feed_forward(ln(x, "ln_2"))
    x = ln(x + attn(x), "ln_1")
    return ln(x + feed_forward(x), "ln_2")
    # <<< solution
