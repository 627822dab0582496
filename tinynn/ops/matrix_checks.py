"""Argument checks shared by the linear-algebra ops, and ``LinAlgError``.

PyTorch's linear-algebra functions take a matrix or a batch of matrices (the last two dims), in
float32 or float64. The checks here give each function PyTorch's message when that is not so,
naming the function, what was expected and what came, before NumPy sees the arrays.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = []  # helpers for the ops; ``LinAlgError`` is public as ``tinynn.linalg.LinAlgError``


class LinAlgError(RuntimeError):
    """A matrix without the property a function needs (singular, not positive-definite ...).

    A subclass of RuntimeError, as ``torch.linalg.LinAlgError`` is, so ``except RuntimeError`` works.
    """


def check_tensor(x, name: str, arg: str = "A") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: argument '{arg}' must be a Tensor, not {type(x).__name__}")


def check_float(x: Tensor, name: str, half: bool = False) -> None:
    """float32 or float64 (and float16 where ``half``), as PyTorch's CPU kernels; tinynn has no complex dtypes."""
    kind = x._data.dtype.kind
    if kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {x.dtype}")
    if x._data.dtype.itemsize < 4 and not half:
        raise NotImplementedError(
            f"{name}: not implemented for {x.dtype} (as in PyTorch on the CPU); convert with .float() or .double()"
        )


def check_matrices(x, name: str, arg: str = "A", square: bool = True) -> None:
    """x is a float tensor of (batches of) matrices: shape (*, m, n), and m == n when ``square``."""
    check_tensor(x, name, arg)
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    check_float(x, name)
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"{name}: {arg} must be batches of square matrices, but they are {x.shape[-2]} by {x.shape[-1]} matrices"
        )


def batch_shape(a_shape, b_shape, name: str) -> tuple:
    """The broadcast of two batch shapes (all dims but the last two), or a clear error."""
    try:
        return tuple(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
    except ValueError:
        raise RuntimeError(
            f"{name}: the batch dims of shapes {tuple(a_shape)} and {tuple(b_shape)} do not broadcast "
            f"({tuple(a_shape[:-2])} and {tuple(b_shape[:-2])})"
        ) from None


def common_float(a: Tensor, b: Tensor) -> tuple:
    """Both tensors in the wider of their two float dtypes (float32 with float64 gives float64)."""
    if a.dtype == b.dtype:
        return a, b
    dtype = np.promote_types(a._data.dtype, b._data.dtype)
    return a.to(dtype), b.to(dtype)
