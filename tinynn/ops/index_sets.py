"""Sets of indices and membership: tril_indices, triu_indices, combinations, isin, argwhere.

    tril_indices(r, c, offset)   the (row, col) pairs with col - row <= offset of an r x c matrix,
    triu_indices(r, c, offset)   ... with col - row >= offset; both as a (2, N) int64 tensor in
                                 row-major order, ready for ``x[rows, cols]``
    combinations(x, r)           every r-element subset of a 1-D tensor's elements, in the order of
                                 itertools.combinations, one per row: x[idx] with idx of shape (N, r),
                                 so the gradient flows back to the elements picked
    isin(elements, test)         whether each element occurs in ``test`` (bool; NaN never matches)
    argwhere(x)                  the indices of the nonzero elements, one row each: nonzero(x)
"""
from __future__ import annotations

import itertools

import numpy as np

from ..backend import array_module_of
from ..dtypes import to_dtype
from ..tensor import Tensor
from .indexing import nonzero

__all__ = ["argwhere", "combinations", "isin", "tril_indices", "triu_indices"]


def _triangle_indices(row: int, col: int, offset: int, dtype, device, name: str, numpy_fn) -> Tensor:
    from ..creation import tensor

    for value, what in ((row, "row"), (col, "col")):
        if value < 0:
            raise RuntimeError(f"{name}: {what} must be non-negative, got {value}")
    dtype = np.dtype(np.int64) if dtype is None else to_dtype(dtype)
    if dtype.kind not in "iu":
        raise NotImplementedError(f"{name}: dtype must be an integer dtype, got {dtype}")
    rows, cols = numpy_fn(row, offset, col)
    return tensor(np.stack([rows, cols]).astype(dtype).reshape(2, -1), device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) indices of the lower triangle (col - row <= offset) of a row x col matrix."""
    return _triangle_indices(int(row), int(col), int(offset), dtype, device, "tril_indices", np.tril_indices)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) indices of the upper triangle (col - row >= offset) of a row x col matrix."""
    return _triangle_indices(int(row), int(col), int(offset), dtype, device, "triu_indices", np.triu_indices)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-element combinations of a 1-D tensor's elements, as the rows of an (N, r) tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"combinations(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if input.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    xp = array_module_of(input._data)
    if r == 0:  # PyTorch's answer for r = 0: an empty 1-D tensor, outside the graph
        return Tensor._make(xp.empty((0,), dtype=input.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[Tensor._make(xp.asarray(index))]


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each of ``elements`` is in ``test_elements`` (a bool tensor of elements' shape).

    Either argument may be a number. ``invert=True`` gives the opposite; ``assume_unique`` is
    accepted for PyTorch's signature (the answer is the same either way).
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected at least one of elements and test_elements to be a Tensor")
    for value, what in ((elements, "elements"), (test_elements, "test_elements")):
        if not isinstance(value, (Tensor, bool, int, float)):
            raise TypeError(f"isin(): argument '{what}' must be a Tensor or a number, got {type(value).__name__}")
    xp = array_module_of(elements._data if isinstance(elements, Tensor) else test_elements._data)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._make(xp.asarray(xp.isin(a, b, invert=invert)))


def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, as an (N, ndim) int64 tensor (``nonzero(input)``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"argwhere(): argument 'input' must be a Tensor, got {type(input).__name__}")
    return nonzero(input)
