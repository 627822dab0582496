"""Checks for exercise 07, attention: the causal mask, the weights, the output, and gradients for q, k, v."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from tinynn.nn.functional.attention import causal_mask as library_causal_mask
from ..grading import Grader, numeric_gradient, on_arrays


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _weights(q, k, mask, mistake: str = ""):
    """Attention weights in NumPy, optionally with a known mistake, for the hints."""
    d = q.shape[-1]
    scale = {"no scale": 1.0, "1/E": 1.0 / d}.get(mistake, 1.0 / np.sqrt(d))
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        scores = np.where(~mask if mistake == "inverted" else mask, scores, -np.inf)
    return _softmax(scores, axis=-2 if mistake == "queries" else -1)


MISTAKES = {"no scale": "the scores without the 1/sqrt(E) scale", "1/E": "the scores scaled by 1/E, not 1/sqrt(E)",
            "queries": "a softmax over the queries (dim -2); it goes over the keys (dim -1)",
            "inverted": "the mask inverted (True means: may attend)"}


def _cases(g: Grader) -> list:
    """(q, k, v, mask, description): plain, batched with heads, one query, causal, and a random mask."""
    cases = [(g.randn(3, 4), g.randn(5, 4), g.randn(5, 2), None, "q (3, 4), k (5, 4), v (5, 2)"),
             (g.randn(2, 3, 4, 8), g.randn(2, 3, 6, 8), g.randn(2, 3, 6, 5), None, "batch 2, 3 heads, L 4, S 6, E 8"),
             (g.randn(1, 3), g.randn(4, 3), g.randn(4, 3), None, "a single query")]
    causal = np.tril(np.ones((4, 4), dtype=bool))
    cases.append((g.randn(2, 4, 6), g.randn(2, 4, 6), g.randn(2, 4, 3), causal, "a causal mask (4, 4), batch 2"))
    random_mask = g.rng.random((3, 5)) < 0.6
    random_mask[:, 0] = True   # every query sees at least one key
    cases.append((g.randn(2, 3, 4), g.randn(2, 5, 4), g.randn(2, 5, 4), random_mask, "a random mask (3, 5), batch 2"))
    return cases


def _tensor(a, requires_grad=False):
    return None if a is None else tinynn.tensor(a, requires_grad=requires_grad)


def grade(g: Grader, student, reference) -> None:
    for L, S in [(3, 3), (2, 4), (4, 2), (1, 1)]:
        with g.check(f"L={L}, S={S}", "causal_mask"):
            got = g.call(student.causal_mask, L, S)
            g.expect("mask", got, reference.causal_mask(L, S), exact=True,
                     mistakes={"the mask inverted (True where j > i)": ~np.tril(np.ones((L, S), dtype=bool)),
                               "the diagonal excluded (query i may see key i)": np.tril(np.ones((L, S), dtype=bool), -1)})
            g.expect("mask against the library", got, library_causal_mask(L, S), exact=True,
                     expected_label="the library's causal_mask")

    for q, k, v, mask, case in _cases(g):
        with g.check(case, "attention_weights"):
            got = g.call(student.attention_weights, _tensor(q, True), _tensor(k, True), _tensor(mask))
            expected = reference.attention_weights(_tensor(q), _tensor(k), _tensor(mask))
            g.expect("weights", got, expected,
                     mistakes={text: _weights(q, k, mask, m) for m, text in MISTAKES.items()})

        with g.check(case, "scaled_dot_product_attention"):
            got = g.call(student.scaled_dot_product_attention, _tensor(q, True), _tensor(k, True), _tensor(v, True),
                         _tensor(mask))
            g.expect("out", got, reference.scaled_dot_product_attention(_tensor(q), _tensor(k), _tensor(v), _tensor(mask)))
            library = F.scaled_dot_product_attention(_tensor(q), _tensor(k), _tensor(v), attn_mask=_tensor(mask))
            g.expect("out against the library", got, library, expected_label="F.scaled_dot_product_attention")

        upstream = g.randn(*q.shape[:-1], v.shape[-1])
        with g.check(case + ": gradients for q, k, v against finite differences", "scaled_dot_product_attention"):
            tensors = [_tensor(a, True) for a in (q, k, v)]
            out = g.call(student.scaled_dot_product_attention, *tensors, _tensor(mask))
            grads = g.autograd_gradients("scaled_dot_product_attention", out, tensors, [upstream])
            forward = on_arrays(reference.scaled_dot_product_attention)
            for i, name in enumerate(("q", "k", "v")):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, [q, k, v, mask], i, upstream))
