"""LoRA's adapter layers: ``LoRALinear`` (a frozen ``nn.Linear`` + B A) and ``LoRAMultiheadAttention``.

    y = x W^T + b + s * dropout(x) A^T B^T,      A: (r, in),  B: (out, r),  s = lora_alpha / r

A starts kaiming-uniform (as ``nn.Linear``'s weight), B at zero, so delta_W = s B A starts at 0.
``check_lora_hyperparameters`` and ``new_lora_adapter`` are the rules and the initialisation every
adapter layer shares (``tinynn.quant.QLoRALinear`` too). The whole-model functions (apply_lora,
lora_state_dict, merge_and_unload, ...) and the method's background are in nn/lora.py.
"""
from __future__ import annotations

import math
import warnings
from typing import Iterable

from .. import autograd
from ..creation import empty, zeros
from ..ops.join import cat
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .dropout import Dropout
from .functional.attention import multi_head_attention_forward
from .linear import Identity, Linear
from .module import Module
from .parameter import Parameter

__all__ = ["LoRALayer", "LoRALinear", "LoRAMultiheadAttention"]


def check_lora_hyperparameters(r, lora_alpha, lora_dropout) -> None:
    """LoRA's rules (shared by every adapter layer): an int rank r >= 1, lora_alpha > 0, lora_dropout in [0, 1)."""
    if isinstance(r, bool) or not isinstance(r, int):
        raise TypeError(f"LoRA rank r must be an int >= 1, got {type(r).__name__} {r!r}")
    if r < 1:
        raise ValueError(f"LoRA rank r must be >= 1, got r={r}")
    if isinstance(lora_alpha, bool) or not isinstance(lora_alpha, (int, float)) or lora_alpha <= 0:
        raise ValueError(f"lora_alpha must be a positive number, got {lora_alpha!r}")
    if not 0.0 <= lora_dropout < 1.0:
        raise ValueError(f"lora_dropout must be in [0, 1), got {lora_dropout!r}")


def new_lora_adapter(r: int, in_features: int, out_features: int, like: Tensor) -> tuple[Parameter, Parameter]:
    """A: (r, in) kaiming-uniform with a = sqrt(5) (nn.Linear's init: U(-1/sqrt(in), 1/sqrt(in))),
    B: (out, r) zeros; both on ``like``'s device and in its dtype."""
    lora_A = Parameter(empty((r, in_features), dtype=like.dtype, device=like.device))
    init.kaiming_uniform_(lora_A, a=math.sqrt(5))
    lora_B = Parameter(zeros((out_features, r), dtype=like.dtype, device=like.device))
    return lora_A, lora_B


class LoRALayer(Module):
    """The adapter that ``LoRALinear`` and ``quant.QLoRALinear`` share (peft's ``LoraLayer``).

    A frozen base layer (requires_grad=False) beside a trainable low-rank update:
        update(x) = scaling * dropout(x) A^T B^T,    scaling = lora_alpha / r
    lora_A: (r, in_features), kaiming-uniform;  lora_B: (out_features, r), zeros, so a new adapter
    changes nothing;  lora_dropout acts on the adapter's input only (training mode).
    """

    def __init__(self, base: Module, r: int, lora_alpha: float, lora_dropout: float, like: Tensor) -> None:
        """``base`` has ``in_features`` and ``out_features``; A and B take ``like``'s dtype and device."""
        check_lora_hyperparameters(r, lora_alpha, lora_dropout)
        super().__init__()
        self.base = base
        base.requires_grad_(False)
        self.r, self.lora_alpha = r, lora_alpha
        self.scaling = lora_alpha / r
        self.lora_dropout = Dropout(lora_dropout) if lora_dropout > 0 else Identity()
        self.lora_A, self.lora_B = new_lora_adapter(r, base.in_features, base.out_features, like)

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def delta_weight(self) -> Tensor:
        """delta_W = scaling * B A: (out_features, in_features), rank <= r."""
        return (self.lora_B @ self.lora_A) * self.scaling

    def low_rank_update(self, input: Tensor) -> Tensor:
        """scaling * dropout(x) A^T B^T: (*, in) -> (*, out)."""
        # x A^T first: (*, in) -> (*, r) -> (*, out) costs r(in + out) per row, never out * in
        return ((self.lora_dropout(input) @ self.lora_A.T) @ self.lora_B.T) * self.scaling


class LoRALinear(LoRALayer):
    """A frozen ``nn.Linear`` plus a trainable low-rank update (peft's ``lora.Linear``).

    forward:  y = base(x) + (lora_alpha / r) * dropout(x) A^T B^T      x: (*, in) -> y: (*, out)

    base: the pretrained Linear (its weight and bias are frozen: requires_grad=False).
    lora_A: (r, in_features), kaiming-uniform.   lora_B: (out_features, r), zeros.
    lora_dropout: dropout on the adapter's input only (training mode); the frozen path sees x.

    ``merge()`` adds delta_W = scaling * B A into ``base.weight`` and sets ``merged``; the forward
    then is the base Linear alone (the adapter is not added twice). ``unmerge()`` subtracts it
    again. Merged outputs equal unmerged eval-mode outputs to float rounding (in training mode
    with dropout > 0 they differ, since dropout acts on the adapter's input).
    """

    def __init__(self, base: Linear, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0) -> None:
        if not isinstance(base, Linear):
            raise TypeError(f"LoRALinear wraps an nn.Linear, got {type(base).__name__}")
        super().__init__(base, r, lora_alpha, lora_dropout, base.weight)
        self.merged = False

    def forward(self, input: Tensor) -> Tensor:
        out = self.base(input)
        return out if self.merged else out + self.low_rank_update(input)

    def merge(self) -> None:
        """W <- W + scaling * B A (in place); the forward then skips the adapter."""
        if self.merged:
            warnings.warn("LoRALinear.merge(): already merged, nothing to do")
            return
        with autograd.no_grad():
            self.base.weight.add_(self.delta_weight())
        self.merged = True

    def unmerge(self) -> None:
        """W <- W - scaling * B A: the pretrained weight back (to float rounding)."""
        if not self.merged:
            warnings.warn("LoRALinear.unmerge(): not merged, nothing to do")
            return
        with autograd.no_grad():
            self.base.weight.sub_(self.delta_weight())
        self.merged = False

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, r={self.r}, "
                f"lora_alpha={self.lora_alpha}, scaling={self.scaling:g}, merged={self.merged}")


class LoRAMultiheadAttention(Module):
    """LoRA on ``nn.MultiheadAttention``'s input projections (and optionally its out_proj).

    The attention module keeps W_q, W_k, W_v stacked in one ``in_proj_weight`` (3E, E), so there
    is no separate Linear to wrap. Instead each selected projection p in ``qkv`` gets its own
    adapter (``lora_A_p``: (r, in_p), ``lora_B_p``: (E, r)) and the forward calls the same
    attention functional with the adapted weights:

        W_p' = W_p + (lora_alpha / r) B_p A_p        for p in qkv, e.g. ("q", "v") as in the paper

    (``in_p`` is E, or kdim / vdim for k / v when the module has separate projection weights.)
    ``out_proj=True`` also wraps ``base.out_proj`` in a ``LoRALinear``. The adapter acts on the
    weights, so ``lora_dropout`` (dropout on the adapter's input) cannot be expressed here and
    must be 0. forward has ``MultiheadAttention.forward``'s signature, shapes and masks.
    """

    def __init__(self, base: MultiheadAttention, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0,
                 qkv: Iterable[str] = ("q", "v"), out_proj: bool = False) -> None:
        if not isinstance(base, MultiheadAttention):
            raise TypeError(f"LoRAMultiheadAttention wraps an nn.MultiheadAttention, got {type(base).__name__}")
        check_lora_hyperparameters(r, lora_alpha, lora_dropout)
        if lora_dropout != 0:
            raise ValueError(f"LoRAMultiheadAttention adapts the projection weights, so lora_dropout (dropout on "
                             f"the adapter's input) is not supported: expected 0.0, got {lora_dropout}")
        qkv = tuple(qkv)
        unknown = [p for p in qkv if p not in ("q", "k", "v")]
        if unknown or len(set(qkv)) != len(qkv):
            raise ValueError(f"qkv must name distinct projections among 'q', 'k', 'v', got {qkv!r}")
        if not qkv and not out_proj:
            raise ValueError("LoRAMultiheadAttention needs something to adapt: a non-empty qkv or out_proj=True")
        super().__init__()
        self.base = base
        base.requires_grad_(False)
        self.r, self.lora_alpha, self.scaling = r, lora_alpha, lora_alpha / r
        self.qkv = tuple(p for p in ("q", "k", "v") if p in qkv)   # canonical order
        self.embed_dim, self.num_heads, self.batch_first = base.embed_dim, base.num_heads, base.batch_first
        in_dims = {"q": base.embed_dim, "k": base.kdim, "v": base.vdim}
        like = base.in_proj_weight if base._qkv_same_embed_dim else base.q_proj_weight
        for p in self.qkv:
            lora_A, lora_B = new_lora_adapter(r, in_dims[p], base.embed_dim, like)
            setattr(self, f"lora_A_{p}", lora_A)
            setattr(self, f"lora_B_{p}", lora_B)
        if out_proj:
            base.out_proj = LoRALinear(base.out_proj, r, lora_alpha)
        self.merged = False

    def delta_weight(self, projection: str) -> Tensor:
        """delta_W_p = scaling * B_p A_p: (E, in_p) for projection p in ``qkv``."""
        if projection not in self.qkv:
            raise ValueError(f"projection {projection!r} has no adapter; adapted: {self.qkv}")
        return (getattr(self, f"lora_B_{projection}") @ getattr(self, f"lora_A_{projection}")) * self.scaling

    def adapted_weights(self) -> dict:
        """The weights the forward uses: {"in_proj_weight"} or {"q_proj_weight", "k_proj_weight",
        "v_proj_weight"}, plus "out_proj_weight"; each W + delta_W where adapted (and not merged)."""
        base, E = self.base, self.embed_dim
        if base._qkv_same_embed_dim:
            pieces = {"q": base.in_proj_weight[:E], "k": base.in_proj_weight[E:2 * E],
                      "v": base.in_proj_weight[2 * E:]}
        else:
            pieces = {"q": base.q_proj_weight, "k": base.k_proj_weight, "v": base.v_proj_weight}
        if not self.merged:
            pieces = {p: w + self.delta_weight(p) if p in self.qkv else w for p, w in pieces.items()}
        if base._qkv_same_embed_dim:
            weights = {"in_proj_weight": cat([pieces["q"], pieces["k"], pieces["v"]], dim=0)
                       if self.qkv and not self.merged else base.in_proj_weight}
        else:
            weights = {f"{p}_proj_weight": w for p, w in pieces.items()}
        out = base.out_proj
        if isinstance(out, LoRALinear):
            weights["out_proj_weight"] = out.base.weight if out.merged else out.base.weight + out.delta_weight()
        else:
            weights["out_proj_weight"] = out.weight
        return weights

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """As ``MultiheadAttention.forward``: returns (attn_output, attn_weights or None)."""
        base = self.base
        batched = query.ndim == 3
        if self.batch_first and batched:   # (N, L, E) -> (L, N, E), keeping "query is key is value" visible
            if query is key and key is value:  # to the functional: self-attention projects q, k, v in one product
                query = key = value = query.transpose(1, 0)
            elif key is value:
                query, key = query.transpose(1, 0), key.transpose(1, 0)
                value = key
            else:
                query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
        weights = self.adapted_weights()
        out_proj = base.out_proj.base if isinstance(base.out_proj, LoRALinear) else base.out_proj
        separate = not base._qkv_same_embed_dim
        out, attn = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, weights.get("in_proj_weight"), base.in_proj_bias,
            base.bias_k, base.bias_v, base.add_zero_attn, base.dropout, weights["out_proj_weight"], out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=weights.get("q_proj_weight"),
            k_proj_weight=weights.get("k_proj_weight"), v_proj_weight=weights.get("v_proj_weight"),
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, attn

    def _fold(self, sign: float) -> None:
        """Add (sign=+1) or subtract (-1) every q/k/v delta into the frozen projection weights."""
        base, E = self.base, self.embed_dim
        with autograd.no_grad():
            for index, p in enumerate(("q", "k", "v")):
                if p not in self.qkv:
                    continue
                delta = self.delta_weight(p) * sign
                if base._qkv_same_embed_dim:
                    rows = slice(index * E, (index + 1) * E)
                    base.in_proj_weight[rows] = base.in_proj_weight[rows] + delta
                else:
                    getattr(base, f"{p}_proj_weight").add_(delta)

    def merge(self) -> None:
        """Fold every adapter into the frozen weights (in place); the forward then uses them as they are."""
        if self.merged:
            warnings.warn("LoRAMultiheadAttention.merge(): already merged, nothing to do")
            return
        self._fold(+1.0)
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj.merge()
        self.merged = True

    def unmerge(self) -> None:
        """Take the adapters back out of the frozen weights."""
        if not self.merged:
            warnings.warn("LoRAMultiheadAttention.unmerge(): not merged, nothing to do")
            return
        self._fold(-1.0)
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj.unmerge()
        self.merged = False

    def unwrap(self) -> MultiheadAttention:
        """The base MultiheadAttention with a plain Linear back as out_proj (weights as they are now)."""
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj = self.base.out_proj.base
        return self.base

    def extra_repr(self) -> str:
        return (f"qkv={self.qkv}, r={self.r}, lora_alpha={self.lora_alpha}, scaling={self.scaling:g}, "
                f"merged={self.merged}")
