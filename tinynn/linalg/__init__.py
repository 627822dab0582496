"""``tinynn.linalg``: PyTorch's ``torch.linalg``, linear algebra on (batches of) matrices.

Every function takes a matrix, or a batch of them in the last two dims, in float32 or float64,
and is differentiable where PyTorch's is. The operations live in ``tinynn/ops/`` by kind:

    triangular.py       solve_triangular (substitution)
    decompositions.py   cholesky, cholesky_ex, qr
    spectral.py         eigh, eigvalsh, svd, svdvals
    solvers.py          solve, inv, inv_ex, det, slogdet
    least_squares.py    pinv, lstsq, matrix_rank
    matrix_functions.py matrix_power, matrix_exp
    norms.py            vector_norm, matrix_norm, norm
    tensor_products.py  cross, vecdot, multi_dot

tinynn has no complex dtype, so the functions whose results are complex in general (``eig``,
``eigvals``) are not here; asking for them, or for another name PyTorch has and tinynn lacks,
raises an AttributeError that says so.
"""
import numpy as _np

from ..ops.decompositions import linalg_cholesky as cholesky, linalg_cholesky_ex as cholesky_ex  # noqa: F401
from ..ops.decompositions import linalg_qr as qr  # noqa: F401
from ..ops.least_squares import lstsq, matrix_rank, pinv  # noqa: F401
from ..ops.linalg import matmul  # noqa: F401
from ..ops.matrix_checks import LinAlgError  # noqa: F401
from ..ops.matrix_functions import matrix_exp, matrix_power  # noqa: F401
from ..ops.norms import matrix_norm, norm, vector_norm  # noqa: F401
from ..ops.tensor_products import linalg_cross as cross, multi_dot, vecdot  # noqa: F401
from ..ops.solvers import det, inv, inv_ex, slogdet, solve  # noqa: F401
from ..ops.spectral import eigh, eigvalsh, linalg_svd as svd, svdvals  # noqa: F401
from ..ops.triangular import solve_triangular  # noqa: F401
from ..dims import wrap_dim as _wrap_dim
from ..tensor import Tensor as _Tensor

LinAlgError.__module__ = __name__  # shown as tinynn.linalg.LinAlgError, like torch.linalg.LinAlgError

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "inv_ex",
    "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
    "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm",
]


def diagonal(A: _Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> _Tensor:
    """The diagonal of the matrices in dims (dim1, dim2) of A, as the last dim of the result.

    ``offset`` > 0 takes a diagonal above the main one, < 0 one below. The entries are picked
    with integer-array indexing, so the gradient scatters back onto the diagonal.
    """
    if not isinstance(A, _Tensor):
        raise TypeError(f"linalg.diagonal: argument 'A' must be a Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.diagonal: expected a tensor with at least 2 dimensions, got {A.ndim}")
    d1, d2 = _wrap_dim(dim1, A.ndim, "linalg.diagonal"), _wrap_dim(dim2, A.ndim, "linalg.diagonal")
    if d1 == d2:
        raise RuntimeError(f"linalg.diagonal: dim1 and dim2 cannot be identical, but got {dim1} and {dim2}")
    moved = A.movedim((d1, d2), (-2, -1))
    rows, cols = moved.shape[-2:]
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    start_row, start_col = max(0, -offset), max(0, offset)
    i = _np.arange(length) + start_row
    j = _np.arange(length) + start_col
    return moved[..., i, j]


# torch.linalg names that tinynn does not provide, and why
_MISSING = {
    "eig": "its eigenvalues and eigenvectors are complex in general, and tinynn has no complex dtype; "
           "for a symmetric matrix use linalg.eigh",
    "eigvals": "the eigenvalues of a general matrix are complex, and tinynn has no complex dtype; "
               "for a symmetric matrix use linalg.eigvalsh",
}


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"tinynn.linalg has no {name!r}: {_MISSING[name]}")
    raise AttributeError(f"module 'tinynn.linalg' has no attribute {name!r} (torch.linalg.{name} is not "
                         "implemented in tinynn)")
