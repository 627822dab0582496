"""F.unfold (im2col) and F.fold (col2im): sliding blocks of an image as columns, and back.

    unfold: (N, C, H, W) -> (N, C*kh*kw, L)      column l = i*Wo + j holds block (i, j), row
                                                 c*kh*kw + a*kw + e its element xpad[c, i*sh + a*dh, j*sw + e*dw]
    fold:   (N, C*kh*kw, L) -> (N, C, H, W)      every column put back where unfold read it, overlaps summed

L = Ho*Wo with Ho = (H + 2*ph - dh*(kh - 1) - 1) // sh + 1 (Wo alike). fold is unfold's adjoint
(``fold(unfold(x))`` counts each pixel as often as blocks cover it), so each one's gradient is the
other. Both run as ``Windows`` (tinynn/ops/fold.py) along the height and then the width.
Unbatched input (C, H, W) / (C*kh*kw, L) is accepted, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ...ops.fold import Windows, WindowsAdjoint, window_count
from ...ops.padding import pad_constant
from ...tensor import Tensor

__all__ = ["fold", "unfold"]


def _pair(value, name: str, what: str) -> tuple:
    """An int or a sequence of 2 ints -> (int, int) (PyTorch's ``_pair``)."""
    values = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(values) != 2:
        raise RuntimeError(f"{name}: {what} must be an int or 2 ints, got {value!r}")
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{name}: {what} must be an int or a tuple of 2 ints, got {value!r}")
    return tuple(int(v) for v in values)


def _geometry(name: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel = _pair(kernel_size, name, "kernel_size")
    dilation, padding, stride = (_pair(dilation, name, "dilation"), _pair(padding, name, "padding"),
                                 _pair(stride, name, "stride"))
    for what, values in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        if min(values) <= 0:
            raise RuntimeError(f"{name}: {what} must be greater than zero, got {values}")
    if min(padding) < 0:
        raise RuntimeError(f"{name}: padding must be non-negative, got {padding}")
    return kernel, dilation, padding, stride


def _blocks(name: str, size: tuple, kernel, dilation, padding, stride) -> tuple:
    """(Ho, Wo), the number of block positions along each dim, checked to be at least one."""
    counts = tuple(window_count(n + 2 * p, k, s, d) for n, k, s, d, p in zip(size, kernel, stride, dilation, padding))
    if min(counts) < 1:
        raise RuntimeError(
            f"{name}: spatial size {size} with kernel_size={kernel}, dilation={dilation}, padding={padding} "
            f"and stride={stride} gives {counts} block positions; each must be at least one"
        )
    return counts


def _check_float(input: Tensor, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(input).__name__}")
    if not input.is_floating_point():
        raise NotImplementedError(f"{name}: needs a floating-point input, got {input.dtype}")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding kh x kw blocks of (N, C, H, W) (or (C, H, W)) as the columns of (N, C*kh*kw, L)."""
    _check_float(input, "unfold")
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(f"unfold: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input with non-zero C, H, W, "
                           f"got shape {tuple(input.shape)}")
    kernel, dilation, padding, stride = _geometry("unfold", kernel_size, dilation, padding, stride)
    _blocks("unfold", tuple(input.shape[-2:]), kernel, dilation, padding, stride)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    n, c = x.shape[:2]
    x = pad_constant(x, (padding[1], padding[1], padding[0], padding[0]))
    x = Windows.apply(x, 2, kernel[0], stride[0], dilation[0])        # (N, C, Ho, Wp, kh)
    x = Windows.apply(x, 3, kernel[1], stride[1], dilation[1])        # (N, C, Ho, Wo, kh, kw)
    ho, wo = x.shape[2:4]
    cols = x.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], ho * wo)
    return cols.squeeze(0) if input.ndim == 3 else cols


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns (N, C*kh*kw, L) (or (C*kh*kw, L)) summed back into an (N, C, H, W) image, H, W = output_size."""
    _check_float(input, "fold")
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(f"fold: expected a 2-d (C*kh*kw, L) or 3-d (N, C*kh*kw, L) input with non-zero "
                           f"sizes, got shape {tuple(input.shape)}")
    size = _pair(output_size, "fold", "output_size")
    kernel, dilation, padding, stride = _geometry("fold", kernel_size, dilation, padding, stride)
    ho, wo = _blocks("fold", size, kernel, dilation, padding, stride)
    cols = input.unsqueeze(0) if input.ndim == 2 else input
    n, rows, length = cols.shape
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(f"fold: input.size({input.ndim - 2}) = {rows} must be divisible by the product of "
                           f"kernel_size {kernel} = {kernel[0] * kernel[1]}")
    if length != ho * wo:
        raise RuntimeError(f"fold: output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding} "
                           f"and stride={stride} give {ho} * {wo} = {ho * wo} blocks, but input.size({input.ndim - 1}) "
                           f"= {length}")
    c = rows // (kernel[0] * kernel[1])
    x = cols.reshape(n, c, kernel[0], kernel[1], ho, wo).permute(0, 1, 4, 5, 2, 3)   # (N, C, Ho, Wo, kh, kw)
    x = WindowsAdjoint.apply(x, 3, kernel[1], stride[1], dilation[1], size[1] + 2 * padding[1])
    x = WindowsAdjoint.apply(x, 2, kernel[0], stride[0], dilation[0], size[0] + 2 * padding[0])
    x = pad_constant(x, (-padding[1], -padding[1], -padding[0], -padding[0]))
    return x.squeeze(0) if input.ndim == 2 else x
