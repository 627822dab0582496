"""The Transformer decoder and the whole encoder-decoder model: ``TransformerDecoderLayer``,
``TransformerDecoder`` and ``Transformer`` (Vaswani et al. 2017).

A decoder layer adds one block to the encoder layer (``transformer.py``): between self-attention
and the feed-forward network, the target attends to the encoder's output, the *memory*::

    post-norm (norm_first=False):  x = norm1(x + SA(x));  x = norm2(x + CA(x, m));  x = norm3(x + FF(x))
    pre-norm  (norm_first=True):   x = x + SA(norm1(x));  x = x + CA(norm2(x), m);  x = x + FF(norm3(x))

    SA(x)    = dropout1(self_attn(x, x, x))          tgt_mask, tgt_key_padding_mask, tgt_is_causal
    CA(x, m) = dropout2(multihead_attn(x, m, m))     memory_mask, memory_key_padding_mask, memory_is_causal
    FF(x)    = dropout3(linear2(dropout(activation(linear1(x)))))

In self-attention each target position i usually sees positions j <= i only (the causal mask of
``Transformer.generate_square_subsequent_mask``), so a model trained on whole target sequences
can generate one token at a time. Cross-attention has no causal constraint: every target
position may read the whole source.

``Transformer`` is an encoder stack (with a final LayerNorm) feeding a decoder stack (with its
own final LayerNorm)::

    memory = encoder(src, src_mask, src_key_padding_mask)
    output = decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)

Submodule names are PyTorch's (self_attn, multihead_attn, linear1, linear2, norm1..3, dropout,
dropout1..3; encoder.layers.0 ..., encoder.norm, decoder.layers.0 ..., decoder.norm), so state
dicts load both ways unchanged. Masks: bool True = may not attend, float = added to the scores.
"""
from __future__ import annotations

from typing import Any, Callable

from ..tensor import Tensor
from . import functional as F
from . import init
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from .transformer import (TransformerEncoder, TransformerEncoderLayer, clone_module, detect_is_causal_mask,
                          generate_square_subsequent_mask, resolve_activation, sequence_length)

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer"]


class TransformerDecoderLayer(Module):
    """Self-attention, cross-attention to the memory, feed-forward: PyTorch's ``nn.TransformerDecoderLayer``.

    tgt: (T, N, d_model), memory: (S, N, d_model); (N, T, d_model) and (N, S, d_model) with
    ``batch_first=True``; unbatched (T, d_model) and (S, d_model). Returns tgt's shape.
    ``activation``: ``F.relu`` (the default), ``"relu"``, ``"gelu"`` or any callable.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = resolve_activation(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """tgt_mask: (T, T) or (N * nhead, T, T); memory_mask: (T, S) or (N * nhead, T, S);
        tgt_key_padding_mask: (N, T); memory_key_padding_mask: (N, S) (unbatched: (T,) and (S,)).
        ``tgt_is_causal`` / ``memory_is_causal`` are hints that the mask given is the causal one."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, memory: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` (independent weights), then ``norm``.

    Every layer attends to the same ``memory`` with the same masks. ``tgt_is_causal=None`` (the
    default) detects whether ``tgt_mask`` is exactly the causal mask.
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        if not isinstance(decoder_layer, Module):
            raise TypeError(f"decoder_layer should be a Module, got {type(decoder_layer).__name__}")
        self.layers = ModuleList([clone_module(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """Shapes as in ``TransformerDecoderLayer.forward``."""
        batch_first = getattr(getattr(self.layers[0], "self_attn", None), "batch_first", False)
        tgt_is_causal = detect_is_causal_mask(tgt_mask, tgt_is_causal, sequence_length(tgt, batch_first))
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                           memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer, PyTorch's ``nn.Transformer``.

    src: (S, N, d_model), tgt: (T, N, d_model) -> (T, N, d_model); batch-first (N, S, d_model)
    and (N, T, d_model); unbatched (S, d_model) and (T, d_model). ``custom_encoder`` /
    ``custom_decoder`` replace the built stacks (they are called with the same keyword arguments).
    Every parameter with more than one dimension, custom stacks' included, is re-drawn with
    ``xavier_uniform_``, as PyTorch does; biases and norms keep their layer's initialisation.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, custom_encoder: Any | None = None,
                 custom_decoder: Any | None = None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args, **factory), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args, **factory), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """src_mask (S, S), tgt_mask (T, T), memory_mask (T, S) (or (N * nhead, ., .));
        src/tgt/memory_key_padding_mask (N, S), (N, T), (N, S) (unbatched (S,), (T,), (S,))."""
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise RuntimeError(f"the batch number of src and tgt must be equal: src {tuple(src.shape)}, "
                               f"tgt {tuple(tgt.shape)} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model ({self.d_model}): "
                               f"src {tuple(src.shape)}, tgt {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """Float (sz, sz) causal mask: 0 on and below the diagonal, -inf above."""
        return generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        """Xavier-uniform for every weight matrix; vectors (biases, norm gains) are left alone."""
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
