"""Exercise 25: choosing the next token (temperature, top-k, top-p sampling) and a key-value cache.

A language model gives one score per vocabulary entry for each sequence of a batch: logits (B, V).
Decoding turns each row into one token id, in this order (Hugging Face's and tinynn's ``generate``):

    z = logits / T            temperature: T < 1 sharper, T > 1 flatter; T -> 0 approaches argmax
    z = top_k_filter(z, k)    keep each row's k largest logits
    z = top_p_filter(z, p)    keep the smallest set of most likely tokens holding probability p
    next = one draw from softmax(z) per row

A filter removes a token by setting its logit to -inf: softmax gives it probability exactly 0 and
the survivors share the mass in their old proportions. A filter never changes a kept logit.

**top-k.** Keep every logit >= the k-th largest of its row (``topk(k).values[:, -1:]``), so tokens
tied with the k-th largest are all kept: [1, 3, 3, 2] with k = 2 keeps both 3s, [-inf, 3, 3, -inf].
k >= V keeps everything.

**top-p (nucleus, Holtzman et al. 2019).** Sort the row's probabilities from largest down,
p_(1) >= p_(2) >= ...; token (i) stays when the mass before it is still short of p:

    p_(1) + ... + p_(i-1) < p             so the most likely token always stays

probabilities [0.5, 0.3, 0.15, 0.05]: p = 0.7 keeps the first two (0.5 < 0.7, then 0.8 >= 0.7);
p = 0.5 keeps only the first. ``sort(descending=True)`` gives the order; map the decision back to
vocabulary order (``scatter``, or index with the sort's indices). p = 1 keeps everything: return the
logits unchanged (a cumulative sum of float probabilities can reach 1.0 before the last token). With
tied probabilities the kept set is any one of the equally good smallest sets.

**Sampling.** ``sample_next`` applies the steps above and draws one id per row with
``tinynn.multinomial(probs, 1, generator=generator)`` (with the same generator, the same tokens as
the library); temperature = 0 means greedy decoding: the argmax of each row, no randomness.
Returns (B,) int64.

**The key-value cache.** Generation runs the model, appends the chosen token, and runs it again.
With causal attention a position's key and value never change once computed, so running all t
positions at step t repeats work. The cache keeps the keys and values seen so far, (B, P, d) each;
after a first run on the whole prompt (the "prefill"), each step feeds only the newest token:

    prefill:  model(prompt (B, T0), cache)      the cache now holds T0 keys and values
    step:     model(token (B, 1), cache)        its key and value are appended: P + 1 of each

``KVCache.update(k, v)`` appends the new (B, T, d) along the sequence dimension and returns all
(B, P + T, d). Attention then has T queries and S = P + T keys, the queries being the LAST T
positions: query i sits at position S - T + i and may see key j when j <= S - T + i, the causal mask
shifted right by S - T (``ones(T, S).tril(S - T)``). For T = 2 new queries after P = 3 cached:

    query 0 (position 3):  1 1 1 1 0          scores = q k^T / sqrt(d), -inf where masked,
    query 1 (position 4):  1 1 1 1 1          out = softmax(scores) v              (B, T, d)

``generate`` is the loop: with ``use_cache`` it gives the model the whole prompt once and then one
token per step; without it, the whole sequence every step. Both must give the same tokens (the
grader checks it, and that the cached model really sees one token per step). ``TinyLM`` below is a
one-layer model to try it on (given; it calls your ``causal_attention`` and your cache).
"""
from __future__ import annotations

import math

import tinynn

LESSON = 15
FORBIDDEN = ["tinynn.models.sampling.top_k_filter", "tinynn.models.sampling.top_p_filter",
             "tinynn.models.sampling.sample_next_token", "tinynn.models.sampling.process_logits",
             "tinynn.models.top_k_filter", "tinynn.models.top_p_filter", "tinynn.models.sample_next_token",
             "tinynn.models.process_logits", "tinynn.models.generation.KVCache", "tinynn.models.KVCache",
             "tinynn.nn.functional.scaled_dot_product_attention"]
PARTS = {"sampling": ["top_k_filter", "top_p_filter", "sample_next"]}


def top_k_filter(logits: tinynn.Tensor, k: int) -> tinynn.Tensor:
    """(B, V) -> (B, V): -inf wherever a logit is below its row's k-th largest (ties kept)."""
    # >>> solution
    if k >= logits.shape[-1]:
        return logits
    kth_largest = logits.topk(k, dim=-1).values[:, -1:]             # (B, 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))
    # <<< solution


def top_p_filter(logits: tinynn.Tensor, p: float) -> tinynn.Tensor:
    """(B, V) -> (B, V): keep the tokens whose sorted mass before them is < p; -inf elsewhere."""
    # >>> solution
    if p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs                      # p_(1) + ... + p_(i-1)
    remove_sorted = mass_before >= p
    remove = remove_sorted.scatter(1, order, remove_sorted)        # flag i goes to token order[i]
    return logits.masked_fill(remove, float("-inf"))
    # <<< solution


def sample_next(logits: tinynn.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: tinynn.Generator | None = None) -> tinynn.Tensor:
    """(B, V) -> (B,) int64: argmax if temperature == 0, else a draw from softmax(filtered logits / T)."""
    # >>> solution
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(dim=-1)
    return tinynn.multinomial(probs, 1, generator=generator)[:, 0]
    # <<< solution


class KVCache:
    """The keys and values of every position seen so far, (B, P, d) each (None before the first update)."""

    def __init__(self):
        self.keys = None
        self.values = None

    def __len__(self) -> int:
        """P, the number of cached positions."""
        return 0 if self.keys is None else self.keys.shape[1]

    def update(self, key: tinynn.Tensor, value: tinynn.Tensor) -> tuple:
        """Append key, value (B, T, d) after the cached ones; return all keys and values (B, P + T, d)."""
        # >>> solution
        if self.keys is not None:
            key = tinynn.cat([self.keys, key], dim=1)
            value = tinynn.cat([self.values, value], dim=1)
        self.keys, self.values = key, value
        return key, value
        # <<< solution


def causal_attention(q: tinynn.Tensor, k: tinynn.Tensor, v: tinynn.Tensor) -> tinynn.Tensor:
    """q: (B, T, d), the last T of S positions; k, v: (B, S, d) -> (B, T, d). Query i sees keys j <= S - T + i."""
    # >>> solution
    t, s = q.shape[1], k.shape[1]
    allowed = tinynn.ones(t, s, dtype=tinynn.bool).tril(s - t)     # the causal mask shifted by the cache
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    return scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1) @ v
    # <<< solution


class TinyLM:
    """A one-layer, one-head attention language model (given: nothing to write here).

        x = wte[ids] + wpe[positions]           (B, T, d); positions continue after the cached ones
        q, k, v = x W_q^T, x W_k^T, x W_v^T      with a cache, k and v join the cached ones first
        logits = (x + causal_attention(q, k, v) W_o^T) wte^T          (B, T, V)

    weights: a dict of Tensors wte (V, d), wpe (max_length, d), w_q, w_k, w_v, w_o (d, d).
    """

    def __init__(self, weights: dict):
        self.weights = weights

    def __call__(self, ids: tinynn.Tensor, cache: KVCache | None = None) -> tinynn.Tensor:
        w = self.weights
        past = 0 if cache is None else len(cache)
        x = w["wte"][ids] + w["wpe"][past:past + ids.shape[1]]
        q, k, v = x @ w["w_q"].T, x @ w["w_k"].T, x @ w["w_v"].T
        if cache is not None:
            k, v = cache.update(k, v)
        return (x + causal_attention(q, k, v) @ w["w_o"].T) @ w["wte"].T


def generate(model, ids: tinynn.Tensor, max_new_tokens: int, use_cache: bool = True, temperature: float = 0.0,
             top_k: int | None = None, top_p: float | None = None,
             generator: tinynn.Generator | None = None) -> tinynn.Tensor:
    """ids (B, T0) int64 -> (B, T0 + max_new_tokens): each step samples from the last position's logits."""
    # >>> solution
    cache = KVCache() if use_cache else None
    unseen = ids                                   # the tokens the cache has not seen yet
    for _ in range(max_new_tokens):
        if use_cache:
            logits = model(unseen, cache)[:, -1]   # (B, V): the prompt once, then one token per step
        else:
            logits = model(ids)[:, -1]             # the whole sequence, every step
        next_id = sample_next(logits, temperature, top_k, top_p, generator).reshape(-1, 1)
        ids = tinynn.cat([ids, next_id], dim=1)
        unseen = next_id
    return ids
    # <<< solution
