"""Attention as functions: scaled dot-product attention and the multi-head attention forward.

Scaled dot-product attention (Vaswani et al. 2017)::

    scores  = q k^T * scale + mask         q: (..., L, E)  k: (..., S, E)   scores: (..., L, S)
    weights = softmax(scores, dim=-1)      each query's weights over the S keys sum to 1
    out     = dropout(weights) v           v: (..., S, Ev)                  out: (..., L, Ev)

with ``scale = 1 / sqrt(E)`` by default, so that the scores keep unit variance when q and k do.

Masks come in two dialects, exactly as in PyTorch (mind the flip):

* ``scaled_dot_product_attention``'s ``attn_mask``: bool **True = may attend**; float: added.
* ``multi_head_attention_forward``'s ``attn_mask`` and ``key_padding_mask``: bool **True = may
  NOT attend** (is masked out); float: added.

A query whose keys are all masked out has no distribution to take. PyTorch 2.x answers
differently in its two paths and tinynn copies both: ``scaled_dot_product_attention`` gives such
a row zero weights (so a zero output and zero gradient), while multi-head attention with
``need_weights=True`` runs the plain softmax and gives NaN.

The weights P = softmax(scale * q k^T + mask) are one fused op (``tinynn/ops/attention.py``):
scaling, masking and the softmax run in place on one score-sized array. ``P v`` is a plain matmul
and dropout, when asked for, goes between the two. Measured forward + backward at
(12, 4, 64, 32) float32: about 15% faster than the same math as separate graph nodes, on par
with PyTorch's CPU ``scaled_dot_product_attention``.
"""
from __future__ import annotations

import math

import numpy as np

from ...creation import ones, zeros
from ...ops import cat, matmul
from ...ops.attention import attention_weights
from ...ops.indexing import where
from ...ops.padding import pad_constant
from ...ops.rearrange import repeat_interleave
from ...tensor import Tensor
from .dropout import dropout
from .linear import linear

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]

_NEG_INF = float("-inf")


# ---------------------------------------------------------------------------- scaled dot-product
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v, PyTorch's ``F.scaled_dot_product_attention``.

    query: (..., L, E), key: (..., S, E), value: (..., S, Ev) -> (..., L, Ev); leading dims
    broadcast. ``attn_mask`` broadcasts to (..., L, S): bool True = this query may attend to this
    key; float = added to the scores (use -inf to forbid). ``is_causal`` forbids key j > query i
    (the lower-triangular, top-left aligned mask; no attn_mask with it). ``dropout_p`` drops
    attention weights (always: this function has no training flag). ``enable_gqa``: query has
    Hq heads in dim -3 and key/value H, with H dividing Hq; each key/value head serves Hq/H
    query heads (grouped-query attention).
    """
    _check_qkv(query, key, value)
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p should be between 0 and 1, got {dropout_p}")
    if enable_gqa:
        key, value = _share_kv_heads(query, key, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    if is_causal:
        attn_mask = causal_mask(query.shape[-2], key.shape[-2], query.device)
    dead_rows = None if attn_mask is None or is_causal else _rows_without_keys(attn_mask, query, key)
    weights = attention_weights(query, key, attn_mask, scale, dead_rows)  # (..., L, S)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return matmul(weights, value)


def causal_mask(L: int, S: int, device=None) -> Tensor:
    """Bool (L, S) mask, True where key j <= query i: each position sees itself and the past."""
    return ones(L, S, dtype=bool, device=device).tril()


def _check_qkv(query, key, value) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} should be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: {name} needs at least 2 dims (..., len, dim), "
                               f"got shape {tuple(t.shape)}")
    if not (query.dtype == key.dtype == value.dtype) or query.dtype.kind != "f":
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value to have the same floating "
                           f"dtype, got {query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query (..., L, E) and key (..., S, E) need the same E, "
                           f"got shapes {tuple(query.shape)} and {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key (..., S, E) and value (..., S, Ev) need the same S, "
                           f"got shapes {tuple(key.shape)} and {tuple(value.shape)}")


def _share_kv_heads(query, key, value):
    """Grouped-query attention: repeat each key/value head Hq/H times along dim -3."""
    if query.ndim < 3 or key.ndim < 3:
        raise RuntimeError("scaled_dot_product_attention: enable_gqa needs (..., heads, len, dim) inputs")
    hq, hk = query.shape[-3], key.shape[-3]
    if hk != value.shape[-3] or hq % hk:
        raise RuntimeError(f"scaled_dot_product_attention: enable_gqa needs key and value heads ({hk}, "
                           f"{value.shape[-3]}) equal and dividing the query heads ({hq})")
    return repeat_interleave(key, hq // hk, -3), repeat_interleave(value, hq // hk, -3)


def _rows_without_keys(attn_mask: Tensor, query: Tensor, key: Tensor):
    """Check the mask's shape and dtype; return the bool (..., L, 1) rows that forbid every key, or None.

    PyTorch's SDPA gives such a query zero weights (softmax of all -inf would be 0/0 = NaN).
    """
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"scaled_dot_product_attention: attn_mask should be a Tensor, got {type(attn_mask).__name__}")
    try:
        batch = _broadcast_shape(query.shape[:-2], key.shape[:-2])
        scores_shape = batch + (query.shape[-2], key.shape[-2])
        fits = _broadcast_shape(attn_mask.shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} does not "
                           f"broadcast to the attention scores' shape (..., L, S) of query {tuple(query.shape)} "
                           f"and key {tuple(key.shape)}")
    m = attn_mask._data
    if m.dtype == bool:
        dead = ~m.any(axis=-1, keepdims=True)
    elif m.dtype.kind == "f":
        dead = (m == _NEG_INF).all(axis=-1, keepdims=True)
    else:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask should be bool or floating, got {attn_mask.dtype}")
    return dead if dead.any() else None


def _broadcast_shape(a, b) -> tuple:
    return tuple(np.broadcast_shapes(tuple(a), tuple(b)))


# ---------------------------------------------------------------------------- multi-head attention
def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
    add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
    training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False,
):
    """PyTorch's functional multi-head attention, sequence-first.

    query: (L, N, E) or unbatched (L, E); key: (S, N, kdim); value: (S, N, vdim).
    key_padding_mask: (N, S) (or (S,)); attn_mask: (L, S) or (N * num_heads, L, S). Bool masks:
    True = masked out; float masks are added to the scores.

    Each head h looks at its own slice of the projections, q_h = (x W_q^T + b_q)[..., h*d:(h+1)*d]
    with d = E / num_heads, attends with scaled dot products, and the heads' outputs are joined
    and projected by ``out_proj``. Returns ``(attn_output (L, N, E), attn_weights)``, the weights
    (N, L, S) averaged over heads, or (N, num_heads, L, S), or None when ``need_weights=False``.
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise RuntimeError(f"multi_head_attention_forward: expected query's last dim {embed_dim_to_check}, "
                           f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise RuntimeError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    same = tuple(key.shape[:2]) == tuple(value.shape[:2]) if use_separate_proj_weight else key.shape == value.shape
    if not same:
        raise RuntimeError(f"multi_head_attention_forward: key shape {tuple(key.shape)} does not match value shape "
                           f"{tuple(value.shape)}")

    key_padding_mask = _additive_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("multi_head_attention_forward: is_causal is a hint that attn_mask is the causal mask, "
                           "so attn_mask is needed too (see generate_square_subsequent_mask)")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint is trusted: SDPA builds the causal mask itself
    else:
        attn_mask = _additive_mask(attn_mask, "attn_mask", query.dtype)
        is_causal = False  # merged with a padding mask, the mask is no longer purely causal

    # --- input projections: (L, N, E) -> q (L, N, E), k and v (S, N, E)
    if not use_separate_proj_weight:
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)

    if attn_mask is not None:
        attn_mask = _check_attn_mask_shape(attn_mask, tgt_len, key.shape[0], bsz * num_heads)
    if bias_k is not None and bias_v is not None:  # one learned extra key/value every query may attend to
        if static_k is not None or static_v is not None:
            raise RuntimeError("multi_head_attention_forward: bias_k/bias_v cannot be combined with static_k/static_v")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad_constant(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad_constant(key_padding_mask, (0, 1))
    elif (bias_k is None) != (bias_v is None):
        raise RuntimeError("multi_head_attention_forward: bias_k and bias_v come together")

    # --- split the heads: (len, N, E) -> (N * heads, len, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:  # one extra all-zero key/value
        k = cat([k, zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype, device=v.device)], dim=1)
        attn_mask = None if attn_mask is None else pad_constant(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad_constant(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:  # (N, S) -> (N * heads, 1, S), merged into attn_mask
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise RuntimeError(f"key_padding_mask: expected shape {(bsz, src_len)} (batch, source length), "
                               f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        # (N * heads, L, S); no dead-row handling: a fully masked row gives NaN, as in PyTorch
        weights = attention_weights(q, k, attn_mask, 1.0 / math.sqrt(head_dim))
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = matmul(weights, v)
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        weights = None
    # join the heads: (N * heads, L, d) -> (L, N, E), then the output projection
    out = out.transpose(0, 1).reshape(tgt_len, bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
    if not batched:
        out = out.squeeze(1)
    return out, weights


def _in_projection_packed(query, key, value, w, b):
    """q, k, v from the stacked (3E, E) weight [W_q; W_k; W_v]: as few matrix products as the
    inputs allow (one for self-attention, two when key is value, else three)."""
    E = query.shape[-1]
    if key is value and query is key:
        return linear(query, w, b).chunk(3, dim=-1)

    def rows(start, stop):  # the weight and bias rows of one or two of the three projections
        return w[start:stop], (None if b is None else b[start:stop])

    q = linear(query, *rows(0, E))
    if key is value:
        k, v = linear(key, *rows(E, 3 * E)).chunk(2, dim=-1)
        return q, k, v
    return q, linear(key, *rows(E, 2 * E)), linear(value, *rows(2 * E, 3 * E))


def _heads(x: Tensor, static: Tensor | None, name: str, groups: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N * heads, S, head_dim), or the given precomputed ``static`` keys/values."""
    if static is None:
        return x.reshape(x.shape[0], groups, head_dim).transpose(0, 1)
    if static.ndim != 3 or static.shape[0] != groups or static.shape[2] != head_dim:
        raise RuntimeError(f"{name}: expected shape ({groups}, S, {head_dim}), got {tuple(static.shape)}")
    return static


def _additive_mask(mask: Tensor | None, name: str, dtype) -> Tensor | None:
    """MHA's masks as floats to add: bool True (masked out) -> -inf, False -> 0; floats kept."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} should be a Tensor or None, got {type(mask).__name__}")
    if mask.dtype == bool:  # an op (not raw array math), so that tinynn.onnx.export records it
        return where(mask, dtype.type(_NEG_INF), dtype.type(0.0))
    if mask.dtype.kind != "f":
        raise RuntimeError(f"only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask


def _check_attn_mask_shape(attn_mask: Tensor, L: int, S: int, groups: int) -> Tensor:
    """(L, S) -> (1, L, S); (N * heads, L, S) kept; anything else is an error."""
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (L, S):
            raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be {(L, S)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (groups, L, S):
            raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                               f"{(groups, L, S)} (batch * num_heads, L, S).")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported (2-D or 3-D expected)")


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """True for batched (3-D) input, False for unbatched (2-D); clear errors for anything else."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise RuntimeError(f"For batched (3-D) query, expected key and value to be 3-D, got {key.ndim}-D and "
                               f"{value.ndim}-D tensors")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise RuntimeError(f"For batched (3-D) query, expected key_padding_mask to be None or 2-D, got "
                               f"{key_padding_mask.ndim}-D")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise RuntimeError(f"For batched (3-D) query, expected attn_mask to be None, 2-D or 3-D, got "
                               f"{attn_mask.ndim}-D")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise RuntimeError(f"For unbatched (2-D) query, expected key and value to be 2-D, got {key.ndim}-D and "
                               f"{value.ndim}-D tensors")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise RuntimeError(f"For unbatched (2-D) query, expected key_padding_mask to be None or 1-D, got "
                               f"{key_padding_mask.ndim}-D")
        if attn_mask is not None and attn_mask.ndim == 3 and attn_mask.shape[0] != num_heads:
            raise RuntimeError(f"For unbatched (2-D) query, expected a 3-D attn_mask of shape ({num_heads}, L, S), "
                               f"got {tuple(attn_mask.shape)}")
        return False
    raise RuntimeError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query tensor")
