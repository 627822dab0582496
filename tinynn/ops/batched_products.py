"""Matrix products added to a tensor, BLAS style: out = beta * input + alpha * product.

    addmv(input, mat, vec)        product = mat @ vec                       (n,)
    addr(input, vec1, vec2)       product = outer(vec1, vec2)               (n, m)
    baddbmm(input, b1, b2)        product = b1 @ b2, batch by batch         (b, n, p)
    addbmm(input, b1, b2)         product = sum_i b1[i] @ b2[i]             (n, p)

``input`` broadcasts to the product's shape. With beta = 0 the input is ignored, NaNs and infs
included (as in BLAS and PyTorch); for integer tensors alpha and beta must be integers. The
gradients come from matmul, sum and the scalings.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import result_type
from ..tensor import Tensor
from .linalg import bmm, matmul, mv, outer

__all__ = ["addbmm", "addmv", "addr", "baddbmm"]


def _check_tensors(name: str, **tensors) -> None:
    for what, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{what}' must be a Tensor, got {type(t).__name__}")


def _check_ndim(name: str, what: str, t: Tensor, ndim: int) -> None:
    if t.ndim != ndim:
        raise RuntimeError(f"{name}: {what} must be a {ndim}-D tensor, got {t.ndim}-D of shape {tuple(t.shape)}")


def _combine(name: str, input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * product, input broadcast to the product's shape."""
    if input.dtype.kind in "biu" and product.dtype.kind in "biu":
        for value, what in ((alpha, "alpha"), (beta, "beta")):
            if isinstance(value, float):
                raise RuntimeError(f"For integral input tensors, argument {what} must not be a floating point number.")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(product.shape))
    except ValueError:
        shape = None
    if shape != tuple(product.shape):
        raise RuntimeError(f"{name}: the input of shape {tuple(input.shape)} does not broadcast to the "
                           f"product's shape {tuple(product.shape)}")
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # the input is not read at all: 0 * nan would be nan
        dtype = result_type(input._data, scaled._data)
        return scaled if scaled.dtype == dtype else scaled.to(dtype)
    return (input if beta == 1 else input * beta) + scaled


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec), with mat (n, m), vec (m,), input broadcasting to (n,)."""
    _check_tensors("addmv", input=input, mat=mat, vec=vec)
    _check_ndim("addmv", "mat", mat, 2)
    _check_ndim("addmv", "vec", vec, 1)
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, input.shape))}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    return _combine("addmv", input, mv(mat, vec), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), with vec1 (n,), vec2 (m,), input broadcasting to (n, m)."""
    _check_tensors("addr", input=input, vec1=vec1, vec2=vec2)
    _check_ndim("addr", "vec1", vec1, 1)
    _check_ndim("addr", "vec2", vec2, 1)
    return _combine("addr", input, outer(vec1, vec2), beta, alpha)


def _check_batches(name: str, batch1: Tensor, batch2: Tensor) -> None:
    _check_ndim(name, "batch1", batch1, 3)
    _check_ndim(name, "batch2", batch2, 3)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"{name}: batch1 and batch2 must have the same number of matrices, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
                           f"{batch2.shape[1]}x{batch2.shape[2]})")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2): (b, n, m) @ (b, m, p), input broadcasting to (b, n, p)."""
    _check_tensors("baddbmm", input=input, batch1=batch1, batch2=batch2)
    _check_batches("baddbmm", batch1, batch2)
    return _combine("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum_i batch1[i] @ batch2[i]: the products summed over the batch, (n, p)."""
    _check_tensors("addbmm", input=input, batch1=batch1, batch2=batch2)
    _check_batches("addbmm", batch1, batch2)
    return _combine("addbmm", input, matmul(batch1, batch2).sum(0), beta, alpha)
