"""Triangular systems: ``linalg.solve_triangular``, the building block of Cholesky-based methods.

A triangular system L x = b is solved by substitution, one unknown at a time: the first row of L
holds one unknown, the second row two (one already known), and so on. That is all this file does,
for batches of matrices and many right-hand sides at once.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .matrix_checks import batch_shape, check_matrices, common_float
from .rearrange import tril, triu

__all__ = []  # public as tinynn.linalg.solve_triangular


def substitute(a, b, upper: bool, unitriangular: bool):
    """X with A X = B for triangular A: (*, n, n) and B: (*, n, k), batch dims broadcast.

    Row i of X is (B[i] - A[i, others] @ X[others]) / A[i, i], where ``others`` are the rows
    already solved: those above i for a lower triangle (forward substitution), those below i
    for an upper one (back substitution). Only A's triangle is read; a zero on its diagonal
    gives inf/nan, as LAPACK's triangular solve does.
    """
    xp = array_module_of(a)
    n, k = a.shape[-1], b.shape[-1]
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))  # shapes only: NumPy serves CuPy too
    a = xp.broadcast_to(a, batch + (n, n))
    b = xp.broadcast_to(b, batch + (n, k))
    x = xp.empty(batch + (n, k), dtype=b.dtype)
    rows = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero pivot gives inf/nan, not a warning
        for i in rows:
            solved = slice(i + 1, n) if upper else slice(0, i)
            row = b[..., i, :] - (a[..., i : i + 1, solved] @ x[..., solved, :])[..., 0, :]
            x[..., i, :] = row if unitriangular else row / a[..., i, i : i + 1]
    return x


class SolveTriangular(Op):
    """X = A^-1 B (left) or X = B A^-1 (right), A triangular.

    Left:   dX = A^-1 (dB - dA X),  so  gB = A^-T gX  and  gA = -gB X^T.
    Right:  dX = (dB - X dA) A^-1,  so  gB = gX A^-T  and  gA = -X^T gB.
    A^T is triangular too (the other triangle), so gB is one more triangular solve. Only A's
    triangle took part in forward, so gA keeps only that triangle (without the diagonal when
    ``unitriangular``: the diagonal was taken to be ones, never read).
    """

    @staticmethod
    def forward(ctx, a, b, upper, left, unitriangular):
        ctx.upper, ctx.left, ctx.unitriangular = upper, left, unitriangular
        if left:
            x = substitute(a, b, upper, unitriangular)
        else:  # X A = B  is  A^T X^T = B^T, a left solve with the other triangle
            x = substitute(a.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper, unitriangular).swapaxes(-1, -2)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        upper, left, unit = ctx.upper, ctx.left, ctx.unitriangular
        grad_b = solve_triangular(a.mT, grad, upper=not upper, left=left, unitriangular=unit)
        grad_a = None
        if ctx.needs_input_grad[0]:
            grad_a = -(grad_b @ x.mT) if left else -(x.mT @ grad_b)
            offset = 1 if unit else 0
            grad_a = triu(grad_a, offset) if upper else tril(grad_a, -offset)
        return grad_a, grad_b


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None) -> Tensor:
    """X with A X = B (``left=True``) or X A = B (``left=False``), for triangular A.

    A: (*, n, n), read only in its upper (``upper=True``) or lower triangle, and with ones taken
    for its diagonal when ``unitriangular``. B: (*, n, k) for left, (*, k, n) for right. Batch
    dims broadcast; the result has B's last two dims.
    """
    name = "linalg.solve_triangular"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, "A")
    check_matrices(B, name, "B", square=False)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch_shape(A.shape, B.shape, name)
    A, B = common_float(A, B)
    return SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))
