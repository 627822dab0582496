"""``scatter_reduce``: combine all the values sent to one place by sum, prod, mean, amax or amin.

For a 2-d ``x`` and ``dim = 1``: every ``src[i][j]`` goes to ``y[i][index[i][j]]``; the values that
meet there are reduced together, with x's own value among them when ``include_self`` (else a place
that receives anything starts from the reduction's identity). Places that receive nothing keep x.

Gradients, with g = dL/dy and G(t) = t gathered at ``index`` (the place each src value went):

    sum    dL/dx = g                          dL/dsrc = G(g)
    mean   dL/dx = g / n                      dL/dsrc = G(g / n)   (n values averaged at the place)
    prod   dL/dx = g * (product of the other factors at the place),  dL/dsrc likewise; computed
           without dividing by a factor that is 0
    amax   the gradient is shared equally by every value equal to the result (ties); as PyTorch
    amin   does, x's value is counted in that share even when include_self=False

and dL/dx = 0 at the places whose x value was left out (include_self=False).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import add_at, array_module_of, to_device, CPU, device_of
from ..tensor import Tensor
from ..dims import wrap_dim
from .getitem import GetItem, IndexPut
from .scatter import along_axis_key, check_index, _fit_source

__all__ = ["scatter_reduce"]

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce: str, dtype):
    """The value a place starts from when x's own value is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype == bool:
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _reduce_at(reduce: str, target, key, values) -> None:
    """``target[key] = reduce(target[key], values)`` in place, repeated indices all taking part."""
    ufunc = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
    if array_module_of(target) is np:
        getattr(np, ufunc).at(target, key, values)
        return
    import cupyx

    if ufunc in ("add", "maximum", "minimum"):
        getattr(cupyx, {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}[ufunc])(
            target, key, values)
        return
    # CuPy has no scatter-multiply: do it on the host (rare, and exact)
    host = to_device(target, CPU)
    np.multiply.at(host, tuple(to_device(k, CPU) for k in key), to_device(values, CPU))
    target[...] = to_device(host, device_of(target))


def _counts(x, key, include_self):
    """How many values were combined at each place (x's own counted when include_self)."""
    xp = array_module_of(x)
    count = xp.ones(x.shape, dtype=np.int64) if include_self else xp.zeros(x.shape, dtype=np.int64)
    add_at(count, key, 1)
    return count


class ScatterReduce(Op):
    """y = x with src reduced into it at ``index`` along ``dim`` (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        xp = array_module_of(x)
        key = along_axis_key(index, dim)
        out = x.copy()
        if not include_self:
            out[key] = _identity(reduce, x.dtype)
        _reduce_at(reduce, out, key, src)
        count = None
        if reduce == "mean":
            count = xp.maximum(_counts(x, key, include_self), 1)  # places left alone keep x: divide by 1
            out = out / count if x.dtype.kind == "f" else xp.floor_divide(out, count)
            out = out.astype(x.dtype)
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.save_for_backward(x, src, out, count)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        x, src, y, count = ctx.saved_tensors
        dim, index, reduce, include_self = ctx.dim, ctx.index, ctx.reduce, ctx.include_self
        key = along_axis_key(index, dim)

        def at_index(t):  # G(t): t gathered where each src value went
            return GetItem.apply(t, key)

        if reduce == "sum":
            grad_x, grad_src = grad, at_index(grad)
        elif reduce == "mean":
            grad_x = grad / count
            grad_src = at_index(grad_x)
        elif reduce == "prod":
            grad_x, grad_src = _prod_gradients(grad, x, src, y, dim, index, include_self, at_index, where)
        else:
            grad_x, grad_src = _extreme_gradients(grad, x, src, y, key, at_index)
        if not include_self:
            grad_x = IndexPut.apply(grad_x, key, 0.0)
        return grad_x, None, None, grad_src, None, None


def _prod_gradients(grad, x, src, y, dim, index, include_self, at_index, where):
    """d(product)/d(factor) = the product of the other factors, found by redoing the product with
    that factor replaced by 1 where it is 0 (dividing y by it works everywhere else)."""
    x_zero = (x == 0).detach()
    x_safe = where(x_zero, 1.0, x)
    grad_x = grad * ScatterReduce.apply(x_safe, dim, index, src, "prod", include_self) / x_safe
    src_zero = (src == 0).detach()
    zeros_here = _counts_of(src_zero, y, dim, index)  # how many src zeros met at each place
    lone_zero = src_zero & (at_index(zeros_here) == 1)
    without_lone_zero = ScatterReduce.apply(x, dim, index, where(lone_zero, 1.0, src), "prod", include_self)
    grad_src = where(lone_zero, at_index(grad * without_lone_zero), at_index(grad * y) / where(src_zero, 1.0, src))
    return grad_x, grad_src


def _counts_of(flags: Tensor, like: Tensor, dim, index) -> Tensor:
    counts = array_module_of(like._data).zeros(like.shape, dtype=np.int64)
    add_at(counts, along_axis_key(index, dim), flags._data.astype(np.int64))
    return Tensor._make(counts)


def _extreme_gradients(grad, x, src, y, key, at_index):
    """amax/amin: every value equal to the result takes an equal share of the gradient."""
    x_hit = (x == y).detach().to(grad.dtype)
    src_hit = (src == at_index(y)).detach().to(grad.dtype)
    sharing = x_hit._data.copy()
    add_at(sharing, key, src_hit._data)
    share = grad / Tensor._make(sharing)
    return x_hit * share, src_hit * at_index(share)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Out of place: reduce ``src`` into a copy of ``input`` at ``index`` along ``dim``.

    ``reduce`` is "sum", "prod", "mean", "amax" or "amin" ("max"/"min" are accepted as PyTorch
    accepts them). Integer means round toward minus infinity, as in PyTorch.
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}")
    dim = wrap_dim(dim, input.ndim, "scatter_reduce")
    idx = check_index("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(input, dim, idx, _fit_source(src, idx), reduce, include_self)
