"""Sparse tensors (``torch.sparse``): matrices that store only their nonzero cells.

Graph neural networks multiply node features by an adjacency matrix that is almost all zeros
(Kipf and Welling's GCN: ``torch.spmm(adj, x @ W)``). Storing and multiplying only the E edges
instead of the N*N cells is what lets them scale. tinynn has one sparse layout, COO (coordinates and
values), in a class of its own:

    layout.py      tinynn.strided, tinynn.sparse_coo (and the names of PyTorch's other layouts)
    coo.py         SparseCooTensor: coalesce, to_dense, indices/values, t, to, scalar products ...
    creation.py    sparse_coo_tensor, Tensor.to_sparse, legacy sparse.FloatTensor/DoubleTensor
    ops.py         the two differentiable ops underneath: SegmentSum and SparseDenseMatmul
    functional.py  mm / spmm / addmm (sparse @ dense), sum, softmax, log_softmax

``tinynn.mm``, ``tinynn.matmul`` and ``@`` hand a product with a sparse operand to ``mm`` here.
A sparse tensor is not a ``tinynn.Tensor`` (PyTorch's is): dense operations refuse it with a
TypeError that says to call ``.to_dense()``, rather than computing on the wrong numbers.
"""
from __future__ import annotations

from ..tensor import Tensor
from .coo import SparseCooTensor
from .creation import DoubleTensor, FloatTensor, sparse_coo_tensor, to_sparse
from .functional import addmm, log_softmax, mm, softmax, spmm, sum
from .layout import layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided

__all__ = [
    "SparseCooTensor", "sparse_coo_tensor", "mm", "spmm", "addmm", "sum", "softmax", "log_softmax",
    "FloatTensor", "DoubleTensor", "layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
    "sparse_bsc",
]


def _dense_to_dense(self: Tensor, dtype=None, *, masked_grad=None) -> Tensor:
    """A dense tensor is already dense: itself (converted when a dtype is given)."""
    return self if dtype is None else self.to(dtype)


# The dense Tensor's side of the story (PyTorch's Tensor has these for every layout).
Tensor.layout = strided
Tensor.to_sparse = to_sparse
Tensor.to_sparse_coo = lambda self: to_sparse(self)
Tensor.to_dense = _dense_to_dense
