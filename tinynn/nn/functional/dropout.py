"""Dropout: while training, zero each element (or each whole channel) with probability p.

Inverted dropout: the kept elements are scaled by 1 / (1 - p), so that E[y] = x and nothing has
to change at evaluation time, when dropout is the identity. The output is ``x * mask`` with
mask = keep / (1 - p), keep ~ Bernoulli(1 - p); its gradient is ``g * mask`` (the same mask).

Masks are drawn from tinynn's random generator on the host (``tinynn.manual_seed`` repeats them)
and moved to the tensor's device.

``inplace=True`` computes out of place and writes the result back into ``input`` (which it
returns), so to the caller it behaves as PyTorch's in-place dropout: same numbers, same object,
same errors for leaf tensors that require grad.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import backend
from ...random import numpy_generator
from ...tensor import Tensor

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout"]

# SELU's constants: alpha * scale, the value SELU saturates to for very negative inputs (negated).
_SELU_ALPHA_SCALE = 1.6732632423543772 * 1.0507009873554805


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, mask_shape: tuple, p: float):
    """A {0, 1} array of ``mask_shape`` in input's dtype and device: 1 with probability 1 - p."""
    draws = numpy_generator().random(mask_shape, dtype="float32")
    keep = np.array(draws >= p, dtype=input.dtype)  # P(u >= p) = 1 - p; np.array keeps 0-d an array
    return backend.to_device(keep, input.device)


def _apply(input: Tensor, inplace: bool, name: str, compute):
    """``compute(input)``, or the same written back into ``input`` when ``inplace``."""
    if inplace:
        return input._inplace(name, compute)
    return compute(input)


def _scaled_mask_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape, name: str) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    mask = _keep_mask(input, mask_shape, p)
    if p < 1:
        mask *= 1.0 / (1.0 - p)
    mask = Tensor._make(mask)
    return _apply(input, inplace, name, lambda x: x * mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (identity unless training)."""
    return _scaled_mask_dropout(input, p, training, inplace, input.shape, "dropout_")


def _channel_mask_shape(input: Tensor, spatial_dims: int, name: str) -> tuple:
    """(N, C, 1, ...) for batched input, (C, 1, ...) for unbatched: one draw per channel."""
    ndim = input.ndim
    if ndim not in (spatial_dims + 1, spatial_dims + 2):
        raise RuntimeError(
            f"{name}: Expected {spatial_dims + 1}D or {spatial_dims + 2}D input, but received a {ndim}D input. "
            f"{name} drops whole channels of inputs with {spatial_dims} spatial dim(s), a channel dim and an "
            "optional batch dim"
        )
    channel_dims = 2 if ndim == spatial_dims + 2 else 1
    return tuple(input.shape[:channel_dims]) + (1,) * spatial_dims


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L); each channel kept with probability 1 - p."""
    shape = _channel_mask_shape(input, 1, "dropout1d")
    return _scaled_mask_dropout(input, p, training, inplace, shape, "dropout1d_")


def _warn_unusual_rank(input: Tensor, name: str, spatial_dims: int) -> None:
    """PyTorch's deprecation warning for dropout2d/3d on an input of another rank (it still runs)."""
    if input.ndim not in (spatial_dims + 1, spatial_dims + 2):
        warnings.warn(
            f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will result in an "
            f"error in a future release. To retain the behavior and silence this warning, please use dropout "
            f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial_dims} "
            f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {spatial_dims + 1}D "
            f"or {spatial_dims + 2}D inputs).", stacklevel=3)


def _feature_mask_shape(input: Tensor, name: str) -> tuple:
    """(N, C, 1, ..., 1): one draw per (sample, channel), PyTorch's feature dropout."""
    if input.ndim < 2:
        raise RuntimeError(f"{name}: Feature dropout requires at least 2 dimensions in the input, got {input.ndim}")
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, H, W) or (C, H, W).

    As in PyTorch, a 3-d input is taken as (N, C, L) (with a warning) rather than (C, H, W), and an
    input of another rank is taken as (N, C, *) with a deprecation warning (a 2-d one: each element).
    """
    _warn_unusual_rank(input, "dropout2d", 2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
            "is desired - input is interpreted as shape (N, C, L); use dropout1d for that", stacklevel=2
        )
    shape = _feature_mask_shape(input, "dropout2d")
    return _scaled_mask_dropout(input, p, training, inplace, shape, "dropout2d_")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, D, H, W) or (C, D, H, W); another rank is taken as an
    unbatched (C, *) input, with PyTorch's deprecation warning."""
    _warn_unusual_rank(input, "dropout3d", 3)
    if input.ndim == 5:
        shape = _feature_mask_shape(input, "dropout3d")
    else:  # unbatched: the channels are dim 0
        if input.ndim < 1:
            raise RuntimeError("dropout3d: Feature dropout requires at least 2 dimensions in the input, got 0")
        shape = (input.shape[0],) + (1,) * (input.ndim - 1)
    return _scaled_mask_dropout(input, p, training, inplace, shape, "dropout3d_")


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape, name: str) -> Tensor:
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation value -alpha',
    then an affine map a*y + b restores zero mean and unit variance (Klambauer et al. 2017):

        a = ((1 - p)(1 + p alpha'^2))^(-1/2),   b = a alpha' p,
        y = a (keep * x - (1 - keep) alpha') + b  =  x * (a keep) + a alpha' (keep - 1 + p).
    """
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return _apply(input, inplace, name, lambda x: x * 0.0)
    keep = _keep_mask(input, mask_shape, p)
    a = ((1.0 - p) * (1.0 + p * _SELU_ALPHA_SCALE**2)) ** -0.5
    scale = Tensor._make(keep * a)
    shift = Tensor._make((keep - 1.0 + p) * (a * _SELU_ALPHA_SCALE))
    return _apply(input, inplace, name, lambda x: x * scale + shift)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of each element (keeps SELU activations at zero mean and unit variance)."""
    return _alpha_dropout(input, p, training, inplace, input.shape, "alpha_dropout_")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels: input (N, C, *)."""
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected an input with at least 2 dims (N, C, *), got {input.ndim}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, shape, "feature_alpha_dropout_")
