"""The pseudo-inverse and what rests on it: linalg.pinv, lstsq, matrix_rank (and torch.pinverse).

With the SVD A = U diag(S) Vh, the Moore-Penrose pseudo-inverse is A+ = Vh^T diag(1/S) U^T, the
singular values below a tolerance counted as zero (and their 1/S as 0). The tolerance is
max(atol, rtol * S_max); PyTorch's default, when neither is given, is rtol = eps * max(m, n).
The least-squares solution of A X = B with the smallest norm is X = A+ B, and the rank of A is
the number of singular values above the tolerance.
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .matrix_checks import check_float, check_matrices, common_float
from .spectral import eye_like

__all__ = ["pinverse"]

lstsq_result = collections.namedtuple("lstsq_result", ["solution", "residuals", "rank", "singular_values"])


def _tolerance(xp, s, shape, atol, rtol, dtype):
    """max(atol, rtol * S_max) per matrix, shape (*, 1); atol and rtol numbers or tensors of batch shape."""
    if atol is None and rtol is None:
        rtol = np.finfo(dtype).eps * max(shape[-2:])
    atol = 0.0 if atol is None else (atol._data if isinstance(atol, Tensor) else atol)
    rtol = 0.0 if rtol is None else (rtol._data if isinstance(rtol, Tensor) else rtol)
    largest = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    return xp.maximum(xp.asarray(atol, dtype=s.dtype), xp.asarray(rtol, dtype=s.dtype) * largest)[..., None]


def pinv_array(a, atol, rtol, hermitian):
    xp = array_module_of(a)
    if hermitian:  # A = Q diag(w) Q^T: invert the eigenvalues that are large enough in absolute value
        w, q = xp.linalg.eigh(a)
        keep = xp.abs(w) > _tolerance(xp, xp.abs(w), a.shape, atol, rtol, a.dtype)
        inv_w = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
        return (q * inv_w[..., None, :]) @ q.swapaxes(-1, -2)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    keep = s > _tolerance(xp, s, a.shape, atol, rtol, a.dtype)
    inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
    return (vh.swapaxes(-1, -2) * inv_s[..., None, :]) @ u.swapaxes(-1, -2)


class Pinv(Op):
    """P = A+ for A: (*, m, n), P: (*, n, m).

    Where the rank of A does not change nearby (Golub and Pereyra),
        dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P,
    whose adjoint is
        gA = -P^T gP P^T + (I - A P) gP^T P P^T + P^T P gP^T (I - P A).
    """

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        p = pinv_array(a, atol, rtol, hermitian)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        pt, gt = p.mT, grad.mT
        grad_a = -(pt @ grad @ pt)
        grad_a = grad_a + (eye_like(a, m) - a @ p) @ gt @ (p @ pt)
        grad_a = grad_a + (pt @ p) @ gt @ (eye_like(a, n) - p @ a)
        return grad_a


def _check_tolerances(atol, rtol, name):
    for arg, value in (("atol", atol), ("rtol", rtol)):
        if value is not None and not isinstance(value, (int, float, Tensor)):
            raise TypeError(f"{name}: {arg} must be a float or a Tensor, got {type(value).__name__}")


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """The pseudo-inverse A+ of A: (*, m, n) -> (*, n, m); see the module docstring for the tolerance.

    ``hermitian=True`` takes A to be symmetric and uses its eigendecomposition (lower triangle).
    """
    name = "linalg.pinv"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, square=hermitian)
    _check_tolerances(atol, rtol, name)
    return Pinv.apply(A, atol, rtol, bool(hermitian))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``linalg.pinv`` with ``rcond`` as the relative tolerance."""
    return pinv(input, rtol=rcond)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None, out=None) -> Tensor:
    """The number of singular values of A above the tolerance: (*, m, n) -> (*) int64.

    ``tol`` is PyTorch's older name for ``atol``. No gradient (a count).
    """
    name = "linalg.matrix_rank"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, square=hermitian)
    _check_tolerances(atol, rtol, name)
    if tol is not None:
        atol = tol
    a = A._data
    xp = array_module_of(a)
    if hermitian:
        s = xp.abs(xp.linalg.eigvalsh(a))
    else:
        s = xp.linalg.svd(a, compute_uv=False)
    rank = (s > _tolerance(xp, s, a.shape, atol, rtol, a.dtype)).sum(axis=-1)
    return Tensor._make(rank.astype(np.int64))


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of the least-squares problem min ||A X - B||.

    A: (*, m, n), B: (*, m, k) or (m,). The solution is A+ B, the minimum-norm least-squares
    solution (what LAPACK's gelsy, PyTorch's CPU default, gives); its gradient is that of A+ B.
    As in PyTorch, ``rank`` is filled for every driver but 'gels', ``singular_values`` only for
    'gelsd' and 'gelss', and ``residuals`` (squared column norms of A X - B) for drivers other
    than 'gelsy' when m > n and A has full rank; the others are empty tensors. ``rcond`` is the
    relative tolerance below which singular values count as zero (default eps * max(m, n)).
    """
    name = "linalg.lstsq"
    check_matrices(A, name, "A", square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"{name}: argument 'B' must be a Tensor, not {type(B).__name__}")
    check_float(B, name)
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of {_DRIVERS}, got {driver!r}")
    vector = B.ndim == 1
    B2 = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if B2.shape[-2] != m:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2), got {m} and {B2.shape[-2]}")
    A, B2 = common_float(A, B2)
    solution = pinv(A, rtol=rcond) @ B2
    xp = array_module_of(A._data)
    empty = Tensor._make(xp.zeros((0,), dtype=A._data.dtype))
    s = xp.linalg.svd(A._data, compute_uv=False)
    tol = _tolerance(xp, s, A.shape, None, rcond, A._data.dtype)
    rank = (s > tol).sum(axis=-1).astype(np.int64)
    rank_out = Tensor._make(rank) if driver != "gels" else Tensor._make(xp.zeros((0,), dtype=np.int64))
    values = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((A @ solution - B2) ** 2).sum(-2)
    if vector:  # the residuals keep their column dim (shape (1,)), as in PyTorch
        solution = solution.squeeze(-1)
    return lstsq_result(solution, residuals, rank_out, values)
