"""``MultiheadAttention``: num_heads scaled dot-product attentions side by side.

    MultiHead(Q, K, V) = concat(head_1, ..., head_h) W_O^T + b_O
    head_i             = softmax(Q W_Q,i^T (K W_K,i^T)^T / sqrt(d) + mask) V W_V,i^T,   d = E / h

The h query projections are stored stacked as one (E, E) block (likewise keys and values), so
all heads are projected with one matrix product and then split: the (L, N, E) projection is
viewed as (L, N * h, d), i.e. head i owns columns i*d .. (i+1)*d - 1.

Parameters and their names follow PyTorch, so state dicts move both ways unchanged:

    in_proj_weight (3E, E), in_proj_bias (3E,)           when kdim == vdim == embed_dim
    q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim)  otherwise
    bias_k, bias_v (1, 1, E)                               with add_bias_kv=True
    out_proj.weight (E, E), out_proj.bias (E,)

The math lives in ``nn.functional.multi_head_attention_forward``; see its docstring (and the
module docstring of ``nn/functional/attention.py``) for the mask conventions.
"""
from __future__ import annotations

from .. import dtypes
from ..creation import empty
from ..tensor import Tensor
from . import init
from .functional.attention import multi_head_attention_forward
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), PyTorch's ``nn.MultiheadAttention``.

    forward(query, key, value):  query (L, N, E), key (S, N, kdim), value (S, N, vdim); with
    ``batch_first=True`` (N, L, E) etc.; unbatched (L, E), (S, kdim), (S, vdim).
    Returns ``(attn_output, attn_weights)``: (L, N, E) (or (N, L, E) batch-first, (L, E)
    unbatched) and the attention weights (N, L, S) averaged over heads, (N, num_heads, L, S)
    with ``average_attn_weights=False``, or None with ``need_weights=False``.

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * num_heads, L, S); a bool
    True means "may not attend" (the opposite of ``F.scaled_dot_product_attention``), a float is
    added to the scores. ``dropout`` drops attention weights in training mode.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        super().__init__()
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads

        def new(*shape):
            return Parameter(empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = new(3 * embed_dim, embed_dim)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = new(embed_dim, embed_dim)
            self.k_proj_weight = new(embed_dim, self.kdim)
            self.v_proj_weight = new(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = new(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = new(1, 1, embed_dim)
            self.bias_v = new(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform projections, zero biases; out_proj.weight keeps Linear's default init."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """Attend from ``query`` to ``key``/``value``; see the class docstring for shapes and masks."""
        batched = query.ndim == 3
        if self.batch_first and batched:
            # (N, L, E) -> (L, N, E), keeping "query is key is value" visible to the packed projection
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights
