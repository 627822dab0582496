"""Elementwise extremes: maximum, minimum (and the NaN-ignoring fmax, fmin), and clamp.

Where two values tie, ``maximum``/``minimum`` split the gradient in half between them, as PyTorch
does; where either is NaN (the result is NaN) both get all of it. ``clamp`` passes the gradient
through wherever the value lies inside the bounds (not at NaN). tinynn also accepts a Python
number for either operand of maximum, minimum, fmax and fmin, where PyTorch wants a tensor.
"""
from __future__ import annotations


from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dtypes import result_type
from .arithmetic import _cast, broadcasting, promote

__all__ = ["clamp", "clip", "fmax", "fmin", "maximum", "minimum"]


class Maximum(Op):
    """z = max(x, y);  the gradient goes to the larger input (split in half on ties)."""

    @staticmethod
    def forward(ctx, x, y):
        x, y = promote(x, y)
        ctx.save_for_backward(x, y)
        return array_module_of(x if hasattr(x, "ndim") else y).maximum(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return _split_on_ties(grad, x, y, larger=True)


class Minimum(Op):
    """z = min(x, y);  the gradient goes to the smaller input (split in half on ties)."""

    @staticmethod
    def forward(ctx, x, y):
        x, y = promote(x, y)
        ctx.save_for_backward(x, y)
        return array_module_of(x if hasattr(x, "ndim") else y).minimum(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return _split_on_ties(grad, x, y, larger=False)


class NanIgnoringExtreme(Op):
    """z = fmax(x, y) (or fmin): like maximum (minimum), but a NaN loses to a number.

    The gradient goes to x where x wins, ties, or y is NaN, and to y elsewhere (PyTorch's rule).
    """

    @staticmethod
    def forward(ctx, x, y, largest):
        x, y = promote(x, y)
        ctx.largest = largest
        ctx.save_for_backward(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        return xp.fmax(x, y) if largest else xp.fmin(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        y_is_nan = y != y  # only NaN differs from itself; y may be a Python number
        x_wins = ((x >= y) if ctx.largest else (x <= y)) | y_is_nan
        share_x = x_wins.to(grad.dtype).detach()
        return grad * share_x, grad * (1 - share_x)


def _split_on_ties(grad, x, y, larger):
    """Each input's share: 0 where it loses, 1/2 on a tie, else 1 (so both get 1 at a NaN)."""
    loses_x, loses_y = ((x < y), (x > y)) if larger else ((x > y), (x < y))
    tie = (x == y).to(grad.dtype)
    share_x = (1 - loses_x.to(grad.dtype) - 0.5 * tie).detach()
    share_y = (1 - loses_y.to(grad.dtype) - 0.5 * tie).detach()
    return grad * share_x, grad * share_y


class Clamp(Op):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0; the bounds get the rest."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = array_module_of(x)
        dtype = result_type(*(v for v in (x, lo, hi) if v is not None))  # clamp(int, 0.5) is float
        x = _cast(x, dtype)
        out = x
        if lo is not None:
            out = xp.maximum(out, _cast(lo, dtype))
        if hi is not None:
            out = xp.minimum(out, _cast(hi, dtype))
        if out is x:
            out = x.copy()
        ctx.save_for_backward(x, lo, hi)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        need_x, need_lo, need_hi = ctx.needs_input_grad
        below = x < lo if lo is not None else None
        above = x > hi if hi is not None else None
        grad_x = grad_lo = grad_hi = None
        if need_x:  # inside the bounds; NaN is not (PyTorch's rule)
            at_least = x >= lo if lo is not None else x == x
            inside = at_least & (x <= hi) if hi is not None else at_least
            grad_x = grad * inside.to(grad.dtype)
        # When lo > hi every element is hi, so then hi gets the gradient and lo none (as in PyTorch).
        if need_lo:
            grad_lo = grad * (below if hi is None else below & (lo < hi)).to(grad.dtype)
        if need_hi:
            grad_hi = grad * (above if lo is None else above | (hi < lo)).to(grad.dtype)
        return grad_x, grad_lo, grad_hi


def maximum(x, y) -> Tensor:
    return broadcasting(Maximum, "maximum", x, y)


def minimum(x, y) -> Tensor:
    return broadcasting(Minimum, "minimum", x, y)


def fmax(x, y) -> Tensor:
    """The larger of each pair, ignoring NaN: a NaN appears only where both are NaN."""
    return broadcasting(NanIgnoringExtreme, "fmax", x, y, True)


def fmin(x, y) -> Tensor:
    """The smaller of each pair, ignoring NaN: a NaN appears only where both are NaN."""
    return broadcasting(NanIgnoringExtreme, "fmin", x, y, False)


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    """Limit every element to ``[min, max]`` (either bound may be omitted, or a tensor)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp.apply(x, min, max)


clip = clamp
