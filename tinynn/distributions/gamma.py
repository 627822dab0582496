"""The Gamma distribution with shape ``concentration`` (alpha) and ``rate`` (beta)."""
from __future__ import annotations

import numbers

from .. import creation
from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma_sampling import RegularizedGammaP, StandardGamma
from .utils import as_shape, broadcast_all, xlogy

__all__ = ["Gamma"]


class Gamma(Distribution):
    """Gamma(alpha, beta) on x >= 0, density beta^alpha x^(alpha-1) e^(-beta x) / Gamma(alpha).

        log p(x) = alpha log beta + (alpha - 1) log x - beta x - lgamma(alpha)
        entropy  = alpha - log beta + lgamma(alpha) + (1 - alpha) digamma(alpha)
        mean = alpha / beta,  variance = alpha / beta^2,  mode = max((alpha - 1) / beta, 0)

    ``rsample`` is differentiable in both parameters: X = G / beta with G ~ Gamma(alpha, 1), and
    dG/dalpha by implicit reparameterisation (see gamma_sampling.py).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = tuple(self.concentration.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = as_shape(batch_shape, "batch_shape")
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return StandardGamma.apply(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value) -> Tensor:
        if not isinstance(value, Tensor):
            value = creation.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (xlogy(self.concentration, self.rate) + xlogy(self.concentration - 1, value)
                - self.rate * value - lgamma(self.concentration))

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + lgamma(c) + (1.0 - c) * digamma(c)

    def cdf(self, value: Tensor) -> Tensor:
        """P(alpha, beta x), the regularised lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        return RegularizedGammaP.apply(self.concentration, self.rate * value)
