"""Factorizations into triangular and orthogonal pieces: Cholesky (A = L L^T) and QR (A = Q R).

Each forward calls LAPACK through the array module; each backward is the factorization's
derivative, written with tinynn ops (matmul, tril, triangular solves) so it is differentiable too.
Eigen- and singular-value decompositions are in ``spectral.py``.
"""
from __future__ import annotations

import collections
import warnings

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of, device, device_of, to_device
from ..tensor import Tensor
from .matrix_checks import LinAlgError, batch_shape, check_matrices, common_float
from .rearrange import tril
from .join import cat
from .triangular import solve_triangular, substitute

__all__ = ["cholesky", "cholesky_inverse", "cholesky_solve", "qr"]

L_info = collections.namedtuple("L_info", ["L", "info"])
Q_R = collections.namedtuple("Q_R", ["Q", "R"])


# ---------------------------------------------------------------------------- Cholesky
def halve_diagonal_tril(m: Tensor) -> Tensor:
    """Phi(M): the lower triangle of M with its diagonal halved (Phi(M) + Phi(M)^T = M for symmetric M)."""
    eye = Tensor._make(array_module_of(m._data).eye(m.shape[-1], dtype=m._data.dtype))
    return tril(m) - 0.5 * (m * eye)


class Cholesky(Op):
    """(L, info) = cholesky(A): the lower-triangular L with positive diagonal and A = L L^T.

    From dA = dL L^T + L dL^T:  L^-1 dA L^-T = L^-1 dL + (L^-1 dL)^T, a symmetric matrix whose
    lower triangle with halved diagonal is the lower-triangular L^-1 dL. So dL = L Phi(L^-1 dA L^-T),
    Phi keeping the lower triangle and halving the diagonal. The adjoint of that map is

        gA = L^-T S L^-1,   S = (P + P^T) / 2,   P = Phi(L^T gL),

    a symmetric gradient: forward read only A's lower triangle, but A is meant to be symmetric,
    so the gradient is shared between A[i, j] and A[j, i] (as in PyTorch). ``info`` (int32, one
    per matrix) is 0, or the order of the first leading minor that is not positive-definite;
    with ``raise_as`` set, forward raises LinAlgError under that name instead of returning it.
    """

    @staticmethod
    def forward(ctx, a, raise_as=None):
        factor, info = factor_with_info(a)
        if raise_as is not None and bool((info != 0).any()):
            raise LinAlgError(failure_message(raise_as, info, _NOT_PD))
        ctx.save_for_backward(factor)
        return factor, info

    @staticmethod
    def backward(ctx, grad, _):
        (factor,) = ctx.saved_tensors
        p = halve_diagonal_tril(factor.mT @ grad)
        s = 0.5 * (p + p.mT)
        s = solve_triangular(factor.mT, s, upper=True)                 # L^-T S
        return solve_triangular(factor, s, upper=False, left=False)    # (L^-T S) L^-1


def factor_with_info(a):
    """(L, info): L from LAPACK, and per matrix the order of the first leading minor that is not
    positive-definite (0 where the factorization succeeded). Failed matrices get a NaN factor."""
    xp = array_module_of(a)
    batch = a.shape[:-2]
    try:
        factor = xp.linalg.cholesky(a)
        if not bool(xp.isnan(factor).any()) or bool(xp.isnan(a).any()):  # CuPy gives NaN, not an error
            return factor, xp.zeros(batch, dtype=np.int32)
    except np.linalg.LinAlgError:
        pass
    host = to_device(a, device("cpu")).reshape((-1,) + a.shape[-2:])
    factors, info = np.empty_like(host), np.zeros(host.shape[0], dtype=np.int32)
    for i, matrix in enumerate(host):
        try:
            factors[i] = np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            factors[i] = np.nan
            info[i] = first_failing_minor(matrix)
    dev = device_of(a)
    return to_device(factors.reshape(a.shape), dev), to_device(info.reshape(batch), dev)


def first_failing_minor(matrix: np.ndarray) -> int:
    """The order k of the first leading k x k block of ``matrix`` that is not positive-definite."""
    for k in range(1, matrix.shape[-1] + 1):
        try:
            np.linalg.cholesky(matrix[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def failure_message(name: str, info, what: str) -> str:
    flat = np.asarray(to_device(info, device("cpu"))).reshape(-1)
    bad = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {bad}): " if np.ndim(info) > 0 else ""
    return f"{name}: {where}{what.format(order=int(flat[bad]))}"


_NOT_PD = ("The factorization could not be completed because the input is not positive-definite "
           "(the leading minor of order {order} is not positive-definite).")


def linalg_cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """(L, info): the Cholesky factor, and per matrix 0 or the order of the failing leading minor.

    Where a matrix is not positive-definite, PyTorch leaves a partly computed factor in L;
    tinynn fills that matrix's L with NaN, so a failure cannot pass for a result.
    """
    name = "linalg.cholesky_ex"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name)
    factor, info = Cholesky.apply(A, "linalg.cholesky" if check_errors else None)
    return L_info(factor.mT if upper else factor, info)


def linalg_cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """The Cholesky factor of symmetric positive-definite A: (*, n, n) -> L (*, n, n), A = L L^T.

    Only A's lower triangle is read. ``upper=True`` returns U = L^T (A = U^T U). A matrix that is
    not positive-definite raises ``tinynn.linalg.LinAlgError`` naming the failing leading minor.
    """
    name = "linalg.cholesky"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name)
    factor, _ = Cholesky.apply(A, name)
    return factor.mT if upper else factor


def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """``torch.cholesky``, deprecated by PyTorch in favour of ``torch.linalg.cholesky``; same result."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
                  "future PyTorch release. Use torch.linalg.cholesky(A) (and .mH for upper=True).",
                  UserWarning, stacklevel=2)
    return linalg_cholesky(input, upper=upper, out=out)


class CholeskySolve(Op):
    """X = A^-1 B with A = L L^T (or U^T U): two triangular solves, L Y = B then L^T X = Y.

    The gradient is that of (L L^T)^-1 B with L taken as a full matrix, as PyTorch defines it:
    with G = A^-1 gX (gB) and gA = -G X^T, gL = (gA + gA^T) L (for U: gU = U (gA + gA^T)).
    Forward reads only L's triangle, so the part of gL outside it is PyTorch's convention, not a
    finite difference of forward.
    """

    @staticmethod
    def forward(ctx, b, factor, upper):
        ctx.upper = upper
        lower = factor.swapaxes(-1, -2) if upper else factor
        y = substitute(lower, b, upper=False, unitriangular=False)
        x = substitute(lower.swapaxes(-1, -2), y, upper=True, unitriangular=False)
        ctx.save_for_backward(factor, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        factor, x = ctx.saved_tensors
        grad_b = cholesky_solve(grad, factor, ctx.upper)
        grad_factor = None
        if ctx.needs_input_grad[1]:
            grad_a = -(grad_b @ x.mT)
            grad_a = grad_a + grad_a.mT
            grad_factor = factor @ grad_a if ctx.upper else grad_a @ factor
        return grad_b, grad_factor


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """X with A X = B, given A's Cholesky factor L (A = L L^T; with ``upper``, A = U^T U).

    B: (*, n, k), L: (*, n, n), batch dims broadcast. See CholeskySolve for the gradient.
    """
    name = "cholesky_solve"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(L, name, "L")
    check_matrices(B, name, "B", square=False)
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L.shape[-1]} by {L.shape[-1]} but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    batch_shape(L.shape, B.shape, name)
    B, L = common_float(B, L)
    return CholeskySolve.apply(B, L, bool(upper))


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """A^-1 given A's Cholesky factor L (A = L L^T; with ``upper``, A = U^T U): ``cholesky_solve(I, L)``."""
    if out is not None:
        raise NotImplementedError("cholesky_inverse: out= is not supported by tinynn; assign the result instead")
    check_matrices(L, "cholesky_inverse", "L")
    eye = Tensor._make(array_module_of(L._data).eye(L.shape[-1], dtype=L._data.dtype))
    return CholeskySolve.apply(eye, L, bool(upper))


# ---------------------------------------------------------------------------- QR
class QR(Op):
    """(Q, R) = qr(A): Q with orthonormal columns, R upper-triangular, A = Q R. A: (*, m, n), k = min(m, n).

    For m >= n (Q: m x n, R: n x n), with M = R gR^T - gQ^T Q and sym_lower(M) the symmetric
    matrix that has M's lower triangle,

        gA = (gQ + Q sym_lower(M)) R^-T.

    For m < n, A = [X | Y] with X square: Q and R1 come from X alone and R2 = Q^T Y, so
    gY = Q gR2, and gX is the square case above with gQ + Y gR2^T in place of gQ.
    """

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module_of(a)
        ctx.mode = mode
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), dtype=a.dtype), r
        q, r = xp.linalg.qr(a, mode=mode)
        ctx.save_for_backward(a, q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_square_backward(q, r, grad_q, grad_r)
        y, r1, grad_r1, grad_r2 = a[..., m:], r[..., :m], grad_r[..., :m], grad_r[..., m:]
        grad_x = _qr_square_backward(q, r1, grad_q + y @ grad_r2.mT, grad_r1)
        return cat([grad_x, q @ grad_r2], dim=-1)


def _qr_square_backward(q, r, grad_q, grad_r):
    m = r @ grad_r.mT - grad_q.mT @ q
    sym_lower = tril(m) + tril(m, -1).mT
    x = grad_q + q @ sym_lower
    return solve_triangular(r.mT, x, upper=False, left=False)  # X R^-T: solve G R^T = X


def linalg_qr(A: Tensor, mode: str = "reduced", *, out=None):
    """(Q, R) with A = Q R: A (*, m, n) -> Q (*, m, k), R (*, k, n) with k = min(m, n) ('reduced');
    Q (*, m, m), R (*, m, n) ('complete'); or an empty Q and R alone ('r').

    The signs are LAPACK's (Householder reflections; R's diagonal may be negative), as in PyTorch.
    """
    name = "linalg.qr"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    return Q_R(*QR.apply(A, mode))


def qr(input: Tensor, some: bool = True, *, out=None):
    """``torch.qr``: ``linalg.qr`` with ``some=True`` for mode 'reduced', False for 'complete'."""
    return linalg_qr(input, "reduced" if some else "complete", out=out)
