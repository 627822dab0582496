"""Running (cumulative) operations along a dim: cumsum, cummax, cummin, logcumsumexp, and the linear
recurrence h_k = b_k + a_k h_{k-1} that the backwards of cumprod and logcumsumexp run.

(``cumprod`` lives in product.py.) A running maximum is a selection:
each output is one of the inputs, so ``cummax`` finds the indices on raw arrays and then picks the
values with ``gather``, whose backward adds each output's gradient to the input it came from.
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.function import Op
from ..backend import CPU, array_module_of, to_device
from ..tensor import Tensor
from .arithmetic import promote
from ..dims import wrap_dim
from .reduce import in_float32
from .rearrange import flip

__all__ = ["cummax", "cummin", "cumsum", "logcumsumexp"]

# PyTorch returns named tuples of these names (torch.return_types.cummax ...)
_CumMax = collections.namedtuple("cummax", ["values", "indices"])
_CumMin = collections.namedtuple("cummin", ["values", "indices"])


class Cumsum(Op):
    """y_i = sum_{j <= i} x_j along ``dim``;  dL/dx_j = sum_{i >= j} g_i (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return array_module_of(x).cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return flip(Cumsum.apply(flip(grad, ctx.dim), ctx.dim), ctx.dim)


def cumsum(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sums along ``dim`` (float16 accumulates in float32)."""
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype == np.float16:
        return in_float32(cumsum, x, dim)
    d = wrap_dim(dim, x.ndim, "cumsum")
    return Cumsum.apply(x, d) if x.ndim else x.clone()  # NumPy's cumsum of a 0-d array is 1-d


def running(ufunc: str, x, axis: int):
    """``numpy.<ufunc>.accumulate`` (a running maximum, a running log-sum-exp) on x's device; on the host
    where the CuPy installed has no ``accumulate`` for that ufunc."""
    xp = array_module_of(x)
    try:
        return getattr(xp, ufunc).accumulate(x, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        return xp.asarray(getattr(np, ufunc).accumulate(to_device(x, CPU), axis=axis))


def _running_extreme_indices(x, dim: int, largest: bool):
    """For each position i along ``dim``, the index of the running max (min) of x_0 ... x_i.

    As in PyTorch, a later element equal to the running extreme takes over the index, and a nan
    counts as the extreme from where it appears (each later nan taking over in turn). Positions
    where x equals its running extreme (or is nan) are "records"; each output index is the last
    record so far, a running maximum of the record positions.
    """
    xp = array_module_of(x)
    extreme = running("maximum" if largest else "minimum", x, dim)
    record = x == extreme
    if x.dtype.kind == "f":
        record |= xp.isnan(x)
    shape = [1] * x.ndim
    shape[dim] = x.shape[dim]
    positions = xp.arange(x.shape[dim], dtype="int64").reshape(shape)
    return running("maximum", xp.where(record, positions, 0), dim)


def _cumulative_extreme(input: Tensor, dim: int, largest: bool, name: str):
    from .indexing import gather

    d = wrap_dim(dim, input.ndim, name)
    result = _CumMax if largest else _CumMin
    if input.ndim == 0:
        xp = array_module_of(input._data)
        return result(input * 1 if input.requires_grad else input.clone(), Tensor._make(xp.zeros((), "int64")))
    indices = Tensor._make(_running_extreme_indices(input._data, d, largest))
    return result(gather(input, d, indices), indices)


def cummax(input: Tensor, dim: int):
    """(values, indices): the running maximum along ``dim`` and where each was found.

    Ties take the later index; nan propagates. Gradients go to the element each value came from.
    """
    return _cumulative_extreme(input, dim, True, "cummax")


def cummin(input: Tensor, dim: int):
    """(values, indices): the running minimum along ``dim`` and where each was found."""
    return _cumulative_extreme(input, dim, False, "cummin")


# ---------------------------------------------------------------------------- linear recurrences
def shifted(t: Tensor, dim: int, step: int, fill=0) -> Tensor:
    """``t`` moved one place along ``dim``, ``fill`` entering: step +1 gives out_k = t_{k-1}
    (out_0 = fill), step -1 gives out_k = t_{k+1} (the last is fill)."""
    from .join import cat, narrow

    n = t.shape[dim]
    edge_shape = list(t.shape)
    edge_shape[dim] = 1
    edge = Tensor._make(array_module_of(t._data).full(edge_shape, fill, dtype=t.dtype))
    if step > 0:
        return cat([edge, narrow(t, dim, 0, n - 1)], dim)
    return cat([narrow(t, dim, 1, n - 1), edge], dim)


def linear_recurrence_arrays(b, a, dim: int, reverse: bool):
    """Raw arrays: all h_k of h_k = b_k + a_k h_{k-1} (h_{-1} = 0) along ``dim``, by log2(n) rounds of
    doubling (a Hillis-Steele scan).

    After the round with offset k, position t holds the composition of the steps t-2k+1..t (or from
    0): its pair (A_t, B_t) maps h_{t-2k} to h_t. Combining with the pair k places earlier,
        B_t <- A_t * B_{t-k} + B_t,     A_t <- A_t * A_{t-k},
    doubles the span. When the span covers 0, B_t is h_t itself. The right-hand sides are evaluated
    into new arrays before assignment, so no entry reads a value already updated in the same round.
    """
    xp = array_module_of(b)
    if reverse:  # h_k = b_k + a_k h_{k+1}: the same scan on the flipped sequence
        a, b = xp.flip(a, dim), xp.flip(b, dim)
    a = xp.array(a, copy=True)
    b = xp.array(b, copy=True)
    n, lead, offset = b.shape[dim], (slice(None),) * dim, 1
    while offset < n:
        later, earlier = lead + (slice(offset, None),), lead + (slice(0, n - offset),)
        b[later] = a[later] * b[earlier] + b[later]
        a[later] = a[later] * a[earlier]
        offset *= 2
    return xp.flip(b, dim).copy() if reverse else b


class LinearScan(Op):
    """The first-order linear recurrence along ``dim``:

        h_k = b_k + a_k h_{k-1}   (h_{-1} = 0),     or, with ``reverse``,   h_k = b_k + a_k h_{k+1}.

    Forward: a parallel scan, log2(n) whole-array rounds (``linear_recurrence_arrays``).
    Backward: the adjoint runs the other way, lam_k = g_k + a_{k+1} lam_{k+1} (a reverse scan of the
    gradient with the coefficients moved one place); then dL/db = lam and dL/da_k = lam_k h_{k-1}.
    The backward is the same op, so derivatives of every order work.
    """

    @staticmethod
    def forward(ctx, b, a, dim, reverse):
        b, a = promote(b, a)
        h = linear_recurrence_arrays(b, a, dim, reverse)
        ctx.dim, ctx.reverse = dim, reverse
        ctx.save_for_backward(a, h)
        return h

    @staticmethod
    def backward(ctx, grad):
        a, h = ctx.saved_tensors
        dim, reverse = ctx.dim, ctx.reverse
        toward = +1 if reverse else -1  # where the adjoint's coefficient comes from
        lam = LinearScan.apply(grad, shifted(a, dim, toward), dim, not reverse)
        need_b, need_a = ctx.needs_input_grad[:2]
        return (lam if need_b else None), (lam * shifted(h, dim, -toward) if need_a else None)


# ---------------------------------------------------------------------------- logcumsumexp
class LogCumSumExp(Op):
    """y_i = log sum_{j <= i} e^(x_j) along ``dim`` (accumulated pairwise by logaddexp: no overflow);

    dL/dx_j = sum_{i >= j} g_i e^(x_j - y_i) = e^(x_j - y_j) S_j,  S_j = sum_{i >= j} g_i e^(y_j - y_i).

    Written as e^(x_j) times a sum of g_i e^(-y_i) it would overflow for very negative y. Here every
    exponent is <= 0 (y never decreases), and S obeys S_j = g_j + e^(y_j - y_{j+1}) S_{j+1}: a linear
    recurrence run from the end, with coefficients in (0, 1].
    """

    @staticmethod
    def forward(ctx, x, dim):
        y = running("logaddexp", x, dim)
        ctx.dim = dim
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        from .join import cat, narrow
        from .unary import exp

        x, y = ctx.saved_tensors
        dim, n = ctx.dim, x.shape[ctx.dim]
        end_shape = list(y.shape)
        end_shape[dim] = 1
        # the coefficients e^(y_j - y_{j+1}); a 1 after the last position, where none is used
        steps = [narrow(y, dim, 0, n - 1) - narrow(y, dim, 1, n - 1)] if n > 1 else []
        steps.append(Tensor._make(array_module_of(y._data).zeros(end_shape, dtype=y.dtype)))
        decay = exp(cat(steps, dim))
        return exp(x - y) * LinearScan.apply(grad, decay, dim, True)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` computed stably (float tensors only, as in PyTorch)."""
    if input.dtype.kind != "f":
        raise NotImplementedError(f"logcumsumexp: expected a floating point tensor, got {input.dtype}")
    d = wrap_dim(dim, input.ndim, "logcumsumexp")
    if input.ndim == 0:
        return input * 1 if input.requires_grad else input.clone()
    return LogCumSumExp.apply(input, d)
