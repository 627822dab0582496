"""Exercise 25, sampling and the KV cache: the reference passes every check, the student file is reported
not done, and planted mistakes (top-k dropping the k-th largest, top-p dropping the token that reaches p,
no p = 1 shortcut, top-p flags left in sorted order, temperature multiplied, the filters before the
temperature, the draw without the generator, new keys in front of the cache, an unshifted causal mask,
the whole sequence fed with a cache, the library's top_k_filter) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e25_sampling_kv_cache")
FUNCTIONS = ["top_k_filter", "top_p_filter", "sample_next", "KVCache.update", "causal_attention", "generate"]

FILTERS = ("    logits = logits / temperature\n    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"
           "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n")
FILTERS_FIRST = ("    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n    if top_p is not None:\n"
                 "        logits = top_p_filter(logits, top_p)\n    logits = logits / temperature\n")

MUTANTS = [
    ('logits.masked_fill(logits < kth_largest, float("-inf"))', 'logits.masked_fill(logits <= kth_largest, float("-inf"))',
     "top_k_filter", ["row 0 keeps 1 token, expected 2 (k = 2)", "strictly below the k-th largest"]),
    ("mass_before = probs.cumsum(dim=-1) - probs ", "mass_before = probs.cumsum(dim=-1) ", "top_p_filter",
     ["keeps 1 token, expected 2", "compare the mass BEFORE each token"]),
    ("    if p >= 1.0:\n        return logits\n", "", "top_p_filter",
     ["p = 1 with a token of probability 1e-26", "p = 1 keeps every token"]),
    ("remove = remove_sorted.scatter(1, order, remove_sorted)", "remove = remove_sorted", "top_p_filter",
     ["but removes token", "the kept tokens must be the most likely ones"]),
    ("logits = logits / temperature", "logits = logits * temperature", "sample_next",
     ["are not the argmax", "divide the logits by the temperature", "drawn with frequency"]),
    (FILTERS, FILTERS_FIRST, "sample_next", ["temperature 2, then top_k = 4, then top_p = 0.75", "expected 0.4192"]),
    ("return tinynn.multinomial(probs, 1, generator=generator)[:, 0]", "return tinynn.multinomial(probs, 1)[:, 0]",
     "sample_next", ["with the same generator", "generator=generator"]),
    ("key = tinynn.cat([self.keys, key], dim=1)", "key = tinynn.cat([key, self.keys], dim=1)", "KVCache.update",
     ["keys:", "the new keys put in front of the cached ones"]),
    ("allowed = tinynn.ones(t, s, dtype=tinynn.bool).tril(s - t)", "allowed = tinynn.ones(t, s, dtype=tinynn.bool).tril()",
     "causal_attention", ["3 cached positions", "the causal mask not shifted"]),
    ("logits = model(unseen, cache)[:, -1]", "logits = model(ids, cache)[:, -1]", "generate",
     ["generate raised RuntimeError", "line"]),
    ("    if k >= logits.shape[-1]:\n        return logits\n", "    return tinynn.models.sampling.top_k_filter(logits, k)\n",
     "top_k_filter", ["your code called tinynn.models.sampling.top_k_filter"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=30, points=43)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all", with_name=True)


def test_the_cache_must_really_be_used(tmp_path):
    """A generate that ignores the cache (the whole sequence every step, no cache) gives the right tokens but
    fails the check that the model sees one token per step."""
    path = mutant(EXERCISE, tmp_path, "if use_cache:\n            logits = model(unseen, cache)[:, -1]",
                  "if use_cache:\n            logits = model(ids)[:, -1]")
    results = {r.name: r for r in grade(EXERCISE, path).results if r.function == "generate"}
    assert results["greedy, 6 new tokens, use_cache=True: the uncached reference's tokens"].status == "pass"
    seen = results["use_cache=True: the model sees the prompt once, then one token per step"]
    assert seen.status == "fail" and "call 1 of the model got ids of shape (2, 3) without a cache" in seen.message
