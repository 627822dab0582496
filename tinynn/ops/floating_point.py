"""Functions of the floating-point representation: nan_to_num, signbit, frexp, ldexp, nextafter,
float_power.

A float is m 2^e with a mantissa 0.5 <= |m| < 1 and an integer exponent e:

    frexp(x) = (m, e)                  dm/dx = 2^-e (e is an integer: no gradient)
    ldexp(x, e) = x 2^e                d/dx = 2^e,  d/de = x 2^e log 2
    signbit(x)  = whether the sign bit is set (True for -0.0 and -NaN too)
    nextafter(x, y) = the next float after x in the direction of y         (no gradient)
    nan_to_num(x) = x with NaN, +inf, -inf replaced by 0, the largest and the lowest finite float
                   of its dtype (or by the values given)          d/dx = 1 where x is finite, else 0
    float_power(x, y) = x ** y computed in float64, whatever the inputs' dtypes
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import result_type
from ..tensor import Tensor
from .arithmetic import mul, pow
from ..dims import check_broadcast

__all__ = ["float_power", "frexp", "ldexp", "nan_to_num", "nextafter", "signbit"]

frexp_values = collections.namedtuple("frexp", ["mantissa", "exponent"])


def _check(x, name: str, what: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be a Tensor, got {type(x).__name__}")


class NanToNum(Op):
    """y = x where finite; NaN, +inf, -inf replaced by the given numbers;  dy/dx = [x is finite]."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return array_module_of(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.isfinite().to(grad.dtype)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf``, -inf by ``neginf`` (defaults: 0, and the largest
    and lowest finite values of the dtype). Integer and bool tensors come back as a copy."""
    _check(input, "nan_to_num")
    if input.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


def signbit(input: Tensor) -> Tensor:
    """Whether each element's sign bit is set: True for negatives, -0.0 and -NaN (a bool tensor)."""
    _check(input, "signbit")
    xp = array_module_of(input._data)
    x = input._data
    return Tensor._make(xp.signbit(x) if x.dtype.kind == "f" else x < 0)


class Frexp(Op):
    """(m, e) with x = m 2^e, 0.5 <= |m| < 1 (m = e = 0 at 0);  dm/dx = 2^-e."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module_of(x)
        mantissa, exponent = xp.frexp(x)
        exponent = exponent.astype(np.int32)
        with np.errstate(over="ignore"):  # 2^-e, a constant; inf for subnormal x (as 2^1029 is)
            ctx.save_for_backward(xp.ldexp(xp.ones_like(x), -exponent))
        return mantissa, exponent

    @staticmethod
    def backward(ctx, grad_mantissa, grad_exponent=None):
        (scale,) = ctx.saved_tensors
        return grad_mantissa * scale


def frexp(input: Tensor):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent; exponent is int32."""
    _check(input, "frexp")
    if input.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got {input.dtype}")
    return frexp_values(*Frexp.apply(input))


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2 ** other (integers become the default float dtype)."""
    _check(input, "ldexp")
    _check(other, "ldexp", "other")
    return mul(input, pow(2.0, other))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after each input element, towards ``other`` (no gradient)."""
    _check(input, "nextafter")
    _check(other, "nextafter", "other")
    for t in (input, other):
        if t.dtype.kind != "f":
            raise NotImplementedError(f"nextafter(): only floating-point tensors are supported, got {t.dtype}")
    check_broadcast("nextafter", input, other)
    dtype = result_type(input._data, other._data)
    a, b = input._data.astype(dtype, copy=False), other._data.astype(dtype, copy=False)
    return Tensor._make(array_module_of(a).nextafter(a, b))


def _as_float64(value):
    if isinstance(value, Tensor):
        return value if value.dtype == np.float64 else value.to(np.float64)
    if isinstance(value, (bool, int, float, np.number)):
        return float(value)
    raise TypeError(f"float_power(): expected a Tensor or a number, got {type(value).__name__}")


def float_power(input, exponent) -> Tensor:
    """input ** exponent in double precision: the result is float64 whatever the inputs' dtypes."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected at least one Tensor argument")
    return pow(_as_float64(input), _as_float64(exponent))


def float_power_(self: Tensor, exponent) -> Tensor:
    """In place ``float_power``: only for float64 tensors (the result is float64)."""
    if self.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype} but the operation's "
                           "result requires dtype float64")
    return self._inplace("float_power_", float_power, exponent)
