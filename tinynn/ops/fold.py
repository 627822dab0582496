"""Sliding windows along one axis, and their adjoint: ``Tensor.unfold``, and ``F.unfold``/``F.fold``'s engine.

``Windows`` cuts an axis of length n into ``count`` windows of ``size`` elements, ``step`` apart,
reading every ``dilation``-th element; the window's elements go to a new last axis::

    y[..., i, ..., k] = x[..., i*step + k*dilation, ...]       count = (n - dilation*(size-1) - 1) // step + 1

It is a loop over the ``size`` offsets k, each one strided slice of x (never a loop over windows).
Windows overlap when step < dilation*(size-1) + 1, so one x element can appear in several windows:
dL/dx adds the gradient of every copy back (``WindowsAdjoint``, a slice-add per offset). The two are
each other's adjoints, so each one's backward is the other.

``F.unfold`` (im2col) is Windows along the height, then along the width, of the zero-padded image;
``F.fold`` (col2im) is the adjoint: the same two steps backwards, summing where blocks overlap.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import wrap_dim

__all__: list = []   # Tensor.unfold is attached in ops/methods.py; F.unfold/F.fold live in nn.functional


def window_count(n: int, size: int, step: int, dilation: int = 1) -> int:
    return (n - dilation * (size - 1) - 1) // step + 1


def _offset(axis: int, k: int, count: int, step: int, dilation: int) -> tuple:
    """The index of the elements that offset k reads from every window: one strided slice."""
    start = k * dilation
    return (slice(None),) * axis + (slice(start, start + step * (count - 1) + 1, step),)


class Windows(Op):
    """y[..., i, ..., k] = x[..., i*step + k*dilation, ...];  dL/dx = WindowsAdjoint(dL/dy)."""

    @staticmethod
    def forward(ctx, x, axis, size, step, dilation):
        n = x.shape[axis]
        count = window_count(n, size, step, dilation)
        ctx.geometry = (axis, size, step, dilation, n)
        out = array_module_of(x).empty(x.shape[:axis] + (count,) + x.shape[axis + 1:] + (size,), dtype=x.dtype)
        for k in range(size):
            out[..., k] = x[_offset(axis, k, count, step, dilation)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return WindowsAdjoint.apply(grad, *ctx.geometry)


class WindowsAdjoint(Op):
    """dx[..., i*step + k*dilation, ...] += g[..., i, ..., k] (zeros elsewhere);  adjoint: Windows."""

    @staticmethod
    def forward(ctx, g, axis, size, step, dilation, n):
        ctx.geometry = (axis, size, step, dilation)
        count = g.shape[axis]
        shape = g.shape[:axis] + (n,) + g.shape[axis + 1:-1]
        out = array_module_of(g).zeros(shape, dtype=g.dtype)
        for k in range(size):
            out[_offset(axis, k, count, step, dilation)] += g[..., k]
        return out

    @staticmethod
    def backward(ctx, grad):
        return Windows.apply(grad, *ctx.geometry)


def tensor_unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step`` apart.

    The result has ``dimension`` replaced by the number of windows and a new last dim of ``size``.
    Deliberate difference: PyTorch returns a view sharing x's memory; tinynn returns a copy (NumPy
    can't make a safely writable view whose windows overlap), so writing into it leaves x unchanged.
    """
    dim = wrap_dim(dimension, self.ndim, "unfold")
    n = self.shape[dim] if self.ndim else 1
    if not isinstance(size, int) or not isinstance(step, int):
        raise TypeError(f"unfold: size and step must be ints, got size={size!r}, step={step!r}")
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if size > n:
        raise RuntimeError(f"unfold: the window size {size} is larger than dimension {dim} of size {n}")
    if self.ndim == 0:
        return Windows.apply(self.reshape(1), 0, size, step, 1).reshape(-1)
    return Windows.apply(self, dim, size, step, 1)
