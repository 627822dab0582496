"""Checks for exercise 25: the filters against ``tinynn.models.sampling``, sampling by its statistics, the
KV cache by cached runs and generation equal to uncached ones.

top-k and top-p are compared with the library's filters; top-p also by its rule (the smallest set of
most likely tokens whose probability reaches p), which is what decides with tied probabilities.
``sample_next`` is checked on thousands of draws: no draw outside the filtered set, frequencies within
5 standard deviations of the filtered softmax, temperature -> 0 giving the argmax, and the library's
tokens for the same generator. The cache: appends, logits of a step-by-step run equal to the full
run's, and ``generate`` with the cache giving the tokens of ``generate`` without it.
"""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from tinynn.models import sampling as library
from ..compare import shape_hint
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

DRAWS = 3000


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _array(what: str, got, shape: tuple, kind: str = "f") -> np.ndarray:
    """The Tensor ``got`` as an array of ``shape``, or a Mismatch that says what is wrong with it."""
    if not isinstance(got, tinynn.Tensor):
        raise Mismatch(f"{what}: you returned {'None' if got is None else 'a ' + type(got).__name__}, "
                       "expected a tinynn Tensor")
    array = got.detach().numpy()
    if array.shape != shape:
        hint = shape_hint(array.shape, shape)
        raise Mismatch(f"{what}: shape {array.shape} but expected {shape}" + (f". Hint: {hint}" if hint else ""))
    if array.dtype.kind != kind:
        raise Mismatch(f"{what}: dtype {array.dtype} but expected " + ("int64 token ids" if kind == "i" else "floats"))
    return array


def _tokens(count) -> str:
    return f"{count} token" + ("" if count == 1 else "s")


def _grade_top_k(g: Grader, student, reference) -> None:
    z = g.randn(3, 6)
    ties = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]])
    cases = [(z, 2, "logits (3, 6), k = 2"), (z, 1, "k = 1: only the argmax stays"), (z, 6, "k = V: nothing removed"),
             (z, 10, "k = 10 > V: nothing removed"), (ties, 2, "ties with the k-th largest logit are all kept"),
             (g.randn(1, 5), 3, "a batch of one, k = 3")]
    for z, k, case in cases:
        with g.check(case, "top_k_filter", points=2 if k == 2 else 1):
            got = g.call(student.top_k_filter, tinynn.tensor(z), k)
            expected = reference.top_k_filter(tinynn.tensor(z), k).numpy()
            array = _array("filtered logits", got, z.shape)
            kept, should = np.isfinite(array).sum(axis=1), np.isfinite(expected).sum(axis=1)
            if (kept != should).any():
                r = int(np.argmax(kept != should))
                hint = ""
                if kept[r] == k:
                    hint = " Hint: every logit >= the k-th largest stays, so ties with it are all kept"
                elif kept[r] < should[r]:
                    hint = " Hint: remove only the logits strictly below the k-th largest (it stays itself)"
                raise Mismatch(f"filtered logits: row {r} keeps {_tokens(kept[r])}, expected {should[r]} "
                               f"(k = {k}).{hint}")
            kth = -np.sort(-z, axis=1)[:, min(k, z.shape[1]) - 1:min(k, z.shape[1])]
            g.expect("filtered logits", got, expected,
                     mistakes={"the removed tokens set to 0; they need -inf (softmax then gives them 0)":
                               np.where(z >= kth, z, 0.0),
                               "the k smallest logits kept": np.where(z <= np.sort(z, axis=1)[:, k - 1:k], z, -np.inf)
                               if k <= z.shape[1] else z})
            g.expect("filtered logits against the library", got, library.top_k_filter(tinynn.tensor(z), k),
                     expected_label="tinynn.models.sampling.top_k_filter")


def _nucleus_problem(array: np.ndarray, z: np.ndarray, p: float) -> str | None:
    """Why ``array`` is not a valid top-p filtering of ``z`` (any of the tied smallest sets is valid), or None."""
    probs = _softmax(z)
    for r in range(z.shape[0]):
        kept = np.isfinite(array[r])
        changed = kept & (array[r] != z[r])
        if changed.any():
            j = int(np.argmax(changed))
            return (f"row {r}: the kept logit of token {j} changed (expected {z[r, j]:.6g}, got {array[r, j]:.6g}); "
                    "a filter only sets the removed tokens to -inf")
        ordered = np.sort(probs[r])[::-1]
        should = z.shape[1] if p >= 1 else int(((np.cumsum(ordered) - ordered) < p).sum())
        if kept.sum() != should:
            hint = ""
            if kept.sum() == should - 1:
                hint = (". Hint: the token whose probability makes the mass reach p stays: compare the mass BEFORE "
                        "each token (cumsum - probs) with p")
            if p >= 1:
                hint = ". Hint: p = 1 keeps every token; return the logits unchanged"
            return (f"row {r} keeps {_tokens(kept.sum())}, expected {should}: the smallest set of most likely tokens "
                    f"whose probability reaches p = {p}{hint}")
        if kept.any() and (~kept).any() and probs[r][kept].min() < probs[r][~kept].max() * (1 - 1e-9):
            a = int(np.flatnonzero(kept)[np.argmin(probs[r][kept])])
            b = int(np.flatnonzero(~kept)[np.argmax(probs[r][~kept])])
            return (f"row {r} keeps token {a} (probability {probs[r, a]:.4g}) but removes token {b} (probability "
                    f"{probs[r, b]:.4g}): the kept tokens must be the most likely ones (sort descending?)")
    return None


def _grade_top_p(g: Grader, student, reference) -> None:
    z = g.randn(3, 6)
    example = np.log(np.array([[0.15, 0.5, 0.05, 0.3]]))
    cases = [(z, 0.5, "logits (3, 6), p = 0.5"), (z, 0.9, "logits (3, 6), p = 0.9"),
             (example, 0.7, "the docstring's example in shuffled order: probabilities [0.15, 0.5, 0.05, 0.3], p = 0.7"),
             (z, 0.01, "p = 0.01: the most likely token always stays"),
             (np.array([[30.0, 0.0, -30.0], [1.0, 2.0, 3.0]]), 1.0,
              "p = 1 with a token of probability 1e-26: all kept"),
             (np.array([[2.0, 0.0, 2.0, 2.0, 2.0]]), 0.5, "four tied tokens, p = 0.5: any 3 of them")]
    for z, p, case in cases:
        tied = "tied" in case
        with g.check(case, "top_p_filter", points=2 if p in (0.5, 0.7) and not tied else 1):
            got = g.call(student.top_p_filter, tinynn.tensor(z), p)
            problem = _nucleus_problem(_array("filtered logits", got, z.shape), z, p)
            if problem:
                raise Mismatch("filtered logits: " + problem)
            if not tied:   # without ties the nucleus is unique: the library's exactly
                g.expect("filtered logits", got, reference.top_p_filter(tinynn.tensor(z), p))
                g.expect("filtered logits against the library", got, library.top_p_filter(tinynn.tensor(z), p),
                         expected_label="tinynn.models.sampling.top_p_filter")


def _draws(g: Grader, student, row: np.ndarray, **options) -> np.ndarray:
    """DRAWS tokens from ``sample_next`` on ``row`` repeated DRAWS times (one call), as an int array."""
    generator = tinynn.Generator().manual_seed(11)
    got = g.call(student.sample_next, tinynn.tensor(np.repeat(row[None], DRAWS, axis=0)), generator=generator,
                 **options)
    return _array("sampled ids", got, (DRAWS,), kind="i")


def _expect_frequencies(ids: np.ndarray, probs: np.ndarray, setting: str) -> None:
    counts = np.bincount(ids, minlength=probs.size)[:probs.size]
    if ids.min() < 0 or ids.max() >= probs.size:
        wrong = ids.max() if ids.max() >= probs.size else ids.min()
        raise Mismatch(f"sampled ids: got id {wrong}, outside 0..{probs.size - 1}")
    outside = (probs == 0) & (counts > 0)
    if outside.any():
        j = int(np.argmax(outside))
        raise Mismatch(f"sampled ids: token {j} was drawn {counts[j]} times in {DRAWS}, but {setting} gives it "
                       "probability 0. Hint: filter the logits (to -inf) before the softmax, in the docstring's order")
    frequency = counts / DRAWS
    allowed = 5 * np.sqrt(probs * (1 - probs) / DRAWS) + 1e-3
    bad = np.abs(frequency - probs) > allowed
    if bad.any():
        j = int(np.argmax(bad))
        raise Mismatch(f"sampled ids: token {j} was drawn with frequency {frequency[j]:.4f} in {DRAWS} draws, expected "
                       f"{probs[j]:.4f} +- {allowed[j]:.4f} ({setting}); all frequencies: "
                       f"{np.round(frequency, 3).tolist()}, "
                       f"expected {np.round(probs, 3).tolist()}")


def _grade_sampling(g: Grader, student, reference) -> None:
    z = g.randn(4, 7)
    with g.check("temperature 0: the argmax of each row (greedy)", "sample_next"):
        got = g.call(student.sample_next, tinynn.tensor(z), 0.0)
        g.expect("ids", _array("ids", got, (4,), kind="i"), z.argmax(axis=1), exact=True)

    row = np.array([1.0, 2.0, 1.9, -1.0, 0.5])
    with g.check(f"temperature 1e-3: all {DRAWS} draws are the argmax", "sample_next"):
        ids = _draws(g, student, row, temperature=1e-3)
        if (ids != 1).any():
            raise Mismatch(f"sampled ids: {(ids != 1).sum()} of {DRAWS} draws are not the argmax (token 1). Hint: "
                           "divide the logits by the temperature; as it goes to 0, softmax(z / T) becomes one-hot")

    row = np.array([2.0, 1.5, 1.0, 0.2, -0.5, -2.0])
    settings = [(dict(temperature=0.7), "temperature 0.7", 2), (dict(top_k=3), "top_k = 3", 2),
                (dict(top_p=0.8), "top_p = 0.8", 2),
                (dict(temperature=2.0, top_k=4, top_p=0.75), "temperature 2, then top_k = 4, then top_p = 0.75", 1)]
    for options, setting, points in settings:
        with g.check(f"{setting}: {DRAWS} draws never leave the kept tokens, frequencies match", "sample_next",
                     points=points):
            ids = _draws(g, student, row, **options)
            filtered = library.process_logits(tinynn.tensor(row[None]), **options).numpy()[0]
            _expect_frequencies(ids, _softmax(filtered), setting)

    z = g.randn(5, 6)
    with g.check("the same generator gives the library's tokens (temperature 0.9, top_k 4, top_p 0.9)", "sample_next"):
        got = g.call(student.sample_next, tinynn.tensor(z), 0.9, 4, 0.9, generator=tinynn.Generator().manual_seed(5))
        filtered = library.process_logits(tinynn.tensor(z), temperature=0.9, top_k=4, top_p=0.9)
        expected = library.sample_next_token(filtered, True, tinynn.Generator().manual_seed(5)).numpy()
        ids = _array("ids", got, (5,), kind="i")
        if (ids != expected).any():
            raise Mismatch(f"ids: {ids.tolist()} but the library drew {expected.tolist()} with the same generator. "
                           "Hint: "
                           "draw with tinynn.multinomial(probs, 1, generator=generator) (one call, all rows)")


def _weights(g: Grader, vocab: int = 7, d: int = 4, length: int = 16) -> dict:
    shapes = dict(wte=(vocab, d), wpe=(length, d), w_q=(d, d), w_k=(d, d), w_v=(d, d), w_o=(d, d))
    return {name: tinynn.tensor(g.randn(*shape)) for name, shape in shapes.items()}


class _Recorder:
    """Wraps a model and records the shape of the ids of every call, and whether a cache came with it."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def __call__(self, ids, cache=None):
        self.calls.append((tuple(ids.shape), cache is not None))
        return self.model(ids, cache)


def _step_by_step(g: Grader, model, cache, ids: np.ndarray, prefill: int) -> np.ndarray:
    """The logits of ``ids`` from a prefill of ``prefill`` tokens and then one token at a time."""
    chunks = [ids[:, :prefill]] + [ids[:, t:t + 1] for t in range(prefill, ids.shape[1])]
    rows = [g.call(model, tinynn.tensor(chunk), cache, what="TinyLM with your cache").numpy() for chunk in chunks]
    return np.concatenate(rows, axis=1)


def _grade_cache(g: Grader, student, reference) -> None:
    k1, v1, k2, v2 = g.randn(2, 3, 4), g.randn(2, 3, 4), g.randn(2, 1, 4), g.randn(2, 1, 4)
    with g.check("two updates, (2, 3, 4) then (2, 1, 4): all keys and values, in order", "KVCache.update", points=2):
        cache = g.call(student.KVCache)
        for k, v, seen in ((k1, v1, (k1, v1)), (k2, v2, (np.concatenate([k1, k2], 1), np.concatenate([v1, v2], 1)))):
            got = g.call(cache.update, tinynn.tensor(k), tinynn.tensor(v), what="KVCache.update")
            g.expect_values("KVCache.update", ["keys", "values"], got, seen,
                            mistakes=[{"the new keys put in front of the cached ones": np.concatenate([k2, k1], 1),
                                       "only the new keys": k2}, {}])
        if len(cache) != 4:
            raise Mismatch(f"len(cache) is {len(cache)} after 3 + 1 positions, expected 4 (update must store them)")

    weights = _weights(g)
    ids = g.rng.integers(0, 7, (2, 8))
    full = reference.TinyLM(weights)(tinynn.tensor(ids)).numpy()
    with g.check("your cache in the reference model: a prefill of 3 then one token at a time gives the full run's "
                 "logits", "KVCache.update", points=2):
        got = _step_by_step(g, reference.TinyLM(weights), g.call(student.KVCache), ids, 3)
        g.expect("logits", got, full, rtol=1e-9, expected_label="the full run's")

    for b, t, s in [(2, 4, 4), (2, 1, 5), (2, 2, 5)]:
        q, k, v = g.randn(b, t, 3), g.randn(b, s, 3), g.randn(b, s, 3)
        case = f"q ({b}, {t}, 3), k and v ({b}, {s}, 3): {s - t} cached positions"
        with g.check(case, "causal_attention", points=2 if 0 < s - t < s - 1 else 1):
            got = g.call(student.causal_attention, tinynn.tensor(q), tinynn.tensor(k), tinynn.tensor(v))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(3)
            unshifted = np.where(np.tril(np.ones((t, s), dtype=bool)), scores, -np.inf)
            g.expect("out", got, reference.causal_attention(tinynn.tensor(q), tinynn.tensor(k), tinynn.tensor(v)),
                     mistakes={"the causal mask not shifted: query i sees keys j <= i, not j <= S - T + i":
                               _softmax(unshifted) @ v, "no mask at all": _softmax(scores) @ v})
            mask = tinynn.tensor(np.tril(np.ones((t, s), dtype=bool), s - t))
            library_out = F.scaled_dot_product_attention(tinynn.tensor(q), tinynn.tensor(k), tinynn.tensor(v),
                                                         attn_mask=mask)
            g.expect("out against the library", got, library_out, expected_label="F.scaled_dot_product_attention")

    q, k, v, upstream = g.randn(1, 2, 3), g.randn(1, 4, 3), g.randn(1, 4, 3), g.randn(1, 2, 3)
    with g.check("2 queries after 2 cached: gradients for q, k, v against finite differences", "causal_attention"):
        tensors = [tinynn.tensor(a, requires_grad=True) for a in (q, k, v)]
        out = g.call(student.causal_attention, *tensors)
        grads = g.autograd_gradients("causal_attention", out, tensors, [upstream])
        forward = on_arrays(reference.causal_attention)
        for i, name in enumerate(("q", "k", "v")):
            g.expect_gradient(name, g.require_gradient(name, grads[i]),
                              numeric_gradient(forward, [q, k, v], i, upstream))

    with g.check("your TinyLM with your attention and cache: step-by-step logits equal the full run's",
                 "causal_attention", points=2):
        model = student.TinyLM(weights)
        got = _step_by_step(g, model, g.call(student.KVCache), ids, 2)
        g.expect("logits", got, full, rtol=1e-9, expected_label="the full run's")


def _grade_generate(g: Grader, student, reference) -> None:
    weights = _weights(g)
    prompt = tinynn.tensor(g.rng.integers(0, 7, (2, 3)))
    greedy = reference.generate(reference.TinyLM(weights), prompt, 6, use_cache=False).numpy()
    for use_cache in (True, False):
        with g.check(f"greedy, 6 new tokens, use_cache={use_cache}: the uncached reference's tokens", "generate",
                     points=2 if use_cache else 1):
            got = g.call(student.generate, reference.TinyLM(weights), prompt, 6, use_cache)
            g.expect("ids", _array("ids", got, greedy.shape, kind="i"), greedy, exact=True)

    with g.check("use_cache=True: the model sees the prompt once, then one token per step", "generate", points=2):
        recorder = _Recorder(reference.TinyLM(weights))
        g.call(student.generate, recorder, prompt, 4, True)
        expected = [((2, 3), True)] + [((2, 1), True)] * 3
        for i, (call, wanted) in enumerate(zip(recorder.calls, expected)):
            if call != wanted:
                without = "" if call[1] else " without a cache"
                raise Mismatch(f"call {i + 1} of the model got ids of shape {call[0]}{without}"
                               + f", expected {wanted[0]} with the cache. Hint: after the prefill, give the model only "
                               "the newest token; the cache holds the keys and values of the rest")
        if len(recorder.calls) < len(expected):
            raise Mismatch(f"the model was called {len(recorder.calls)} times for 4 new tokens, expected 4")

    one = tinynn.tensor(np.array([[3]]))
    with g.check("sampled (temperature 1, top_k 4), a batch of one, a prompt of one token: cached = uncached",
                 "generate"):
        runs = [g.call(student.generate, student.TinyLM(weights), one, 8, use_cache, 1.0, 4, None,
                       tinynn.Generator().manual_seed(3)) for use_cache in (True, False)]
        uncached = _array("ids without the cache", runs[1], (1, 9), kind="i")
        g.expect("ids with the cache", _array("ids", runs[0], (1, 9), kind="i"), uncached, exact=True,
                 expected_label="without the cache")


def grade(g: Grader, student, reference) -> None:
    _grade_top_k(g, student, reference)
    _grade_top_p(g, student, reference)
    _grade_sampling(g, student, reference)
    _grade_cache(g, student, reference)
    _grade_generate(g, student, reference)
