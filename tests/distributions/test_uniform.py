"""Uniform: log_prob (inside and outside), cdf, icdf, entropy, moments against PyTorch with gradients;
gradient checks including rsample; samples; errors."""
import numpy as np
import pytest

import tinynn
from tests.distributions.moments import assert_moments
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.distributions import Uniform

LOW = rand(2, 3, seed=1)
HIGH = LOW + rand(2, 3, seed=2, low=0.5, high=2.0)
INSIDE = LOW + 0.3 * (HIGH - LOW)
PROB = rand(2, 3, seed=3, low=0.0, high=1.0)


@needs_torch
def test_matches_torch():
    def run(module):
        def fn(low, high, value, prob):
            d = module.Uniform(low, high)
            return d.log_prob(value), d.cdf(value), d.icdf(prob), d.entropy(), d.mean, d.stddev, d.variance
        return fn

    assert_matches_torch(run(tinynn.distributions), run(torch.distributions), LOW, HIGH, INSIDE, PROB)


@needs_torch
def test_outside_the_interval_matches_torch():
    value = np.stack([LOW - 0.1, HIGH, HIGH + 1.0, LOW])  # (4, 2, 3): the interval is [low, high)
    assert_matches_torch(lambda lo, hi, v: Uniform(lo, hi, validate_args=False).log_prob(v),
                         lambda lo, hi, v: torch.distributions.Uniform(lo, hi, validate_args=False).log_prob(v),
                         LOW, HIGH, value)
    assert_matches_torch(lambda lo, hi, v: Uniform(lo, hi, validate_args=False).cdf(v),
                         lambda lo, hi, v: torch.distributions.Uniform(lo, hi, validate_args=False).cdf(v),
                         LOW, HIGH, value)
    assert np.isnan(Uniform(0.0, 1.0).mode.item())


def test_gradcheck():
    check_gradients(lambda lo, hi, v: Uniform(lo, hi).log_prob(v), LOW, HIGH, INSIDE)
    check_gradients(lambda lo, hi, v: Uniform(lo, hi).cdf(v), LOW, HIGH, INSIDE)
    check_gradients(lambda lo, hi, p: Uniform(lo, hi).icdf(p), LOW, HIGH, PROB)
    check_gradients(lambda lo, hi: Uniform(lo, hi).entropy(), LOW, HIGH)

    def draw(lo, hi):
        tinynn.manual_seed(3)
        return Uniform(lo, hi).rsample((4,))

    check_gradients(draw, LOW, HIGH)


def test_samples():
    tinynn.manual_seed(0)
    d = Uniform(leaf(LOW), leaf(HIGH))
    s = d.sample((20_000,))
    assert s.shape == (20_000, 2, 3) and s.dtype == tinynn.float64 and not s.requires_grad
    assert np.all(s.numpy() >= LOW) and np.all(s.numpy() < HIGH)
    assert_moments(s, (LOW + HIGH) / 2, (HIGH - LOW) ** 2 / 12)
    assert d.rsample().requires_grad
    assert Uniform(0.0, 1.0).sample((3,)).dtype == tinynn.float32


def test_errors():
    with pytest.raises(ValueError, match=r"Expected parameter low .* LessThan\(upper_bound=0.0\)"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match=r"within the support \(Interval"):
        Uniform(0.0, 1.0).log_prob(tinynn.tensor(-0.5))
