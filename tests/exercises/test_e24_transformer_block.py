"""Exercise 24, the transformer block: the reference passes every check, the student file is reported not
done, and planted mistakes (post-norm for pre-norm and back, the residual taken after the norm, ln_1 used
twice, no causal mask, heads cut by a plain reshape, GELU's tanh form, the library's encoder layer) fail
with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e24_transformer_block")
FUNCTIONS = ["causal_self_attention", "mlp", "transformer_block"]
PRE_NORM = '        x = x + attn(ln(x, "ln_1"))\n        return x + feed_forward(ln(x, "ln_2"))\n'

MUTANTS = [
    (PRE_NORM, '        x = ln(x + attn(x), "ln_1")\n        return ln(x + feed_forward(x), "ln_2")\n', "transformer_block",
     ["pre-norm, x (2, 3, 4)", "block(x):", "the post-norm block"]),
    (PRE_NORM, '        x = ln(x, "ln_1")\n        x = x + attn(x)\n        x = ln(x, "ln_2")\n        return x + feed_forward(x)\n',
     "transformer_block", ["the residual added to the normalised x"]),
    ('        return x + feed_forward(ln(x, "ln_2"))', '        return x + feed_forward(ln(x, "ln_1"))',
     "transformer_block", ["ln_1 used before the MLP too"]),
    ('    x = ln(x + attn(x), "ln_1")\n    return ln(x + feed_forward(x), "ln_2")\n',
     '    x = x + attn(ln(x, "ln_1"))\n    return x + feed_forward(ln(x, "ln_2"))\n', "transformer_block",
     ["post-norm (norm_first=False)", "the pre-norm block", "gradient of x"]),
    ("    heads = scaled_dot_product_attention(q, k, v, mask)                    #",
     "    heads = scaled_dot_product_attention(q, k, v)                    #", "causal_self_attention",
     ["attn(x):", "attention without the causal mask"]),
    ("(t.reshape(n, length, num_heads, e // num_heads).transpose(1, 2) for t in (q, k, v))",
     "(t.reshape(n, num_heads, length, e // num_heads) for t in (q, k, v))", "causal_self_attention",
     ["heads cut by reshaping straight to (N, h, L, d)"]),
    ("return project(gelu(project(x, c_fc_weight, c_fc_bias)), c_proj_weight, c_proj_bias)",
     'return project(gelu(project(x, c_fc_weight, c_fc_bias), approximate="tanh"), c_proj_weight, c_proj_bias)',
     "mlp", ["mlp(x):", "GELU's tanh approximation"]),
    ("    e = x.shape[-1]\n", "    return tinynn.nn.TransformerEncoderLayer(x.shape[-1], num_heads)(x)\n",
     "transformer_block", ["your code called tinynn.nn.TransformerEncoderLayer"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=23)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all", with_name=True)
