"""Rounded division: floor and truncating quotients, ``remainder`` (Python's %) and ``fmod`` (C's).

Floats use NumPy's floor_divide, remainder and fmod, which compute them as Python and PyTorch do
(from fmod, so that inf // 2 is nan and 1e-300 // -inf is -1, where floor(x / y) would give inf
and -0). Integers divide exactly and refuse a zero divisor with PyTorch's error (NumPy returns
0); two bool tensors are refused, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import category, refuse_dtype, result_type
from ..tensor import Tensor
from .arithmetic import _is_bool, broadcasting, promote
from ..dims import check_broadcast

__all__ = ["floor_divide", "fmod", "remainder"]


def _raw(v):
    return v._data if isinstance(v, Tensor) else v


def _is_float_op(x, y) -> bool:
    return category(result_type(_raw(x), _raw(y))) == 2


class RoundedDivide(Op):
    """z = floor(x / y) or trunc(x / y);  the derivative is 0 (z is piecewise constant).

    PyTorch raises in backward for ``floor_divide`` but gives 0 for ``div(rounding_mode=...)``;
    tinynn gives 0 for both, on purpose: the same quotient, the same derivative.
    """

    @staticmethod
    def forward(ctx, x, y, how):
        x, y = promote(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.asarray(xp.floor_divide(x, y) if how == "floor" else xp.trunc(x / y))

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0


class Remainder(Op):
    """z = x - y * q with q = floor(x / y) ("remainder", the sign of y) or trunc(x / y) ("fmod",
    the sign of x);  dz/dx = 1,  dz/dy = -q  (PyTorch's formulas; q is held constant)."""

    @staticmethod
    def forward(ctx, x, y, how):
        x, y = promote(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        with np.errstate(divide="ignore", invalid="ignore"):
            if how == "remainder":
                z, q = xp.remainder(x, y), xp.floor_divide(x, y)
            else:
                z, q = xp.fmod(x, y), xp.trunc(x / y)
        ctx.save_for_backward(xp.asarray(q))
        return xp.asarray(z)

    @staticmethod
    def backward(ctx, grad):
        (q,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        return (grad if need_x else None), (-grad * q if need_y else None)


def trunc_divide(x, y) -> Tensor:
    """``div(x, y, rounding_mode='trunc')``: the quotient rounded toward zero (derivative 0)."""
    if _is_float_op(x, y):
        return broadcasting(RoundedDivide, "div", x, y, "trunc")
    return _integer_op("div", _trunc_divide, x, y)


def floor_divide(x, y) -> Tensor:
    """``x // y`` rounded toward minus infinity (derivative 0)."""
    if _is_float_op(x, y):
        return broadcasting(RoundedDivide, "floor_divide", x, y, "floor")
    return _integer_op("floor_divide", lambda xp, a, b: xp.floor_divide(a, b), x, y)


def remainder(x, y) -> Tensor:
    """``x % y`` with the sign of ``y`` (Python's and PyTorch's convention)."""
    if _is_float_op(x, y):
        return broadcasting(Remainder, "remainder", x, y, "remainder")
    return _integer_op("remainder", lambda xp, a, b: xp.remainder(a, b), x, y)


def fmod(x, y) -> Tensor:
    """Remainder with the sign of ``x`` (C's fmod); integers stay integers."""
    if _is_float_op(x, y):
        return broadcasting(Remainder, "fmod", x, y, "fmod")
    return _integer_op("fmod", lambda xp, a, b: xp.fmod(a, b), x, y)


def _trunc_divide(xp, a, b):
    """Integer division rounded toward zero: floor division, one up where the signs differ."""
    q = xp.floor_divide(a, b)
    return q + ((q < 0) & (q * b != a))


def _integer_op(name: str, fn, x, y) -> Tensor:
    """An integer division-like op (no gradient): PyTorch's error for a zero divisor, not NumPy's 0."""
    check_broadcast(name, x, y)
    a, b = promote(_raw(x), _raw(y))
    if _is_bool(a) and _is_bool(b):
        raise refuse_dtype(name, np.dtype(bool), "number tensors (use x.long())")
    xp = array_module_of(a if hasattr(a, "ndim") else b)
    if bool((xp.asarray(b) == 0).any()):
        raise RuntimeError(f"ZeroDivisionError: integer {name} by zero")
    return Tensor._make(xp.asarray(fn(xp, a, b)))
