"""Choosing the next token from a language model's logits: the steps of ``GPT.generate``.

A model gives, for every sequence in the batch, one score per vocabulary entry: logits (B, V).
Decoding turns them into one token id per row. The steps run in this order (Hugging Face's
``generate`` uses the same order, so its settings mean the same thing here)::

    logits = apply_repetition_penalty(logits, seen_ids, penalty)   discourage tokens already in the text
    logits = apply_temperature(logits, T)                     logits / T: T < 1 sharper, T > 1 flatter
    logits = top_k_filter(logits, k)                          keep the k best tokens
    logits = top_p_filter(logits, p)                          keep the smallest set holding mass p
    next   = sample_next_token(logits, do_sample, generator)  softmax, then draw (or argmax)

A filter removes a token by setting its logit to -inf, so softmax gives it probability exactly 0
and the surviving tokens share the mass in their old proportions.
"""
from __future__ import annotations

from typing import Sequence

from ..creation import tensor
from ..ops import multinomial, softmax, where
from ..random import Generator
from ..tensor import Tensor

__all__ = ["apply_temperature", "top_k_filter", "top_p_filter", "apply_repetition_penalty", "sample_next_token",
           "process_logits"]

_NEG_INF = float("-inf")


def _check_logits(logits: Tensor, who: str) -> None:
    if not isinstance(logits, Tensor):
        raise TypeError(f"{who}: logits should be a Tensor, got {type(logits).__name__}")
    if logits.ndim != 2 or logits.dtype.kind != "f":
        raise ValueError(f"{who}: expected float logits of shape (batch, vocab_size), got shape "
                         f"{tuple(logits.shape)} and dtype {logits.dtype}")


def check_temperature(temperature: float) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature has to be a strictly positive float, got {temperature!r} "
                         f"(for greedy decoding use do_sample=False)")


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """logits / T.  softmax(z / T): T -> 0 approaches argmax, T = 1 is the model, T -> inf uniform."""
    check_temperature(temperature)
    return logits if temperature == 1.0 else logits / float(temperature)


def top_k_filter(logits: Tensor, top_k: int) -> Tensor:
    """Keep each row's ``top_k`` largest logits, set the rest to -inf.

    logits: (B, V). Tokens tied with the k-th largest value are all kept (as in Hugging Face's
    TopKLogitsWarper: the rule is ``logit >= k-th largest``). ``top_k >= V`` keeps everything.
    """
    _check_logits(logits, "top_k_filter")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k has to be a strictly positive integer, got {top_k!r}")
    if top_k >= logits.shape[-1]:
        return logits
    kth_largest = logits.topk(top_k, dim=-1).values[:, -1:]  # (B, 1)
    return logits.masked_fill(logits < kth_largest, _NEG_INF)


def top_p_filter(logits: Tensor, top_p: float, min_tokens_to_keep: int = 1) -> Tensor:
    """Nucleus filter (Holtzman et al. 2019): keep the smallest set of most likely tokens whose
    probabilities add up to at least ``top_p``; set the rest to -inf.

    With the probabilities sorted from largest down, p_(1) >= p_(2) >= ..., token (i) stays when the
    mass before it is still short of the target:  p_(1) + ... + p_(i-1) < top_p. So the most likely
    token always stays, and so do at least ``min_tokens_to_keep``. ``top_p = 1`` keeps everything.
    logits: (B, V) -> (B, V).
    """
    _check_logits(logits, "top_p_filter")
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p has to be a float in (0, 1], got {top_p!r}")
    if isinstance(min_tokens_to_keep, bool) or not isinstance(min_tokens_to_keep, int) or min_tokens_to_keep < 1:
        raise ValueError(f"min_tokens_to_keep has to be a positive integer, got {min_tokens_to_keep!r}")
    if top_p == 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    sorted_probs = softmax(sorted_logits, dim=-1)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # (B, V): p_(1) + ... + p_(i-1)
    remove_sorted = mass_before >= top_p
    remove_sorted[:, :min_tokens_to_keep] = False
    # back from sorted order to vocabulary order: scatter each flag to the token it belongs to
    remove = remove_sorted.scatter(1, order, remove_sorted)
    return logits.masked_fill(remove, _NEG_INF)


def apply_repetition_penalty(logits: Tensor, input_ids: Tensor, penalty: float) -> Tensor:
    """CTRL's repetition penalty (Keskar et al. 2019), as Hugging Face applies it.

    For every token id that occurs in the row's ``input_ids`` (B, T) (once or many times: it is
    penalised once), its logit z becomes z / penalty if z > 0 and z * penalty if z <= 0, so with
    penalty > 1 a token already written always becomes less likely. penalty = 1 changes nothing.
    """
    _check_logits(logits, "repetition_penalty")
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not penalty > 0:
        raise ValueError(f"repetition_penalty has to be a strictly positive float, got {penalty!r}")
    if not isinstance(input_ids, Tensor) or input_ids.ndim != 2 or input_ids.shape[0] != logits.shape[0]:
        raise ValueError(f"repetition_penalty: input_ids should be a (batch, length) tensor with batch "
                         f"{logits.shape[0]}, got {getattr(input_ids, 'shape', type(input_ids).__name__)}")
    if penalty == 1.0 or input_ids.shape[1] == 0:
        return logits
    seen = logits.gather(1, input_ids)  # (B, T): the logits of the tokens already written
    seen = where(seen > 0, seen / float(penalty), seen * float(penalty))
    return logits.scatter(1, input_ids, seen)  # repeated ids write the same value: penalised once


def sample_next_token(logits: Tensor, do_sample: bool = True, generator: Generator | None = None) -> Tensor:
    """One token id per row, (B, V) -> (B,): drawn from softmax(logits) (``do_sample``) or the argmax.

    Drawing uses ``tinynn.multinomial`` with ``generator`` (default: tinynn's default generator),
    so the same seed gives the same tokens.
    """
    _check_logits(logits, "sample_next_token")
    if not do_sample:
        return logits.argmax(dim=-1)
    probs = softmax(logits, dim=-1)
    return multinomial(probs, 1, generator=generator)[:, 0]


def process_logits(logits: Tensor, input_ids: Tensor | None = None, temperature: float = 1.0,
                   top_k: int | None = None, top_p: float | None = None, repetition_penalty: float = 1.0,
                   do_sample: bool = True) -> Tensor:
    """All the logit transformations of one decoding step, in Hugging Face's order (module docstring).

    Temperature, top-k and top-p only shape a distribution to sample from, so with
    ``do_sample=False`` (greedy: argmax) they are checked but not applied; the repetition penalty
    applies to both.
    """
    check_temperature(temperature)
    if repetition_penalty != 1.0:
        if input_ids is None:
            raise ValueError("process_logits: a repetition penalty needs the input_ids written so far")
        logits = apply_repetition_penalty(logits, input_ids, repetition_penalty)
    if not do_sample:
        return logits
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return logits


def eos_ids_tensor(eos_token_id: int | Sequence[int] | None, device) -> Tensor | None:
    """The end-of-sequence id(s) as an int64 tensor (or None): generate() accepts one id or several."""
    if eos_token_id is None:
        return None
    ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
    if not ids or any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in ids):
        raise ValueError(f"eos_token_id should be a non-negative int or a list of them, got {eos_token_id!r}")
    return tensor(ids, device=device)
