"""Products built from other ops: kron, tensordot, cross, block_diag, cartesian_prod, multi_dot,
chain_matmul, vecdot.

None has its own backward: each is reshapes, products, sums and concatenations, whose gradients
the engine chains together (second derivatives included).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..backend import array_module_of
from ..dtypes import result_type
from ..tensor import Tensor
from ..dims import wrap_dim
from .join import cat, stack
from .linalg import matmul
from .matrix_checks import check_tensor

__all__ = ["block_diag", "cartesian_prod", "chain_matmul", "cross", "ger", "inner", "kron", "tensordot", "vdot"]


def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The Kronecker product: out[i*p + k, j*q + l] = a[i, j] * b[k, l], in any number of dims.

    The shorter shape is padded with leading 1s; each dim's size is the product of the two sizes.
    a is spread as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...), multiplied, and merged pairwise.
    """
    check_tensor(input, "kron", "input")
    check_tensor(other, "kron", "other")
    ndim = max(input.ndim, other.ndim)
    a_shape = (1,) * (ndim - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (ndim - other.ndim) + tuple(other.shape)
    a = input.reshape([s for size in a_shape for s in (size, 1)])
    b = other.reshape([s for size in b_shape for s in (1, size)])
    return (a * b).reshape([p * q for p, q in zip(a_shape, b_shape)])


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract ``a``'s dims ``dims[0]`` with ``b``'s dims ``dims[1]`` (in pairs); an integer n means
    a's last n dims with b's first n. The result has a's free dims, then b's.

    The contraction is one matmul: a permuted to (free_a, contracted) and flattened to 2-d, times b
    permuted to (contracted, free_b).
    """
    check_tensor(a, "tensordot", "a")
    check_tensor(b, "tensordot", "b")
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: both inputs should have same dtype, got {a.dtype} and {b.dtype}")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"tensordot: both dimension lists should have same length, got {dims_a} and {dims_b}")
        dims_a = [wrap_dim(d, a.ndim, "tensordot") for d in dims_a]
        dims_b = [wrap_dim(d, b.ndim, "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has size {a.shape[da]} "
                               f"in dim {da} and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = int(np.prod([a.shape[d] for d in dims_a]))
    a2 = a.permute(free_a + dims_a).reshape(-1, size)
    b2 = b.permute(dims_b + free_b).reshape(size, -1)
    return matmul(a2, b2).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (batch dims broadcast):
    a x b = (a2 b3 - a3 b2, a3 b1 - a1 b3, a1 b2 - a2 b1)."""
    name = "linalg.cross"
    check_tensor(input, name, "input")
    check_tensor(other, name, "other")
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, input.ndim, name)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {other.shape[d]}")
    a1, a2, a3 = (input.narrow(d, i, 1) for i in range(3))
    b1, b2, b3 = (other.narrow(d, i, 1) for i in range(3))
    return cat([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], dim=d)


def cross(input: Tensor, other: Tensor, dim=None, *, out=None) -> Tensor:
    """``torch.cross``: ``linalg.cross`` along ``dim``; without ``dim``, along the first dim of size 3
    (deprecated by PyTorch, with a warning, as here)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please either pass the "
                      "dim explicitly or simply use torch.linalg.cross.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise RuntimeError("cross: no dimension of size 3 in input")
        dim = sizes3[0]
    return linalg_cross(input, other, dim=dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """sum(x * y) along ``dim`` (shapes broadcast): the dot products of the vectors there."""
    name = "linalg.vecdot"
    check_tensor(x, name, "x")
    check_tensor(y, name, "y")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {x.dtype}")
    return (x * y).sum(dim)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d as a row, or 2-d) on the diagonal of one matrix, zeros elsewhere."""
    for i, t in enumerate(tensors):
        check_tensor(t, "block_diag", f"tensors[{i}]")
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return Tensor._make(np.zeros((1, 0), dtype=np.float32))
    dtype = result_type(*(t._data for t in tensors))
    blocks = [t.to(dtype).reshape(1 if t.ndim < 2 else t.shape[0], -1) for t in tensors]
    width = sum(b.shape[1] for b in blocks)
    xp = array_module_of(blocks[0]._data)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        before = Tensor._make(xp.zeros((r, left), dtype=dtype))
        after = Tensor._make(xp.zeros((r, width - left - c), dtype=dtype))
        rows.append(cat([before, b, after], dim=1))
        left += c
    return cat(rows, dim=0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows: (n1 * n2 * ..., k)."""
    for t in tensors:
        check_tensor(t, "cartesian_prod", "tensors")
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("cartesian_prod: expects all tensors to have the same dtype")
    sizes = [t.shape[0] for t in tensors]
    columns = []
    for i, t in enumerate(tensors):  # t varies along axis i of the grid, is repeated along the others
        shape = [1] * len(tensors)
        shape[i] = sizes[i]
        columns.append(t.reshape(shape).expand(sizes).reshape(-1))
    return stack(columns, dim=1)


def _chain_order(dims: list) -> list:
    """The cheapest parenthesization of a chain of matrices whose shapes are (dims[i], dims[i+1]).

    The textbook dynamic programme: cost[i][j] is the fewest multiplications for matrices i..j,
    split[i][j] where that best product splits.
    """
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None) -> Tensor:
    """A1 @ A2 @ ... @ An in the cheapest order. The first may be 1-d (a row vector) and the last
    1-d (a column vector); the others must be 2-d."""
    name = "multi_dot()"
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"{name}: expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        check_tensor(t, name, f"tensors[{i}]")
        where = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
        if where and t.ndim not in (1, 2):
            raise RuntimeError(f"{name}: the {where} tensor must be 1D or 2D but got {t.ndim}D")
        if not where and t.ndim != 2:
            raise RuntimeError(f"{name}: tensor {i} must be 2D but got {t.ndim}D")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = [tensors[0].unsqueeze(0) if first_vector else tensors[0]] + tensors[1:-1]
    matrices.append(tensors[-1].unsqueeze(1) if last_vector else tensors[-1])
    for i in range(len(matrices) - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            raise RuntimeError(f"{name}: tensors {i} and {i + 1} with shapes {list(matrices[i].shape)} and "
                               f"{list(matrices[i + 1].shape)} cannot be multiplied")
    split = _chain_order([matrices[0].shape[0]] + [m.shape[1] for m in matrices])

    def product(i, j):
        if i == j:
            return matrices[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    result = product(0, len(matrices) - 1)
    if first_vector:
        result = result.squeeze(0)
    if last_vector:
        result = result.squeeze(-1)
    return result


def chain_matmul(*matrices: Tensor, out=None) -> Tensor:
    """``torch.chain_matmul``, deprecated by PyTorch for ``linalg.multi_dot``; same result."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead.", UserWarning, stacklevel=2)
    if len(matrices) == 1:
        return matrices[0]
    return multi_dot(matrices)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims of both: a dot product for vectors, in general tensordot(a, b, ([-1], [-1]));
    a 0-d operand multiplies elementwise."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-d tensors (their conjugate for complex ones, which tinynn does not have)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    from .linalg import dot

    return dot(input, other)


def ger(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product (PyTorch's older name for ``outer``)."""
    from .linalg import outer

    return outer(input, vec2)
