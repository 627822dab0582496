"""The standard normal distribution's functions: erfc, ndtr, log_ndtr and ndtri.

    erfc(x)     = 1 - erf(x) = 2/sqrt(pi) integral_x^inf e^(-t^2) dt
    ndtr(x)     = Phi(x) = P(Z <= x) for Z ~ N(0, 1) = erfc(-x / sqrt 2) / 2
    log_ndtr(x) = log Phi(x), accurate far into the left tail where Phi(x) underflows
    ndtri(p)    = Phi^-1(p), the quantile function: Phi(ndtri(p)) = p

Derivatives, with phi(x) = e^(-x^2/2) / sqrt(2 pi) the normal density:
    erfc'(x) = -2/sqrt(pi) e^(-x^2)        ndtr'(x) = phi(x)
    log_ndtr'(x) = phi(x) / Phi(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)
    ndtri'(p) = 1 / phi(ndtri(p)) = sqrt(2 pi) e^(ndtri(p)^2 / 2)

How log_ndtr and ndtri keep their precision (float64, cast back to the input's float dtype):

* ndtr: erfc(-x/sqrt 2)/2 keeps its relative precision in the lower tail. (PyTorch computes
  (1 + erf(x/sqrt 2))/2, which loses it: 0.4% off at x = -7.7 and 0 below x = -8.3; tinynn
  differs from PyTorch there on purpose.)
* log_ndtr: log1p(-erfc(x/sqrt 2)/2) for x >= -1 (Phi near 1: no log of a number next to 1);
  log(erfc(-x/sqrt 2)/2) down to x = -20 (erfc keeps its relative precision in the tail); below,
  where Phi underflows at x = -38.5, the asymptotic series
      log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)
  whose k-th term is (-1)^k (2k-1)!! / x^(2k); ten terms reach double precision at x = -20.
* ndtri: the question Phi(x) = p is posed for q = min(p, 1 - p) (1 - p is exact for p >= 1/2),
  so that x <= 0, and the sign is restored at the end.
  - Near the centre (q >= 1/4), ndtri = sqrt(2) erfinv(2p - 1), and 2p - 1 is exact there.
  - In the tail, Newton's method on g(x) = log Phi(x) - log q, whose derivative is
    phi(x) / Phi(x); working with logs keeps every quantity representable down to the
    smallest subnormal q. The start is S. Winitzki's closed form for erfinv (relative error
    below 0.2%), written with log(1 - y^2) = log(4 q (1 - q)) for y = 1 - 2q so that it never
    rounds to log(0); four Newton steps then square the error down below double precision.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .erfinv import erfinv_array
from .special import erfc_array
from .unary import exp

__all__ = ["erfc"]  # torch.erfc at the top level; ndtr, log_ndtr and ndtri live in tinynn.special

_SQRT1_2 = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_TAIL = -20.0  # below this, log_ndtr uses the asymptotic series
_WINITZKI_A = 0.147


def _float64(x):
    return x.astype(np.float64)


def _result_dtype(x):
    return x.dtype if x.dtype.kind == "f" else get_default_dtype()


def _log_ndtr64(x):
    """log Phi(x) of a float64 array (see the module docstring for the three ranges)."""
    xp = array_module_of(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upper = xp.log1p(-0.5 * erfc_array(x * _SQRT1_2))
        middle = xp.log(0.5 * erfc_array(-x * _SQRT1_2))
        t = xp.where(x >= _TAIL, _TAIL, x)  # (NaN stays NaN)
        inv_t2 = 1.0 / (t * t)
        term = xp.ones_like(t)
        series = xp.zeros_like(t)
        for k in range(1, 11):
            term = term * (-(2 * k - 1) * inv_t2)
            series = series + term
        tail = -0.5 * t * t - xp.log(-t) - _LOG_SQRT_2PI + xp.log1p(series)
    result = xp.where(x >= -1.0, upper, xp.where(x >= _TAIL, middle, tail))
    return xp.where(x == -xp.inf, -xp.inf, result)


def log_ndtr_array(x):
    """log Phi(x) of an array, elementwise, in the array's float dtype."""
    return _log_ndtr64(_float64(x)).astype(_result_dtype(x))


def ndtr_array(x):
    """Phi(x) = erfc(-x / sqrt 2) / 2 of an array, elementwise."""
    return (0.5 * erfc_array(-_float64(x) * _SQRT1_2)).astype(_result_dtype(x))


def ndtri_array(p):
    """Phi^-1(p) of an array, elementwise: -inf at 0, inf at 1, NaN outside [0, 1]."""
    xp = array_module_of(p)
    p64 = _float64(p)
    q = xp.minimum(p64, 1.0 - p64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        central = math.sqrt(2.0) * erfinv_array(2.0 * p64 - 1.0)
        # Newton on log Phi(x) = log q for the tail, x < 0, from Winitzki's first guess
        qt = xp.where(q < 0.25, q, 0.125)
        log_q = xp.log(qt)
        log_term = xp.log(4.0 * qt * (1.0 - qt))
        c = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * log_term
        x = -math.sqrt(2.0) * xp.sqrt(xp.sqrt(c * c - log_term / _WINITZKI_A) - c)
        for _ in range(4):
            log_phi = _log_ndtr64(x)
            ratio = xp.exp(-0.5 * x * x - log_phi) / _SQRT_2PI  # phi(x) / Phi(x)
            x = x - (log_phi - log_q) / ratio
        tail = xp.where(p64 > 0.5, -x, x)
    result = xp.where(q >= 0.25, central, tail)
    result = xp.where(p64 == 0.0, -xp.inf, xp.where(p64 == 1.0, xp.inf, result))
    result = xp.where((p64 < 0.0) | (p64 > 1.0) | xp.isnan(p64), xp.nan, result)
    return result.astype(_result_dtype(p))


def _floating(x):
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


class Erfc(Op):
    """y = erfc(x) = 1 - erf(x);  dy/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return erfc_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (-2.0 / math.sqrt(math.pi)) * exp(-(x * x))


class Ndtr(Op):
    """y = Phi(x);  dy/dx = phi(x) = e^(-x^2/2) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return ndtr_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * exp(-0.5 * x * x) / _SQRT_2PI


class LogNdtr(Op):
    """y = log Phi(x);  dy/dx = phi(x) / Phi(x) = exp(-x^2/2 - y) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        y = log_ndtr_array(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * exp(-0.5 * x * x - y) / _SQRT_2PI


class Ndtri(Op):
    """x = Phi^-1(p);  dx/dp = 1 / phi(x) = sqrt(2 pi) e^(x^2 / 2)."""

    @staticmethod
    def forward(ctx, p):
        x = ndtri_array(_floating(p))
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _SQRT_2PI * exp(0.5 * x * x)


def _check(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")


def erfc(input: Tensor) -> Tensor:
    """1 - erf(x), elementwise, without the cancellation of computing it that way for large x."""
    _check(input, "erfc")
    return Erfc.apply(input)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, Phi(x) = P(Z <= x), elementwise."""
    _check(input, "special.ndtr")
    return Ndtr.apply(input)


def log_ndtr(input: Tensor) -> Tensor:
    """log Phi(x), elementwise; finite (about -x^2/2) far below where Phi(x) underflows to 0."""
    _check(input, "special.log_ndtr")
    return LogNdtr.apply(input)


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile function Phi^-1(p) for p in [0, 1], elementwise."""
    _check(input, "special.ndtri")
    return Ndtri.apply(input)
