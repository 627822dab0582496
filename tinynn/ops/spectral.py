"""Spectral decompositions: the symmetric eigendecomposition (eigh) and the SVD.

    eigh:  A = Q diag(w) Q^T   (A symmetric; w ascending, Q orthogonal)
    svd:   A = U diag(S) Vh    (S descending, non-negative; U, Vh^T with orthonormal columns)

Eigenvectors and singular vectors are only defined up to sign (a column of Q may be negated), and
which sign LAPACK returns is an implementation detail; a function of them that does not depend on
the sign (Q diag(f(w)) Q^T, U U^T, |Q|) is what is well defined, and so are the gradients of such
functions. Where eigenvalues (singular values) repeat, the vectors are not unique at all and their
gradient divides by zero: it is inf/nan, as in PyTorch, while the gradient of the values alone
stays finite.
"""
from __future__ import annotations

import collections

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .matrix_checks import check_matrices

__all__ = ["svd"]

eigh_result = collections.namedtuple("eigh_result", ["eigenvalues", "eigenvectors"])
svd_result = collections.namedtuple("svd_result", ["U", "S", "Vh"])
torch_svd_result = collections.namedtuple("torch_svd_result", ["U", "S", "V"])


def eye_like(t: Tensor, n: int) -> Tensor:
    return Tensor._make(array_module_of(t._data).eye(n, dtype=t._data.dtype))


def diag_embed(v: Tensor) -> Tensor:
    """(*, n) -> (*, n, n) with v on the diagonal."""
    return v.unsqueeze(-1) * eye_like(v, v.shape[-1])


def nonzero(g: Tensor) -> bool:
    """False for the all-zero gradient the engine passes for an output that was not used.

    A decomposition's backward skips the terms of such an output: they are zero, but computing
    them would multiply 0 by the inf of a repeated eigenvalue and give nan where PyTorch (for
    which that gradient is undefined, not zero) gives a finite answer.
    """
    return bool(array_module_of(g._data).any(g._data))


# ---------------------------------------------------------------------------- eigh
class Eigh(Op):
    """(w, Q) = eigh(A) for symmetric A (read from the lower triangle, or the upper with UPLO='U').

    From dA = dQ w Q^T + Q dw Q^T + Q w dQ^T, with Q^T dQ skew-symmetric:
        dw = diag(Q^T dA Q),   Q^T dQ = (Q^T dA Q)_ij / (w_j - w_i)  off the diagonal.
    The adjoint: with K = skew(Q^T gQ) = (Q^T gQ - gQ^T Q) / 2 and E_ij = w_j - w_i,

        gA = Q (diag(gw) + K / E) Q^T        (K / E taken off the diagonal; symmetric).
    """

    @staticmethod
    def forward(ctx, a, uplo):
        w, q = array_module_of(a).linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, q)
        return w, q

    @staticmethod
    def backward(ctx, grad_w, grad_q):
        w, q = ctx.saved_tensors
        inner = diag_embed(grad_w)
        if nonzero(grad_q):
            k = q.mT @ grad_q
            k = 0.5 * (k - k.mT)
            gaps = w.unsqueeze(-2) - w.unsqueeze(-1) + eye_like(w, w.shape[-1])  # E, with ones on the diagonal
            inner = inner + k / gaps  # k's diagonal is zero (skew), so the ones there add nothing
        return q @ inner @ q.mT


def _check_uplo(UPLO: str, name: str) -> str:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{name}: Expected UPLO argument to be 'L' or 'U', but got {UPLO!r}")
    return UPLO


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """(eigenvalues, eigenvectors) of symmetric A: (*, n, n) -> w (*, n) ascending, Q (*, n, n).

    Only the lower (``UPLO='L'``) or upper (``'U'``) triangle of A is read. The gradient is
    symmetric; it is inf/nan for eigenvectors of repeated eigenvalues (see the module docstring).
    """
    name = "linalg.eigh"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name)
    w, q = Eigh.apply(A, _check_uplo(UPLO, name))
    return eigh_result(w, q)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """The eigenvalues of symmetric A, ascending: (*, n, n) -> (*, n). Gradient: Q diag(gw) Q^T."""
    name = "linalg.eigvalsh"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name)
    return Eigh.apply(A, _check_uplo(UPLO, name))[0]


# ---------------------------------------------------------------------------- SVD
class SVD(Op):
    """(U, S, Vh) = svd(A), A: (*, m, n), k = min(m, n).

    With F_ij = 1 / (s_j^2 - s_i^2) off the diagonal (0 on it), J = F * (U^T gU - gU^T U) and
    K = F * (V^T gV - gV^T V) (gV = gVh^T), the adjoint of the SVD is

        gA = U (J S + diag(gS) + S K) Vh
             + (I - U U^T) gU S^-1 Vh          (when m > k: the part of gU outside U's columns)
             + U S^-1 gV^T (I - V V^T)         (when n > k)

    With ``full_matrices`` the extra columns of U (rows of Vh) are an arbitrary basis of the
    complement; as in PyTorch, gradients reaching them are ignored.
    """

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = array_module_of(a).linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        m, n = u.shape[-2], vh.shape[-1]
        u, vh, grad_u, grad_vh = u[..., :k], vh[..., :k, :], grad_u[..., :k], grad_vh[..., :k, :]
        inner = diag_embed(grad_s)
        s_row, s_col = s.unsqueeze(-2), s.unsqueeze(-1)  # s_j along a row, s_i down a column
        use_u, use_v = nonzero(grad_u), nonzero(grad_vh)
        if use_u or use_v:
            off_diagonal = 1 - eye_like(s, k)
            f = off_diagonal / (s_row * s_row - s_col * s_col + eye_like(s, k))
        if use_u:
            ut_gu = u.mT @ grad_u
            inner = inner + f * (ut_gu - ut_gu.mT) * s_row
        if use_v:
            vt_gv = vh @ grad_vh.mT
            inner = inner + s_col * (f * (vt_gv - vt_gv.mT))
        grad_a = u @ inner @ vh
        if use_u and m > k:
            grad_a = grad_a + ((grad_u - u @ (u.mT @ grad_u)) / s_row) @ vh
        if use_v and n > k:
            grad_a = grad_a + (u / s_row) @ (grad_vh - (grad_vh @ vh.mT) @ vh)
        return grad_a


def linalg_svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh: A (*, m, n) -> U (*, m, m|k), S (*, k), Vh (*, n|k, n).

    ``full_matrices=False`` gives the reduced SVD (k = min(m, n) columns of U and rows of Vh).
    ``driver`` selects a cuSOLVER routine in PyTorch; tinynn accepts and ignores it.
    """
    name = "linalg.svd"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, square=False)
    return svd_result(*SVD.apply(A, bool(full_matrices)))


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """The singular values of A, descending: (*, m, n) -> (*, min(m, n)). Gradient: U diag(gS) Vh."""
    name = "linalg.svdvals"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(A, name, square=False)
    return SVD.apply(A, False)[1]


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T. Note V, not Vh as ``linalg.svd`` returns.

    ``some=True`` is the reduced SVD. With ``compute_uv=False`` U and V are zero-filled
    (m, m) and (n, n) matrices, as in PyTorch.
    """
    name = "svd"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_matrices(input, name, square=False)
    if not compute_uv:
        xp = array_module_of(input._data)
        m, n = input.shape[-2:]
        zeros_u = Tensor._make(xp.zeros(input.shape[:-2] + (m, m), dtype=input._data.dtype))
        zeros_v = Tensor._make(xp.zeros(input.shape[:-2] + (n, n), dtype=input._data.dtype))
        return torch_svd_result(zeros_u, svdvals(input), zeros_v)
    u, s, vh = SVD.apply(input, not some)
    return torch_svd_result(u, s, vh.mT)
