"""Writing text with a language model: the key-value cache and the autoregressive ``generate`` loop.

Generation repeats: run the model on the text so far, pick the next token from the last
position's logits (sampling.py), append it. Run naively, step t recomputes all t positions, though
only the newest one is new: with causal attention the keys and values of earlier positions never
change. A **key-value cache** keeps them, so each step runs the model on one token:

    prefill:  model(prompt (B, T0))    fills the cache with T0 keys/values per layer
    step:     model(token (B, 1))      its query attends to the cached keys plus its own;
                                       its key and value are appended to the cache

A step costs O(T) attention work instead of O(T^2) plus O(T) for all the matmuls.

**When the text outgrows block_size.** Learned position embeddings only exist for positions
0..block_size-1, so the model can only ever see the last block_size tokens. Once the cache is
full, sliding the window by one token shifts every kept token's position, which changes all their
keys and values; a cache cannot be slid. Then ``generate`` falls back to recomputing the window:
it clears the cache and runs the last block_size tokens afresh (a prefill), every step. This
gives exactly the tokens of uncached generation, and the speed-up holds until the window is full.
"""
from __future__ import annotations

from typing import Sequence

from ..autograd import no_grad
from ..creation import full_like, zeros
from ..ops import cat, where
from ..random import Generator
from ..tensor import Tensor
from .sampling import check_temperature, eos_ids_tensor, process_logits, sample_next_token

__all__ = ["KVCache", "GenerationMixin"]


class KVCache:
    """The keys and values each attention layer has seen, grown along the sequence dimension.

    ``update(k, v, layer_idx)`` appends the new (B, n_head, T, head_dim) keys and values to the
    layer's store and returns the whole (B, n_head, past + T, head_dim) tensors to attend over
    (Hugging Face's ``DynamicCache`` interface). Appending copies the store (``cat``); simple, and
    small next to the attention work it saves.
    """

    def __init__(self, num_layers: int):
        self.keys: list[Tensor | None] = [None] * num_layers
        self.values: list[Tensor | None] = [None] * num_layers

    def update(self, key: Tensor, value: Tensor, layer_idx: int) -> tuple[Tensor, Tensor]:
        if self.keys[layer_idx] is not None:
            key = cat([self.keys[layer_idx], key], dim=2)
            value = cat([self.values[layer_idx], value], dim=2)
        self.keys[layer_idx], self.values[layer_idx] = key, value
        return key, value

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """How many positions the layer has cached (0 when empty)."""
        return 0 if self.keys[layer_idx] is None else self.keys[layer_idx].shape[2]

    def reset(self) -> None:
        self.keys = [None] * len(self.keys)
        self.values = [None] * len(self.values)

    @property
    def nbytes(self) -> int:
        """Memory held: 2 (k and v) x layers x B x n_head x length x head_dim x bytes per number."""
        return sum(t.nbytes for t in self.keys + self.values if t is not None)

    def __len__(self) -> int:
        return self.get_seq_length()

    def __repr__(self) -> str:
        return f"KVCache(num_layers={len(self.keys)}, length={self.get_seq_length()})"


def _check_positive_int(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"generate: {name} should be an int >= {minimum}, got {value!r}")


class GenerationMixin:
    """``generate`` for a model with ``config.block_size``, ``config.n_layer``, ``hidden_states(idx,
    cache)`` and ``lm_head``, i.e. for GPT."""

    def _last_logits(self, idx: Tensor) -> Tensor:
        """The last position's logits (B, V) (the head runs on that one position only)."""
        return self.lm_head(self.hidden_states(idx)[:, -1])

    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, repetition_penalty: float = 1.0,
                 eos_token_id: int | Sequence[int] | None = None, do_sample: bool = True, use_cache: bool = True,
                 generator: Generator | None = None, num_return_sequences: int = 1,
                 pad_token_id: int | None = None) -> Tensor:
        """Continue each prompt row of ``idx`` (B, T) by up to ``max_new_tokens`` tokens.

        Returns (B * num_return_sequences, T + n) ids, prompt included; rows for one prompt are
        adjacent (prompt b gives rows b*n .. b*n + n - 1). Each step processes the last position's
        logits with ``repetition_penalty`` then (when ``do_sample``) ``temperature``, ``top_k`` and
        ``top_p``, and draws with ``generator`` (tinynn.multinomial) or takes the argmax
        (``do_sample=False``). A row that produces ``eos_token_id`` (one id or a list) is finished:
        later positions hold ``pad_token_id`` (default: the eos id); when every row is finished the
        loop stops early, so n may be below ``max_new_tokens``. Only the last ``block_size``
        tokens are ever seen. ``use_cache`` runs one token per step with a KVCache and gives the
        same tokens as without it. Runs under no_grad; call ``model.eval()`` first, or dropout
        stays on. Prompts in a batch share one length (no attention mask for left padding).
        """
        if not isinstance(idx, Tensor) or idx.ndim != 2 or idx.dtype.kind not in "iu" or idx.shape[1] == 0:
            raise ValueError(f"generate: idx should be a non-empty integer tensor of shape (batch, length), got "
                             f"{getattr(idx, 'dtype', type(idx).__name__)} {tuple(getattr(idx, 'shape', ()))}")
        _check_positive_int("max_new_tokens", max_new_tokens, minimum=0)
        _check_positive_int("num_return_sequences", num_return_sequences)
        if num_return_sequences > 1 and not do_sample:
            raise ValueError("generate: greedy decoding (do_sample=False) gives the same text every time; "
                             "num_return_sequences > 1 needs do_sample=True")
        check_temperature(temperature)
        eos = eos_ids_tensor(eos_token_id, idx.device)
        if pad_token_id is None and eos is not None:
            pad_token_id = int(eos[0].item())
        options = dict(temperature=temperature, top_k=top_k, top_p=top_p, repetition_penalty=repetition_penalty,
                       do_sample=do_sample)

        if num_return_sequences > 1:
            idx = idx.repeat_interleave(num_return_sequences, dim=0)
        block_size = self.config.block_size
        cache = KVCache(self.config.n_layer) if use_cache else None
        consumed = 0  # how many tokens of idx the cache has seen
        finished = zeros(idx.shape[0], dtype=bool, device=idx.device)
        with no_grad():
            for _ in range(max_new_tokens):
                if cache is None:
                    logits = self._last_logits(idx[:, -block_size:])
                else:
                    logits, consumed = self._last_logits_cached(idx, cache, consumed)
                logits = process_logits(logits, idx, **options)
                next_token = sample_next_token(logits, do_sample, generator)  # (B,)
                if eos is not None:
                    next_token = where(finished, full_like(next_token, pad_token_id), next_token)
                    finished = finished | (next_token[:, None] == eos[None, :]).any(dim=-1)
                idx = cat([idx, next_token[:, None]], dim=1)
                if eos is not None and bool(finished.all().item()):
                    break
        return idx

    def _last_logits_cached(self, idx: Tensor, cache: KVCache, consumed: int) -> tuple[Tensor, int]:
        """Run only the tokens the cache has not seen; recompute the window once it is full."""
        block_size = self.config.block_size
        new = idx.shape[1] - consumed
        if cache.get_seq_length() + new > block_size:  # the window would slide: positions shift
            cache.reset()
            new = min(idx.shape[1], block_size)
        hidden = self.hidden_states(idx[:, idx.shape[1] - new:], cache)
        return self.lm_head(hidden[:, -1]), idx.shape[1]

