"""Arithmetic on sparse COO tensors (a mixin of coo.py's SparseCooTensor): what keeps a tensor sparse.

    sparse * scalar, sparse * dense, sparse * sparse   the stored cells' values times the other's cells
    sparse / scalar, -sparse                           the values alone change
    sparse + sparse, sparse - sparse                   both coordinate lists joined, then coalesced
    sparse @ dense, dense @ sparse, sum                tinynn.sparse.mm and tinynn.sparse.sum

A dense result of sparse + dense would not be sparse: those are refused with the line to write instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import backend
from ..tensor import Tensor

if TYPE_CHECKING:
    from .coo import SparseCooTensor


class SparseArithmetic:
    """The operators of SparseCooTensor (uses its ``_indices_array``, ``_values_tensor``, ``_size``,
    ``_with_values`` and ``coalesce``)."""

    def __mul__(self, other):
        """Elementwise product; only the stored cells can be nonzero, so the result keeps these coordinates."""
        if isinstance(other, (int, float, bool)) or (isinstance(other, Tensor) and other.ndim == 0):
            return self._with_values(self._values_tensor * other)
        if isinstance(other, SparseArithmetic):
            _check_same_size("mul", self, other)
            other = other.to_dense()
        if isinstance(other, Tensor):
            cells = other.broadcast_to(self._size)[tuple(Tensor._make(row) for row in self._indices_array)]
            return self._with_values(self._values_tensor * cells)
        return NotImplemented

    def mul(self, other) -> "SparseCooTensor":
        return _or_type_error(self.__mul__(other), "mul", other)

    def __rmul__(self, other):
        if isinstance(other, (int, float, bool)):
            return self * other
        raise TypeError("dense * sparse: tinynn computes this product with the sparse tensor first (sparse * dense)")

    def __truediv__(self, other):
        if isinstance(other, (int, float)) or (isinstance(other, Tensor) and other.ndim == 0):
            return self._with_values(self._values_tensor / other)
        return NotImplemented

    def div(self, other) -> "SparseCooTensor":
        return _or_type_error(self.__truediv__(other), "div", other)

    def __neg__(self) -> "SparseCooTensor":
        return self._with_values(-self._values_tensor)

    neg = __neg__

    def __add__(self, other):
        """sparse + sparse: both lists of coordinates and values, one after the other, then coalesced."""
        if not isinstance(other, SparseArithmetic):
            raise RuntimeError("add(sparse, dense) is not supported: tinynn adds a sparse tensor only to another "
                               "sparse one (compute sparse.to_dense() + dense)")
        _check_same_size("add", self, other)
        if self.sparse_dim() != other.sparse_dim():
            raise RuntimeError("add: the two sparse tensors have different numbers of sparse dims")
        xp = backend.array_module_of(self._indices_array)
        from ..ops.join import cat

        joined = type(self)(xp.concatenate([self._indices_array, other._indices_array], axis=1),
                             cat([self._values_tensor, other._values_tensor.to(self.dtype)]), self._size)
        return joined.coalesce()

    add = __add__

    def __sub__(self, other):
        if not isinstance(other, SparseArithmetic):
            raise RuntimeError("sub(sparse, dense) is not supported: tinynn subtracts only sparse tensors from "
                               "sparse ones (compute sparse.to_dense() - dense)")
        return self + (-other)

    sub = __sub__

    def __radd__(self, other):
        raise TypeError("dense + sparse is not supported in tinynn; compute dense + sparse.to_dense()")

    __rsub__ = __radd__

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        from .functional import sum as sparse_sum

        if keepdim:
            raise NotImplementedError("sum: keepdim=True is not supported for sparse tensors")
        return sparse_sum(self, dim, dtype=dtype)

    def __matmul__(self, other):
        from .functional import mm

        return mm(self, other)

    def __rmatmul__(self, other):
        from .functional import mm

        return mm(other, self)

    matmul = mm = __matmul__


def _or_type_error(result, name: str, other):
    if result is NotImplemented:
        raise TypeError(f"{name}: a sparse tensor cannot be combined with {type(other).__name__} here")
    return result


def _check_same_size(name: str, a: SparseArithmetic, b: SparseArithmetic) -> None:
    if a.shape != b.shape:
        raise RuntimeError(f"{name}: expected sizes of 'self' and 'other' to match, "
                           f"but {list(a.shape)} != {list(b.shape)}")
