"""``rms_norm``: divide each sample by the root mean square of its trailing dims (LLaMA-style models).

    y = x / sqrt(mean(x^2 over the normalized dims) + eps) * weight

The op (forward, backward and the derivation) is ``RMSNormalize`` in ``tinynn/ops/normalization.py``; this file checks the
arguments and picks the precision.
"""
from __future__ import annotations

import numpy as np

from ...dtypes import finfo
from ...ops.normalization import RMSNormalize
from ...tensor import Tensor

__all__ = ["rms_norm"]


def _shape_list(shape: tuple) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """RMS-normalize over the trailing ``normalized_shape`` dims. input: (*, *normalized_shape).

    weight: ``normalized_shape`` or None. ``eps=None`` means ``finfo(input.dtype).eps``, as in
    PyTorch. The result has the input's dtype; float16 input is computed in float32 (its squares
    would overflow float16 sums).
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={_shape_list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{_shape_list(tuple(input.shape))}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{_shape_list(tuple(weight.shape))} and normalized_shape = {_shape_list(shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"rms_norm: expected a floating point input, got {input.dtype}")
    if eps is None:
        eps = finfo(input.dtype).eps
    compute = np.dtype(np.float32) if input.dtype == np.float16 else input.dtype
    x = input if input.dtype == compute else input.to(compute)
    w = weight if weight is None or weight.dtype == compute else weight.to(compute)
    y = RMSNormalize.apply(x, w, k, float(eps))
    return y if y.dtype == input.dtype else y.to(input.dtype)
