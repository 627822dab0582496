"""Activations and relaxations with randomness in them: ``rrelu`` and ``gumbel_softmax``."""
from __future__ import annotations

import warnings

from ...creation import rand, zeros_like
from ...dtypes import finfo
from ...ops.indexing import where
from ...ops.unary import log
from ...tensor import Tensor

__all__ = ["gumbel_softmax", "rrelu", "rrelu_"]


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015): y = x for x >= 0, a x for x < 0.

    Training: a slope a ~ U(lower, upper) drawn for each element; evaluation: the mean slope
    (lower + upper) / 2, as a plain leaky ReLU. dy/dx = 1 or a.
    """
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got lower={lower}, upper={upper}")
    if training:
        slope = rand(input.shape, dtype=input.dtype, device=input.device) * (upper - lower) + lower
    else:
        slope = (lower + upper) / 2

    def compute(x):
        return where(x >= 0, x, x * slope)

    return input._inplace("rrelu_", compute) if inplace else compute(input)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A differentiable sample from the categorical distribution softmax(logits) (Jang et al., 2017).

    y = softmax((logits + g) / tau) with g = -log(-log u), u ~ U(0, 1) (Gumbel noise): as tau -> 0,
    y tends to the one-hot of argmax(logits + g), a sample from Categorical(logits). ``hard=True``
    returns that one-hot vector in the forward pass and the soft y's gradient in the backward one
    (straight-through: y_hard - y.detach() + y). ``eps`` is deprecated and unused, as in PyTorch.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    u = rand(logits.shape, dtype=logits.dtype, device=logits.device)
    u = u.clamp(min=float(finfo(u.dtype).tiny))   # never log(0)
    gumbels = -log(-log(u))
    y = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    one_hot = zeros_like(logits).scatter(dim, index, 1.0)
    return one_hot - y.detach() + y
