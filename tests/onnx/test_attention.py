"""MultiheadAttention (both layouts, masks), TransformerEncoder with masks, and the GPT of tinynn.models."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.models import GPT, GPTConfig

from .helpers import assert_exports, randn


def _padding(rows):
    return tinynn.tensor(np.array(rows, dtype=bool))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "key_padding", "attn_mask", "both", "float attn_mask"])
def test_multihead_attention(batch_first, masks):
    tinynn.manual_seed(0)
    model = nn.MultiheadAttention(8, 2, batch_first=batch_first).eval()
    q = randn(2, 5, 8) if batch_first else randn(5, 2, 8)
    kv = randn(2, 6, 8, seed=1) if batch_first else randn(6, 2, 8, seed=1)
    kwargs = {}
    if masks in ("key_padding", "both"):
        kwargs["key_padding_mask"] = _padding([[False] * 4 + [True] * 2, [False] * 6])
    if masks in ("attn_mask", "both"):
        kwargs["attn_mask"] = _padding(np.triu(np.ones((5, 6), bool), 2))
    if masks == "float attn_mask":
        kwargs["attn_mask"] = randn(5, 6, seed=3)
    assert_exports(f"MultiheadAttention batch_first={batch_first} masks={masks}", model, (q, kv, kv, kwargs))


def test_transformer_encoder_with_masks():
    tinynn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, 2).eval()
    mask = nn.generate_square_subsequent_mask(5)
    padding = tinynn.zeros(2, 5).masked_fill(_padding([[False] * 4 + [True], [False] * 5]), float("-inf"))
    assert_exports("TransformerEncoder (causal mask, key padding)", model,
                   (randn(2, 5, 8), {"mask": mask, "src_key_padding_mask": padding}))
    norm_first = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", batch_first=True,
                                                                  norm_first=True), 2).eval()
    assert_exports("TransformerEncoder norm_first gelu", norm_first, (randn(3, 4, 8), {"mask": None}))


def test_gpt_logits_with_dynamic_batch_and_sequence():
    tinynn.manual_seed(0)
    model = GPT(GPTConfig(block_size=16, vocab_size=11, n_layer=2, n_head=2, n_embd=8)).eval()
    rng = np.random.default_rng(0)
    idx = tinynn.tensor(rng.integers(0, 11, (2, 5)))
    more = [tinynn.tensor(rng.integers(0, 11, shape)) for shape in ((3, 9), (1, 16), (4, 1))]
    proto = assert_exports("GPT (tinynn.models), dynamic batch and sequence", model, (idx,), more=more,
                           input_names=["idx"], output_names=["logits"],
                           dynamic_axes={"idx": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}})
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["batch", "seq", 11]
    assert "transformer.wte.weight" in {i.name for i in proto.graph.initializer}
