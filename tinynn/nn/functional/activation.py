"""Activation functions, softmax and friends, and ``normalize`` (the distances are in ``distance.py``).

Elementwise activations with a nontrivial derivative are fused ops (``tinynn/ops/activation.py``:
value and slope in one pass); the rest are short compositions of tensor ops whose gradients come
for free. Every ``inplace=True`` variant computes out of place and then writes the result back
into ``input`` (returning it), so the caller sees PyTorch's in-place behaviour: the same tensor
object holds the new values, and a leaf that requires grad is refused.
"""
from __future__ import annotations

import warnings

from ...ops import activation as fused
from ...dtypes import refuse_dtype
from ...ops.indexing import where
from ...ops.minmax import clamp
from ...ops.join import chunk
from ...ops.reduce import log_softmax as _log_softmax, norm, softmax as _softmax, sum as _sum
from ...ops.activation import relu as _relu, sigmoid as _sigmoid, tanh as _tanh
from ...ops.unary import sign, sqrt
from ...tensor import Tensor

__all__ = [
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "logsigmoid", "log_softmax", "mish", "normalize",
    "prelu", "relu", "relu6", "relu_", "selu", "selu_", "sigmoid", "silu", "softmax", "softmin",
    "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold", "threshold_",
]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _maybe_inplace(input: Tensor, inplace: bool, name: str, fn, *args) -> Tensor:
    if inplace:
        return input._inplace(name, fn, *args)
    return fn(input, *args)


# ---------------------------------------------------------------------------- rectifiers
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _maybe_inplace(input, inplace, "relu_", _relu)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _maybe_inplace(input, inplace, "leaky_relu_", fused.LeakyRelu.apply, negative_slope)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val), with zero gradient at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype.kind in "iu":  # integers clamp to integer bounds (no gradient), as in PyTorch
        return _maybe_inplace(input, inplace, "hardtanh_", clamp, int(min_val), int(max_val))
    return _maybe_inplace(input, inplace, "hardtanh_", fused.Hardtanh.apply, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return _maybe_inplace(input, inplace, "elu_", fused.Elu.apply, alpha, 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the constants that make deep SELU networks self-normalising."""
    return _maybe_inplace(input, inplace, "selu_", fused.Elu.apply, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise (continuously differentiable ELU)."""
    if alpha == 0:
        raise ValueError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(input, inplace, "celu_", fused.Elu.apply, alpha, 1.0, 1.0 / alpha)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (NaN stays NaN; an integer tensor stays integer)."""
    return _maybe_inplace(input, inplace, "threshold_", _threshold, threshold, value)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    if x.dtype.kind in "iu":
        value = int(value)
    return where(x <= threshold, value, x)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _maybe_inplace(input, True, "threshold_", _threshold, threshold, value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; weight: (1,) or (C,) for input (N, C, *)."""
    count = weight.numel()
    if count != 1:
        channels = input.shape[1] if input.ndim > 1 else 1
        if weight.ndim != 1 or channels != count:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size: the weight has {count} "
                f"elements, the input of shape {tuple(input.shape)} has {channels} channels (dim 1)"
            )
        weight = weight.reshape((count,) + (1,) * (input.ndim - 2))  # broadcast over (N, C, *)
    elif input.ndim > 0:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


# ---------------------------------------------------------------------------- smooth activations
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi: the normal CDF); approximate='tanh' uses 0.5 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return fused.Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _maybe_inplace(input, inplace, "silu_", fused.Silu.apply)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _maybe_inplace(input, inplace, "mish_", fused.Mish.apply)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, reverting to x where beta x > threshold."""
    return fused.Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed without overflow."""
    return fused.LogSigmoid.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    return _sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(x / 6 + 1/2, 0, 1): a piecewise-linear sigmoid."""
    return _maybe_inplace(input, inplace, "hardsigmoid_", fused.Hardsigmoid.apply)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x) (MobileNetV3)."""
    return _maybe_inplace(input, inplace, "hardswish_", fused.Hardswish.apply)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (1 + input.abs())


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - _tanh(input)


def _shrink(input: Tensor, lambd: float, name: str, shifted) -> Tensor:
    """``shifted(x)`` where |x| > lambd, else 0. A NaN is neither: as in PyTorch it stays NaN,
    with gradient 0."""
    if input.dtype.kind != "f":
        raise refuse_dtype(name, input.dtype, "a floating point tensor")
    outside = (input > lambd) | (input < -lambd)
    rest = where(input != input, input.detach(), 0.0)
    return where(outside, shifted(input), rest)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return _shrink(input, lambd, "hardshrink", lambda x: x)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _shrink(input, lambd, "softshrink", lambda x: x - lambd * sign(x))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b), where a, b are the two halves of input along dim."""
    if input.ndim == 0 or input.shape[dim] % 2 != 0:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} of {tuple(input.shape)} is odd")
    a, b = chunk(input, 2, dim)
    return a * _sigmoid(b)


# ---------------------------------------------------------------------------- softmax family
def _implicit_softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim (computed from x - max for stability)."""
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.ndim)
    return _softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along dim."""
    if dim is None:
        dim = _implicit_softmax_dim("softmin", input.ndim)
    return _softmax(-input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim."""
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.ndim)
    return _log_softmax(input, dim, dtype)


# ---------------------------------------------------------------------------- normalising and distances
def _norm_at_least(x: Tensor, p: float, dim: int, eps: float) -> Tensor:
    """max(||x||_p, eps) along dim (keepdim). For p = 2 as sqrt(max(sum x^2, eps^2)): the same
    value, but a finite gradient at x = 0 (where the gradient of ||x|| itself is 0/0)."""
    if p == 2:
        return sqrt(_sum(x * x, dim, keepdim=True).clamp(min=eps * eps))
    return norm(x, p, dim, keepdim=True).clamp(min=eps)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p, eps) along dim: unit vectors (zero vectors stay zero)."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; use the returned tensor")
    return input / _norm_at_least(input, p, dim, eps)


# cosine_similarity and pairwise_distance: nn/functional/distance.py

