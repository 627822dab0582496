"""A GPT (Radford et al. 2018, 2019): a decoder-only transformer that predicts the next token.

    idx (B, T) token ids
    x = wte[idx] + wpe[0..T-1]                     token + learned position embeddings   (B, T, C)
    for each block:                                pre-norm, as in GPT-2
        x = x + attn(ln_1(x))                      causal self-attention: token t sees tokens <= t
        x = x + mlp(ln_2(x))                       Linear C -> 4C, GELU, Linear 4C -> C
    logits = ln_f(x) @ wte^T                       (B, T, V): the head shares the embedding matrix

Trained with cross-entropy between logits[:, t] and idx[:, t + 1]: every position of every
sequence is a next-token example, and the causal mask keeps the answer out of sight.

Module names are nanoGPT's (Karpathy), so state dicts carry the same keys: transformer.wte,
transformer.wpe, transformer.h.{i}.ln_1 / attn.c_attn / attn.c_proj / ln_2 / mlp.c_fc /
mlp.c_proj, transformer.ln_f, lm_head. Every layer is a plain tinynn.nn module (LoRA can wrap
``c_attn``; ``.to("cuda")`` moves the model). Generation and the key-value cache: generation.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .. import optim
from ..creation import arange, ones
from ..nn import Dropout, Embedding, GELU, LayerNorm, Linear, Module, ModuleDict, ModuleList
from ..nn import functional as F
from ..nn import init
from ..tensor import Tensor
from .generation import GenerationMixin, KVCache

__all__ = ["GPTConfig", "GPT", "Block", "CausalSelfAttention", "MLP"]


@dataclass
class GPTConfig:
    """The sizes of a GPT. Defaults are GPT-2 small's (124M parameters; vocabulary padded to 50304)."""

    block_size: int = 1024     # longest context: the number of learned positions
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768          # C, split into n_head heads of C / n_head
    dropout: float = 0.0
    bias: bool = True          # biases in the Linears and LayerNorms (GPT-2 has them)

    def __post_init__(self):
        for name in ("block_size", "vocab_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPTConfig: {name} should be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd ({self.n_embd}) should be divisible by n_head ({self.n_head})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout should be in [0, 1), got {self.dropout}")


class CausalSelfAttention(Module):
    """Multi-head self-attention where position t attends to positions <= t.

    x: (B, T, C) -> (B, T, C). ``c_attn`` computes q, k and v in one (C -> 3C) Linear; the heads
    are (B, n_head, T, C / n_head) views, attention is ``F.scaled_dot_product_attention``.

    With a ``cache`` (KVCache), the keys and values of earlier calls are prepended: the T new
    queries sit at positions P..P+T-1 (P = cached length) and attend to all P + T keys up to their
    own position. For T = 1 (one new token) that is every key, so no mask is needed at all.
    """

    def __init__(self, config: GPTConfig, layer_idx: int = 0):
        super().__init__()
        self.c_attn = Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.layer_idx = layer_idx  # which slot of a KVCache holds this layer's keys and values

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        past = 0
        if cache is not None:
            past = cache.get_seq_length(self.layer_idx)
            k, v = cache.update(k, v, self.layer_idx)  # (B, nh, past + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        elif T == 1:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        else:  # query i (position past + i) may see key j <= past + i: the causal mask shifted right
            allowed = ones(T, past + T, dtype=bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout_p)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(Module):
    """Position-wise feed-forward block: Linear C -> 4C, GELU, Linear 4C -> C, dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = GELU()
        self.c_proj = Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(Module):
    """One pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig, layer_idx: int = 0):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer_idx)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(GenerationMixin, Module):
    """The GPT language model. ``model(idx, targets)`` -> (logits (B, T, V), loss or None).

    Initialisation is GPT-2's: every Linear and Embedding weight ~ N(0, 0.02), biases 0, and the
    projections that write into the residual stream (``c_proj``) ~ N(0, 0.02 / sqrt(2 n_layer)),
    so the residual sum of 2 n_layer such terms keeps its scale as the model gets deeper.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT: expected a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.transformer = ModuleDict(dict(
            wte=Embedding(config.vocab_size, config.n_embd),
            wpe=Embedding(config.block_size, config.n_embd),
            drop=Dropout(config.dropout),
            h=ModuleList([Block(config, i) for i in range(config.n_layer)]),
            ln_f=LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        # weight tying (Press & Wolf 2017): one (V, C) matrix embeds tokens and scores them
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: Module) -> None:
        if isinstance(module, Linear):
            init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, Embedding):
            init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self, non_embedding: bool = False, only_trainable: bool = False) -> int:
        """Parameter count (the tied embedding/head matrix once). ``non_embedding`` leaves out the
        position embeddings (nanoGPT's convention: the token embeddings double as the head)."""
        params = [p for p in self.parameters() if p.requires_grad or not only_trainable]
        n = sum(p.numel() for p in params)
        if non_embedding and (self.transformer.wpe.weight.requires_grad or not only_trainable):
            n -= self.transformer.wpe.weight.numel()
        return n

    def hidden_states(self, idx: Tensor, cache: KVCache | None = None) -> Tensor:
        """The final normalised states ln_f(x): (B, T) ids -> (B, T, C); ``lm_head`` turns them into logits."""
        if not isinstance(idx, Tensor) or idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"GPT: idx should be an integer tensor of shape (batch, length), got "
                             f"{getattr(idx, 'dtype', type(idx).__name__)} {tuple(getattr(idx, 'shape', ()))}")
        B, T = idx.shape
        past = 0 if cache is None else cache.get_seq_length()
        if past + T > self.config.block_size:
            raise ValueError(f"GPT: cannot run a sequence of length {past + T} ({past} cached + {T} new), "
                             f"block size is only {self.config.block_size}; crop it to the last "
                             f"{self.config.block_size} tokens (generate() does)")
        pos = arange(past, past + T, device=idx.device)  # new tokens continue after the cached ones
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x, cache)
        return self.transformer.ln_f(x)

    def forward(self, idx: Tensor, targets: Tensor | None = None, cache: KVCache | None = None):
        """idx (B, T) -> (logits (B, T, V), loss). ``loss`` is the mean cross-entropy of predicting
        ``targets`` (B, T) (ids; -1 marks positions to ignore), None without targets.

        nanoGPT returns only the last position's logits when targets is None; tinynn returns all of
        them (lessons look at every position; generate() takes the last one itself).
        """
        logits = self.lm_head(self.hidden_states(idx, cache))
        loss = None
        if targets is not None:
            if tuple(targets.shape) != tuple(idx.shape):
                raise ValueError(f"GPT: targets should have the shape of idx {tuple(idx.shape)}, "
                                 f"got {tuple(targets.shape)}")
            V = logits.shape[-1]
            loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    def configure_optimizers(self, weight_decay: float, learning_rate: float,
                             betas: tuple[float, float] = (0.9, 0.95), eps: float = 1e-8) -> optim.AdamW:
        """AdamW with weight decay on the matrices (every parameter with 2 or more dims: Linear
        weights, embeddings) and none on biases and LayerNorm gains, as in nanoGPT and GPT-2."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        return optim.AdamW([g for g in groups if g["params"]], lr=learning_rate, betas=betas, eps=eps)

    def extra_repr(self) -> str:
        c = self.config
        return (f"n_layer={c.n_layer}, n_head={c.n_head}, n_embd={c.n_embd}, block_size={c.block_size}, "
                f"vocab_size={c.vocab_size}")
