"""How a PyTorch index (``x[1, :, idx]``) becomes a NumPy key that selects the same thing.

PyTorch and NumPy agree on basic indexing (ints, slices, None, ``...``) and on advanced indexing
by arrays alone. They part ways when an integer meets an index tensor:

* NumPy counts the integer as one more advanced index. When the advanced indices are not side by
  side (a slice or None between them), the result's advanced dims go first.
* PyTorch first applies each integer as a plain select, which removes its dim; only then does it
  place the tensor indices: where the first of them stood if they are side by side in what is
  left, first otherwise.

    x: (2, 3, 4, 5), idx = tensor([0, 2])
    x[1, :, idx, 0:2]    PyTorch: (3, 2, 2)   (x[1] is (3, 4, 5); idx replaces the 4)
                         NumPy:   (2, 3, 2)   (1 and idx are apart: their dim goes first)

When the two rules would lay the result out differently, ``to_index_key`` rewrites the key so
that NumPy produces PyTorch's layout: every dim becomes an advanced index (a slice becomes an
``arange`` along its output axis), each placed on the axis PyTorch gives it. A Python or 0-d bool
(``x[1, True]``) is, as in PyTorch, a new dim of size 1 indexed by [0] (True) or [] (False).
Keys on which the rules agree are passed to NumPy as they are (slices stay views).

Differs from PyTorch on purpose: a negative slice step (``x[::-1]``) reverses, as in NumPy and
Python; PyTorch refuses it (ValueError) and spells it ``x.flip(0)``.
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor


def to_index_key(index, like=None):
    """``index`` (ints, slices, None, ``...``, bools, lists, tensors) as a NumPy key.

    ``like`` is the array being indexed: its shape is needed to rewrite a key whose layout differs
    between PyTorch and NumPy (without it the key keeps NumPy's reading).
    """
    if type(index) in _BASIC or (type(index) is tuple and all(type(p) in _BASIC for p in index)):
        return index  # ints, slices, None, ...: the two libraries agree (the common, fast case)
    xp = array_module_of(like) if like is not None else np
    if isinstance(index, tuple):
        parts = [_index_part(p, xp) for p in index]
    else:
        parts = [_index_part(index, xp)]
    if like is not None and len(parts) > 1:
        # spelled out, an ellipsis that stands for no dims no longer separates the advanced
        # indices around it (it does in NumPy, never in PyTorch)
        parts = _expand_ellipsis(parts, like.ndim)
        if _layouts_differ(parts):
            return _torch_layout_key(parts, like.shape, xp)
    parts = [xp.asarray(p) if isinstance(p, bool) else p for p in parts]
    return tuple(parts) if isinstance(index, tuple) else parts[0]


_BASIC = (int, slice, type(None), type(Ellipsis))  # exact types: a bool is not an int here


def _index_part(part, xp):
    """One element of a key, with tensors and lists made arrays and 0-d int tensors made ints."""
    if isinstance(part, Tensor):
        data = part._data
        if data.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if data.dtype == np.uint8:  # PyTorch still reads a uint8 index as a mask (deprecated there)
            data = data.astype(bool)
        if data.ndim == 0:  # PyTorch: a 0-d index tensor is a plain int (or bool)
            return bool(data) if data.dtype == bool else int(data)
        return data
    if isinstance(part, (bool, np.bool_)):
        return bool(part)
    if isinstance(part, np.integer):
        return int(part)
    if isinstance(part, list):
        return _list_index(part, xp)
    if isinstance(part, slice) and any(isinstance(v, Tensor) for v in (part.start, part.stop, part.step)):
        return slice(*(int(v) if isinstance(v, Tensor) else v for v in (part.start, part.stop, part.step)))
    return part


def _list_index(part: list, xp):
    """A (nested) list of ints or bools as an index array; ``[]`` is an empty int64 index."""
    values = [p.tolist() if isinstance(p, Tensor) else p for p in part]
    array = np.asarray(values)
    if array.size == 0:
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biu":
        raise IndexError(f"a list used as an index must hold integers or bools, got {part!r}")
    return xp.asarray(array)


def _is_array(part) -> bool:
    return hasattr(part, "ndim") and hasattr(part, "dtype")


def _kind(part) -> str:
    if part is None:
        return "none"
    if isinstance(part, bool) or _is_array(part):
        return "advanced"
    if isinstance(part, int):
        return "int"
    if isinstance(part, slice):
        return "slice"
    return "other"  # left for NumPy to judge (and reject)


def _dims_used(part) -> int:
    """How many of the indexed tensor's dims a key part consumes."""
    if part is None or isinstance(part, bool):
        return 0
    if _is_array(part) and part.dtype == bool:
        return part.ndim
    return 1


def _expand_ellipsis(parts: list, ndim: int) -> list:
    if not any(p is Ellipsis for p in parts):
        return parts
    at = next(i for i, p in enumerate(parts) if p is Ellipsis)
    if any(p is Ellipsis for p in parts[at + 1:]):
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_dims_used(p) for p in parts if p is not Ellipsis)
    return parts[:at] + [slice(None)] * max(ndim - used, 0) + parts[at + 1:]


def _block_position(kinds: list, block: list) -> int:
    """Where the advanced dims go: at the first of ``block`` if they are side by side, else first."""
    first, last = block[0], block[-1]
    if any(kinds[i] in ("slice", "none") for i in range(first, last + 1)):
        return 0
    return sum(1 for k in kinds[:first] if k in ("slice", "none"))


def _layouts_differ(parts: list) -> bool:
    kinds = [_kind(p) for p in parts]
    advanced = [i for i, k in enumerate(kinds) if k == "advanced"]
    if "int" not in kinds or not advanced or "other" in kinds:
        return False
    numpy_block = [i for i, k in enumerate(kinds) if k in ("advanced", "int")]
    return _block_position(kinds, numpy_block) != _block_position(kinds, advanced)


def _torch_layout_key(parts: list, shape: tuple, xp):
    """A key of only advanced indices (and ints) whose result is laid out as PyTorch lays it out."""
    components = []  # per consumed dim: ("int", i) | ("free", k, arange) | ("advanced", array)
    free = []  # the output dims outside the advanced block: a slice's length, or 1 for None
    block_shapes, block_at, adjacent, seen_free_after = [], None, True, False
    dim = 0
    for part in parts:
        kind = _kind(part)
        if kind != "none" and dim + _dims_used(part) > len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        if kind == "int":
            size = shape[dim]
            if not -size <= part < size:
                raise IndexError(f"index {part} is out of bounds for dimension {dim} with size {size}")
            components.append(("int", part % size))
        elif kind in ("slice", "none"):
            if block_at is not None:
                seen_free_after = True
            if kind == "none":
                free.append(1)
                continue
            positions = xp.arange(*part.indices(shape[dim]), dtype=np.int64)
            components.append(("free", len(free), positions))
            free.append(int(positions.shape[0]))
        else:
            if block_at is None:
                block_at = len(free)
            elif seen_free_after:
                adjacent = False
            if isinstance(part, bool):  # a new dim of size 1, indexed by [0] or by []
                block_shapes.append((1,) if part else (0,))
            elif part.dtype == bool:
                _check_mask(part, shape, dim)
                for axis_positions in xp.nonzero(part):
                    components.append(("advanced", axis_positions))
                    block_shapes.append(axis_positions.shape)
            else:
                components.append(("advanced", part))
                block_shapes.append(part.shape)
        dim += _dims_used(part)
    for size in shape[dim:]:  # dims the key did not mention are kept whole
        positions = xp.arange(size, dtype=np.int64)
        components.append(("free", len(free), positions))
        free.append(size)
    try:
        block = np.broadcast_shapes(*block_shapes)
    except ValueError:
        listed = ", ".join(str(list(s)) for s in block_shapes)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}"
        ) from None
    at = block_at if adjacent else 0
    ndim = len(free) + len(block)
    key = []
    for component in components:
        if component[0] == "int":
            key.append(component[1])
        elif component[0] == "free":
            _, k, positions = component
            axis = k if k < at else k + len(block)
            key.append(positions.reshape((1,) * axis + (-1,) + (1,) * (ndim - axis - 1)))
        else:
            array = component[1]
            lead = (1,) * (at + len(block) - array.ndim)
            key.append(array.reshape(lead + array.shape + (1,) * (ndim - at - len(block))))
    return _carry_block_shape(key, (1,) * at + block + (1,) * (ndim - at - len(block)), xp)


def _carry_block_shape(key: list, template: tuple, xp) -> tuple:
    """Make one part of ``key`` span the whole advanced block: a bool's size-1 (or size-0) dim is
    carried by no index array, and without this NumPy would not create it."""
    for i, part in enumerate(key):
        if _is_array(part):
            key[i] = xp.broadcast_to(part, np.broadcast_shapes(part.shape, template))
            return tuple(key)
    if key:
        key[0] = xp.full(template, key[0], dtype=np.int64)
    return tuple(key)


def _check_mask(mask, shape, dim) -> None:
    covered = tuple(shape[dim:dim + mask.ndim])
    if tuple(mask.shape) != covered:
        raise IndexError(
            f"the shape of the mask {list(mask.shape)} at index {dim} does not match the shape of the "
            f"indexed tensor {list(covered)}"
        )
