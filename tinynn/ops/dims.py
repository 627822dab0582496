"""Checking and normalising dimension arguments, with PyTorch's error messages."""
from __future__ import annotations


def wrap_dim(dim: int, ndim: int, name: str = "op") -> int:
    """A possibly negative ``dim`` as an index in ``range(ndim)`` (0-d tensors accept 0 and -1)."""
    size = max(ndim, 1)
    try:
        dim = int(dim)
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
        return tuple(int(a) for a in args)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a sequence of integers as the size, got {args!r}") from None
