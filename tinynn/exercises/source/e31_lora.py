"""Exercise 31: a LoRA layer, a frozen Linear plus a trainable low-rank update, as a tinynn Module.

Fine-tuning all of a big weight W: (out, in) trains out*in numbers. LoRA (Hu et al., 2021) freezes
W and learns a low-rank correction instead, the product of two thin matrices:

    y = x W^T + b + (alpha / r) * (x A^T) B^T
    x: (..., in)   W: (out, in)   b: (out,)   A: (r, in)   B: (out, r)   y: (..., out)

with a rank r much smaller than in and out: r*(in + out) trainable numbers instead of out*in. The
update to the weight is delta_W = (alpha / r) B A, of rank at most r.

Initialisation: A random (as nn.Linear's weight: ``nn.init.kaiming_uniform_(A, a=math.sqrt(5))``),
B **zero**. So at the start B A = 0 and the layer computes exactly the pretrained x W^T + b:
fine-tuning starts from the pretrained model, not from a perturbed one. (B's gradient is not zero:
dL/dB = (alpha/r) G^T (x A^T), so B starts to move at the first step.)

The scaling alpha / r keeps the size of the update about the same when you change r, so a
learning rate tuned at one rank carries over to another.

Only A and B train: W and b are Parameters with ``requires_grad=False``, so an optimizer given
``[p for p in layer.parameters() if p.requires_grad]`` updates A and B alone.

Merging for inference: W' = W + (alpha / r) B A gives the same outputs with one matrix product.

You write ``LoRALinear``: ``__init__`` (parameters named exactly ``weight``, ``bias`` (None when
bias=False), ``lora_A`` and ``lora_B``, and a float attribute ``scaling``), ``forward`` (with tinynn
Tensor operations, so autograd gives A's and B's gradients) and ``merged_weight``. The layer is
built in float32 like nn.Linear; the grader moves it to float64 with ``.double()`` for its
gradient checks. The grader also compares your layer with the library's ``tinynn.nn.LoRALinear``
given the same weights (its outputs and its merged weight); building that class (or the library's
``QLoRALinear``) inside your layer fails the check. ``nn.Linear`` is fine for the initialisation.
"""
from __future__ import annotations

import math

import tinynn
from tinynn import nn

LESSON = 20
FORBIDDEN = ["tinynn.nn.LoRALinear", "tinynn.quant.QLoRALinear"]
PARTS = {"lora": "LoRALinear"}


class LoRALinear(nn.Module):
    """y = x W^T + b + (alpha / r) (x A^T) B^T with W, b frozen and A: (r, in), B: (out, r) trainable."""

    def __init__(self, in_features: int, out_features: int, r: int = 4, alpha: float = 8.0, bias: bool = True):
        """Parameters: weight (out, in) and bias (out,) frozen, initialised as nn.Linear's; lora_A (r, in)
        kaiming-uniform (a = sqrt(5)); lora_B (out, r) zeros; scaling = alpha / r."""
        super().__init__()
        # >>> solution
        base = nn.Linear(in_features, out_features, bias=bias)      # nn.Linear's initialisation
        self.weight = nn.Parameter(base.weight.detach(), requires_grad=False)
        if bias:
            self.bias = nn.Parameter(base.bias.detach(), requires_grad=False)
        else:
            self.register_parameter("bias", None)
        self.lora_A = nn.Parameter(tinynn.empty(r, in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(tinynn.zeros(out_features, r))
        self.r, self.alpha = r, alpha
        self.scaling = alpha / r
        # <<< solution

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """x: (..., in) -> (..., out)."""
        # >>> solution
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y + (x @ self.lora_A.T) @ self.lora_B.T * self.scaling
        # <<< solution

    def merged_weight(self) -> tinynn.Tensor:
        """W + (alpha / r) B A: (out, in), the weight of a plain Linear that computes the same outputs."""
        # >>> solution
        return self.weight + (self.lora_B @ self.lora_A) * self.scaling
        # <<< solution
