"""Indexing and selection: ``x[...]``, gather/scatter, where, masked_fill, one_hot, multinomial.

Reading elements and writing gradients back are mirror images: the backward of ``x[key]`` puts
the gradient into a zero tensor at ``key`` (adding where an index repeats), and the backward of
that is ``grad[key]`` again, so gradients of any order work.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import add_at, array_module_of
from ..tensor import Tensor
from .arithmetic import promote
from .dims import check_broadcast, wrap_dim

__all__ = [
    "gather",
    "getitem",
    "index_select",
    "masked_fill",
    "masked_select",
    "multinomial",
    "nonzero",
    "one_hot",
    "scatter",
    "scatter_add",
    "take_along_dim",
    "where",
]


# ---------------------------------------------------------------------------- x[key]
def to_index_key(index):
    """A Python/tensor index turned into one NumPy understands (tensors become arrays)."""
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def _index_part(part):
    if isinstance(part, Tensor):
        data = part._data
        if data.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return data
    if isinstance(part, list) and any(isinstance(p, (Tensor, list)) for p in part):
        return np.asarray([p.item() if isinstance(p, Tensor) else p for p in part])
    if isinstance(part, slice) and any(isinstance(v, Tensor) for v in (part.start, part.stop, part.step)):
        return slice(*(int(v) if isinstance(v, Tensor) else v for v in (part.start, part.stop, part.step)))
    return part


def _is_basic(key) -> bool:
    """True when ``key`` holds only ints, slices, None and Ellipsis (so ``x[key]`` is a view)."""
    parts = key if isinstance(key, tuple) else (key,)
    for p in parts:
        if not (p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer))) or isinstance(p, bool):
            return False
    return True


class GetItem(Op):
    """y = x[key];  dL/dx = zeros with dL/dy added at ``key`` (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, x, key):
        xp = array_module_of(x)
        out = x[key]
        if not isinstance(out, xp.ndarray):  # a single element comes back as a scalar
            out = xp.asarray(out)
        ctx.key, ctx.input_shape = key, x.shape
        ctx.basic = _is_basic(key)
        ctx.is_view = ctx.basic
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, ctx.key, ctx.input_shape, ctx.basic)


class IndexAdd(Op):
    """y = zeros(shape) with x added at ``key``;  dL/dx = (dL/dy)[key]."""

    @staticmethod
    def forward(ctx, x, key, shape, basic):
        ctx.key = key
        out = array_module_of(x).zeros(shape, dtype=x.dtype)
        if basic:
            out[key] = x
        else:
            add_at(out, key, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.key)


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]`` with NumPy's rules: basic slicing gives a view, arrays and masks a copy."""
    key = to_index_key(index)
    if isinstance(key, (bool, np.bool_)) or (isinstance(key, tuple) and any(isinstance(k, bool) for k in key)):
        key = _bool_scalar_key(key)
    try:
        return GetItem.apply(x, key)
    except IndexError as err:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {tuple(x.shape)}: {err}") from None


def _bool_scalar_key(key):
    parts = key if isinstance(key, tuple) else (key,)
    return tuple(np.asarray(p) if isinstance(p, bool) else p for p in parts)


class IndexPut(Op):
    """y = x with ``y[key] = v``;  dL/dx = dL/dy with zeros at ``key``, dL/dv = (dL/dy)[key]."""

    @staticmethod
    def forward(ctx, x, key, value):
        ctx.key = key
        out = x.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_v = ctx.needs_input_grad
        grad_x = IndexPut.apply(grad, ctx.key, 0.0) if need_x else None
        grad_v = GetItem.apply(grad, ctx.key) if need_v else None
        return grad_x, None, grad_v


def index_put(x: Tensor, index, value) -> Tensor:
    """Out-of-place ``x[index] = value`` (the engine of ``__setitem__`` in the graph)."""
    key = to_index_key(index)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    return IndexPut.apply(x, key, value)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``x`` at positions ``index`` (1-d, int) along ``dim``."""
    dim = wrap_dim(dim, x.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 1-d (or 0-d), got {idx.ndim}-d")
    return GetItem.apply(x, (slice(None),) * dim + (idx.reshape(-1),))


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    mask_b = mask.expand(x.shape) if mask.shape != x.shape else mask
    return GetItem.apply(x, mask_b._data)


def nonzero(x: Tensor, *, as_tuple: bool = False):
    xp = array_module_of(x._data)
    idx = xp.nonzero(x._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype("int64")) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype("int64") if idx else xp.zeros((0, 0), "int64"))


# ---------------------------------------------------------------------------- gather / scatter
def _along_axis_key(index, dim: int):
    """The advanced-index tuple that picks ``out[i][j]... = x[i][index[i][j]]...`` along ``dim``."""
    xp = array_module_of(index)
    grids = xp.ogrid[tuple(slice(0, s) for s in index.shape)]
    grids = list(grids) if isinstance(grids, (list, tuple)) else [grids]
    grids[dim] = index
    return tuple(grids)


def _check_index(x_shape, index, dim, name, other=None):
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): expected dtype int64 for index, got {index.dtype}")
    if index.ndim != len(x_shape):
        raise RuntimeError(
            f"{name}(): index tensor must have the same number of dimensions as the input tensor "
            f"({index.ndim} vs {len(x_shape)})"
        )
    for d, (i, s) in enumerate(zip(index.shape, x_shape)):
        if d != dim and i > s:
            raise RuntimeError(f"{name}(): size of index ({index.shape}) exceeds the input's size {tuple(x_shape)} at dim {d}")
    if other is not None:
        for d, (i, s) in enumerate(zip(index.shape, other)):
            if i > s:
                raise RuntimeError(f"{name}(): index {tuple(index.shape)} is larger than src {tuple(other)} at dim {d}")
    if index.size and (index.min() < -x_shape[dim] or index.max() >= x_shape[dim]):
        raise IndexError(f"{name}(): index out of range for dimension {dim} of size {x_shape[dim]}")


class Gather(Op):
    """y[i][j] = x[i][index[i][j]] (along ``dim``);  dL/dx: dL/dy scatter-added back."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.input_shape = dim, index, x.shape
        return x[_along_axis_key(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        return _scatter_into_zeros(grad, ctx.dim, ctx.index, ctx.input_shape)


def _scatter_into_zeros(grad, dim, index, shape):
    return IndexAdd.apply(grad, _along_axis_key(index, dim), shape, False)


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Pick, along ``dim``, the element ``index`` names at each position (output has index's shape)."""
    dim = wrap_dim(dim, x.ndim, "gather")
    idx = index._data
    _check_index(x.shape, idx, dim, "gather")
    return Gather.apply(x, dim, idx)


def take_along_dim(x: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` whose other dims broadcast between ``x`` and ``indices``; dim None: the flattened x."""
    if dim is None:
        return gather(x.reshape(-1), 0, indices.reshape(-1))
    dim = wrap_dim(dim, x.ndim, "take_along_dim")
    if indices.ndim != x.ndim:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{x.ndim} dimensions for input, and {indices.ndim} dimensions for indices"
        )
    others = lambda shape: tuple(1 if d == dim else s for d, s in enumerate(shape))  # noqa: E731
    try:
        common = np.broadcast_shapes(others(x.shape), others(indices.shape))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): the shapes {tuple(x.shape)} of input and {tuple(indices.shape)} of indices "
            f"do not broadcast in the dims other than {dim}"
        ) from None
    x_shape, index_shape = list(common), list(common)
    x_shape[dim], index_shape[dim] = x.shape[dim], indices.shape[dim]
    return gather(x.expand(x_shape), dim, indices.expand(index_shape))


class Scatter(Op):
    """y = x with y[i][index[i][j]] = src[i][j] (along ``dim``), or += with ``add``.

    dL/dx = dL/dy, zeroed where overwritten;  dL/dsrc = dL/dy gathered at ``index``.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, add):
        ctx.dim, ctx.index, ctx.add = dim, index, add
        key = _along_axis_key(index, dim)
        if hasattr(src, "shape") and src.shape != index.shape:
            ctx.src_shape = src.shape
            src = src[tuple(slice(0, s) for s in index.shape)]
        out = x.copy()
        if add:
            add_at(out, key, src)
        else:
            out[key] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, _, _, need_src = ctx.needs_input_grad[:4]
        key = _along_axis_key(ctx.index, ctx.dim)
        grad_x = grad_src = None
        if need_x:
            grad_x = grad if ctx.add else IndexPut.apply(grad, key, 0.0)
        if need_src:
            grad_src = GetItem.apply(grad, key)
            src_shape = getattr(ctx, "src_shape", None)
            if src_shape is not None:
                from .rearrange import pad_constant

                pads = []
                for have, want in reversed(list(zip(grad_src.shape, src_shape))):
                    pads += [0, want - have]
                grad_src = pad_constant(grad_src, pads)
        return grad_x, None, None, grad_src


def scatter(x: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """Out of place: write ``src`` (or ``value``) into a copy of ``x`` at ``index`` along ``dim``."""
    if src is None:
        src = value
    if reduce not in (None, "add"):
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported (use 'add' or None)")
    dim = wrap_dim(dim, x.ndim, "scatter")
    idx = index._data
    _check_index(x.shape, idx, dim, "scatter", src.shape if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor) and src.dtype != x.dtype:
        src = src.to(x.dtype)
    return Scatter.apply(x, dim, idx, src, reduce == "add")


def scatter_add_(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    dim = wrap_dim(dim, x.ndim, "scatter_add")
    _check_index(x.shape, index._data, dim, "scatter_add", src.shape)
    return Scatter.apply(x, dim, index._data, src, True)


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Out of place: add ``src`` into a copy of ``x`` at ``index`` along ``dim`` (repeats accumulate)."""
    return scatter_add_(x, dim, index, src)


# ---------------------------------------------------------------------------- where / masked_fill
class Where(Op):
    """y = x where cond else other;  dL/dx = dL/dy where cond, dL/dother = dL/dy elsewhere."""

    @staticmethod
    def forward(ctx, cond, x, other):
        x, other = promote(x, other)
        ctx.cond = cond
        return array_module_of(cond).where(cond, x, other)

    @staticmethod
    def backward(ctx, grad):
        _, need_x, need_other = ctx.needs_input_grad
        cond = ctx.cond
        grad_x = Where.apply(cond, grad, 0.0) if need_x else None
        grad_other = Where.apply(cond, 0.0, grad) if need_other else None
        return None, grad_x, grad_other


def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond holds, else y (broadcast); ``where(cond)``: nonzero."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else condition
    if cond.dtype != bool:
        cond = cond.astype(bool)
    try:
        return Where.apply(cond, input, other)
    except ValueError:
        check_broadcast("where", cond, input, other)
        raise


def _broadcasts_to(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    """``x`` with ``value`` wherever ``mask`` (broadcast to x's shape) is True."""
    m = mask._data if isinstance(mask, Tensor) else mask
    if m.dtype != bool:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}")
    if not _broadcasts_to(m.shape, x.shape):
        raise RuntimeError(f"masked_fill: the mask of shape {tuple(m.shape)} does not broadcast to {tuple(x.shape)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, got {value.ndim} dims")
        value = value.to(x.dtype) if value._requires_grad else value.item()
    return Where.apply(m, value, x) if isinstance(value, Tensor) else Where.apply(m, x.dtype.type(value), x)


# ---------------------------------------------------------------------------- categorical
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index."""
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors (int64), got {data.dtype}")
    xp = array_module_of(data)
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got min {int(data.min())}, max {int(data.max())}")
    out = xp.zeros(data.shape + (num_classes,), dtype="int64")
    xp.put_along_axis(out, data[..., None].astype("int64"), 1, axis=-1)
    return Tensor._make(out)


def multinomial(probs: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Draw category indices with probabilities proportional to the rows of ``probs`` (1-d or 2-d)."""
    from ..random import default_generator

    gen = generator or default_generator
    p = backend_to_numpy(probs._data).astype(np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: probs must be 1-d or 2-d, got {p.ndim}-d")
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    sums = rows.sum(axis=1)
    if (sums <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    rng = gen.numpy_generator
    for r, row in enumerate(rows):
        out[r] = rng.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    result = out.reshape(p.shape[:-1] + (num_samples,))
    xp = array_module_of(probs._data)
    return Tensor._make(xp.asarray(result))


def backend_to_numpy(array):
    from ..backend import CPU, to_device

    return to_device(array, CPU)
