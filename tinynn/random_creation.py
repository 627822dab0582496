"""Tensors of random numbers: rand, randn, randint, randperm, normal, bernoulli and their ``*_like``.

Every draw comes from the seeded NumPy generator (``tinynn.manual_seed``, or ``generator=``) on the
host and is then moved to the requested device, so a seed gives the same numbers on every device.
"""
from __future__ import annotations

import numpy as np

from . import backend, dtypes
from .creation import _finish, _like, _shape, _size_keyword
from .random import numpy_generator
from .tensor import Tensor

__all__ = ["bernoulli", "normal", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm"]


def _float_dtype(dtype):
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if dtype.kind != "f":
        raise RuntimeError(f"expected a floating point dtype for random floats, got {dtype}")
    return dtype


def _draw(dtype):
    # NumPy draws float32 directly; float16 is drawn as float32 and rounded.
    return np.float64 if dtype == np.float64 else np.float32


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    """Uniform random numbers in [0, 1)."""
    dtype = _float_dtype(dtype)
    shape = _shape(size, "rand", _size_keyword(kwargs, "rand"))
    array = numpy_generator(generator).random(shape, dtype=_draw(dtype))
    return _finish(array, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    """Standard normal random numbers (mean 0, variance 1)."""
    dtype = _float_dtype(dtype)
    shape = _shape(size, "randn", _size_keyword(kwargs, "randn"))
    array = numpy_generator(generator).standard_normal(shape, dtype=_draw(dtype))
    return _finish(array, dtype, device, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Random integers in [low, high) (``randint(high, size)`` starts at 0)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the required argument 'size' (a tuple)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expects 'from' ({low}) to be less than 'to' ({high})")
    array = numpy_generator(generator).integers(low, high, size=_shape((size,), "randint"), dtype=np.int64)
    return _finish(array, dtype or dtypes.int64, device, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1."""
    if int(n) < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    array = numpy_generator(generator).permutation(int(n)).astype(np.int64)
    return _finish(array, dtype or dtypes.int64, device, requires_grad)


def rand_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(t: Tensor, low, high=None, *, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randint(low, high, tuple(t.shape), dtype=dtype, device=device)


def normal(mean, std, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Normal random numbers with the given mean and standard deviation (numbers or tensors)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(*(v.shape for v in (mean, std) if isinstance(v, Tensor)))
        ref = mean if isinstance(mean, Tensor) else std
        noise = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        return noise * std + mean
    if size is None:
        raise TypeError("normal(): with float mean and std, the size argument is required")
    dtype = _float_dtype(dtype)
    array = numpy_generator(generator).normal(mean, std, size=_shape((size,), "normal"))
    return _finish(array, dtype, device, requires_grad)


def bernoulli(p: Tensor, *, generator=None) -> Tensor:
    """1 with probability ``p`` (elementwise), else 0, in p's dtype."""
    draws = numpy_generator(generator).random(p.shape)
    hits = backend.to_device(draws, p.device) < p._data
    return Tensor._make(hits.astype(p.dtype))
