"""``local_response_norm``: each channel divided by the energy of its neighbouring channels (AlexNet).

For input (N, C, *) and a window of ``size`` channels around channel c::

    y[:, c] = x[:, c] / (k + alpha / size * sum_{c' in window(c)} x[:, c']^2) ^ beta

window(c) = c - size//2 .. c + (size-1)//2, channels outside 0..C-1 counting as zero (so the sum
is always divided by ``size``, as PyTorch's zero-padded average does).

It is built from tinynn ops (a zero-padded channel axis summed over ``size`` shifted slices), so
autograd derives the gradient: the same composite PyTorch differentiates.
"""
from __future__ import annotations

from ...creation import zeros
from ...ops.join import cat
from ...tensor import Tensor

__all__ = ["local_response_norm"]


def channel_window_sum(squares: Tensor, size: int) -> Tensor:
    """s[:, c] = sum of squares[:, c'] for c' in c - size//2 .. c + (size-1)//2 (zero outside)."""
    n, channels, rest = squares.shape[0], squares.shape[1], tuple(squares.shape[2:])
    like = {"dtype": squares.dtype, "device": squares.device}
    padded = cat([zeros((n, size // 2) + rest, **like), squares, zeros((n, (size - 1) // 2) + rest, **like)], dim=1)
    total = padded[:, 0:channels]
    for offset in range(1, size):
        total = total + padded[:, offset:offset + channels]
    return total


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Normalize each channel by its ``size`` neighbouring channels. input: (N, C, *), at least 3-d."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if not isinstance(size, int) or size < 1:
        raise RuntimeError(f"local_response_norm: size (the number of channels in a window) must be a positive "
                           f"int, got {size!r}")
    if input.numel() == 0:
        return input
    div = (channel_window_sum(input * input, size) * (alpha / size) + k) ** beta
    return input / div
