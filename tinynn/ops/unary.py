"""Elementwise functions of one tensor: exp, log, sqrt, erf, abs and rounding.

(The trigonometric functions are in ``trig.py``; sigmoid, tanh, relu and the other activations in
``activation.py``.)

Integer inputs are computed in the default float dtype, as in PyTorch (``exp`` of an int tensor
is a float32 tensor).
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype, refuse_dtype
from ..tensor import Tensor

__all__ = [
    "abs",
    "absolute",
    "ceil",
    "erf",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "floor",
    "frac",
    "log",
    "log10",
    "log1p",
    "log2",
    "round",
    "rsqrt",
    "sign",
    "sqrt",
    "trunc",
]


def _floating(x):
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


class Exp(Op):
    """y = e^x;  dy/dx = y."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).exp(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Expm1(Op):
    """y = e^x - 1 (accurate near 0);  dy/dx = y + 1."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).expm1(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y + 1)


class Exp2(Op):
    """y = 2^x (exact at integers);  dy/dx = y ln 2."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).exp2(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * math.log(2.0)


class Log(Op):
    """y = ln x;  dy/dx = 1 / x."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class LogBase(Op):
    """y = log_b x for b = 2 or 10 (exact at powers of b);  dy/dx = 1 / (x ln b)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, base):
        x = _floating(x)
        ctx.base = base
        ctx.save_for_backward(x)
        xp = array_module_of(x)
        return xp.log2(x) if base == 2 else xp.log10(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * math.log(ctx.base))


class Log1p(Op):
    """y = ln(1 + x) (accurate near 0);  dy/dx = 1 / (1 + x)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


class Sqrt(Op):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).sqrt(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (2 * y)


class Rsqrt(Op):
    """y = 1 / sqrt(x);  dy/dx = -y^3 / 2."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        xp = array_module_of(x)
        y = xp.reciprocal(xp.sqrt(_floating(x)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (-0.5 * y * y * y)


class Erf(Op):
    """y = erf x = 2/sqrt(pi) * integral_0^x e^(-t^2) dt;  dy/dx = 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        from .special import erf_array

        x = _floating(x)
        ctx.save_for_backward(x)
        return erf_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * exp(-(x * x))


class Abs(Op):
    """y = |x|;  dy/dx = sign(x) (0 at 0)."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise refuse_dtype("abs", x.dtype, "a number tensor")
        ctx.save_for_backward(x)
        return array_module_of(x).abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sign(x)


class Rounding(Op):
    """Piecewise-constant functions (floor, ceil, round, trunc, sign): the derivative is 0.

    As in PyTorch: integers round to themselves (but not to ``decimals`` places, nor bools at
    all), the sign of a bool is itself, and the sign of NaN is 0.
    """

    @staticmethod
    def forward(ctx, x, how, decimals=0):
        xp = array_module_of(x)
        if how == "sign":
            if x.dtype.kind == "b":
                return x.copy()
            return xp.where(x != x, 0, xp.sign(x)).astype(x.dtype, copy=False)
        if x.dtype.kind == "b" or (x.dtype.kind in "iu" and decimals != 0):
            raise refuse_dtype(how if not decimals else f"{how}(decimals={decimals})", x.dtype, "a float tensor")
        if x.dtype.kind in "iu":
            return x.copy()
        if how == "round":
            return xp.round(x, decimals)
        return getattr(xp, how)(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


def exp(x: Tensor) -> Tensor:
    return Exp.apply(x)


def expm1(x: Tensor) -> Tensor:
    return Expm1.apply(x)


def exp2(x: Tensor) -> Tensor:
    return Exp2.apply(x)


def log(x: Tensor) -> Tensor:
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(x)


def log2(x: Tensor) -> Tensor:
    return LogBase.apply(x, 2)


def log10(x: Tensor) -> Tensor:
    return LogBase.apply(x, 10)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    return Rsqrt.apply(x)


def erf(x: Tensor) -> Tensor:
    return Erf.apply(x)


def abs(x: Tensor) -> Tensor:
    return Abs.apply(x)


absolute = abs


def sign(x: Tensor) -> Tensor:
    return Rounding.apply(x, "sign")


def floor(x: Tensor) -> Tensor:
    return Rounding.apply(x, "floor")


def ceil(x: Tensor) -> Tensor:
    return Rounding.apply(x, "ceil")


def trunc(x: Tensor) -> Tensor:
    return Rounding.apply(x, "trunc")


fix = trunc


def round(x: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (as NumPy and PyTorch do), optionally to ``decimals`` places."""
    return Rounding.apply(x, "round", decimals)


def frac(x: Tensor) -> Tensor:
    """The fractional part ``x - trunc(x)`` (float tensors only, as in PyTorch)."""
    if x.dtype.kind != "f":
        raise refuse_dtype("frac", x.dtype, "a float tensor")
    return x - trunc(x)
