"""Distances and norm limits between and within tensors: dist, pdist, renorm.

    dist(x, y, p)           = ||x - y||_p over all elements (x and y broadcast)
    pdist(X, p)             = ||X[i] - X[j]||_p for every pair of rows i < j of an (N, M) matrix,
                              in the order (0,1), (0,2), ..., (0,N-1), (1,2), ...: N (N - 1) / 2 values
    renorm(x, p, dim, m)    = each slice x.select(dim, i) whose p-norm exceeds m, scaled to norm m:
                              x_i * m / (||x_i||_p + 1e-7) (PyTorch's small constant), others unchanged

The norms are ``tinynn.linalg.vector_norm``'s (any p, including 0 and +-inf), so the gradients are
its gradients: at a zero difference the 2-norm's gradient is 0, as in PyTorch.
"""
from __future__ import annotations

from ..tensor import Tensor
from ..dims import wrap_dim
from .indexing import where
from .index_sets import triu_indices

__all__ = ["dist", "pdist", "renorm"]


def _vector_norm(x: Tensor, p, dim=None, keepdim: bool = False) -> Tensor:
    from ..linalg import vector_norm  # tinynn.linalg imports the ops: imported when first used

    return vector_norm(x, p, dim=dim, keepdim=keepdim)


def _check_float(x, name: str, what: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {x.dtype}")


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), as a 0-d tensor."""
    _check_float(input, "dist")
    _check_float(other, "dist", "other")
    return _vector_norm(input - other, p)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between every pair of rows of an (N, M) tensor: N (N - 1) / 2 values."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pdist(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    rows, cols = triu_indices(input.shape[0], input.shape[0], 1, device=input.device)
    return _vector_norm(input[rows] - input[cols], p, dim=-1)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Scale each slice along ``dim`` whose p-norm exceeds ``maxnorm`` down to norm ``maxnorm``."""
    _check_float(input, "renorm")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p = {p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = _vector_norm(input, p, dim=others, keepdim=True)
    too_long = (norms > maxnorm).detach()
    factor = where(too_long, maxnorm / (norms + 1e-7), 1.0)
    return input * factor
