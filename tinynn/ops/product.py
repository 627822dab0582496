"""Products: ``prod`` and ``cumprod``, with gradients that stay right where an input is 0.

The textbook derivative of a product, d(x_0 x_1 ... x_{n-1})/dx_k = prod / x_k, divides by zero
where x_k = 0. Written without a division it is everything before x_k times everything after it:

    d prod / dx_k = (x_0 ... x_{k-1}) * (x_{k+1} ... x_{n-1})

two exclusive cumulative products. The backwards below use ``prod / x`` when no input is 0 (one
multiplication) and the division-free form otherwise; both are built from differentiable ops, so
second derivatives are right at zeros too (as PyTorch's are).
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import int64
from ..tensor import Tensor
from ..dims import wrap_dim
from .scan import LinearScan, shifted

__all__ = ["cumprod", "prod"]


def _has_zero(t: Tensor) -> bool:
    return bool((t._data == 0).any())


def _exclusive_cumprod(x: Tensor, dim: int) -> Tensor:
    """out_k = x_0 x_1 ... x_{k-1} along ``dim`` (1 for k = 0)."""
    return cumprod(shifted(x, dim, +1, fill=1), dim)


class Prod(Op):
    """y = x_0 x_1 ... x_{n-1} along ``dim``;  dy/dx_k = the product of all the others."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        out = x.prod(axis=dim, keepdims=keepdim)
        out = array_module_of(x).asarray(out)
        ctx.dim, ctx.keepdim = dim, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .rearrange import flip

        x, y = ctx.saved_tensors
        dim = ctx.dim
        if not ctx.keepdim:
            grad, y = grad.unsqueeze(dim), y.unsqueeze(dim)
        if not _has_zero(x):
            return grad * y / x
        before = _exclusive_cumprod(x, dim)
        after = flip(_exclusive_cumprod(flip(x, dim), dim), dim)
        return grad * before * after


def _product_input(x: Tensor, dtype) -> Tensor:
    """Integers and bools multiply in int64, as in PyTorch; ``dtype`` casts first."""
    if dtype is not None:
        return x.to(dtype)
    if x.dtype.kind in "biu":
        return x.to(int64)
    return x


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product of all elements, or along ``dim`` (one int) keeping it when ``keepdim``.

    Integer and bool tensors multiply in int64; ``dtype`` casts the input first. The product of
    no elements is 1.
    """
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): dim must be a single int, got {dim!r} (PyTorch reduces one dim at a time)")
    x = _product_input(input, dtype)
    if dim is None:
        out = Prod.apply(x.reshape(-1), 0, False)
        return out.reshape((1,) * x.ndim) if keepdim else out
    d = wrap_dim(dim, x.ndim, "prod")
    if x.ndim == 0:
        return x * 1 if x.requires_grad else x.clone()
    return Prod.apply(x, d, keepdim)


# ---------------------------------------------------------------------------- cumprod
class Cumprod(Op):
    """y_i = x_0 x_1 ... x_i along ``dim``;  dL/dx_k = sum_{i >= k} g_i * prod_{j <= i, j != k} x_j.

    Without zeros that sum is (reversed cumsum of g * y)_k / x_k. With zeros it is factored as
    (x_0 ... x_{k-1}) * S_k where S_k = sum_{i >= k} g_i x_{k+1} ... x_i satisfies
    S_k = g_k + x_{k+1} S_{k+1}: a linear recurrence run from the end (``LinearScan``).
    """

    @staticmethod
    def forward(ctx, x, dim):
        y = array_module_of(x).cumprod(x, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        from .rearrange import flip
        from .scan import cumsum

        x, y = ctx.saved_tensors
        dim = ctx.dim
        if not _has_zero(x):
            return flip(cumsum(flip(grad * y, dim), dim), dim) / x
        return _exclusive_cumprod(x, dim) * LinearScan.apply(grad, shifted(x, dim, -1), dim, True)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running products along ``dim``: out_i = x_0 * x_1 * ... * x_i (integers in int64)."""
    x = _product_input(input, dtype)
    d = wrap_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:  # NumPy's cumprod of a 0-d array is 1-d
        return x * 1 if x.requires_grad else x.clone()
    return Cumprod.apply(x, d)
