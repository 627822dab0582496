"""Trigonometric functions: sin cos tan atan, the hyperbolic sinh cosh, and the inverses asin acos
asinh acosh atanh (tanh, an activation, is in ``activation.py``). Integer inputs
compute in the default float dtype, as in PyTorch. Outside its domain a function gives nan, and so
does its gradient (``asin(2.0)``); at the edges the derivative is infinite (``acos`` at 1).
NumPy spells the inverses ``arcsin ...``; PyTorch accepts both spellings, and so does tinynn.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .unary import _floating

__all__ = [
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cos",
    "cosh",
    "sin",
    "sinh",
    "tan",
]


class Sin(Op):
    """y = sin x;  dy/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Op):
    """y = cos x;  dy/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -sin(x)


class Tan(Op):
    """y = tan x;  dy/dx = 1 + y^2."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        y = array_module_of(x).tan(_floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 + y * y)


class Atan(Op):
    """y = arctan x;  dy/dx = 1 / (1 + x^2)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arctan(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + x * x)


class Sinh(Op):
    """y = sinh x = (e^x - e^-x) / 2;  dy/dx = cosh x."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).sinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cosh(x)


class Cosh(Op):
    """y = cosh x = (e^x + e^-x) / 2;  dy/dx = sinh x."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).cosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sinh(x)


class Asin(Op):
    """y = arcsin x  (|x| <= 1);  dy/dx = 1 / sqrt(1 - x^2)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 - x * x) ** 0.5


class Acos(Op):
    """y = arccos x  (|x| <= 1);  dy/dx = -1 / sqrt(1 - x^2)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arccos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad / (1 - x * x) ** 0.5


class Asinh(Op):
    """y = arsinh x = ln(x + sqrt(x^2 + 1));  dy/dx = 1 / sqrt(x^2 + 1)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arcsinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * x + 1) ** 0.5


class Acosh(Op):
    """y = arcosh x = ln(x + sqrt(x^2 - 1))  (x >= 1);  dy/dx = 1 / sqrt(x^2 - 1)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arccosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * x - 1) ** 0.5


class Atanh(Op):
    """y = artanh x = ln((1 + x) / (1 - x)) / 2  (|x| < 1);  dy/dx = 1 / (1 - x^2)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return array_module_of(x).arctanh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 - x * x)


def sinh(input: Tensor) -> Tensor:
    return Sinh.apply(input)


def cosh(input: Tensor) -> Tensor:
    return Cosh.apply(input)


def asin(input: Tensor) -> Tensor:
    return Asin.apply(input)


def acos(input: Tensor) -> Tensor:
    return Acos.apply(input)


def asinh(input: Tensor) -> Tensor:
    return Asinh.apply(input)


def acosh(input: Tensor) -> Tensor:
    return Acosh.apply(input)


def atanh(input: Tensor) -> Tensor:
    return Atanh.apply(input)


arcsin, arccos, arcsinh, arccosh, arctanh = asin, acos, asinh, acosh, atanh


def sin(x: Tensor) -> Tensor:
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    return Cos.apply(x)


def tan(x: Tensor) -> Tensor:
    return Tan.apply(x)


def atan(x: Tensor) -> Tensor:
    return Atan.apply(x)


arctan = atan
