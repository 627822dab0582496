"""The Beta distribution on [0, 1] with concentrations ``concentration1`` (a) and ``concentration0`` (b)."""
from __future__ import annotations

import numbers

import numpy as np

from ..ops import where
from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma_sampling import StandardGamma
from .utils import as_shape, broadcast_all, xlogy

__all__ = ["Beta"]


class Beta(Distribution):
    """Beta(a, b): density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1], B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b).

        log p(x) = (a-1) log x + (b-1) log(1-x) + lgamma(a+b) - lgamma(a) - lgamma(b)
        entropy  = log B(a, b) - (a-1) psi(a) - (b-1) psi(b) + (a+b-2) psi(a+b)
        mean = a / (a+b),  variance = a b / ((a+b)^2 (a+b+1)),  mode = (a-1) / (a+b-2) for a, b > 1

    ``rsample``: X = G1 / (G1 + G0) with G1 ~ Gamma(a, 1), G0 ~ Gamma(b, 1), both reparameterised,
    so gradients reach a and b (PyTorch gets its Beta from a Dirichlet; the distribution is the same).
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        if isinstance(concentration1, numbers.Number) and isinstance(concentration0, numbers.Number):
            batch_shape = ()
        else:
            batch_shape = tuple(self.concentration1.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = as_shape(batch_shape, "batch_shape")
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a-1)/(a+b-2), with a-1 and b-1 taken as 0 when negative (the density then peaks at an end).
        When both a < 1 and b < 1 the density is infinite at both ends; PyTorch answers 1, and so do we."""
        a1 = (self.concentration1 - 1).clamp(min=0)
        b1 = (self.concentration0 - 1).clamp(min=0)
        both_below_one = (self.concentration1 < 1) & (self.concentration0 < 1)
        return where(both_below_one, 1.0, a1 / where(both_below_one, 1.0, a1 + b1))

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g1 = StandardGamma.apply(self.concentration1.expand(shape))
        g0 = StandardGamma.apply(self.concentration0.expand(shape))
        x = g1 / (g1 + g0)
        finfo = np.finfo(x.dtype)
        return x.clamp(min=float(finfo.tiny), max=1 - float(finfo.eps))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (xlogy(a - 1, value) + xlogy(b - 1, 1.0 - value)
                + lgamma(a + b) - lgamma(a) - lgamma(b))

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        log_beta = lgamma(a) + lgamma(b) - lgamma(total)
        return log_beta - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (total - 2) * digamma(total)
