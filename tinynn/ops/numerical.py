"""Finite differences, the trapezoidal rule and the Vandermonde matrix: diff, trapezoid (trapz),
cumulative_trapezoid, vander.

    diff(x)[i]      = x[i + 1] - x[i]                   (n times for the n-th difference)
    trapezoid(y, x) = sum_i (x[i + 1] - x[i]) (y[i] + y[i + 1]) / 2     (the area under the
                      piecewise-linear curve through the points; spacing ``dx`` when x is not given)
    cumulative_trapezoid: the running sums of the same terms
    vander(x, N)    = the matrix whose columns are the powers x^(N-1), ..., x^1, x^0

All of them are slices, subtractions, sums and powers of tensors, so their gradients come from
those ops: the gradient of a difference is +1 and -1 at the two ends of each pair.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .arithmetic import pow
from .compare import logical_xor
from ..dims import wrap_dim
from .join import cat, narrow
from .reduce import sum
from .scan import cumsum

__all__ = ["cumulative_trapezoid", "diff", "trapezoid", "trapz", "vander"]


def _check(x, name: str, what: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be a Tensor, got {type(x).__name__}")


def _first_difference(x: Tensor, d: int) -> Tensor:
    n = x.shape[d]
    later, earlier = narrow(x, d, 1, n - 1), narrow(x, d, 0, n - 1)
    return logical_xor(later, earlier) if x.dtype == np.bool_ else later - earlier


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along ``dim`` (bools: logical xor of neighbours), after joining
    ``prepend`` before and ``append`` after the input along that dim."""
    _check(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim, "diff")
    if n == 0:  # PyTorch returns (a copy of) the input, without prepend and append
        return input.clone()
    pieces = [input]
    for extra, where in ((prepend, 0), (append, 1)):
        if extra is None:
            continue
        _check(extra, "diff", "prepend" if where == 0 else "append")
        if extra.ndim != input.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as input: got "
                               f"{extra.ndim} dims and {input.ndim}")
        pieces.insert(0 if where == 0 else len(pieces), extra)
    x = cat(pieces, d) if len(pieces) > 1 else input
    for _ in range(n):
        if x.shape[d] == 0:
            break
        x = _first_difference(x, d)
    return x


def _floating(y: Tensor) -> Tensor:
    return y if y.dtype.kind == "f" else y.to(get_default_dtype())


def _interval_areas(y: Tensor, x, dx, d: int, name: str) -> Tensor:
    """(y[i] + y[i + 1]) / 2 * (x[i + 1] - x[i]) along dim d: the trapezoids' areas."""
    y = _floating(y)
    n = y.shape[d]
    mean_heights = (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * 0.5 if n else y
    if x is None:
        return mean_heights * (1.0 if dx is None else dx)
    _check(x, name, "x")
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point: got "
                               f"{x.shape[0]} x values and {n} samples along dim {d}")
        shape = [1] * y.ndim
        shape[d] = max(n - 1, 0)
        widths = diff(x).reshape(shape)
    else:
        widths = diff(x, dim=d - y.ndim if x.ndim < y.ndim else d)
    return mean_heights * widths


def _check_spacing(x, dx, name: str) -> None:
    if x is not None and dx is not None:
        raise TypeError(f"{name}(): pass either the sample points x or the spacing dx, not both")


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at sample points ``x`` (1-D, or
    broadcasting with y) or with a constant spacing ``dx`` (default 1). 0 for fewer than 2 samples."""
    _check(y, "trapezoid", "y")
    _check_spacing(x, dx, "trapezoid")
    d = wrap_dim(dim, y.ndim, "trapezoid")
    if y.shape[d] == 0:
        return sum(_floating(y), d)
    return sum(_interval_areas(y, x, dx, d, "trapezoid"), d)


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """An alias of ``trapezoid`` (PyTorch's older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim``: one entry fewer than y has samples."""
    _check(y, "cumulative_trapezoid", "y")
    _check_spacing(x, dx, "cumulative_trapezoid")
    d = wrap_dim(dim, y.ndim, "cumulative_trapezoid")
    if y.shape[d] == 0:
        return _floating(y).clone()
    return cumsum(_interval_areas(y, x, dx, d, "cumulative_trapezoid"), d)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor: column j is x^(N-1-j) (x^j when ``increasing``).

    Integer and bool inputs give int64, as in PyTorch.
    """
    _check(x, "vander", "x")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got {x.ndim} dims")
    N = x.shape[0] if N is None else int(N)
    if N < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    if x.dtype.kind in "biu":
        x = x.to(np.int64)
    from ..creation import arange

    powers = pow(x.unsqueeze(1), arange(N, device=x.device).to(x.dtype))  # (n, N): x^0 ... x^(N-1)
    return powers if increasing else powers.flip(1)
