"""Statistics of data: variance and standard deviation, nanmean, and the covariance and correlation
matrices of variables.

Each is written with differentiable tinynn ops (its gradient follows from theirs)::

    var(x)      = sum (x - mean)^2 / max(0, n - correction)
    cov(x)      = (x - mean) (x - mean)^T w / (sum w - correction)     x: (variables, observations)
    corrcoef(x) = cov(x)_ij / sqrt(cov(x)_ii cov(x)_jj)
"""
from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from ..tensor import Tensor
from .compare import isnan
from ..dims import reduce_dims
from .indexing import where
from .reduce import Norm2, in_float32, mean, sum

__all__ = ["corrcoef", "cov", "nanmean", "std", "std_mean", "var", "var_mean"]


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the non-NaN elements over ``dim`` (NaN where all are NaN, as 0 / 0)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected a floating point tensor, got {input.dtype}")
    present = ~isnan(input)
    total = sum(where(present, input, 0.0), dim, keepdim)
    return total / sum(present, dim, keepdim).to(input.dtype)


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns).

    input: (V, N) or (N,) (one variable). ``fweights``: integer frequency of each observation;
    ``aweights``: observation weights. With weights w = fweights * aweights, the mean is weighted
    and the divisor is sum(w) - correction * sum(w * aweights) / sum(w) (sum(w) - correction without
    aweights), as in NumPy and PyTorch. Returns a (V, V) matrix, or a 0-d tensor for one variable.
    """
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    x = x if x.dtype.kind == "f" else x.to(Tensor._make(x._data[:0].astype("float32")).dtype)
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1 or fweights.shape[0] != n or fweights.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to be a 1-d integer tensor of {n} observations, "
                               f"got {fweights.dtype} of shape {tuple(fweights.shape)}")
        if bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights.to(x.dtype)
    if aweights is not None:
        if aweights.ndim > 1 or aweights.shape[0] != n or aweights.dtype.kind != "f":
            raise RuntimeError(f"cov(): expected aweights to be a 1-d floating tensor of {n} observations, "
                               f"got {aweights.dtype} of shape {tuple(aweights.shape)}")
        if bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is None:
        total_weight = float(n)
        mean = sum(x, 1, keepdim=True) / n
        divisor = total_weight - correction
    else:
        total_weight = sum(w)
        mean = sum(x * w, 1, keepdim=True) / total_weight
        divisor = total_weight - (correction * sum(w * aweights) / total_weight if aweights is not None else correction)
    if float(divisor) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0", stacklevel=2)
    centered = x - mean
    weighted = centered if w is None else centered * w
    c = (weighted @ centered.mT) / divisor
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d[:, None] / d[None, :]).clamp(-1, 1)


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance: sum((x - mean)^2) / (n - correction); correction=1 (Bessel) unless unbiased=False."""
    return _moments(x, dim, unbiased, keepdim, correction, "var")


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: the square root of ``var`` with the same arguments."""
    return _moments(x, dim, unbiased, keepdim, correction, "std", root=True)


def var_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def _moments(x, dim, unbiased, keepdim, correction, name, root=False):
    """sum((x - mean)^2) / max(0, n - correction), or its square root. With no degrees of freedom
    left the divisor is 0, as in PyTorch: inf where the deviations are not all 0, nan where they are."""
    if isinstance(dim, bool):  # var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {x.dtype}")
    if x.dtype == np.float16:
        return in_float32(_moments, x, dim, unbiased, keepdim, correction, name, root)
    axes = reduce_dims(dim, x.ndim, name)
    count = x._data.size if axes is None else math.prod(x.shape[a] for a in axes)
    centered = x - mean(x, axes, keepdim=True)
    divisor = builtins.max(count - correction, 0)
    if divisor == 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0 (correction {correction} for {count} elements); "
                      "the result is inf or nan", stacklevel=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        if root:  # std via the norm of the deviations: its gradient is 0, not nan, where they are all 0
            return Norm2.apply(centered, axes, keepdim) / math.sqrt(divisor)
        return sum(centered * centered, axes, keepdim) / divisor
