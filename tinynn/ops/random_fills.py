"""Filling a tensor in place with random numbers: ``x.uniform_()``, ``x.normal_()``, ``x.exponential_()`` ...

Each draws from the seeded NumPy generator (``tinynn.manual_seed``, or a ``generator=``) on the host,
in float64 for accuracy, and writes the numbers into the tensor in its dtype (on its device). The
write is an in-place change: it bumps the version and refuses a leaf that requires grad outside
``no_grad``, as PyTorch's fills do (``nn.init`` runs them under ``no_grad``).
"""
from __future__ import annotations

import numpy as np

from ..random import numpy_generator
from ..tensor import Tensor

__all__ = ["bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_", "random_", "uniform_"]


def _fill(self: Tensor, draws: np.ndarray) -> Tensor:
    from ..creation import tensor

    return self.copy_(tensor(draws, dtype=self.dtype))


def _check_float(self: Tensor, name: str) -> None:
    if self.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {self.dtype}")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Uniform numbers in [a, b)."""
    from ..creation import rand

    return self.copy_(rand(self.shape, generator=generator, dtype=self.dtype, device=self.device) * (b - a) + a)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Normal numbers of the given mean and standard deviation."""
    from ..creation import randn

    return self.copy_(randn(self.shape, generator=generator, dtype=self.dtype, device=self.device) * std + mean)


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """1 with probability ``p`` (a number, or a tensor of probabilities broadcasting to self), else 0."""
    from ..creation import rand

    return self.copy_((rand(self.shape, generator=generator, device=self.device) < p).to(self.dtype))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Exponential numbers with rate ``lambd``: density lambd e^(-lambd x) on x >= 0."""
    _check_float(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, numpy_generator(generator).exponential(1.0 / lambd, self.shape))


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """The number of Bernoulli(p) trials up to and including the first success (1, 2, 3, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(self, numpy_generator(generator).geometric(p, self.shape))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Cauchy numbers: median + sigma tan(pi (u - 1/2)) for u uniform in (0, 1)."""
    _check_float(self, "cauchy_")
    return _fill(self, median + sigma * numpy_generator(generator).standard_cauchy(self.shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """exp of normal numbers of the given mean and standard deviation."""
    _check_float(self, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(self, numpy_generator(generator).lognormal(mean, std, self.shape))


def random_(self: Tensor, from_=0, to=None, *, generator=None) -> Tensor:
    """Integers uniform in [from, to): ``random_(to)`` is [0, to); ``random_()`` covers the dtype's
    integers (for floats: [0, 2^mantissa bits], every integer the dtype holds exactly)."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        if self.dtype.kind == "f":
            to = 2 ** (np.finfo(self.dtype).nmant + 1) + 1
        elif self.dtype.kind == "b":
            to = 2
        else:
            to = int(np.iinfo(self.dtype).max) + 1
    if not from_ < to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    return _fill(self, numpy_generator(generator).integers(from_, to, self.shape))
