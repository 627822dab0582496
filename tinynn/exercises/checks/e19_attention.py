"""Checks for exercise 19, attention: the causal mask, the weights, the output, and gradients for q, k, v; additive
(Bahdanau) attention: its scores, its output, and gradients for the inputs and its three weights."""
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
        with g.check(case + ": gradients for q, k, v against finite differences", "scaled_dot_product_attention",
                     points=2):
            tensors = [_tensor(a, True) for a in (q, k, v)]
            out = g.call(student.scaled_dot_product_attention, *tensors, _tensor(mask))
            grads = g.autograd_gradients("scaled_dot_product_attention", out, tensors, [upstream])
            forward = on_arrays(reference.scaled_dot_product_attention)
            for i, name in enumerate(("q", "k", "v")):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, [q, k, v, mask], i, upstream))

    grade_additive(g, student, reference)


def _additive_scores(q, k, w_q, w_k, w, mistake: str = ""):
    """Additive scores in NumPy, optionally with a known mistake, for the hints."""
    pre = (q @ w_q.T)[..., :, None, :] + (k @ w_k.T)[..., None, :, :]
    if mistake == "tanh outside":
        return np.tanh(pre @ w)
    if mistake == "no tanh":
        return pre @ w
    scores = np.tanh(pre) @ w
    return scores / np.sqrt(w.shape[0]) if mistake == "scaled" else scores


ADDITIVE_MISTAKES = {"tanh outside": "tanh(sum(w * (q W_q^T + k W_k^T))): the tanh belongs inside, on the hidden units",
                     "no tanh": "the scores without the tanh", "scaled": "the scores divided by sqrt(A) (additive "
                     "attention has no scale)"}


def _additive_cases(g: Grader) -> list:
    """(q, k, v, W_q, W_k, w, mask, description): Eq != Ek, batched with a mask, one query, causal."""
    cases = [(g.randn(3, 4), g.randn(5, 6), g.randn(5, 2), g.randn(3, 4), g.randn(3, 6), g.randn(3), None,
              "q (3, 4), k (5, 6), v (5, 2), A 3")]
    mask = g.rng.random((2, 4, 3)) < 0.6
    mask[..., 1] = True   # every query sees at least one key
    cases.append((g.randn(2, 4, 3), g.randn(2, 3, 5), g.randn(2, 3, 3), g.randn(4, 3), g.randn(4, 5), g.randn(4), mask,
                  "batch 2, L 4, S 3, A 4, a random mask (2, 4, 3)"))
    cases.append((g.randn(1, 2), g.randn(4, 2), g.randn(4, 3), g.randn(2, 2), g.randn(2, 2), g.randn(2), None,
                  "a single query, A 2"))
    cases.append((g.randn(2, 3, 3), g.randn(2, 3, 3), g.randn(2, 3, 2), g.randn(5, 3), g.randn(5, 3), g.randn(5),
                  np.tril(np.ones((3, 3), dtype=bool)), "a causal mask (3, 3), batch 2, A 5"))
    return cases


def grade_additive(g: Grader, student, reference) -> None:
    names = ("q", "k", "v", "weight_q", "weight_k", "w")
    for q, k, v, w_q, w_k, w, mask, case in _additive_cases(g):
        with g.check(case, "additive_scores"):
            got = g.call(student.additive_scores, *[_tensor(a, True) for a in (q, k, w_q, w_k, w)])
            expected = reference.additive_scores(*[_tensor(a) for a in (q, k, w_q, w_k, w)])
            g.expect("scores", got, expected,
                     mistakes={text: _additive_scores(q, k, w_q, w_k, w, m) for m, text in ADDITIVE_MISTAKES.items()})

        arrays = [q, k, v, w_q, w_k, w]
        with g.check(case, "additive_attention"):
            got = g.call(student.additive_attention, *[_tensor(a, True) for a in arrays], _tensor(mask))
            expected = reference.additive_attention(*[_tensor(a) for a in arrays], _tensor(mask))
            scores = _additive_scores(q, k, w_q, w_k, w)
            masked = scores if mask is None else np.where(mask, scores, -np.inf)
            mistakes = {"a softmax over the queries (dim -2); it goes over the keys (dim -1)": _softmax(masked, -2) @ v}
            if mask is not None:
                mistakes["the mask inverted (True means: may attend)"] = _softmax(np.where(~mask, scores, -np.inf)) @ v
            g.expect("out", got, expected, mistakes=mistakes)

        upstream = g.randn(*q.shape[:-1], v.shape[-1])
        with g.check(case + ": gradients for q, k, v, W_q, W_k, w against finite differences", "additive_attention",
                     points=2):
            tensors = [_tensor(a, True) for a in arrays]
            out = g.call(student.additive_attention, *tensors, _tensor(mask))
            grads = g.autograd_gradients("additive_attention", out, tensors, [upstream])
            forward = on_arrays(reference.additive_attention)
            for i, name in enumerate(names):
                g.expect_gradient(name, g.require_gradient(name, grads[i]),
                                  numeric_gradient(forward, arrays + [mask], i, upstream))
