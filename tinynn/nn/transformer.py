"""The Transformer encoder: ``TransformerEncoderLayer``, ``TransformerEncoder``, and the masks.

One encoder layer is self-attention followed by a position-wise feed-forward network, each
wrapped in a residual connection and a layer norm (Vaswani et al. 2017)::

    post-norm (norm_first=False):  x = norm1(x + SA(x));        x = norm2(x + FF(x))
    pre-norm  (norm_first=True):   x = x + SA(norm1(x));        x = x + FF(norm2(x))

    SA(x) = dropout1(self_attn(x, x, x))                     (mask and key padding applied)
    FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))   d_model -> dim_feedforward -> d_model

Pre-norm keeps an unnormalised residual path from input to output and trains deep stacks more
stably; post-norm is the original paper's layout and PyTorch's default.

Submodule names are PyTorch's (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
dropout2; the stack's layers.0 ... and norm), so state dicts move between the two unchanged.

Masks follow ``nn.MultiheadAttention``: a bool True means "may not attend", a float is added to
the scores. The encoder turns bool masks into float ones (-inf / 0) of the input's dtype before
the layers see them, as PyTorch does, and warns (as PyTorch does) when a bool and a float mask are
mixed; the numbers are the same either way.

The decoder side (``TransformerDecoderLayer``, ``TransformerDecoder``) and the whole
encoder-decoder ``Transformer`` live in ``transformer_decoder.py``.
"""
from __future__ import annotations

import copy
import warnings
from typing import Callable

from .. import dtypes
from ..creation import full, zeros_like
from ..tensor import Tensor
from . import functional as F
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """Float (sz, sz) causal mask: 0 on and below the diagonal, -inf above (PyTorch's
    ``nn.Transformer.generate_square_subsequent_mask``). Added to the scores, it keeps position
    i from attending to any later position j > i."""
    dtype = dtypes.get_default_dtype() if dtype is None else dtype
    return full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(1)


def resolve_activation(activation) -> Callable[[Tensor], Tensor]:
    """The feed-forward activation: ``"relu"`` -> ``F.relu``, ``"gelu"`` -> ``F.gelu``, a callable kept."""
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"activation should be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention + feed-forward block, PyTorch's ``nn.TransformerEncoderLayer``.

    src: (S, N, d_model), or (N, S, d_model) with ``batch_first=True``, or unbatched (S, d_model)
    -> the same shape. ``activation`` is ``F.relu`` (the default), ``"relu"``, ``"gelu"`` or
    any callable (a function or a module). Dropout (``dropout``) acts in training mode only.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = resolve_activation(activation)  # a Module (nn.GELU()) registers as a submodule

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        """src_mask: (S, S) or (N * nhead, S, S); src_key_padding_mask: (N, S) (unbatched: (S,)).
        Bool True = masked out; float = added to the scores. ``is_causal=True`` is a hint that
        ``src_mask`` is the causal mask (which must then be given too)."""
        src_key_padding_mask = canonical_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype,
                                              other=src_mask, other_name="src_mask")
        src_mask = canonical_mask(src_mask, "src_mask", src.dtype)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (independent weights), then ``norm``.

    ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch compatibility and
    ignored: tinynn has no nested tensors, so padded positions always hold their computed values
    (PyTorch's inference fast path may return zeros there instead).
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"encoder_layer should be a Module, got {type(encoder_layer).__name__}")
        self.layers = ModuleList([clone_module(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        """Run ``src`` through every layer with the same masks. ``is_causal=None`` means: detect
        whether ``mask`` is exactly the causal mask (``generate_square_subsequent_mask``)."""
        src_key_padding_mask = canonical_mask(src_key_padding_mask, "src_key_padding_mask", src.dtype,
                                              other=mask, other_name="mask")
        mask = canonical_mask(mask, "mask", src.dtype)
        batch_first = getattr(getattr(self.layers[0], "self_attn", None), "batch_first", False)
        is_causal = detect_is_causal_mask(mask, is_causal, sequence_length(src, batch_first))
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


# ---------------------------------------------------------------------------- masks
def canonical_mask(mask: Tensor | None, name: str, dtype, other: Tensor | None = None,
                   other_name: str = "") -> Tensor | None:
    """A bool mask (True = masked out) as the float mask it stands for: -inf where True, 0 elsewhere,
    in ``dtype``; a float mask unchanged. Warns, as PyTorch does, when ``other`` (the mask it will
    be combined with) is of a different dtype: mixing works, but PyTorch deprecates it."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} should be a Tensor or None, got {type(mask).__name__}")
    if mask.dtype != bool and mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported, got {mask.dtype}")
    if isinstance(other, Tensor) and other.dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.", UserWarning, stacklevel=4)
    if mask.dtype == bool:
        mask = zeros_like(mask, dtype=dtype).masked_fill(mask, float("-inf"))
    return mask


def detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None, size: int | None = None) -> bool:
    """``is_causal`` when it is given; otherwise whether ``mask`` is exactly the (size, size)
    causal mask of ``generate_square_subsequent_mask`` (float -inf above the diagonal, or bool
    True there). A mask of any other shape is not causal, so its shape error still comes."""
    if is_causal is not None or mask is None:
        return is_causal is True
    size = mask.shape[-2] if size is None else size
    if tuple(mask.shape) != (size, size):
        return False
    causal = generate_square_subsequent_mask(size, device=mask.device, dtype=mask.dtype)
    return bool((mask == causal).all())


def sequence_length(x: Tensor, batch_first: bool) -> int:
    """The sequence length of (S, E), (S, N, E) or, batch-first, (N, S, E)."""
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]


# ---------------------------------------------------------------------------- deep copies of modules
def clone_module(module: Module) -> Module:
    """An independent copy of ``module`` (new parameters; weights tied inside it stay tied)."""
    return copy.deepcopy(module)

