"""NumPy-style shape helpers: atleast_1d/2d/3d, dstack, column_stack, row_stack, hsplit, vsplit,
dsplit, tile, rot90, ravel, and the aliases swapdims, swapaxes, moveaxis.

Each is a few calls of the shape and join ops (reshape, cat, slicing, repeat, flip, transpose),
which carry the gradient; nothing here has a backward of its own.

The "h", "v" and "d" names refer to a matrix or an image: v(ertical) is dim 0, the rows;
h(orizontal) is dim 1, the columns (dim 0 of a 1-D tensor); d(epth) is dim 2.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..dims import wrap_dim
from .join import cat, tensor_split
from .rearrange import flip, repeat
from .shape import movedim, reshape, transpose

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "dsplit", "dstack", "hsplit", "hstack", "moveaxis",
    "ravel", "rot90", "row_stack", "swapaxes", "swapdims", "tile", "vsplit", "vstack",
]


def _tensors(args, name: str) -> tuple:
    """The tensors of ``f(t)``, ``f(t1, t2)`` or ``f([t1, t2])``; and whether one came alone."""
    single = len(args) == 1 and isinstance(args[0], Tensor)
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    for i, t in enumerate(args):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensors, but argument {i} is a {type(t).__name__}")
    return args, single


def _at_least(args, name: str, shape_of):
    tensors, single = _tensors(args, name)
    out = tuple(t if shape_of(t) is None else reshape(t, shape_of(t)) for t in tensors)
    return out[0] if single else out


def atleast_1d(*tensors):
    """Each tensor with at least one dim: a 0-d tensor becomes shape (1,); others come back as they are."""
    return _at_least(tensors, "atleast_1d", lambda t: (1,) if t.ndim == 0 else None)


def atleast_2d(*tensors):
    """At least two dims: () -> (1, 1), (n,) -> (1, n)."""
    return _at_least(tensors, "atleast_2d", lambda t: (1,) * (2 - t.ndim) + tuple(t.shape) if t.ndim < 2 else None)


def _shape_3d(t: Tensor):
    if t.ndim == 0:
        return (1, 1, 1)
    if t.ndim == 1:
        return (1, t.shape[0], 1)
    if t.ndim == 2:
        return tuple(t.shape) + (1,)
    return None


def atleast_3d(*tensors):
    """At least three dims: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _at_least(tensors, "atleast_3d", _shape_3d)


def dstack(tensors) -> Tensor:
    """Join along dim 2 (depth), after ``atleast_3d``."""
    tensors, _ = _tensors((tensors,), "dstack")
    return cat(atleast_3d(list(tensors)), 2)


def column_stack(tensors) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns (n, 1), then all join along dim 1."""
    tensors, _ = _tensors((tensors,), "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


def hstack(tensors) -> Tensor:
    """Join horizontally, after ``atleast_1d``: along dim 0 for 1-d tensors, dim 1 otherwise."""
    tensors, _ = _tensors((tensors,), "hstack")
    tensors = atleast_1d(list(tensors))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Join as rows, after ``atleast_2d``: (n,) becomes (1, n), then all join along dim 0."""
    tensors, _ = _tensors((tensors,), "vstack")
    return cat(atleast_2d(list(tensors)), 0)


row_stack = vstack


# ---------------------------------------------------------------------------- splitting
def split_at(x: Tensor, cuts, dim: int) -> tuple:
    """The pieces x[:c0], x[c0:c1], ..., x[ck:] along ``dim`` (Python slicing: may be empty)."""
    bounds = [None] + [int(c) for c in cuts] + [None]
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index = [slice(None)] * x.ndim
        index[dim] = slice(start, stop)
        pieces.append(x[tuple(index)])
    return tuple(pieces)


def _split_along(x: Tensor, indices_or_sections, dim: int, min_dims: int, name: str) -> tuple:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")
    if x.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                           f"tensor with {x.ndim} dimensions!")
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        return split_at(x, indices_or_sections, dim)
    sections = int(indices_or_sections)
    if sections <= 0 or x.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                           f"dimension {x.shape[dim]} is not divisible by the split_size {sections}!")
    return tuple(tensor_split(x, sections, dim))


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 1 (dim 0 of a 1-D tensor) into equal sections, or at the given indices."""
    dim = 1 if isinstance(input, Tensor) and input.ndim > 1 else 0
    return _split_along(input, indices_or_sections, dim, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 0 (at least 2-D input) into equal sections, or at the given indices."""
    return _split_along(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 2 (at least 3-D input) into equal sections, or at the given indices."""
    return _split_along(input, indices_or_sections, 2, 3, "dsplit")


# ---------------------------------------------------------------------------- rearranging
def tile(input: Tensor, dims) -> Tensor:
    """Repeat the tensor ``dims[i]`` times along each dim; a short ``dims`` is padded with 1s in
    front (unlike ``repeat``, which needs one count per dim)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"tile(): argument 'input' must be a Tensor, got {type(input).__name__}")
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(int(d) for d in dims)
    if any(d < 0 for d in dims):
        raise RuntimeError(f"tile: the repeat counts must be non-negative, got {dims}")
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim's direction
    towards the second's (k = 1: ``flip(dims[1])`` then swap the two dims)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rot90(): argument 'input' must be a Tensor, got {type(input).__name__}")
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = wrap_dim(dims[0], input.ndim, "rot90"), wrap_dim(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return input.clone()


def ravel(input: Tensor) -> Tensor:
    """The elements as one dim, in row-major order (a view when the memory allows)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"ravel(): argument 'input' must be a Tensor, got {type(input).__name__}")
    return reshape(input, (-1,))


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """An alias of ``transpose``."""
    return transpose(input, dim0, dim1)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """An alias of ``transpose`` (NumPy's name)."""
    return transpose(input, axis0, axis1)


def moveaxis(input: Tensor, source, destination) -> Tensor:
    """An alias of ``movedim`` (NumPy's name)."""
    return movedim(input, source, destination)
