"""Weight quantization: int8, int4 and NF4 block quantization, quantized Linear layers, QLoRA.

    q = quantize(w, format="nf4", block_size=64, double_quant=True)   # a QuantizedTensor
    w_hat = q.dequantize();  q.nbytes                                  # about w.nbytes / 7.5
    layer = QuantizedLinear.from_linear(linear, format="int8")         # frozen, dequantized on the fly
    model = quantize_model(model, format="int4")                       # post-training quantization
    model = prepare_qlora(model, targets=["q_proj", "v_proj"], r=8)     # 4-bit base + LoRA adapters
    print(memory_report(model))                                        # bytes per layer

Files: formats.py (the number formats, NF4's levels), packing.py (two 4-bit codes per byte),
tensor.py (quantize / dequantize / QuantizedTensor), layers.py (QuantizedLinear, QLoRALinear),
model.py (whole models, the memory report).
"""
from .formats import FORMATS, NF4_LEVELS, NF4_PUBLISHED, int4_levels, nf4_levels
from .layers import QLoRALinear, QuantizedLinear, quantized_linear
from .model import MemoryReport, memory_report, prepare_qlora, quantize_model
from .packing import pack_4bit, unpack_4bit
from .tensor import DOUBLE_QUANT_BLOCK_SIZE, QuantizedTensor, dequantize, quantize

__all__ = ["DOUBLE_QUANT_BLOCK_SIZE", "FORMATS", "MemoryReport", "NF4_LEVELS", "NF4_PUBLISHED", "QLoRALinear",
           "QuantizedLinear", "QuantizedTensor", "dequantize", "int4_levels", "memory_report", "nf4_levels",
           "pack_4bit", "prepare_qlora", "quantize", "quantize_model", "quantized_linear", "unpack_4bit"]
