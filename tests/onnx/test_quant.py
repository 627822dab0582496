"""The int8-quantized Linear of tinynn.quant: int8 codes + DequantizeLinear + MatMul in ONNX."""
from __future__ import annotations

import pytest

import tinynn
from tinynn import nn
from tinynn.quant import QuantizedLinear

from .helpers import assert_exports, randn


@pytest.mark.parametrize("fmt", ["int8", "int8_asym"])
def test_quantized_linear(fmt):
    tinynn.manual_seed(0)
    model = nn.Sequential(QuantizedLinear.from_linear(nn.Linear(10, 6), format=fmt, block_size=16), nn.ReLU(),
                          QuantizedLinear.from_linear(nn.Linear(6, 3, bias=False), format=fmt, block_size=8)).eval()
    proto = assert_exports(f"QuantizedLinear {fmt}", model, (randn(4, 10),), more=[randn(7, 10, seed=1)],
                           input_names=["x"], dynamic_axes={"x": [0]})
    codes = [i for i in proto.graph.initializer if i.name == "0.weight_codes"]
    assert codes and codes[0].data_type in (2, 3)   # uint8 / int8: the weight is stored quantized
    assert "DequantizeLinear" in {n.op_type for n in proto.graph.node}


def test_four_bit_weights_are_refused_with_the_module_named():
    model = nn.Sequential(QuantizedLinear.from_linear(nn.Linear(8, 4), format="nf4", block_size=8)).eval()
    with pytest.raises(RuntimeError, match=r"DequantizeLinear in module '0' \(QuantizedLinear\).*nf4"):
        tinynn.onnx.export(model, (randn(2, 8),), None)
