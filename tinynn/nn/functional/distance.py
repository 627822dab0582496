"""Distances between vectors: cosine_similarity and pairwise_distance (PyTorch's signatures and eps rules).

    cosine_similarity(x1, x2)  = sum_d x1_d x2_d / (max(||x1||, eps) * max(||x2||, eps))     along ``dim``
    pairwise_distance(x1, x2)  = ||x1 - x2 + eps||_p                                       along the last dim

The two eps work differently, and each is PyTorch's:

* cosine: each norm is raised to at least eps *in value only*. PyTorch clamps the norms in place
  under no_grad, so the gradient flows through ||x|| as if there were no clamp (and is 0 for a
  zero vector, where the norm's own gradient is taken as 0). Near-zero vectors thus get the
  gradient of x1 . x2 / (eps * ||x2||) with d||x1||/dx1 included, not the gradient of a constant.
* pairwise: eps is *added to the difference* before the norm, so x1 == x2 gives a distance of
  eps * d^(1/p) (not 0) and a finite gradient.

Inputs broadcast against each other; the losses built on these (cosine_embedding_loss,
triplet_margin_loss) live in ``loss_margin.py``.
"""
from __future__ import annotations

from ...autograd import grad_mode
from ...ops.reduce import norm, sum as _sum
from ...ops.shape import broadcast_tensors
from ...tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def _broadcast(x1: Tensor, x2: Tensor, name: str):
    """x1 and x2 expanded to their common shape; PyTorch's error when there is none."""
    s1, s2 = tuple(x1.shape), tuple(x2.shape)
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + s1, (1,) * (n - len(s2)) + s2
    for dim, (a, b) in enumerate(zip(s1, s2)):
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"{name}: the size of tensor a ({a}) must match the size of tensor b ({b}) at "
                               f"non-singleton dimension {dim}")
    return broadcast_tensors(x1, x2)


def _norm_at_least_in_value(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x||_2 along dim (keepdim), raised to eps in value while its gradient stays that of ||x|| (PyTorch's rule)."""
    n = norm(x, 2, dim, keepdim=True).clone()
    with grad_mode.no_grad():      # an in-place change the graph does not see: the value moves, the gradient doesn't
        n.clamp_(min=eps)
    return n


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim``; x1 and x2 broadcast. Values in [-1, 1].

    Each vector is divided by its norm first (then the products summed), which keeps the result
    within [-1, 1] in floating point.
    """
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise RuntimeError(f"cosine_similarity: expected floating point inputs, got {x1.dtype} and {x2.dtype}")
    x1, x2 = _broadcast(x1, x2, "cosine_similarity")
    return _sum((x1 / _norm_at_least_in_value(x1, dim, eps)) * (x2 / _norm_at_least_in_value(x2, dim, eps)), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (x1, x2 broadcast): one distance per pair of rows.

    p = 0 counts the nonzero entries (no gradient, as in PyTorch); p = inf is the largest |entry|.
    """
    x1, x2 = _broadcast(x1, x2, "pairwise_distance")
    difference = x1 - x2 + eps
    if p == 0:
        return (difference != 0).sum(-1, keepdim=keepdim).to(difference.dtype).detach()
    return norm(difference, p, dim=-1, keepdim=keepdim)
