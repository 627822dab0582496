"""Memory layouts (PyTorch's ``torch.layout``): how a tensor keeps its numbers.

``tinynn.strided`` is the ordinary dense array every ``Tensor`` has; ``tinynn.sparse_coo`` is a
list of coordinates and the values stored there (``tinynn/sparse/coo.py``). PyTorch's compressed
layouts are named here so that programs comparing against them run, but tinynn stores none of them.
"""
from __future__ import annotations

__all__ = ["layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"]


class layout:
    """One memory layout; there is a single object per layout, so ``x.layout == tinynn.strided`` works."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"tinynn.{self.name}"

    def __reduce__(self):
        return self.name  # pickles as the module-level object of that name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
