"""Modified Bessel functions of the first kind, orders 0 and 1: i0, i1, and the scaled i0e, i1e.

    I_0(x) = sum_k (x/2)^(2k) / (k!)^2          I_1(x) = sum_k (x/2)^(2k+1) / (k! (k+1)!)
    i0e(x) = e^-|x| I_0(x)                      i1e(x) = e^-|x| I_1(x)

They solve x^2 y'' + x y' - (x^2 + nu^2) y = 0 and stay finite at 0. I_0 is the normalising
constant of the von Mises distribution and the shape of the Kaiser window; I_0 and I_1 grow like
e^|x|, so the scaled forms are the ones to use for large |x|.

How they are computed, in float64 (cast back to the input's float dtype), on a = |x|
(I_0 is even, I_1 odd):

    a < 25:   the power series above. Every term is positive, so the sum never cancels; each term
              is the previous one times (a/2)^2 / (k (k + nu)), and 45 terms reach double
              precision at a = 25.
    a >= 25:  the asymptotic expansion (Abramowitz and Stegun 9.7.1), with mu = 4 nu^2:
                  I_nu(a) ~ e^a / sqrt(2 pi a) * sum_k c_k,   c_0 = 1,
                  c_k = -c_(k-1) (mu - (2k - 1)^2) / (8 k a).
              Its terms shrink while k < about 2a; 22 of them reach double precision at a = 25.
              The scaled forms simply leave out the e^a, so they never overflow.

Derivatives:   I_0' = I_1            I_1' = I_0 - I_1 / x        (1/2 at x = 0)
               i0e' = i1e - sign(x) i0e     i1e' = i0e - i1e (sign(x) + 1/x)   (1/2 at x = 0)

Where tinynn differs from PyTorch, on purpose: I_0(+-inf) = inf and I_1(+-inf) = +-inf (their
limits; PyTorch returns NaN there), and I_0, I_1 stay finite up to |x| = 713.98 where PyTorch's
overflow to inf from |x| = 709.78.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .indexing import where
from .unary import sign

__all__ = ["i0"]  # torch.i0 at the top level; i0e, i1, i1e live in tinynn.special

_SERIES_LIMIT = 25.0
_SERIES_TERMS = 45
_ASYMPTOTIC_TERMS = 22


def _power_series(a, nu: int, xp):
    """sum_k q^k / (k! (k + nu)!) with q = (a/2)^2, for nu = 0 or 1."""
    q = 0.25 * a * a
    term = xp.ones_like(a)
    total = xp.ones_like(a)
    for k in range(1, _SERIES_TERMS + 1):
        term = term * q / (k * (k + nu))
        total = total + term
        if not bool((term > 1e-17 * total).any()):
            break
    return total


def _asymptotic_sum(a, nu: int):
    """sum_k c_k of the expansion I_nu(a) ~ e^a / sqrt(2 pi a) * sum_k c_k."""
    mu = 4.0 * nu * nu
    term = 1.0
    total = 1.0
    for k in range(1, _ASYMPTOTIC_TERMS + 1):
        term = term * (((2 * k - 1) ** 2 - mu) / (8.0 * k)) / a
        total = total + term
    return total


def bessel_i_array(x, nu: int, scaled: bool):
    """I_nu(x) (or e^-|x| I_nu(x) when ``scaled``) of a float array, for nu = 0 or 1."""
    xp = array_module_of(x)
    x64 = x.astype(np.float64)
    a = xp.abs(x64)
    small = a < _SERIES_LIMIT
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a_small = xp.where(small, a, 0.0)
        series = _power_series(a_small, nu, xp)
        if nu == 1:
            series = series * (0.5 * a_small)
        if scaled:
            series = series * xp.exp(-a_small)
        a_large = xp.where(small, _SERIES_LIMIT, a)
        expansion = _asymptotic_sum(a_large, nu) / xp.sqrt(2.0 * math.pi * a_large)
        if not scaled:  # e^a in two halves: I_0 is finite up to a = 713.98, e^a only to 709.78
            half = xp.exp(0.5 * a_large)
            expansion = half * (half * expansion)
            expansion = xp.where(xp.isinf(a_large), xp.inf, expansion)
        result = xp.where(small, series, expansion)
    if nu == 1:
        result = xp.where(x64 < 0, -result, result)  # I_1 is odd (and I_1(-0.0) = 0.0, as in PyTorch)
    return result.astype(x.dtype if x.dtype.kind == "f" else get_default_dtype())


def _floating(x):
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


class I0(Op):
    """y = I_0(x);  dy/dx = I_1(x)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return bessel_i_array(x, 0, scaled=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * I1.apply(x)


class I0e(Op):
    """y = e^-|x| I_0(x);  dy/dx = i1e(x) - sign(x) y."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        y = bessel_i_array(x, 0, scaled=True)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * (I1e.apply(x) - sign(x) * y)


def _at_zero(x: Tensor):
    """(x == 0, x with its zeros replaced by 1): dividing by the second never makes a NaN gradient."""
    zero = (x == 0).detach()
    return zero, where(zero, 1.0, x)


class I1(Op):
    """y = I_1(x);  dy/dx = I_0(x) - y / x, which is 1/2 at x = 0."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        y = bessel_i_array(x, 1, scaled=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        zero, safe_x = _at_zero(x)
        return grad * where(zero, 0.5, I0.apply(x) - y / safe_x)


class I1e(Op):
    """y = e^-|x| I_1(x);  dy/dx = i0e(x) - y (sign(x) + 1/x), which is 1/2 at x = 0."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        y = bessel_i_array(x, 1, scaled=True)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        zero, safe_x = _at_zero(x)
        return grad * where(zero, 0.5, I0e.apply(x) - y * (sign(x) + 1.0 / safe_x))


def _check(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")


def i0(input: Tensor) -> Tensor:
    """I_0(x), the modified Bessel function of the first kind of order 0, elementwise."""
    _check(input, "i0")
    return I0.apply(input)


def i0e(input: Tensor) -> Tensor:
    """e^-|x| I_0(x), the exponentially scaled I_0 (finite for every finite x)."""
    _check(input, "special.i0e")
    return I0e.apply(input)


def i1(input: Tensor) -> Tensor:
    """I_1(x), the modified Bessel function of the first kind of order 1, elementwise."""
    _check(input, "special.i1")
    return I1.apply(input)


def i1e(input: Tensor) -> Tensor:
    """e^-|x| I_1(x), the exponentially scaled I_1."""
    _check(input, "special.i1e")
    return I1e.apply(input)
