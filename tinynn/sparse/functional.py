"""``torch.sparse``'s functions: mm (and spmm, addmm), sum, softmax, log_softmax.

Each works on the stored values only, so its cost grows with nnz, not with the dense size.
"""
from __future__ import annotations

from .. import dtypes
from ..tensor import Tensor
from .coo import SparseCooTensor
from .ops import SegmentSum, SparseDenseMatmul, group_coordinates, group_max

__all__ = ["mm", "spmm", "addmm", "sum", "softmax", "log_softmax"]


def mm(mat1, mat2):
    """Matrix product with a sparse operand: sparse @ dense and dense @ sparse give a dense tensor,
    sparse @ sparse a sparse one. Gradients reach the dense operand and the sparse operand's values.

    mat1: (n, m), mat2: (m, p) or (m,). A sparse operand must be a plain 2-d matrix (no dense dims).
    """
    a_sparse, b_sparse = isinstance(mat1, SparseCooTensor), isinstance(mat2, SparseCooTensor)
    for operand in (mat1, mat2):
        if not isinstance(operand, (Tensor, SparseCooTensor)):
            raise TypeError(f"sparse.mm: expected tensors, got {type(operand).__name__}")
    if not (a_sparse or b_sparse):
        from ..ops.linalg import matmul

        return matmul(mat1, mat2)
    if a_sparse and b_sparse:  # sparse @ sparse: the product's nonzeros, as a coalesced sparse tensor
        return _sparse_dense("sparse.mm", mat1, mat2.to_dense()).to_sparse()
    if a_sparse:
        return _sparse_dense("sparse.mm", mat1, mat2)
    # dense @ sparse = (sparse^T @ dense^T)^T
    _check_matrix("sparse.mm", mat2)
    if mat1.ndim not in (1, 2) or mat1.shape[-1] != mat2.shape[0]:
        raise RuntimeError(f"sparse.mm: shapes {tuple(mat1.shape)} and {tuple(mat2.shape)} do not align")
    _check_dtypes("sparse.mm", mat2, mat1)
    rows, cols = mat2._indices_array
    product = SparseDenseMatmul.apply(mat2._values(), mat1.t() if mat1.ndim == 2 else mat1, rows=cols, cols=rows,
                                      num_rows=mat2.shape[1])
    return product.t() if mat1.ndim == 2 else product


spmm = mm


def _sparse_dense(name: str, sparse: SparseCooTensor, dense: Tensor) -> Tensor:
    _check_matrix(name, sparse)
    if dense.ndim not in (1, 2):
        raise RuntimeError(f"{name}: the dense operand must be 1-d or 2-d, got shape {tuple(dense.shape)}")
    if dense.shape[0] != sparse.shape[1]:
        raise RuntimeError(f"{name}: shapes {tuple(sparse.shape)} and {tuple(dense.shape)} do not align "
                           f"({sparse.shape[1]} != {dense.shape[0]})")
    _check_dtypes(name, sparse, dense)
    rows, cols = sparse._indices_array
    return SparseDenseMatmul.apply(sparse._values(), dense, rows=rows, cols=cols, num_rows=sparse.shape[0])


def _check_matrix(name: str, sparse: SparseCooTensor) -> None:
    if sparse.sparse_dim() != 2 or sparse.dense_dim() != 0:
        raise RuntimeError(f"{name}: the sparse operand must be a 2-d matrix with no dense dims, got "
                           f"sparse_dim={sparse.sparse_dim()}, dense_dim={sparse.dense_dim()} (shape {sparse.shape})")


def _check_dtypes(name: str, sparse: SparseCooTensor, dense: Tensor) -> None:
    if sparse.dtype != dense.dtype:
        raise RuntimeError(f"{name}: the sparse operand is {sparse.dtype} but the dense one is {dense.dtype}; "
                           "convert one of them with .to(dtype)")


def addmm(mat: Tensor, mat1, mat2, *, beta=1.0, alpha=1.0) -> Tensor:
    """beta * mat + alpha * (mat1 @ mat2), with mat1 sparse (torch.sparse.addmm)."""
    return beta * mat + alpha * mm(mat1, mat2)


def sum(input: SparseCooTensor, dim=None, dtype=None):
    """Sum of the stored values: all of them (a 0-d dense tensor), or over ``dim`` (an int or a tuple).

    Summing some sparse dims drops those rows of ``indices`` and adds the values whose remaining
    coordinates agree (a coalesced sparse result); summing every sparse dim gives a dense tensor.
    """
    _check_sparse("sparse.sum", input)
    values = input._values() if dtype is None else input._values().to(dtypes.to_dtype(dtype))
    if dim is None:
        return values.sum()
    dims = _dims(dim, input.ndim, "sparse.sum")
    sd = input.sparse_dim()
    dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
    if dense_axes:
        values = values.sum(dim=dense_axes)
    kept = [d for d in range(sd) if d not in dims]
    if not kept:
        return values.sum(0)
    size = tuple(s for d, s in enumerate(input.shape) if d not in dims)
    return SparseCooTensor(input._indices_array[kept], values, size).coalesce()


def softmax(input: SparseCooTensor, dim: int, dtype=None) -> SparseCooTensor:
    """Softmax along ``dim`` over the stored values only: cells that are not stored count as -inf
    (so they stay out of the result) rather than as 0. The result is coalesced."""
    return _softmax("sparse.softmax", input, dim, dtype, log=False)


def log_softmax(input: SparseCooTensor, dim: int, dtype=None) -> SparseCooTensor:
    """log of ``softmax``, computed as z - log(sum exp z) for z = values - (their group's max)."""
    return _softmax("sparse.log_softmax", input, dim, dtype, log=True)


def _softmax(name: str, input: SparseCooTensor, dim: int, dtype, log: bool) -> SparseCooTensor:
    _check_sparse(name, input)
    (dim,) = _dims(dim, input.ndim, name)
    s = input.coalesce()
    values = s._values() if dtype is None else s._values().to(dtypes.to_dtype(dtype))
    sd = s.sparse_dim()
    if dim >= sd:  # a dense dim: an ordinary softmax of each stored block
        axis = dim - sd + 1
        return s._with_values(values.log_softmax(axis) if log else values.softmax(axis))
    # A sparse dim: the values whose other coordinates agree form one group (one row of the softmax).
    others = [d for d in range(sd) if d != dim]
    _, group, count = group_coordinates(s._indices_array[others], tuple(s.shape[d] for d in others))
    shift = Tensor._make(group_max(values._data, group, count)[group])  # a constant: softmax ignores shifts
    z = values - shift
    exp_z = z.exp()
    totals = SegmentSum.apply(exp_z, segment=group, num_segments=count)[group]
    return s._with_values(z - totals.log() if log else exp_z / totals)


def _check_sparse(name: str, input) -> None:
    if not isinstance(input, SparseCooTensor):
        raise TypeError(f"{name}: expected a sparse COO tensor, got {type(input).__name__} (use the dense function)")


def _dims(dim, ndim: int, name: str) -> tuple:
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    wrapped = []
    for d in dims:
        if not -max(ndim, 1) <= int(d) < max(ndim, 1):
            raise IndexError(f"{name}: dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        wrapped.append(int(d) % max(ndim, 1))
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"{name}: dim {dim} names a dimension more than once")
    return tuple(wrapped)
