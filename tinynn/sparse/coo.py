"""Sparse COO tensors: the coordinates of the cells that are set, and their values.

A graph's adjacency matrix is mostly zeros: with N nodes and E edges it has N*N cells but only E
that matter. The coordinate (COO) form keeps just those::

    indices: int64 (sparse_dim, nnz)   column k is the coordinate of the k-th stored value
    values:  (nnz, *dense_shape)       the value there (a whole dense block, for a "hybrid" tensor)
    size:    (*sparse_sizes, *dense_shape)

A coordinate may appear more than once ("uncoalesced"); its cell then holds the sum. ``coalesce()``
sorts the coordinates row-major and adds the repeats, and only then do ``indices()`` and
``values()`` answer (``_indices()``/``_values()`` give the raw lists at any time), as in PyTorch.

Gradients flow through ``values``, an ordinary tinynn Tensor: build a sparse tensor from a values
tensor that requires grad, and ``values.grad`` gets one (dense) entry per stored value. A sparse
*leaf* (``requires_grad=True``) reports ``.grad`` as a coalesced sparse tensor with the gradient of
each stored cell, as ``torch.sparse.mm`` gives it. (PyTorch's ``torch.mm``/``spmm`` give such a leaf
a dense gradient instead, the full N*N matrix; tinynn always gives the sparse one.)

tinynn always checks a new tensor's coordinates against its size; PyTorch checks them only when
asked (``check_invariants=True``) and otherwise may crash later on a bad coordinate.
"""
from __future__ import annotations

import math

from .. import backend, dtypes
from ..dims import wrap_dim
from ..ops.convert import parse_to_args
from ..tensor import Tensor
from .coo_arithmetic import SparseArithmetic
from .layout import sparse_coo
from .ops import SegmentSum, flat_positions, group_coordinates, unflatten_positions

__all__ = ["SparseCooTensor"]


class SparseUnsupportedError(TypeError, AttributeError):
    """A dense-tensor method a sparse tensor lacks (an AttributeError too, so ``hasattr`` says False)."""


class SparseCooTensor(SparseArithmetic):
    """A sparse tensor in coordinate form. Make one with ``tinynn.sparse_coo_tensor`` or ``x.to_sparse()``."""

    is_sparse = True
    layout = sparse_coo
    __array_ufunc__ = None  # ``ndarray * sparse`` comes to our reflected operators, which refuse it clearly

    def __init__(self, indices, values: Tensor, size: tuple, coalesced: bool = False):
        self._indices_array = indices  # raw int64 (sparse_dim, nnz) on the values' device
        self._values_tensor = values
        self._size = tuple(size)
        self._coalesced = bool(coalesced)

    def _with_values(self, values: Tensor) -> "SparseCooTensor":
        """The same coordinates holding new values."""
        return SparseCooTensor(self._indices_array, values, self._size, self._coalesced)

    # ------------------------------------------------------------------ what it is
    @property
    def shape(self) -> tuple:
        return self._size

    def size(self, dim: int | None = None):
        if dim is None:
            return self._size
        return self._size[wrap_dim(dim, len(self._size), "size")]

    def dim(self) -> int:
        return len(self._size)

    @property
    def ndim(self) -> int:
        return len(self._size)

    def sparse_dim(self) -> int:
        return self._indices_array.shape[0]

    def dense_dim(self) -> int:
        return len(self._size) - self.sparse_dim()

    def _nnz(self) -> int:
        return int(self._indices_array.shape[1])

    def numel(self) -> int:
        return math.prod(self._size)

    def __len__(self) -> int:
        if not self._size:
            raise TypeError("len() of a 0-d tensor")
        return self._size[0]

    @property
    def dtype(self):
        return self._values_tensor.dtype

    @property
    def device(self):
        return self._values_tensor.device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_coalesced(self) -> bool:
        return self._coalesced

    # ------------------------------------------------------------------ coordinates and values
    def _indices(self) -> Tensor:
        return Tensor._make(self._indices_array)

    def _values(self) -> Tensor:
        return self._values_tensor

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._values_tensor

    def coalesce(self) -> "SparseCooTensor":
        """Coordinates sorted row-major, repeats added into one value (self, when already coalesced)."""
        if self._coalesced:
            return self
        unique, group, count = group_coordinates(self._indices_array, self._size[: self.sparse_dim()])
        values = SegmentSum.apply(self._values_tensor, segment=group, num_segments=count)
        return SparseCooTensor(unique, values, self._size, coalesced=True)

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """The dense tensor: zeros, with each value added into its cell (dL/dvalue_k = dL/dcell)."""
        if dtype is not None:
            raise RuntimeError("dtype argument is not supported by sparse_to_dense")
        sparse_shape = self._size[: self.sparse_dim()]
        cells = flat_positions(self._indices_array, sparse_shape)
        dense = SegmentSum.apply(self._values_tensor, segment=cells, num_segments=math.prod(sparse_shape))
        return dense.reshape(self._size)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None) -> "SparseCooTensor":
        if layout not in (None, sparse_coo):
            raise NotImplementedError(f"to_sparse: tinynn stores only the sparse COO layout, not {layout}")
        if sparse_dim is not None and sparse_dim != self.sparse_dim():
            raise NotImplementedError("to_sparse: changing a sparse tensor's number of sparse dims is not supported")
        return self

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        return self._values_tensor.requires_grad

    @property
    def grad_fn(self):
        return self._values_tensor.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._values_tensor.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> "SparseCooTensor":
        self._values_tensor.requires_grad_(requires_grad)
        return self

    @property
    def grad(self):
        """A leaf's gradient: for each stored cell (coalesced), d(loss)/d(that cell)."""
        g = self._values_tensor.grad
        if g is None:
            return None
        if self._coalesced:
            return SparseCooTensor(self._indices_array, g, self._size, coalesced=True)
        # every copy of a repeated coordinate has the same gradient (that of its cell): keep the first
        sparse_shape = self._size[: self.sparse_dim()]
        xp = backend.array_module_of(self._indices_array)
        cells, first = xp.unique(flat_positions(self._indices_array, sparse_shape), return_index=True)
        return SparseCooTensor(unflatten_positions(cells, sparse_shape), Tensor._make(g._data[first]), self._size,
                               coalesced=True)

    @grad.setter
    def grad(self, value):
        if value is not None:
            raise TypeError("a sparse tensor's .grad can only be set to None in tinynn")
        self._values_tensor.grad = None

    def detach(self) -> "SparseCooTensor":
        return self._with_values(self._values_tensor.detach())

    @property
    def data(self) -> "SparseCooTensor":
        return self.detach()

    def clone(self) -> "SparseCooTensor":
        return SparseCooTensor(self._indices_array.copy(), self._values_tensor.clone(), self._size, self._coalesced)

    def __deepcopy__(self, memo):
        copy = SparseCooTensor(self._indices_array.copy(), self._values_tensor.__deepcopy__(memo), self._size,
                               self._coalesced)
        memo[id(self)] = copy
        return copy

    # ------------------------------------------------------------------ device and dtype
    def to(self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False) -> "SparseCooTensor":
        device, dtype = parse_to_args(args, device, dtype)
        values = self._values_tensor.to(device=device, dtype=dtype, copy=copy)
        indices = self._indices_array
        if device is not None:
            indices = backend.to_device(indices, backend.as_device(device))
        if values is self._values_tensor and indices is self._indices_array:
            return self
        return SparseCooTensor(indices, values, self._size, self._coalesced)

    def cpu(self) -> "SparseCooTensor":
        return self.to(device="cpu")

    def cuda(self, device=None) -> "SparseCooTensor":
        index = device if isinstance(device, int) else (0 if device is None else backend.as_device(device).index or 0)
        return self.to(device=backend.device("cuda", index))

    def double(self) -> "SparseCooTensor":
        return self.to(dtypes.float64)

    def float(self) -> "SparseCooTensor":
        return self.to(dtypes.float32)

    def half(self) -> "SparseCooTensor":
        return self.to(dtypes.float16)

    def long(self) -> "SparseCooTensor":
        return self.to(dtypes.int64)

    def int(self) -> "SparseCooTensor":
        return self.to(dtypes.int32)

    # ------------------------------------------------------------------ shape
    def transpose(self, dim0: int, dim1: int) -> "SparseCooTensor":
        """Swap two sparse dims (swap two rows of ``indices``) or two dense dims (transpose the values)."""
        n, sd = self.ndim, self.sparse_dim()
        dim0, dim1 = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
        size = list(self._size)
        size[dim0], size[dim1] = size[dim1], size[dim0]
        if dim0 == dim1:
            return self
        if dim0 < sd and dim1 < sd:
            order = list(range(sd))
            order[dim0], order[dim1] = dim1, dim0
            return SparseCooTensor(self._indices_array[order], self._values_tensor, size, coalesced=False)
        if dim0 >= sd and dim1 >= sd:
            return SparseCooTensor(self._indices_array, self._values_tensor.transpose(dim0 - sd + 1, dim1 - sd + 1),
                                   size, self._coalesced)
        raise RuntimeError("transpose(): mixing sparse and dense dimensions is not supported")

    def t(self) -> "SparseCooTensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> "SparseCooTensor":
        return self.t()

    # ------------------------------------------------------------------ what it refuses
    def __getitem__(self, key):
        raise TypeError("indexing a sparse tensor is not supported in tinynn; use .to_dense()[...] instead")

    def __setitem__(self, key, value):
        raise TypeError("a sparse tensor cannot be written by indexing in tinynn; build a new one instead")

    def __iter__(self):
        raise TypeError("iterating over a sparse tensor is not supported in tinynn; use .to_dense() first")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a sparse tensor cannot be used as a dense array or tensor here; call .to_dense() first")

    def __getattr__(self, name: str):
        if not name.startswith("__") and hasattr(Tensor, name):
            raise SparseUnsupportedError(
                f"'{name}' is not supported for sparse COO tensors in tinynn (they have to_dense, coalesce, "
                "indices/values, t, sum, to, multiplication by a scalar and matrix products with a dense tensor); "
                f"call .to_dense() first"
            )
        raise AttributeError(f"'SparseCooTensor' object has no attribute '{name}'")

    def __repr__(self) -> str:
        from ..printing import _add_suffixes, _tensor_str

        indices = backend.to_device(self._indices_array, backend.CPU)
        values = backend.to_device(self._values_tensor._data, backend.CPU)
        indices_text = _tensor_str(indices, len("tensor(indices=tensor(")) if indices.size else "[]"
        values_text = _tensor_str(values, len("       values=tensor(")) if values.size else "[]"
        text = f"tensor(indices=tensor({indices_text}{_size_note(indices)}),\n"
        text += f"       values=tensor({values_text}{_size_note(values)}),\n"
        suffixes = [f"nnz={self._nnz()}"]
        if self.dtype != dtypes.get_default_dtype():
            suffixes.append(f"dtype=tinynn.{self.dtype}")
        if self.device.type != "cpu":
            suffixes.append(f"device='{self.device}'")
        suffixes.append("layout=tinynn.sparse_coo")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return _add_suffixes(text + f"       size={self._size}", suffixes, len("       "))


def _size_note(array) -> str:
    return f", size={tuple(array.shape)}" if array.size == 0 and array.ndim != 1 else ""
