"""Whole models: post-training quantization keeps a classifier's answers, QLoRA preparation freezes all
but the adapters and trains them, and the memory report's numbers are exact."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close
from tinynn.quant import QLoRALinear, QuantizedLinear, memory_report, prepare_qlora, quantize_model


def _mlp(seed=0):
    tinynn.manual_seed(seed)
    return nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


def _agreement(model, reference, x) -> float:
    with tinynn.no_grad():
        return (model(x).argmax(1) == reference(x).argmax(1)).float().mean().item()


@pytest.mark.parametrize("format, at_least", [("int8", 0.98), ("int8_asym", 0.98), ("int4", 0.8), ("nf4", 0.8)])
def test_post_training_quantization_changes_few_answers(format, at_least):
    """The float model's own answers as labels: the float model scores 100%, the quantized one nearly."""
    model = _mlp()
    x = tinynn.randn(2000, 32)
    quantized = quantize_model(model, format=format, block_size=64)
    assert all(isinstance(m, nn.Linear) for m in (model[0], model[2], model[4]))   # a copy by default
    assert all(isinstance(m, QuantizedLinear) for m in (quantized[0], quantized[2], quantized[4]))
    accuracy = _agreement(quantized, model, x)
    assert accuracy >= at_least


def test_quantize_model_targets_skip_and_inplace():
    model = _mlp()
    out = quantize_model(model, "nf4", targets=["0", "2"], inplace=True)
    assert out is model and isinstance(model[0], QuantizedLinear) and isinstance(model[4], nn.Linear)
    model = quantize_model(_mlp(), "int8", skip="4")
    assert isinstance(model[2], QuantizedLinear) and isinstance(model[4], nn.Linear)
    with pytest.raises(ValueError, match=r"target modules \['q_proj'\] match no nn.Linear.*\['0', '2', '4'\]"):
        quantize_model(_mlp(), targets=["q_proj"])
    with pytest.raises(TypeError, match="expected an nn.Module"):
        quantize_model(np.zeros(3))


def test_quantized_attention_projection():
    """MultiheadAttention reads out_proj.weight directly: a QuantizedLinear there still works."""
    tinynn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
    quantized = quantize_model(layer, "int8", block_size=16)
    assert isinstance(quantized.self_attn.out_proj, QuantizedLinear) and isinstance(quantized.linear1, QuantizedLinear)
    x = tinynn.randn(2, 5, 16)
    assert (quantized(x) - layer(x)).abs().max().item() < 0.02


def test_memory_report_is_exact():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4, bias=False))
    report = memory_report(model)
    assert report.rows == [("0", "Linear", 64 * 32 * 4 + 128, 64 * 32 * 4 + 128), ("2", "Linear", 512, 512)]
    quantized = quantize_model(model, "nf4", block_size=64)
    report = memory_report(quantized)
    # nf4: half a byte per weight, a float32 scale per 64 weights, the float32 bias unchanged
    assert report.rows[0] == ("0", "QuantizedLinear(nf4, 64)", 8192 + 128, 1024 + 32 * 4 + 128)
    assert report.rows[1] == ("2", "QuantizedLinear(nf4, 64)", 512, 64 + 2 * 4)
    assert report.total_before == 8192 + 128 + 512 and report.total_after == 1280 + 72
    double = memory_report(quantize_model(model, "nf4", block_size=64, double_quant=True))
    # double quantization: int8 per block, one float32 per 256 blocks, the float32 mean
    assert double.rows[0][3] == 1024 + 32 + 4 + 4 + 128
    int8 = memory_report(quantize_model(model, "int8_asym", block_size=32))
    assert int8.rows[0][3] == 2048 + 64 * 4 + 64 + 128   # codes, scales, zero points, bias
    table = report.as_dict()
    assert table["total"] == {"kind": "", "before": 8832, "after": 1352}
    text = str(report)
    assert "8,320" in text and "1,280" in text and "total" in text.splitlines()[-1]


def test_prepare_qlora_freezes_all_but_the_adapters_and_trains_them():
    model = _mlp()
    x, target = tinynn.randn(64, 32), tinynn.randint(0, 10, (64,))
    quantized_out = quantize_model(model, "nf4", double_quant=True)(x)
    prepare_qlora(model, targets=["0", "2"], r=4, lora_alpha=8)
    assert isinstance(model[0], QLoRALinear) and isinstance(model[2], QLoRALinear)
    assert isinstance(model[4], QuantizedLinear)                      # quantized, no adapter
    trainable = {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"0.lora_A": 4 * 32, "0.lora_B": 128 * 4, "2.lora_A": 4 * 128, "2.lora_B": 128 * 4}
    assert_close(model(x), quantized_out, rtol=0, atol=0)             # B = 0: the quantized model
    codes_before = model[2].base.weight_codes.numpy().copy()
    optimizer = tinynn.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(30):
        loss = nn.functional.cross_entropy(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_array_equal(model[2].base.weight_codes.numpy(), codes_before)
    assert model[4].bias.grad is None


def test_prepare_qlora_skip_and_errors():
    model = prepare_qlora(_mlp(), skip=["4"], r=2)
    assert isinstance(model[0], QLoRALinear) and isinstance(model[4], nn.Linear)
    assert not model[4].weight.requires_grad
    with pytest.raises(ValueError, match="match no nn.Linear"):
        prepare_qlora(_mlp(), targets="v_proj")
    model = _mlp()
    with pytest.raises(ValueError, match="match no nn.Linear"):
        prepare_qlora(model, targets=["4"], skip=["4"])
    assert isinstance(model[0], nn.Linear) and model[0].weight.requires_grad   # nothing changed


def test_works_with_the_lora_helpers():
    """QLoRALinear has nn.LoRALinear's names: peft-style helpers count and save its adapters."""
    from tinynn.nn.lora import count_parameters, lora_state_dict

    model = prepare_qlora(_mlp(), targets=r"[02]", r=2)          # one string: a regular expression
    assert isinstance(model[0], QLoRALinear) and not isinstance(model[4], QLoRALinear)
    trainable, total = count_parameters(model)
    assert trainable == 2 * (32 + 128) + 2 * (128 + 128)
    assert set(lora_state_dict(model)) == {"0.lora_A", "0.lora_B", "2.lora_A", "2.lora_B"}
    assert model[0].scaling == 8.0                               # lora_alpha 16 / r 2, nn.LoRALinear's default
    assert_close(model[0].delta_weight(), tinynn.zeros(128, 32), rtol=0, atol=0)
