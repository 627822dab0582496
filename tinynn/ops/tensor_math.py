"""NumPy's function names for Tensors: the array module of a formula that runs on both.

The fused activations (``Pointwise`` in activation.py) compute f(x) and f'(x) in one function
written against an array module ``xp``: ``xp.exp(z)``, ``xp.tanh(t, out=t)``, ``xp.where(c, a, b)``.
Forward passes NumPy (or CuPy) and raw arrays. A backward that is itself being recorded
(``create_graph=True``) passes this module and Tensors: its functions are the differentiable
tinynn ops of the same names, so f'(x) is written once and its own derivative comes out exact.

``out=a`` becomes the in-place op on a (``a.tanh_()``), which the graph records. As in PyTorch, a
Tensor that an op keeps for its backward (a factor of a product) must not change afterwards, so
the formulas write only into their own temporaries.
"""
from __future__ import annotations

from .indexing import where
from .minmax import clamp, maximum as _maximum, minimum as _minimum

__all__ = ["abs", "clip", "exp", "expm1", "log", "log1p", "maximum", "minimum", "subtract", "tanh", "where"]


def _unary(name: str, a, out):
    """``a.name()``, or ``a.name_()`` (in place) for ``out=a``."""
    if out is None:
        return getattr(a, name)()
    if out is not a:
        raise ValueError(f"tensor_math.{name}: out= must be the input itself (an in-place op)")
    return getattr(a, name + "_")()


def exp(a, out=None):
    return _unary("exp", a, out)


def expm1(a, out=None):
    return _unary("expm1", a, out)


def log1p(a, out=None):
    return _unary("log1p", a, out)


def log(a, out=None):
    return _unary("log", a, out)


def tanh(a, out=None):
    return _unary("tanh", a, out)


def abs(a, out=None):  # noqa: A001  (NumPy's name)
    return _unary("abs", a, out)


def minimum(a, b):
    """The smaller of each pair; ``b`` may be a number."""
    return clamp(a, max=b) if isinstance(b, (int, float)) else _minimum(a, b)


def maximum(a, b):
    """The larger of each pair; ``b`` may be a number."""
    return clamp(a, min=b) if isinstance(b, (int, float)) else _maximum(a, b)


def clip(a, lo, hi, out=None):
    """Each element limited to [lo, hi] (numbers), in place for ``out=a``."""
    if out is None:
        return clamp(a, lo, hi)
    if out is not a:
        raise ValueError("tensor_math.clip: out= must be the input itself (an in-place op)")
    return a.clamp_(lo, hi)


def subtract(a, b, out=None):
    """a - b; ``out=b`` with a number ``a`` writes a - b into b (``b.neg_().add_(a)``)."""
    if out is None:
        return a - b
    if out is not b or not isinstance(a, (int, float)):
        raise ValueError("tensor_math.subtract: out= is supported only as subtract(number, b, out=b)")
    return b.neg_().add_(a)
