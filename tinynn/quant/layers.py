"""Quantized layers: ``QuantizedLinear`` (a frozen quantized weight) and ``QLoRALinear`` (plus LoRA).

QuantizedLinear keeps only the codes and scales of its weight; each forward dequantizes the
weight into a temporary, multiplies, and lets the temporary go:

    y = x W_hat^T + b,    W_hat = dequantize(codes, scales)      x: (*, in) -> y: (*, out)

The weight is frozen, so backward needs only dL/dx = dL/dy W_hat (and dL/db): it dequantizes
W_hat again rather than keeping it from the forward. That is QLoRA's memory trick: between
forward and backward, only the 4-bit codes of each layer stay in memory, never a float copy.

QLoRALinear adds a trainable low-rank update (LoRA, Hu et al. 2021) on top of the frozen base:

    y = base(x) + (dropout(x) A^T B^T) * lora_alpha / r     A: (r, in), B: (out, r)

A starts as nn.Linear's weights do (kaiming-uniform), B at zero, so at the start the layer is
exactly its quantized base and training moves only A and B (r (in + out) numbers).
"""
from __future__ import annotations

from ..nn.linear import Linear
from ..nn.lora_layers import LoRALayer
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..ops.linear import DequantizeLinear
from ..tensor import Tensor
from .tensor import QuantizedTensor, quantize

__all__ = ["QLoRALinear", "QuantizedLinear", "quantized_linear"]

_PARTS = ("codes", "scales", "zero_points", "scale_codes", "scale_scales", "scale_mean")


def quantized_linear(input: Tensor, qweight: QuantizedTensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ dequantize(qweight)^T + bias.  input: (*, in), qweight: (out, in), bias: (out,)."""
    if len(qweight.shape) != 2:
        raise RuntimeError(f"quantized_linear: the weight must be 2-d (out_features, in_features), got shape "
                           f"{qweight.shape}")
    if input.ndim == 0 or input.shape[-1] != qweight.shape[1]:
        raise RuntimeError(f"quantized_linear: input of shape {tuple(input.shape)} does not end in "
                           f"in_features = {qweight.shape[1]} (the weight has shape {qweight.shape})")
    if input.dtype != qweight.dtype:
        raise RuntimeError(f"quantized_linear: input dtype {input.dtype} and the weight's dtype {qweight.dtype} "
                           "differ (convert the input with .to(dtype), or the module with .to(dtype))")
    return DequantizeLinear.apply(input, bias, qweight)


class QuantizedLinear(Module):
    """A Linear whose weight is stored quantized and frozen; the bias stays a float Parameter.

    Build it from a trained Linear: ``QuantizedLinear.from_linear(linear, format="nf4")``, or
    directly ``QuantizedLinear(in_features, out_features, ...)`` (quantizing a fresh Linear).
    The quantized parts are buffers named ``weight_codes``, ``weight_scales``, ... (in
    ``state_dict``, moved by ``.to()``); ``qweight`` gives them as a QuantizedTensor and
    ``weight`` returns the dequantized weight (a new tensor on each read, without gradient).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, format: str = "nf4",
                 block_size: int = 64, double_quant: bool = False, device=None, dtype=None):
        super().__init__()
        source = Linear(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self._load_from(source, format, block_size, double_quant)

    @classmethod
    def from_linear(cls, linear: Linear, format: str = "nf4", block_size: int = 64,
                    double_quant: bool = False) -> "QuantizedLinear":
        """Quantize a Linear's weight (its bias is copied and keeps its requires_grad)."""
        if not isinstance(linear, Linear):
            raise TypeError(f"QuantizedLinear.from_linear: expected an nn.Linear, got {type(linear).__name__}")
        layer = cls.__new__(cls)
        Module.__init__(layer)
        layer._load_from(linear, format, block_size, double_quant)
        return layer

    def _load_from(self, linear: Linear, format: str, block_size: int, double_quant: bool) -> None:
        self.in_features, self.out_features = linear.in_features, linear.out_features
        q = quantize(linear.weight.detach(), format, block_size, double_quant)
        self.format, self.block_size, self.double_quant = q.format, q.block_size, q.double_quant
        for name, part in q.parts().items():
            self.register_buffer("weight_" + name, part)
        if linear.bias is not None:
            self.bias = Parameter(linear.bias.detach().clone(), requires_grad=linear.bias.requires_grad)
        else:
            self.register_parameter("bias", None)

    @property
    def qweight(self) -> QuantizedTensor:
        parts = {name: self._buffers.get("weight_" + name) for name in _PARTS}
        return QuantizedTensor(shape=(self.out_features, self.in_features), format=self.format,
                               block_size=self.block_size, **parts)

    @property
    def weight(self) -> Tensor:
        return self.qweight.dequantize()

    def float_nbytes(self) -> int:
        """Bytes the weight and bias would take as floats (the dtype of the scales)."""
        weight = self.in_features * self.out_features * self.qweight.dtype.itemsize
        return weight + (0 if self.bias is None else int(self.bias.nbytes))

    def forward(self, input: Tensor) -> Tensor:
        return quantized_linear(input, self.qweight, self.bias)

    def extra_repr(self) -> str:
        dq = ", double_quant=True" if self.double_quant else ""
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"format={self.format!r}, block_size={self.block_size}{dq}")


class QLoRALinear(LoRALayer):
    """A frozen QuantizedLinear plus trainable LoRA adapters: ``nn.LoRALinear`` on a quantized base.

    base: the QuantizedLinear (its bias is frozen here);  lora_A: (r, in);  lora_B: (out, r);
    scaling = lora_alpha / r;  lora_dropout: dropout on the adapter's input only. The names,
    defaults and initialisation are those of ``tinynn.nn.LoRALinear``, so the LoRA helpers
    (``count_parameters``, ``lora_state_dict``, ``mark_only_lora_as_trainable``) work unchanged.

    There is no ``merge()``: adding scaling * B A to a 4-bit weight would mean quantizing the sum
    again, and the adapter's small correction would mostly round away. Keep the adapter separate,
    or build a float ``nn.Linear`` from ``base.weight + delta_weight()`` for deployment.
    """

    def __init__(self, base: QuantizedLinear, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0):
        if not isinstance(base, QuantizedLinear):
            raise TypeError(f"QLoRALinear: expected a QuantizedLinear base layer, got {type(base).__name__} "
                            "(use QLoRALinear.from_linear(linear, ...) to quantize an nn.Linear)")
        # A and B in the dtype and on the device of the scales (of the dequantized weight)
        q = base.qweight
        like = q.scales if q.scales is not None else q.scale_scales
        super().__init__(base, r, lora_alpha, lora_dropout, like)

    @classmethod
    def from_linear(cls, linear: Linear, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0,
                    format: str = "nf4", block_size: int = 64, double_quant: bool = True) -> "QLoRALinear":
        """Quantize ``linear`` (NF4 with double quantization, QLoRA's recipe, by default) and add adapters."""
        base = QuantizedLinear.from_linear(linear, format=format, block_size=block_size, double_quant=double_quant)
        return cls(base, r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout)

    def forward(self, input: Tensor) -> Tensor:
        return self.base(input) + self.low_rank_update(input)

    def extra_repr(self) -> str:
        return f"r={self.r}, lora_alpha={self.lora_alpha}"
