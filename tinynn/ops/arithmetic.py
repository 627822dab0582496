"""Elementwise arithmetic: + - * / ** and friends, with NumPy broadcasting.

Backward formulas return gradients of the broadcast shape; the engine sums them back to each
input's shape, so the ops here only state their calculus.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype, refuse_dtype, result_type
from ..tensor import Tensor
from ..dims import check_broadcast

__all__ = [
    "add",
    "addcdiv",
    "addcmul",
    "div",
    "divide",
    "floor_divide",
    "fmod",
    "lerp",
    "mul",
    "multiply",
    "neg",
    "negative",
    "positive",
    "pow",
    "reciprocal",
    "remainder",
    "square",
    "sub",
    "subtract",
    "true_divide",
]


def promote(a, b):
    """The two operands of a binary op, cast to the dtype PyTorch would compute in.

    ``a`` and ``b`` are raw arrays or Python numbers. The common cases (same dtype, or a float
    array with a Python float) return at once; Python numbers otherwise become arrays.
    """
    a_arr, b_arr = hasattr(a, "dtype"), hasattr(b, "dtype")
    if a_arr and b_arr and a.dtype == b.dtype:
        return a, b
    if a_arr and not b_arr and type(b) is float and a.dtype.kind == "f":
        return a, b
    if b_arr and not a_arr and type(a) is float and b.dtype.kind == "f":
        return a, b
    dtype = result_type(a, b)
    return _cast(a, dtype), _cast(b, dtype)


def _cast(value, dtype):
    if hasattr(value, "dtype"):
        return value if value.dtype == dtype else value.astype(dtype)
    return dtype.type(value)


def to_float(a, b):
    """Operands promoted, then raised to the default float dtype if they are integers or bools."""
    a, b = promote(a, b)
    dtype = a.dtype if hasattr(a, "dtype") else b.dtype
    if dtype.kind != "f":
        dtype = get_default_dtype()
        return _cast(a, dtype), _cast(b, dtype)
    return a, b


class Add(Op):
    """z = x + alpha * y;  dz/dx = 1, dz/dy = alpha."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        x, y = promote(x, y)
        ctx.alpha = alpha
        return x + y if alpha == 1 else x + _scaled(y, alpha, "add")

    @staticmethod
    def backward(ctx, grad):
        return grad, grad if ctx.alpha == 1 else grad * ctx.alpha


class Sub(Op):
    """z = x - alpha * y;  dz/dx = 1, dz/dy = -alpha."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        if _is_bool(x) or _is_bool(y):
            raise RuntimeError(
                "subtraction, the `-` operator, with a bool tensor is not supported; use logical_xor or ~"
            )
        x, y = promote(x, y)
        ctx.alpha = alpha
        return x - y if alpha == 1 else x - _scaled(y, alpha, "sub")

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.alpha == 1 else grad * -ctx.alpha


def _scaled(y, alpha, name: str):
    """``alpha * y`` in y's dtype (PyTorch refuses a float alpha for integers: it would not fit)."""
    dtype = y.dtype if hasattr(y, "dtype") else result_type(y)
    if dtype.kind in "iub" and isinstance(alpha, float):
        raise RuntimeError(f"{name}: for integral input tensors, argument alpha must not be a floating point number")
    return _cast(alpha, dtype) * y


class Mul(Op):
    """z = x * y;  dz/dx = y, dz/dy = x."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y):
        x, y = promote(x, y)
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        return (grad * y if need_x else None), (grad * x if need_y else None)


class Div(Op):
    """z = x / y;  dz/dx = 1 / y, dz/dy = -x / y^2.  Integer inputs divide as floats."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y):
        x, y = to_float(x, y)
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        grad_x = grad / y if need_x else None
        grad_y = -grad * x / (y * y) if need_y else None
        return grad_x, grad_y


class Neg(Op):
    """y = -x;  dy/dx = -1."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        if x.dtype == bool:
            raise RuntimeError("negation, the `-` operator, on a bool tensor is not supported; use ~ or logical_not")
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Op):
    """z = x ** y;  dz/dx = y * x^(y-1),  dz/dy = x^y * log(x).

    As in PyTorch: dz/dx is 0 where y = 0 (even at x = 0); dz/dy is 0 where x = 0 and y >= 0 (the
    limit of x^y log x), -inf where x = 0 and y < 0, and nan where x < 0 (log x is not real).
    """

    @staticmethod
    def forward(ctx, x, y):
        a, b = promote(x, y)
        if _is_bool(a) and _is_bool(b) and hasattr(y, "dtype"):
            raise refuse_dtype("pow", np.dtype(bool), "number tensors (use x.long())")
        if _is_int(a) and _is_int(b):
            out = _integer_power(a, b, exponent_is_number=not hasattr(y, "dtype"))
        else:
            out = a**b
        # A Python number is saved as it is, so that backward can single out exponents 0 and 1.
        ctx.save_for_backward(a if hasattr(x, "dtype") else x, b if hasattr(y, "dtype") else y, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        x, y, out = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        grad_x = grad_y = None
        if need_x:
            if isinstance(y, Tensor):  # where y = 0 the derivative is 0, even at x = 0
                zero_power = (y == 0).detach()
                grad_x = grad * y * where(zero_power, 1.0, x) ** (y - 1)
            elif y == 0:
                grad_x = grad * 0.0
            else:
                grad_x = grad * y * x ** (y - 1) if y != 1 else grad
        if need_y:
            from .unary import log

            with np.errstate(divide="ignore", invalid="ignore"):  # log of x <= 0: -inf and nan, on purpose
                if isinstance(x, Tensor):
                    zero_base = ((x == 0) & (y >= 0)).detach()
                    grad_y = where(zero_base, 0.0, grad * out * log(x))
                else:
                    log_x = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
                    grad_y = where((y >= 0).detach(), 0.0, grad * out * log_x) if x == 0 else grad * out * log_x
        return grad_x, grad_y


def _integer_power(a, b, exponent_is_number: bool):
    """a ** b for integers as PyTorch computes it: a negative exponent given as a number is an
    error, but in a tensor it gives 1 for a = 1, +-1 for a = -1 (by parity) and 0 otherwise."""
    negative = b < 0
    if not bool(negative.any() if hasattr(negative, "any") else negative):
        out = a**b
        return out.astype(bool) if _is_bool(a) and _is_bool(b) else out
    if exponent_is_number:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    xp = array_module_of(a if hasattr(a, "ndim") else b)
    dtype = a.dtype if hasattr(a, "dtype") else b.dtype
    a, b = xp.asarray(a), xp.asarray(b)
    safe = a ** xp.where(negative, 0, b)
    odd = (b % 2) != 0
    inverse = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, inverse, safe).astype(dtype)


def _is_int(value) -> bool:
    if hasattr(value, "dtype"):
        return value.dtype.kind in "iub"
    return isinstance(value, (int, np.integer))


def _is_bool(value) -> bool:
    return value.dtype == bool if hasattr(value, "dtype") else isinstance(value, bool)


def broadcasting(op, name: str, x, y, *args) -> Tensor:
    """``op.apply(x, y, *args)``, raising PyTorch's error (not NumPy's) when the shapes don't broadcast."""
    try:
        return op.apply(x, y, *args)
    except ValueError:
        check_broadcast(name, x, y)
        raise


def add(x, y, *, alpha=1) -> Tensor:
    """``x + alpha * y`` elementwise, broadcasting."""
    return broadcasting(Add, "add", x, y, alpha)


def sub(x, y, *, alpha=1) -> Tensor:
    """``x - alpha * y`` elementwise, broadcasting."""
    return broadcasting(Sub, "sub", x, y, alpha)


subtract = sub


def mul(x, y) -> Tensor:
    return broadcasting(Mul, "mul", x, y)


multiply = mul


def div(x, y, *, rounding_mode=None) -> Tensor:
    """``x / y`` (true division); ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient."""
    if rounding_mode is None:
        return broadcasting(Div, "div", x, y)
    if rounding_mode == "floor":
        return floor_divide(x, y)
    if rounding_mode == "trunc":
        return trunc_divide(x, y)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")


divide = true_divide = div


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


negative = neg


def positive(x: Tensor) -> Tensor:
    """``+x``: x itself (not for bool tensors, as in PyTorch)."""
    if x.dtype == np.bool_:
        raise RuntimeError("the `+` operator (positive) on a bool tensor is not supported")
    return x


def pow(x, exponent) -> Tensor:
    """``x ** exponent`` elementwise (either may be a number)."""
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) and isinstance(x, Tensor):
        if exponent == 1:
            return x * 1 if x._requires_grad else x.clone()
    return broadcasting(Pow, "pow", x, exponent)


def reciprocal(x: Tensor) -> Tensor:
    return Div.apply(1.0, x)


def square(x: Tensor) -> Tensor:
    """``x * x``; a bool tensor squares as int64 (PyTorch's ``x ** 2``)."""
    if x.dtype == np.bool_:
        x = x.long()
    return Mul.apply(x, x)


def lerp(start: Tensor, end: Tensor, weight) -> Tensor:
    """``start + weight * (end - start)``; start, end (and a tensor weight) share one float dtype."""
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype != start.dtype:
            raise RuntimeError(f"lerp: expected dtype {start.dtype} for `{name}` but got dtype {t.dtype}")
    return start + weight * (end - start)


def addcmul(x: Tensor, t1: Tensor, t2: Tensor, *, value=1) -> Tensor:
    return x + value * t1 * t2


def addcdiv(x: Tensor, t1: Tensor, t2: Tensor, *, value=1) -> Tensor:
    """``x + value * t1 / t2`` (true division; PyTorch refuses two integer tensors here)."""
    if t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
        raise RuntimeError("addcdiv: integer division with addcdiv is not supported; "
                           "use addcmul(x, t1, t2.reciprocal()) or convert to float first")
    return x + value * t1 / t2


# floor and truncating division, remainder and fmod live in division.py (they build on the above)
from .division import floor_divide, fmod, remainder, trunc_divide  # noqa: E402,F401
