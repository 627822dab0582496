"""Convolutions as functions: conv1d/2d/3d, conv_transpose1d/2d/3d (PyTorch's signatures).

The arithmetic lives in ``tinynn/ops/conv.py`` (im2col + one matrix product, and its adjoints);
this file turns PyTorch's arguments (ints or tuples, ``'same'``/``'valid'``, unbatched input)
into that op's geometry (one entry per spatial dim: the op serves 1, 2 and 3 dims alike) and
checks them, with errors that say what was expected and what came. ``pad_for_conv`` does the
padding modes other than zeros (``'reflect'``, ``'replicate'``, ``'circular'``) as an integer-index
gather, whose backward sums the gradient of each copied element back into its source.
"""
from __future__ import annotations

import numpy as np

from ...ops.padding import pad_mode
from ...ops.conv import Convolution, ConvGeometry, ConvInputGrad
from ...tensor import Tensor
from ...autograd.function import autocast_off

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def expand_param(value, n: int, name: str, what: str) -> tuple:
    """An int or a sequence of ``n`` ints -> a tuple of ``n`` ints (PyTorch's ``_pair``/``_single``)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    values = tuple(value)
    if len(values) == 1 and n > 1:
        values = values * n
    if len(values) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{name}: {what} must be an int or a sequence of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def same_padding(kernel: tuple, dilation: tuple) -> tuple:
    """'same' padding per dim as (before, after): total d*(k-1), the odd extra element after."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def resolve_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, name: str,
                    error: type = RuntimeError) -> tuple:
    """``padding`` (int, tuple, 'valid' or 'same') -> ((before, after), ...) for each spatial dim.

    ``error``: the exception PyTorch raises for a bad padding, RuntimeError from the functions and
    ValueError from a layer's constructor.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise error(f"{name}: padding='same' is not supported for strided convolutions (stride={stride})")
            return same_padding(kernel, dilation)
        raise error(f"{name}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    pads = expand_param(padding, n, name, "padding")
    if any(p < 0 for p in pads):
        raise error(f"{name}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pads)


def _positive(values: tuple, name: str, what: str) -> tuple:
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{name}: {what} must be positive, got {values}")
    return values


def _check_operands(input: Tensor, weight: Tensor, bias, dims: int, name: str) -> None:
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{name}: expected {dims + 1}-d (unbatched) or {dims + 2}-d (batched) input, "
            f"got input of shape {tuple(input.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 2}-d weight, got weight of shape {tuple(weight.shape)}")
    if autocast_off() and (input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype)):
        raise RuntimeError(
            f"{name}: input ({input.dtype}), weight ({weight.dtype})"
            + (f" and bias ({bias.dtype})" if bias is not None else "") + " must have the same dtype"
        )


def _batched(input: Tensor, dims: int):
    """(input with a batch dim, whether one was added): unbatched input is a batch of one."""
    return (input.unsqueeze(0), True) if input.ndim == dims + 1 else (input, False)


def _convolution(input, weight, bias, stride, padding, dilation, groups, dims: int, name: str) -> Tensor:
    _check_operands(input, weight, bias, dims, name)
    kernel = tuple(weight.shape[2:])
    stride = _positive(expand_param(stride, dims, name, "stride"), name, "stride")
    dilation = _positive(expand_param(dilation, dims, name, "dilation"), name, "dilation")
    pads = resolve_padding(padding, kernel, stride, dilation, name)
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    x, unbatched = _batched(input, dims)
    out_channels, in_per_group = weight.shape[:2]
    if out_channels % groups:
        raise RuntimeError(f"{name}: out_channels (weight.shape[0] = {out_channels}) must be divisible by groups={groups}")
    if x.shape[1] != in_per_group * groups:
        raise RuntimeError(
            f"{name}: groups={groups}, weight of shape {tuple(weight.shape)} expects input with "
            f"{in_per_group * groups} channels, but got input of shape {tuple(input.shape)} "
            f"({x.shape[1]} channels)"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{name}: expected bias of shape ({out_channels},), got {tuple(bias.shape)}")
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(
            f"{name}: the padded input is {' x '.join(map(str, padded))} per channel but the (dilated) "
            f"kernel spans {' x '.join(map(str, reach))}: the kernel can't be larger than the padded input"
        )
    y = Convolution.apply(x, weight, bias, ConvGeometry(stride, pads, dilation, int(groups)))
    return y.squeeze(0) if unbatched else y


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation). input: (N, C, L) or (C, L); weight: (O, C/groups, k)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation). input: (N, C, H, W) or (C, H, W); weight: (O, C/groups, kh, kw).

    y[n, o, i, j] = bias[o] + sum_{c, a, e} weight[o, c, a, e] * xpad[n, g(o)*C/groups + c, i*sh + a*dh, j*sw + e*dw]
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-d convolution (cross-correlation) over volumes or video clips.

    input: (N, C, D, H, W) or (C, D, H, W); weight: (O, C/groups, kd, kh, kw). As conv2d, with the
    depth offset a in front:  y[n, o, i, j, l] = bias[o] + sum_{c, a, e, f} weight[o, c, a, e, f]
    * xpad[n, c', i*sd + a*dd, j*sh + e*dh, l*sw + f*dw]
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


# ---------------------------------------------------------------------------- transposed
def transposed_output_size(in_size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                           output_padding: tuple, dilation: tuple) -> tuple:
    """H_out = (H - 1)*s - 2p + d*(k - 1) + output_padding + 1, per spatial dim."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(in_size, kernel, stride, padding, output_padding, dilation))


def _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, dims: int, name: str):
    _check_operands(input, weight, bias, dims, name)
    if isinstance(padding, str):
        raise TypeError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
    kernel = tuple(weight.shape[2:])
    stride = _positive(expand_param(stride, dims, name, "stride"), name, "stride")
    dilation = _positive(expand_param(dilation, dims, name, "dilation"), name, "dilation")
    pads = expand_param(padding, dims, name, "padding")
    output_padding = expand_param(output_padding, dims, name, "output_padding")
    if any(p < 0 for p in pads + output_padding):
        raise RuntimeError(f"{name}: padding and output_padding must be non-negative, got {pads} and {output_padding}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"{name}: output_padding {output_padding} must be smaller than either stride {stride} or dilation {dilation}"
        )
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    x, unbatched = _batched(input, dims)
    in_channels, out_per_group = weight.shape[:2]
    if in_channels % groups:
        raise RuntimeError(f"{name}: in_channels (weight.shape[0] = {in_channels}) must be divisible by groups={groups}")
    if x.shape[1] != in_channels:
        raise RuntimeError(
            f"{name}: weight of shape {tuple(weight.shape)} expects input with {in_channels} channels, "
            f"but got input of shape {tuple(input.shape)} ({x.shape[1]} channels)"
        )
    if bias is not None and tuple(bias.shape) != (out_per_group * groups,):
        raise RuntimeError(f"{name}: expected bias of shape ({out_per_group * groups},), got {tuple(bias.shape)}")
    out_size = transposed_output_size(x.shape[2:], kernel, stride, pads, output_padding, dilation)
    if any(s < 1 for s in out_size):
        raise RuntimeError(f"{name}: the output size {out_size} is too small (input {tuple(input.shape)}, padding {pads})")
    geometry = ConvGeometry(stride, tuple((p, p) for p in pads), dilation, int(groups))
    y = ConvInputGrad.apply(x, weight, bias, geometry, out_size)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution. input: (N, C_in, L) or (C_in, L); weight: (C_in, C_out/groups, k)."""
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                       "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution: the gradient of conv2d w.r.t. its input, used as a layer.

    input: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out/groups, kh, kw);
    output: (N, C_out, H_out, W_out) with H_out = (H - 1)*s - 2p + d*(kh - 1) + output_padding + 1.
    """
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                       "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution: the gradient of conv3d w.r.t. its input, used as a layer.

    input: (N, C_in, D, H, W) or (C_in, D, H, W); weight: (C_in, C_out/groups, kd, kh, kw);
    output: (N, C_out, D_out, H_out, W_out), each size (n - 1)*s - 2p + d*(k - 1) + output_padding + 1.
    """
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                       "conv_transpose3d")


# ---------------------------------------------------------------------------- padding modes
def pad_for_conv(x: Tensor, pads: tuple, mode: str, name: str = "conv") -> Tensor:
    """Pad the last len(pads) dims of x by ``pads`` ((before, after) per dim) in ``mode``.

    mode: 'reflect', 'replicate' or 'circular': F.pad's modes (tinynn/ops/padding.py), each padded
    axis one gather whose backward adds every copy's gradient back into the element it came from.
    """
    return pad_mode(x, pads, mode, name)
