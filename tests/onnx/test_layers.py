"""Normalization, dropout, embedding and the shape/arithmetic ops, exported and run in ONNX Runtime."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn import nn

from .helpers import assert_exports, randn


def _trained_batch_norm(bn, shape):
    bn.train()
    with tinynn.no_grad():
        for seed in range(3):   # running statistics that are not the initial 0 and 1
            bn(randn(*shape, seed=seed) * 2 + 1)
    return bn.eval()


def test_batch_norm_1d_and_2d():
    tinynn.manual_seed(0)
    bn1 = _trained_batch_norm(nn.BatchNorm1d(6), (8, 6))
    assert_exports("BatchNorm1d (eval)", nn.Sequential(nn.Linear(4, 6), bn1).eval(), (randn(5, 4),))
    bn2 = _trained_batch_norm(nn.BatchNorm2d(3), (4, 3, 5, 5))
    assert_exports("BatchNorm2d (eval)", bn2, (randn(2, 3, 5, 5),))


def test_layer_norm_group_norm_dropout():
    tinynn.manual_seed(0)
    assert_exports("LayerNorm", nn.LayerNorm(8).eval(), (randn(3, 4, 8),))
    assert_exports("LayerNorm((4, 8)) no bias", nn.LayerNorm((4, 8), bias=False).eval(), (randn(3, 4, 8),))
    assert_exports("GroupNorm(2, 6)", nn.GroupNorm(2, 6).eval(), (randn(3, 6, 4, 4),))
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5), nn.ReLU()).eval()
    proto = assert_exports("Dropout (eval)", model, (randn(3, 5),))
    assert "Dropout" not in {n.op_type for n in proto.graph.node}


def test_layer_norm_before_opset_17_is_decomposed():
    proto = assert_exports("LayerNorm (opset 13)", nn.LayerNorm(8).eval(), (randn(3, 8),), opset_version=13)
    assert "LayerNormalization" not in {n.op_type for n in proto.graph.node}


def test_embedding_with_dynamic_batch_and_length():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Embedding(20, 6, padding_idx=0), nn.Flatten(0, 1), nn.Linear(6, 3)).eval()
    ids = tinynn.tensor(np.random.default_rng(0).integers(0, 20, (2, 5)))
    more = tinynn.tensor(np.random.default_rng(1).integers(0, 20, (4, 3)))
    assert_exports("Embedding", model, (ids,), more=[more], input_names=["ids"], dynamic_axes={"ids": [0, 1]})


class ShapeOps(nn.Module):
    """reshape/view, permute/transpose, indexing/slicing, cat/stack, arithmetic, matmul, mean/sum."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 6)
        self.register_buffer("offset", tinynn.arange(6, dtype=tinynn.float32) / 10)

    def forward(self, x, y):
        b, t, _ = x.shape
        h = self.proj(x)                                   # (B, T, 6)
        heads = h.view(b, t, 2, 3).permute(0, 2, 1, 3)     # (B, 2, T, 3)
        scores = heads @ heads.transpose(-1, -2) / 3 ** 0.5  # (B, 2, T, T)
        mixed = (scores.softmax(-1) @ heads).transpose(1, 2).reshape(b, t, 6)
        z = tinynn.cat([mixed, h * 2 - 1], dim=-1)          # (B, T, 12)
        s = tinynn.stack([z[:, 0], z[:, -1], z[:, 1:3].mean(1)], dim=1)   # (B, 3, 12)
        out = s.sum(-1, keepdim=True) + s[..., ::2].mean(-1, keepdim=True) + (y ** 2).sum() - self.offset[1]
        return out.flatten(1), z[:, :, 2:5].abs().amax(-1).exp() + h.pow(2).clamp(max=1.0)[..., 0] / (1 + y.mean())


def test_shape_and_arithmetic_ops_with_dynamic_axes():
    tinynn.manual_seed(0)
    model = ShapeOps().eval()
    args = (randn(2, 5, 4), randn(3))
    assert_exports("reshape/permute/index/cat/stack/arith/matmul/mean/sum", model, args,
                   more=[(randn(3, 7, 4, seed=1), randn(3, seed=2))], input_names=["x", "y"],
                   dynamic_axes={"x": {0: "batch", 1: "seq"}})


def test_integer_array_and_bool_mask_indexing():
    class Pick(nn.Module):
        def forward(self, x, idx, keep):
            return x[:, idx] * 2, x[keep]

    x = randn(4, 5)
    idx = tinynn.tensor([4, 0, 2])
    keep = tinynn.tensor([True, False, True, True])
    assert_exports("indexing with index and mask tensors", Pick().eval(), (x, idx, keep))
