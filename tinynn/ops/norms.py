"""Norms: linalg.vector_norm, matrix_norm, norm, and cdist (the norms of all pairwise differences).

    ||x||_p = (sum |x_i|^p)^(1/p),   d||x||_p / dx_i = sign(x_i) |x_i|^(p-1) / ||x||_p^(p-1)
    ||x||_inf = max |x_i|,  ||x||_-inf = min |x_i|,  ||x||_0 = the number of nonzero x_i.

Matrix norms reduce to these or to the singular values: Frobenius is the 2-norm of all entries,
'nuc' the sum of the singular values, 2 (-2) the largest (smallest) one, 1 (-1) the largest
(smallest) column sum of |A|, inf (-inf) the largest (smallest) row sum.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from ..dims import reduce_dims, wrap_dim
from .matrix_checks import check_float, check_tensor
from .reduce import amax, amin
from .spectral import svdvals
from .unary import sign

__all__ = ["cdist"]


def _keepdim_shape(shape, axes) -> tuple:
    return tuple(1 if d in axes else s for d, s in enumerate(shape))


class VectorNorm(Op):
    """n = ||x||_ord over ``axes`` (see the module docstring for the formulas and the derivative).

    Where the derivative divides 0 by 0 it is taken as 0, as PyTorch does: at x = 0 (every entry
    of a zero vector, and zero entries for ord < 1), and everywhere when a negative ord makes the
    norm 0. The inf-norms' gradient goes to the entries that attain the max (min): shared equally
    among ties (``share_ties``, vector_norm) or given in full to each (cdist), as in PyTorch.
    float16 inputs are summed in float32, as PyTorch does, and the result cast back.
    """

    @staticmethod
    def forward(ctx, x, ord, axes, keepdim, share_ties):
        xp = array_module_of(x)
        ctx.ord, ctx.axes, ctx.keepdim, ctx.share_ties = ord, axes, keepdim, share_ties
        a = xp.abs(x.astype(np.float32) if x.dtype == np.float16 else x)
        with np.errstate(divide="ignore"):  # 0 ** negative ord is inf, and the norm then 0, as it should be
            if ord == math.inf:
                n = a.max(axis=axes, keepdims=True)
            elif ord == -math.inf:
                n = a.min(axis=axes, keepdims=True)
            elif ord == 0:
                n = (a != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
            elif ord == 1:
                n = a.sum(axis=axes, keepdims=True)
            elif ord == 2:
                n = xp.sqrt((a * a).sum(axis=axes, keepdims=True))
            else:
                n = (a**ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
        n = n.astype(x.dtype)
        out = n if keepdim else n.reshape([s for d, s in enumerate(n.shape) if d not in axes])
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, n = ctx.saved_tensors
        ord, axes = ctx.ord, ctx.axes
        keep_shape = _keepdim_shape(x.shape, axes)
        n, grad = n.reshape(keep_shape), grad.reshape(keep_shape)
        xp = array_module_of(x._data)
        if ord == 0:
            return x * 0
        if ord in (math.inf, -math.inf):
            attains = Tensor._make((xp.abs(x._data) == n._data).astype(x._data.dtype))
            if ctx.share_ties:
                attains = attains / attains.sum(axes, keepdim=True)
            return grad * sign(x) * attains
        norm_is_zero = Tensor._make((n._data == 0).astype(x._data.dtype))
        safe_n = n + norm_is_zero  # 1 where the norm is 0: the 0/0 there is taken as 0
        if ord == 2:
            return grad * x / safe_n
        safe_abs = x.abs() + Tensor._make((x._data == 0).astype(x._data.dtype))
        scale = (safe_abs / safe_n) ** (ord - 1) * (1 - norm_is_zero)
        return grad * sign(x) * scale


def _check_ord(ord, name):
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: ord must be a number (or inf, -inf), got {ord!r}")
    return float(ord)


def _as_dtype(x: Tensor, dtype, name: str) -> Tensor:
    """x cast to ``dtype`` (a float dtype no narrower than x's), as PyTorch's norms allow."""
    check_float(x, name, half=True)
    if dtype is None:
        return x
    from ..dtypes import to_dtype

    target = to_dtype(dtype)
    if target.kind != "f":
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got {target}")
    if target.itemsize < x._data.dtype.itemsize:
        raise RuntimeError(f"{name}: the dtype of the input ({x.dtype}) should be convertible without narrowing "
                           f"to the specified dtype ({target})")
    return x.to(target)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ``ord``-norm of x over ``dim`` (all entries when None), as if those entries were one vector.

    ord: any real number, inf or -inf (0 counts the nonzero entries). ``dtype`` casts x first.
    """
    name = "linalg.vector_norm"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_tensor(x, name, "x")
    ord = _check_ord(ord, name)
    x = _as_dtype(x, dtype, name)
    axes = reduce_dims(dim, x.ndim, name)
    axes = tuple(range(x.ndim)) if axes is None else axes
    if ord in (math.inf, -math.inf) and any(x.shape[d] == 0 for d in axes):
        raise RuntimeError(f"{name} cannot compute the {ord:g} norm on an empty tensor because the operation "
                           "does not have an identity")
    return VectorNorm.apply(x, ord, axes, bool(keepdim), True)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ``ord`` matrix norm of the matrices in dims ``dim`` of A (see the module docstring)."""
    name = "linalg.matrix_norm"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_tensor(A, name)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    A = _as_dtype(A, dtype, name)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {dim}")
    rows, cols = (wrap_dim(d, A.ndim, name) for d in dim)
    if rows == cols:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return VectorNorm.apply(A, 2.0, tuple(sorted((rows, cols))), bool(keepdim), True)
    if ord in ("nuc", 2, -2):
        values = svdvals(A.movedim((rows, cols), (-2, -1)))
        result = values.sum(-1) if ord == "nuc" else values[..., 0] if ord == 2 else values[..., -1]
        if keepdim:
            for d in sorted((rows, cols)):
                result = result.unsqueeze(d)
        return result
    along, across = (rows, cols) if ord in (1, -1) else (cols, rows)  # 1: column sums, inf: row sums
    sums = A.abs().sum(along, keepdim=True)
    extreme = amax if ord in (1, math.inf) else amin
    result = extreme(sums, across, keepdim=True)
    return result if keepdim else _squeeze_two(result, rows, cols)


def _squeeze_two(t: Tensor, a: int, b: int) -> Tensor:
    for d in sorted((a, b), reverse=True):
        t = t.squeeze(d)
    return t


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """``linalg.norm``: a vector norm when ``dim`` is an int (or A is 1-d), a matrix norm when ``dim``
    is a pair (or A is 2-d and ``ord`` is given); with neither ``ord`` nor ``dim``, the 2-norm of all
    entries."""
    name = "linalg.norm"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_tensor(A, name)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        raise RuntimeError(f"{name}: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"{name}: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1: (*, P, M) and each row of x2: (*, R, M) -> (*, P, R).

    Computed as the norms of the (*, P, R, M) differences. PyTorch may instead expand
    ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2 for p = 2 (``compute_mode``): faster on large inputs,
    less exact for close points; tinynn always takes the differences, so ``compute_mode`` only
    selects nothing. The gradient is 0 where a distance is 0.
    """
    check_tensor(x1, "cdist", "x1")
    check_tensor(x2, "cdist", "x2")
    for label, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {label} got: {x.ndim}D")
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {label} got: {x.dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    p = _check_ord(p, "cdist")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: {compute_mode!r} is not a valid value for compute_mode (one of {_CDIST_MODES})")
    differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (*, P, 1, M) - (*, 1, R, M)
    return VectorNorm.apply(differences, p, (differences.ndim - 1,), False, False)
