"""Normal: log_prob, entropy, cdf, icdf and moments against PyTorch (values and gradients), float64
gradient checks in the parameters and the value, rsample's reparameterised gradient, samples."""
import numpy as np
import pytest

import tinynn
from tests.distributions.moments import assert_moments
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.distributions import Normal

LOC = rand(2, 3, seed=1)
SCALE = rand(2, 3, seed=2, low=0.5, high=2.0)
VALUE = rand(4, 2, 3, seed=3)
PROB = rand(4, 2, 3, seed=4, low=0.02, high=0.98)


def _everything(module):
    def run(loc, scale, value, prob):
        d = module.Normal(loc, scale)
        return (d.log_prob(value), d.entropy(), d.cdf(value), d.icdf(prob), d.mean, d.mode, d.stddev, d.variance,
                d.perplexity())
    return run


@needs_torch
def test_matches_torch():
    assert_matches_torch(_everything(tinynn.distributions), _everything(torch.distributions), LOC, SCALE, VALUE, PROB)


@needs_torch
def test_scalar_and_broadcast_parameters_match_torch():
    assert_matches_torch(lambda loc, v: Normal(loc, 2.0).log_prob(v),
                         lambda loc, v: torch.distributions.Normal(loc, 2.0).log_prob(v), LOC[0], VALUE[:, :1])
    ours, theirs = Normal(0.5, 2.0), torch.distributions.Normal(0.5, 2.0)
    assert ours.batch_shape == tuple(theirs.batch_shape) == ()
    assert ours.entropy().dtype == tinynn.float32
    np.testing.assert_allclose(ours.entropy().item(), theirs.entropy().item(), rtol=1e-6)


def test_gradcheck():
    check_gradients(lambda loc, scale, v: Normal(loc, scale).log_prob(v), LOC, SCALE, VALUE)
    check_gradients(lambda scale: Normal(0.0, scale).entropy(), SCALE)
    check_gradients(lambda loc, scale, v: Normal(loc, scale).cdf(v), LOC, SCALE, VALUE)
    check_gradients(lambda loc, scale, p: Normal(loc, scale).icdf(p), LOC, SCALE, PROB)


def test_rsample_is_loc_plus_scale_times_noise_and_differentiable():
    def draw(loc, scale):
        tinynn.manual_seed(5)
        return Normal(loc, scale).rsample((3,))

    check_gradients(draw, LOC, SCALE)
    loc, scale = leaf(LOC), leaf(SCALE)
    x = draw(loc, scale)
    tinynn.manual_seed(5)
    eps = tinynn.randn(3, 2, 3, dtype=tinynn.float64)
    np.testing.assert_allclose(x.detach().numpy(), LOC + SCALE * eps.numpy(), rtol=1e-15)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full((2, 3), 3.0))
    np.testing.assert_allclose(scale.grad.numpy(), eps.numpy().sum(0), rtol=1e-14)


def test_samples():
    tinynn.manual_seed(0)
    loc, scale = leaf(LOC), leaf(SCALE)
    d = Normal(loc, scale)
    s = d.sample((20_000,))
    assert s.shape == (20_000, 2, 3) and s.dtype == tinynn.float64 and not s.requires_grad
    assert d.rsample().requires_grad
    assert_moments(s, LOC, SCALE**2)
    assert Normal(0.0, 1.0).sample((2,)).dtype == tinynn.float32


def test_validation():
    with pytest.raises(ValueError, match="Expected parameter scale .* GreaterThan"):
        Normal(tinynn.zeros(2), tinynn.tensor([1.0, 0.0]))
    assert Normal(0.0, 0.0, validate_args=False).scale.item() == 0.0
