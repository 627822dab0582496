"""Vision functions: pad, interpolate (and the deprecated upsample names), pixel_shuffle/unshuffle.

PyTorch's signatures, defaults and rules. The arithmetic lives in ``tinynn/ops/padding.py`` (the
padding modes) and ``tinynn/ops/resample.py`` (every resize as one small linear map per axis);
this file checks the arguments and picks the map, with errors saying what was expected and what came.

Deliberate differences from PyTorch: ``mode='nearest'`` (a pure copy) also accepts integer and bool
tensors, which PyTorch refuses for most integer types; the other modes need floating point (PyTorch
also runs bilinear on uint8, rounding). ``antialias=True`` is not implemented (NotImplementedError).
A circular pad longer than what is left of the dim after a negative pad on its other side is refused
(PyTorch returns memory it never wrote there).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...ops.padding import pad_constant, pad_mode
from ...ops.resample import resize
from ...tensor import Tensor

__all__ = ["interpolate", "pad", "pixel_shuffle", "pixel_unshuffle", "upsample", "upsample_bilinear",
           "upsample_nearest"]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _check_tensor(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")


def _is_int(value) -> bool:
    if isinstance(value, Tensor):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------- pad
def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad ``input``: ``pad`` = (left, right) for the last dim, then (top, bottom) for the one before, ...

    mode 'constant' pads any number of dims with ``value`` (default 0). 'reflect', 'replicate' and
    'circular' pad the last 1, 2 or 3 dims of a batched or unbatched input: len(pad) = 2 for 2-d or
    3-d input, 4 for 3-d or 4-d, 6 for 4-d or 5-d. Negative entries crop. Reflect pads must be smaller
    than the dim; circular pads at most the dim (wrapping around once).
    """
    _check_tensor(input, "pad")
    if isinstance(pad, Tensor) or not isinstance(pad, (list, tuple)):
        raise TypeError(f"pad: pad must be a tuple of ints, got {type(pad).__name__}")
    if not all(_is_int(p) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {tuple(pad)!r}")
    pad = [int(p) for p in pad]
    if not isinstance(mode, str):
        raise TypeError(f"pad: mode must be a string, got {type(mode).__name__}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected one of {_PAD_MODES}")
    if mode == "constant":
        return pad_constant(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take a value argument (got value={value})")
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be even (a (before, after) pair per dim), got {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"pad: padding length must be at most 2 * ndim = {2 * input.ndim} for an input of "
                           f"shape {tuple(input.shape)}, got {len(pad)}")
    dims = len(pad) // 2
    if dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: {mode} padding with {len(pad)} values is not supported for a {input.ndim}-d input. "
            "Non-constant padding pads the last 1, 2 or 3 dims of an input with one or two more dims: "
            "2 values for 2-d or 3-d input, 4 for 3-d or 4-d, 6 for 4-d or 5-d"
        )
    batched = input.ndim == dims + 2
    if mode != "circular" and any(s == 0 for s in input.shape[int(batched):]):
        raise RuntimeError(
            f"pad: {mode} padding needs non-empty dimensions apart from the batch, got input of shape "
            f"{tuple(input.shape)}"
        )
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(dims))]   # first padded dim first
    if dims == 1 and mode != "circular" and input.shape[-1] + sum(pairs[0]) < 1:
        raise RuntimeError(f"pad: input of width {input.shape[-1]} padded by {pairs[0]} leaves no elements")
    return pad_mode(input, pairs, mode, "pad")


# ---------------------------------------------------------------------------- interpolate
_DIMS_OF_MODE = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_KIND = {"nearest": "nearest", "nearest-exact": "nearest-exact", "area": "area", "linear": "linear",
         "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}


def _output_geometry(input: Tensor, size, scale_factor, recompute_scale_factor, mode: str):
    """(output sizes, scale factors the arithmetic uses (None where it uses the size ratio))."""
    dims = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: give either size or scale_factor, not both")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor must be given")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dims
        if isinstance(size, (list, tuple)) and len(sizes) != dims:
            raise ValueError(
                f"interpolate: the input has {dims} spatial dims {spatial} but size {list(size)} has {len(sizes)}; "
                "give input as (N, C, d1, ..., dK) and size as (o1, ..., oK)"
            )
        if not all(_is_int(s) for s in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        return [int(s) for s in sizes], [None] * dims
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dims
    if isinstance(scale_factor, (list, tuple)) and len(scales) != dims:
        raise ValueError(
            f"interpolate: the input has {dims} spatial dims {spatial} but scale_factor {list(scale_factor)} "
            f"has {len(scales)}; give scale_factor as (s1, ..., sK)"
        )
    if not all(isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, bool) for s in scales):
        raise TypeError(f"interpolate: scale_factor must be a number or a tuple of numbers, got {scale_factor!r}")
    scales = [float(s) for s in scales]
    sizes = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
    if recompute_scale_factor or mode == "area":   # the arithmetic then uses the size ratio
        scales = [None] * dims
    return sizes, scales


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, d1[, d2[, d3]]) to ``size`` or by ``scale_factor``.

    modes: 'nearest', 'nearest-exact', 'area' (any 3-d to 5-d input), 'linear' (3-d), 'bilinear' and
    'bicubic' (4-d), 'trilinear' (5-d). ``align_corners`` (the interpolating modes only, default
    False) maps the corner pixels' centres onto each other instead of the images' outer edges. With
    ``scale_factor`` the output size is floor(n * scale_factor), and the pixel positions use
    1/scale_factor unless ``recompute_scale_factor`` asks for the ratio of the sizes.
    """
    _check_tensor(input, "interpolate")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(f"interpolate: align_corners can only be set with the interpolating modes "
                             f"linear | bilinear | bicubic | trilinear, not mode={mode!r}")
    elif align_corners is None:
        align_corners = False
    sizes, scales = _output_geometry(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
            raise ValueError("interpolate: antialias is for the bilinear and bicubic modes on 4-d input only")
        raise NotImplementedError("interpolate: antialias=True is not implemented in tinynn")
    dims = input.ndim - 2
    if mode not in _KIND or dims not in (1, 2, 3) or _DIMS_OF_MODE.get(mode, dims) != dims:
        if mode in _DIMS_OF_MODE and dims in (1, 2, 3):
            raise NotImplementedError(f"interpolate: got {input.ndim}-d input, but {mode} mode needs "
                                      f"{_DIMS_OF_MODE[mode] + 2}-d input")
        raise NotImplementedError(
            f"interpolate: supports 3-d, 4-d and 5-d input with the modes nearest | nearest-exact | area | "
            f"linear (3-d) | bilinear | bicubic (4-d) | trilinear (5-d); got {input.ndim}-d input and mode={mode!r}"
        )
    spatial = tuple(input.shape[2:])
    if any(n <= 0 for n in spatial) or any(s < 0 or (s == 0 and mode != "area") for s in sizes):
        raise RuntimeError(f"interpolate: input and output sizes must be greater than 0, got input {spatial} "
                           f"and output {tuple(sizes)}")
    if _KIND[mode] not in ("nearest", "nearest-exact") and not input.is_floating_point():
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a floating-point input, got {input.dtype}")
    return resize(input, tuple(sizes), _KIND[mode], align_corners, tuple(scales))


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated name of ``interpolate`` (warns, as PyTorch does)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------- pixel shuffle
def _check_factor(factor, name: str, what: str) -> int:
    if not _is_int(factor):
        raise TypeError(f"{name}: {what} must be an int, got {factor!r}")
    if int(factor) <= 0:
        raise RuntimeError(f"{name}: {what} must be positive, got {int(factor)}")
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channel block (i, j) of each pixel becomes sub-pixel (i, j).

    y[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]: a reshape and a permute (ESPCN's
    sub-pixel convolution layer), so its gradient is the inverse rearrangement.
    """
    _check_tensor(input, "pixel_shuffle")
    r = _check_factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle: expected input of at least 3 dims (*, C, H, W), "
                           f"got shape {tuple(input.shape)}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle: the channel dim {c} (input.size(-3)) is not divisible by "
                           f"upscale_factor^2 = {r * r}")
    n = len(batch)
    y = input.reshape(*batch, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)        # (*, C, H, r, W, r)
    return y.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    _check_tensor(input, "pixel_unshuffle")
    r = _check_factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle: expected input of at least 3 dims (*, C, H, W), "
                           f"got shape {tuple(input.shape)}")
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle: height {h} and width {w} (input.size(-2), input.size(-1)) must be "
                           f"divisible by downscale_factor {r}")
    n = len(batch)
    y = input.reshape(*batch, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)        # (*, C, r, r, H/r, W/r)
    return y.reshape(*batch, c * r * r, h // r, w // r)
