"""Checking and normalising dimension and shape arguments, with PyTorch's error messages.

Below both the Tensor and the ops (it imports nothing of tinynn): ``Tensor.size(dim)``, the creation
functions and every op that takes a ``dim`` or a shape check their arguments here.
"""
from __future__ import annotations

import operator


def wrap_dim(dim: int, ndim: int, name: str = "op") -> int:
    """A possibly negative ``dim`` as an index in ``range(ndim)`` (0-d tensors accept 0 and -1)."""
    size = max(ndim, 1)
    try:
        dim = operator.index(dim)  # an int (or NumPy integer); not 1.0, as in PyTorch
    except TypeError:
        raise TypeError(f"{name}: dim must be an integer, got {dim!r}") from None
    if not -size <= dim < size:
        raise IndexError(
            f"{name}: dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})"
        )
    return dim % size


def reduce_dims(dim, ndim: int, name: str = "op"):
    """``dim`` (None, an int, or a tuple/list of ints) as a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(wrap_dim(d, ndim, name) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{name}: dim {tuple(dim)} appears multiple times in the list of dims")
    else:
        axes = (wrap_dim(dim, ndim, name),)
    if ndim == 0:
        return None
    return axes


def normalize_shape(args, name: str = "op") -> tuple:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))`` or ``f([2, 3])``, as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    elif len(args) == 1 and hasattr(args[0], "tolist") and not isinstance(args[0], int):
        args = args[0].tolist()
        if isinstance(args, int):
            args = (args,)
    try:
        return tuple(operator.index(a) for a in args)  # ints (not 2.5, which PyTorch refuses too)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a sequence of integers as the size, got {args!r}") from None


def check_broadcast(name: str, *operands) -> None:
    """Raise PyTorch's error when the operands' shapes (Python numbers have none) do not broadcast.

    Shapes are aligned at the right; each dim must have one size, apart from sizes of 1.
    """
    shapes = [tuple(getattr(op, "shape", ())) for op in operands]
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + s for s in shapes]
    for d in range(ndim):
        sizes = [p[d] for p in padded if p[d] != 1]
        if any(s != sizes[0] for s in sizes):
            listed = " and ".join(str(s) for s in shapes)
            raise RuntimeError(
                f"{name}: shapes {listed} do not broadcast: the size of tensor a ({sizes[0]}) must match "
                f"the size of tensor b ({next(s for s in sizes if s != sizes[0])}) at non-singleton dimension {d}"
            )
