"""The activation functions: sigmoid, tanh, relu, and the fused ones (GELU, SiLU, ELU, softplus, ...).

Sigmoid, tanh and relu have a derivative written in their own output (y (1 - y), 1 - y^2, [y > 0]),
so their backward reads the saved y, as plain arithmetic that runs on raw arrays or on Tensors alike.

Written with separate tensor ops, tanh-GELU  0.5 x (1 + tanh(k (x + 0.044715 x^3)))  is about ten
graph nodes and as many full-size temporaries, forward and backward. Here every other activation
is one op (``Pointwise``):

    forward:   y = f(x) and d = f'(x), computed together (they share most subexpressions)
    backward:  dL/dx = g * d

A second derivative (``create_graph=True``) needs d as a function of x, not as saved numbers, so
then the backward recomputes it: the same ``value_and_slope``, run on Tensors with ``tensor_math``
(NumPy's names for tinynn ops) as its array module. One formula; the tests gradcheck it on arrays
and gradgradcheck it on Tensors.
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import refuse_dtype
from ..kernels import use_fused
from ..kernels.gelu import fused_gelu_value_and_slope
from ..tensor import Tensor
from . import tensor_math
from .special import erf_array
from .unary import _floating, erf

__all__ = ["relu", "sigmoid", "tanh"]


def _stable_sigmoid(xp, z):
    """1 / (1 + e^-z) from e = e^-|z|: 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0; also returns e.

    Never overflows, and the tail for very negative z keeps its tiny values instead of rounding to 0.
    """
    e = xp.exp(-xp.abs(z))
    s = xp.where(z >= 0, 1.0, e)
    s /= 1 + e
    return s, e


class Sigmoid(Op):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)  (computed stably: see ``_stable_sigmoid``)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y, _ = _stable_sigmoid(array_module_of(x), _floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * (1 - y))


class Tanh(Op):
    """y = tanh x;  dy/dx = 1 - y^2."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).tanh(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class Relu(Op):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0.

    As in PyTorch, a NaN stays NaN and passes its gradient through (only y <= 0 blocks it).
    """

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("relu: Boolean inputs not supported; use x.long() or x.float() first")
        y = array_module_of(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * ((y > 0) | (y != y))


def _float_mask(condition, like):
    """A boolean array or Tensor as 0/1 in like's dtype (a constant: no gradient flows through it)."""
    return condition.to(like.dtype) if isinstance(condition, Tensor) else condition.astype(like.dtype)


def _erf(v):
    """erf of an array (``erf_array``) or of a Tensor (the differentiable op)."""
    return erf(v) if isinstance(v, Tensor) else erf_array(v)


class Pointwise(Op):
    """y = f(x) elementwise. Subclasses give ``value_and_slope``: f(x) and f'(x), written once.

    ``value_and_slope(xp, x, *params)`` runs on raw arrays with their array module (forward) and on
    Tensors with ``tensor_math`` (a backward being recorded), so it uses only what both offer.
    """

    array_backward = True   # grad * d runs on raw arrays unless a graph of the backward is wanted

    @staticmethod
    def value_and_slope(xp, x, *params):
        """(f(x), f'(x)), of x's dtype: arrays for xp = NumPy or CuPy, Tensors for xp = tensor_math."""
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, *params):
        if x.dtype.kind != "f":
            raise refuse_dtype(type(ctx).__name__.lower(), x.dtype, "a floating point tensor")
        # NumPy ufuncs turn 0-d arrays into scalars (no in-place ``out=``): compute on a 1-element view
        flat = x.reshape(1) if x.ndim == 0 else x
        y, d = type(ctx).value_and_slope(array_module_of(x), flat, *params)
        if x.ndim == 0:
            y, d = y.reshape(()), d.reshape(())
        ctx.params = params
        ctx.save_for_backward(x, d)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, d = ctx.saved_tensors
        if isinstance(x, Tensor):  # a graph of this backward: f'(x) as a function of x, by the same lines
            d = type(ctx).value_and_slope(tensor_math, x, *ctx.params)[1]
        return grad * d


class LeakyRelu(Pointwise):
    """y = x if x > 0 else a x;  dy/dx = 1 if x > 0 else a  (a = negative_slope)."""

    @staticmethod
    def value_and_slope(xp, x, negative_slope):
        d = _float_mask(x > 0, x)
        d *= 1 - negative_slope
        d += negative_slope
        return x * d, d


class Elu(Pointwise):
    """y = s x if x > 0 else s a (e^(c x) - 1);  dy/dx = s if x > 0 else s a c e^(c x).

    ELU: s = c = 1.  SELU: fixed a, s.  CELU: c = 1 / a.  (a = alpha, s = scale, c = input_scale.)
    """

    @staticmethod
    def value_and_slope(xp, x, alpha, scale, input_scale):
        positive = x > 0
        # only the x <= 0 side is used (so no overflow); expm1 keeps e^z - 1 accurate near 0
        expm1_neg = xp.expm1(xp.minimum(x, 0) * input_scale)
        y = xp.where(positive, x * scale, expm1_neg * (scale * alpha))
        k = scale * alpha * input_scale
        slope_neg = expm1_neg * k
        slope_neg += k                               # k (e^(c x) - 1) + k = k e^(c x)
        return y, xp.where(positive, scale, slope_neg)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


class Gelu(Pointwise):
    """GELU: y = x Phi(x), with Phi the standard normal CDF.

    exact ('none'):  Phi(x) = (1 + erf(x / sqrt 2)) / 2,  phi(x) = Phi'(x) = e^(-x^2/2) / sqrt(2 pi)
        dy/dx = Phi(x) + x phi(x)                                      (product rule)
    'tanh':  Phi(x) ~ (1 + t) / 2,  t = tanh(u),  u = k (x + c x^3),  k = sqrt(2/pi),  c = 0.044715
        dy/dx = (1 + t) / 2 + x/2 (1 - t^2) du/dx,  du/dx = k (1 + 3 c x^2)   (tanh' = 1 - tanh^2)
    """

    @staticmethod
    def value_and_slope(xp, x, approximate):
        if xp is not tensor_math and use_fused(x):  # one GPU kernel (kernels/gelu.py) for what follows
            return fused_gelu_value_and_slope(x, approximate)
        if approximate == "tanh":
            x2 = x * x
            t = x2 * (_GELU_CUBIC * _SQRT_2_OVER_PI)
            t += _SQRT_2_OVER_PI
            t *= x                                   # u = k (x + c x^3)
            xp.tanh(t, out=t)
            half_1pt = t + 1
            half_1pt *= 0.5                          # (1 + t) / 2
            du = x2 * (3 * _GELU_CUBIC * _SQRT_2_OVER_PI)
            du += _SQRT_2_OVER_PI                    # du/dx
            t *= t
            xp.subtract(1, t, out=t)                 # 1 - t^2
            t *= du
            t *= x
            t *= 0.5
            t += half_1pt                            # dy/dx
            return x * half_1pt, t
        cdf = _erf(x * _INV_SQRT_2)
        cdf += 1
        cdf *= 0.5
        pdf = x * x
        pdf *= -0.5
        xp.exp(pdf, out=pdf)
        pdf *= x * _INV_SQRT_2PI                     # x phi(x)
        pdf += cdf
        return x * cdf, pdf


class Silu(Pointwise):
    """SiLU / swish: y = x s,  s = sigmoid(x);  dy/dx = s + x s (1 - s) = s (1 + x (1 - s))."""

    @staticmethod
    def value_and_slope(xp, x):
        s, _ = _stable_sigmoid(xp, x)
        d = 1 - s
        d *= x
        d += 1
        d *= s
        return x * s, d


def _stable_softplus(xp, z):
    """log(1 + e^z) = max(z, 0) + log(1 + e^-|z|) (no overflow), with sigmoid(z) as a by-product."""
    s, e = _stable_sigmoid(xp, z)
    return xp.maximum(z, 0) + xp.log1p(e), s


class Softplus(Pointwise):
    """y = log(1 + e^(b x)) / b, and y = x where b x > threshold;  dy/dx = sigmoid(b x) (or 1)."""

    @staticmethod
    def value_and_slope(xp, x, beta, threshold):
        z = x * beta
        soft, s = _stable_softplus(xp, z)
        if beta != 1:
            soft /= beta
        linear = z > threshold
        return xp.where(linear, x, soft), xp.where(linear, 1.0, s)


class Mish(Pointwise):
    """y = x tanh(softplus(x));  dy/dx = t + x sigmoid(x) (1 - t^2),  t = tanh(softplus(x))
    (softplus' = sigmoid, tanh' = 1 - tanh^2)."""

    @staticmethod
    def value_and_slope(xp, x):
        soft, s = _stable_softplus(xp, x)
        t = xp.tanh(soft, out=soft)
        d = t * t
        xp.subtract(1, d, out=d)
        d *= s
        d *= x
        d += t
        return x * t, d


class LogSigmoid(Pointwise):
    """y = log sigmoid(x) = min(x, 0) - log(1 + e^-|x|);  dy/dx = 1 - sigmoid(x) = sigmoid(-x)."""

    @staticmethod
    def value_and_slope(xp, x):
        s, e = _stable_sigmoid(xp, -x)
        return xp.minimum(x, 0) - xp.log1p(e), s


class Hardtanh(Pointwise):
    """y = clamp(x, lo, hi);  dy/dx = 1 strictly inside (lo, hi), else 0."""

    @staticmethod
    def value_and_slope(xp, x, lo, hi):
        return xp.clip(x, lo, hi), _float_mask((x > lo) & (x < hi), x)


class Hardsigmoid(Pointwise):
    """y = clamp(x / 6 + 1/2, 0, 1);  dy/dx = 1/6 for -3 < x < 3, else 0."""

    @staticmethod
    def value_and_slope(xp, x):
        y = x / 6
        y += 0.5
        d = _float_mask((x > -3) & (x < 3), x)
        d /= 6
        return xp.clip(y, 0, 1, out=y), d


class Hardswish(Pointwise):
    """y = x clamp(x + 3, 0, 6) / 6;  dy/dx = 0 for x <= -3,  x/3 + 1/2 for -3 < x < 3,  1 from 3 on."""

    @staticmethod
    def value_and_slope(xp, x):
        gate = x + 3
        xp.clip(gate, 0, 6, out=gate)
        gate /= 6
        middle = x / 3
        middle += 0.5
        return x * gate, xp.where(x <= -3, 0.0, xp.where(x < 3, middle, 1.0))


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def relu(x: Tensor) -> Tensor:
    return Relu.apply(x)
