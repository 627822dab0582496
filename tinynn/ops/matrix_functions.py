"""Functions of a square matrix built from products: matrix_power and matrix_exp.

Both are compositions of matmuls (and, for negative powers, one inverse), so their gradients come
from the ops they are made of, second derivatives included.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor
from .matrix_checks import check_matrices, check_tensor
from .solvers import inv

__all__ = ["matrix_exp", "matrix_power"]


def _identity_like(A: Tensor) -> Tensor:
    xp = array_module_of(A._data)
    return Tensor._make(xp.eye(A.shape[-1], dtype=A._data.dtype))


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n for square A: (*, m, m) and an integer n; A^0 = I, and A^-n = (A^-1)^n.

    Computed by repeated squaring: A^13 = A^8 A^4 A^1, about 2 log2(n) matmuls.
    """
    name = "linalg.matrix_power"
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")
    check_tensor(A, name)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'n' must be int, not {type(n).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:  # I, kept in the graph (a zero gradient) like PyTorch's copy of the identity
        return A * 0 + _identity_like(A)
    if n < 0:
        A, n = inv(A), -n  # inv checks the dtype: integer matrices have no inverse
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) = I + A + A^2/2! + ... for square A: (*, n, n).

    Scaling and squaring: exp(A) = exp(A / 2^s)^(2^s), with s chosen so that A / 2^s has 1-norm
    at most 1/2; there the Taylor series to degree 18 is exact to well below float64's rounding
    (the first term left out is below 0.5^19 / 19! ~ 2e-23). The series is summed by Horner's rule,
    I + X (I + X/2 (I + X/3 (...))), then squared s times. The gradient is that of this
    composition of matmuls, which matches exp's derivative to the same precision.
    """
    name = "linalg.matrix_exp"
    check_matrices(A, name)
    if A.numel() == 0:
        return A * 1
    norm = float(array_module_of(A._data).abs(A._data).sum(axis=-2).max())  # the largest 1-norm in the batch
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = A / 2.0**squarings
    identity = _identity_like(A)
    result = identity
    for k in range(18, 0, -1):
        result = identity + (x @ result) / k
    for _ in range(squarings):
        result = result @ result
    return result
