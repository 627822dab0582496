"""Helpers shared by the distributions (PyTorch's ``torch.distributions.utils``).

    broadcast_all(*values)             numbers and tensors -> tensors of one broadcast shape
    probs_to_logits / logits_to_probs  the two ways of giving a Bernoulli or Categorical
    clamp_probs(probs)                 keep probabilities in [eps, 1 - eps] before taking logs
    lazy_property                      an attribute computed on first use (``probs`` from ``logits``)
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import creation, dtypes
from ..autograd import enable_grad
from ..dims import normalize_shape
from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values) -> tuple:
    """Each value as a tensor, all broadcast to one shape (views: gradients flow back).

    Numbers become tensors of the first tensor argument's dtype and device, or of the default
    float dtype when every argument is a number: ``Normal(0., 1.)`` is float32,
    ``Normal(loc64, 1.)`` is float64.
    """
    for value in values:
        if not isinstance(value, (Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be numbers or tensors, "
                             f"got {type(value).__name__}")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    if first is None:
        options = {"dtype": dtypes.get_default_dtype()}
    else:
        options = {"dtype": first.dtype, "device": first.device}
    tensors = [v if isinstance(v, Tensor) else creation.tensor(v, **options) for v in values]
    from ..ops import broadcast_tensors

    return tuple(broadcast_tensors(*tensors))


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] (eps of its dtype), so that log p and log(1 - p) stay finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (a categorical's logits), or log p - log(1 - p) for a binary event."""
    p = clamp_probs(probs)
    if is_binary:
        return p.log() - (-p).log1p()
    return p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for a binary event, softmax over the last dimension for a categorical."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


class lazy_property:
    """An attribute computed by ``method`` on first access, then stored on the instance.

    A Bernoulli given ``logits`` computes ``probs`` only when someone asks for it. The value is
    computed with gradients enabled (it is part of the parameters' graph), then kept in the
    instance's ``__dict__``, which Python consults before this (non-data) descriptor next time.
    """

    def __init__(self, method):
        self.wrapped = method
        self.__doc__ = method.__doc__
        self.__name__ = method.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x log y, with 0 wherever x == 0 (so that 0 log 0 = 0, as in the limit); NaN for y < 0 otherwise."""
    from ..ops import where

    safe_y = where((x == 0) | (y < 0), 1.0, y)  # log is taken only where it is needed and defined
    return where(x == 0, 0.0, where(y < 0, float("nan"), x * safe_y.log()))


def sum_rightmost(value: Tensor, dims: int) -> Tensor:
    """Sum the rightmost ``dims`` dimensions: ``(*batch, *event) -> batch`` for an event of dims dims."""
    if dims == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dims]) + (-1,)).sum(-1)


def as_shape(sample_shape, what: str = "sample_shape") -> tuple:
    """A tuple of ints from a tuple, list or torch.Size (an int alone is refused, as in PyTorch)."""
    if isinstance(sample_shape, (Tensor, str)) or not hasattr(sample_shape, "__iter__"):
        raise TypeError(f"{what} must be a tuple of ints (a torch.Size), got {type(sample_shape).__name__}"
                        f" {sample_shape!r}; write ({sample_shape!r},) for one dimension")
    shape = normalize_shape(tuple(sample_shape), what)
    if any(size < 0 for size in shape):
        raise ValueError(f"{what} must not hold negative sizes, got {shape}")
    return shape


def standard_normal(shape: tuple, dtype, device) -> Tensor:
    """Standard normal noise of ``shape`` from tinynn's default generator."""
    return creation.randn(shape, dtype=dtype, device=device)
