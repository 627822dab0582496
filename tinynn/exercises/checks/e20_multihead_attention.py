"""Checks for exercise 20, multi-head attention: the head split and merge, the whole layer against
tinynn.nn.functional.multi_head_attention_forward with the same weights (masks included), every
gradient against finite differences, and that the attention goes through scaled_dot_product_attention."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

ARGUMENTS = ("query", "key", "value", "weight_q", "weight_k", "weight_v", "weight_o")
BIASES = ("bias_q", "bias_k", "bias_v", "bias_o")


def _split(x, h, mistake: str = ""):
    n, length, e = x.shape
    if mistake == "no transpose":
        return x.reshape(n, h, length, e // h)
    return x.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)


def _merge(x, mistake: str = ""):
    n, h, length, d = x.shape
    if mistake == "no transpose":
        return x.reshape(n, length, h * d)
    return x.transpose(0, 2, 1, 3).reshape(n, length, h * d)


def _mha(a: dict, h: int, mistake: str = ""):
    """Multi-head attention in NumPy, optionally with a known mistake, for the hints."""
    def project(x, w, b, output=False):
        transposed = mistake == "W not transposed" or (output and mistake == "W_o not transposed")
        y = x @ (w if transposed else w.T)
        return y if b is None else y + b

    heads = 1 if mistake == "one head" else h
    split = "no transpose" if mistake == "split" else ""
    q, k, v = (_split(project(a[x], a[w], a[b]), heads, split)
               for x, w, b in (("query", "weight_q", "bias_q"), ("key", "weight_k", "bias_k"),
                               ("value", "weight_v", "bias_v")))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if a["mask"] is not None and mistake != "no mask":
        scores = np.where(a["mask"], scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    merged = _merge(weights / weights.sum(-1, keepdims=True) @ v, "no transpose" if mistake == "merge" else "")
    return merged if mistake == "no output" else project(merged, a["weight_o"], a["bias_o"], output=True)


MISTAKES = {"split": "heads split by a plain reshape to (N, h, L, d), without the transpose",
            "merge": "heads merged by a plain reshape to (N, L, E), without transposing back first",
            "one head": "one attention over all E features (the heads never split)",
            "no output": "the merged heads without the output projection (weight_o, bias_o)",
            "W not transposed": "x @ W; the projections are x @ W.T (+ b)",
            "W_o not transposed": "merged @ weight_o; the output projection is merged @ weight_o.T (+ bias_o)",
            "no mask": "attention without the mask (pass it on to scaled_dot_product_attention)"}


def _library(a: dict, h: int):
    """The same layer through tinynn's multi_head_attention_forward (sequence-first, True = masked out)."""
    t = {name: None if value is None else tinynn.tensor(value) for name, value in a.items()}
    n, length, e = a["query"].shape
    biases = [a[name] if a[name] is not None else np.zeros(e) for name in BIASES[:3]]
    in_bias = None if all(a[name] is None for name in BIASES[:3]) else tinynn.tensor(np.concatenate(biases))
    attn_mask = None
    if a["mask"] is not None:   # each (sample, head)'s (L, S) mask, as (N * h, L, S)
        full = np.broadcast_to(a["mask"], (n, h, length, a["key"].shape[1]))
        attn_mask = tinynn.tensor(~full.reshape(n * h, length, -1))
    out, _ = F.multi_head_attention_forward(
        t["query"].transpose(0, 1), t["key"].transpose(0, 1), t["value"].transpose(0, 1), e, h, None, in_bias,
        None, None, False, 0.0, t["weight_o"], t["bias_o"], training=False, need_weights=False, attn_mask=attn_mask,
        use_separate_proj_weight=True, q_proj_weight=t["weight_q"], k_proj_weight=t["weight_k"],
        v_proj_weight=t["weight_v"])
    return out.transpose(0, 1)


def _layer(g: Grader, n: int, length: int, s: int, e: int, biases: bool = True, mask=None) -> dict:
    a = {"query": g.randn(n, length, e), "key": g.randn(n, s, e), "value": g.randn(n, s, e)}
    a.update({name: g.randn(e, e) / np.sqrt(e) for name in ARGUMENTS[3:]})
    a.update({name: g.randn(e) if biases else None for name in BIASES})
    a["mask"] = mask
    return a


def _call(fn, a: dict, h: int, requires_grad: bool = False):
    """fn(query, ..., weight_o, h, mask=..., bias_q=..., ...) with Tensors made from the arrays in a."""
    t = {name: None if value is None else tinynn.tensor(value, requires_grad=requires_grad and name != "mask")
         for name, value in a.items()}
    return fn(*[t[name] for name in ARGUMENTS], h, mask=t["mask"], **{name: t[name] for name in BIASES}), t


def grade(g: Grader, student, reference) -> None:
    for (n, length, e), h in [((2, 3, 8), 2), ((2, 3, 8), 4), ((1, 1, 6), 3), ((2, 5, 4), 1), ((1, 2, 4), 4)]:
        x = g.randn(n, length, e)
        case = f"x {x.shape}, {h} head{'s' if h > 1 else ''}"
        with g.check(case, "split_heads"):
            got = g.call(student.split_heads, tinynn.tensor(x), h)
            g.expect("heads", got, tinynn.tensor(_split(x, h)),
                     mistakes={MISTAKES["split"]: _split(x, h, "no transpose")} if length > 1 and h > 1 else None)
        heads = g.randn(n, h, length, e // h)
        with g.check(f"heads {heads.shape}, and merge_heads(split_heads(x)) == x", "merge_heads"):
            got = g.call(student.merge_heads, tinynn.tensor(heads))
            g.expect("merged", got, tinynn.tensor(_merge(heads)),
                     mistakes={MISTAKES["merge"]: _merge(heads, "no transpose")} if length > 1 and h > 1 else None)
            back = g.call(student.merge_heads, g.call(student.split_heads, tinynn.tensor(x), h))
            g.expect("merge_heads(split_heads(x))", back, tinynn.tensor(x))

    causal = np.tril(np.ones((4, 4), dtype=bool))
    padding = np.ones((2, 1, 1, 5), dtype=bool)
    padding[1, ..., 3:] = False   # the second sample's last two keys are padding
    cases = [("self-attention, N 2, L 4, E 8, 2 heads", _layer(g, 2, 4, 4, 8), 2),
             ("cross-attention, L 3, S 5, E 8, 4 heads", _layer(g, 2, 3, 5, 8), 4),
             ("a causal mask (4, 4), 2 heads", _layer(g, 2, 4, 4, 8, mask=causal), 2),
             ("a key padding mask (2, 1, 1, 5), cross-attention, 2 heads", _layer(g, 2, 3, 5, 8, mask=padding), 2),
             ("one head, no biases, a batch of 1", _layer(g, 1, 4, 4, 6, biases=False), 1),
             ("head width 1: E 4, 4 heads", _layer(g, 2, 3, 3, 4), 4)]
    for case, a, h in cases:
        with g.check(case, "multi_head_attention", points=2):
            got, _ = g.call(_call, student.multi_head_attention, a, h, what="multi_head_attention")
            expected, _ = _call(reference.multi_head_attention, a, h)
            g.expect("out", got, expected, mistakes={text: _mha(a, h, m) for m, text in MISTAKES.items()
                                                     if m != "one head" or h > 1})
            g.expect("out against the library", got, _library(a, h),
                     expected_label="F.multi_head_attention_forward")

    a = _layer(g, 2, 3, 3, 4, mask=np.tril(np.ones((3, 3), dtype=bool)))
    upstream = g.randn(2, 3, 4)
    names = ARGUMENTS + BIASES
    with g.check("gradients of query, key, value, the weights and biases against finite differences "
                 "(N 2, L 3, E 4, 2 heads, causal)", "multi_head_attention", points=3):
        out, t = g.call(_call, student.multi_head_attention, a, 2, True, what="multi_head_attention")
        grads = g.autograd_gradients("multi_head_attention", out, [t[name] for name in names], [upstream])

        def forward(*arrays):
            return on_arrays(reference.multi_head_attention)(*arrays[:7], 2, a["mask"], *arrays[7:])

        arrays = [a[name] for name in names]
        for i, name in enumerate(names):
            g.expect_gradient(name, g.require_gradient(name, grads[i]), numeric_gradient(forward, arrays, i, upstream))

    _check_uses_attention(g, student)


def _check_uses_attention(g: Grader, student) -> None:
    """The layer calls the module's scaled_dot_product_attention on all heads at once (the milestones' hook)."""
    a, h = _layer(g, 2, 3, 4, 8, mask=np.ones((3, 4), dtype=bool)), 2
    with g.check("calls scaled_dot_product_attention(q, k, v, mask) on all heads at once, (N, h, L, d)",
                 "multi_head_attention"):
        original = getattr(student, "scaled_dot_product_attention", None)
        if original is None:
            raise Mismatch("your file has no scaled_dot_product_attention: keep the import at the top of the file")
        calls = []

        def spy(q, k, v, mask=None, *args, **kwargs):
            calls.append((tuple(q.shape), tuple(k.shape), tuple(v.shape), mask))
            return original(q, k, v, mask, *args, **kwargs)

        student.scaled_dot_product_attention = spy
        try:
            g.call(_call, student.multi_head_attention, a, h, what="multi_head_attention")
        finally:
            student.scaled_dot_product_attention = original
        if not calls:
            raise Mismatch("multi_head_attention never called scaled_dot_product_attention: call it (the name "
                           "imported at the top of the file) instead of writing the softmax again, so that the "
                           "milestones can put your exercise-19 attention there")
        expected = ((2, h, 3, 4), (2, h, 4, 4), (2, h, 4, 4))
        if calls[0][:3] != expected:
            raise Mismatch(f"scaled_dot_product_attention got q, k, v of shapes {calls[0][:3]}; expected {expected}, "
                           "(N, h, L, d) and (N, h, S, d): all heads at once, after split_heads")
        if calls[0][3] is None:
            raise Mismatch("scaled_dot_product_attention got mask=None although a mask was given: pass it on")
