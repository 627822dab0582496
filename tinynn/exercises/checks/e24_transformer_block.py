"""Checks for exercise 24, the transformer block: the MLP, causal self-attention and the block (pre- and
post-norm) against tinynn.models.gpt's MLP, CausalSelfAttention and Block, nn.TransformerEncoderLayer and
a NumPy version; the gradients of the input and of every parameter against finite differences.

The NumPy version also computes the usual mistakes (post-norm for pre-norm, the residual taken after
the norm, ln_1 used twice, no causal mask, heads cut by a plain reshape, ReLU or the tanh GELU), so a
wrong answer that equals one of them is named.
"""
from __future__ import annotations

import math

import numpy as np

import tinynn
import tinynn.nn as nn
from tinynn.models.gpt import MLP, Block, CausalSelfAttention, GPTConfig
from ..grading import Grader, numeric_gradient, on_arrays

NAMES = ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
         "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]
ENCODER_NAMES = {"ln_1": "norm1", "ln_2": "norm2", "attn.c_attn.weight": "self_attn.in_proj_weight",
                 "attn.c_attn.bias": "self_attn.in_proj_bias", "attn.c_proj": "self_attn.out_proj",
                 "mlp.c_fc": "linear1", "mlp.c_proj": "linear2"}
_erf = np.vectorize(math.erf)


def _params(g: Grader, e: int, hidden: int) -> dict:
    shapes = {"ln_1.weight": (e,), "ln_1.bias": (e,), "attn.c_attn.weight": (3 * e, e), "attn.c_attn.bias": (3 * e,),
              "attn.c_proj.weight": (e, e), "attn.c_proj.bias": (e,), "ln_2.weight": (e,), "ln_2.bias": (e,),
              "mlp.c_fc.weight": (hidden, e), "mlp.c_fc.bias": (hidden,), "mlp.c_proj.weight": (e, hidden),
              "mlp.c_proj.bias": (e,)}
    params = {name: 0.5 * g.randn(*shape) for name, shape in shapes.items()}
    for name in ("ln_1.weight", "ln_2.weight"):
        params[name] = 1 + 0.3 * g.randn(e)
    return params


def _tensors(params: dict, requires_grad: bool = False) -> dict:
    return {name: tinynn.tensor(a, requires_grad=requires_grad) for name, a in params.items()}


# ------------------------------------------------------------------ the block in NumPy, with known mistakes
def _layer_norm(x, w, b):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w + b


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_mlp(x, p, activation: str = "gelu"):
    h = x @ p["mlp.c_fc.weight"].T + p["mlp.c_fc.bias"]
    if activation == "gelu":
        h = 0.5 * h * (1 + _erf(h / math.sqrt(2)))
    elif activation == "tanh gelu":
        h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))
    elif activation == "relu":
        h = np.maximum(h, 0)
    return h @ p["mlp.c_proj.weight"].T + p["mlp.c_proj.bias"]


def _np_attention(x, p, heads: int, causal: bool = True, plain_reshape: str = ""):
    """plain_reshape: "split" cuts the heads by a plain reshape to (N, h, L, d), "both" merges that way too."""
    n, length, e = x.shape
    d = e // heads
    qkv = x @ p["attn.c_attn.weight"].T + p["attn.c_attn.bias"]
    if plain_reshape:
        q, k, v = (qkv[..., i * e:(i + 1) * e].reshape(n, heads, length, d) for i in range(3))
    else:
        q, k, v = (qkv[..., i * e:(i + 1) * e].reshape(n, length, heads, d).transpose(0, 2, 1, 3) for i in range(3))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    if causal:
        scores = np.where(np.tril(np.ones((length, length), dtype=bool)), scores, -np.inf)
    out = _softmax(scores) @ v
    merged = out.reshape(n, length, e) if plain_reshape == "both" else out.transpose(0, 2, 1, 3).reshape(n, length, e)
    return merged @ p["attn.c_proj.weight"].T + p["attn.c_proj.bias"]


def _np_block(x, p, heads: int, order: str = "pre-norm", **attention):
    ln1 = lambda y: _layer_norm(y, p["ln_1.weight"], p["ln_1.bias"])   # noqa: E731
    ln2 = lambda y: _layer_norm(y, p["ln_2.weight"], p["ln_2.bias"])   # noqa: E731
    attn = lambda y: _np_attention(y, p, heads, **attention)           # noqa: E731
    if order == "pre-norm":
        x = x + attn(ln1(x))
        return x + _np_mlp(ln2(x), p)
    if order == "post-norm":
        x = ln1(x + attn(x))
        return ln2(x + _np_mlp(x, p))
    if order == "residual after the norm":
        h = ln1(x)
        h = h + attn(h)
        h = ln2(h)
        return h + _np_mlp(h, p)
    x = x + attn(ln1(x))                # "ln_1 twice"
    return x + _np_mlp(ln1(x), p)


# ------------------------------------------------------------------ the library's modules with these weights
def _config(e: int, heads: int, length: int) -> GPTConfig:
    return GPTConfig(block_size=max(length, 1), vocab_size=2, n_layer=1, n_head=heads, n_embd=e, dropout=0.0)


def _load(module, params: dict, prefix: str = "", rename: dict | None = None):
    state = {}
    for name, array in params.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        for old, new in (rename or {}).items():
            if key.startswith(old):
                key = new + key[len(old):]
        state[key] = tinynn.tensor(array)
    module.load_state_dict(state)
    module.eval()
    return module


def _encoder_layer(params: dict, heads: int, norm_first: bool):
    e, hidden = params["ln_1.weight"].shape[0], params["mlp.c_fc.bias"].shape[0]
    layer = nn.TransformerEncoderLayer(e, heads, hidden, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=norm_first).double()
    return _load(layer, params, rename=ENCODER_NAMES)


def _encoder_output(params: dict, x: np.ndarray, heads: int, norm_first: bool):
    length = x.shape[1]
    masked_out = tinynn.tensor(~np.tril(np.ones((length, length), dtype=bool)))   # the layer's convention: True hides
    layer = _encoder_layer(params, heads, norm_first)
    return layer(tinynn.tensor(x), src_mask=masked_out, is_causal=True)


# ------------------------------------------------------------------ the checks
def _expect_gradients(g: Grader, what: str, student_fn, reference_fn, arrays: list, names: list) -> None:
    """The student's gradients (autograd through student_fn) against finite differences of reference_fn."""
    tensors = [tinynn.tensor(a, requires_grad=True) for a in arrays]
    out = g.call(student_fn, *tensors, what=what)
    upstream = g.randn(*arrays[0].shape[:-1], out.shape[-1]) if isinstance(out, tinynn.Tensor) else g.randn(1)
    grads = g.autograd_gradients(what, out, tensors, [upstream])
    for i, name in enumerate(names):
        g.expect_gradient(name, g.require_gradient(name, grads[i]),
                          numeric_gradient(on_arrays(reference_fn), arrays, i, upstream))


def _grade_mlp(g: Grader, student, reference) -> None:
    mlp_names = ["mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]
    for shape, case in [((2, 3, 4), "x (2, 3, 4), H = 16"), ((5, 4), "x (5, 4): any leading dimensions"),
                        ((1, 1, 4), "one token, a batch of one")]:
        p, x = _params(g, 4, 16), g.randn(*shape)
        with g.check(case, "mlp", points=2 if len(shape) == 3 and shape[0] == 2 else 1):
            got = g.call(student.mlp, tinynn.tensor(x), *[tinynn.tensor(p[n]) for n in mlp_names])
            g.expect("mlp(x)", got, reference.mlp(tinynn.tensor(x), *[tinynn.tensor(p[n]) for n in mlp_names]),
                     mistakes={"ReLU where the exact GELU belongs": _np_mlp(x, p, "relu"),
                               "GELU's tanh approximation; use the exact x Phi(x) (gelu's default)":
                               _np_mlp(x, p, "tanh gelu"),
                               "no activation between the two Linears": _np_mlp(x, p, "none")})
            library = _load(MLP(_config(4, 1, 1)).double(), p, prefix="mlp.")
            g.expect("mlp(x) against the library", got, library(tinynn.tensor(x)),
                     expected_label="tinynn.models.gpt.MLP's")

    p, x = _params(g, 4, 16), g.randn(2, 3, 4)
    with g.check("x (2, 3, 4): gradients of x and of the four parameters against finite differences", "mlp"):
        _expect_gradients(g, "mlp", student.mlp, reference.mlp, [x] + [p[n] for n in mlp_names], ["x"] + mlp_names)


def _grade_attention(g: Grader, student, reference) -> None:
    names = ["attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias"]
    for n, length, e, heads in [(2, 3, 4, 2), (1, 5, 6, 3), (2, 4, 4, 1), (2, 1, 4, 2)]:
        case = f"x ({n}, {length}, {e}), {heads} head" + ("s" if heads > 1 else "")
        case += ", one token" if length == 1 else ""
        p, x = _params(g, e, 4 * e), g.randn(n, length, e)
        with g.check(case, "causal_self_attention", points=2 if (n, length, e, heads) == (2, 3, 4, 2) else 1):
            weights = [tinynn.tensor(p[name]) for name in names]
            got = g.call(student.causal_self_attention, tinynn.tensor(x), *weights, heads)
            g.expect("attn(x)", got, reference.causal_self_attention(tinynn.tensor(x), *weights, heads),
                     mistakes={"attention without the causal mask (token t may only see tokens <= t)":
                               _np_attention(x, p, heads, causal=False),
                               "heads cut by reshaping straight to (N, h, L, d); reshape (N, L, h, d), then transpose":
                               _np_attention(x, p, heads, plain_reshape="split"),
                               "heads cut and merged by plain reshapes; split: reshape (N, L, h, d), then transpose":
                               _np_attention(x, p, heads, plain_reshape="both")})
            library = _load(CausalSelfAttention(_config(e, heads, length)).double(), p, prefix="attn.")
            g.expect("attn(x) against the library", got, library(tinynn.tensor(x)),
                     expected_label="tinynn.models.gpt.CausalSelfAttention's")

    p, x = _params(g, 4, 16), g.randn(2, 3, 4)
    with g.check("x (2, 3, 4), 2 heads: gradients of x and of the four parameters against finite differences",
                 "causal_self_attention", points=2):
        _expect_gradients(g, "causal_self_attention", lambda x, *w: student.causal_self_attention(x, *w, 2),
                          lambda x, *w: reference.causal_self_attention(x, *w, 2), [x] + [p[n] for n in names],
                          ["x"] + names)


def _grade_block(g: Grader, student, reference) -> None:
    for n, length, e, heads in [(2, 3, 4, 2), (1, 1, 4, 1), (2, 4, 6, 3)]:
        case = f"pre-norm, x ({n}, {length}, {e}), {heads} head" + ("s" if heads > 1 else "")
        p, x = _params(g, e, 4 * e), g.randn(n, length, e)
        with g.check(case, "transformer_block", points=3 if (n, length) == (2, 3) else 1):
            got = g.call(student.transformer_block, tinynn.tensor(x), _tensors(p), heads)
            mistakes = {"the post-norm block (the original Transformer's order; GPT-2 normalises first)":
                        _np_block(x, p, heads, "post-norm"),
                        "the residual added to the normalised x, ln(x) + attn(ln(x)) (the stream x carries it)":
                        _np_block(x, p, heads, "residual after the norm"),
                        "ln_1 used before the MLP too (the MLP has its own ln_2)": _np_block(x, p, heads, "ln_1 twice")}
            expected = reference.transformer_block(tinynn.tensor(x), _tensors(p), heads)
            g.expect("block(x)", got, expected, mistakes=mistakes)
            g.expect("block(x) against NumPy", got, _np_block(x, p, heads), expected_label="NumPy's")
            block = _load(Block(_config(e, heads, length)).double(), p)
            g.expect("block(x) against the library", got, block(tinynn.tensor(x)),
                     expected_label="tinynn.models.gpt.Block's")
            g.expect("block(x) against nn.TransformerEncoderLayer", got, _encoder_output(p, x, heads, True),
                     expected_label="TransformerEncoderLayer(norm_first=True)'s")

    p, x = _params(g, 4, 16), g.randn(2, 3, 4)
    with g.check("post-norm (norm_first=False), x (2, 3, 4), 2 heads", "transformer_block", points=2):
        got = g.call(student.transformer_block, tinynn.tensor(x), _tensors(p), 2, False)
        g.expect("block(x)", got, reference.transformer_block(tinynn.tensor(x), _tensors(p), 2, False),
                 mistakes={"the pre-norm block (norm_first=False normalises after each addition)": _np_block(x, p, 2)})
        g.expect("block(x) against nn.TransformerEncoderLayer", got, _encoder_output(p, x, 2, False),
                 expected_label="TransformerEncoderLayer(norm_first=False)'s")

    for norm_first in (True, False):
        p, x = _params(g, 4, 16), g.randn(2, 3, 4)
        order = "pre-norm" if norm_first else "post-norm"
        with g.check(f"{order}, x (2, 3, 4): gradients of x and of all 12 parameters against finite differences",
                     "transformer_block", points=2):
            _expect_gradients(g, "transformer_block",
                              lambda x, *ps: student.transformer_block(x, dict(zip(NAMES, ps)), 2, norm_first),
                              lambda x, *ps: reference.transformer_block(x, dict(zip(NAMES, ps)), 2, norm_first),
                              [x] + [p[name] for name in NAMES], ["x"] + NAMES)


def grade(g: Grader, student, reference) -> None:
    _grade_attention(g, student, reference)
    _grade_mlp(g, student, reference)
    _grade_block(g, student, reference)
