"""Bernoulli (probs or logits): log_prob, entropy, moments against PyTorch with gradients, gradient
checks, samples, enumerate_support, errors."""
import numpy as np
import pytest

import tinynn
from tests.distributions.moments import assert_moments
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.distributions import Bernoulli

PROBS = rand(2, 3, seed=1, low=0.05, high=0.95)
LOGITS = rand(2, 3, seed=2) * 3
VALUE = (rand(4, 2, 3, seed=3) > 0).astype(np.float64)


def _everything(module, by):
    def run(param, value):
        d = module.Bernoulli(**{by: param})
        return d.log_prob(value), d.entropy(), d.mean, d.variance, d.probs, d.logits
    return run


@needs_torch
@pytest.mark.parametrize("by", ["probs", "logits"])
def test_matches_torch(by):
    param = PROBS if by == "probs" else LOGITS
    assert_matches_torch(_everything(tinynn.distributions, by), _everything(torch.distributions, by), param, VALUE,
                         differentiable=[True, False])


@needs_torch
def test_soft_value_gradient_and_mode_match_torch():
    soft = rand(2, 3, seed=5, low=0.0, high=1.0)  # log_prob of values in [0, 1]: a relaxed target
    assert_matches_torch(lambda z, v: Bernoulli(logits=z, validate_args=False).log_prob(v),
                         lambda z, v: torch.distributions.Bernoulli(logits=z, validate_args=False).log_prob(v),
                         LOGITS, soft)
    p = np.array([0.2, 0.5, 0.7])
    np.testing.assert_array_equal(Bernoulli(tinynn.tensor(p)).mode.numpy(),
                                  torch.distributions.Bernoulli(torch.tensor(p)).mode.numpy())


def test_gradcheck():
    check_gradients(lambda p: Bernoulli(probs=p).log_prob(tinynn.tensor(VALUE)), PROBS)
    check_gradients(lambda z: Bernoulli(logits=z).log_prob(tinynn.tensor(VALUE)), LOGITS)
    check_gradients(lambda z: Bernoulli(logits=z).entropy(), LOGITS)
    check_gradients(lambda p: Bernoulli(probs=p).entropy(), PROBS)


def test_extreme_logits_stay_finite():
    d = Bernoulli(logits=tinynn.tensor([-800.0, 800.0], dtype=tinynn.float64))
    np.testing.assert_allclose(d.log_prob(tinynn.tensor([0.0, 1.0], dtype=tinynn.float64)).numpy(), [0.0, 0.0])
    np.testing.assert_allclose(d.log_prob(tinynn.tensor([1.0, 0.0], dtype=tinynn.float64)).numpy(), [-800.0, -800.0])


def test_samples_and_support():
    tinynn.manual_seed(0)
    d = Bernoulli(probs=tinynn.tensor(PROBS))
    s = d.sample((20_000,))
    assert s.shape == (20_000, 2, 3) and s.dtype == tinynn.float64
    assert set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert_moments(s, PROBS, PROBS * (1 - PROBS))
    support = d.enumerate_support()
    assert support.shape == (2, 2, 3) and support.dtype == tinynn.float64
    np.testing.assert_array_equal(support.numpy()[:, 1, 2], [0.0, 1.0])
    assert d.enumerate_support(expand=False).shape == (2, 1, 1)
    assert Bernoulli(0.3).sample().shape == () and Bernoulli(0.3).batch_shape == ()


def test_expand_keeps_the_given_parameter():
    d = Bernoulli(logits=tinynn.zeros(3)).expand((2, 3))
    assert d.batch_shape == (2, 3) and "logits" in d.__dict__ and "probs" not in d.__dict__
    np.testing.assert_allclose(d.probs.numpy(), np.full((2, 3), 0.5))


def test_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both"):
        Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Bernoulli()
    with pytest.raises(ValueError, match="Expected parameter probs .* Interval"):
        Bernoulli(probs=tinynn.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"within the support \(Boolean\(\)\)"):
        Bernoulli(0.5).log_prob(tinynn.tensor(0.5))
