"""``nn.utils.parametrizations.orthogonal``: keep a weight an orthogonal matrix while training it freely.

An (n x k) matrix Q with n >= k is orthogonal when Q^T Q = I (its columns are orthonormal; for
n < k the rows are, and everything below works on the transpose). The trained tensor X is an
arbitrary matrix of the weight's shape; a map turns it into an orthogonal one:

* ``matrix_exp``: A = tril(X) - tril(X)^T is skew-symmetric (A^T = -A), and exp(A) is then
  orthogonal, since exp(A)^T exp(A) = exp(-A) exp(A) = I. For n > k, X is padded with zeros to
  (n x n) and the first k columns of exp(A) are kept.
* ``cayley``: Q = (I - A/2)^{-1} (I + A/2), orthogonal for the same skew-symmetric A and cheaper
  than the exponential (one linear solve).
* ``householder``: Q = the first k columns of H_1 H_2 ... H_k, each H_i = I - tau_i v_i v_i^T a
  reflection (orthogonal) with v_i = (0, ..., 0, 1, X[i+1:, i]) and tau_i = 2 / (v_i^T v_i). The
  signs on X's diagonal (+-1, not trained) multiply Q's columns.

Trivialization (``use_trivialization=True``, the default): the weight is ``base @ Q(X)``, where
``base`` is an orthogonal (n x n) buffer fixed when the weight is assigned. Assigning a weight W
(and registering, which assigns the current weight) stores W made orthogonal in ``base`` (W
itself if it already is; else the Q of its QR decomposition with diag(R) > 0; a tall W is first
completed with random columns) and puts X at the point where Q(X) = I. Training then starts at
the original weight and moves X near 0, where the maps are best conditioned.

``householder`` is the default for non-square real matrices, ``matrix_exp`` for square ones.
Where tinynn differs from PyTorch: only real matrices (PyTorch also takes complex ones with
matrix_exp and cayley).
"""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...backend import array_module_of
from ...creation import eye, randn
from ...dtypes import finfo
from ...ops.join import cat
from ...tensor import Tensor
from ...linalg import qr, solve
from ...ops.matrix_functions import matrix_exp
from ..module import Module
from . import parametrize

__all__ = ["orthogonal"]

_MAPS = ("matrix_exp", "cayley", "householder")


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T (LAPACK's orgqr), differentiably.

    A: (..., m, n), the reflectors below its diagonal; tau: (..., k), k <= n.
    """
    m, n = A.shape[-2], A.shape[-1]
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape).clone()
    rows = np.arange(m)
    for i in reversed(range(tau.shape[-1])):
        below = Tensor._make(array_module_of(A._data).asarray((rows > i).astype(A._data.dtype)))
        unit = Tensor._make(array_module_of(A._data).asarray((rows == i).astype(A._data.dtype)))
        v = A[..., :, i] * below + unit                              # (..., m)
        # H_i Q = Q - tau_i v (v^T Q): a rank-one update, never forming H_i
        Q = Q - tau[..., i, None, None] * v.unsqueeze(-1) * (v.unsqueeze(-2) @ Q)
    return Q


def _is_orthogonal(Q: Tensor) -> bool:
    n, k = Q.shape[-2], Q.shape[-1]
    identity = eye(k, dtype=Q.dtype, device=Q.device)
    return bool((Q.mT @ Q).allclose(identity, atol=10.0 * n * finfo(Q.dtype).eps))


def _make_orthogonal(A: Tensor) -> Tensor:
    """Q of A = QR with diag(R) > 0 (the unique such factorization of a full-rank square A)."""
    Q, R = qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def _reflectors_with_signs(Q: Tensor) -> Tensor:
    """The X with householder(X) = Q for orthogonal Q: LAPACK's compact QR of Q (the reflectors
    under the diagonal, as torch.geqrf) with the diagonal replaced by the signs of R's diagonal
    (flipped where LAPACK skipped a reflection, tau = 0)."""
    xp = array_module_of(Q._data)
    matrices = Q._data.reshape(-1, *Q.shape[-2:])
    result = []
    for matrix in matrices:
        h, tau = xp.linalg.qr(matrix, mode="raw")   # h is the transposed (Fortran-order) result
        X = h.T.copy()
        k = len(tau)
        X[xp.arange(k), xp.arange(k)] = xp.sign(X[xp.arange(k), xp.arange(k)]) * xp.where(tau == 0.0, -1.0, 1.0)
        result.append(X)
    return Tensor._make(xp.stack(result).reshape(Q.shape).astype(Q.dtype))


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:  # embed the tall X in a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                identity = eye(n, dtype=A.dtype, device=A.device)
                Q = solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            # the diagonal's signs, cast to int as PyTorch does (no gradient, never trained)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(Q.shape)}.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map in ("matrix_exp", "cayley"):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            A = _reflectors_with_signs(Q)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:  # complete Q to an orthogonal (n x n) matrix with random columns
            N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        # X = -I: then tril(X) - tril(X)^T = 0 and Q(X) = I for every map (householder reads the -1s)
        return -eye(Q_init.shape[-2], Q_init.shape[-1], dtype=Q.dtype, device=Q.device).expand(*Q_init.shape).clone()


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix, or a batch of them) to be orthogonal; return module.

    orthogonal_map: "matrix_exp", "cayley" or "householder" (None: matrix_exp for square weights,
    householder otherwise). The registered weight starts equal to the current weight made
    orthogonal. See the module docstring for how each map works.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if weight.dtype.kind == "c":
        raise NotImplementedError("orthogonal: tinynn supports real matrices only (PyTorch also takes complex ones)")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, parametrization, unsafe=True)
    return module
