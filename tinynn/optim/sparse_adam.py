"""SparseAdam: refused with an explanation, since tinynn has no sparse gradients."""
from __future__ import annotations

from typing import Iterable

from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""PyTorch's ``SparseAdam`` exists for sparse gradients, which tinynn does not have.

    In PyTorch, ``nn.Embedding(..., sparse=True)`` produces a gradient that lists only the rows a
    batch looked up, and SparseAdam updates the moments of those rows alone (a "lazy" Adam: a row
    nobody looked up keeps its moments unchanged instead of decaying them). tinynn computes every
    gradient as a dense array (``nn.Embedding(sparse=True)`` is refused for the same reason), so
    the sparse update has nothing to work on, and running Adam's dense rule under this name would
    silently give different numbers from PyTorch's. Constructing it therefore raises
    ``NotImplementedError``; use ``tinynn.optim.Adam`` (or ``AdamW``) with a dense embedding,
    which applies the same update to every row.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False):
        raise NotImplementedError(
            "SparseAdam: tinynn has no sparse gradients (every gradient is a dense array, and "
            "nn.Embedding(sparse=True) is not supported), so there is nothing for SparseAdam's "
            "row-wise update to work on; use tinynn.optim.Adam (or AdamW) on the dense gradients instead"
        )
