"""Resampling one axis at a time: the linear maps behind ``F.interpolate`` and non-constant padding.

Every resize ``F.interpolate`` does (nearest, nearest-exact, linear, cubic, area) and every padding
mode other than constant (reflect, replicate, circular) is *separable*: the 2-d or 3-d map is a
1-d map applied along each spatial axis in turn. A 1-d map from n inputs to m outputs is a sparse
m x n matrix A with a few non-zeros per row, stored as K *taps* per output position::

    y[..., i, ...] = sum_k  weight[i, k] * x[..., index[i, k], ...]        (i < m, along ``axis``)

    nearest, padding: K = 1, weight 1     linear: K = 2     cubic: K = 4     area: K = widest window

An index equal to n reads an implicit zero (it fills the rows that have fewer taps than K).

y is linear in x, so dL/dx = A^T dL/dy: a map of the same kind whose taps are A's transposed (input
position j collects every (i, weight[i, k]) with index[i, k] == j). The backward of ``AxisTaps`` is
therefore ``AxisTaps`` again, and so is every higher derivative.

The taps below follow PyTorch's index arithmetic (``area_pixel_compute_source_index`` and friends),
computed in the precision PyTorch computes them in (float32 for float32 and float16 inputs, float64
for float64), so that the same output pixel reads the same input pixels with the same weights.
"""
from __future__ import annotations

import functools

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of


class Taps:
    """A sparse m x n matrix as ``index`` (m, K) int64 and ``weight`` (m, K), or weight None (all 1, K = 1)."""

    def __init__(self, index: np.ndarray, weight, n: int):
        self.index, self.weight, self.n = index, weight, n
        self.m = index.shape[0]
        self.reads_zero = bool((index == n).any())
        self._transposed = None

    def transposed(self) -> "Taps":
        """A^T as taps: for each input position j, every output row i that reads it (and the weight)."""
        if self._transposed is None:
            m, k = self.index.shape
            rows = np.repeat(np.arange(m), k)
            cols = self.index.ravel()
            weights = np.ones(m * k) if self.weight is None else self.weight.ravel()
            keep = cols < self.n                         # implicit zeros have no adjoint
            order = np.argsort(cols[keep], kind="stable")
            rows, cols, weights = rows[keep][order], cols[keep][order], weights[keep][order]
            counts = np.bincount(cols, minlength=self.n)
            width = max(int(counts.max(initial=0)), 1)
            slot = np.arange(cols.size) - (np.cumsum(counts) - counts)[cols]   # place within its row
            index = np.full((self.n, width), m, dtype=np.int64)
            weight = np.zeros((self.n, width))
            index[cols, slot], weight[cols, slot] = rows, weights
            pure_gather = self.weight is None and width == 1 and bool((counts == 1).all())
            self._transposed = Taps(index, None if pure_gather else weight, m)
            self._transposed._transposed = self
        return self._transposed


class AxisTaps(Op):
    """y[.., i, ..] = sum_k weight[i, k] * x[.., index[i, k], ..] along ``axis``;  dL/dx = A^T dL/dy.

    A^T is ``taps.transposed()``, so the backward is this op again (of any order).
    """

    @staticmethod
    def forward(ctx, x, axis, taps):
        ctx.axis, ctx.taps = axis, taps
        xp = array_module_of(x)
        if taps.reads_zero:   # an extra zero slot at position n along the axis
            zero = xp.zeros(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype)
            x = xp.concatenate([x, zero], axis=axis)
        index = xp.asarray(taps.index)
        if taps.weight is None:
            return xp.take(x, index[:, 0], axis=axis)
        # float16 is resampled in float32 and rounded once at the end (PyTorch's opmath type)
        work = x.dtype if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else xp.float32
        weight = xp.asarray(taps.weight, dtype=work).reshape(taps.weight.shape + (1,) * (x.ndim - axis - 1))
        y = weight[:, 0] * xp.take(x, index[:, 0], axis=axis).astype(work, copy=False)
        for k in range(1, index.shape[1]):
            y += weight[:, k] * xp.take(x, index[:, k], axis=axis)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return AxisTaps.apply(grad, ctx.axis, ctx.taps.transposed())


def apply_taps(x, axis: int, taps: Taps):
    """``x`` resampled along ``axis`` by ``taps`` (nothing to do for the identity map)."""
    if taps.weight is None and taps.m == taps.n and not taps.reads_zero and \
            bool((taps.index[:, 0] == np.arange(taps.n)).all()):
        return x
    return AxisTaps.apply(x, axis, taps)


# ---------------------------------------------------------------------------- PyTorch's index arithmetic
def _real(dtype) -> type:
    """The precision PyTorch computes source positions in: float64 for float64, float32 otherwise."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def source_scale(n_in: int, n_out: int, align_corners: bool, scale, real=np.float64):
    """Input pixels per output pixel: (n_in - 1)/(n_out - 1) aligning corners, else 1/scale or n_in/n_out."""
    if align_corners:
        return real(n_in - 1) / real(n_out - 1) if n_out > 1 else real(0)
    if scale is not None and scale > 0:
        return real(1.0 / scale)
    return real(n_in) / real(n_out)


def source_positions(n_in: int, n_out: int, align_corners: bool, scale, real, cubic: bool) -> np.ndarray:
    """Where output pixel i samples the input (in input pixels).

    Aligning corners, pixel centres sit at 0 .. n-1 on both sides: src = ratio * i. Otherwise pixels
    are unit cells and their centres map onto each other: src = ratio * (i + 1/2) - 1/2, clamped at
    0 except for cubic (whose taps are clamped instead).
    """
    ratio = source_scale(n_in, n_out, align_corners, scale, real)
    i = np.arange(n_out, dtype=real)
    if align_corners:
        return ratio * i
    src = ratio * (i + real(0.5)) - real(0.5)
    return src if cubic else np.maximum(src, real(0))


def _frozen(*arrays):
    for a in arrays:
        if a is not None:
            a.flags.writeable = False
    return arrays


@functools.lru_cache(maxsize=256)
def nearest_taps(n_in: int, n_out: int, scale, exact: bool, shortcuts: bool = False) -> Taps:
    """'nearest': src = floor(i * ratio); 'nearest-exact': floor((i + 1/2) * ratio); both capped at n-1.

    PyTorch computes these in float32 whatever the dtype. Its 2-d 'nearest' kernel (only that one)
    takes two shortcuts first, whatever the scale factor said: the same size copies, twice the size
    reads pixel i // 2 (``shortcuts``).
    """
    ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
    i = np.arange(n_out, dtype=np.float32)
    src = np.floor((i + np.float32(0.5)) * ratio if exact else i * ratio).astype(np.int64)
    if shortcuts and n_out in (n_in, 2 * n_in):
        src = np.arange(n_out) // (n_out // n_in)
    index = np.minimum(src, n_in - 1)[:, None]
    return Taps(*_frozen(index, None), n_in)


@functools.lru_cache(maxsize=256)
def linear_taps(n_in: int, n_out: int, align_corners: bool, scale, real) -> Taps:
    """Two taps: x[i0] * (1 - t) + x[i1] * t with i0 = floor(src), t = src - i0 (i1 = i0 + 1, capped).

    Same size: a copy (PyTorch's shortcut, whatever the scale factor said).
    """
    if n_in == n_out:
        i = np.arange(n_in)
        index, weight = np.stack([i, i], 1), np.stack([np.ones(n_in), np.zeros(n_in)], 1).astype(real)
        return Taps(*_frozen(index, weight), n_in)
    src = source_positions(n_in, n_out, align_corners, scale, real, cubic=False)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(real), real(0), real(1))
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    index, weight = np.stack([i0, i1], 1), np.stack([real(1) - t, t], 1)
    return Taps(*_frozen(index, weight), n_in)


def cubic_weights(t) -> tuple:
    """Keys' cubic convolution weights (a = -0.75) of the 4 taps at offsets -1, 0, 1, 2 from floor(src).

    W(d) = (a+2)|d|^3 - (a+3)|d|^2 + 1 for |d| <= 1;  a|d|^3 - 5a|d|^2 + 8a|d| - 4a for 1 < |d| < 2.
    Plain arithmetic: t may be an array (interpolate's taps) or a Tensor (grid_sample's weights).
    """
    a = -0.75
    near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1              # noqa: E731
    far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a        # noqa: E731
    return far(t + 1), near(t), near(1 - t), far(2 - t)


@functools.lru_cache(maxsize=256)
def cubic_taps(n_in: int, n_out: int, align_corners: bool, scale, real) -> Taps:
    """Four taps at floor(src) - 1 .. floor(src) + 2 (clamped to the edge), Keys' cubic weights."""
    src = source_positions(n_in, n_out, align_corners, scale, real, cubic=True)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(real), real(0), real(1))
    index = np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return Taps(*_frozen(index, np.stack(cubic_weights(t), 1)), n_in)


@functools.lru_cache(maxsize=256)
def area_taps(n_in: int, n_out: int) -> Taps:
    """Mean of window i = [floor(i*n/m), ceil((i+1)*n/m)) (adaptive average pooling's windows)."""
    i = np.arange(n_out)
    start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
    width = int((end - start).max(initial=1))
    index = start[:, None] + np.arange(width)
    inside = index < end[:, None]
    index = np.where(inside, index, n_in)       # narrower windows read zeros in their spare taps
    weight = inside / (end - start)[:, None]
    return Taps(*_frozen(index, weight), n_in)


def resize(x, sizes: tuple, mode: str, align_corners: bool, scales: tuple):
    """Resample the last len(sizes) axes of ``x`` to ``sizes``, one axis at a time.

    mode: 'nearest', 'nearest-exact', 'linear' (also bilinear, trilinear), 'cubic' or 'area'.
    ``scales`` holds the user's scale factor per axis (or None), which PyTorch's arithmetic uses
    instead of the size ratio when it was given.
    """
    real = _real(x.dtype)
    first = x.ndim - len(sizes)
    for axis, (n_out, scale) in enumerate(zip(sizes, scales), start=first):
        n_in = x.shape[axis]
        scale = None if scale is None else float(scale)
        if mode in ("nearest", "nearest-exact"):
            taps = nearest_taps(n_in, n_out, scale, mode == "nearest-exact", mode == "nearest" and len(sizes) == 2)
        elif mode == "linear":
            taps = linear_taps(n_in, n_out, bool(align_corners), scale, real)
        elif mode == "cubic":
            taps = cubic_taps(n_in, n_out, bool(align_corners), scale, real)
        else:
            taps = area_taps(n_in, n_out)
        x = apply_taps(x, axis, taps)
    return x
