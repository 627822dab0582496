"""QuantizedLinear and QLoRALinear: equal to a Linear with the dequantized weight, gradchecked in float64
(w.r.t. the input, the bias and the LoRA adapters), state dicts, devices and dtypes, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.quant import FORMATS, QLoRALinear, QuantizedLinear, quantize, quantized_linear


def _linear64(n_in=12, n_out=5, bias=True, seed=0):
    tinynn.manual_seed(seed)
    return nn.Linear(n_in, n_out, bias=bias).double()


@pytest.mark.parametrize("format", FORMATS)
def test_quantized_linear_is_linear_with_the_dequantized_weight(format):
    linear = nn.Linear(40, 7)
    layer = QuantizedLinear.from_linear(linear, format=format, block_size=16)
    x = tinynn.randn(3, 2, 40)
    w_hat = quantize(linear.weight, format, 16).dequantize()
    assert_close(layer.weight, w_hat, rtol=0, atol=0)
    assert_close(layer(x), F.linear(x, w_hat, linear.bias), rtol=1e-6, atol=1e-6)
    assert (layer(x) - linear(x)).abs().max().item() < (0.02 if format.startswith("int8") else 0.3)
    assert [name for name, _ in layer.named_parameters()] == ["bias"]
    assert layer.bias.requires_grad and not layer.weight.requires_grad


def test_gradcheck_input_and_bias_each_format():
    for format in FORMATS:
        layer = QuantizedLinear.from_linear(_linear64(), format=format, block_size=8, double_quant=True)
        check_gradients(lambda x, b: quantized_linear(x, layer.qweight, b), rand(2, 3, 12), rand(5, seed=1))


def test_gradcheck_without_bias():
    layer = QuantizedLinear.from_linear(_linear64(bias=False), format="nf4", block_size=4)
    assert layer.bias is None
    check_gradients(lambda x: layer(x), rand(4, 12))


@needs_torch
def test_matches_torch_linear_with_the_dequantized_weight():
    layer = QuantizedLinear.from_linear(_linear64(), format="int4", block_size=12)
    w_hat = torch.tensor(layer.weight.numpy())
    assert_matches_torch(lambda x, b: quantized_linear(x, layer.qweight, b),
                         lambda x, b: torch.nn.functional.linear(x, w_hat, b), rand(3, 12), rand(5, seed=2))


def test_backward_keeps_no_float_copy_of_the_weight():
    """The graph node holds the quantized weight only: its saved values are empty."""
    layer = QuantizedLinear.from_linear(nn.Linear(64, 64), format="nf4")
    y = layer(tinynn.randn(2, 64, requires_grad=True))
    node = y.grad_fn
    assert type(node).__name__ == "DequantizeLinear" and node._saved == ()
    assert node.qweight.nbytes < 64 * 64 * 4 / 6


def test_qlora_starts_as_its_quantized_base():
    layer = QLoRALinear.from_linear(nn.Linear(20, 6), r=4, lora_alpha=16)
    assert layer.scaling == 4.0 and layer.base.format == "nf4" and layer.base.double_quant
    params = dict(layer.named_parameters())
    assert {n: tuple(p.shape) for n, p in params.items()} == {"lora_A": (4, 20), "lora_B": (6, 4),
                                                              "base.bias": (6,)}
    assert [n for n, p in params.items() if p.requires_grad] == ["lora_A", "lora_B"]
    assert (layer.lora_B == 0).all().item()
    bound = 1 / math.sqrt(20)                     # kaiming_uniform(a=sqrt(5)) as nn.Linear's weight
    a = layer.lora_A.detach().numpy()
    assert np.abs(a).max() <= bound and a.std() > bound / 4
    x = tinynn.randn(3, 20)
    assert_close(layer(x), layer.base(x), rtol=0, atol=0)


def test_qlora_forward_formula_and_gradcheck():
    layer = QLoRALinear.from_linear(_linear64(), r=3, lora_alpha=6, block_size=4)
    with tinynn.no_grad():
        layer.lora_B.copy_(tinynn.tensor(rand(5, 3, seed=3)))
    x = rand(2, 12, seed=4)
    w_hat = layer.base.weight.numpy()
    a, b = layer.lora_A.detach().numpy(), layer.lora_B.detach().numpy()
    expected = x @ w_hat.T + layer.base.bias.numpy() + 2.0 * (x @ a.T) @ b.T
    assert_close(layer(tinynn.tensor(x)), expected, rtol=1e-10, atol=1e-12)
    # the adapters are the layer's own parameters; gradcheck perturbs them in place
    check_gradients(lambda x, A, B: layer(x), x, layer.lora_A, layer.lora_B)


def test_qlora_dropout_only_on_the_adapter_path():
    tinynn.manual_seed(0)
    layer = QLoRALinear.from_linear(nn.Linear(16, 4), r=2, lora_dropout=0.5)
    x = tinynn.randn(8, 16)
    assert_close(layer(x), layer.base(x), rtol=0, atol=0)   # B = 0: dropout cannot show
    with tinynn.no_grad():
        layer.lora_B.fill_(1.0)
    assert (layer(x) - layer(x)).abs().max().item() > 0          # train mode: random masks
    layer.eval()
    assert_close(layer(x), layer(x), rtol=0, atol=0)


def test_state_dict_round_trip_and_dtype_conversion():
    source = QuantizedLinear.from_linear(nn.Linear(30, 9), format="int8_asym", block_size=10, double_quant=True)
    keys = set(source.state_dict())
    assert keys == {"bias", "weight_codes", "weight_zero_points", "weight_scale_codes", "weight_scale_scales",
                    "weight_scale_mean"}
    target = QuantizedLinear(30, 9, format="int8_asym", block_size=10, double_quant=True)
    x = tinynn.randn(4, 30)
    assert (target(x) - source(x)).abs().max().item() > 1e-3
    target.load_state_dict(source.state_dict())
    assert_close(target(x), source(x), rtol=0, atol=0)
    target.double()
    assert target.weight.dtype == tinynn.float64 and target.weight_codes.dtype == tinynn.uint8
    assert_close(target(x.double()), source(x), rtol=1e-6, atol=1e-6)


def test_errors():
    layer = QuantizedLinear(8, 3)
    with pytest.raises(RuntimeError, match="does not end in in_features = 8"):
        layer(tinynn.randn(2, 7))
    with pytest.raises(RuntimeError, match="input dtype float64 and the weight's dtype float32 differ"):
        layer(tinynn.randn(2, 8).double())
    with pytest.raises(TypeError, match="expected an nn.Linear, got Conv2d"):
        QuantizedLinear.from_linear(nn.Conv2d(1, 1, 3))
    with pytest.raises(TypeError, match="expected a QuantizedLinear base layer, got Linear"):
        QLoRALinear(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="LoRA rank r must be >= 1, got r=0"):
        QLoRALinear(layer, r=0)
    with pytest.raises(ValueError, match="lora_dropout must be in \\[0, 1\\)"):
        QLoRALinear(layer, lora_dropout=1.0)
    with pytest.raises(ValueError, match="unknown format"):
        QuantizedLinear(8, 3, format="int2")


def test_lora_and_qlora_share_one_adapter():
    """LoRALinear and QLoRALinear are both nn.LoRALayer: the same parameters, initialisation and
    update, scaling * dropout(x) A^T B^T = x delta_W^T, beside their frozen base."""
    from tinynn.nn.lora_layers import LoRALayer

    tinynn.manual_seed(0)
    linear = nn.Linear(8, 4).double()
    layers = [nn.LoRALinear(linear, r=2, lora_alpha=6), QLoRALinear.from_linear(nn.Linear(8, 4), r=2, lora_alpha=6)]
    x = tinynn.tensor(np.random.default_rng(0).standard_normal((3, 8)))
    for layer in layers:
        assert isinstance(layer, LoRALayer)
        assert [name for name, _ in layer.named_parameters() if _.requires_grad] == ["lora_A", "lora_B"]
        assert layer.scaling == 3.0 and not layer.lora_B.detach().numpy().any()   # B = 0: no change at first
        with tinynn.no_grad():
            layer.lora_B.copy_(tinynn.tensor(np.arange(8.0).reshape(4, 2) / 8).to(layer.lora_B.dtype))
        xs = x.to(layer.lora_A.dtype)
        update = layer.low_rank_update(xs)
        np.testing.assert_allclose(update.detach().numpy(), (xs @ layer.delta_weight().T).detach().numpy(),
                                   rtol=1e-5)
        np.testing.assert_allclose(layer(xs).detach().numpy(), (layer.base(xs) + update).detach().numpy(), rtol=1e-6)
