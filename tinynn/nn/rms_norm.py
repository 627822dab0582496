"""``RMSNorm``: root-mean-square layer normalization, the normalization of LLaMA-style transformers.

    y = x / sqrt(mean(x^2) + eps) * weight      (mean over the trailing ``normalized_shape`` dims)

Unlike ``LayerNorm`` there is no centering and no bias. The math and the gradient are in
``RMSNormalize`` in ``tinynn/ops/normalization.py``; the function is ``F.rms_norm``.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..creation import ones
from ..tensor import Tensor
from .functional.rms_norm import rms_norm
from .module import Module
from .parameter import Parameter

__all__ = ["RMSNorm"]


class RMSNorm(Module):
    """RMS-normalize each sample over its trailing ``normalized_shape`` dims. input: (*, *normalized_shape).

    weight: ``normalized_shape``, initialised to ones (absent with ``elementwise_affine=False``).
    ``eps=None`` means ``finfo(input.dtype).eps`` at each call, as in PyTorch.
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True,
                 device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            with grad_mode.no_grad():
                self.weight.fill_(1)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
