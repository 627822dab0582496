"""The decoding steps of tinynn/models/sampling.py: hand-computed cases, Hugging Face's semantics
(written out here with PyTorch: ascending sort, cumulative mass <= 1 - top_p removed), and the
sampler's frequencies and reproducibility."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from tinynn.models import (apply_repetition_penalty, apply_temperature, process_logits, sample_next_token,
                           top_k_filter, top_p_filter)
from tests.helpers import needs_torch, rand, torch

INF = float("inf")


def logits_of(probs) -> tinynn.Tensor:
    with np.errstate(divide="ignore"):  # log(0) = -inf: a token that can never come
        return tinynn.tensor(np.log(np.asarray(probs, dtype=np.float64)))


def test_temperature_divides_the_logits():
    z = tinynn.tensor([[1.0, 2.0, -4.0]])
    assert apply_temperature(z, 0.5).tolist() == [[2.0, 4.0, -8.0]]
    assert apply_temperature(z, 1.0) is z
    p_hot = tinynn.softmax(apply_temperature(z, 10.0), -1).numpy()
    assert p_hot.max() - p_hot.min() < 0.5 < np.ptp(tinynn.softmax(z, -1).numpy())  # flatter
    for bad in (0, -0.5, True, "1"):
        with pytest.raises(ValueError, match="temperature"):
            apply_temperature(z, bad)


def test_top_k_keeps_the_k_largest_and_ties():
    z = tinynn.tensor([[0.1, 3.0, 2.0, -1.0, 2.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    out = top_k_filter(z, 2).numpy()
    assert out[0].tolist() == [-INF, 3.0, 2.0, -INF, 2.0]  # 2.0 ties with the 2nd largest: both stay
    assert out[1].tolist() == [5.0, 4.0, -INF, -INF, -INF]
    assert top_k_filter(z, 5) is z and top_k_filter(z, 50) is z
    with pytest.raises(ValueError, match="top_k"):
        top_k_filter(z, 0)
    with pytest.raises(ValueError, match="shape"):
        top_k_filter(z[0], 2)


def test_top_p_hand_computed():
    # probabilities 0.5, 0.3, 0.15, 0.05 (in a shuffled order)
    z = logits_of([[0.15, 0.5, 0.05, 0.3]])
    kept = lambda p: np.isfinite(top_p_filter(z, p).numpy()[0]).tolist()  # noqa: E731
    assert kept(0.4) == [False, True, False, False]   # 0.5 alone reaches 0.4
    assert kept(0.5) == [False, True, False, False]   # mass before 0.3 is 0.5: not short of 0.5
    assert kept(0.6) == [False, True, False, True]    # 0.5 + 0.3 = 0.8 >= 0.6
    assert kept(0.9) == [True, True, False, True]     # 0.95 >= 0.9
    assert kept(0.96) == [True, True, True, True]
    assert kept(1e-9) == [False, True, False, False]  # the best token always stays
    filtered = top_p_filter(z, 0.6).numpy()[0]
    assert filtered[1] == z.numpy()[0, 1] and filtered[3] == z.numpy()[0, 3]  # survivors unchanged
    assert np.isfinite(top_p_filter(z, 1e-9, min_tokens_to_keep=3).numpy()).sum() == 3
    assert top_p_filter(z, 1.0) is z
    for bad in (0.0, 1.01, -0.2):
        with pytest.raises(ValueError, match="top_p"):
            top_p_filter(z, bad)


def hf_top_p(scores, top_p, min_tokens_to_keep=1):
    """Hugging Face's nucleus rule, written from its description: sort ascending, remove the tokens
    whose cumulative mass (from the least likely up) is <= 1 - top_p, always keep the best few."""
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p)
    remove_sorted[..., -min_tokens_to_keep:] = False
    remove = remove_sorted.scatter(1, sorted_indices, remove_sorted)
    return scores.masked_fill(remove, -INF)


def hf_top_k(scores, top_k):
    threshold = torch.topk(scores, top_k)[0][..., -1, None]
    return scores.masked_fill(scores < threshold, -INF)


def hf_repetition_penalty(input_ids, scores, penalty):
    score = torch.gather(scores, 1, input_ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, input_ids, score)


@needs_torch
@pytest.mark.parametrize("seed", range(4))
def test_filters_agree_with_hugging_face_semantics(seed):
    scores = rand(6, 40, seed=seed) * 2
    ours, theirs = tinynn.tensor(scores), torch.tensor(scores)
    for p in (0.1, 0.5, 0.77, 0.95):
        for keep in (1, 3):
            np.testing.assert_array_equal(top_p_filter(ours, p, keep).numpy(), hf_top_p(theirs, p, keep).numpy())
    for k in (1, 5, 39):
        np.testing.assert_array_equal(top_k_filter(ours, k).numpy(), hf_top_k(theirs, k).numpy())
    input_ids = np.random.default_rng(seed).integers(0, 40, size=(6, 15))  # with repeats
    for penalty in (0.7, 1.3, 2.0):
        np.testing.assert_allclose(apply_repetition_penalty(ours, tinynn.tensor(input_ids), penalty).numpy(),
                                   hf_repetition_penalty(torch.tensor(input_ids), theirs, penalty).numpy(),
                                   rtol=0, atol=0)


def test_repetition_penalty_hand_computed():
    z = tinynn.tensor([[2.0, -1.0, 0.5, 3.0], [1.0, 1.0, 1.0, 1.0]])
    seen = tinynn.tensor([[0, 1, 1, 1], [3, 3, 3, 3]])  # repeats are penalised once
    out = apply_repetition_penalty(z, seen, 2.0).tolist()
    assert out == [[1.0, -2.0, 0.5, 3.0], [1.0, 1.0, 1.0, 0.5]]
    assert apply_repetition_penalty(z, seen, 1.0) is z
    with pytest.raises(ValueError, match="repetition_penalty"):
        apply_repetition_penalty(z, seen, 0.0)
    with pytest.raises(ValueError, match="input_ids"):
        apply_repetition_penalty(z, seen[:1], 2.0)


def test_sampling_frequencies_and_generator():
    probs = np.array([0.1, 0.6, 0.0, 0.3])
    z = logits_of(np.tile(probs, (1500, 1)))
    draws = sample_next_token(z, generator=tinynn.Generator().manual_seed(0)).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    assert np.abs(freq - probs).max() < 0.04 and freq[2] == 0.0  # a zero-probability token never comes
    again = sample_next_token(z[:100], generator=tinynn.Generator().manual_seed(0)).numpy()
    other = sample_next_token(z[:100], generator=tinynn.Generator().manual_seed(1)).numpy()
    draws = draws[:100]
    assert np.array_equal(draws, again) and not np.array_equal(draws, other)
    assert sample_next_token(logits_of([[0.2, 0.5, 0.3]]), do_sample=False).tolist() == [1]


def test_filtered_sampling_only_draws_survivors():
    z = tinynn.tensor(np.tile(rand(1, 30, seed=3), (500, 1)))
    draws = sample_next_token(top_k_filter(z, 3), generator=tinynn.Generator().manual_seed(2)).numpy()
    assert set(draws.tolist()) == set(np.argsort(-z.numpy()[0])[:3].tolist())
    nucleus = np.isfinite(top_p_filter(z[:1], 0.5).numpy()[0])
    draws = sample_next_token(top_p_filter(z, 0.5), generator=tinynn.Generator().manual_seed(2)).numpy()
    assert set(draws.tolist()) <= set(np.flatnonzero(nucleus).tolist())


def test_process_logits_order_and_greedy():
    z = tinynn.tensor([[2.0, 1.0, 0.0, -1.0]])
    seen = tinynn.tensor([[0]])
    out = process_logits(z, seen, temperature=0.5, top_k=3, repetition_penalty=4.0).tolist()[0]
    assert out == [1.0, 2.0, 0.0, -INF]  # 2 / 4 = 0.5, then / 0.5 -> 1.0; top-3 drops the last
    greedy = process_logits(z, seen, temperature=0.5, top_k=1, repetition_penalty=4.0, do_sample=False)
    assert greedy.tolist() == [[0.5, 1.0, 0.0, -1.0]]  # only the penalty applies to greedy decoding
    with pytest.raises(ValueError, match="temperature"):
        process_logits(z, seen, temperature=0.0, do_sample=False)
    with pytest.raises(ValueError, match="input_ids"):
        process_logits(z, None, repetition_penalty=1.2)
    assert math.isinf(process_logits(z, top_p=0.3).tolist()[0][1])
