"""Selection: index_select, masked_select, nonzero, where, masked_fill, one_hot, multinomial.

Indexing has a few homes, each about one thing: ``index_key.py`` (PyTorch's index rules as NumPy
keys), ``getitem.py`` (``x[key]`` and ``x[key] = v``), ``scatter.py`` (gather and scatter),
``scatter_reduce.py``, ``index_ops.py`` (index_add/copy/fill, take, put, masked_scatter). Their
common names are importable from here too.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .arithmetic import promote
from ..dims import check_broadcast, wrap_dim
from .getitem import GetItem, IndexAdd, IndexPut, getitem, index_put  # noqa: F401  (importable from here)
from .index_key import to_index_key  # noqa: F401
from .scatter import gather, scatter, scatter_add, take_along_dim  # noqa: F401

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


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside [0, size). PyTorch's index_select raises IndexError or RuntimeError for it,
    depending on which of its kernels runs (the dim, the layout); this is both."""


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``x`` at positions ``index`` (a 1-d or 0-d integer tensor) along ``dim``.

    Indices must lie in [0, size): PyTorch refuses negative ones here (unlike in ``x[idx]``).
    """
    dim = wrap_dim(dim, x.ndim, "index_select")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got a {idx.ndim}-d index")
    size = x.shape[dim] if x.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexOutOfRange(f"index_select(): index {bad} is out of bounds for dimension {dim} with size {size}")
    if x.ndim == 0:  # PyTorch: a 0-d tensor selects as a 1-element vector and stays 0-d
        return GetItem.apply(x, Ellipsis) if idx.size == 1 else GetItem.apply(x.reshape(1), idx.reshape(-1))
    return GetItem.apply(x, (slice(None),) * dim + (idx.reshape(-1),))


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``x`` where ``mask`` is True, as a 1-d tensor (x and mask broadcast together)."""
    if not isinstance(mask, Tensor) or mask.dtype != bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {got}")
    try:
        shape = np.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        check_broadcast("masked_select", x._data, mask._data)
        raise
    if x.shape != shape:
        x = x.expand(shape)
    return GetItem.apply(x, mask.expand(shape)._data if mask.shape != shape else mask._data)


def nonzero(x: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-d tensor per dim.

    A 0-d tensor counts as a 1-element vector for ``as_tuple`` and gives (n, 0) otherwise, as in PyTorch.
    """
    xp = array_module_of(x._data)
    data = x._data
    if data.ndim == 0:
        count = int(bool(data))
        if as_tuple:
            return (Tensor._make(xp.zeros(count, dtype="int64")),)
        return Tensor._make(xp.zeros((count, 0), dtype="int64"))
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(Tensor._make(i.astype("int64")) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype("int64"))


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
    if cond.dtype == "uint8":  # PyTorch's deprecated byte masks still select
        cond = cond.astype(bool)
    if cond.dtype != bool:
        raise RuntimeError(f"where: expected the condition to be a bool tensor, got {cond.dtype}; "
                           "compare it first (cond != 0)")
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
    if x.dtype.kind in "iub" and isinstance(value, float) and not math.isfinite(value):
        raise RuntimeError(f"masked_fill: value {value} cannot be converted to {x.dtype} without overflow")
    return Where.apply(m, value, x) if isinstance(value, Tensor) else Where.apply(m, x.dtype.type(value), x)


# ---------------------------------------------------------------------------- categorical
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index."""
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensors of dtype int64 (LongTensor), got {data.dtype}")
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
