"""Short special functions of statistics and information theory, written with elementary ones.

    logit(p)        = log(p / (1 - p)), the log-odds (inverse of sigmoid); with ``eps``, p is first
                      clamped to [eps, 1 - eps]            d/dp = 1 / (p (1 - p)) (0 where clamped)
    xlogy(x, y)     = x log y, and 0 where x = 0            d/dx = log y,  d/dy = x / y
    xlog1py(x, y)   = x log(1 + y), and 0 where x = 0       d/dx = log(1 + y),  d/dy = x / (1 + y)
    entr(x)         = -x log x (0 at 0, -inf for x < 0)     d/dx = -(1 + log x)
    sinc(x)         = sin(pi x) / (pi x) (1 at 0)           d/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2)
    mvlgamma(x, p)  = log Gamma_p(x), the multivariate log-gamma function of dimension p:
                      p (p - 1)/4 log(pi) + sum_(j=0)^(p-1) lgamma(x - j/2)   (its gradient: digammas)

xlogy and xlog1py make 0 log 0 = 0, the convention of entropies and cross-entropies (a category
with probability 0 contributes nothing); a NaN y still gives NaN. Their gradient with respect to
x is 0 where x = 0 and y would make log y undefined (y <= 0; y <= -1 for xlog1py), as in PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .arithmetic import broadcasting, to_float
from .gamma import lgamma
from .indexing import where
from .trig import cos, sin
from .unary import log

__all__ = ["logit", "mvlgamma", "sinc", "xlogy"]  # entr, xlog1py: tinynn.special only


def _floating(x):
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


class Logit(Op):
    """y = log(z / (1 - z)), z = p clamped to [eps, 1 - eps];  dy/dp = 1 / (p (1 - p)) inside, 0 outside."""

    @staticmethod
    def forward(ctx, p, eps):
        p = _floating(p)
        xp = array_module_of(p)
        z = p if eps is None else xp.clip(p, eps, 1.0 - eps)
        ctx.eps = eps
        ctx.save_for_backward(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(z / (1 - z))

    @staticmethod
    def backward(ctx, grad):
        (p,) = ctx.saved_tensors
        slope = grad / (p * (1 - p))
        if ctx.eps is None:
            return slope
        outside = ((p < ctx.eps) | (p > 1.0 - ctx.eps)).detach()
        return where(outside, 0.0, slope)


class XLogY(Op):
    """z = x log(y + shift) (shift 0: xlogy, 1: xlog1py), 0 where x = 0 and y is not NaN.

    dz/dx = log(y + shift) (0 where x = 0 and y + shift <= 0);  dz/dy = x / (y + shift).
    """

    @staticmethod
    def forward(ctx, x, y, shift):
        x, y = to_float(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        dtype = x.dtype if hasattr(x, "dtype") else y.dtype
        x, y = xp.asarray(x, dtype=dtype), xp.asarray(y, dtype=dtype)  # a number keeps the tensor's dtype
        ctx.shift = shift
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * (xp.log1p(y) if shift else xp.log(y))
            return xp.where((x == 0) & ~xp.isnan(y), 0, out).astype(out.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        grad_x = grad_y = None
        if need_x:
            grad_x = XLogY.apply(grad, y, ctx.shift)
            if isinstance(y, Tensor):
                grad_x = where(((x == 0) & (y + ctx.shift <= 0)).detach(), 0.0, grad_x)
            elif y + ctx.shift <= 0:
                grad_x = where((x == 0).detach(), 0.0, grad_x)
        if need_y:
            grad_y = grad * x / (y + ctx.shift)
        return grad_x, grad_y


class Entr(Op):
    """y = -x log x (0 at x = 0, -inf for x < 0);  dy/dx = -(1 + log x)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        xp = array_module_of(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = -x * xp.log(x)
        y = xp.where(x == 0, 0.0, y)
        return xp.where(x < 0, -xp.inf, y).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(1 + log(x))


class Sinc(Op):
    """y = sin(pi x) / (pi x), 1 at 0;  dy/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at 0."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        xp = array_module_of(x)
        ctx.save_for_backward(x)
        pi_x = x * x.dtype.type(math.pi)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where(x == 0, 1.0, xp.sin(pi_x) / pi_x).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        zero = (x == 0).detach()
        safe = where(zero, 1.0, x)  # no 0/0 in the unused branch (its gradient would be NaN)
        pi_x = math.pi * safe
        slope = (pi_x * cos(pi_x) - sin(pi_x)) / (math.pi * safe * safe)
        return grad * where(zero, 0.0, slope)


def _check(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")


def _check_pair(x, y, name: str) -> None:
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    for arg, which in ((x, "self"), (y, "other")):
        if not isinstance(arg, (Tensor, int, float)):
            raise TypeError(f"{name}(): argument '{which}' must be a Tensor or a number, got {type(arg).__name__}")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)) elementwise; ``eps`` clamps p to [eps, 1 - eps] first (finite results)."""
    _check(input, "logit")
    return Logit.apply(input, None if eps is None else float(eps))


def xlogy(input, other) -> Tensor:
    """x * log(y) elementwise (broadcasting), with 0 where x = 0 (0 log 0 = 0); either may be a number."""
    _check_pair(input, other, "xlogy")
    return broadcasting(XLogY, "xlogy", input, other, 0)


def xlog1py(input, other) -> Tensor:
    """x * log1p(y) elementwise (broadcasting), with 0 where x = 0."""
    _check_pair(input, other, "special.xlog1py")
    return broadcasting(XLogY, "xlog1py", input, other, 1)


def entr(input: Tensor) -> Tensor:
    """-x log x elementwise: the entropy contribution of a probability x (0 at 0, -inf below 0)."""
    _check(input, "special.entr")
    return Entr.apply(input)


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc function sin(pi x) / (pi x), elementwise (1 at 0)."""
    _check(input, "sinc")
    return Sinc.apply(input)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``, elementwise (p >= 1)."""
    _check(input, "mvlgamma")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"mvlgamma(): argument 'p' must be an int, got {type(p).__name__}")
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    x = input if input.dtype.kind == "f" else input.to(get_default_dtype())
    xp = array_module_of(x._data)
    halves = Tensor._make(xp.arange(p, dtype=x.dtype) / 2)  # 0, 1/2, 1, ... (p - 1)/2
    return lgamma(x.unsqueeze(-1) - halves).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
