"""Making sparse COO tensors: ``sparse_coo_tensor``, ``Tensor.to_sparse()``, and the legacy
``tinynn.sparse.FloatTensor(indices, values, size)`` that older programs (Kipf's pygcn) call.
"""
from __future__ import annotations

import numpy as np

from .. import backend, dtypes
from ..tensor import Tensor
from .coo import SparseCooTensor
from .layout import sparse_coo

__all__ = ["sparse_coo_tensor", "to_sparse", "FloatTensor", "DoubleTensor"]


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory: bool = False,
                      requires_grad: bool = False, check_invariants=None, is_coalesced=None) -> SparseCooTensor:
    """A sparse tensor holding ``values[k]`` at the coordinate ``indices[:, k]``.

    indices: integers (sparse_dim, nnz) (a tensor, array or nested list; floats are truncated, as in
    PyTorch); values: (nnz, *dense_shape); size: the full shape, by default the largest coordinate
    + 1 in each sparse dim followed by values.shape[1:]. Repeated coordinates add up. A values tensor
    that requires grad keeps its place in the graph: gradients reach it through every operation.
    ``requires_grad=True`` makes the result a leaf instead. ``is_coalesced=True`` is the caller's
    promise that the coordinates are sorted and distinct (not checked, as in PyTorch).
    """
    index_array = _index_array(indices)
    if not isinstance(values, Tensor):
        from ..creation import tensor

        values = tensor(values, dtype=dtype, device=device)
    elif dtype is not None or device is not None:
        values = values.to(device=device, dtype=dtype)
    if values.ndim == 0:
        raise RuntimeError("sparse_coo_tensor: values must have at least one dim (nnz, ...), got a 0-d tensor")
    index_array = backend.to_device(index_array, values.device)
    sparse_dim, nnz = index_array.shape
    if values.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {nnz}, "
                           f"nnz from values: {values.shape[0]}")
    size = _checked_size(index_array, values, size)
    if values.requires_grad:
        values = values.view(values.shape)  # the sparse tensor is a result of values, not a leaf
    else:
        values = values.detach()  # its own alias: requires_grad_() on it leaves the caller's tensor alone
        if requires_grad:
            values.requires_grad_(True)
    return SparseCooTensor(index_array, values, size, coalesced=bool(is_coalesced))


def _index_array(indices):
    """indices as a raw int64 (sparse_dim, nnz) array, or a clear error."""
    if isinstance(indices, Tensor):
        array = indices._data
    elif backend.array_module_of(indices) is not np:
        array = indices
    else:
        array = np.asarray(indices)
    if array.dtype.kind not in "iuf" or array.ndim != 2:
        raise RuntimeError(f"sparse_coo_tensor: indices must be a 2-d (sparse_dim, nnz) integer tensor, "
                           f"got a {array.dtype} one of shape {tuple(array.shape)}")
    return array.astype(np.int64, copy=False)


def _checked_size(index_array, values: Tensor, size) -> tuple:
    """The size given (checked against the coordinates and values) or the smallest one that fits them."""
    xp = backend.array_module_of(index_array)
    sparse_dim, nnz = index_array.shape
    lowest = xp.min(index_array, axis=1).tolist() if nnz else [0] * sparse_dim
    highest = xp.max(index_array, axis=1).tolist() if nnz else [-1] * sparse_dim
    for d, low in enumerate(lowest):
        if low < 0:
            raise RuntimeError(f"found negative index {low} for dim {d}")
    dense_shape = tuple(values.shape[1:])
    if size is None:
        return tuple(h + 1 for h in highest) + dense_shape
    size = tuple(int(s) for s in size)
    if len(size) != sparse_dim + len(dense_shape):
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(size)}, "
                           f"sparse_dim = {sparse_dim}, dense_dim = {len(dense_shape)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"sparse_coo_tensor: sizes must be non-negative, got {size}")
    if size[sparse_dim:] != dense_shape:
        raise RuntimeError(f"values has incorrect size, expected {[nnz, *size[sparse_dim:]]}, got {list(values.shape)}")
    for d, high in enumerate(highest):
        if high >= size[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} "
                               f"but found index {high}")
    return size


def to_sparse(self: Tensor, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None) -> SparseCooTensor:
    """This dense tensor as a (coalesced) sparse COO tensor holding its nonzero cells.

    With ``sparse_dim`` = s < ndim, the first s dims become coordinates and each stored value is the
    dense block x[i_0, ..., i_{s-1}] of a coordinate whose block has any nonzero. Differentiable:
    the gradient reaches the stored cells of x (the others are not part of the result).
    """
    if layout not in (None, sparse_coo):
        raise NotImplementedError(f"to_sparse: tinynn stores only the sparse COO layout (tinynn.sparse_coo), "
                                  f"not {layout}")
    if blocksize is not None:
        raise NotImplementedError("to_sparse: blocksize is for the block-compressed layouts, which tinynn lacks")
    ndim = self.ndim
    if sparse_dim is None:
        sparse_dim = ndim if dense_dim is None else ndim - int(dense_dim)
    if not 0 <= sparse_dim <= ndim:
        raise RuntimeError(f"to_sparse: sparse_dim must be in [0, {ndim}], got {sparse_dim}")
    xp = backend.array_module_of(self._data)
    if sparse_dim == 0:  # one coordinate (the empty one) holding the whole tensor
        return SparseCooTensor(xp.zeros((0, 1), dtype=np.int64), self.unsqueeze(0), self.shape, coalesced=True)
    nonzero = self._data != 0
    if sparse_dim < ndim:
        nonzero = nonzero.any(axis=tuple(range(sparse_dim, ndim)))
    coordinates = xp.nonzero(nonzero)  # row-major order: the result is coalesced
    indices = xp.stack(coordinates).astype(np.int64)
    values = self[tuple(Tensor._make(c) for c in coordinates)]
    return SparseCooTensor(indices, values, self.shape, coalesced=True)


def _legacy(dtype):
    def constructor(*args, device=None):
        if len(args) in (2, 3) and not isinstance(args[0], (int, float)):  # (indices, values[, size])
            return sparse_coo_tensor(*args, device=device)
        if not all(isinstance(a, int) for a in args):
            raise TypeError(f"sparse.{name}: expected (indices, values[, size]) or integer sizes, got {args!r}")
        size = args if args else (0,)
        xp = backend.array_module(backend.as_device(device))
        return SparseCooTensor(xp.zeros((len(size), 0), dtype=np.int64), Tensor._make(xp.zeros((0,), dtype=dtype)),
                               size, coalesced=True)

    name = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor"}[dtype]
    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"Legacy ``torch.sparse.{name}``: (indices, values[, size]) as ``sparse_coo_tensor`` "
                           f"(the values keep their dtype, as in PyTorch), or sizes for an empty {dtype} tensor.")
    return constructor


FloatTensor = _legacy(dtypes.float32)
DoubleTensor = _legacy(dtypes.float64)
